// Package sshlab runs real OpenSSH servers under attack, for the tests:
// Debian bookworm's OpenSSH 9.2 and bookworm-backports' 10.0 (unpacked by
// scripts/fetch-debs, never installed) listen on 127.0.0.1 ports of their
// own and log through a private rsyslogd (its own configuration and
// socket) in the traditional and the RFC 3339 file formats, while real
// ssh clients and raw connections attack them for a few seconds.
//
// It touches nothing outside its temporary directory: sshd runs as
// nobody (no account of its own; as non-root it needs no privilege
// separation user) in a private mount namespace whose /dev is a tmpfs
// holding the host's device nodes and /dev/log pointing at the private
// socket, so the host's /dev/log is never used or created. Every process
// it starts is stopped before Run returns.
//
// It is for tests only and knows nothing of banscope (internal/oracle
// says where scripts/fetch-debs unpacked the packages).
package sshlab

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/oracle"
)

// Release is an OpenSSH server package.
type Release struct {
	Name string // "9.2", "10.0"
	// Spec is the Debian package scripts/fetch-debs unpacks.
	Spec string
	// Session: per-connection lines come from sshd-session (>= 9.8).
	Session bool
}

var (
	OpenSSH92 = Release{Name: "9.2", Spec: "openssh-server=1:9.2p1-2+deb12u10"}
	OpenSSH10 = Release{Name: "10.0", Spec: "openssh-server=1:10.0p1-7~bpo12+1", Session: true}
	// Rsyslog is the private syslog daemon's package.
	Rsyslog = "rsyslog=8.2302.0-1+deb12u1"
)

// Releases are the servers the tests attack.
var Releases = []Release{OpenSSH92, OpenSSH10}

// Logs are the files one attack produced, the same lines in both formats.
type Logs struct {
	Traditional, RFC3339 string
}

// need ends the test when the lab cannot run here: skipped, or failed
// when the test script requires the servers (BANSCOPE_REQUIRE_SERVERS).
func need(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("BANSCOPE_REQUIRE_SERVERS") != "" {
		t.Fatalf("sshlab: %s: %v (scripts/test fetches and installs what it needs)", what, err)
	}
	t.Skipf("sshlab: %s: %v; BANSCOPE_REQUIRE_SERVERS=1 makes this an error", what, err)
}

// Run attacks a server of release r and returns its logs. A release or
// tool that is missing skips the test, or fails it under the test script.
func Run(t testing.TB, r Release) Logs {
	t.Helper()
	if os.Geteuid() != 0 {
		need(t, "root", fmt.Errorf("the lab needs root for its private mount namespace"))
	}
	srv := oracle.DebDir(r.Spec)
	rs := oracle.DebDir(Rsyslog)
	for _, p := range []string{filepath.Join(srv, "usr/sbin/sshd"), filepath.Join(rs, "usr/sbin/rsyslogd")} {
		_, err := os.Stat(p)
		need(t, "scripts/fetch-debs "+r.Spec+" "+Rsyslog, err)
	}
	for _, tool := range []string{"ssh", "ssh-keygen", "unshare", "setpriv"} {
		_, err := exec.LookPath(tool)
		need(t, tool, err)
	}
	dir, err := os.MkdirTemp("", "sshlab")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755) // sshd runs as nobody
	l := &lab{t: t, dir: dir, r: r}
	defer l.stop()
	l.startRsyslog(rs)
	l.startSSHD(srv)
	l.attack()
	l.stop()
	return Logs{Traditional: filepath.Join(dir, "auth.log"), RFC3339: filepath.Join(dir, "auth-rfc3339.log")}
}

type lab struct {
	t     testing.TB
	dir   string
	r     Release
	port  int
	procs []*exec.Cmd
	once  sync.Once
}

func (l *lab) path(name string) string { return filepath.Join(l.dir, name) }

func (l *lab) start(cmd *exec.Cmd, out string) {
	f, err := os.Create(l.path(out))
	if err != nil {
		l.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		l.t.Fatalf("sshlab: start %s: %v", cmd.Path, err)
	}
	f.Close()
	l.procs = append(l.procs, cmd)
}

