// Package sshd is fail2ban's sshd filter (filter.d/sshd.conf, server
// semantics) without regular expressions: every line of auth.log or the
// journal gets the answer fail2ban gives it, including the multi-line
// session logic, with no allocation per line. It implements filter.Filter
// and registers as "sshd"; it knows no source, jail or output.
package sshd

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/logtime"
	"github.com/banscope/banscope/internal/pyre"
)

// Mode is the sshd filter mode.
type Mode uint8

const (
	ModeNormal Mode = iota
	ModeDDoS
	ModeExtra
	ModeAggressive
)

var modeNames = [...]string{"normal", "ddos", "extra", "aggressive"}

func (m Mode) String() string { return modeNames[m] }

// ParseMode parses a mode name.
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if s == n {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown sshd filter mode %q (want normal, ddos, extra or aggressive)", s)
}

// ParsePublicKey parses the filter's publickey option.
func ParsePublicKey(s string) (PublicKey, error) {
	switch s {
	case "nofail", "":
		return PublicKeyNoFail, nil
	case "invalid":
		return PublicKeyInvalid, nil
	case "any":
		return PublicKeyAny, nil
	case "ignore":
		return PublicKeyIgnore, nil
	}
	return 0, fmt.Errorf("unknown publickey option %q (want nofail, invalid, any or ignore)", s)
}

// ruleSpec is a failregex and the bytes its content can start with.
type ruleSpec struct {
	fn    rule
	first string
}

func rules(d dialect, mode Mode, pk PublicKey) []ruleSpec {
	v11 := d.v11()
	closed := func(t closedTail, nofail bool) rule {
		if v11 {
			return d.ruleClosed11(t, nofail)
		}
		return d.ruleClosed(t, nofail)
	}
	rs := []ruleSpec{{d.ruleAuthFailure, "aA"}, {d.ruleUserUnknown, "U"}}
	if pk == PublicKeyNoFail || pk == PublicKeyInvalid {
		rs = append(rs, ruleSpec{d.rulePubkeyInvalid, "F"})
	}
	rs = append(rs,
		ruleSpec{d.ruleFailed(pk), "F"},
		ruleSpec{d.ruleRootRefused, "R"},
		ruleSpec{d.ruleInvalidUser, "iI"},
		ruleSpec{d.ruleNotAllowed(KindNotAllowedUsers, "not listed in AllowUsers"), "U"},
		ruleSpec{d.ruleNotAllowed(KindDeniedUsers, "listed in DenyUsers"), "U"},
		ruleSpec{d.ruleNotAllowed(KindNoGroup, "not in any group"), "U"},
		ruleSpec{d.ruleRefused, "r"},
		ruleSpec{d.ruleDisconnectAuthFail, "R"},
		ruleSpec{d.ruleNotAllowed(KindDeniedGroups, "a group is listed in DenyGroups"), "U"},
		ruleSpec{d.ruleNotAllowed(KindNotAllowedGroups, "none of user's groups are listed in AllowGroups"), "U"},
		ruleSpec{d.rulePAM, "p"},
		ruleSpec{d.ruleMaxAuth, "m"},
		ruleSpec{d.ruleLocked, "U"},
		ruleSpec{d.ruleChangeUser, "D"},
		ruleSpec{d.ruleTooMany, "D"},
		ruleSpec{d.ruleDisconnectBye, "R"},
	)
	switch mode {
	case ModeNormal:
		rs = append(rs, ruleSpec{closed(closedNormal, true), "CD"})
	case ModeDDoS, ModeAggressive:
		rs = append(rs, ruleSpec{closed(closedDDoS, false), "CD"}, ruleSpec{closed(closedDDoSNF, true), "CD"})
	case ModeExtra:
		rs = append(rs, ruleSpec{d.ruleDisconnectedExtra, "D"})
	}
	rs = append(rs, ruleSpec{d.ruleAccepted, "A"})
	if mode == ModeDDoS || mode == ModeAggressive {
		if v11 {
			rs = append(rs, ruleSpec{d.ruleNoIdent11, "DT"}, ruleSpec{d.ruleKex, "k"}, ruleSpec{d.ruleBadProto11, "B"},
				ruleSpec{d.ruleSSHServer, "S"}, ruleSpec{d.ruleReadSocket, "R"}, ruleSpec{d.ruleBanner11, "bs"})
		} else {
			rs = append(rs, ruleSpec{d.ruleNoIdent, "D"}, ruleSpec{d.ruleKex, "k"}, ruleSpec{d.ruleBadProto, "B"},
				ruleSpec{d.ruleSSHServer, "S"}, ruleSpec{d.ruleReadSocket, "R"}, ruleSpec{d.ruleBanner, "b"})
		}
	}
	if mode == ModeExtra || mode == ModeAggressive {
		rs = append(rs, ruleSpec{d.ruleNoAuthMethods, "R"}, ruleSpec{d.ruleNegotiateWith, "U"},
			ruleSpec{d.ruleNegotiate, "U"}, ruleSpec{d.ruleNoMatching, "n"})
	}
	return append(rs, ruleSpec{d.ruleConnFrom, "C"})
}

