package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
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
	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/oracle"
	"github.com/banscope/banscope/internal/sshlab"
)

// The jail differential test: real fail2ban's Filter, FailManager,
// Actions and BanManager (Debian package, driven by
// testdata/reference/jail.py under the replay time model) and
// `banscope replay` read the same generated traffic with the same
// configuration files; the ban and unban sequences and the final status
// must be identical.

// confDir copies release v's etc/fail2ban and adds a jail.local.
func confDir(t *testing.T, v f2bversion.Version, jailLocal string) string {
	t.Helper()
	root := oracle.Root(t, v)
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join(root, "etc/fail2ban")+"/.", dir).CombinedOutput(); err != nil {
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

func runReference(t *testing.T, v f2bversion.Version, conf, log string) []string {
	t.Helper()
	out := oracle.Run(t, v, oracle.Script(t, "jail.py"), nil, conf, "sshd", log, fmt.Sprint(refTime.Unix()))
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

func runBanscope(t *testing.T, v f2bversion.Version, conf, log string, extra ...string) []string {
	t.Helper()
	dir := t.TempDir()
	events := filepath.Join(dir, "events.jsonl")
	var stdout, stderr bytes.Buffer
	cmd := Command()
	cmd.Writer, cmd.ErrWriter = &stdout, &stderr
	args := append([]string{"banscope", "replay", "--config", conf, "--jail", "sshd", "--timezone", "UTC",
		"--format", "json", "--events", events, "--fail2ban", v.String()}, extra...)
	if log != "" {
		args = append(args, log)
	}
	if err := cmd.Run(context.Background(), args); err != nil {
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

// TestReplayAgainstFail2ban replays generated traffic under several jail
// configurations with each real fail2ban release: every configuration
// with 1.0.2, and with 1.1.0 and 1.1.1 the ones that exercise what
// differs between them (the filter's modes, ignoreip's file: entries;
// server/failmanager.py, banmanager.py and the ban arithmetic of
// actions.py are the same in the three releases).
func TestReplayAgainstFail2ban(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "auth.log")
	var b bytes.Buffer
	cfg := authgen.Default()
	cfg.Lines, cfg.Seed, cfg.Style, cfg.Hostile, cfg.Rate = 50000, 11, authgen.Mixed, 0.03, 5
	if err := authgen.Generate(&b, cfg); err != nil {
		t.Fatal(err)
	}
	writeLog(t, log, b.Bytes())
	head := "[DEFAULT]\naction =\nbackend = polling\n[sshd]\nenabled = true\nbackend = polling\nlogpath = " + log + "\n"
	// fail2ban 1.1.1 reads ignoreip's file: entries; 1.0.2 and 1.1.0 take
	// them for a host name.
	ignoreFile := filepath.Join(dir, "ignore.txt")
	if err := os.WriteFile(ignoreFile, []byte("# half the attackers\n0.0.0.0/2, 128.0.0.0/3 # and one more\n203.0.113.0/24 not-an-address\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	configs := []struct {
		name, local string
		all         bool // compared with every release, not only 1.0.2
	}{
		{"debian-defaults", head, true},
		{"maxretry3-findtime1d-bantime3d", head + "maxretry = 3\nfindtime = 1d\nbantime = 3d\n", false},
		{"permanent", head + "maxretry = 3\nbantime = -1\n", false},
		{"ignoreip", head + "ignoreip = 10.0.0.0/8 2001:db8:8000::/33, 100.0.0.0/255.0.0.0\n  localhost 192.0.2.1\n", false},
		{"ignoreip-file", head + "ignoreip = 127.0.0.1/8 file:" + ignoreFile + "\n", true},
		{"short-bans", head + "maxretry = 2\nfindtime = 5m\nbantime = 1m\n", false},
		{"aggressive", head + "mode = aggressive\nmaxretry = 4\nfindtime = 30m\nbantime = 20m\n", true},
		{"ddos", head + "mode = ddos\nmaxretry = 3\nfindtime = 20m\nbantime = 30m\n", true},
		{"extra", head + "mode = extra\nmaxretry = 4\nfindtime = 1h\nbantime = 10m\n", true},
		{"bantime.increment", head + "maxretry = 3\nfindtime = 30m\nbantime = 10m\nbantime.increment = true\nbantime.maxtime = 1d\n", false},
		{"bantime.multipliers", head + "maxretry = 3\nfindtime = 1h\nbantime = 5m\nbantime.increment = true\nbantime.factor = 2\nbantime.multipliers = 1 2 4 8 16\nbantime.overalljails = true\n", false},
	}
	type job struct {
		v    f2bversion.Version
		name string
		dir  string
	}
	var jobs []job
	for _, v := range f2bversion.All() {
		for _, c := range configs {
			if c.all || v == f2bversion.V1_0_2 {
				jobs = append(jobs, job{v, c.name, confDir(t, v, c.local)})
			}
		}
	}
	refs := make([][]string, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			refs[i] = runReference(t, j.v, j.dir, log)
		}()
	}
	wg.Wait()
	for i, j := range jobs {
		t.Run(j.v.String()+"/"+j.name, func(t *testing.T) {
			compareEvents(t, j.v.String()+" "+j.name, refs[i], runBanscope(t, j.v, j.dir, log))
		})
	}
}

func writeLog(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// Year-less stamps take their year from the file's modification time.
	if err := os.Chtimes(path, refTime, refTime); err != nil {
		t.Fatal(err)
	}
}

// compareEvents requires banscope's ban and unban sequence and final
// status to be fail2ban's.
func compareEvents(t *testing.T, name string, want, got []string) {
	t.Helper()
	bans := 0
	for _, l := range want {
		if strings.HasPrefix(l, "ban ") {
			bans++
		}
	}
	n := min(len(got), len(want))
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
	if len(want) == 0 {
		return
	}
	st := strings.Fields(want[len(want)-1])
	t.Logf("fail2ban %s: %d bans, %d events compared, %d differ; fail2ban's final status: currently failed %s, total failed %s, currently banned %s, total banned %s",
		name, bans, len(want), bad, st[1], st[2], st[3], st[4])
}

// TestIgnoreSelfAgainstFail2ban: failures from every address of this
// host's interfaces, from localhost and from an outside address. fail2ban
// 1.0.2 ignores only what localhost and the host name resolve to; 1.1.x
// also every interface address (server/ipdns.py: getNetIntrfIPs). Both
// read the real host, as banscope does.
func TestIgnoreSelfAgainstFail2ban(t *testing.T) {
	addrs := interfaceAddrs()
	if len(addrs) == 0 {
		t.Fatal("no interface addresses")
	}
	var b strings.Builder
	sec := 0
	for _, a := range append(addrs, netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("203.0.113.200")) {
		for k := 0; k < 6; k++ {
			sec++
			fmt.Fprintf(&b, "Nov 28 10:%02d:%02d vm sshd[%d]: Failed password for root from %s port %d ssh2\n", sec/60, sec%60, 1000+sec, a, 40000+sec)
		}
	}
	log := filepath.Join(t.TempDir(), "auth.log")
	writeLog(t, log, []byte(b.String()))
	head := "[DEFAULT]\naction =\nbackend = polling\n[sshd]\nenabled = true\nbackend = polling\nlogpath = " + log + "\n"
	banned := map[f2bversion.Version]int{}
	for _, v := range f2bversion.All() {
		t.Run(v.String(), func(t *testing.T) {
			dir := confDir(t, v, head)
			want := runReference(t, v, dir, log)
			compareEvents(t, v.String()+" ignoreself", want, runBanscope(t, v, dir, log))
			banned[v] = strings.Count(strings.Join(want, "\n"), "ban ")
		})
	}
	if banned[f2bversion.V1_0_2] <= banned[f2bversion.V1_1_1] {
		t.Errorf("fail2ban 1.0.2 banned %d, 1.1.1 %d: the interface addresses made no difference", banned[f2bversion.V1_0_2], banned[f2bversion.V1_1_1])
	}
}

// TestRealServersBans: the logs of real OpenSSH 9.2 and 10.0 servers
// under attack (internal/sshlab), replayed by each real fail2ban release
// and by banscope: the same bans, unbans and final status. ignoreself is
// off: every attacker is a loopback address.
func TestRealServersBans(t *testing.T) {
	for _, r := range sshlab.Releases {
		t.Run("openssh-"+r.Name, func(t *testing.T) {
			logs := sshlab.Run(t, r)
			for _, log := range []string{logs.Traditional, logs.RFC3339} {
				// both read year-less stamps against the same reference
				if err := os.Chtimes(log, refTime, refTime); err != nil {
					t.Fatal(err)
				}
				for _, v := range f2bversion.All() {
					for _, mode := range []string{"normal", "aggressive"} {
						local := "[DEFAULT]\naction =\n[sshd]\nenabled = true\nbackend = polling\nignoreself = false\nmaxretry = 3\nfindtime = 1h\nbantime = 1h\nmode = " + mode + "\nlogpath = " + log + "\n"
						dir := confDir(t, v, local)
						name := fmt.Sprintf("OpenSSH %s %s, fail2ban %s %s", r.Name, filepath.Base(log), v, mode)
						want := runReference(t, v, dir, log)
						compareEvents(t, name, want, runBanscope(t, v, dir, log))
						if v.AtLeast(f2bversion.V1_1_0) || !r.Session {
							if !strings.HasPrefix(strings.Join(want, "\n"), "ban ") {
								t.Errorf("%s: fail2ban banned nothing", name)
							}
						}
					}
				}
			}
		})
	}
}
