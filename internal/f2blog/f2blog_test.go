package f2blog

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParser(t *testing.T) {
	tests := []struct {
		name, line string
		act        Action
		jail, id   string
		time       string // RFC 3339, "" for none
	}{
		{"found", "2026-11-28 03:08:34,454 fail2ban.filter         [18633]: INFO    [sshd] Found 203.0.113.101 - 2026-11-28 03:06:34", ActFound, "sshd", "203.0.113.101", "2026-11-28T03:08:34.454Z"},
		{"found 0.9", "2016-01-02 10:00:00,000 fail2ban.filter         [1]: INFO    [ssh] Found 1.2.3.4", ActFound, "ssh", "1.2.3.4", "2016-01-02T10:00:00Z"},
		{"found ipv6", "2026-11-28 03:08:38,466 fail2ban.filter         [18633]: INFO    [sshd] Found 2001:db8::7 - 2026-11-28 03:08:37", ActFound, "sshd", "2001:db8::7", "2026-11-28T03:08:38.466Z"},
		{"expired", "2026-11-28 03:08:34,646 fail2ban.actions        [18633]: INFO    [sshd] Ignore 203.0.113.101, expired bantime", ActIgnoreExpired, "sshd", "203.0.113.101", "2026-11-28T03:08:34.646Z"},
		{"ban", "2026-11-28 03:08:34,647 fail2ban.actions        [18633]: NOTICE  [sshd] Ban 203.0.113.102", ActBan, "sshd", "203.0.113.102", "2026-11-28T03:08:34.647Z"},
		{"ignore ip", "2026-11-28 03:08:38,464 fail2ban.filter         [18633]: INFO    [sshd] Ignore 192.0.2.5 by ip", ActIgnore, "sshd", "192.0.2.5", "2026-11-28T03:08:38.464Z"},
		{"ignoreself", "2026-11-28 03:08:38,464 fail2ban.filter         [18633]: INFO    [sshd] Ignore 127.0.0.1 by ignoreself rule", ActIgnore, "sshd", "127.0.0.1", "2026-11-28T03:08:38.464Z"},
		{"already", "2026-11-28 03:08:38,651 fail2ban.actions        [18633]: NOTICE  [sshd] 203.0.113.102 already banned", ActAlreadyBanned, "sshd", "203.0.113.102", "2026-11-28T03:08:38.651Z"},
		{"unban", "2026-11-28 03:09:02,670 fail2ban.actions        [18633]: NOTICE  [sshd] Unban 203.0.113.102", ActUnban, "sshd", "203.0.113.102", "2026-11-28T03:09:02.67Z"},
		{"restore", "2026-11-28 03:09:15,305 fail2ban.actions        [19197]: NOTICE  [sshd] Restore Ban 203.0.113.110", ActRestoreBan, "sshd", "203.0.113.110", "2026-11-28T03:09:15.305Z"},
		{"repeal", "2026-11-28 03:09:15,305 fail2ban.actions        [19197]: NOTICE  [sshd] Repeal Ban 203.0.113.110", ActRepealBan, "sshd", "203.0.113.110", "2026-11-28T03:09:15.305Z"},
		{"reban", "2026-11-28 03:09:15,305 fail2ban.actions        [19197]: NOTICE  [sshd] Reban 203.0.113.110, action 'iptables'", ActReban, "sshd", "203.0.113.110", "2026-11-28T03:09:15.305Z"},
		{"found bad", "2026-11-28 03:10:28,094 fail2ban.observer       [21467]: INFO    [sshd] Found 203.0.113.77, bad - 2026-11-28 03:10:27, 1 # -> 2.0", ActFoundBad, "sshd", "203.0.113.77", "2026-11-28T03:10:28.094Z"},
		{"increase", "2026-11-28 03:10:29,694 fail2ban.observer       [21467]: NOTICE  [sshd] Increase Ban 203.0.113.77 (2 # 8s -> 2026-11-28 03:10:37)", ActIncreaseBan, "sshd", "203.0.113.77", "2026-11-28T03:10:29.694Z"},
		{"raw id", "2026-11-28 03:08:34,647 fail2ban.actions        [18633]: NOTICE  [sshd] Ban 192.030.0.6", ActBan, "sshd", "192.030.0.6", "2026-11-28T03:08:34.647Z"},
		{"syslog target", "Nov 28 03:08:34 host fail2ban.actions[18633]: NOTICE [recidive] Ban 203.0.113.102", ActBan, "recidive", "203.0.113.102", ""},
		{"0.9.0 padding", "2014-03-01 10:00:00,000 fail2ban.actions: WARNING [ssh] Ban 1.2.3.4", ActBan, "ssh", "1.2.3.4", "2014-03-01T10:00:00Z"},
	}
	var f Parser
	f.Location = time.UTC
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok := f.Parse([]byte(tt.line))
			if !ok {
				t.Fatalf("not parsed")
			}
			got := []string{ev.Action.String(), string(ev.Jail), ev.ID.String(), ""}
			if ev.HasTime {
				got[3] = time.Unix(0, ev.Time).UTC().Format(time.RFC3339Nano)
			}
			want := []string{tt.act.String(), tt.jail, tt.id, tt.time}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
	for _, line := range []string{
		"2026-11-28 03:08:00,000 fail2ban.server         [1]: INFO    Starting Fail2ban v1.0.2",
		"2026-11-28 03:08:00,000 fail2ban.jail           [1]: INFO    Jail 'sshd' started",
		"2026-11-28 03:08:00,000 fail2ban.filter         [1]: INFO    [sshd] Added logfile: '/var/log/auth.log' (pos = 0, hash = x)",
		"2026-11-28 03:08:00,000 fail2ban.filter         [1]: INFO      maxRetry: 5",
		"garbage",
		"",
	} {
		if ev, ok := f.Parse([]byte(line)); ok {
			t.Errorf("%q parsed as %v", line, ev.Action)
		}
	}
}

// FuzzParser: no panic, and a parsed line's ID and jail are text of
// the line.
func FuzzParser(f *testing.F) {
	f.Add("2026-11-28 03:08:34,647 fail2ban.actions        [18633]: NOTICE  [sshd] Ban 203.0.113.102")
	f.Add("2026-11-28 03:08:38,651 fail2ban.actions        [18633]: NOTICE  [sshd] 203.0.113.102 already banned")
	f.Add("2026-11-28 03:10:28,094 fail2ban.observer       [21467]: INFO    [sshd] Found 203.0.113.77, bad - 2026-11-28 03:10:27, 1 # -> 2.0")
	f.Add("fail2ban.actions[1]: NOTICE [x] Unban 1.2.3.4")
	var p Parser
	p.Location = time.UTC
	f.Fuzz(func(t *testing.T, line string) {
		ev, ok := p.Parse([]byte(line))
		if !ok {
			return
		}
		if !strings.Contains(line, "["+string(ev.Jail)+"]") {
			t.Errorf("jail %q not in %q", ev.Jail, line)
		}
		if a, isAddr := ev.ID.Addr(); !isAddr {
			if !strings.Contains(line, ev.ID.String()) {
				t.Errorf("raw ID %q not in %q", ev.ID, line)
			}
		} else if !a.IsValid() {
			t.Errorf("invalid address from %q", line)
		}
	})
}
