package sshd

import (
	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/pyre"
)

// A dialect is what one fail2ban release's filter.d/sshd.conf and
// server/ipdns.py make of the same text. Matchers are its methods, so a
// rule set of one release never asks another's questions.
type dialect struct {
	v f2bversion.Version
	// session: `_daemon = sshd(?:-session)?` (1.1.0-8 and 1.1.1) rather
	// than `sshd` (1.0.2).
	session bool
	// ip6Single: 1.1's IPAddr.IP_6_RE, whose groups may be a lone ":"
	// (`(?:H{1,4}::?|:){1,7}`), rather than 1.0.2's "::".
	ip6Single bool
}

func dialectOf(v f2bversion.Version) dialect {
	v = v.Or()
	return dialect{v: v, session: v.AtLeast(f2bversion.V1_1_0), ip6Single: v.AtLeast(f2bversion.V1_1_0)}
}

// v11 reports whether the 1.1 filter.d/sshd.conf applies.
func (d dialect) v11() bool { return d.v.AtLeast(f2bversion.V1_1_0) }

// matchAddr matches fail2ban's <ADDR> tag, `\[?(?:ip4|ip6)\]?`: <HOST>
// without its dns alternative.
func (d dialect) matchAddr(s []byte, i int, tail tailFunc) (host, bool) {
	if i > len(s) {
		return host{}, false
	}
	starts := [2]int{i, -1}
	if i < len(s) && s[i] == '[' {
		starts = [2]int{i + 1, i}
	}
	for _, j := range starts {
		if j < 0 {
			break
		}
		if h, ok := matchIP4(s, j, tail); ok {
			return h, true
		}
		if h, ok := matchIP6(s, j, d.ip6Single, tail); ok {
			return h, true
		}
	}
	return host{}, false
}

// optFromHost matches `(?:from )?<HOST>` at p (greedy: with "from "
// first), then tail.
func (d dialect) optFromHost(s []byte, p int, tail tailFunc) (host, bool) {
	if q, ok := lit(s, p, "from "); ok {
		if h, ok := d.matchHost(s, q, tail); ok {
			return h, true
		}
	}
	return d.matchHost(s, p, tail)
}

// lazyUserOptFrom matches `(?P<user>.*?) (?:from )?<HOST><tail>` at
// start (1.1's form of "<user> from <HOST>"): the user ends at the first
// space after which the rest matches.
func (d dialect) lazyUserOptFrom(s []byte, start int, m *match, tail tailFunc) bool {
	return eachFirst(s, start, []byte{' '}, func(x int) bool {
		h, ok := d.optFromHost(s, x+1, tail)
		if ok {
			m.UserStart, m.UserEnd, m.Host = start, x, h
		}
		return ok
	})
}

// tokenOrLazyOptFrom matches `(?P<user>\S+|.*?) (?:from )?<HOST><tail>`.
func (d dialect) tokenOrLazyOptFrom(s []byte, start int, m *match, tail tailFunc) bool {
	if e := tokenEnd(s, start); e > start && e < len(s) && s[e] == ' ' {
		if h, ok := d.optFromHost(s, e+1, tail); ok {
			m.UserStart, m.UserEnd, m.Host = start, e, h
			return true
		}
	}
	return d.lazyUserOptFrom(s, start, m, tail)
}

// colonMsg matches `(?:: (?!Too many authentication failures)[^\[]+)?`
// (greedy) at p, then k (k(len(s)) stands for the end after the appended
// newline). For the three tails it is followed by in
// sshd.conf 1.1 — `(?: \[preauth\])?\s*$`, `\s+\[preauth\]\s*$` and `$` —
// only the longest run r and r-1 can succeed: a shorter run leaves either
// text without "[" that is not all space, or a "[" that the tail would
// need right after one space. So only those two ends are tried.
func colonMsg(s []byte, p int, k tailFunc) bool {
	if q, ok := lit(s, p, ": "); ok && !pyre.HasPrefixAt(s, q, "Too many authentication failures") {
		r := q
		for r < len(s) && s[r] != '[' {
			r++
		}
		// fail2ban matches the line with a "\n" appended
		// (Regex._tupleLinesBuf), which [^\[] takes too: at the end of
		// the line the run is never empty.
		if r > q || r == len(s) {
			if k(r) {
				return true
			}
			if r-1 > q && s[r-1] == ' ' && k(r-1) {
				return true
			}
		}
	}
	return k(p)
}

