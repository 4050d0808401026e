package sshd

import "github.com/banscope/banscope/internal/pyre"

// fail2ban's sshd prefregex for logtype=file, applied to the line after the
// date text has been cut out:
//
//	^(?P<mlfid>(?:\[\])?\s*(?:<[^.]+\.[^.]+>\s+)?(?:\S+\s+)?(?:kernel:\s?\[ *\d+\.\d+\]:?\s+)?
//	  (?:@vserver_\S+\s+)?(?:(?:(?:\[\d+\])?:\s+[\[\(]?sshd(?:\(\S+\))?[\]\)]?:?|
//	  [\[\(]?sshd(?:\(\S+\))?[\]\)]?:?(?:\[\d+\])?:?)\s+)?(?:\[ID \d+ \S+\]\s+)?)
//	(?:(?:error|fatal): (?:PAM: )?)?(?P<content>.+)$
//
// From fail2ban 1.1.0 (Debian's 1.1.0-8 and upstream 1.1.1) "sshd" is
// `_daemon = sshd(?:-session)?`: OpenSSH >= 9.8's per-connection process
// too; 1.0.2 reads only "sshd". Every part is optional and greedy; content is whatever is left.

// splitPrefix returns the end of the mlfid (the session key) and the start
// of the content. ok is false when no content is left.
func (d dialect) splitPrefix(s []byte) (mlfidEnd, contentStart int, ok bool) {
	p := 0
	if pyre.HasPrefixAt(s, 0, "[]") {
		p = 2
	}
	p = pyre.SpanIs(s, p, pyre.Space)
	p = facility(s, p)
	// (?:\S+\s+)? one host token.
	if e := tokenEnd(s, p); e > p {
		if w := pyre.SpanIs(s, e, pyre.Space); w > e {
			p = w
		}
	}
	p = kernel(s, p)
	if pyre.HasPrefixAt(s, p, "@vserver_") {
		if e := tokenEnd(s, p+9); e > p+9 {
			if w := pyre.SpanIs(s, e, pyre.Space); w > e {
				p = w
			}
		}
	}
	p = d.daemon(s, p)
	p = solarisID(s, p)
	mlfidEnd = p
	if q, ok := lit(s, p, "error: "); ok {
		p = q
		if q, ok := lit(s, p, "PAM: "); ok {
			p = q
		}
	} else if q, ok := lit(s, p, "fatal: "); ok {
		p = q
		if q, ok := lit(s, p, "PAM: "); ok {
			p = q
		}
	}
	return mlfidEnd, p, p < len(s)
}

// facility matches (?:<[^.]+\.[^.]+>\s+)? at p.
func facility(s []byte, p int) int {
	if p >= len(s) || s[p] != '<' {
		return p
	}
	d := p + 1
	for d < len(s) && s[d] != '.' {
		d++
	}
	if d == p+1 || d >= len(s) {
		return p
	}
	e := d + 1
	for e < len(s) && s[e] != '.' {
		e++
	}
	// [^.]+ greedy up to e, then back off to a '>' followed by \s+.
	for g := e - 1; g > d+1; g-- {
		if s[g] == '>' {
			if w := pyre.SpanIs(s, g+1, pyre.Space); w > g+1 {
				return w
			}
		}
	}
	return p
}

// kernel matches (?:kernel:\s?\[ *\d+\.\d+\]:?\s+)? at p.
func kernel(s []byte, p int) int {
	q, ok := lit(s, p, "kernel:")
	if !ok {
		return p
	}
	try := func(q int) int {
		if q >= len(s) || s[q] != '[' {
			return -1
		}
		q++
		for q < len(s) && s[q] == ' ' {
			q++
		}
		d := pyre.SpanIs(s, q, pyre.Digit)
		if d == q || d >= len(s) || s[d] != '.' {
			return -1
		}
		e := pyre.SpanIs(s, d+1, pyre.Digit)
		if e == d+1 || e >= len(s) || s[e] != ']' {
			return -1
		}
		e++
		if e < len(s) && s[e] == ':' {
			if w := pyre.SpanIs(s, e+1, pyre.Space); w > e+1 {
				return w
			}
		}
		if w := pyre.SpanIs(s, e, pyre.Space); w > e {
			return w
		}
		return -1
	}
	if n := pyre.Is(s, q, pyre.Space); n > 0 {
		if r := try(q + n); r >= 0 {
			return r
		}
	}
	if r := try(q); r >= 0 {
		return r
	}
	return p
}

// sshdName matches sshd(?:-session)? and returns its end, or -1.
func (d dialect) sshdName(s []byte, p int) int {
	q, ok := lit(s, p, "sshd")
	if !ok {
		return -1
	}
	if r, ok := lit(s, q, "-session"); ok && d.session {
		return r
	}
	return q
}

// daemon matches the optional daemon tag group, which must end in \s+.
func (d dialect) daemon(s []byte, p int) int {
	// The common "sshd[1234]: ": alternative A cannot start with 's', and
	// B's first path (name, no parenthesis, the pid, the colon, spaces)
	// succeeds, so the answer is the end of the spaces.
	if pyre.HasPrefixAt(s, p, "sshd[") {
		q := p + 5
		for q < len(s) && s[q]-'0' < 10 {
			q++
		}
		if q > p+5 && pyre.HasPrefixAt(s, q, "]: ") {
			return pyre.SpanIs(s, q+3, pyre.Space)
		}
	}
	// Alternative A: (?:\[\d+\])?:\s+[\[\(]?sshd(?:\(\S+\))?[\]\)]?:?
	if r := d.daemonA(s, p); r >= 0 {
		return r
	}
	// Alternative B: [\[\(]?sshd(?:\(\S+\))?[\]\)]?:?(?:\[\d+\])?:?
	if r := d.daemonB(s, p); r >= 0 {
		return r
	}
	return p
}

