package jailsim

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// ParseDuration reads a fail2ban time value (MyTime.str2seconds): plain
// seconds, unit words (`10m`, `1h30m`, `1d12h`, `2weeks`, `1mo`, `1y`;
// `m` is minutes, `mo` months), and the arithmetic fail2ban allows
// (`1h-10m`, `1d*2`). It returns seconds.
func ParseDuration(s string) (float64, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty time value")
	}
	// 1. a space between a letter and a following digit.
	var b strings.Builder
	rs := []rune(in)
	for i, r := range rs {
		b.WriteRune(r)
		if unicode.IsLetter(r) && i+1 < len(rs) && unicode.IsDigit(rs[i+1]) {
			b.WriteByte(' ')
		}
	}
	// 2. unit words after a digit or a space, replaced by "*N".
	units := []struct {
		names []string
		mult  string
	}{
		{[]string{"days", "day", "da", "dd", "d"}, "86400"},
		{[]string{"weeks", "week", "wee", "we", "ww", "w"}, "604800"},
		{[]string{"months", "month", "mon", "mo"}, "2629800"},
		{[]string{"years", "year", "yea", "ye", "yy", "y"}, "31557600"},
		{[]string{"seconds", "second", "sec", "se", "ss", "s"}, "1"},
		{[]string{"minutes", "minute", "min", "mi", "mm", "m"}, "60"},
		{[]string{"hours", "hour", "hou", "ho", "hh", "h"}, "3600"},
	}
	text := b.String()
	var out []token
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c >= '0' && c <= '9' || c == '.':
			j := i
			for j < len(text) && (text[j] >= '0' && text[j] <= '9' || text[j] == '.') {
				j++
			}
			v, err := strconv.ParseFloat(text[i:j], 64)
			if err != nil {
				return 0, fmt.Errorf("time value %q: bad number %q", s, text[i:j])
			}
			out = append(out, token{kind: 'n', v: v, isInt: !strings.Contains(text[i:j], ".")})
			i = j
		case c == ' ' || c == '\t':
			i++
			// digit whitespace digit joins with '+'
			if len(out) > 0 && out[len(out)-1].kind == 'n' && i < len(text) && text[i] >= '0' && text[i] <= '9' {
				out = append(out, token{kind: '+'})
			}
		case strings.IndexByte("+-*/()", c) >= 0:
			out = append(out, token{kind: c})
			i++
		case unicode.IsLetter(rune(c)):
			j := i
			for j < len(text) && unicode.IsLetter(rune(text[j])) {
				j++
			}
			word := strings.ToLower(text[i:j])
			found := ""
			for _, u := range units {
				for _, n := range u.names {
					if n == word {
						found = u.mult
					}
				}
			}
			if found == "" || len(out) == 0 || out[len(out)-1].kind != 'n' {
				return 0, fmt.Errorf("time value %q: unknown unit %q", s, text[i:j])
			}
			m, _ := strconv.ParseFloat(found, 64)
			out = append(out, token{kind: '*'}, token{kind: 'n', v: m, isInt: true})
			i = j
		default:
			return 0, fmt.Errorf("time value %q: unexpected %q", s, c)
		}
	}
	e := &expr{toks: out}
	v, err := e.sum()
	if err != nil || e.pos != len(out) {
		return 0, fmt.Errorf("time value %q: not an expression", s)
	}
	return v, nil
}

type token struct {
	kind  byte // 'n' number or an operator
	v     float64
	isInt bool
}

type expr struct {
	toks []token
	pos  int
}

func (e *expr) peek() byte {
	if e.pos < len(e.toks) {
		return e.toks[e.pos].kind
	}
	return 0
}

func (e *expr) sum() (float64, error) {
	v, err := e.product()
	for err == nil && (e.peek() == '+' || e.peek() == '-') {
		op := e.peek()
		e.pos++
		var w float64
		w, err = e.product()
		if op == '+' {
			v += w
		} else {
			v -= w
		}
	}
	return v, err
}

func (e *expr) product() (float64, error) {
	v, err := e.unary()
	for err == nil && (e.peek() == '*' || e.peek() == '/') {
		op := e.peek()
		e.pos++
		var w float64
		w, err = e.unary()
		if op == '*' {
			v *= w
		} else if w == 0 {
			return 0, fmt.Errorf("division by zero")
		} else {
			v /= w
		}
	}
	return v, err
}

func (e *expr) unary() (float64, error) {
	switch e.peek() {
	case '-':
		e.pos++
		v, err := e.unary()
		return -v, err
	case '+':
		e.pos++
		return e.unary()
	case '(':
		e.pos++
		v, err := e.sum()
		if err != nil || e.peek() != ')' {
			return 0, fmt.Errorf("unbalanced parenthesis")
		}
		e.pos++
		return v, nil
	case 'n':
		v := e.toks[e.pos].v
		e.pos++
		return v, nil
	}
	return 0, fmt.Errorf("syntax")
}
