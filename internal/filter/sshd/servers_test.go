package sshd

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/misses"
	"github.com/banscope/banscope/internal/sshlab"
)

// TestRealServers: real OpenSSH 9.2 and 10.0 servers attacked by real
// clients, logging through a private rsyslogd in both file formats; every
// line's verdict equals each real fail2ban release's, in every mode.
func TestRealServers(t *testing.T) {
	for _, r := range sshlab.Releases {
		t.Run("openssh-"+r.Name, func(t *testing.T) {
			logs := sshlab.Run(t, r)
			for _, f := range []struct{ name, path string }{{"traditional", logs.Traditional}, {"rfc3339", logs.RFC3339}} {
				data, err := os.ReadFile(f.path)
				if err != nil {
					t.Fatal(err)
				}
				// the attack reached sshd and was logged as it should be
				for _, want := range []string{"Invalid user admin from 127.0.0.3", "Failed password for", "not allowed because listed in DenyUsers",
					"Unable to negotiate with 127.0.0.9", "banner exchange: Connection from 127.0.0.8"} {
					if !bytes.Contains(data, []byte(want)) {
						t.Errorf("%s: no %q in the log:\n%s", f.name, want, data)
					}
				}
				if r.Session && !bytes.Contains(data, []byte("sshd[")) || r.Session && !bytes.Contains(data, []byte("Timeout before authentication for connection from 127.0.0.10")) {
					t.Errorf("%s: no listener line (Timeout before authentication) from OpenSSH %s", f.name, r.Name)
				}
				if got := bytes.Contains(data, []byte(" sshd-session[")); got != r.Session {
					t.Errorf("%s: sshd-session lines: %v, want %v", f.name, got, r.Session)
				}
				// sshd's own drops (PerSourcePenalties), which fail2ban never sees
				drops := int64(0)
				for _, l := range bytes.Split(data, []byte("\n")) {
					if r, n, ok := misses.Listener(l); ok && r == misses.AuthFail {
						drops += n
					}
				}
				if r.Session && drops == 0 {
					t.Errorf("%s: OpenSSH %s dropped no returning connection for failed authentication:\n%s", f.name, r.Name, data)
				}
				for _, v := range f2bversion.All() {
					for m := ModeNormal; m <= ModeAggressive; m++ {
						want := referenceVerdicts(t, v, m, "nofail", f.path, false)
						got := ourVerdicts(t, v, m, PublicKeyNoFail, data, false)
						failures := 0
						for _, l := range want {
							if strings.Contains(l, " failure ") {
								failures++
							}
						}
						if strings.Join(got, "\n") != strings.Join(want, "\n") {
							lines := bytes.Split(data, []byte("\n"))
							for k := range want {
								if k < len(got) && got[k] != want[k] {
									t.Errorf("fail2ban %s %s %s: line %s\n  fail2ban: %s\n  banscope: %s", v, m, f.name, trunc(lines[k]), want[k], got[k])
								}
							}
							if len(got) != len(want) {
								t.Errorf("fail2ban %s %s %s: %d lines, fail2ban read %d", v, m, f.name, len(got), len(want))
							}
						}
						t.Logf("OpenSSH %s, %s, fail2ban %s, %s: %d lines agree, %d failures", r.Name, f.name, v, m, len(want), failures)
						if v == f2bversion.V1_0_2 && r.Session && failures != 0 {
							t.Errorf("fail2ban 1.0.2 counted %d failures on OpenSSH %s's log: it cannot read sshd-session", failures, r.Name)
						}
						if failures == 0 && !(v == f2bversion.V1_0_2 && r.Session) {
							t.Errorf("fail2ban %s %s counted nothing on OpenSSH %s's log", v, m, r.Name)
						}
					}
				}
			}
		})
	}
}
