package source

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// makeJournal writes a journal file with systemd-journal-remote from
// export-format entries.
func makeJournal(t *testing.T, entries []map[string]string) string {
	t.Helper()
	remote := "/lib/systemd/systemd-journal-remote"
	if _, err := os.Stat(remote); err != nil {
		if os.Getenv("BANSCOPE_REQUIRE_JOURNAL") != "" {
			t.Fatal("systemd-journal-remote is not installed")
		}
		t.Skip("systemd-journal-remote is not installed (apt-get install systemd-journal-remote)")
	}
	if _, err := exec.LookPath("journalctl"); err != nil {
		t.Skip("no journalctl")
	}
	dir := t.TempDir()
	var b strings.Builder
	for i, e := range entries {
		fmt.Fprintf(&b, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n", 1795770001000000+i*1000000, 1000000+i)
		for k, v := range e {
			fmt.Fprintf(&b, "%s=%s\n", k, v)
		}
		b.WriteString("\n")
	}
	export := filepath.Join(dir, "export.txt")
	os.WriteFile(export, []byte(b.String()), 0o644)
	j := filepath.Join(dir, "sshd.journal")
	if out, err := exec.Command(remote, "-o", j, export).CombinedOutput(); err != nil {
		t.Fatalf("systemd-journal-remote: %v\n%s", err, out)
	}
	return j
}

func TestFollowJournal(t *testing.T) {
	var entries []map[string]string
	for i := 0; i < 6; i++ {
		entries = append(entries, map[string]string{"_HOSTNAME": "web1", "SYSLOG_IDENTIFIER": "sshd", "_PID": fmt.Sprint(1000 + i),
			"_COMM": "sshd", "_SYSTEMD_UNIT": "ssh.service", "MESSAGE": fmt.Sprintf("Failed password for root from 203.0.113.%d port 22 ssh2", i)})
		if i == 2 {
			entries = append(entries, map[string]string{"_HOSTNAME": "web1", "SYSLOG_IDENTIFIER": "CRON", "_PID": "77", "_COMM": "cron",
				"MESSAGE": "pam_unix(cron:session): session opened for user root"})
		}
	}
	jf := makeJournal(t, entries)
	collect := func(cursor string, n int) []JournalEntry {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var got []JournalEntry
		err := followJournal(ctx, JournalOptions{Args: []string{"--file", jf}, Cursor: cursor, Since: time.Unix(1, 0), Matches: sshdMatches},
			func(e JournalEntry) error {
				got = append(got, e)
				if len(got) == n {
					cancel()
				}
				return nil
			})
		if err != nil && ctx.Err() == nil {
			t.Fatal(err)
		}
		return got
	}
	first := collect("", 3)
	if len(first) != 3 {
		t.Fatalf("%d entries", len(first))
	}
	if want := "web1 sshd[1000]: Failed password for root from 203.0.113.0 port 22 ssh2"; string(first[0].Line) != want {
		t.Errorf("line %q, want %q", first[0].Line, want)
	}
	if first[1].Time != 1795770002000000000 {
		t.Errorf("time %d", first[1].Time)
	}
	// resume after the third: the cron entry is not sshd's, the 4th comes next
	rest := collect(first[2].Cursor, 3)
	if len(rest) != 3 || !strings.Contains(string(rest[0].Line), "203.0.113.3 ") || !strings.Contains(string(rest[2].Line), "203.0.113.5 ") {
		t.Fatalf("resumed entries: %v", rest)
	}
}

func TestJournalLine(t *testing.T) {
	for in, want := range map[string]string{
		`{"__REALTIME_TIMESTAMP":"1","_HOSTNAME":"h","SYSLOG_IDENTIFIER":"sshd","SYSLOG_PID":"0x10","MESSAGE":"a\nb"}`: `h sshd[16]: a\nb`,
		`{"__REALTIME_TIMESTAMP":"1","_COMM":"sshd","_PID":"7","MESSAGE":[70,97,105,108]}`:                             "sshd[7]: Fail",
		`{"__REALTIME_TIMESTAMP":"1","_SOURCE_REALTIME_TIMESTAMP":"2","MESSAGE":["x","y"]}`:                            "x y",
	} {
		e, ok := JournalLine([]byte(in))
		if !ok || string(e.Line) != want {
			t.Errorf("%s: %q, want %q", in, e.Line, want)
		}
	}
	if _, ok := JournalLine([]byte(`{"MESSAGE":"no time"}`)); ok {
		t.Error("an entry without a time was accepted")
	}
}

// sshdMatches select sshd's entries as the sshd filter's journal match does.
var sshdMatches = []string{"_SYSTEMD_UNIT=sshd.service", "+", "_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd", "+", "_COMM=sshd-session"}

// A journal entry that is no JSON object, or one over 16 MiB, is counted,
// said and skipped: the entries after it still come, and journalctl is
// not restarted over it (once, it was restarted forever).
func TestFollowJournalBadEntries(t *testing.T) {
	dir := t.TempDir()
	good := func(i int) string {
		return fmt.Sprintf(`{"__CURSOR":"c%d","__REALTIME_TIMESTAMP":"%d","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"sshd","_PID":"7","MESSAGE":"Failed password for root from 203.0.113.%d port 22 ssh2"}`,
			i, 1795845600000000+i*1000000, i)
	}
	huge := filepath.Join(dir, "huge")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, `{"MESSAGE":"%s"}`+"\n", strings.Repeat("x", 17<<20))
	f.Close()
	runs := filepath.Join(dir, "runs")
	script := filepath.Join(dir, "journalctl")
	os.WriteFile(script, []byte(fmt.Sprintf("#!/bin/sh\necho run >> %s\necho '%s'\ncat %s\necho '{broken'\necho '%s'\nexec sleep 30\n",
		runs, good(1), huge, good(2))), 0o755)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []string
	var notices []string
	err = followJournal(ctx, JournalOptions{Journalctl: script, Notice: func(s string) { notices = append(notices, s) }},
		func(e JournalEntry) error {
			got = append(got, string(e.Line))
			if len(got) == 2 {
				cancel()
			}
			return nil
		})
	if err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !strings.Contains(got[1], "203.0.113.2 ") {
		t.Fatalf("entries %q", got)
	}
	if b, _ := os.ReadFile(runs); strings.Count(string(b), "run") != 1 {
		t.Errorf("journalctl ran %d times", strings.Count(string(b), "run"))
	}
	if len(notices) != 2 || !strings.Contains(notices[1], "2 journal entries could not be read") {
		t.Errorf("notices %q", notices)
	}
}