// ruleClosed11 is 1.1's mdre-<mode>-other:
//
//	^(?:Connection (?:closed|reset)|Disconnect(?:ed|ing))__authng_user <ADDR><tail>
//	__authng_user = (?: (?:by|from))?(?: (?:invalid|authenticating) user (?P<user>\S+|.*?))?(?: from)?
func (d dialect) ruleClosed11(t closedTail, nofail bool) rule {
	general := d.ruleClosedGeneral11(t, nofail)
	if t == closedDDoSNF {
		return general
	}
	return withClosedShortcut(general, nofail)
}

// ruleClosedGeneral11 is ruleClosed11 without the shortcut for the common line.
func (d dialect) ruleClosedGeneral11(t closedTail, nofail bool) rule {
	return func(s []byte, m *match) bool {
		var p int
		var ok bool
		if p, ok = lit(s, 0, "Connection closed"); !ok {
			if p, ok = lit(s, 0, "Connection reset"); !ok {
				if p, ok = lit(s, 0, "Disconnected"); !ok {
					if p, ok = lit(s, 0, "Disconnecting"); !ok {
						return false
					}
				}
			}
		}
		var tail tailFunc
		switch t {
		case closedNormal: // %(__on_port_opt)s(?:: ...)?(?: \[preauth\])?\s*$
			tail = func(q int) bool {
				return portOn(s, q, 0, 2, false, func(r int) bool {
					return colonMsg(s, r, func(e int) bool {
						if a, ok := lit(s, e, " [preauth]"); ok && restSpace(s, a) {
							return true
						}
						return restSpace(s, e)
					})
				})
			}
		case closedDDoS: // %(__on_port_opt)s(?:: ...)?\s+\[preauth\]\s*$
			tail = func(q int) bool {
				return portOn(s, q, 0, 2, false, func(r int) bool {
					return colonMsg(s, r, func(e int) bool {
						w := pyre.SpanIs(s, e, pyre.Space)
						if w == e {
							return false
						}
						a, ok := lit(s, w, "[preauth]")
						return ok && restSpace(s, a)
					})
				})
			}
		case closedDDoSNF: // (?:%(__on_port_opt)s(?:: ...)?|\s*)$
			tail = func(q int) bool {
				if portOn(s, q, 0, 2, false, func(r int) bool {
					return colonMsg(s, r, func(e int) bool { return e == len(s) })
				}) {
					return true
				}
				return restSpace(s, q)
			}
		}
		m.Kind, m.NoFail, m.Forget = KindConnectionClosed, nofail, true
		// (?: from)? then " <ADDR>"
		addr := func(q int) (host, bool) {
			if r, ok := lit(s, q, " from"); ok && r < len(s) && s[r] == ' ' {
				if h, ok := d.matchAddr(s, r+1, tail); ok {
					return h, true
				}
			}
			if q < len(s) && s[q] == ' ' {
				return d.matchAddr(s, q+1, tail)
			}
			return host{}, false
		}
		// the user group at q, then the rest
		rest := func(q int) bool {
			for _, who := range [...]string{" invalid user ", " authenticating user "} {
				u, ok := lit(s, q, who)
				if !ok {
					continue
				}
				if e := tokenEnd(s, u); e > u {
					if h, ok := addr(e); ok {
						m.UserStart, m.UserEnd, m.Host = u, e, h
						return true
					}
				}
				// .*?: the user ends at the first space where the rest matches
				if eachFirst(s, u, []byte{' '}, func(x int) bool {
					h, ok := addr(x)
					if ok {
						m.UserStart, m.UserEnd, m.Host = u, x, h
					}
					return ok
				}) {
					return true
				}
			}
			if h, ok := addr(q); ok {
				m.UserStart, m.Host = -1, h
				return true
			}
			return false
		}
		if q, ok := lit(s, p, " by"); ok && rest(q) {
			return true
		}
		if q, ok := lit(s, p, " from"); ok && rest(q) {
			return true
		}
		return rest(p)
	}
}

