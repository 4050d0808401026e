// Package pyre gives byte-level parsers the character classes of Python 3's
// re module on str patterns (\s, \w, \d and the hex and DNS sets fail2ban's
// regexes use), so that hand-written matchers classify attacker-supplied
// non-ASCII text exactly as fail2ban does. It knows no log format.
package pyre

import (
	"unicode"
	"unicode/utf8"
)

// The classes have the meaning Python 3's re module gives \s, \w and
// \d on str patterns: fail2ban decodes each line (invalid bytes become
// U+FFFD) and matches Unicode text, so an attacker's non-ASCII digits or
// separators must be classified exactly as fail2ban classifies them.
// Invalid UTF-8 decodes here as utf8.RuneError of width 1, which, like
// U+FFFD, belongs to none of the classes.

// Class bits, combined in a uint8.
const (
	Space = 1 << iota // \s
	Word              // \w
	Digit             // \d
	Hex               // [0-9a-fA-F]
	DNS               // [\w\-.^_]
)

// ASCII holds the classes of the ASCII bytes.
var ASCII = func() (t [128]uint8) {
	for _, c := range " \t\n\v\f\r\x1c\x1d\x1e\x1f" {
		t[c] |= Space
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= Word | Digit | Hex | DNS
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= Word | DNS
		t[c-'a'+'A'] |= Word | DNS
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= Hex
		t[c-'a'+'A'] |= Hex
	}
	t['_'] |= Word | DNS
	t['-'] |= DNS
	t['.'] |= DNS
	t['^'] |= DNS
	return t
}()

// RuneClass returns the classes of a non-ASCII character.
func RuneClass(r rune) uint8 {
	var c uint8
	switch {
	case r == utf8.RuneError:
		return 0
	case r == 0x85 || r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a) ||
		r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000:
		c |= Space
	}
	if unicode.IsLetter(r) || unicode.IsNumber(r) {
		c |= Word | DNS
	}
	if unicode.IsDigit(r) {
		c |= Digit
	}
	return c
}

// classAt returns the class bits and the width of the character at s[i].
func At(s []byte, i int) (uint8, int) {
	b := s[i]
	if b < utf8.RuneSelf {
		return ASCII[b], 1
	}
	r, n := utf8.DecodeRune(s[i:])
	return RuneClass(r), n
}

// is reports the width of the character at s[i] if it has class cl, else 0.
func Is(s []byte, i int, cl uint8) int {
	if i >= len(s) {
		return 0
	}
	c, n := At(s, i)
	if c&cl != 0 {
		return n
	}
	return 0
}

// not reports the width of the character at s[i] if it lacks class cl, else 0.
func Not(s []byte, i int, cl uint8) int {
	if i >= len(s) {
		return 0
	}
	c, n := At(s, i)
	if c&cl == 0 {
		return n
	}
	return 0
}

// spanIs returns the end of the longest run of class cl starting at i.
func SpanIs(s []byte, i int, cl uint8) int {
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if ASCII[b]&cl == 0 {
				break
			}
			i++
			continue
		}
		n := Is(s, i, cl)
		if n == 0 {
			break
		}
		i += n
	}
	return i
}

// spanNot returns the end of the longest run of characters without class cl.
func SpanNot(s []byte, i int, cl uint8) int {
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if ASCII[b]&cl != 0 {
				break
			}
			i++
			continue
		}
		n := Not(s, i, cl)
		if n == 0 {
			break
		}
		i += n
	}
	return i
}

// prevIs reports whether the character ending at i has class cl.
func PrevIs(s []byte, i int, cl uint8) bool {
	if i <= 0 {
		return false
	}
	b := s[i-1]
	if b < utf8.RuneSelf {
		return ASCII[b]&cl != 0
	}
	r, _ := utf8.DecodeLastRune(s[:i])
	return RuneClass(r)&cl != 0
}

// HasPrefixAt reports whether s[i:] starts with p.
func HasPrefixAt(s []byte, i int, p string) bool {
	// Most calls try an alternative that fails at its first byte.
	return i <= len(s) && len(s)-i >= len(p) && (len(p) == 0 || s[i] == p[0]) && string(s[i:i+len(p)]) == p
}
