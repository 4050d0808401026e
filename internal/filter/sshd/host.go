package sshd

import (
	"unicode/utf8"

	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/pyre"
)

// Matching of fail2ban's <HOST> tag (usedns != no):
//
//	(?:\[?(?:(?:::f{4,6}:)?(?P<ip4>(?:\d{1,3}\.){3}\d{1,3})|
//	        (?P<ip6>(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)))\]?
//	   |(?P<dns>[\w\-.^_]*\w))
//
// The tag can match text of several lengths; a backtracking engine tries
// them in a fixed priority order until the rest of the regex (the tail)
// matches. matchHost reproduces that order exactly, so the address fail2ban
// picks is the address we pick, whatever an attacker puts around it.

type hostKind = filter.HostKind

const (
	hostNone = filter.HostNone
	hostIP4  = filter.HostIP4
	hostIP6  = filter.HostIP6
	hostDNS  = filter.HostDNS
)

// host is a <HOST> match: the captured group and the end of the whole tag.
type host = filter.Host

type tailFunc func(p int) bool

// matchHost tries every way <HOST> can match at i, in regex order, and
// returns the first one whose end satisfies tail.
func (d dialect) matchHost(s []byte, i int, tail tailFunc) (host, bool) {
	if i > len(s) {
		return host{}, false
	}
	if h, ok := d.matchAddr(s, i, tail); ok {
		return h, true
	}
	// dns: [\w\-.^_]*\w, longest first.
	e := pyre.SpanIs(s, i, pyre.DNS)
	for e > i {
		if pyre.PrevIs(s, e, pyre.Word) && tail(e) {
			return host{Kind: hostDNS, Start: i, End: e, TagEnd: e}, true
		}
		e = prevBoundary(s, i, e)
	}
	return host{}, false
}

// prevBoundary steps back one character from e, not before lo. Used on
// spans of word characters, which are valid UTF-8.
func prevBoundary(s []byte, lo, e int) int {
	_, n := utf8.DecodeLastRune(s[lo:e])
	return e - n
}

// closeBracket applies `\]?` (greedy) at e, then the tail.
func closeBracket(s []byte, e int, tail tailFunc) (int, bool) {
	if e < len(s) && s[e] == ']' && tail(e+1) {
		return e + 1, true
	}
	if tail(e) {
		return e, true
	}
	return 0, false
}

func matchIP4(s []byte, j int, tail tailFunc) (host, bool) {
	// (?:::f{4,6}:)? greedy: with the prefix first.
	if pyre.HasPrefixAt(s, j, "::") {
		k := j + 2
		n := 0
		for k+n < len(s) && s[k+n] == 'f' && n < 6 {
			n++
		}
		if n >= 4 && k+n < len(s) && s[k+n] == ':' {
			if h, ok := ip4At(s, k+n+1, tail); ok {
				return h, true
			}
		}
	}
	return ip4At(s, j, tail)
}

// digitWidth is pyre.Is(s, i, pyre.Digit) with the ASCII case inline.
const utf8RuneSelf = 0x80

func digitWidth(s []byte, i int) int {
	if i >= len(s) {
		return 0
	}
	if c := s[i]; c < utf8RuneSelf {
		if c-'0' < 10 {
			return 1
		}
		return 0
	}
	return pyre.Is(s, i, pyre.Digit)
}

// ip4At matches (?:\d{1,3}\.){3}\d{1,3} at j.
func ip4At(s []byte, j int, tail tailFunc) (host, bool) {
	p := j
	for g := 0; g < 3; g++ {
		n, w := 0, 0
		for n < 3 {
			d := digitWidth(s, p+w)
			if d == 0 {
				break
			}
			w += d
			n++
		}
		if n == 0 || p+w >= len(s) || s[p+w] != '.' {
			return host{}, false
		}
		p += w + 1
	}
	var ends [3]int
	n, w := 0, 0
	for n < 3 {
		d := digitWidth(s, p+w)
		if d == 0 {
			break
		}
		w += d
		ends[n] = p + w
		n++
	}
	for k := n - 1; k >= 0; k-- {
		if end, ok := closeBracket(s, ends[k], tail); ok {
			return host{Kind: hostIP4, Start: j, End: ends[k], TagEnd: end}, true
		}
	}
	return host{}, false
}

const ip6Max = 48 // longest possible ip6 match is 7*6+4 = 46 characters

func hexRun(s []byte, p int) int {
	n := 0
	for n < 4 && p+n < len(s) && asciiHex(s[p+n]) {
		n++
	}
	return n
}

func asciiHex(b byte) bool { return b < 0x80 && pyre.ASCII[b]&pyre.Hex != 0 }

type ip6Search struct {
	s       []byte
	j       int
	single  bool // fail2ban 1.1's IP_6_RE: a group may be a lone ":"
	visited [ip6Max * 8]bool
	ends    [ip6Max + 1]int8
	nends   int
	seen    [ip6Max + 1]bool
}

func (x *ip6Search) emit(p int) {
	o := p - x.j
	if !x.seen[o] {
		x.seen[o] = true
		x.ends[x.nends] = int8(o)
		x.nends++
	}
}

// walk explores (?:H{1,4}::?|::){1,7}(?:H{1,4}|(?<=:):) (fail2ban 1.1:
// (?:H{1,4}::?|:){1,7}...) in priority order,
// recording each distinct end the first time it is reached.
func (x *ip6Search) walk(p, k int) {
	o := p - x.j
	if o >= ip6Max {
		return
	}
	if x.visited[o*8+k] {
		return
	}
	x.visited[o*8+k] = true
	s := x.s
	if k < 7 {
		for n := hexRun(s, p); n >= 1; n-- {
			q := p + n
			if q < len(s) && s[q] == ':' {
				if q+1 < len(s) && s[q+1] == ':' {
					x.walk(q+2, k+1)
				}
				x.walk(q+1, k+1)
			}
		}
		if x.single {
			if p < len(s) && s[p] == ':' {
				x.walk(p+1, k+1)
			}
		} else if pyre.HasPrefixAt(s, p, "::") {
			x.walk(p+2, k+1)
		}
	}
	if k >= 1 {
		for n := hexRun(s, p); n >= 1; n-- {
			x.emit(p + n)
		}
		if p > 0 && s[p-1] == ':' && p < len(s) && s[p] == ':' {
			x.emit(p + 1)
		}
	}
}

func matchIP6(s []byte, j int, single bool, tail tailFunc) (host, bool) {
	// Every ip6 match starts with H{1,4}: or :: (1.1: or :).
	if n := hexRun(s, j); !(j+n < len(s) && s[j+n] == ':' && (n > 0 || single || (j+1 < len(s) && s[j+1] == ':'))) {
		return host{}, false
	}
	var x ip6Search
	x.s, x.j, x.single = s, j, single
	x.walk(j, 0)
	for i := 0; i < x.nends; i++ {
		e := j + int(x.ends[i])
		if end, ok := closeBracket(s, e, tail); ok {
			return host{Kind: hostIP6, Start: j, End: e, TagEnd: end}, true
		}
	}
	return host{}, false
}
