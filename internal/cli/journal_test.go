package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/authgen"
	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/filter/sshd"
	"github.com/banscope/banscope/internal/oracle"
	"github.com/banscope/banscope/internal/pipeline"
	"github.com/banscope/banscope/internal/source"
)

// journalFile writes generated traffic (OpenSSH 10: sshd and
// sshd-session) as a journal file with systemd-journal-remote, the way
// journald stores it: _COMM, SYSLOG_IDENTIFIER, _PID, _HOSTNAME, MESSAGE
// and the entry's time. It also returns the same entries as
// `journalctl -o json` would print them.
func journalFile(t *testing.T, lines int) (string, []byte) {
	t.Helper()
	return journalFileAt(t, lines, time.Time{}, authgen.OpenSSH10)
}

// journalFileAt is journalFile with the traffic starting at start (zero:
// authgen's default day) and of OpenSSH generation gen.
func journalFileAt(t *testing.T, lines int, start time.Time, gen authgen.Generation) (string, []byte) {
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
	cfg.Lines, cfg.Seed, cfg.Hostile, cfg.OpenSSH = lines, 41, 0.02, gen
	if !start.IsZero() {
		cfg.Start, cfg.Rate = start.UTC(), 50
	}
	if err := authgen.Generate(&b, cfg); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^(\w+ +\d+ [\d:]+) (\S+) ([^\[: ]+)(?:\[(\d+)\])?: (.*)$`)
	var export, js bytes.Buffer
	for i, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		m := re.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		ts, _ := time.Parse("2006 Jan _2 15:04:05", fmt.Sprint(cfg.Start.Year())+" "+m[1])
		us := ts.UnixMicro() + int64(i%1000)
		e := map[string]string{"__REALTIME_TIMESTAMP": fmt.Sprint(us), "__MONOTONIC_TIMESTAMP": fmt.Sprint(1000000 + i),
			"_BOOT_ID": "0123456789abcdef0123456789abcdef", "_HOSTNAME": m[2], "_COMM": m[3], "SYSLOG_IDENTIFIER": m[3], "MESSAGE": m[5]}
		if m[4] != "" {
			e["_PID"] = m[4]
		}
		// hostile and odd forms: pids formatJournalEntry reads with
		// int(v, 0) or keeps as text, a multi-line message (binary field)
		if i%211 == 5 {
			e["SYSLOG_PID"] = [...]string{"0x1f", "010", " 42 ", "1_000", "abc"}[i/211%5]
		}
		if i%307 == 7 {
			e["MESSAGE"] += "\nInvalid user evil from 198.51.100.66 port 22"
		}
		if i%401 == 9 { // the kernel's entries carry their monotonic time
			e["_COMM"], e["SYSLOG_IDENTIFIER"], e["MESSAGE"] = "sshd", "kernel", "sshd[5]: Failed password for root from 198.51.100.9 port 22 ssh2"
			delete(e, "_PID")
		}
		for _, k := range []string{"__REALTIME_TIMESTAMP", "__MONOTONIC_TIMESTAMP", "_BOOT_ID", "_HOSTNAME", "_COMM", "SYSLOG_IDENTIFIER", "SYSLOG_PID", "_PID", "MESSAGE"} {
			v, ok := e[k]
			switch {
			case !ok:
			case strings.Contains(v, "\n"):
				fmt.Fprintf(&export, "%s\n", k)
				binary.Write(&export, binary.LittleEndian, uint64(len(v)))
				export.WriteString(v + "\n")
			default:
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

// TestJournalAgainstFail2ban: a journal file (systemd-journal-remote) of
// OpenSSH 10 traffic with hostile entries, read by each release's own
// systemd backend (FilterSystemd with python3-systemd, its journalmatch,
// formatJournalEntry, the entry's time; testdata/reference/journal.py)
// and by banscope (journalctl -o export with the same match, the stamped
// pipeline, the sshd filter's journal rules): every entry gets the same
// verdict, failregex, IDs and time, in every mode.
func TestJournalAgainstFail2ban(t *testing.T) {
	for _, gen := range []authgen.Generation{authgen.OpenSSH92, authgen.OpenSSH10} {
		j, _ := journalFileAt(t, 6000, time.Time{}, gen)
		journalAgainstFail2ban(t, j, gen)
	}
}

func journalAgainstFail2ban(t *testing.T, j string, gen authgen.Generation) {
	for _, v := range f2bversion.All() {
		f, err := filter.New(filter.Spec{Name: "sshd"}, filter.Options{Fail2ban: v})
		if err != nil {
			t.Fatal(err)
		}
		match := f.(filter.JournalMatcher).JournalMatch()
		out, err := exec.Command("journalctl", append([]string{"--no-pager", "-o", "export", "--file", j, "--"}, match...)...).Output()
		if err != nil {
			t.Fatal(err)
		}
		for m := sshd.ModeNormal; m <= sshd.ModeAggressive; m++ {
			ref := oracle.Run(t, v, oracle.Script(t, "journal.py"), nil, append([]string{m.String(), j}, match...)...)
			want := strings.Split(strings.TrimSuffix(string(ref), "\n"), "\n")
			got := journalVerdicts(t, v, m, out)
			if len(got) != len(want) || len(want) < 100 {
				t.Fatalf("fail2ban %s %s: %d entries, fail2ban read %d", v, m, len(got), len(want))
			}
			bad, failures := 0, 0
			for k := range want {
				w := want[k]
				if i := nthIndex(w, ' ', 5); i > 0 {
					w = w[:i] // without the line
				}
				if strings.Contains(w, " failure ") {
					failures++
				}
				if got[k] != w {
					if bad < 10 {
						t.Errorf("fail2ban %s %s: entry %s\n  banscope: %s", v, m, want[k], got[k])
					}
					bad++
				}
			}
			t.Logf("OpenSSH generation %d, fail2ban %s %s: %d of %d journal entries agree, %d failures", gen, v, m, len(want)-bad, len(want), failures)
			if (v.AtLeast(f2bversion.V1_1_0) || gen == authgen.OpenSSH92) && failures == 0 {
				t.Errorf("fail2ban %s %s counted nothing", v, m)
			}
		}
	}
}

func nthIndex(s string, c byte, n int) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n--
			if n == 0 {
				return i
			}
		}
	}
	return -1
}

// journalVerdicts reads an export stream as replay does (JournalText,
// the stamped pipeline) and formats each entry's verdict as journal.py.
func journalVerdicts(t *testing.T, v f2bversion.Version, m sshd.Mode, export []byte) []string {
	p := sshd.New(sshd.Options{Mode: m, Options: filter.Options{Location: time.UTC, Reference: time.Now(), CurrentYear: time.Now().Year(),
		LogClock: true, Journal: true, Stamped: true, Fail2ban: v}})
	jt := source.NewJournalText(bufio.NewReader(bytes.NewReader(export)), source.JournalExport)
	rd := &pipeline.Reader{Filters: []filter.Filter{p}, Workers: 2, Stamped: true}
	var out []string
	n := 0
	rd.Run(jt, func(l *pipeline.Line) {
		n++
		ev := p.Finish(l.Text, &l.Pre[0])
		switch ev.Verdict {
		case filter.Failure:
			ids := make([]string, len(ev.IDs))
			for k, id := range ev.IDs {
				ids[k] = id.String()
			}
			out = append(out, fmt.Sprintf("%d failure %d %d %s", n, l.Pre[0].Rule, ev.Time/1000, strings.Join(ids, ",")))
		case filter.Irrelevant:
			out = append(out, fmt.Sprintf("%d irrelevant -1 0 -", n))
		default:
			out = append(out, fmt.Sprintf("%d %s %d 0 -", n, ev.Verdict, l.Pre[0].Rule))
		}
	})
	if jt.Bad != 0 {
		t.Errorf("%d entries unreadable", jt.Bad)
	}
	return out
}

// `run` with a configuration whose sshd jail reads the journal
// (backend = systemd, a journalmatch of its own) follows the journal file
// with that match; its total failed equals the replay of the same journal.
func TestRunJournalBackend(t *testing.T) {
	j, _ := journalFileAt(t, 3000, time.Now().Add(-2*time.Minute), authgen.OpenSSH10)
	dir := t.TempDir()
	conf := confDir(t, f2bversion.V1_1_1, "[DEFAULT]\naction =\n[sshd]\nenabled = true\nbackend = systemd\njournalmatch = _COMM=sshd\nmode = ddos\nmaxretry = 3\nfindtime = 1h\nbantime = 1h\n")
	want := replayJSON(t, nil, "--config", conf, "--fail2ban", "1.1.1", "--journal-file", j)["jails"].(map[string]any)["sshd"].(map[string]any)["total_failed"].(float64)
	all := replayJSON(t, nil, "--config", "", "--mode", "ddos", "--fail2ban", "1.1.1", "--journal-file", j)["jails"].(map[string]any)["sshd"].(map[string]any)["total_failed"].(float64)
	if want == 0 || want >= all {
		t.Fatalf("the jail's journalmatch (the listener's entries only) gives %v failures, the release's %v: the match made no difference", want, all)
	}
	out := filepath.Join(dir, "run.lp")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		cmd := Command()
		cmd.Writer, cmd.ErrWriter = io.Discard, &stderr
		done <- cmd.Run(ctx, []string{"banscope", "run", "--config", conf, "--fail2ban", "1.1.1", "--journal-file", j, "--fail2ban-log", "",
			"--listen", "", "--interval", "200ms", "--output", out, "--host", "web1", "--state", filepath.Join(dir, "state.json")})
	}()
	re := regexp.MustCompile(`banscope_jail,host=web1,jail=sshd .*failed_total=(\d+)i`)
	deadline := time.Now().Add(60 * time.Second)
	got := -1.0
	for time.Now().Before(deadline) && got != want {
		time.Sleep(200 * time.Millisecond)
		b, _ := os.ReadFile(out)
		if m := re.FindAllSubmatch(b, -1); len(m) > 0 {
			got, _ = strconv.ParseFloat(string(m[len(m)-1][1]), 64)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if got != want {
		t.Errorf("run counted %v failures, the replay %v\n%s", got, want, stderr.String())
	}
	if !strings.Contains(stderr.String(), "journalctl") && !strings.Contains(stderr.String(), "journal") {
		t.Errorf("the start-up notices do not say the journal is followed:\n%s", stderr.String())
	}
}

// The same journal file replayed by each release's own systemd backend
// (testdata/reference/jail.py journal: the jail's FilterSystemd with its
// journalmatch, Actions, BanManager) and by `banscope replay
// --journal-file`: the same bans, unbans and final status.
func TestJournalBansAgainstFail2ban(t *testing.T) {
	j, _ := journalFile(t, 20000)
	for _, v := range f2bversion.All() {
		for _, mode := range []string{"normal", "aggressive"} {
			local := "[DEFAULT]\naction =\n[sshd]\nenabled = true\nbackend = systemd[journalfiles=" + j + "]\nmode = " + mode +
				"\nmaxretry = 3\nfindtime = 30m\nbantime = 20m\n"
			if v.AtLeast(f2bversion.V1_1_0) {
				local += "journalmatch = _SYSTEMD_UNIT=ssh.service + _COMM=sshd + _COMM=sshd-session\n"
			}
			dir := confDir(t, v, local)
			out := oracle.Run(t, v, oracle.Script(t, "jail.py"), nil, dir, "sshd", j, fmt.Sprint(refTime.Unix()), "journal")
			var want []string
			for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := strings.Fields(l)
				if len(f) == 3 && (f[0] == "ban" || f[0] == "unban") {
					us, _ := strconv.ParseInt(f[2], 10, 64)
					l = f[0] + " " + f[1] + " " + time.UnixMicro(us).UTC().Format(time.RFC3339Nano)
				}
				want = append(want, l)
			}
			got := runBanscope(t, v, dir, "", "--journal-file", j)
			compareEvents(t, fmt.Sprintf("%s %s journal", v, mode), want, got)
			if v.AtLeast(f2bversion.V1_1_0) && !strings.HasPrefix(strings.Join(want, "\n"), "ban ") {
				t.Errorf("fail2ban %s %s banned nothing from the journal", v, mode)
			}
		}
	}
}
