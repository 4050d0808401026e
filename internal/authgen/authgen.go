// Package authgen writes deterministic, realistic auth.log traffic: sshd
// sessions of brute-force attackers, scanners and legitimate users,
// interleaved with cron, sudo and systemd noise, for tests and benchmarks.
package authgen

import (
	"bufio"
	"fmt"
	"io"

	"math/rand/v2"
	"strconv"
	"time"
)

// Style selects the timestamp format.
type Style int

const (
	RFC3164 Style = iota // Nov 28 03:01:07 (rsyslog traditional)
	RFC3339              // 2026-11-28T03:01:07.123456+00:00 (rsyslog high precision)
	Mixed                // both, line by line
)

// Generation is a generation of OpenSSH's log messages.
type Generation uint8

const (
	OpenSSH92 Generation = iota
	OpenSSH98
	OpenSSH10
)

// ParseGeneration reads "9.2", "9.8" or "10".
func ParseGeneration(s string) (Generation, error) {
	switch s {
	case "9.2", "9", "":
		return OpenSSH92, nil
	case "9.8", "9.9":
		return OpenSSH98, nil
	case "10", "10.0":
		return OpenSSH10, nil
	}
	return 0, fmt.Errorf("unknown OpenSSH generation %q (want 9.2, 9.8 or 10)", s)
}

// listenerPID is the pid of sshd's listener process.
const listenerPID = 812

// listener marks a session line that sshd's listener (sshd[listenerPID])
// logs rather than the connection's own process.
const listener = "\x00"

// Config describes the traffic.
type Config struct {
	Seed    uint64
	Lines   int       // how many lines to write
	Start   time.Time // time of the first line
	Style   Style
	Host    string  // syslog host name
	Hostile float64 // share of sessions with hostile content (0 for none)
	// HugeLines adds, among hostile lines, lines of about 1 MiB.
	HugeLines bool
	// SessionProc logs per-connection lines as sshd-session (OpenSSH >= 9.8).
	SessionProc bool
	// OpenSSH is the generation of sshd's messages: OpenSSH92 (the
	// default: Debian bookworm), OpenSSH98 (per-connection lines under
	// sshd-session[pid], the listener's own lines under sshd[pid]: the new
	// Timeout form, PerSourcePenalties and MaxStartups drops) or OpenSSH10
	// (also kex_exchange_identification without "error: " and the
	// rate-limited summaries of drops).
	OpenSSH Generation
	// Rate is the mean number of lines per second.
	Rate float64
}

// Default returns a typical configuration.
func Default() Config {
	return Config{
		Seed:  1,
		Lines: 10000,
		Start: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC),
		Host:  "web1",
		Rate:  5,
	}
}

type gen struct {
	cfg    Config
	r      *rand.Rand
	w      *bufio.Writer
	t      time.Time
	line   []byte
	pid    int
	active []*sess
	pool   []string // attacker addresses, heavy-tailed use
	zipf   *rand.Zipf
}

type sess struct {
	lines [][]byte // message bodies still to emit
	pid   int
	proc  string
}

// Generate writes cfg.Lines lines to w.
func Generate(w io.Writer, cfg Config) error {
	if cfg.Rate <= 0 {
		cfg.Rate = 5
	}
	if cfg.Host == "" {
		cfg.Host = "web1"
	}
	g := &gen{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), t: cfg.Start, pid: 1000}
	g.w = bufio.NewWriterSize(w, 1<<16)
	g.makePool()
	for n := 0; n < cfg.Lines; n++ {
		g.advance()
		for len(g.active) < 12 {
			g.active = append(g.active, g.newSession())
		}
		if g.r.IntN(10) == 0 {
			g.noise()
			continue
		}
		i := g.r.IntN(len(g.active))
		s := g.active[i]
		if l := s.lines[0]; len(l) > 0 && l[0] == listener[0] {
			g.emit("sshd", listenerPID, l[1:])
		} else {
			g.emit(s.proc, s.pid, l)
		}
		s.lines = s.lines[1:]
		if len(s.lines) == 0 {
			g.active[i] = g.active[len(g.active)-1]
			g.active = g.active[:len(g.active)-1]
		}
	}
	return g.w.Flush()
}

func (g *gen) makePool() {
	const n = 5000
	g.pool = make([]string, n)
	for i := range g.pool {
		if g.r.IntN(12) == 0 {
			g.pool[i] = "2001:db8:" + strconv.FormatUint(uint64(g.r.IntN(0xffff)), 16) + "::" + strconv.FormatUint(uint64(1+g.r.IntN(0xfffe)), 16)
			continue
		}
		g.pool[i] = strconv.Itoa(1+g.r.IntN(223)) + "." + strconv.Itoa(g.r.IntN(256)) + "." +
			strconv.Itoa(g.r.IntN(256)) + "." + strconv.Itoa(1+g.r.IntN(254))
	}
	// A few addresses take hundreds of tries, most very few.
	g.zipf = rand.NewZipf(g.r, 1.3, 2, n-1)
}