// Options configure a Parser: the sshd filter's options and how time and
// names are read (filter.Options).
type Options struct {
	Mode           Mode
	PublicKey      PublicKey
	filter.Options // Options.Fail2ban picks the release's rules
}

// The verdicts, as the seam names them.
const (
	Irrelevant = filter.Irrelevant
	Helper     = filter.Helper
	Pending    = filter.Pending
	Unresolved = filter.Unresolved
	Failure    = filter.Failure
)

// Event is the result of parsing one line (see filter.Event).
type Event = filter.Event

// ruleSet is one immutable set of sshd failregexes: all that Prepare
// reads. Parsers with the same options share one (ruleSetFor), so a line
// prepared by one is finished by the other, and preparers on other
// goroutines read it without locks.
type ruleSet struct {
	id      filter.RuleSet
	d       dialect
	mode    Mode
	pk      PublicKey
	journal bool
	rules   []ruleSpec
	byFirst [256]uint64 // bit i: rule i can match content starting with that byte
}

type ruleKey struct {
	v       f2bversion.Version
	mode    Mode
	pk      PublicKey
	journal bool
}

var (
	ruleSetsMu sync.Mutex
	ruleSets   = map[ruleKey]*ruleSet{}
)

func ruleSetFor(v f2bversion.Version, mode Mode, pk PublicKey, journal bool) *ruleSet {
	ruleSetsMu.Lock()
	defer ruleSetsMu.Unlock()
	v = v.Or()
	k := ruleKey{v, mode, pk, journal}
	if rs, ok := ruleSets[k]; ok {
		return rs
	}
	d := dialectOf(v)
	rs := &ruleSet{id: filter.NewRuleSet(), d: d, mode: mode, pk: pk, journal: journal, rules: rules(d, mode, pk)}
	for i, r := range rs.rules {
		for k := 0; k < len(r.first); k++ {
			rs.byFirst[r.first[k]] |= 1 << i
		}
	}
	ruleSets[k] = rs
	return rs
}

// Parser is the sshd filter (filter.d/sshd.conf) for one log stream.
type Parser struct {
	opts     Options
	rs       *ruleSet
	dates    logtime.Detector
	sessions sessionCache
	now      int64
	lastDate int64
	hasLast  bool
	ev       Event
	ids      [4]ident.ID
	lineBuf  []byte
	pr       Prepared
}

// New returns a parser.
func New(o Options) *Parser {
	if o.Location == nil {
		o.Location = time.Local
	}
	cy := o.CurrentYear
	if cy == 0 {
		cy = o.Reference.Year()
	}
	p := &Parser{opts: o, rs: ruleSetFor(o.Fail2ban, o.Mode, o.PublicKey, o.Journal)}
	p.dates = logtime.NewDetector(o.Location, o.Reference, o.Year, cy)
	p.sessions.init(sessionCap, sessionTTL)
	return p
}

// SetNow sets the clock for a live stream (Options.LogClock false).
func (p *Parser) SetNow(unixNs int64) { p.now = unixNs }

// Now returns the parser's clock.
func (p *Parser) Now() int64 { return p.now }

// SetReference changes the reference time for year-less stamps (e.g. the
// modification time of the next file of a replay).
func (p *Parser) SetReference(t time.Time) {
	p.dates.SetReference(t)
}

// Stamp returns the stamp at the start of line, if it has a usable one.
func (p *Parser) Stamp(line []byte) (int64, bool) {
	d := p.dates.Detect(line)
	return d.UnixNs, d.Valid
}

// Parse classifies one line (without its line terminator).
//
// For a counted failure, Time is the line's stamp; a line without a usable
// stamp takes the previous stamp when that is less than 60 s older than the
// clock, otherwise the clock — fail2ban's rule.
func (p *Parser) Parse(line []byte) *Event {
	p.Prepare(line, &p.pr)
	return p.Finish(line, &p.pr)
}

// Finish completes the parse of a line prepared by Prepare (by this parser
// or one of its Preparers, with the same reference time): the clock, the
// session logic and the resolution of the address, in log order.
func (p *Parser) Finish(line []byte, pr *Prepared) *Event {
	if pr.Rules != p.rs.id {
		// prepared by other rules: their verdict would not be this filter's
		date := pr.Date
		p.Prepare(line, &p.pr)
		if p.opts.Stamped {
			p.pr.Date = date // the entry's own time
		}
		pr = &p.pr
	}
	if pr.Date.Found && !pr.Date.Valid && p.hasLast && p.lastDate > p.now-60*logtime.NanosPerSecond {
		// A stamp that matches a template but is no date (Feb 29 of a
		// common year, Nov 31): server/filter.py's processLine logs
		// "findFailure failed to parse timeText" and, when its last date
		// is under 60 s old, hands the regexes the whole line, stamp
		// included, at that date; otherwise the line without the stamp,
		// at the clock.
		prepareContent(p.rs, line, &p.pr)
		p.pr.Date, p.pr.Joined = logtime.Result{}, false
		pr = &p.pr
	}
	ev := &p.ev
	*ev = Event{IDs: p.ids[:0]}
	if d := pr.Date; d.Valid {
		ev.Stamp, ev.HasStamp = d.UnixNs, true
		if p.opts.LogClock && d.UnixNs > p.now {
			p.now = d.UnixNs
		}
		t := d.UnixNs
		if p.opts.InOperation {
			// delta = int(date - now); abs(delta) > 60 -> now
			if delta := (t - p.now) / logtime.NanosPerSecond; delta > 60 || delta < -60 {
				t = p.now
			}
		}
		ev.Time = t
		p.lastDate, p.hasLast = t, true
	} else if p.hasLast && p.lastDate > p.now-60*logtime.NanosPerSecond {
		ev.Time = p.lastDate
	} else {
		ev.Time = p.now
	}
	if pr.Content < 0 {
		return ev
	}
	if pr.Rule >= 0 {
		// The regexes saw the line with the date cut out.
		buf := p.stripped(line, pr)
		p.merge(ev, buf[:pr.KeyEnd], buf[pr.Content:], pr)
	}
	return ev
}

