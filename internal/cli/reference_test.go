package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/authgen"
)

// The jail differential test: real fail2ban's Filter, FailManager,
// Actions and BanManager (Debian package, driven by
// testdata/reference/jail.py under the replay time model) and
// `banscope replay` read the same generated traffic with the same
// configuration files; the ban and unban sequences and the final status
// must be identical.

func needFail2ban(t *testing.T) {
	t.Helper()
	_, errPy := exec.LookPath("python3")
	_, errConf := os.Stat("/etc/fail2ban/jail.conf")
	if errPy == nil && errConf == nil {
		return
	}
	if os.Getenv("BANSCOPE_REQUIRE_FAIL2BAN") != "" {
		t.Fatalf("fail2ban reference not available (python3: %v, config: %v)", errPy, errConf)
	}
	t.Skip("fail2ban is not installed; set BANSCOPE_REQUIRE_FAIL2BAN=1 to make this an error")
}

// confDir copies Debian's /etc/fail2ban and adds a jail.local.
func confDir(t *testing.T, jailLocal string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", "/etc/fail2ban/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("copy configuration: %v\n%s", err, out)
	}
	// Only Debian's stock jail settings plus ours.
	os.RemoveAll(filepath.Join(dir, "jail.local"))
	if err := os.WriteFile(filepath.Join(dir, "jail.local"), []byte(jailLocal), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

var refTime = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func runReference(t *testing.T, conf, log string) []string {
	t.Helper()
	script, _ := filepath.Abs("../../testdata/reference/jail.py")
	cmd := exec.Command("python3", script, conf, "sshd", log, fmt.Sprint(refTime.Unix()))
	cmd.Env = append(os.Environ(), "TZ=UTC")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fail2ban reference: %v\n%s", err, stderr.String())
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && (f[0] == "ban" || f[0] == "unban") {
			us, _ := strconv.ParseInt(f[2], 10, 64)
			l = f[0] + " " + f[1] + " " + time.UnixMicro(us).UTC().Format(time.RFC3339Nano)
		}
		lines = append(lines, l)
	}
	return lines
}

func runBanscope(t *testing.T, conf, log string, extra ...string) []string {
	t.Helper()
	dir := t.TempDir()
	events := filepath.Join(dir, "events.jsonl")
	var stdout, stderr bytes.Buffer
	cmd := Command()
	cmd.Writer, cmd.ErrWriter = &stdout, &stderr
	args := append([]string{"banscope", "replay", "--config", conf, "--jail", "sshd", "--timezone", "UTC",
		"--format", "json", "--events", events}, extra...)
	if err := cmd.Run(context.Background(), append(args, log)); err != nil {
		t.Fatalf("banscope replay: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(events)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var e struct{ Event, Jail, IP, Time string }
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("event %q: %v", l, err)
		}
		lines = append(lines, e.Event+" "+e.IP+" "+e.Time)
	}
	var res struct {
		Jails map[string]struct {
			TotalFailed     int64    `json:"total_failed"`
			CurrentlyFailed int      `json:"currently_failed"`
			TotalBanned     int64    `json:"total_banned"`
			CurrentlyBanned int      `json:"currently_banned"`
			BannedIPs       []string `json:"banned_ips"`
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout.String())
	}
	j := res.Jails["sshd"]
	ips := append([]string(nil), j.BannedIPs...)
	sort.Strings(ips)
	list := strings.Join(ips, ",")
	if list == "" {
		list = "-"
	}
	return append(lines, fmt.Sprintf("status %d %d %d %d %s", j.CurrentlyFailed, j.TotalFailed, j.CurrentlyBanned, j.TotalBanned, list))
}

func TestReplayAgainstFail2ban(t *testing.T) {
	needFail2ban(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "auth.log")
	var b bytes.Buffer
	cfg := authgen.Default()
	cfg.Lines, cfg.Seed, cfg.Style, cfg.Hostile, cfg.Rate = 100000, 11, authgen.Mixed, 0.03, 5
	if err := authgen.Generate(&b, cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(log, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Year-less stamps take their year from the file's modification time.
	if err := os.Chtimes(log, refTime, refTime); err != nil {
		t.Fatal(err)
	}
	head := "[DEFAULT]\naction =\nbackend = polling\n[sshd]\nenabled = true\nlogpath = " + log + "\n"
	configs := []struct{ name, local string }{
		{"debian-defaults", head},
		{"maxretry3-findtime1d-bantime3d", head + "maxretry = 3\nfindtime = 1d\nbantime = 3d\n"},
		{"permanent", head + "maxretry = 3\nbantime = -1\n"},
		{"ignoreip", head + "ignoreip = 10.0.0.0/8 2001:db8:8000::/33, 100.0.0.0/255.0.0.0\n  localhost 192.0.2.1\n"},
		{"short-bans", head + "maxretry = 2\nfindtime = 5m\nbantime = 1m\n"},
		{"aggressive", head + "mode = aggressive\nmaxretry = 4\nfindtime = 30m\nbantime = 20m\n"},
		{"bantime.increment", head + "maxretry = 3\nfindtime = 30m\nbantime = 10m\nbantime.increment = true\nbantime.maxtime = 1d\n"},
		{"bantime.multipliers", head + "maxretry = 3\nfindtime = 1h\nbantime = 5m\nbantime.increment = true\nbantime.factor = 2\nbantime.multipliers = 1 2 4 8 16\nbantime.overalljails = true\n"},
	}
	refs := make([][]string, len(configs))
	dirs := make([]string, len(configs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, c := range configs {
		dirs[i] = confDir(t, c.local)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			refs[i] = runReference(t, dirs[i], log)
		}()
	}
	wg.Wait()
	for i, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			want := refs[i]
			got := runBanscope(t, dirs[i], log)
			bans := 0
			for _, l := range want {
				if strings.HasPrefix(l, "ban ") {
					bans++
				}
			}
			n := len(want)
			if len(got) < n {
				n = len(got)
			}
			bad := 0
			for k := 0; k < n; k++ {
				if got[k] != want[k] {
					if bad < 10 {
						t.Errorf("event %d:\n  fail2ban: %s\n  banscope: %s", k, want[k], got[k])
					}
					bad++
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d events and status lines, fail2ban has %d", len(got), len(want))
			}
			st := strings.Fields(want[len(want)-1])
			t.Logf("%s: %d bans, %d events compared, %d differ; fail2ban's final status: currently failed %s, total failed %s, currently banned %s, total banned %s",
				c.name, bans, len(want), bad, st[1], st[2], st[3], st[4])
		})
	}
}
