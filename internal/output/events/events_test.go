package events

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/jailsim"
)

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// Bans and unbans become JSON lines (host only when named, hostile jail
// names escaped); other events are not written; the first write error
// sticks.
func TestJSONLines(t *testing.T) {
	var b bytes.Buffer
	w := NewJSONLines(&b)
	id := ident.ParseID("203.0.113.5")
	w.Event("", jailsim.Event{Kind: jailsim.EvFound, Jail: "sshd", ID: id, Time: 1795843527})
	w.Event("", jailsim.Event{Kind: jailsim.EvBan, Jail: "sshd", ID: id, Time: 1795843527.25, End: math.Inf(1)})
	w.Event("web1", jailsim.Event{Kind: jailsim.EvUnban, Jail: "ss\"hd", ID: ident.ParseID("192.030.0.6"), Time: 1795843600})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `{"event":"ban","jail":"sshd","ip":"203.0.113.5","time":"2026-11-28T05:25:27.25Z"}` + "\n" +
		`{"event":"unban","jail":"ss\"hd","host":"web1","ip":"192.030.0.6","time":"2026-11-28T05:26:40Z"}` + "\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	f := NewJSONLines(failing{})
	f.Event("", jailsim.Event{Kind: jailsim.EvBan, Jail: "sshd", ID: id})
	if err := f.Flush(); err == nil {
		t.Error("no error from a failing writer")
	}
	f.Event("", jailsim.Event{Kind: jailsim.EvBan, Jail: "sshd", ID: id})
	if err := f.Flush(); err == nil {
		t.Error("the error did not stick")
	}
}
