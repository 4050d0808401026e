package ident

import (
	"bytes"
	"net/netip"
)

// ParseIPv4 parses a dotted quad as inet_pton(AF_INET) does.
func ParseIPv4(b []byte) (netip.Addr, bool) {
	var out [4]byte
	p := 0
	for i := 0; i < 4; i++ {
		if i > 0 {
			if p >= len(b) || b[p] != '.' {
				return netip.Addr{}, false
			}
			p++
		}
		s := p
		v := 0
		for p < len(b) && b[p] >= '0' && b[p] <= '9' && p-s < 3 {
			v = v*10 + int(b[p]-'0')
			p++
		}
		if p == s || v > 255 || (p-s > 1 && b[s] == '0') {
			return netip.Addr{}, false
		}
		out[i] = byte(v)
	}
	if p != len(b) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(out), true
}

// InetAton parses the numeric forms glibc's getaddrinfo accepts for
// AF_INET (inet_aton: 1 to 4 parts, decimal, octal or hex, the last part
// filling the remaining bytes).
func InetAton(b []byte) (netip.Addr, bool) {
	var parts [4]uint64
	n := 0
	p := 0
	for {
		if p >= len(b) || n == 4 {
			return netip.Addr{}, false
		}
		base := uint64(10)
		if b[p] == '0' {
			base = 8
			p++
			if p < len(b) && (b[p] == 'x' || b[p] == 'X') {
				base = 16
				p++
			}
		}
		var v uint64
		digitsSeen := base == 8 // a lone "0" is a number
		for p < len(b) && b[p] != '.' {
			c := b[p]
			var d uint64
			switch {
			case c >= '0' && c <= '9':
				d = uint64(c - '0')
			case c >= 'a' && c <= 'f':
				d = uint64(c-'a') + 10
			case c >= 'A' && c <= 'F':
				d = uint64(c-'A') + 10
			default:
				return netip.Addr{}, false
			}
			if d >= base {
				return netip.Addr{}, false
			}
			v = v*base + d
			if v > 0xffffffff {
				return netip.Addr{}, false
			}
			digitsSeen = true
			p++
		}
		if !digitsSeen {
			return netip.Addr{}, false
		}
		parts[n] = v
		n++
		if p == len(b) {
			break
		}
		p++ // '.'
	}
	var v uint64
	switch n {
	case 1:
		v = parts[0]
	case 2:
		if parts[0] > 0xff || parts[1] > 0xffffff {
			return netip.Addr{}, false
		}
		v = parts[0]<<24 | parts[1]
	case 3:
		if parts[0] > 0xff || parts[1] > 0xff || parts[2] > 0xffff {
			return netip.Addr{}, false
		}
		v = parts[0]<<24 | parts[1]<<16 | parts[2]
	case 4:
		for _, x := range parts {
			if x > 0xff {
				return netip.Addr{}, false
			}
		}
		v = parts[0]<<24 | parts[1]<<16 | parts[2]<<8 | parts[3]
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// Hosts is a static name table, as getaddrinfo reads /etc/hosts.
type Hosts struct {
	names map[string][]netip.Addr
}

// ParseHosts reads hosts-file text. Names are matched case-insensitively.
func ParseHosts(text []byte) *Hosts {
	h := &Hosts{names: map[string][]netip.Addr{}}
	for _, line := range bytes.Split(text, []byte{'\n'}) {
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := bytes.Fields(line)
		if len(f) < 2 {
			continue
		}
		a, err := netip.ParseAddr(string(f[0]))
		if err != nil {
			continue
		}
		for _, n := range f[1:] {
			k := string(bytes.ToLower(n))
			dup := false
			for _, x := range h.names[k] {
				if x == a {
					dup = true
				}
			}
			if !dup {
				h.names[k] = append(h.names[k], a)
			}
		}
	}
	return h
}

// Lookup returns the addresses of a name in the table.
func (h *Hosts) Lookup(name []byte) []netip.Addr {
	var lower [256]byte
	if len(name) > len(lower) {
		return nil
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	return h.names[string(lower[:len(name)])]
}

// Resolve returns the addresses getaddrinfo would give for name offline:
// a dotted quad, the numeric forms inet_aton accepts, or the hosts table.
func (h *Hosts) Resolve(name string) []netip.Addr {
	b := []byte(name)
	if a, ok := ParseIPv4(b); ok {
		return []netip.Addr{a}
	}
	if a, ok := InetAton(b); ok {
		return []netip.Addr{a}
	}
	if a, err := netip.ParseAddr(name); err == nil {
		return []netip.Addr{a.Unmap()}
	}
	if h == nil {
		return nil
	}
	return h.Lookup(b)
}