// 1.1 ddos: ^(?:Did not receive identification string from|Timeout before
// authentication for) <HOST>; 1.1.1: ... for(?: connection from)? <HOST>
// (OpenSSH >= 9.8's listener: "Timeout before authentication for
// connection from A to L, pid = N").
func (d dialect) ruleNoIdent11(s []byte, m *match) bool {
	if p, ok := lit(s, 0, "Did not receive identification string from "); ok {
		h, ok := d.matchHost(s, p, anyTail)
		m.Kind, m.Host = KindNoIdentification, h
		return ok
	}
	p, ok := lit(s, 0, "Timeout before authentication for")
	if !ok {
		return false
	}
	m.Kind = KindTimeoutBeforeAuth
	if d.v.AtLeast(f2bversion.V1_1_1) {
		if q, ok := lit(s, p, " connection from "); ok {
			if h, ok := d.matchHost(s, q, anyTail); ok {
				m.Host = h
				return true
			}
		}
	}
	if q, ok := lit(s, p, " "); ok {
		h, ok := d.matchHost(s, q, anyTail)
		m.Host = h
		return ok
	}
	return false
}

// 1.1 ddos: ^Bad protocol version identification '(?:[^']|.*?)' (?:from )?<HOST>__suff$
func (d dialect) ruleBadProto11(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Bad protocol version identification '")
	if !ok {
		return false
	}
	m.Kind = KindBadProtocol
	tail := func(q int) bool { return suffEnd(s, q) }
	try := func(x int) bool { // the closing quote at x
		if x >= len(s) || s[x] != '\'' || x+1 >= len(s) || s[x+1] != ' ' {
			return false
		}
		h, ok := d.optFromHost(s, x+2, tail)
		m.Host = h
		return ok
	}
	// [^'] (one character), then .*? (none, one, ...).
	if p < len(s) && s[p] != '\'' {
		if try(p + charLen(s, p)) {
			return true
		}
	}
	return eachFirst(s, p, []byte("' "), try)
}

// charLen is the length of the character at p.
func charLen(s []byte, p int) int {
	_, n := pyre.At(s, p)
	return n
}

// 1.1 ddos: ^(?:banner exchange|ssh_dispatch_run_fatal): Connection from <HOST><__on_port_opt>:
// (?:invalid format|(?:message authentication code incorrect|[Cc]onnection corrupted) \[preauth\])
func (d dialect) ruleBanner11(s []byte, m *match) bool {
	p, ok := lit(s, 0, "banner exchange: Connection from ")
	m.Kind = KindBannerExchange
	if !ok {
		if p, ok = lit(s, 0, "ssh_dispatch_run_fatal: Connection from "); !ok {
			return false
		}
		m.Kind = KindDispatchFatal
	}
	h, ok := d.matchHost(s, p, func(q int) bool {
		return portOn(s, q, 0, 2, false, func(r int) bool {
			r, ok := lit(s, r, ": ")
			if !ok {
				return false
			}
			if pyre.HasPrefixAt(s, r, "invalid format") {
				return true
			}
			var a int
			if a, ok = lit(s, r, "message authentication code incorrect"); !ok {
				if r >= len(s) || (s[r] != 'C' && s[r] != 'c') {
					return false
				}
				if a, ok = lit(s, r+1, "onnection corrupted"); !ok {
					return false
				}
			}
			return pyre.HasPrefixAt(s, a, " [preauth]")
		})
	})
	m.Host = h
	return ok
}