func (g *gen) attacker() string { return g.pool[g.zipf.Uint64()] }

func (g *gen) advance() {
	// Exponential gaps with bursts.
	gap := g.r.ExpFloat64() / g.cfg.Rate
	if g.r.IntN(50) == 0 {
		gap *= 20
	}
	g.t = g.t.Add(time.Duration(gap * float64(time.Second)))
}

func (g *gen) stamp(b []byte) []byte {
	style := g.cfg.Style
	if style == Mixed {
		style = Style(g.r.IntN(2))
	}
	if style == RFC3339 {
		return g.t.AppendFormat(b, "2006-01-02T15:04:05.000000-07:00")
	}
	return g.t.AppendFormat(b, "Jan _2 15:04:05")
}

func (g *gen) emit(proc string, pid int, msg []byte) {
	b := g.stamp(g.line[:0])
	b = append(b, ' ')
	b = append(b, g.cfg.Host...)
	b = append(b, ' ')
	b = append(b, proc...)
	if pid > 0 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(pid), 10)
		b = append(b, ']')
	}
	b = append(b, ": "...)
	b = append(b, msg...)
	b = append(b, '\n')
	g.line = b
	g.w.Write(b)
}

var users = []string{"root", "admin", "test", "user", "ubuntu", "oracle", "postgres", "git", "guest", "ftp", "pi", "deploy", "support", "www", "mysql", "jenkins", "hadoop", "minecraft", "ec2-user", "administrator"}
var realUsers = []string{"alice", "bob", "carol", "deploy"}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) port() string { return strconv.Itoa(1024 + g.r.IntN(64000)) }

func (g *gen) noise() {
	switch g.r.IntN(5) {
	case 0:
		g.emit("CRON", 20000+g.r.IntN(9000), []byte("pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"))
	case 1:
		g.emit("CRON", 20000+g.r.IntN(9000), []byte("pam_unix(cron:session): session closed for user root"))
	case 2:
		g.emit("sudo", 0, []byte("   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl status ssh"))
	case 3:
		g.emit("systemd-logind", 612, []byte("New session "+strconv.Itoa(g.r.IntN(9000))+" of user alice."))
	default:
		g.emit("systemd", 1, []byte("Started session-"+strconv.Itoa(g.r.IntN(9000))+".scope - Session of User alice."))
	}
}

