package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/authgen"
)

// journalFile writes generated traffic (OpenSSH 10: sshd and
// sshd-session) as a journal file with systemd-journal-remote, the way
// journald stores it: _COMM, SYSLOG_IDENTIFIER, _PID, _HOSTNAME, MESSAGE
// and the entry's time. It also returns the same entries as
// `journalctl -o json` would print them.
func journalFile(t *testing.T, lines int) (string, []byte) {
	t.Helper()
	remote := "/lib/systemd/systemd-journal-remote"
	_, err1 := os.Stat(remote)
	_, err2 := exec.LookPath("journalctl")
	if err1 != nil || err2 != nil {
		if os.Getenv("BANSCOPE_REQUIRE_JOURNAL") != "" {
			t.Fatalf("systemd-journal-remote or journalctl missing: %v %v", err1, err2)
		}
		t.Skip("systemd-journal-remote and journalctl are needed (apt-get install systemd-journal-remote)")
	}
	var b bytes.Buffer
	cfg := authgen.Default()
	cfg.Lines, cfg.Seed, cfg.Hostile, cfg.OpenSSH = lines, 41, 0.02, authgen.OpenSSH10
	if err := authgen.Generate(&b, cfg); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^(\w+ +\d+ [\d:]+) (\S+) ([^\[: ]+)(?:\[(\d+)\])?: (.*)$`)
	var export, js bytes.Buffer
	for i, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		m := re.FindStringSubmatch(l)
		if m == nil || strings.ContainsAny(m[5], "\n") {
			continue
		}
		ts, _ := time.Parse("2006 Jan _2 15:04:05", "2026 "+m[1])
		us := ts.UnixMicro() + int64(i%1000)
		e := map[string]string{"__REALTIME_TIMESTAMP": fmt.Sprint(us), "__MONOTONIC_TIMESTAMP": fmt.Sprint(1000000 + i),
			"_BOOT_ID": "0123456789abcdef0123456789abcdef", "_HOSTNAME": m[2], "_COMM": m[3], "SYSLOG_IDENTIFIER": m[3], "MESSAGE": m[5]}
		if m[4] != "" {
			e["_PID"] = m[4]
		}
		for _, k := range []string{"__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP", "_BOOT_ID", "_HOSTNAME", "_COMM", "SYSLOG_IDENTIFIER", "_PID", "MESSAGE"} {
			if v, ok := e[k]; ok {
				fmt.Fprintf(&export, "%s=%s\n", k, v)
			}
		}
		export.WriteString("\n")
		if m[3] == "sshd" || m[3] == "sshd-session" { // what the journal match selects
			j, _ := json.Marshal(e)
			js.Write(append(j, '\n'))
		}
	}
	dir := t.TempDir()
	ex := filepath.Join(dir, "export.txt")
	os.WriteFile(ex, export.Bytes(), 0o644)
	j := filepath.Join(dir, "remote.journal")
	if out, err := exec.Command(remote, "-o", j, ex).CombinedOutput(); err != nil {
		t.Fatalf("systemd-journal-remote: %v\n%s", err, out)
	}
	return j, js.Bytes()
}

func replayJSON(t *testing.T, stdin []byte, args ...string) map[string]any {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := Command()
	cmd.Writer, cmd.ErrWriter = &stdout, &stderr
	if stdin != nil {
		r, w, _ := os.Pipe()
		go func() { w.Write(stdin); w.Close() }()
		old := os.Stdin
		os.Stdin = r
		defer func() { os.Stdin = old }()
	}
	if err := cmd.Run(context.Background(), append([]string{"banscope", "replay", "--config", "", "--format", "json", "--geo=false"}, args...)); err != nil {
		t.Fatalf("banscope replay %v: %v\n%s", args, err, stderr.String())
	}
	var res map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// replay --journal-file and --journal-dir read a journal written by
// systemd-journal-remote through journalctl (the release's journal
// match, export format), and give what the same entries give as
// `journalctl -o json` on standard input.
func TestReplayJournalFile(t *testing.T) {
	j, js := journalFile(t, 20000)
	for _, v := range []string{"1.0.2", "1.1.1"} {
		fromFile := replayJSON(t, nil, "--fail2ban", v, "--journal-file", j)
		fromDir := replayJSON(t, nil, "--fail2ban", v, "--journal-dir", filepath.Dir(j))
		jails := func(r map[string]any) string { b, _ := json.Marshal(r["jails"]); return string(b) }
		if jails(fromFile) != jails(fromDir) {
			t.Errorf("fail2ban %s: --journal-file and --journal-dir differ", v)
		}
		sshd := fromFile["jails"].(map[string]any)["sshd"].(map[string]any)
		if v == "1.1.1" {
			fromStdin := replayJSON(t, js, "--fail2ban", v, "-")
			if jails(fromFile) != jails(fromStdin) {
				t.Errorf("fail2ban %s: the journal file gives\n  %s\nits entries as JSON on stdin\n  %s", v, jails(fromFile), jails(fromStdin))
			}
			if sshd["total_failed"].(float64) < 1000 {
				t.Errorf("fail2ban 1.1.1 counted %v failures", sshd["total_failed"])
			}
		} else if sshd["total_failed"].(float64) != 0 {
			// 1.0.2's journal match has no _COMM=sshd-session, and its
			// filter no sshd-session
			t.Errorf("fail2ban 1.0.2 counted %v failures in an OpenSSH 10 journal", sshd["total_failed"])
		}
	}
}