// stop ends every process the lab started (their process groups: sshd's
// children too) and waits for them.
func (l *lab) stop() {
	l.once.Do(func() {
		for i := len(l.procs) - 1; i >= 0; i-- {
			p := l.procs[i]
			syscall.Kill(-p.Process.Pid, syscall.SIGTERM)
			done := make(chan struct{})
			go func() { p.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
				<-done
			}
		}
	})
}

func (l *lab) startRsyslog(root string) {
	conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket=%q CreatePath="on")
auth,authpriv.* action(type="omfile" file=%q template="RSYSLOG_TraditionalFileFormat")
auth,authpriv.* action(type="omfile" file=%q template="RSYSLOG_FileFormat")
`, l.dir, l.path("log.sock"), l.path("auth.log"), l.path("auth-rfc3339.log"))
	if err := os.WriteFile(l.path("rsyslog.conf"), []byte(conf), 0o644); err != nil {
		l.t.Fatal(err)
	}
	l.start(exec.Command(filepath.Join(root, "usr/sbin/rsyslogd"), "-n", "-f", l.path("rsyslog.conf"),
		"-i", l.path("rsyslog.pid"), "-M", filepath.Join(root, "usr/lib/x86_64-linux-gnu/rsyslog")), "rsyslog.out")
	l.waitFor(func() bool { _, err := os.Stat(l.path("log.sock")); return err == nil }, "rsyslogd's socket", "rsyslog.out")
}

func (l *lab) waitFor(ok func() bool, what, out string) {
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(l.path(out))
			a, _ := os.ReadFile(l.path("auth.log"))
			l.t.Fatalf("sshlab: no %s after 20 s:\n%s\nauth.log:\n%s", what, b, a)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freePort returns a 127.0.0.1 port nothing listens on now.
func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (l *lab) startSSHD(root string) {
	// nobody cannot enter the cache under /root: the binaries are copied
	bin := l.path("bin")
	os.Mkdir(bin, 0o755)
	files := []string{"usr/sbin/sshd"}
	if l.r.Session {
		files = append(files, "usr/lib/openssh/sshd-session", "usr/lib/openssh/sshd-auth")
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			l.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bin, filepath.Base(f)), b, 0o755); err != nil {
			l.t.Fatal(err)
		}
	}
	key := l.path("hostkey")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-f", key, "-N", "").CombinedOutput(); err != nil {
		l.t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	os.Chown(key, 65534, 65534)
	l.port = freePort(l.t)
	conf := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile none
UsePAM no
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
AllowUsers root nobody
DenyUsers daemon
MaxAuthTries 3
LoginGraceTime 2
LogLevel VERBOSE
SyslogFacility AUTH
StrictModes no
`, l.port, key)
	if l.r.Session {
		conf += fmt.Sprintf("SshdSessionPath %s\nSshdAuthPath %s\n", filepath.Join(bin, "sshd-session"), filepath.Join(bin, "sshd-auth"))
		// penalties large enough to drop the returning connections
		conf += "PerSourcePenalties authfail:30s noauth:30s grace-exceeded:30s min:1s\n"
	}
	if err := os.WriteFile(l.path("sshd_config"), []byte(conf), 0o644); err != nil {
		l.t.Fatal(err)
	}
	hostdev := l.path("hostdev")
	os.Mkdir(hostdev, 0o755)
	// Inside a private mount namespace: a /dev of the host's device nodes
	// and /dev/log -> the private socket.
	script := fmt.Sprintf(`set -e
mount --rbind /dev %[1]s
mount -t tmpfs tmpfs /dev
for n in null zero random urandom tty ptmx full; do touch /dev/$n; mount --bind %[1]s/$n /dev/$n; done
mkdir /dev/pts; mount --rbind %[1]s/pts /dev/pts
ln -s /proc/self/fd /dev/fd
ln -s %[2]s /dev/log
exec setpriv --reuid=65534 --regid=65534 --clear-groups %[3]s -D -f %[4]s
`, hostdev, l.path("log.sock"), filepath.Join(bin, "sshd"), l.path("sshd_config"))
	if err := os.WriteFile(l.path("run.sh"), []byte(script), 0o644); err != nil {
		l.t.Fatal(err)
	}
	l.start(exec.Command("unshare", "--mount", "--propagation", "private", "sh", l.path("run.sh")), "sshd.out")
	l.waitFor(func() bool {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(l.port), time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, "sshd listening", "sshd.out")
	// the probe above is a first banner-less connection; wait for its line
	l.waitFor(func() bool {
		b, _ := os.ReadFile(l.path("auth.log"))
		return bytes.Contains(b, []byte("Server listening on"))
	}, "sshd's first log line", "sshd.out")
}