func (g *gen) newSession() *sess {
	g.pid += 1 + g.r.IntN(7)
	if g.pid > 4000000 {
		g.pid = 1000
	}
	s := &sess{pid: g.pid, proc: "sshd"}
	if g.cfg.SessionProc || g.cfg.OpenSSH >= OpenSSH98 {
		s.proc = "sshd-session"
	}
	ip := g.attacker()
	p := g.port()
	add := func(parts ...string) {
		n := 0
		for _, x := range parts {
			n += len(x)
		}
		b := make([]byte, 0, n)
		for _, x := range parts {
			b = append(b, x...)
		}
		s.lines = append(s.lines, b)
	}
	if g.cfg.Hostile > 0 && g.r.Float64() < g.cfg.Hostile {
		g.hostile(add, ip, p)
		return s
	}
	if g.cfg.OpenSSH >= OpenSSH98 && g.r.IntN(10) == 0 {
		g.modern(add, s, ip, p)
		return s
	}
	verbose := g.r.IntN(4) == 0
	if verbose {
		add("Connection from ", ip, " port ", p, " on 10.0.0.5 port 22 rdomain \"\"")
	}
	switch k := g.r.IntN(100); {
	case k < 30: // invalid user brute force
		u := g.pick(users[1:])
		add("Invalid user ", u, " from ", ip, " port ", p)
		add("pam_unix(sshd:auth): check pass; user unknown")
		add("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=", ip)
		add("Failed password for invalid user ", u, " from ", ip, " port ", p, " ssh2")
		switch g.r.IntN(3) {
		case 0:
			add("Received disconnect from ", ip, " port ", p, ":11: Bye Bye [preauth]")
			add("Disconnected from invalid user ", u, " ", ip, " port ", p, " [preauth]")
		case 1:
			add("Connection closed by invalid user ", u, " ", ip, " port ", p, " [preauth]")
		default:
			add("Failed password for invalid user ", u, " from ", ip, " port ", p, " ssh2")
			add("Connection reset by invalid user ", u, " ", ip, " port ", p, " [preauth]")
		}
	case k < 50: // root brute force
		add("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=", ip, "  user=root")
		n := 1 + g.r.IntN(6)
		for i := 0; i < n; i++ {
			add("Failed password for root from ", ip, " port ", p, " ssh2")
		}
		if n == 6 {
			add("error: maximum authentication attempts exceeded for root from ", ip, " port ", p, " ssh2 [preauth]")
			add("Disconnecting authenticating user root ", ip, " port ", p, ": Too many authentication failures [preauth]")
			add("PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=", ip, "  user=root")
		} else {
			add("Connection closed by authenticating user root ", ip, " port ", p, " [preauth]")
		}
	case k < 62: // scanners
		switch g.r.IntN(7) {
		case 0:
			add("Connection closed by ", ip, " port ", p, " [preauth]")
		case 1:
			add("Did not receive identification string from ", ip, " port ", p)
		case 2:
			add(g.kexPrefix(), "kex_exchange_identification: Connection closed by remote host")
			add("Connection closed by ", ip, " port ", p)
		case 3:
			add("banner exchange: Connection from ", ip, " port ", p, ": invalid format")
		case 4:
			add("Bad protocol version identification '\\003' from ", ip, " port ", p)
		case 5:
			add("Unable to negotiate with ", ip, " port ", p, ": no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]")
		default:
			add(g.kexPrefix(), "kex_exchange_identification: read: Connection reset by peer")
			add("Connection reset by ", ip, " port ", p)
		}
	case k < 70: // publickey guesser
		u := g.pick(users)
		n := 1 + g.r.IntN(6)
		for i := 0; i < n; i++ {
			add("Failed publickey for ", u, " from ", ip, " port ", p, " ssh2: RSA SHA256:", strconv.Itoa(g.r.IntN(1e9)))
		}
		if g.r.IntN(2) == 0 {
			add("Disconnecting: Too many authentication failures for ", u, " [preauth]")
		}
		add("Connection closed by authenticating user ", u, " ", ip, " port ", p, " [preauth]")
	case k < 82: // legitimate logins
		u := g.pick(realUsers)
		if g.r.IntN(3) == 0 {
			add("Failed password for ", u, " from ", ip, " port ", p, " ssh2")
		}
		add("Accepted publickey for ", u, " from ", ip, " port ", p, " ssh2: ED25519 SHA256:abc", strconv.Itoa(g.r.IntN(1e6)))
		add("pam_unix(sshd:session): session opened for user ", u, "(uid=1000) by (uid=0)")
		add("Received disconnect from ", ip, " port ", p, ":11: disconnected by user")
		add("Disconnected from user ", u, " ", ip, " port ", p)
		add("pam_unix(sshd:session): session closed for user ", u)
	default: // the rest of the catalogue
		u := g.pick(users)
		switch g.r.IntN(14) {
		case 0:
			add("User ", u, " from ", ip, " not allowed because not listed in AllowUsers")
		case 1:
			add("User ", u, " not allowed because account is locked")
			add("Connection closed by authenticating user ", u, " ", ip, " port ", p, " [preauth]")
		case 2:
			add("Received disconnect from ", ip, " port ", p, ":3: com.jcraft.jsch.JSchException: Auth fail [preauth]")
		case 3:
			add("Disconnecting invalid user ", u, " ", ip, " port ", p, ": Change of username or service not allowed: (", u, ",ssh-connection) -> (root,ssh-connection) [preauth]")
		case 4:
			add("Received disconnect from ", ip, " port ", p, ":14: No supported authentication methods available [preauth]")
		case 5:
			add("fatal: Unable to negotiate a key exchange method [preauth]")
			add("Connection closed by ", ip, " port ", p, " [preauth]")
		case 6:
			add("error: PAM: Authentication failure for ", u, " from ", ip)
		case 7:
			add("ROOT LOGIN REFUSED FROM ", ip, " port ", p)
		case 8:
			add("refused connect from scanner.example (", ip, ")")
		case 9:
			add("SSH: Server;Ltype: Version;Remote: ", ip, "-", p, ";Protocol: 2.0;Client: libssh2_1.4.3")
			add("Failed password for ", u, " from ", ip, " port ", p, " ssh2")
		case 10:
			add("Failed keyboard-interactive/pam for invalid user ", u, " from ", ip, " port ", p, " ssh2")
			if g.cfg.OpenSSH >= OpenSSH98 {
				add(listener+"Timeout before authentication for connection from ", ip, " to 10.0.0.5, pid = ", strconv.Itoa(s.pid))
			} else {
				add("Timeout before authentication for ", ip, " port ", p)
			}
		case 11:
			add("fatal: Read from socket failed: Connection reset by peer [preauth]")
		case 12:
			add("Failed password for invalid user ", u, " from ::ffff:", g.v4(), " port ", p, " ssh2")
		default:
			add("User ", u, " from ", ip, " not allowed because none of user's groups are listed in AllowGroups")
		}
	}
	return s
}

