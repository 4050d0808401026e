// Package filter is the seam between a log line and a jail: a Filter gives
// every line of its input the verdict a fail2ban filter (server/filter.py
// with its filter.d/*.conf) gives it. Implementations (filter/sshd,
// filter/recidive) register under fail2ban's filter name and are chosen by
// a jail's `filter = name[options]`. A filter knows no source, no jail
// arithmetic and no output.
package filter

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/banscope/banscope/internal/f2bversion"

	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/logtime"
)

// Filter turns lines into verdicts. The work splits in two:
//
//   - Prepare depends on the line and the filter's rule set alone (date,
//     prefix, which failregex matched where). A Preparer does it on any
//     goroutine; many lines may be prepared at once.
//   - Finish depends on order (the clock, multi-line sessions, name
//     resolution) and runs on the filter's own goroutine, in log order.
//
// Parse(line) is exactly Finish(line, Prepare(line)). A Prepared records
// the rule set that prepared it; Finish of a line prepared by another rule
// set prepares it again itself, so the pairing can never give a wrong
// verdict. Returned events and slices are valid until the next call.
type Filter interface {
	// Spec is the filter as a jail names it, e.g. sshd[mode=aggressive].
	Spec() Spec
	// Input is the log the filter reads.
	Input() Input
	// Rules identifies the filter's rule set: filters with equal rule sets
	// accept each other's prepared lines.
	Rules() RuleSet
	// Kinds names the message kinds of Event.Kind; Kinds()[0] is "none".
	Kinds() []string
	// Preparer returns a preparer for another goroutine, with the
	// filter's current reference time.
	Preparer() Preparer
	Prepare(line []byte, pr *Prepared)
	Finish(line []byte, pr *Prepared) *Event
	// Parse is Finish after Prepare.
	Parse(line []byte) *Event
	// ParseAt classifies a line whose time is known from elsewhere (a
	// journal entry's): no date is looked for in its text.
	ParseAt(line []byte, stampNs int64) *Event
	// SetNow sets the clock (Unix ns) when the caller owns it.
	SetNow(ns int64)
	Now() int64
	// SetReference sets the reference time for year-less stamps.
	SetReference(t time.Time)
	// Stamp returns the stamp at the start of line, if it has one.
	Stamp(line []byte) (int64, bool)
	// HostField returns the syslog host field of a prepared line, if any.
	HostField(line []byte, pr *Prepared) []byte
	// Snapshot and Restore carry the open multi-line sessions across a
	// restart or a change of options.
	Snapshot() (json.RawMessage, error)
	Restore(json.RawMessage) error
}

// JournalMatcher is a filter that reads the journal: its journalmatch, as
// journalctl matches ("+" between alternatives).
type JournalMatcher interface {
	JournalMatch() []string
}

// Preparer prepares lines for one filter on one goroutine.
type Preparer interface {
	Prepare(line []byte, pr *Prepared)
}

// Input is the log a filter reads.
type Input uint8

const (
	// InputLog is the daemon's log: a file such as auth.log, or the
	// journal.
	InputLog Input = iota
	// InputFail2banLog is fail2ban's own log (the recidive filter).
	InputFail2banLog
)

// Verdict is what fail2ban makes of a line.
type Verdict uint8

const (
	Irrelevant Verdict = iota // no failregex matched
	Helper                    // a nofail helper: no failure
	Pending                   // a failure waiting for its session's address
	Unresolved                // a failure whose host name did not resolve
	Failure                   // counted failures, one per ID
)

var verdictNames = [...]string{"irrelevant", "helper", "pending", "unresolved", "failure"}

func (v Verdict) String() string { return verdictNames[v] }

// Kind is a filter's message kind: one per failregex. Its names come from
// the filter (Filter.Kinds).
type Kind uint8

// Event is the result of one line.
type Event struct {
	Verdict  Verdict
	Kind     Kind
	IDs      []ident.ID // the failure IDs (usually one)
	Time     int64      // Unix ns: the failure time
	Stamp    int64      // Unix ns: the line's own stamp, when HasStamp
	HasStamp bool
	User     []byte // the user name the line carries, if any
}

// HostKind says which alternative of fail2ban's <HOST> matched.
type HostKind uint8

const (
	HostNone HostKind = iota
	HostIP4
	HostIP6
	HostDNS
)

// Host is a <HOST> capture: the group's span and the end of the whole tag.
type Host struct {
	Kind       HostKind
	Start, End int
	TagEnd     int
}

// Match is what one failregex captured: fail2ban's named groups.
type Match struct {
	Kind                   Kind
	NoFail, Forget, Gained bool // F-NOFAIL, F-MLFFORGET, F-MLFGAINED
	UserStart, UserEnd     int  // F-USER; UserStart < 0 when it did not take part
	Host                   Host
}

// User returns the captured user in the content s.
func (m *Match) User(s []byte) []byte {
	if m.UserStart < 0 {
		return nil
	}
	return s[m.UserStart:m.UserEnd]
}

// Prepared is a line's order-independent work (see Filter).
type Prepared struct {
	Rules RuleSet // the rule set that prepared the line
	Date  logtime.Result
	Rule  int // index of the matched failregex, -1 for none
	Match Match
	// KeyEnd is the end of the session key (fail2ban's mlfid) in the
	// line with its date cut out; Content the start of the message there
	// (-1: the prefix did not match). Joined says the date was inside the
	// line, so the cut line is a copy.
	KeyEnd, Content int
	Joined          bool
	KeyHash         uint64     // hash of the session key
	Addr            netip.Addr // the captured IPv4 address, parsed, when AddrOK
	AddrOK          bool
}

