package jailsim

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/banscope/banscope/internal/ident"
)

// Resolver turns host names into addresses as getaddrinfo would offline
// (numeric forms, then a hosts table). It never reaches the network.
type Resolver interface {
	Resolve(name string) []netip.Addr
}

// Ignore is a jail's ignore list (ignoreself and ignoreip,
// server/filter.py: Filter.inIgnoreIPList), checked in fail2ban's order.
type Ignore struct {
	entries []string // as given
	self    map[netip.Addr]bool
	single  map[netip.Addr]bool
	nets    []ignoreNet
}

type ignoreNet struct {
	prefix netip.Prefix
	dns    string
	addrs  map[netip.Addr]bool // resolved addresses of a host name entry
}

// NewIgnore builds an ignore list from ignoreip entries (split on spaces,
// commas and newlines) and the self addresses (nil when ignoreself is off).
func NewIgnore(entries []string, self []netip.Addr, res Resolver) (*Ignore, error) {
	ig := &Ignore{single: map[netip.Addr]bool{}}
	for _, e := range entries {
		if e != "" {
			ig.entries = append(ig.entries, e)
		}
	}
	if self != nil {
		ig.self = map[netip.Addr]bool{}
		for _, a := range self {
			ig.self[a.Unmap()] = true
		}
	}
	for _, e := range entries {
		if e == "" {
			continue
		}
		s := e
		if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
			s = s[1 : len(s)-1]
		}
		if i := strings.IndexByte(s, '/'); i >= 0 {
			a, err := netip.ParseAddr(s[:i])
			if err != nil {
				// not an address: fail2ban 1.0.2 refuses a prefix length
				// that is neither a number nor mask-like (int() fails in
				// IPAddr), else keeps an invalid IPAddr compared by name
				// (the text before "/"), which nothing resolves to here
				// (e.g. "file:/path/list.txt" before 1.1.1)
				m := s[i+1:]
				if _, err := strconv.Atoi(m); err != nil && !strings.ContainsAny(m, ".:") {
					return nil, fmt.Errorf("ignoreip %q: bad prefix length %q", e, m)
				}
				n := ignoreNet{dns: s[:i], addrs: map[netip.Addr]bool{}}
				if res != nil {
					for _, a := range res.Resolve(s[:i]) {
						n.addrs[a.Unmap()] = true
					}
				}
				ig.nets = append(ig.nets, n)
				continue
			}
			a = a.Unmap()
			bits, err := maskBits(s[i+1:], a.Is4())
			if err != nil {
				return nil, fmt.Errorf("ignoreip %q: %w", e, err)
			}
			p, err := a.Prefix(bits)
			if err != nil {
				return nil, fmt.Errorf("ignoreip %q: %w", e, err)
			}
			if p.Bits() == p.Addr().BitLen() {
				ig.single[p.Addr()] = true
			} else {
				ig.nets = append(ig.nets, ignoreNet{prefix: p})
			}
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
			ig.single[a.Unmap()] = true
			continue
		}
		n := ignoreNet{dns: s, addrs: map[netip.Addr]bool{}}
		if res != nil {
			for _, a := range res.Resolve(s) {
				n.addrs[a.Unmap()] = true
			}
		}
		ig.nets = append(ig.nets, n)
	}
	return ig, nil
}

func maskBits(m string, v4 bool) (int, error) {
	if strings.ContainsAny(m, ".:") {
		a, err := netip.ParseAddr(m)
		if err != nil {
			return 0, err
		}
		b := a.AsSlice()
		n := 0
		for _, x := range b {
			for i := 7; i >= 0; i-- {
				if x&(1<<i) == 0 {
					return n, nil
				}
				n++
			}
		}
		return n, nil
	}
	n, err := strconv.Atoi(m)
	if err != nil || n < 0 || (v4 && n > 32) || n > 128 {
		return 0, fmt.Errorf("bad prefix length %q", m)
	}
	return n, nil
}

// Rules returns the ignoreip entries as given.
func (ig *Ignore) Rules() []string {
	if ig == nil {
		return nil
	}
	return ig.entries
}

// Self reports whether ignoreself is on.
func (ig *Ignore) Self() bool { return ig != nil && ig.self != nil }

// Match reports whether id is ignored and by which rule, in fail2ban's
// words ("ignoreself rule", "ip", "dns").
func (ig *Ignore) Match(id ident.ID) (string, bool) {
	if ig == nil {
		return "", false
	}
	a, ok := id.Addr()
	if !ok {
		return "", false // raw IDs never match (server/ipdns.py: IPAddr of invalid text)
	}
	if ig.self[a] {
		return "ignoreself rule", true
	}
	if ig.single[a] {
		return "ip", true
	}
	for _, n := range ig.nets {
		if n.dns != "" {
			if n.addrs[a] {
				return "dns", true
			}
			continue
		}
		if n.prefix.Contains(a) {
			return "ip", true
		}
	}
	return "", false
}

// IgnoreFile reads the list of a fail2ban 1.1.1 `ignoreip = file:PATH`
// entry (server/ipdns.py: FileIPAddrSet): the file's words — split on
// white space and commas, `#` comments dropped (helpers.py: splitwords) —
// each an address or a subnet. It returns ok false when entry is not a
// file: entry.
func IgnoreFile(entry string) (words []string, path string, ok bool, err error) {
	rest, ok := strings.CutPrefix(entry, "file:")
	if !ok {
		return nil, "", false, nil
	}
	path = ignoreFilePath(rest)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, path, true, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, w := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\v' || r == '\f' }) {
			words = append(words, w)
		}
	}
	return words, path, true, nil
}

// ignoreFilePath is RE_FILE_IGN_IP's path,
// ^file:(?:/{0,2}(?=/(?!/|.{1,2}/))|/{0,2})(.*)$: up to two slashes are
// dropped, keeping one when a path segment follows ("file:///etc/x" and
// "file:/etc/x" are /etc/x, "file:x" is x).
func ignoreFilePath(rest string) string {
	lead := 0
	for lead < 2 && lead < len(rest) && rest[lead] == '/' {
		lead++
	}
	at := func(x string, i int) bool { return i < len(x) && x[i] == '/' }
	for n := lead; n >= 0; n-- {
		x := rest[n:]
		if at(x, 0) && !at(x, 1) && !at(x, 2) && !at(x, 3) && len(x) > 1 {
			return x
		}
	}
	return rest[lead:]
}
