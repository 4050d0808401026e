package main

import (
	"flag"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"banscope": func() { os.Exit(run()) }})
}

var update = flag.Bool("update", false, "rewrite the scripts' expected outputs")

// TestScripts runs the end-to-end scripts in testdata/script, simulating
// fail2ban 1.0.2 whatever the host has installed.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(e *testscript.Env) error {
			e.Setenv("TZ", "UTC")
			e.Setenv("BANSCOPE_FAIL2BAN", "1.0.2")
			return nil
		},
	})
}

// Exit status: 0, 1 for a failure, 2 for a command line banscope does not
// accept.
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	log := dir + "/auth.log"
	if err := os.WriteFile(log, []byte("Nov 27 10:00:01 web1 sshd[1]: Invalid user a from 203.0.113.5 port 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	stdout, stderr, args := os.Stdout, os.Stderr, os.Args
	defer func() { os.Stdout, os.Stderr, os.Args = stdout, stderr, args }()
	os.Stdout, os.Stderr = devnull, devnull
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"version"}, 0},
		{[]string{"check", "--timezone", "UTC", log}, 0},
		{[]string{"check", "--bogus", log}, 2},
		{[]string{"check", "--mode", "paranoid", log}, 2},
		{[]string{"check"}, 2},
		{[]string{"frobnicate"}, 2},
		{[]string{"help", "frobnicate"}, 2},
		{[]string{"replay", "--config", "", "--maxretry", "lots", log}, 2},
		{[]string{"check", dir + "/nosuch.log"}, 1},
	} {
		os.Args = append([]string{"banscope"}, tt.args...)
		if got := run(); got != tt.want {
			t.Errorf("banscope %v: exit %d, want %d", tt.args, got, tt.want)
		}
	}
}