// Stamp returns the line's own stamp, if it has a usable one.
func (pr *Prepared) Stamp() (int64, bool) { return pr.Date.UnixNs, pr.Date.Valid }

// Matched reports whether a failregex matched the line (its verdict may
// still be a helper or pending).
func (pr *Prepared) Matched() bool { return pr.Rule >= 0 }

// RuleSet identifies an immutable set of rules. Zero is none.
type RuleSet uint32

var ruleSets atomic.Uint32

// NewRuleSet returns a new rule-set identity. Filters intern their rule
// sets (one identity per distinct set of options), so that equal filters
// share prepared lines.
func NewRuleSet() RuleSet { return RuleSet(ruleSets.Add(1)) }

// Options configure a filter's reading of time and names; the filter's
// own options come with its Spec.
type Options struct {
	// Location reads stamps without a zone (fail2ban: local time).
	Location *time.Location
	// Reference is "now" for year-less stamps; Year, when set, forces it.
	Reference time.Time
	Year      int
	// CurrentYear bounds the four-digit years fail2ban accepts; zero
	// means Reference's year.
	CurrentYear int
	// Hosts resolves host names as getaddrinfo does offline.
	Hosts *ident.Hosts
	// LogClock makes the clock the largest stamp seen so far (check);
	// otherwise the caller sets it with SetNow (replay and live).
	LogClock bool
	// InOperation applies fail2ban's rule for a running jail: a stamp
	// more than 60 s away from the clock is replaced by the clock.
	InOperation bool
	// Journal reads lines as fail2ban's systemd backend builds them
	// (logtype=journal).
	Journal bool
	// Stamped: with Journal, every line's time comes with it (a journal
	// entry's): Prepare looks for no date in the text.
	Stamped bool
	// Fail2ban is the fail2ban release whose filter is simulated (unset:
	// the newest).
	Fail2ban f2bversion.Version
}

// Spec is a filter as a jail names it: `name[key=value, ...]`
// (client/jailreader.py: JailReader.extractOptions).
type Spec struct {
	Name   string
	Params map[string]string
}

// ParseSpec reads `name` or `name[key=value, key="value", ...]`.
func ParseSpec(s string) (Spec, error) {
	s = strings.TrimSpace(s)
	sp := Spec{Params: map[string]string{}}
	i := strings.IndexByte(s, '[')
	if i < 0 {
		sp.Name = s
		return sp, nil
	}
	if !strings.HasSuffix(s, "]") {
		return sp, fmt.Errorf("filter %q: missing ]", s)
	}
	sp.Name = strings.TrimSpace(s[:i])
	body := s[i+1 : len(s)-1]
	for len(strings.TrimSpace(body)) > 0 {
		body = strings.TrimLeft(body, " \t,")
		eq := strings.IndexByte(body, '=')
		if eq < 0 {
			return sp, fmt.Errorf("filter %q: option without '='", s)
		}
		k := strings.TrimSpace(body[:eq])
		body = strings.TrimLeft(body[eq+1:], " \t")
		var v string
		if len(body) > 0 && (body[0] == '"' || body[0] == '\'') {
			q := body[0]
			end := strings.IndexByte(body[1:], q)
			if end < 0 {
				return sp, fmt.Errorf("filter %q: unterminated quote", s)
			}
			v, body = body[1:1+end], body[2+end:]
		} else {
			end := strings.IndexByte(body, ',')
			if end < 0 {
				end = len(body)
			}
			v, body = strings.TrimSpace(body[:end]), body[end:]
		}
		sp.Params[strings.ToLower(k)] = v
	}
	return sp, nil
}

// String writes the spec back, options sorted.
func (s Spec) String() string {
	if len(s.Params) == 0 {
		return s.Name
	}
	keys := make([]string, 0, len(s.Params))
	for k := range s.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(s.Name)
	b.WriteByte('[')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=" + s.Params[k])
	}
	b.WriteByte(']')
	return b.String()
}

// With returns a copy of s with one option set.
func (s Spec) With(key, value string) Spec {
	p := make(map[string]string, len(s.Params)+1)
	for k, v := range s.Params {
		p[k] = v
	}
	p[key] = value
	return Spec{Name: s.Name, Params: p}
}

// Constructor makes a filter from its spec.
type Constructor func(spec Spec, o Options) (Filter, error)

var (
	regMu    sync.RWMutex
	registry = map[string]Constructor{}
)

// Register makes a filter available under fail2ban's filter name.
func Register(name string, c Constructor) {
	regMu.Lock()
	defer regMu.Unlock()
	registry[name] = c
}

// Known reports whether a filter of that name is registered.
func Known(name string) bool {
	regMu.RLock()
	defer regMu.RUnlock()
	_, ok := registry[name]
	return ok
}

// New makes the filter a spec names.
func New(spec Spec, o Options) (Filter, error) {
	regMu.RLock()
	c, ok := registry[spec.Name]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("filter %s is not simulated", spec.Name)
	}
	return c(spec, o)
}

// InputOf returns the input of the filter a spec names.
func InputOf(spec Spec) (Input, error) {
	f, err := New(spec, Options{})
	if err != nil {
		return 0, err
	}
	return f.Input(), nil
}
