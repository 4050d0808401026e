package replay

import (
	"time"

	"github.com/banscope/banscope/internal/filter/sshd"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/jailsim"
)

// Engine is the one path from a line to the jails, for replay and the
// live sidecar alike: each jail's parser classifies the line, its failures
// go to the jail at the given clock, and recidive jails read the bans just
// made. Only where lines come from and where "now" comes from differ.
type Engine struct {
	Jails   []Jail
	Parsers []*sshd.Parser
	Sims    []*jailsim.Jail
	DB      *jailsim.BanDB
	opts    EngineOptions
	bans    []ident.ID
	// OnEvent receives every jail event with the jail's index.
	OnEvent func(i int, e jailsim.Event)
	// OnFailure receives each failure an sshd jail's filter finds (the
	// line's event and the failure's ID), before the jail counts it.
	OnFailure func(i int, ev *sshd.Event, id ident.ID)
	// PreIdx maps each parser to its entry in the prepared slice given to
	// Prepared (nil: the same index).
	PreIdx []int
}

// EngineOptions configure the parsers.
type EngineOptions struct {
	Location    *time.Location
	Reference   time.Time
	Year        int
	CurrentYear int
	Hosts       *ident.Hosts
	Journal     bool
	DBPurgeAge  float64
}

// NewEngine returns an engine for jails.
func NewEngine(jails []Jail, o EngineOptions) *Engine {
	e := &Engine{opts: o}
	e.Reload(jails)
	return e
}

func (e *Engine) parserFor(j Jail) *sshd.Parser {
	o := e.opts
	return sshd.New(sshd.Options{Mode: j.Mode, PublicKey: j.PublicKey, Location: o.Location, Reference: o.Reference,
		Year: o.Year, CurrentYear: o.CurrentYear, Hosts: o.Hosts, InOperation: true, Journal: o.Journal})
}

// Reload applies a new set of jails, as fail2ban's reload does: a jail
// that stays keeps its tickets, bans and counters (and its parser's open
// sessions, even when its filter mode changes); new jails start empty;
// jails no longer given stop.
func (e *Engine) Reload(jails []Jail) {
	byName := map[string]int{}
	for i, j := range e.Jails {
		byName[j.Settings.Name] = i
	}
	var parsers []*sshd.Parser
	var sims []*jailsim.Jail
	for k := range jails {
		j := &jails[k]
		if j.Settings.Increment.Enabled {
			if e.DB == nil {
				e.DB = jailsim.NewBanDB(e.opts.DBPurgeAge)
			}
			j.Settings.DB = e.DB
		}
		if i, ok := byName[j.Settings.Name]; ok {
			old, p := e.Jails[i], e.Parsers[i]
			if old.Mode != j.Mode || old.PublicKey != j.PublicKey {
				snap := p.Snapshot()
				p = e.parserFor(*j)
				p.Restore(snap)
			}
			e.Sims[i].SetSettings(j.Settings)
			parsers, sims = append(parsers, p), append(sims, e.Sims[i])
			continue
		}
		parsers, sims = append(parsers, e.parserFor(*j)), append(sims, jailsim.New(j.Settings))
	}
	e.Jails, e.Parsers, e.Sims = jails, parsers, sims
	for i, sim := range sims {
		i, recidive := i, jails[i].Recidive
		sim.OnEvent = func(ev jailsim.Event) {
			if ev.Kind == jailsim.EvBan && !recidive {
				e.bans = append(e.bans, ev.ID)
			}
			if e.OnEvent != nil {
				e.OnEvent(i, ev)
			}
		}
	}
}

// Tick advances every jail to now (seconds) with no line: bans end and the
// cleanup runs on time.
func (e *Engine) Tick(now float64) {
	for _, j := range e.Sims {
		j.BeforeLine(now)
	}
}

// Line runs one line through every jail with the clock at nowNs. With
// hasStamp the line's time is stamp (a journal entry's) and its text holds
// no date. It reports whether any jail's failregex matched.
func (e *Engine) Line(b []byte, nowNs, stamp int64, hasStamp bool) bool {
	return e.line(b, nil, nowNs, stamp, hasStamp)
}

// Prepared runs a line prepared for each of the engine's parsers (see
// pipeline.Reader) through every jail, as Line does.
func (e *Engine) Prepared(b []byte, pre []sshd.Prepared, nowNs int64) bool {
	return e.line(b, pre, nowNs, 0, false)
}

func (e *Engine) line(b []byte, pre []sshd.Prepared, nowNs, stamp int64, hasStamp bool) bool {
	now := float64(nowNs) / 1e9
	e.DB.Tick(now)
	matched := false
	for i, p := range e.Parsers {
		j := e.Sims[i]
		j.BeforeLine(now)
		if e.Jails[i].Recidive {
			continue
		}
		p.SetNow(nowNs)
		var ev *sshd.Event
		switch {
		case pre != nil:
			k := i
			if e.PreIdx != nil {
				k = e.PreIdx[i]
			}
			ev = p.Finish(b, &pre[k])
		case hasStamp:
			ev = p.ParseAt(b, stamp)
		default:
			ev = p.Parse(b)
		}
		if ev.Verdict != sshd.Irrelevant {
			matched = true
		}
		if ev.Verdict == sshd.Failure {
			for _, id := range ev.IDs {
				if e.OnFailure != nil {
					e.OnFailure(i, ev, id)
				}
				j.Failure(id, float64(ev.Time)/1e9, now)
			}
		}
		j.AfterLine(now)
	}
	// recidive jails read the bans just logged, one fail2ban.log line each
	for i, j := range e.Sims {
		if !e.Jails[i].Recidive {
			continue
		}
		for _, id := range e.bans {
			j.BeforeLine(now)
			j.Failure(id, now, now)
			j.AfterLine(now)
		}
	}
	e.bans = e.bans[:0]
	return matched
}
