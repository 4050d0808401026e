// Package f2bversion names the fail2ban releases banscope simulates and
// finds the one installed on the host. Every behaviour that differs between
// them (filter.d/sshd.conf, server/ipdns.py, server/datedetector.py,
// fail2ban.log) is selected by one of these values.
package f2bversion

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Version is a simulated fail2ban release. The zero value means the
// newest.
type Version uint8

const (
	Unset  Version = iota
	V1_0_2         // Debian bookworm's 1.0.2-2 (and Ubuntu 24.04)
	V1_1_0         // Debian trixie's 1.1.0-8: 1.1.0 patched to read sshd-session
	V1_1_1         // Debian sid's 1.1.1-1, upstream's latest release
	numVersions
)

// Newest is the newest simulated release.
const Newest = V1_1_1

var names = [numVersions]string{"", "1.0.2", "1.1.0", "1.1.1"}

var debian = [numVersions]string{"", "1.0.2-2", "1.1.0-8", "1.1.1-1"}

// All lists the simulated releases, oldest first.
func All() []Version { return []Version{V1_0_2, V1_1_0, V1_1_1} }

// Or returns v, or Newest when v is unset.
func (v Version) Or() Version {
	if v == Unset || v >= numVersions {
		return Newest
	}
	return v
}

// String is the release's number ("1.1.0").
func (v Version) String() string { return names[v.Or()] }

// Debian is the Debian package version the simulation was checked against.
func (v Version) Debian() string { return debian[v.Or()] }

// AtLeast reports whether v is release w or newer.
func (v Version) AtLeast(w Version) bool { return v.Or() >= w }

// Parse reads "1.0.2", "1.1.0" or "1.1.1" (a Debian revision such as
// "1.1.0-8" or a leading "v" is accepted).
func Parse(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexByte(t, '-'); i >= 0 {
		t = t[:i]
	}
	for v := V1_0_2; v < numVersions; v++ {
		if t == names[v] {
			return v, nil
		}
	}
	return Unset, fmt.Errorf("unknown fail2ban version %q (want 1.0.2, 1.1.0, 1.1.1 or auto)", s)
}

// Choice is the version a command simulates and why.
type Choice struct {
	Version Version
	// Why says where the version came from: "--fail2ban 1.0.2",
	// "installed: /usr/lib/python3/dist-packages/fail2ban/version.py says
	// 1.0.2", or "no fail2ban found: the newest".
	Why string
	// Installed is the installed release's own number when one was found
	// ("1.0.2", or "0.11.2" for a release banscope does not simulate).
	Installed string
}

// Probe is where Detect looks; tests replace it.
type Probe struct {
	// Roots are the Python package directories searched for
	// fail2ban/version.py, in order.
	Roots []string
	// Client is fail2ban-client's path; empty means look it up on PATH.
	Client string
	// NoClient disables running fail2ban-client.
	NoClient bool
}

// DefaultProbe searches Debian's, Python's and /usr/local's package
// directories.
func DefaultProbe() Probe {
	roots := []string{"/usr/lib/python3/dist-packages"}
	for _, pat := range []string{"/usr/local/lib/python3*/dist-packages", "/usr/local/lib/python3*/site-packages", "/usr/lib/python3*/site-packages", "/usr/lib/python3.*/dist-packages"} {
		m, _ := filepath.Glob(pat)
		roots = append(roots, m...)
	}
	return Probe{Roots: roots}
}

// Resolve turns a --fail2ban value ("auto" or a version) into a Choice.
func Resolve(flag string, p Probe) (Choice, error) {
	if flag != "" && flag != "auto" {
		v, err := Parse(flag)
		if err != nil {
			return Choice{}, err
		}
		return Choice{Version: v, Why: "--fail2ban " + v.String()}, nil
	}
	return Detect(p), nil
}

// Detect finds the installed fail2ban: its package's version.py, else the
// output of `fail2ban-client --version` (which answers without a server).
// A release banscope does not simulate maps to the nearest one; none found
// means the newest.
func Detect(p Probe) Choice {
	for _, root := range p.Roots {
		path := filepath.Join(root, "fail2ban", "version.py")
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if n := versionPy(b); n != "" {
			return nearest(n, path+" says "+n)
		}
	}
	if !p.NoClient {
		client := p.Client
		if client == "" {
			client, _ = exec.LookPath("fail2ban-client")
		}
		if client != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, client, "--version").Output()
			if n := clientVersion(out); err == nil && n != "" {
				return nearest(n, client+" --version says "+n)
			}
		}
	}
	return Choice{Version: Newest, Why: "no installed fail2ban found: the newest, " + Newest.String()}
}

// versionPy reads `version = "1.0.2"` from fail2ban/version.py.
func versionPy(b []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		rest, ok := strings.CutPrefix(l, "version")
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if rest, ok = strings.CutPrefix(rest, "="); !ok {
			continue
		}
		rest = strings.Trim(strings.TrimSpace(rest), `"'`)
		if rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			return rest
		}
	}
	return ""
}

// clientVersion reads "Fail2Ban v1.0.2" (the first line).
func clientVersion(out []byte) string {
	l, _, _ := strings.Cut(string(out), "\n")
	f := strings.Fields(l)
	if len(f) == 2 && strings.EqualFold(f[0], "fail2ban") && strings.HasPrefix(f[1], "v") {
		return f[1][1:]
	}
	return ""
}

// nearest maps an installed release to the simulated one.
func nearest(n, why string) Choice {
	c := Choice{Installed: n, Why: "installed: " + why}
	if v, err := Parse(n); err == nil {
		c.Version = v
		return c
	}
	key := numbers(n)
	switch {
	case less(key, []int{1, 0, 2}):
		c.Version = V1_0_2
	case less(key, []int{1, 1, 0}):
		c.Version = V1_0_2
	case less(key, []int{1, 1, 1}):
		c.Version = V1_1_0
	default:
		c.Version = V1_1_1
	}
	c.Why += ", not a simulated release: the nearest, " + c.Version.String()
	return c
}

func numbers(s string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		n, _ := strconv.Atoi(f)
		out = append(out, n)
		if len(out) == 3 {
			break
		}
	}
	return out
}

func less(a, b []int) bool {
	for i := range b {
		x := 0
		if i < len(a) {
			x = a[i]
		}
		if x != b[i] {
			return x < b[i]
		}
	}
	return false
}
