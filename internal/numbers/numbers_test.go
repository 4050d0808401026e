package numbers

import (
	"testing"

	"github.com/banscope/banscope/internal/f2blog"
)

// fail2ban 1.1.1 writes "Repeal Ban" for each ban it lifts when it stops
// (server/actions.py): the ban leaves the firewall but has not ended, so
// it is counted apart, never as an unban.
func TestRepealBanIsNotAnUnban(t *testing.T) {
	y := NewTally(nil)
	for _, l := range []string{
		"2026-11-28 03:00:00,000 fail2ban.actions [1]: NOTICE  [sshd] Ban 203.0.113.1",
		"2026-11-28 03:00:01,000 fail2ban.actions [1]: NOTICE  [sshd] Ban 203.0.113.2",
		"2026-11-28 03:05:00,000 fail2ban.actions [1]: NOTICE  [sshd] Unban 203.0.113.1",
		"2026-11-28 03:09:15,305 fail2ban.actions [1]: NOTICE  [sshd] Repeal Ban 203.0.113.2",
	} {
		var p f2blog.Parser
		ev, ok := p.Parse([]byte(l))
		if !ok {
			t.Fatalf("not a fail2ban.log line: %q", l)
		}
		y.Fail2banLog(ev)
	}
	o := y.t.Observed["sshd"]
	if o.Bans != 2 || o.Unbans != 1 || o.Repeals != 1 || len(o.Banned) != 0 {
		t.Errorf("bans %d, unbans %d, repeals %d, banned %d; want 2, 1, 1, 0", o.Bans, o.Unbans, o.Repeals, len(o.Banned))
	}
}
