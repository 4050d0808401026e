package live

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/atomicfile"
	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/jailsim"
)

// A state save that takes long (a slow or stalled disk, a state of a
// million tracked addresses to encode) holds up neither a scrape of
// /metrics nor following: the state is taken under the lock and written
// after it.
func TestSlowStateSaveBlocksNothing(t *testing.T) {
	dir := t.TempDir()
	auth := filepath.Join(dir, "auth.log")
	appendFailures(t, auth, "203.0.113.50", 1)
	saving := make(chan struct{}, 1)
	release := make(chan struct{})
	writeStateFile = func(name string, fill func(io.Writer) error) error {
		select {
		case saving <- struct{}{}:
		default:
		}
		<-release
		return atomicfile.WriteFunc(name, fill)
	}
	defer func() { writeStateFile = atomicfile.WriteFunc }()
	var out syncBuf
	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{AuthLog: auth, State: filepath.Join(dir, "state.json"), Interval: 50 * time.Millisecond, Host: "web1",
			Location: time.UTC, Out: &out, Quiet: 100 * time.Millisecond, Listen: "127.0.0.1:0", Ready: ready,
			Jails: []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 5, FindTime: 3600, BanTime: 3600}, Filter: filter.Spec{Name: "sshd"}}}})
	}()
	addr := <-ready
	select {
	case <-saving:
	case <-time.After(20 * time.Second):
		t.Fatal("no state save began")
	}
	// the save is stuck: a scrape answers, and a new failure is counted
	appendFailures(t, auth, "203.0.113.51", 1)
	c := &http.Client{Timeout: 20 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	var body string
	for time.Now().Before(deadline) {
		resp, err := c.Get("http://" + addr + "/metrics")
		if err != nil {
			close(release)
			t.Fatalf("/metrics while the state save is stuck: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if body = string(b); strings.Contains(body, `banscope_jail_failed_total{host="web1",jail="sshd"} 2`) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(release)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(body, `banscope_jail_failed_total{host="web1",jail="sshd"} 2`) {
		t.Fatalf("the second failure was not counted while the save was stuck:\n%s", body)
	}
}

// The streamed state reads back as the state taken: every jail with its
// tickets and bans, the database, the counters and positions.
func TestStreamedStateReadsBack(t *testing.T) {
	id := ident.ParseID("203.0.113.7")
	st := &savedState{stateHead: stateHead{Version: stateVersion, SavedAt: time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC), Cursor: "s=1"},
		Counters: json.RawMessage(`{"lines_read":3}`), Parsers: map[string]json.RawMessage{"sshd": json.RawMessage(`{}`)},
		Jails: map[string]jailsim.Snapshot{
			"sshd":     {Tickets: []jailsim.TicketState{{ID: id, First: 1, Last: 2, Retry: 3}, {ID: ident.ParseID("2001:db8::1"), First: 4, Last: 5, Retry: 1, Window: []float64{4}}}, Bans: []jailsim.BanState{{ID: id, Start: 2, BanTime: 600, Seq: 1}}, TotalFailed: 4, TotalBanned: 1, Peak: 1, PeakAt: 2, Lines: 9, BanSeq: 1},
			"recidive": {},
			`we"ird`:   {TotalFailed: 1},
		},
		DB: &jailsim.DBSnapshot{}}
	var b strings.Builder
	if err := st.writeJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got stateFile
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	if got.Version != stateVersion || got.Cursor != "s=1" || !got.SavedAt.Equal(st.SavedAt) || got.Counters == nil || got.Counters.LinesRead != 3 || got.DB == nil || len(got.Parsers) != 1 {
		t.Fatalf("head fields lost:\n%s", b.String())
	}
	for name, want := range st.Jails {
		g := got.Jails[name]
		if len(g.Tickets) != len(want.Tickets) || len(g.Bans) != len(want.Bans) || g.TotalFailed != want.TotalFailed || g.Lines != want.Lines || g.BanSeq != want.BanSeq {
			t.Fatalf("jail %s: got %+v, want %+v", name, g, want)
		}
		for i := range want.Tickets {
			if g.Tickets[i].ID != want.Tickets[i].ID || g.Tickets[i].Retry != want.Tickets[i].Retry || len(g.Tickets[i].Window) != len(want.Tickets[i].Window) {
				t.Fatalf("jail %s ticket %d: got %+v, want %+v", name, i, g.Tickets[i], want.Tickets[i])
			}
		}
	}
}