// ssh runs the real client against the lab from source address src.
func (l *lab) ssh(src, user string, extra ...string) {
	askpass := l.path("askpass")
	os.WriteFile(askpass, []byte("#!/bin/sh\necho not-the-password\n"), 0o755)
	args := []string{"-p", strconv.Itoa(l.port), "-b", src, "-l", user,
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "ConnectTimeout=10", "-o", "NumberOfPasswordPrompts=3", "-F", "/dev/null"}
	args = append(append(args, extra...), "127.0.0.1", "true")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", args...)
	cmd.Env = append(os.Environ(), "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
	cmd.Stdin = nil
	cmd.Run() // every attempt fails: that is the point
}

// raw opens a connection from src and hands it to f.
func (l *lab) raw(src string, f func(c net.Conn)) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", "127.0.0.1:"+strconv.Itoa(l.port))
	if err != nil {
		return // a dropped connection (PerSourcePenalties) is a result too
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	f(c)
}

// attack runs every kind of attack once, from its own source address,
// bounded to a few seconds; it ends when sshd has logged them all.
func (l *lab) attack() {
	pw := []string{"-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no"}
	var wg sync.WaitGroup
	// LoginGraceTime: a client that sends its banner and then nothing
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.raw("127.0.0.10", func(c net.Conn) {
			io.WriteString(c, "SSH-2.0-OpenSSH_9.2p1 lab\r\n")
			io.Copy(io.Discard, c) // until sshd gives up
		})
	}()
	l.ssh("127.0.0.2", "root", pw...)                                            // wrong password for root, MaxAuthTries
	l.ssh("127.0.0.3", "admin", pw...)                                           // invalid user
	l.ssh("127.0.0.4", "bin", pw...)                                             // not listed in AllowUsers
	l.ssh("127.0.0.11", "daemon", pw...)                                         // listed in DenyUsers
	l.ssh("127.0.0.6", "x from 6.6.6.6 port 22", pw...)                          // a hostile user name
	l.ssh("127.0.0.12", "ad:min 7.7.7.7", pw...)                                 // another
	l.ssh("127.0.0.9", "root", "-o", "KexAlgorithms=diffie-hellman-group1-sha1") // a kex failure
	// an unknown key
	key := l.path("userkey")
	exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-f", key, "-N", "").Run()
	l.ssh("127.0.0.5", "nobody", "-i", key, "-o", "PreferredAuthentications=publickey", "-o", "IdentitiesOnly=yes")
	// banner-less and garbage connections
	l.raw("127.0.0.7", func(c net.Conn) {})
	l.raw("127.0.0.8", func(c net.Conn) {
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		io.Copy(io.Discard, c)
	})
	// come back after the failures: OpenSSH >= 9.8 may drop these
	// (PerSourcePenalties)
	for i := 0; i < 3; i++ {
		l.raw("127.0.0.2", func(c net.Conn) {})
	}
	wg.Wait()
	if l.r.Session {
		// OpenSSH >= 9.8's listener logs the grace timeout; Debian's 9.2
		// logs nothing for it (its fix of CVE-2024-6387 removed the
		// message from the signal handler).
		l.waitFor(func() bool {
			b, _ := os.ReadFile(l.path("auth.log"))
			return bytes.Contains(b, []byte("Timeout before authentication"))
		}, "the LoginGraceTime line", "sshd.out")
	}
	// the last connections' lines: sshd logs them as they close
	l.waitFor(func() bool {
		b, _ := os.ReadFile(l.path("auth.log"))
		return bytes.Count(b, []byte("from 127.0.0.2 port")) >= 3
	}, "the returning connections' lines", "sshd.out")
	time.Sleep(300 * time.Millisecond)
}
