package sshd

import (
	"bytes"

	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/pyre"
)

// The sshd failregex catalogue of fail2ban 1.0.2 (filter.d/sshd.conf),
// hand-translated; dialect.go holds the rules 1.1.0 and 1.1.1 changed. Each matcher takes the content left after the prefix
// (fail2ban's prefregex) and reports what the regex captures.

// Kind names the sshd message a line matched: one per failregex.
type Kind = filter.Kind

const (
	KindNone               Kind = iota
	KindAuthFailure             // error: PAM: Authentication failure for U from H
	KindUserUnknown             // User not known to the underlying authentication module
	KindPubkeyInvalidUser       // Failed publickey for invalid user U from H
	KindFailed                  // Failed password|keyboard-interactive|... for U from H
	KindRootRefused             // ROOT LOGIN REFUSED FROM H
	KindInvalidUser             // Invalid user U from H (also Illegal)
	KindNotAllowedUsers         // not allowed because not listed in AllowUsers
	KindDeniedUsers             // not allowed because listed in DenyUsers
	KindNoGroup                 // not allowed because not in any group
	KindRefusedConnect          // refused connect from N (H) (tcp wrappers)
	KindDisconnectAuthFail      // Received disconnect from H: 3: ...: Auth fail
	KindDeniedGroups            // not allowed because a group is listed in DenyGroups
	KindNotAllowedGroups        // not allowed because none of user's groups are listed in AllowGroups
	KindPAMFailure              // pam_unix(sshd:auth): authentication failure; ... rhost=H
	KindMaxAuthAttempts         // maximum authentication attempts exceeded for U from H
	KindAccountLocked           // User U not allowed because account is locked
	KindChangeUser              // Disconnecting invalid user U H: Change of username or service not allowed
	KindTooManyAuth             // Disconnecting: Too many authentication failures
	KindDisconnectBye           // Received disconnect from H: 11: ...
	KindConnectionClosed        // Connection closed|reset by ... H / Disconnected from ... H
	KindAccepted                // Accepted <method> for U from H
	KindNoIdentification        // Did not receive identification string from H
	KindKexIdentification       // kex_exchange_identification: ...
	KindBadProtocol             // Bad protocol version identification '...' from H
	KindSSHServer               // SSH: Server;Ltype: ...;Remote: H-port;...
	KindReadSocket              // Read from socket failed: Connection reset by peer
	KindBannerExchange          // banner exchange: Connection from H: invalid format
	KindNoAuthMethods           // Received disconnect from H: 14: No supported authentication methods available
	KindNegotiateWith           // Unable to negotiate with H: no matching X found.
	KindNegotiate               // Unable to negotiate a X
	KindNoMatching              // no matching X found:
	KindConnectionFrom          // Connection from H (LogLevel VERBOSE)
	KindTimeoutBeforeAuth       // Timeout before authentication for [connection from] H (ddos, 1.1)
	KindDispatchFatal           // ssh_dispatch_run_fatal: Connection from H: message authentication code incorrect (ddos, 1.1)
	numKinds
)

var kindNames = [numKinds]string{
	KindNone:               "none",
	KindAuthFailure:        "auth-failure",
	KindUserUnknown:        "user-unknown",
	KindPubkeyInvalidUser:  "publickey-invalid-user",
	KindFailed:             "failed",
	KindRootRefused:        "root-login-refused",
	KindInvalidUser:        "invalid-user",
	KindNotAllowedUsers:    "not-in-allowusers",
	KindDeniedUsers:        "in-denyusers",
	KindNoGroup:            "not-in-any-group",
	KindRefusedConnect:     "refused-connect",
	KindDisconnectAuthFail: "disconnect-auth-fail",
	KindDeniedGroups:       "in-denygroups",
	KindNotAllowedGroups:   "not-in-allowgroups",
	KindPAMFailure:         "pam-failure",
	KindMaxAuthAttempts:    "max-auth-attempts",
	KindAccountLocked:      "account-locked",
	KindChangeUser:         "change-of-user",
	KindTooManyAuth:        "too-many-auth-failures",
	KindDisconnectBye:      "disconnect-bye",
	KindConnectionClosed:   "connection-closed",
	KindAccepted:           "accepted",
	KindNoIdentification:   "no-identification",
	KindKexIdentification:  "kex-identification",
	KindBadProtocol:        "bad-protocol",
	KindSSHServer:          "ssh-server-ltype",
	KindReadSocket:         "read-socket-reset",
	KindBannerExchange:     "banner-exchange",
	KindNoAuthMethods:      "no-auth-methods",
	KindNegotiateWith:      "negotiate-with",
	KindNegotiate:          "negotiate",
	KindNoMatching:         "no-matching-algorithm",
	KindConnectionFrom:     "connection-from",
	KindTimeoutBeforeAuth:  "timeout-before-auth",
	KindDispatchFatal:      "dispatch-fatal",
}