// bracketPID matches \[\d+\] at p and returns its end, or -1.
func bracketPID(s []byte, p int) int {
	if p >= len(s) || s[p] != '[' {
		return -1
	}
	d := pyre.SpanIs(s, p+1, pyre.Digit)
	if d == p+1 || d >= len(s) || s[d] != ']' {
		return -1
	}
	return d + 1
}

// sshdTag matches [\[\(]?sshd(?:\(\S+\))?[\]\)]?:? and calls k with each
// possible end, in regex order, until k accepts; it returns k's result.
func (d dialect) sshdTag(s []byte, p int, k func(int) int) int {
	starts := [2]int{p, -1}
	if p < len(s) && (s[p] == '[' || s[p] == '(') {
		starts = [2]int{p + 1, p}
	}
	for _, a := range starts {
		if a < 0 {
			break
		}
		n := d.sshdName(s, a)
		if n < 0 {
			continue
		}
		// (?:\(\S+\))? greedy: the last ')' inside the token first.
		if n < len(s) && s[n] == '(' {
			te := tokenEnd(s, n+1)
			for c := te - 1; c > n+1; c-- {
				if s[c] == ')' {
					if r := afterName(s, c+1, k); r >= 0 {
						return r
					}
				}
			}
		}
		if r := afterName(s, n, k); r >= 0 {
			return r
		}
	}
	return -1
}

// afterName matches [\]\)]?:? then k.
func afterName(s []byte, p int, k func(int) int) int {
	q := p
	if q < len(s) && (s[q] == ']' || s[q] == ')') {
		if r := colonOpt(s, q+1, k); r >= 0 {
			return r
		}
	}
	return colonOpt(s, p, k)
}

func colonOpt(s []byte, p int, k func(int) int) int {
	if p < len(s) && s[p] == ':' {
		if r := k(p + 1); r >= 0 {
			return r
		}
	}
	return k(p)
}

// spaces1 returns the end of \s+ at p, or -1.
func spaces1(s []byte, p int) int {
	if w := pyre.SpanIs(s, p, pyre.Space); w > p {
		return w
	}
	return -1
}

func (d dialect) daemonA(s []byte, p int) int {
	try := func(q int) int {
		if q >= len(s) || s[q] != ':' {
			return -1
		}
		w := spaces1(s, q+1)
		if w < 0 {
			return -1
		}
		return d.sshdTag(s, w, func(e int) int { return spaces1(s, e) })
	}
	if b := bracketPID(s, p); b >= 0 {
		if r := try(b); r >= 0 {
			return r
		}
	}
	return try(p)
}

func (d dialect) daemonB(s []byte, p int) int {
	return d.sshdTag(s, p, func(e int) int {
		if b := bracketPID(s, e); b >= 0 {
			if r := colonOpt(s, b, func(x int) int { return spaces1(s, x) }); r >= 0 {
				return r
			}
		}
		return colonOpt(s, e, func(x int) int { return spaces1(s, x) })
	})
}

// solarisID matches (?:\[ID \d+ \S+\]\s+)? at p.
func solarisID(s []byte, p int) int {
	q, ok := lit(s, p, "[ID ")
	if !ok {
		return p
	}
	d := pyre.SpanIs(s, q, pyre.Digit)
	if d == q || d >= len(s) || s[d] != ' ' {
		return p
	}
	te := tokenEnd(s, d+1)
	for c := te - 1; c > d+1; c-- {
		if s[c] == ']' {
			if w := spaces1(s, c+1); w >= 0 {
				return w
			}
		}
	}
	return p
}

// splitPrefixJournal is the prefregex of logtype=journal (lines that
// fail2ban's systemd backend synthesises as "host ident[pid]: message"):
//
//	^(?P<mlfid>\s*(?:\S+\s+)?(?:sshd(?:\[\d+\])?:?\s+)?(?:kernel:\s?\[ *\d+\.\d+\]:?\s+)?)
//	(?:(?:error|fatal): (?:PAM: )?)?(?P<content>.+)$
func (d dialect) splitPrefixJournal(s []byte) (mlfidEnd, contentStart int, ok bool) {
	p := pyre.SpanIs(s, 0, pyre.Space)
	if e := tokenEnd(s, p); e > p {
		if w := pyre.SpanIs(s, e, pyre.Space); w > e {
			p = w
		}
	}
	if n := d.sshdName(s, p); n >= 0 {
		try := func(q int) int { return colonOpt(s, q, func(x int) int { return spaces1(s, x) }) }
		r := -1
		if b := bracketPID(s, n); b >= 0 {
			r = try(b)
		}
		if r < 0 {
			r = try(n)
		}
		if r >= 0 {
			p = r
		}
	}
	p = kernel(s, p)
	mlfidEnd = p
	for _, pre := range [...]string{"error: ", "fatal: "} {
		if q, ok := lit(s, p, pre); ok {
			p = q
			if q, ok := lit(s, p, "PAM: "); ok {
				p = q
			}
			break
		}
	}
	return mlfidEnd, p, p < len(s)
}
