package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/oracle"
)

// Proof against a running fail2ban: fail2ban-server (Debian, foreground,
// polling backend, no ban action, its socket, pid file, database and log in
// a temporary directory) and `banscope run` follow the same log while this
// test writes attack traffic into it; at each checkpoint banscope's
// currently failed, currently banned, total failed and total banned equal
// `fail2ban-client status sshd`. findtime is long, so that no ticket
// expires and the daemon's cleanup timing cannot make this racy.
// Each release runs: 1.0.2 installed, 1.1.x from their unpacked packages
// (their own Python package first on PYTHONPATH, their own configuration).
func TestRunAgainstFail2banServer(t *testing.T) {
	for _, v := range f2bversion.All() {
		t.Run(v.String(), func(t *testing.T) { runAgainstServer(t, v) })
	}
}

func runAgainstServer(t *testing.T, v f2bversion.Version) {
	root := oracle.Root(t, v)
	env := append(os.Environ(), "PYTHONPATH="+filepath.Join(root, "usr/lib/python3/dist-packages"), "PYTHONDONTWRITEBYTECODE=1")
	py := func(prog string, args ...string) *exec.Cmd {
		cmd := exec.Command("python3", append([]string{filepath.Join(root, "usr/bin", prog)}, args...)...)
		cmd.Env = env
		return cmd
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "auth.log")
	os.WriteFile(log, nil, 0o644)
	conf := confDir(t, v, "[DEFAULT]\naction =\nbackend = polling\n[sshd]\nenabled = true\nbackend = polling\nlogpath = "+log+
		"\nmaxretry = 3\nfindtime = 1d\nbantime = 1h\n")
	os.WriteFile(filepath.Join(conf, "fail2ban.local"), []byte(fmt.Sprintf(
		"[DEFAULT]\nloglevel = INFO\nlogtarget = %s/fail2ban.log\nsocket = %s/f2b.sock\npidfile = %s/f2b.pid\ndbfile = %s/f2b.sqlite3\n",
		dir, dir, dir, dir)), 0o644)
	client := func(args ...string) (string, error) {
		out, err := py("fail2ban-client", append([]string{"-c", conf}, args...)...).CombinedOutput()
		return string(out), err
	}
	srv := py("fail2ban-server", "-f", "-x", "-c", conf)
	srvLog, _ := os.Create(filepath.Join(dir, "server.out"))
	srv.Stdout, srv.Stderr = srvLog, srvLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		client("stop")
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			srv.Process.Signal(syscall.SIGKILL)
			<-done
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := client("ping"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "server.out"))
			t.Fatalf("fail2ban-server did not start:\n%s", b)
		}
		time.Sleep(200 * time.Millisecond)
	}

	out := filepath.Join(dir, "banscope.lp")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		cmd := Command()
		cmd.Writer, cmd.ErrWriter = os.Stderr, os.Stderr
		done <- cmd.Run(ctx, []string{"banscope", "run", "--config", conf, "--jail", "sshd", "--auth-log", log,
			"--fail2ban-log", "", "--listen", "", "--interval", "200ms", "--output", out, "--host", "web1", "--fail2ban", v.String()})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("banscope run: %v", err)
		}
	}()

	statusRe := regexp.MustCompile(`(?m)(Currently failed|Total failed|Currently banned|Total banned):\s+(\d+)`)
	f2b := func() [4]int {
		s, err := client("status", "sshd")
		if err != nil {
			t.Fatalf("fail2ban-client status: %v\n%s", err, s)
		}
		var v [4]int
		for _, m := range statusRe.FindAllStringSubmatch(s, -1) {
			n, _ := strconv.Atoi(m[2])
			switch m[1] {
			case "Currently failed":
				v[0] = n
			case "Total failed":
				v[1] = n
			case "Currently banned":
				v[2] = n
			case "Total banned":
				v[3] = n
			}
		}
		return v
	}
	ours := func() [4]int {
		var v [4]int
		f, err := os.Open(out)
		if err != nil {
			return v
		}
		defer f.Close()
		num := func(line, field string) int {
			m := regexp.MustCompile(`\b` + field + `=(\d+)i`).FindStringSubmatch(line)
			if m == nil {
				return -1
			}
			n, _ := strconv.Atoi(m[1])
			return n
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			l := sc.Text()
			switch {
			case strings.HasPrefix(l, "fail2ban,"):
				v[0], v[2] = num(l, "failed"), num(l, "banned")
			case strings.HasPrefix(l, "banscope_jail,"):
				v[1], v[3] = num(l, "failed_total"), num(l, "banned_total")
			}
		}
		return v
	}
	w, _ := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	defer w.Close()
	pid := 5000
	write := func(format string, args ...any) {
		pid++
		stamp := time.Now().Format("Jan _2 15:04:05")
		fmt.Fprintf(w, "%s web1 sshd[%d]: %s\n", stamp, pid, fmt.Sprintf(format, args...))
	}
	rounds := []func(){
		func() {
			for i := 1; i <= 6; i++ {
				for k := 0; k < i%4; k++ {
					write("Failed password for root from 203.0.113.%d port %d ssh2", i, 40000+k)
				}
			}
		},
		func() {
			for i := 1; i <= 6; i++ {
				write("Invalid user admin%d from 203.0.113.%d port 22", i, i)
				write("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.%d  user=root", i)
				write("Connection closed by authenticating user root 198.51.100.%d port 22 [preauth]", i)
			}
			write("Accepted publickey for alice from 192.0.2.10 port 5555 ssh2: ED25519 SHA256:x")
		},
		func() {
			for i := 7; i <= 12; i++ {
				for k := 0; k < 4; k++ {
					write("Failed password for invalid user test from 2001:db8::%d port %d ssh2", i, k)
				}
			}
			write("Failed password for root from 203.0.113.1 port 1 ssh2") // a banned address fails again
		},
	}
	for r, round := range rounds {
		round()
		var want, got [4]int
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			time.Sleep(time.Second)
			want, got = f2b(), ours()
			if want == got {
				break
			}
		}
		if want != got {
			t.Fatalf("checkpoint %d: fail2ban-client status sshd says failed %d, total failed %d, banned %d, total banned %d; banscope %v",
				r+1, want[0], want[1], want[2], want[3], got)
		}
		t.Logf("checkpoint %d: currently failed %d, total failed %d, currently banned %d, total banned %d — equal", r+1, want[0], want[1], want[2], want[3])
	}

	// A fresh banscope (no state, an empty log) restores from fail2ban's
	// database the bans fail2ban itself would restore.
	banned := f2b()[2]
	dir2 := t.TempDir()
	log2 := filepath.Join(dir2, "auth.log")
	os.WriteFile(log2, nil, 0o644)
	out2 := filepath.Join(dir2, "banscope.lp")
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan error, 1)
	go func() {
		cmd := Command()
		cmd.Writer, cmd.ErrWriter = os.Stderr, os.Stderr
		done2 <- cmd.Run(ctx2, []string{"banscope", "run", "--config", conf, "--jail", "sshd", "--auth-log", log2,
			"--fail2ban-log", "", "--fail2ban-db", filepath.Join(dir, "f2b.sqlite3"), "--listen", "", "--interval", "200ms",
			"--output", out2})
	}()
	time.Sleep(time.Second)
	cancel2()
	if err := <-done2; err != nil {
		t.Fatalf("banscope run --fail2ban-db: %v", err)
	}
	b, _ := os.ReadFile(out2)
	if want := fmt.Sprintf("banned=%di,failed=0i", banned); !strings.Contains(string(b), want) {
		t.Fatalf("restored from fail2ban's database: want %s in\n%s", want, b)
	}
	t.Logf("restored %d bans from fail2ban's database", banned)

	// replay --fail2ban-log on the same logs: every ban the real server
	// logged is one the simulation made, of the same address, and none is
	// one-sided; the failures sshd logged while fail2ban had the address
	// banned (its action here blocks nothing) are the simulation's too.
	var rep bytes.Buffer
	cmd := Command()
	cmd.Writer, cmd.ErrWriter = &rep, os.Stderr
	if err := cmd.Run(context.Background(), []string{"banscope", "replay", "--config", conf, "--jail", "sshd", "--fail2ban", v.String(),
		"--fail2ban-log", filepath.Join(dir, "fail2ban.log"), "--format", "json", log}); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Jails map[string]struct {
			Blocked int64 `json:"failures_blocked"`
		}
		Cmp struct {
			WhileBanned int64 `json:"failures_while_banned"`
			Jails       map[string]struct {
				Observed      int64   `json:"fail2ban_bans"`
				Simulated     int64   `json:"simulated_bans"`
				Matched       int64   `json:"matched"`
				Shifted       int64   `json:"shifted"`
				MaxShift      float64 `json:"matched_max_shift_seconds"`
				OnlyObserved  int64   `json:"only_fail2ban"`
				OnlySimulated int64   `json:"only_simulated"`
			}
		} `json:"fail2ban_log"`
	}
	if err := json.Unmarshal(rep.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	j := res.Cmp.Jails["sshd"]
	if j.Observed == 0 || j.Observed != j.Simulated || j.Matched+j.Shifted != j.Observed || j.OnlyObserved+j.OnlySimulated != 0 {
		t.Fatalf("fail2ban.log beside the replay: %+v", j)
	}
	if res.Cmp.WhileBanned != res.Jails["sshd"].Blocked {
		t.Errorf("failures while banned: %d by fail2ban.log, %d by the simulation", res.Cmp.WhileBanned, res.Jails["sshd"].Blocked)
	}
	t.Logf("replay --fail2ban-log: %d bans on both sides, %d within 5 s (largest shift %gs), %d shifted; %d failures while banned",
		j.Observed, j.Matched, j.MaxShift, j.Shifted, res.Cmp.WhileBanned)
}
