package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/jailsim"
	ucli "github.com/urfave/cli/v3"
)

// `run` follows what the simulated fail2ban would read for the sshd jail.
func TestChooseSource(t *testing.T) {
	jail := func(backend, match string, logpath ...string) []jailsim.JailSpec {
		j := jailsim.NewJailSpec("sshd", "sshd")
		j.Backend, j.JournalMatch, j.LogPath = backend, match, logpath
		j.Origin["backend"] = "jail.d/defaults-debian.conf:6"
		return []jailsim.JailSpec{j}
	}
	exists := func(p string) bool { return p == "/var/log/auth.log" }
	tests := []struct {
		name    string
		args    []string
		specs   []jailsim.JailSpec
		v       f2bversion.Version
		journal bool
		file    string
		match   string
		why     string
	}{
		{"debian trixie's sshd jail", nil, jail("systemd", "_SYSTEMD_UNIT=ssh.service + _COMM=sshd"), f2bversion.V1_1_0, true, "", "_SYSTEMD_UNIT=ssh.service + _COMM=sshd", "backend = systemd, jail.d/defaults-debian.conf:6"},
		{"systemd with options, the filter's match", nil, jail("systemd[journalflags=1]", ""), f2bversion.V1_1_1, true, "", "", "backend = systemd[journalflags=1]"},
		{"auto, the log exists", nil, jail("auto", "", "/var/log/auth.log"), f2bversion.V1_1_1, false, "/var/log/auth.log", "", "jail sshd: logpath"},
		{"auto, no log: 1.1.1 reads the journal", nil, jail("auto", "", "/var/log/secure"), f2bversion.V1_1_1, true, "", "", "/var/log/secure does not exist"},
		{"auto, no log: 1.1.0 waits for it", nil, jail("auto", "", "/var/log/secure"), f2bversion.V1_1_0, false, "/var/log/secure", "", "logpath"},
		{"polling, logpath with tail", nil, jail("polling", "", "/var/log/x.log tail"), f2bversion.V1_1_1, false, "/var/log/x.log", "", "logpath"},
		{"--auth-log decides", []string{"--auth-log", "/tmp/a.log"}, jail("systemd", ""), f2bversion.V1_1_1, false, "/tmp/a.log", "", "--auth-log"},
		{"--journal decides", []string{"--journal"}, jail("polling", "", "/var/log/auth.log"), f2bversion.V1_0_2, true, "", "", "--journal"},
		{"no sshd jail", nil, nil, f2bversion.V1_1_1, false, "/var/log/auth.log", "", "the default"},
	}
	for _, tt := range tests {
		var got runSource
		cmd := &ucli.Command{Name: "x", Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "auth-log", Value: "/var/log/auth.log"}, &ucli.BoolFlag{Name: "journal"}, &ucli.StringFlag{Name: "journal-file"}},
			Action: func(ctx context.Context, c *ucli.Command) error {
				got = chooseSource(c, tt.specs, tt.v, exists)
				return nil
			}}
		if err := cmd.Run(context.Background(), append([]string{"x"}, tt.args...)); err != nil {
			t.Fatal(err)
		}
		if got.journal != tt.journal || (!tt.journal && got.authLog != tt.file) || strings.Join(got.match, " ") != tt.match || !strings.Contains(got.why, tt.why) {
			t.Errorf("%s: %+v", tt.name, got)
		}
	}
}
