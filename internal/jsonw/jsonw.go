// Package jsonw appends JSON text without reflection, for hot output paths
// and for attacker-controlled strings that must stay inert anywhere.
package jsonw

import "unicode/utf8"

// AppendString appends s as a JSON string: control characters escaped,
// invalid UTF-8 replaced by U+FFFD, and <, >, & escaped so the text is
// also safe inside HTML.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if invisible(r) {
			b = appendEscape(b, r)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// invisible reports runes that change how text is shown without being
// seen: C1 controls, the line and paragraph separators and the
// bidirectional controls (an attacker's U+202E reverses what follows).
func invisible(r rune) bool {
	return r >= 0x80 && r < 0xa0 || r == 0x200e || r == 0x200f || r >= 0x2028 && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

func appendEscape(b []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}

// EscapeInvisible rewrites the invisible runes of encoded JSON (see
// invisible) as \u escapes, for output of encoding/json, which keeps them
// raw. They can stand only inside strings, where the escape means the same.
func EscapeInvisible(js []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(js); {
		if js[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(js[i:])
		if invisible(r) {
			out = appendEscape(append(out, js[last:i]...), r)
			last = i + size
		}
		i += size
	}
	if out == nil {
		return js
	}
	return append(out, js[last:]...)
}
