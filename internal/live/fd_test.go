package live

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/jailsim"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv("BANSCOPE_SIDECAR_CHILD"); dir != "" {
		os.Exit(sidecarChild(dir))
	}
	os.Exit(m.Run())
}

// sidecarChild runs a sidecar on dir/auth.log, writing its points to
// dir/out and its /metrics address to dir/addr, until SIGTERM.
func sidecarChild(dir string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer out.Close()
	ready := make(chan string, 1)
	go func() {
		addr := <-ready
		os.WriteFile(filepath.Join(dir, "addr.tmp"), []byte(addr), 0o644)
		os.Rename(filepath.Join(dir, "addr.tmp"), filepath.Join(dir, "addr"))
	}()
	err = Run(ctx, Config{AuthLog: filepath.Join(dir, "auth.log"), State: filepath.Join(dir, "state.json"), Interval: 50 * time.Millisecond,
		Host: "web1", Location: time.UTC, Out: out, Quiet: 100 * time.Millisecond, Listen: "127.0.0.1:0", Ready: ready,
		Notice: func(m string) { fmt.Fprintln(os.Stderr, "notice:", m) },
		Jails:  []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 5, FindTime: 3600, BanTime: 3600}, Filter: filter.Spec{Name: "sshd"}}}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		return 1
	}
	return 0
}

// 1,100 idle connections to /metrics, with the sidecar allowed 128 file
// descriptors (prlimit), stop neither it, the following nor the state
// saves: a rotation while they are open is followed, the bans are
// counted, no open fails for want of a descriptor, and /metrics answers
// once they are gone. The connections wait in the kernel's queue
// beyond maxConns instead of taking the descriptors the log needs.
func TestIdleConnectionsTakeNoDescriptors(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 1400 {
		t.Fatalf("the test opens 1,100 connections itself; its descriptor limit is %d (%v)", lim.Cur, err)
	}
	dir := t.TempDir()
	auth := filepath.Join(dir, "auth.log")
	appendFailures(t, auth, "203.0.113.60", 1)
	cmd := exec.Command("prlimit", "--nofile=128:128", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BANSCOPE_SIDECAR_CHILD="+dir)
	var stderr syncBuf
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	}()
	var addr string
	deadline := time.Now().Add(30 * time.Second)
	for addr == "" && time.Now().Before(deadline) {
		b, _ := os.ReadFile(filepath.Join(dir, "addr"))
		addr = string(b)
		time.Sleep(20 * time.Millisecond)
	}
	if addr == "" {
		t.Fatalf("the sidecar did not listen:\n%s", stderr.String())
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 1100; i++ {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	time.Sleep(300 * time.Millisecond)
	// a rotation while they are open: the new file must be opened
	for _, ip := range []string{"203.0.113.61", "203.0.113.62"} {
		appendFailures(t, auth, ip, 5)
	}
	if err := os.Rename(auth, auth+".1"); err != nil {
		t.Fatal(err)
	}
	appendFailures(t, auth, "203.0.113.63", 5)
	var out string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(dir, "out"))
		out = string(b)
		if strings.Contains(out, "banned=3i,failed=1i") {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the sidecar exited with 1,100 idle connections open: %v\n%s", err, stderr.String())
		default:
		}
	}
	if !strings.Contains(out, "banned=3i,failed=1i") {
		t.Fatalf("the bans after the rotation were not counted:\n%s\n%s", lastLines(out, 3), stderr.String())
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("/metrics after the idle connections closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	if strings.Contains(stderr.String(), "too many open files") {
		// the state saves and the log's opens failed: the connections took
		// the descriptors
		t.Errorf("the sidecar ran out of descriptors:\n%s", stderr.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil {
		t.Fatalf("sidecar: %v\n%s", err, stderr.String())
	}
	exited <- nil
	if _, err := os.Stat(filepath.Join(dir, "state.json.tmp")); err == nil {
		t.Error("state.json.tmp left behind")
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