func (g *gen) v4() string {
	return strconv.Itoa(1+g.r.IntN(223)) + "." + strconv.Itoa(g.r.IntN(256)) + "." + strconv.Itoa(g.r.IntN(256)) + "." + strconv.Itoa(1+g.r.IntN(254))
}

// hostile sessions carry attacker-controlled text meant to mislead a parser.
func (g *gen) hostile(add func(...string), ip, p string) {
	inj := []string{
		"x from 6.6.6.6 port 22",
		"a from 6.6.6.6",
		"x port 22 ssh2: from 6.6.6.6",
		"a: from 6.6.6.6",
		"a b c",
		"[preauth] from 6.6.6.6",
		"<script>alert(1)</script>",
		"\x1b[31mred\x1b[0m",
		"\xff\xfe\xfd",
		"nul\x00byte",
		"١٢٣.٤.٥.٦",
		"x from 6.6.6.6 port 22 ssh2",
		"",
		"  ",
	}
	u := g.pick(inj)
	switch g.r.IntN(9) {
	case 0:
		add("Invalid user ", u, " from ", ip, " port ", p)
	case 1:
		add("Failed password for invalid user ", u, " from ", ip, " port ", p, " ssh2")
	case 2:
		add("Failed password for ", u, " from ", ip, " port ", p, " ssh2")
	case 3:
		add("Connection closed by invalid user ", u, " ", ip, " port ", p, " [preauth]")
	case 4:
		add("User ", u, " from ", ip, " not allowed because not listed in AllowUsers")
	case 5:
		add("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=", u, " rhost=", ip, "  user=", u)
	case 6:
		add("Failed password for invalid user ", u, " from ", ip, " port ", p, " ssh2\r")
	case 7:
		if g.cfg.HugeLines && g.r.IntN(20) == 0 {
			big := make([]byte, 1<<20)
			for i := range big {
				big[i] = 'a' + byte(i%26)
			}
			add("Invalid user ", string(big), " from ", ip, " port ", p)
			return
		}
		add("Invalid user ", u, " from ", g.pick([]string{"localhost", "host.example.invalid", "1234", "127.1", "999.1.2.3", "192.030.0.6", "[2001:db8::5]", "::ffff:10.1.2.3", "1:2::3::4", "203.0.113.12.evil.example"}), " port ", p)
	default:
		add("Disconnected from authenticating user ", u, " ", ip, " port ", p, " [preauth]")
	}
}

// kexPrefix is what comes before kex_exchange_identification: OpenSSH 10
// logs it without "error: ".
func (g *gen) kexPrefix() string {
	if g.cfg.OpenSSH >= OpenSSH10 {
		return ""
	}
	return "error: "
}

// penalties are PerSourcePenalties' reasons as sshd's listener logs them
// (srclimit.c), and the listener's other drops (sshd.c: drop_connection).
var penalties = []string{"penalty: caused crash", "penalty: failed authentication",
	"penalty: connections without attempting authentication", "penalty: attempted authentication by invalid user",
	"penalty: connection prohibited by RefuseConnection", "penalty: exceeded LoginGraceTime",
	"too many penalised addresses", "PerSourcePenalties", "Maxstartups"}

// modern writes what only OpenSSH >= 9.8 logs: the listener's drops (and,
// from 10, their rate-limited summaries), and ssh_dispatch_run_fatal.
func (g *gen) modern(add func(...string), s *sess, ip, p string) {
	switch k := g.r.IntN(10); {
	case k < 6:
		n := 1 + g.r.IntN(4)
		for i := 0; i < n; i++ {
			add(listener+"drop connection #", strconv.Itoa(g.r.IntN(12)), " from [", ip, "]:", g.port(), " on [10.0.0.5]:22 ", g.pick(penalties))
		}
		if g.cfg.OpenSSH >= OpenSSH10 && g.r.IntN(3) == 0 {
			which := "PerSourcePenalties"
			if g.r.IntN(4) == 0 {
				which = "Maxstartups"
			}
			add(listener+which+" logging rate-limited: additional ", strconv.Itoa(1+g.r.IntN(300)), " connections dropped")
		}
	case k < 8:
		add("ssh_dispatch_run_fatal: Connection from ", ip, " port ", p, ": message authentication code incorrect [preauth]")
	default:
		add("ssh_dispatch_run_fatal: Connection from ", ip, " port ", p, ": Connection corrupted [preauth]")
	}
}
