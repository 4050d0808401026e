package live

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/rotatetest"
)

// The sidecar as a black box, in the spirit of fail2ban's own numbers: 12
// attackers × maxretry (5) failures, spread over six generations of the
// log, rotated by each logrotate configuration, with a SIGKILL restart, a
// SIGTERM restart and the sidecar stopped (SIGSTOP) across two rotations.
// Every line counted once: the last point says banned=12, failed=0 — a
// lost line leaves an attacker unbanned with an open ticket, a line
// counted twice bans an attacker before its fifth failure.
func TestRunLogrotateMatrix(t *testing.T) {
	modes := map[string]rotatetest.Options{
		"rename":                         {},
		"copytruncate":                   {CopyTruncate: true},
		"rename-compress-gz":             {Compress: ".gz"},
		"rename-delaycompress-gz":        {Compress: ".gz", Delay: true},
		"copytruncate-compress-xz":       {CopyTruncate: true, Compress: ".xz"},
		"copytruncate-delaycompress-zst": {CopyTruncate: true, Compress: ".zst", Delay: true},
		"dateext-rename-bz2":             {DateExt: true, Compress: ".bz2"},
		"dateext-copytruncate-delay-gz":  {DateExt: true, CopyTruncate: true, Compress: ".gz", Delay: true},
	}
	for name, o := range modes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			logrotateRun(t, o)
		})
	}
}

func logrotateRun(t *testing.T, o rotatetest.Options) {
	dir := t.TempDir()
	auth := filepath.Join(dir, "auth.log")
	rot := &rotatetest.Rotator{Path: auth, Options: o}
	const attackers, maxretry, steps = 12, 5, 6
	write := func(step int) {
		f, err := os.OpenFile(auth, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		now := time.Now().UTC().Format("Jan _2 15:04:05")
		for i := 0; i < attackers; i++ {
			for j := 0; j < maxretry; j++ {
				if (i*maxretry+j)%steps == step {
					fmt.Fprintf(f, "%s web1 sshd[%d]: Failed password for root from 198.51.100.%d port %d ssh2\n", now, 5000+i*10+j, 10+i, 40000+j)
				}
			}
		}
	}
	rotate := func() {
		if err := rot.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	var stderr syncBuf
	var cmd *exec.Cmd
	var exited chan error
	start := func() {
		os.Remove(filepath.Join(dir, "addr"))
		cmd = exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "BANSCOPE_SIDECAR_CHILD="+dir)
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited = make(chan error, 1)
		go func(c *exec.Cmd, ch chan error) { ch <- c.Wait() }(cmd, exited)
		// running once it listens
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(filepath.Join(dir, "addr")); err == nil {
				return
			}
		}
		t.Fatalf("the sidecar did not start:\n%s", stderr.String())
	}
	stop := func(sig syscall.Signal) {
		cmd.Process.Signal(sig)
		err := <-exited
		if sig == syscall.SIGTERM && err != nil {
			t.Fatalf("SIGTERM: %v\n%s", err, stderr.String())
		}
	}
	settle := func() { time.Sleep(400 * time.Millisecond) }
	defer func() {
		if cmd != nil && cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGCONT)
			cmd.Process.Kill()
			<-exited
		}
	}()
	start()
	write(0)
	settle()
	rotate()
	write(1)
	settle()
	stop(syscall.SIGKILL) // at any moment: the state of the last interval
	rotate()
	write(2)
	start()
	settle()
	cmd.Process.Signal(syscall.SIGSTOP) // stopped across two rotations
	waitStopped(t, cmd.Process.Pid)
	rotate()
	write(3)
	time.Sleep(50 * time.Millisecond)
	rotate()
	write(4)
	cmd.Process.Signal(syscall.SIGCONT)
	settle()
	stop(syscall.SIGTERM)
	rotate()
	write(5)
	start()
	want := fmt.Sprintf("banned=%di,failed=0i", attackers)
	last := awaitPoint(dir, want)
	stop(syscall.SIGTERM)
	if !strings.Contains(last, want) {
		ents, _ := os.ReadDir(dir)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("last point %q, want %s; files %v\n%s", last, want, names, stderr.String())
	}
}

// A steady writer (~100 lines/s, reopening the path at once after each
// rotation, as rsyslog does after its HUP) and six rotations, no restart:
// 60 attackers × maxretry lines end as banned=60, failed=0.
func TestRunSteadyRotations(t *testing.T) {
	for name, o := range map[string]rotatetest.Options{"rename": {}, "copytruncate": {CopyTruncate: true}, "rename-compress-gz": {Compress: ".gz"}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			auth := filepath.Join(dir, "auth.log")
			os.WriteFile(auth, nil, 0o644)
			rot := &rotatetest.Rotator{Path: auth, Options: o}
			var stderr syncBuf
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "BANSCOPE_SIDECAR_CHILD="+dir)
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if _, err := os.Stat(filepath.Join(dir, "addr")); err == nil {
					break
				}
			}
			const attackers, maxretry = 60, 5
			n := 0
			for i := 0; i < attackers*maxretry; i++ {
				a := i % attackers // each attacker's failures spread over the whole run
				f, err := os.OpenFile(auth, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(f, "%s web1 sshd[%d]: Failed password for root from 198.51.100.%d port %d ssh2\n",
					time.Now().UTC().Format("Jan _2 15:04:05"), 6000+i, 10+a, 40000+i)
				f.Close()
				time.Sleep(10 * time.Millisecond)
				if i%50 == 49 && n < 6 {
					if err := rot.Rotate(); err != nil {
						t.Fatal(err)
					}
					n++
				}
			}
			want := fmt.Sprintf("banned=%di,failed=0i", attackers)
			last := awaitPoint(dir, want)
			cmd.Process.Signal(syscall.SIGTERM)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("sidecar: %v\n%s", err, stderr.String())
			}
			if !strings.Contains(last, want) {
				t.Fatalf("after %d rotations the last point is %q, want %s\n%s", n, last, want, stderr.String())
			}
		})
	}
}

// waitStopped waits until the process is stopped (state T): a signal is
// delivered when its threads next run, and a rotation made before that
// would be one the process saw running.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		// pid (comm) state ...: the state follows the last ')'
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && b[i+2] == 'T' {
			return
		}
	}
	t.Fatalf("process %d did not stop", pid)
}

// awaitPoint returns the sidecar's last fail2ban point in dir/out once it
// holds want, or the last one after 30 s.
func awaitPoint(dir, want string) string {
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(dir, "out"))
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "fail2ban,") {
				last = l
			}
		}
		if strings.Contains(last, want) {
			break
		}
	}
	return last
}
