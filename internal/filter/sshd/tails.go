package sshd

import (
	"bytes"
	"unicode/utf8"

	"github.com/banscope/banscope/internal/pyre"
)

// Building blocks shared by the sshd message matchers. Each one mirrors a
// fragment of fail2ban's sshd.conf and explores its alternatives in the
// order a backtracking regex engine would, calling k for every way it can
// end until k accepts.

// prevChar steps back one character from e, not before lo.
func prevChar(s []byte, lo, e int) int {
	_, n := utf8.DecodeLastRune(s[lo:e])
	return e - n
}

// restSpace reports whether s[p:] matches \s*$.
func restSpace(s []byte, p int) bool {
	return pyre.SpanIs(s, p, pyre.Space) == len(s)
}

// portOn matches (?: (?:port \d+|on \S+|\[preauth\])){n,max} (the \[preauth\]
// alternative only when preauth is set), greedily, then k.
func portOn(s []byte, p, n, max int, preauth bool, k tailFunc) bool {
	if n < max && p < len(s) && s[p] == ' ' {
		q := p + 1
		switch {
		case pyre.HasPrefixAt(s, q, "port "):
			a := q + 5
			for e := pyre.SpanIs(s, a, pyre.Digit); e > a; e = prevChar(s, a, e) {
				if portOn(s, e, n+1, max, preauth, k) {
					return true
				}
			}
		case pyre.HasPrefixAt(s, q, "on "):
			a := q + 3
			for e := pyre.SpanNot(s, a, pyre.Space); e > a; e = prevChar(s, a, e) {
				if portOn(s, e, n+1, max, preauth, k) {
					return true
				}
			}
		case preauth && pyre.HasPrefixAt(s, q, "[preauth]"):
			if portOn(s, q+9, n+1, max, preauth, k) {
				return true
			}
		}
	}
	return k(p)
}

// suffEnd matches fail2ban's __suff followed by $:
// (?: (?:port \d+|on \S+|\[preauth\])){0,3}\s*$
func suffEnd(s []byte, p int) bool {
	return portOn(s, p, 0, 3, true, func(q int) bool { return restSpace(s, q) })
}

// sshOpt matches (?: ssh\d*)? greedily, then k.
func sshOpt(s []byte, p int, k tailFunc) bool {
	if pyre.HasPrefixAt(s, p, " ssh") {
		a := p + 4
		for e := pyre.SpanIs(s, a, pyre.Digit); ; e = prevChar(s, a, e) {
			if k(e) {
				return true
			}
			if e == a {
				break
			}
		}
	}
	return k(p)
}

// noFromEnd matches (?:(?! from ).)*$: the rest holds no " from ".
func noFromEnd(s []byte, p int) bool {
	return bytes.Index(s[p:], sFrom) < 0
}

var (
	sFrom = []byte(" from ")
)

// tokenEnd returns the end of \S+ at p (p when there is none).
func tokenEnd(s []byte, p int) int { return pyre.SpanNot(s, p, pyre.Space) }

// eachLast calls f with every index >= lo at which sep occurs, last first.
func eachLast(s []byte, lo int, sep []byte, f func(x int) bool) bool {
	hi := len(s)
	for hi-lo >= len(sep) {
		x := lastIndex(s[lo:hi], sep)
		if x < 0 {
			return false
		}
		x += lo
		if f(x) {
			return true
		}
		hi = x + len(sep) - 1
	}
	return false
}

// lastIndex is bytes.LastIndex, anchored on the separator's first
// non-space byte (bytes.LastIndex hashes every byte).
func lastIndex(s, sep []byte) int {
	n := len(sep)
	a := 0
	for a < n-1 && sep[a] == ' ' {
		a++
	}
	if n == 0 {
		return len(s)
	}
	anchor := sep[a]
	end := len(s) - n + a + 1 // the anchor's index is below end
	for end > a {
		j := bytes.LastIndexByte(s[:end], anchor)
		if j < a {
			return -1
		}
		if string(s[j-a:j-a+n]) == string(sep) {
			return j - a
		}
		end = j
	}
	return -1
}

// eachFirst calls f with every index >= lo at which sep occurs, first first.
func eachFirst(s []byte, lo int, sep []byte, f func(x int) bool) bool {
	for lo <= len(s) {
		x := bytes.Index(s[lo:], sep)
		if x < 0 {
			return false
		}
		x += lo
		if f(x) {
			return true
		}
		lo = x + 1
	}
	return false
}

// alg matches (?:(?:\w+ (?!found\b)){0,2}\w+) greedily, then k.
func alg(s []byte, p, n int, k tailFunc) bool {
	if n < 2 {
		e := pyre.SpanIs(s, p, pyre.Word)
		if e > p && e < len(s) && s[e] == ' ' && !foundWord(s, e+1) {
			if alg(s, e+1, n+1, k) {
				return true
			}
		}
	}
	for e := pyre.SpanIs(s, p, pyre.Word); e > p; e = prevChar(s, p, e) {
		if k(e) {
			return true
		}
	}
	return false
}

// foundWord reports whether found\b starts at p.
func foundWord(s []byte, p int) bool {
	return pyre.HasPrefixAt(s, p, "found") && pyre.Is(s, p+5, pyre.Word) == 0
}
