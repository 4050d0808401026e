package jailsim

import (
	"fmt"
	"net/netip"
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
				return nil, fmt.Errorf("ignoreip %q: %w", e, err)
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