// KindName returns the kind's name as used in banscope's outputs.
func KindName(k Kind) string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

// Kinds lists every kind except KindNone, in catalogue order.
func Kinds() []Kind {
	ks := make([]Kind, 0, numKinds-1)
	for k := KindNone + 1; k < numKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

func isDigit(b byte) bool { return b-'0' < 10 }

// match is what one failregex captured.
type match = filter.Match

// rule is one failregex: it fills m and reports whether it matched.
type rule func(s []byte, m *match) bool

func lit(s []byte, p int, l string) (int, bool) {
	if pyre.HasPrefixAt(s, p, l) {
		return p + len(l), true
	}
	return p, false
}

// fromHost handles "<user> from <HOST><tail>" where the user is `.*`
// (greedy, lazy=false) or `.*?` (lazy=true).
//
// From fail2ban 1.1 every rule written so (authentication failure, user
// not known, invalid user, maximum attempts) reads
// `(?P<user>.*?) (?:from )?<HOST>` instead: lazyUserOptFrom.
func (d dialect) fromHost(s []byte, start int, lazy bool, m *match, tail tailFunc) bool {
	if d.v11() {
		return d.lazyUserOptFrom(s, start, m, tail)
	}
	try := func(x int) bool {
		h, ok := d.matchHost(s, x+len(sFrom), tail)
		if ok {
			m.UserStart, m.UserEnd, m.Host = start, x, h
		}
		return ok
	}
	if lazy {
		return eachFirst(s, start, sFrom, try)
	}
	return eachLast(s, start, sFrom, try)
}

// tokenOrLazy handles a user written `\S+|.*?` followed by the literal sep
// and then <HOST><tail> (sep ends where <HOST> begins).
func (d dialect) tokenOrLazy(s []byte, start int, sep []byte, m *match, tail tailFunc) bool {
	try := func(x int) bool {
		if !pyre.HasPrefixAt(s, x, string(sep)) {
			return false
		}
		h, ok := d.matchHost(s, x+len(sep), tail)
		if ok {
			m.UserStart, m.UserEnd, m.Host = start, x, h
		}
		return ok
	}
	if e := tokenEnd(s, start); e > start && try(e) {
		return true
	}
	return eachFirst(s, start, sep, try)
}

// 1: ^[aA]uthentication (?:failure|error|failed) for (?P<user>.*) from <HOST>( via \S+)?__suff$
func (d dialect) ruleAuthFailure(s []byte, m *match) bool {
	q, ok := authFailureHead(s)
	if !ok {
		return false
	}
	m.Kind = KindAuthFailure
	return d.fromHost(s, q, false, m, viaSuff(s))
}

// authFailureHead matches ^[aA]uthentication (?:failure|error|failed) for
// and returns where the user starts.
func authFailureHead(s []byte) (int, bool) {
	if len(s) == 0 || (s[0] != 'a' && s[0] != 'A') {
		return 0, false
	}
	p, ok := lit(s, 1, "uthentication ")
	if !ok {
		return 0, false
	}
	var q int
	if q, ok = lit(s, p, "failure"); !ok {
		if q, ok = lit(s, p, "error"); !ok {
			if q, ok = lit(s, p, "failed"); !ok {
				return 0, false
			}
		}
	}
	return lit(s, q, " for ")
}

// viaSuff is the tail ( via \S+)?__suff$.
func viaSuff(s []byte) tailFunc {
	return func(p int) bool {
		if pyre.HasPrefixAt(s, p, " via ") {
			a := p + 5
			for e := tokenEnd(s, a); e > a; e = prevChar(s, a, e) {
				if suffEnd(s, e) {
					return true
				}
			}
		}
		return suffEnd(s, p)
	}
}

// 2: ^User not known to the underlying authentication module for (?P<user>.*) from <HOST>__suff$
func (d dialect) ruleUserUnknown(s []byte, m *match) bool {
	p, ok := lit(s, 0, "User not known to the underlying authentication module for ")
	if !ok {
		return false
	}
	m.Kind = KindUserUnknown
	return d.fromHost(s, p, false, m, func(p int) bool { return suffEnd(s, p) })
}

// condTail is the common end of regexes 3 and 4:
// (?: (?:port \d+|on \S+)){0,2}(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)
func condTail(s []byte, p int, condUser bool) bool {
	return portOn(s, p, 0, 2, false, func(q int) bool {
		return sshOpt(s, q, func(r int) bool {
			if condUser {
				return pyre.HasPrefixAt(s, r, ": ")
			}
			return noFromEnd(s, r)
		})
	})
}

// userCond tries the user alternatives of regexes 3 and 4 at start:
// (?P<cond_user>\S+) first, then `(?:(?! from ).)*?` when inv, else `[^:]+`.
func (d dialect) userCond(s []byte, start int, inv bool, m *match) bool {
	if e, ipEnd, ok := plainUserFromIP4(s, start); ok {
		m.UserStart, m.UserEnd, m.Host = start, e, host{Kind: hostIP4, Start: e + len(sFrom), End: ipEnd, TagEnd: ipEnd}
		return true
	}
	return d.userCondGeneral(s, start, inv, m)
}

// userCondGeneral is userCond without the shortcut for the common line.
func (d dialect) userCondGeneral(s []byte, start int, inv bool, m *match) bool {
	// The cond_user alternative ends in ": ", so it is tried only when the
	// rest of the line holds one.
	if e := tokenEnd(s, start); e > start && pyre.HasPrefixAt(s, e, " from ") && bytes.Index(s[e+len(sFrom):], []byte(": ")) >= 0 {
		if h, ok := d.matchHost(s, e+len(sFrom), func(p int) bool { return condTail(s, p, true) }); ok {
			m.UserStart, m.UserEnd, m.Host = start, e, h
			return true
		}
	}
	noCond := func(p int) bool { return condTail(s, p, false) }
	if inv {
		// The user cannot contain " from ": it ends at the first one.
		if x := indexFrom(s, start); x >= 0 {
			if h, ok := d.matchHost(s, x+len(sFrom), noCond); ok {
				m.UserStart, m.UserEnd, m.Host = start, x, h
				return true
			}
		}
		return false
	}
	// [^:]+ greedy: every " from " inside the colon-free run, last first.
	end := start
	for end < len(s) && s[end] != ':' {
		end++
	}
	hi := end + len(sFrom)
	if hi > len(s) {
		hi = len(s)
	}
	sub := s[:hi]
	return eachLast(sub, start+1, sFrom, func(x int) bool {
		if x > end {
			return false
		}
		h, ok := d.matchHost(s, x+len(sFrom), noCond)
		if ok {
			m.UserStart, m.UserEnd, m.Host = start, x, h
		}
		return ok
	})
}

// plainUserFromIP4 recognises the common rest of a "Failed" line,
// "USER from A.B.C.D port N ssh2" and nothing after, with an ASCII user
// without spaces or colons: there is one " from " and no ": ", so every
// user alternative of userCond ends at that " from ", the dotted quad
// takes all its digits, and the tail (port, ssh2, end) accepts at once.
// It returns the end of the user and of the address.
func plainUserFromIP4(s []byte, start int) (userEnd, ipEnd int, ok bool) {
	e := start
	for e < len(s) && s[e] > ' ' && s[e] != ':' && s[e] < 0x7f {
		e++
	}
	if e == start || !pyre.HasPrefixAt(s, e, " from ") {
		return 0, 0, false
	}
	p, ok := dottedQuad(s, e+len(sFrom))
	if !ok {
		return 0, 0, false
	}
	ipEnd = p
	if !pyre.HasPrefixAt(s, p, " port ") {
		return 0, 0, false
	}
	p += len(" port ")
	d := p
	for p < len(s) && isDigit(s[p]) {
		p++
	}
	if p == d || string(s[p:]) != " ssh2" {
		return 0, 0, false
	}
	return e, ipEnd, true
}

func indexFrom(s []byte, start int) int {
	x := -1
	eachFirst(s, start, sFrom, func(i int) bool { x = i; return true })
	return x
}

// 3: ^Failed publickey for invalid user (?P<user>(?P<cond_user>\S+)|(?:(?! from ).)*?) from <HOST>...
func (d dialect) rulePubkeyInvalid(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Failed publickey for invalid user ")
	if !ok {
		return false
	}
	m.Kind = KindPubkeyInvalidUser
	return d.userCond(s, p, true, m)
}

// PublicKey is the sshd filter's publickey option (filter.d/sshd.conf: publickey).
type PublicKey uint8

const (
	PublicKeyNoFail  PublicKey = iota // default: "Failed publickey" of a valid user is a helper
	PublicKeyInvalid                  // only invalid users' publickey failures count
	PublicKeyAny                      // every publickey failure counts
	PublicKeyIgnore                   // publickey failures never count
)

// 4: ^Failed <method> for (?P<cond_inv>invalid user )?(?P<user>...) from <HOST>...
func (d dialect) ruleFailed(pk PublicKey) rule {
	return func(s []byte, m *match) bool {
		p, ok := lit(s, 0, "Failed ")
		if !ok {
			return false
		}
		te := tokenEnd(s, p)
		if te == p || !pyre.HasPrefixAt(s, te, " for ") {
			return false
		}
		nofail := false
		switch pk {
		case PublicKeyNoFail:
			nofail = te-p == len("publickey") && pyre.HasPrefixAt(s, p, "publickey")
		case PublicKeyInvalid, PublicKeyIgnore:
			// \b(?!publickey)\S+
			if pyre.Is(s, p, pyre.Word) == 0 || pyre.HasPrefixAt(s, p, "publickey") {
				return false
			}
		}
		q := te + len(" for ")
		m.Kind, m.NoFail = KindFailed, nofail
		if r, ok := lit(s, q, "invalid user "); ok && d.userCond(s, r, true, m) {
			return true
		}
		return d.userCond(s, q, false, m)
	}
}

// 5: ^(?P<user>ROOT) LOGIN REFUSED FROM <HOST>
func (d dialect) ruleRootRefused(s []byte, m *match) bool {
	p, ok := lit(s, 0, "ROOT LOGIN REFUSED FROM ")
	if !ok {
		return false
	}
	h, ok := d.matchHost(s, p, func(int) bool { return true })
	if !ok {
		return false
	}
	m.Kind, m.UserStart, m.UserEnd, m.Host = KindRootRefused, 0, 4, h
	return true
}

// 6: ^[iI](?:llegal|nvalid) user (?P<user>.*?) from <HOST>__suff$
func (d dialect) ruleInvalidUser(s []byte, m *match) bool {
	p, ok := invalidUserHead(s)
	if !ok {
		return false
	}
	m.Kind = KindInvalidUser
	return d.fromHost(s, p, true, m, func(p int) bool { return suffEnd(s, p) })
}

// invalidUserHead matches ^[iI](?:llegal|nvalid) user and returns where the
// user starts.
func invalidUserHead(s []byte) (int, bool) {
	if len(s) == 0 || (s[0] != 'i' && s[0] != 'I') {
		return 0, false
	}
	if p, ok := lit(s, 1, "nvalid user "); ok {
		return p, true
	}
	return lit(s, 1, "llegal user ")
}

// 7, 8, 9, 12, 13: ^User (?P<user>\S+|.*?) from <HOST> not allowed because <why>__suff$
//
// 1.1: ^User (?P<user>\S+|.*?) (?:from )?<HOST> not allowed because ...
func (d dialect) ruleNotAllowed(kind Kind, why string) rule {
	tailLit := " not allowed because " + why
	return func(s []byte, m *match) bool {
		p, ok := lit(s, 0, "User ")
		if !ok || bytes.Index(s[p:], []byte(tailLit)) < 0 { // the regex needs the literal
			return false
		}
		m.Kind = kind
		tail := func(p int) bool {
			q, ok := lit(s, p, tailLit)
			return ok && suffEnd(s, q)
		}
		if d.v11() {
			return d.tokenOrLazyOptFrom(s, p, m, tail)
		}
		return d.tokenOrLazy(s, p, sFrom, m, tail)
	}
}

// 10: ^refused connect from \S+ \(<HOST>\)
func (d dialect) ruleRefused(s []byte, m *match) bool {
	p, ok := lit(s, 0, "refused connect from ")
	if !ok {
		return false
	}
	e := tokenEnd(s, p)
	if e == p || !pyre.HasPrefixAt(s, e, " (") {
		return false
	}
	h, ok := d.matchHost(s, e+2, func(q int) bool { return q < len(s) && s[q] == ')' })
	if !ok {
		return false
	}
	m.Kind, m.Host = KindRefusedConnect, h
	return true
}

// portOnColon matches (?: (?:port \d+|on \S+)){0,2}:\s* then k.
func portOnColon(s []byte, p int, k tailFunc) bool {
	return portOn(s, p, 0, 2, false, func(q int) bool {
		if q >= len(s) || s[q] != ':' {
			return false
		}
		return k(pyre.SpanIs(s, q+1, pyre.Space))
	})
}

// 11: ^Received disconnect from <HOST>(...){0,2}:\s*3: .*: Auth fail__suff$
func (d dialect) ruleDisconnectAuthFail(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Received disconnect from ")
	if !ok || bytes.Index(s[p:], []byte(": Auth fail")) < 0 { // the regex needs the literal
		return false
	}
	h, ok := d.matchHost(s, p, func(q int) bool {
		return portOnColon(s, q, func(r int) bool {
			r, ok := lit(s, r, "3: ")
			if !ok {
				return false
			}
			return eachLast(s, r, []byte(": Auth fail"), func(x int) bool {
				return suffEnd(s, x+len(": Auth fail"))
			})
		})
	})
	if !ok {
		return false
	}
	m.Kind, m.Forget, m.Host = KindDisconnectAuthFail, true, h
	return true
}

// 14: ^(?P<nofail>pam_[a-z]+\(sshd:auth\):\s+authentication failure;)
// (?:\s+(?:(?:logname|e?uid|tty)=\S*)){0,4}\s+ruser=(?P<alt_user>\S*)\s+rhost=<HOST>
// (?:\s+user=(?P<user>\S*))?__suff$
func (d dialect) rulePAM(s []byte, m *match) bool {
	p, ok := lit(s, 0, "pam_")
	if !ok {
		return false
	}
	q := p
	for q < len(s) && s[q] >= 'a' && s[q] <= 'z' {
		q++
	}
	if q == p {
		return false
	}
	if q, ok = lit(s, q, "(sshd:auth):"); !ok {
		return false
	}
	w := pyre.SpanIs(s, q, pyre.Space)
	if w == q {
		return false
	}
	if q, ok = lit(s, w, "authentication failure;"); !ok {
		return false
	}
	for n := 0; n < 4; n++ {
		w := pyre.SpanIs(s, q, pyre.Space)
		if w == q {
			break
		}
		var r int
		if r, ok = lit(s, w, "logname="); !ok {
			if r, ok = lit(s, w, "euid="); !ok {
				if r, ok = lit(s, w, "uid="); !ok {
					if r, ok = lit(s, w, "tty="); !ok {
						break
					}
				}
			}
		}
		q = tokenEnd(s, r)
	}
	w = pyre.SpanIs(s, q, pyre.Space)
	if w == q {
		return false
	}
	if q, ok = lit(s, w, "ruser="); !ok {
		return false
	}
	ru := tokenEnd(s, q)
	w = pyre.SpanIs(s, ru, pyre.Space)
	if w == ru {
		return false
	}
	r, ok := lit(s, w, "rhost=")
	if !ok {
		return false
	}
	us, ue := -1, -1
	h, ok := d.matchHost(s, r, func(p int) bool {
		us, ue = -1, -1
		if w := pyre.SpanIs(s, p, pyre.Space); w > p {
			if a, ok := lit(s, w, "user="); ok {
				e := tokenEnd(s, a)
				if suffEnd(s, e) {
					us, ue = a, e
					return true
				}
			}
		}
		return suffEnd(s, p)
	})
	if !ok {
		return false
	}
	m.Kind, m.NoFail, m.Host = KindPAMFailure, true, h
	// alt_user becomes user when user is empty or absent.
	if ue > us {
		m.UserStart, m.UserEnd = us, ue
	} else if ru > q {
		m.UserStart, m.UserEnd = q, ru
	} else if us >= 0 {
		m.UserStart, m.UserEnd = us, ue
	}
	return true
}

// 15: ^maximum authentication attempts exceeded for (?P<user>.*) from <HOST>(...){0,2}(?: ssh\d*)?__suff$
func (d dialect) ruleMaxAuth(s []byte, m *match) bool {
	p, ok := lit(s, 0, "maximum authentication attempts exceeded for ")
	if !ok {
		return false
	}
	m.Kind = KindMaxAuthAttempts
	tail := func(p int) bool {
		return portOn(s, p, 0, 2, false, func(q int) bool {
			return sshOpt(s, q, func(r int) bool { return suffEnd(s, r) })
		})
	}
	// 1.1: ... exceeded for (?:invalid user )?(?P<user>.*?) (?:from )?<HOST>...
	if q, ok := lit(s, p, "invalid user "); ok && d.v11() && d.fromHost(s, q, false, m, tail) {
		return true
	}
	return d.fromHost(s, p, false, m, tail)
}

// 16: ^User (?P<user>\S+|.*?) not allowed because account is locked
func (d dialect) ruleLocked(s []byte, m *match) bool {
	p, ok := lit(s, 0, "User ")
	if !ok {
		return false
	}
	const t = " not allowed because account is locked"
	x := -1
	if e := tokenEnd(s, p); e > p && pyre.HasPrefixAt(s, e, t) {
		x = e
	} else {
		eachFirst(s, p, []byte(t), func(i int) bool { x = i; return true })
	}
	if x < 0 {
		return false
	}
	m.Kind, m.UserStart, m.UserEnd = KindAccountLocked, p, x
	return true
}

// 17: ^Disconnecting(?: from)?(?: (?:invalid|authenticating)) user (?P<user>\S+) <HOST>
// (...){0,2}:\s*Change of username or service not allowed:\s*.*\[preauth\]\s*$
func (d dialect) ruleChangeUser(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Disconnecting")
	if !ok {
		return false
	}
	if q, ok := lit(s, p, " from"); ok && (pyre.HasPrefixAt(s, q, " invalid") || pyre.HasPrefixAt(s, q, " authenticating")) {
		p = q
	}
	if q, ok := lit(s, p, " invalid"); ok {
		p = q
	} else if q, ok := lit(s, p, " authenticating"); ok {
		p = q
	} else {
		return false
	}
	if p, ok = lit(s, p, " user "); !ok {
		return false
	}
	e := tokenEnd(s, p)
	if e == p || e >= len(s) || s[e] != ' ' || bytes.Index(s[e:], []byte("Change of username or service not allowed:")) < 0 {
		return false
	}
	h, ok := d.matchHost(s, e+1, func(q int) bool {
		return portOnColon(s, q, func(r int) bool {
			r, ok := lit(s, r, "Change of username or service not allowed:")
			if !ok {
				return false
			}
			return eachLast(s, r, []byte("[preauth]"), func(x int) bool {
				return restSpace(s, x+len("[preauth]"))
			})
		})
	})
	if !ok {
		return false
	}
	m.Kind, m.Forget, m.UserStart, m.UserEnd, m.Host = KindChangeUser, true, p, e, h
	return true
}

// 18: ^Disconnecting: Too many authentication failures(?: for (?P<user>\S+|.*?))?__suff$
func (d dialect) ruleTooMany(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Disconnecting: Too many authentication failures")
	if !ok {
		return false
	}
	m.Kind = KindTooManyAuth
	if q, ok := lit(s, p, " for "); ok {
		if e := tokenEnd(s, q); e > q && suffEnd(s, e) {
			m.UserStart, m.UserEnd = q, e
			return true
		}
		for e := q; e <= len(s); e++ {
			if suffEnd(s, e) {
				m.UserStart, m.UserEnd = q, e
				return true
			}
		}
	}
	return suffEnd(s, p)
}

// 19: ^(?P<nofail>Received (?P<mlfforget>disconnect)) from <HOST>(...){0,2}:\s*11:
func (d dialect) ruleDisconnectBye(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Received disconnect from ")
	if !ok || bytes.Index(s[p:], []byte("11:")) < 0 { // the regex needs the literal
		return false
	}
	h, ok := d.matchHost(s, p, func(q int) bool {
		return portOnColon(s, q, func(r int) bool { return pyre.HasPrefixAt(s, r, "11:") })
	})
	if !ok {
		return false
	}
	m.Kind, m.NoFail, m.Forget, m.Host = KindDisconnectBye, true, true, h
	return true
}

type closedTail uint8

const (
	closedNormal closedTail = iota // (?:__suff|\s*)$
	closedDDoS                     // (?: (?:port \d+|on \S+)){0,2}\s+\[preauth\]\s*$
	closedDDoSNF                   // (?:(?: (?:port \d+|on \S+)){0,2}|\s*)$
)

// 20 and friends: ^(Connection (?:closed|reset)|Disconnected) (?:by|from)
// (?: (?:invalid|authenticating) user (?P<user>\S+|.*?))? <HOST><tail>
func (d dialect) ruleClosed(t closedTail, nofail bool) rule {
	general := d.ruleClosedGeneral(t, nofail)
	if t == closedDDoSNF {
		return general
	}
	return withClosedShortcut(general, nofail)
}

// withClosedShortcut answers the common "Connection closed by A.B.C.D
// port N [preauth]" before the general rule (1.0.2's and 1.1's alike): no
// user part can start at the digit, the dotted quad takes all its digits,
// and both tails accept the port and "[preauth]" at once.
func withClosedShortcut(general rule, nofail bool) rule {
	return func(s []byte, m *match) bool {
		if p, ok := lit(s, 0, "Connection closed by "); ok {
			if ipEnd, ok := dottedQuad(s, p); ok && plainPortPreauth(s, ipEnd) {
				m.Kind, m.NoFail, m.Forget = KindConnectionClosed, nofail, true
				m.UserStart, m.Host = -1, host{Kind: hostIP4, Start: p, End: ipEnd, TagEnd: ipEnd}
				return true
			}
		}
		return general(s, m)
	}
}

// plainPortPreauth reports whether s[p:] is " port N [preauth]".
func plainPortPreauth(s []byte, p int) bool {
	if !pyre.HasPrefixAt(s, p, " port ") {
		return false
	}
	p += len(" port ")
	d := p
	for p < len(s) && isDigit(s[p]) {
		p++
	}
	return p > d && string(s[p:]) == " [preauth]"
}

// dottedQuad matches four ASCII groups of 1-3 digits joined by dots at p,
// not followed by a digit, and returns its end.
func dottedQuad(s []byte, p int) (int, bool) {
	for g := 0; g < 4; g++ {
		if g > 0 {
			if p >= len(s) || s[p] != '.' {
				return 0, false
			}
			p++
		}
		d := p
		for p < len(s) && p-d < 3 && isDigit(s[p]) {
			p++
		}
		if p == d || (p < len(s) && isDigit(s[p])) {
			return 0, false
		}
	}
	return p, true
}

// ruleClosedGeneral is ruleClosed without the shortcut for the common line.
func (d dialect) ruleClosedGeneral(t closedTail, nofail bool) rule {
	return func(s []byte, m *match) bool {
		var p int
		var ok bool
		if p, ok = lit(s, 0, "Connection closed"); !ok {
			if p, ok = lit(s, 0, "Connection reset"); !ok {
				if p, ok = lit(s, 0, "Disconnected"); !ok {
					return false
				}
			}
		}
		if q, ok := lit(s, p, " by"); ok {
			p = q
		} else if q, ok := lit(s, p, " from"); ok {
			p = q
		} else {
			return false
		}
		var tail tailFunc
		switch t {
		case closedNormal:
			tail = func(q int) bool { return suffEnd(s, q) }
		case closedDDoS:
			tail = func(q int) bool {
				return portOn(s, q, 0, 2, false, func(r int) bool {
					w := pyre.SpanIs(s, r, pyre.Space)
					if w == r {
						return false
					}
					// \s+ greedy, then the literal: backtracking cannot help
					// because "[" is not a space.
					a, ok := lit(s, w, "[preauth]")
					return ok && restSpace(s, a)
				})
			}
		case closedDDoSNF:
			tail = func(q int) bool {
				if portOn(s, q, 0, 2, false, func(r int) bool { return r == len(s) }) {
					return true
				}
				return restSpace(s, q)
			}
		}
		m.Kind, m.NoFail, m.Forget = KindConnectionClosed, nofail, true
		for _, who := range [...]string{" invalid user ", " authenticating user "} {
			if q, ok := lit(s, p, who); ok {
				if d.tokenOrLazy(s, q, []byte{' '}, m, tail) {
					return true
				}
			}
		}
		if p < len(s) && s[p] == ' ' {
			if h, ok := d.matchHost(s, p+1, tail); ok {
				m.UserStart, m.Host = -1, h
				return true
			}
		}
		return false
	}
}

// extra 20: ^(?P<mlfforget>Disconnected)(?: from)?(?: (?:invalid|authenticating)) user
// (?P<user>\S+|.*?) <HOST>(...){0,2} \[preauth\]\s*$
func (d dialect) ruleDisconnectedExtra(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Disconnected")
	if !ok {
		return false
	}
	tail := func(q int) bool {
		return portOn(s, q, 0, 2, false, func(r int) bool {
			a, ok := lit(s, r, " [preauth]")
			return ok && restSpace(s, a)
		})
	}
	m.Kind, m.Forget = KindConnectionClosed, true
	userHost := func(q int) bool { return d.tokenOrLazy(s, q, []byte{' '}, m, tail) }
	if d.v11() { // 1.1: ... (?P<user>\S+|.*?) (?:from )?<HOST>
		userHost = func(q int) bool { return d.tokenOrLazyOptFrom(s, q, m, tail) }
	}
	try := func(p int) bool {
		for _, who := range [...]string{" invalid user ", " authenticating user "} {
			if q, ok := lit(s, p, who); ok && userHost(q) {
				return true
			}
		}
		return false
	}
	if q, ok := lit(s, p, " from"); ok && try(q) {
		return true
	}
	return try(p)
}

// 21: ^(?P<mlfforget>(?P<mlfgained>Accepted \w+)) for (?P<user>\S+) from <HOST>(?:\s|$)
func (d dialect) ruleAccepted(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Accepted ")
	if !ok {
		return false
	}
	e := pyre.SpanIs(s, p, pyre.Word)
	if e == p {
		return false
	}
	if p, ok = lit(s, e, " for "); !ok {
		return false
	}
	ue := tokenEnd(s, p)
	if ue == p || !pyre.HasPrefixAt(s, ue, " from ") {
		return false
	}
	h, ok := d.matchHost(s, ue+len(sFrom), func(q int) bool { return q == len(s) || pyre.Is(s, q, pyre.Space) > 0 })
	if !ok {
		return false
	}
	m.Kind, m.NoFail, m.Gained, m.Forget, m.UserStart, m.UserEnd, m.Host = KindAccepted, true, true, true, p, ue, h
	return true
}

func anyTail(int) bool { return true }

// ddos: ^Did not receive identification string from <HOST>
func (d dialect) ruleNoIdent(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Did not receive identification string from ")
	if !ok {
		return false
	}
	h, ok := d.matchHost(s, p, anyTail)
	m.Kind, m.Host = KindNoIdentification, h
	return ok
}

// ddos: ^kex_exchange_identification: (?:read: )?(?:[Cc]lient sent invalid protocol identifier|
// [Cc]onnection (?:closed by remote host|reset by peer))
func (d dialect) ruleKex(s []byte, m *match) bool {
	p, ok := lit(s, 0, "kex_exchange_identification: ")
	if !ok {
		return false
	}
	if q, ok := lit(s, p, "read: "); ok {
		p = q
	}
	if p >= len(s) {
		return false
	}
	c := s[p]
	rest := s[p+1:]
	switch {
	case c == 'C' || c == 'c':
	default:
		return false
	}
	if pyre.HasPrefixAt(rest, 0, "lient sent invalid protocol identifier") ||
		pyre.HasPrefixAt(rest, 0, "onnection closed by remote host") ||
		pyre.HasPrefixAt(rest, 0, "onnection reset by peer") {
		m.Kind = KindKexIdentification
		return true
	}
	return false
}

// ddos: ^Bad protocol version identification '.*' from <HOST>
func (d dialect) ruleBadProto(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Bad protocol version identification '")
	if !ok {
		return false
	}
	m.Kind = KindBadProtocol
	return eachLast(s, p, []byte("' from "), func(x int) bool {
		h, ok := d.matchHost(s, x+len("' from "), anyTail)
		m.Host = h
		return ok
	})
}

// ddos: ^(?P<nofail>SSH: Server;Ltype:) (?:Authname|Version|Kex);Remote: <HOST>-\d+;[A-Z]\w+:
func (d dialect) ruleSSHServer(s []byte, m *match) bool {
	p, ok := lit(s, 0, "SSH: Server;Ltype: ")
	if !ok {
		return false
	}
	var q int
	if q, ok = lit(s, p, "Authname"); !ok {
		if q, ok = lit(s, p, "Version"); !ok {
			if q, ok = lit(s, p, "Kex"); !ok {
				return false
			}
		}
	}
	if q, ok = lit(s, q, ";Remote: "); !ok {
		return false
	}
	h, ok := d.matchHost(s, q, func(r int) bool {
		if r >= len(s) || s[r] != '-' {
			return false
		}
		d := pyre.SpanIs(s, r+1, pyre.Digit)
		if d == r+1 || d >= len(s) || s[d] != ';' {
			return false
		}
		d++
		if d >= len(s) || s[d] < 'A' || s[d] > 'Z' {
			return false
		}
		w := pyre.SpanIs(s, d+1, pyre.Word)
		return w > d+1 && w < len(s) && s[w] == ':'
	})
	if !ok {
		return false
	}
	m.Kind, m.NoFail, m.Host = KindSSHServer, true, h
	return true
}

// ddos: ^Read from socket failed: Connection (?P<mlfforget>reset) by peer
func (d dialect) ruleReadSocket(s []byte, m *match) bool {
	if !pyre.HasPrefixAt(s, 0, "Read from socket failed: Connection reset by peer") {
		return false
	}
	m.Kind, m.Forget = KindReadSocket, true
	return true
}

// ddos: ^banner exchange: Connection from <HOST>(...){0,2}: invalid format
func (d dialect) ruleBanner(s []byte, m *match) bool {
	p, ok := lit(s, 0, "banner exchange: Connection from ")
	if !ok {
		return false
	}
	h, ok := d.matchHost(s, p, func(q int) bool {
		return portOn(s, q, 0, 2, false, func(r int) bool { return pyre.HasPrefixAt(s, r, ": invalid format") })
	})
	m.Kind, m.Host = KindBannerExchange, h
	return ok
}

// extra: ^Received (?P<mlfforget>disconnect) from <HOST>(...){0,2}:\s*14: No(?: supported)? authentication methods available
func (d dialect) ruleNoAuthMethods(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Received disconnect from ")
	if !ok {
		return false
	}
	h, ok := d.matchHost(s, p, func(q int) bool {
		return portOnColon(s, q, func(r int) bool {
			r, ok := lit(s, r, "14: No")
			if !ok {
				return false
			}
			if a, ok := lit(s, r, " supported"); ok && pyre.HasPrefixAt(s, a, " authentication methods available") {
				return true
			}
			return pyre.HasPrefixAt(s, r, " authentication methods available")
		})
	})
	if !ok {
		return false
	}
	m.Kind, m.Forget, m.Host = KindNoAuthMethods, true, h
	return true
}

// algFound matches <__alg_match> found then k.
func foundAfter(s []byte, p int, k tailFunc) bool {
	return alg(s, p, 0, func(e int) bool {
		a, ok := lit(s, e, " found")
		return ok && k(a)
	})
}

// extra: ^Unable to negotiate with <HOST>(...){0,2}: no matching <alg> found.
func (d dialect) ruleNegotiateWith(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Unable to negotiate with ")
	if !ok {
		return false
	}
	h, ok := d.matchHost(s, p, func(q int) bool {
		return portOn(s, q, 0, 2, false, func(r int) bool {
			r, ok := lit(s, r, ": no matching ")
			return ok && foundAfter(s, r, func(a int) bool { return a < len(s) })
		})
	})
	m.Kind, m.Host = KindNegotiateWith, h
	return ok
}

// extra: ^Unable to negotiate a <alg>
func (d dialect) ruleNegotiate(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Unable to negotiate a ")
	if !ok || pyre.Is(s, p, pyre.Word) == 0 {
		return false
	}
	m.Kind = KindNegotiate
	return true
}

// extra: ^no matching <alg> found:
func (d dialect) ruleNoMatching(s []byte, m *match) bool {
	p, ok := lit(s, 0, "no matching ")
	if !ok {
		return false
	}
	m.Kind = KindNoMatching
	return foundAfter(s, p, func(a int) bool { return a < len(s) && s[a] == ':' })
}

// cfooterre: ^(?P<nofail>Connection from) <HOST>
func (d dialect) ruleConnFrom(s []byte, m *match) bool {
	p, ok := lit(s, 0, "Connection from ")
	if !ok {
		return false
	}
	h, ok := d.matchHost(s, p, anyTail)
	m.Kind, m.NoFail, m.Host = KindConnectionFrom, true, h
	return ok
}
