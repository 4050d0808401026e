package sshd

import (
	"unicode"
	"unicode/utf8"
)

// Character classes with the meaning Python 3's re module gives \s, \w and
// \d on str patterns: fail2ban decodes each line (invalid bytes become
// U+FFFD) and matches Unicode text, so an attacker's non-ASCII digits or
// separators must be classified exactly as fail2ban classifies them.
// Invalid UTF-8 decodes here as utf8.RuneError of width 1, which, like
// U+FFFD, belongs to none of the classes.

const (
	clSpace = 1 << iota
	clWord
	clDigit
	clHex
	clDNS // [\w\-.^_]
)

var asciiClass = func() (t [128]uint8) {
	for _, c := range " \t\n\v\f\r\x1c\x1d\x1e\x1f" {
		t[c] |= clSpace
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= clWord | clDigit | clHex | clDNS
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= clWord | clDNS
		t[c-'a'+'A'] |= clWord | clDNS
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= clHex
		t[c-'a'+'A'] |= clHex
	}
	t['_'] |= clWord | clDNS
	t['-'] |= clDNS
	t['.'] |= clDNS
	t['^'] |= clDNS
	return t
}()

func runeClass(r rune) uint8 {
	var c uint8
	switch {
	case r == utf8.RuneError:
		return 0
	case r == 0x85 || r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a) ||
		r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000:
		c |= clSpace
	}
	if unicode.IsLetter(r) || unicode.IsNumber(r) {
		c |= clWord | clDNS
	}
	if unicode.IsDigit(r) {
		c |= clDigit
	}
	return c
}

// classAt returns the class bits and the width of the character at s[i].
func classAt(s []byte, i int) (uint8, int) {
	b := s[i]
	if b < utf8.RuneSelf {
		return asciiClass[b], 1
	}
	r, n := utf8.DecodeRune(s[i:])
	return runeClass(r), n
}

// is reports the width of the character at s[i] if it has class cl, else 0.
func is(s []byte, i int, cl uint8) int {
	if i >= len(s) {
		return 0
	}
	c, n := classAt(s, i)
	if c&cl != 0 {
		return n
	}
	return 0
}

// not reports the width of the character at s[i] if it lacks class cl, else 0.
func not(s []byte, i int, cl uint8) int {
	if i >= len(s) {
		return 0
	}
	c, n := classAt(s, i)
	if c&cl == 0 {
		return n
	}
	return 0
}

// spanIs returns the end of the longest run of class cl starting at i.
func spanIs(s []byte, i int, cl uint8) int {
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if asciiClass[b]&cl == 0 {
				break
			}
			i++
			continue
		}
		n := is(s, i, cl)
		if n == 0 {
			break
		}
		i += n
	}
	return i
}

// spanNot returns the end of the longest run of characters without class cl.
func spanNot(s []byte, i int, cl uint8) int {
	for i < len(s) {
		if b := s[i]; b < utf8.RuneSelf {
			if asciiClass[b]&cl != 0 {
				break
			}
			i++
			continue
		}
		n := not(s, i, cl)
		if n == 0 {
			break
		}
		i += n
	}
	return i
}

// prevIs reports whether the character ending at i has class cl.
func prevIs(s []byte, i int, cl uint8) bool {
	if i <= 0 {
		return false
	}
	b := s[i-1]
	if b < utf8.RuneSelf {
		return asciiClass[b]&cl != 0
	}
	r, _ := utf8.DecodeLastRune(s[:i])
	return runeClass(r)&cl != 0
}

func hasPrefixAt(s []byte, i int, p string) bool {
	// Most calls try an alternative that fails at its first byte.
	return i <= len(s) && len(s)-i >= len(p) && (len(p) == 0 || s[i] == p[0]) && string(s[i:i+len(p)]) == p
}
