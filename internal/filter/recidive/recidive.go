// Package recidive is fail2ban's recidive filter (filter.d/recidive.conf):
// it reads fail2ban's own log and counts every "NOTICE [jail] Ban ID" of
// the other jails as a failure, so that addresses banned again and again
// get a long ban. It knows no source and no output.
package recidive

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/banscope/banscope/internal/f2blog"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/ident"
)

func init() { filter.Register("recidive", New) }

// Kinds of the recidive filter: its one failregex.
const (
	KindNone filter.Kind = iota
	KindBan
)

var kindNames = []string{"none", "ban"}

// Filter is the recidive filter for one fail2ban.log stream.
type Filter struct {
	spec    filter.Spec
	own     string // _jailname: the jail whose own bans are not counted
	rules   filter.RuleSet
	log     f2blog.Parser
	now     int64
	ev      filter.Event
	ids     [1]ident.ID
	logTime bool
}

var (
	rulesMu     sync.Mutex
	rulesByJail = map[string]filter.RuleSet{}
)

// New returns the filter of `filter = recidive[_jailname=NAME]`
// (default name recidive, as filter.d/recidive.conf sets it).
func New(spec filter.Spec, o filter.Options) (filter.Filter, error) {
	own := spec.Params["_jailname"]
	if own == "" {
		own = "recidive"
	}
	f := &Filter{spec: spec, own: own, log: f2blog.Parser{Location: o.Location}, logTime: o.LogClock}
	f.rules = ruleSetFor(own)
	return f, nil
}

func ruleSetFor(own string) filter.RuleSet {
	rulesMu.Lock()
	defer rulesMu.Unlock()
	if rs, ok := rulesByJail[own]; ok {
		return rs
	}
	rs := filter.NewRuleSet()
	rulesByJail[own] = rs
	return rs
}

// Spec implements filter.Filter.
func (f *Filter) Spec() filter.Spec { return f.spec }

// Input implements filter.Filter: fail2ban's own log.
func (f *Filter) Input() filter.Input { return filter.InputFail2banLog }

// Rules implements filter.Filter.
func (f *Filter) Rules() filter.RuleSet { return f.rules }

// Kinds implements filter.Filter.
func (f *Filter) Kinds() []string { return kindNames }

// Preparer implements filter.Filter. Reading a fail2ban.log line is cheap
// and done in order (Finish); preparing only records the rule set.
func (f *Filter) Preparer() filter.Preparer { return f }

// Prepare implements filter.Filter.
func (f *Filter) Prepare(line []byte, pr *filter.Prepared) {
	*pr = filter.Prepared{Rules: f.rules, Rule: -1, Content: -1}
}

// Finish implements filter.Filter.
func (f *Filter) Finish(line []byte, pr *filter.Prepared) *filter.Event { return f.Parse(line) }

// Parse implements filter.Filter: the line's own time is used.
func (f *Filter) Parse(line []byte) *filter.Event {
	return f.parse(line, 0, false)
}

// ParseAt implements filter.Filter.
func (f *Filter) ParseAt(line []byte, stampNs int64) *filter.Event {
	return f.parse(line, stampNs, true)
}

// failregex: NOTICE [<jail other than _jailname>] Ban <HOST>
func (f *Filter) parse(line []byte, stamp int64, hasStamp bool) *filter.Event {
	f.ev = filter.Event{IDs: f.ids[:0], Time: f.now}
	e, ok := f.log.Parse(line)
	if hasStamp {
		e.Time, e.HasTime = stamp, true
	}
	if e.HasTime {
		f.ev.Stamp, f.ev.HasStamp = e.Time, true
		if f.logTime && e.Time > f.now {
			f.now = e.Time
		}
		f.ev.Time = e.Time
	}
	if !ok || e.Action != f2blog.ActBan || string(e.Level) != "NOTICE" || string(e.Jail) == f.own || e.ID.IsZero() {
		return &f.ev
	}
	f.ev.Verdict, f.ev.Kind = filter.Failure, KindBan
	f.ev.IDs = append(f.ev.IDs, e.ID)
	return &f.ev
}

// SetNow implements filter.Filter.
func (f *Filter) SetNow(ns int64) { f.now = ns }

// Now implements filter.Filter.
func (f *Filter) Now() int64 { return f.now }

// SetReference implements filter.Filter: fail2ban.log stamps carry their year.
func (f *Filter) SetReference(time.Time) {}

// Stamp implements filter.Filter.
func (f *Filter) Stamp(line []byte) (int64, bool) {
	e, _ := f.log.Parse(line)
	return e.Time, e.HasTime
}

// HostField implements filter.Filter: fail2ban's file target has none.
func (f *Filter) HostField([]byte, *filter.Prepared) []byte { return nil }

// Snapshot implements filter.Filter: the filter keeps no sessions.
func (f *Filter) Snapshot() (json.RawMessage, error) { return json.RawMessage("{}"), nil }

// Restore implements filter.Filter.
func (f *Filter) Restore(json.RawMessage) error { return nil }
