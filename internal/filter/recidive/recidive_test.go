package recidive

import (
	"testing"
	"time"

	"github.com/banscope/banscope/internal/filter"
)

// The recidive failregex: other jails' Ban notices count, its own jail's,
// Restore Ban, Unban and other levels do not.
func TestRecidive(t *testing.T) {
	f, err := New(filter.Spec{Name: "recidive"}, filter.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		line string
		id   string // "" for no failure
	}{
		{"2026-11-28 03:08:34,454 fail2ban.actions        [1234]: NOTICE  [sshd] Ban 203.0.113.5", "203.0.113.5"},
		{"fail2ban.actions [1]: NOTICE [sshd] Ban 2001:db8::7", "2001:db8::7"},
		{"fail2ban.actions [1]: NOTICE [sshd] Ban 192.030.0.6", "192.030.0.6"},
		{"2026-11-28 03:08:34,454 fail2ban.actions        [1234]: NOTICE  [recidive] Ban 203.0.113.5", ""},
		{"2026-11-28 03:08:34,454 fail2ban.actions        [1234]: NOTICE  [sshd] Restore Ban 203.0.113.5", ""},
		{"2026-11-28 03:08:34,454 fail2ban.actions        [1234]: NOTICE  [sshd] Unban 203.0.113.5", ""},
		{"2026-11-28 03:08:34,454 fail2ban.filter         [1234]: INFO    [sshd] Found 203.0.113.5 - 2026-11-28 03:08:34", ""},
	} {
		ev := f.Parse([]byte(tt.line))
		got := ""
		if ev.Verdict == filter.Failure && len(ev.IDs) == 1 {
			got = ev.IDs[0].String()
		}
		if got != tt.id {
			t.Errorf("%q: failure %q, want %q", tt.line, got, tt.id)
		}
	}
	ev := f.ParseAt([]byte("fail2ban.actions [1]: NOTICE [sshd] Ban 203.0.113.9"), 1795843527e9)
	if ev.Verdict != filter.Failure || ev.Time != 1795843527e9 {
		t.Errorf("ParseAt: %v at %d", ev.Verdict, ev.Time)
	}
}