// ParseAt classifies a line whose time is known from elsewhere (a journal
// entry's timestamp): no date is looked for in the text.
func (p *Parser) ParseAt(line []byte, stampNs int64) *Event {
	pr := &p.pr
	prepareContent(p.rs, line, pr)
	pr.Date = logtime.Result{Valid: true, UnixNs: stampNs}
	return p.Finish(line, pr)
}

func (p *Parser) joined(a, b []byte) []byte {
	p.lineBuf = append(append(p.lineBuf[:0], a...), b...)
	return p.lineBuf
}

// hostToken returns the first token of the date-stripped line when it is
// followed by white space (the syslog host field).
func hostToken(buf []byte) []byte {
	i := pyre.SpanIs(buf, 0, pyre.Space)
	if pyre.HasPrefixAt(buf, 0, "[]") {
		i = pyre.SpanIs(buf, 2, pyre.Space)
	}
	e := tokenEnd(buf, i)
	if e > i && e < len(buf) {
		return buf[i:e]
	}
	return nil
}

// merge applies fail2ban's multi-line session logic (Filter._mergeFailure
// and findFailure in server/filter.py) to one matched line.
func (p *Parser) merge(ev *Event, mlfid, s []byte, pr *Prepared) {
	m := &pr.Match
	ev.Kind = m.Kind
	user := m.User(s)
	ev.User = user
	nofail, gained, forget := m.NoFail || m.Gained, m.Gained, m.Forget
	var st *session
	e, h := p.sessions.get(mlfid, pr.KeyHash, p.now)
	if e != nil {
		st = e
		st.addUser(user)
		st.merge(s, m)
		if gained {
			st.pending = false
		}
		if forget {
			p.sessions.unset(e)
		}
	} else if !forget {
		st = p.sessions.set(mlfid, h, p.now)
		st.addUser(user)
		st.merge(s, m)
	}
	var pending, multi bool
	if st != nil {
		pending, st.pending = st.pending, false
		multi = st.multi
	}
	if pending || multi {
		nofail = false
	}
	if nofail {
		ev.Verdict = Helper
		return
	}
	// The address: ip4, then ip6, then dns, from the merged session.
	kind, text := m.Host.Kind, s[m.Host.Start:m.Host.End]
	if st != nil {
		kind, text = st.address()
	}
	if kind == hostNone {
		ev.Verdict = Pending
		if st != nil {
			st.pending = true
		}
		return
	}
	if pr.AddrOK && kind == hostIP4 && m.Host.Kind == hostIP4 && string(text) == string(s[m.Host.Start:m.Host.End]) {
		// the line's own address, parsed when the line was prepared
		ev.IDs = append(ev.IDs, ident.AddrID(pr.Addr))
	} else {
		ev.IDs = p.resolve(ev.IDs, kind, text)
	}
	if len(ev.IDs) == 0 {
		ev.Verdict = Unresolved
		return
	}
	ev.Verdict = Failure
}

// resolve turns a <HOST> capture into failure IDs (server/ipdns.py:
// DNSUtils.textToIp with usedns=warn).
func (p *Parser) resolve(ids []ident.ID, kind hostKind, text []byte) []ident.ID {
	switch kind {
	case hostIP4:
		if a, ok := ident.ParseIPv4(text); ok {
			return append(ids, ident.AddrID(a))
		}
		return append(ids, ident.RawID(text))
	case hostIP6:
		if a, err := netip.ParseAddr(string(text)); err == nil && a.Is6() && a.Zone() == "" {
			return append(ids, ident.AddrID(a))
		}
		return append(ids, ident.RawID(text))
	case hostDNS:
		if a, ok := ident.ParseIPv4(text); ok {
			return append(ids, ident.AddrID(a))
		}
		if a, ok := ident.InetAton(text); ok {
			return append(ids, ident.AddrID(a))
		}
		if p.opts.Hosts != nil {
			for _, a := range p.opts.Hosts.Lookup(text) {
				ids = append(ids, ident.AddrID(a))
			}
		}
	}
	return ids
}
