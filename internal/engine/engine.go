// Package engine is the one path from a line to the jails, for replay and
// the live sidecar alike: each jail's filter gives the line its verdict,
// the failures go to the jail's arithmetic at the given clock, and the
// bans just made are written as fail2ban.log lines for the filters that
// read fail2ban's own log (recidive). Only where lines come from and where
// "now" comes from differ between callers. The engine knows no source and
// no output.
package engine

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/banscope/banscope/internal/filter"
	_ "github.com/banscope/banscope/internal/filter/recidive" // registers "recidive"
	_ "github.com/banscope/banscope/internal/filter/sshd"     // registers "sshd"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/logtime"
)

// Jail is one jail to simulate: its settings and its filter.
type Jail struct {
	Settings jailsim.Settings
	// Filter is the jail's `filter = name[options]`.
	Filter filter.Spec
	// Origin says where each setting came from ("jail.local [sshd]",
	// "--maxretry", "default"), for the report.
	Origin map[string]string
}

// Name is the jail's name.
func (j Jail) Name() string { return j.Settings.Name }

// Run is a jail at work: its settings, filter and arithmetic.
type Run struct {
	Jail   Jail
	Filter filter.Filter
	Sim    *jailsim.Jail
	// Prepared is the index of the jail's entry in the prepared lines
	// given to Prepared (see SetPrepared).
	prepared int
}

// Options configure the filters and the ban database.
type Options struct {
	Filter filter.Options
	// DBPurgeAge is fail2ban's dbpurgeage: how long the ban database
	// remembers bans for bantime.increment (seconds).
	DBPurgeAge float64
}

// Engine runs a set of jails.
type Engine struct {
	runs []*Run
	db   *jailsim.BanDB
	opts Options
	bans []banned // bans of this line, not yet read by fail2ban.log filters
	line []byte
	// OnEvent receives every jail event with the jail's index.
	OnEvent func(i int, e jailsim.Event)
	// OnFailure receives each failure a log filter (Input InputLog)
	// finds, with the line's event, before the jail counts it.
	OnFailure func(i int, ev *filter.Event, id ident.ID)
}

type banned struct {
	jail string
	id   ident.ID
}

// New returns an engine for jails.
func New(jails []Jail, o Options) (*Engine, error) {
	e := &Engine{opts: o}
	if err := e.Reload(jails); err != nil {
		return nil, err
	}
	return e, nil
}

// Jails returns the running jails, in the order given.
func (e *Engine) Jails() []*Run { return e.runs }

// DB returns the ban database (nil when no jail increments bans).
func (e *Engine) DB() *jailsim.BanDB { return e.db }

// Reload applies a new set of jails, as fail2ban's reload does: a jail
// that stays keeps its tickets, bans and counters (and its filter's open
// sessions, even when its options change); new jails start empty; jails
// no longer given stop.
func (e *Engine) Reload(jails []Jail) error {
	byName := map[string]*Run{}
	for _, r := range e.runs {
		byName[r.Jail.Name()] = r
	}
	runs := make([]*Run, 0, len(jails))
	for k := range jails {
		j := jails[k]
		if j.Settings.Increment.Enabled {
			if e.db == nil {
				e.db = jailsim.NewBanDB(e.opts.DBPurgeAge)
			}
			j.Settings.DB = e.db
		}
		if old, ok := byName[j.Name()]; ok {
			f := old.Filter
			if old.Jail.Filter.String() != j.Filter.String() {
				nf, err := filter.New(j.Filter, e.opts.Filter)
				if err != nil {
					return fmt.Errorf("jail %s: %w", j.Name(), err)
				}
				if nf.Spec().Name == f.Spec().Name {
					if err := carry(f, nf); err != nil {
						return fmt.Errorf("jail %s: %w", j.Name(), err)
					}
				}
				f = nf
			}
			old.Sim.SetSettings(j.Settings)
			runs = append(runs, &Run{Jail: j, Filter: f, Sim: old.Sim, prepared: k})
			continue
		}
		f, err := filter.New(j.Filter, e.opts.Filter)
		if err != nil {
			return fmt.Errorf("jail %s: %w", j.Name(), err)
		}
		runs = append(runs, &Run{Jail: j, Filter: f, Sim: jailsim.New(j.Settings), prepared: k})
	}
	e.runs = runs
	for i, r := range runs {
		i := i
		r.Sim.OnEvent = func(ev jailsim.Event) {
			if ev.Kind == jailsim.EvBan {
				e.bans = append(e.bans, banned{ev.Jail, ev.ID})
			}
			if e.OnEvent != nil {
				e.OnEvent(i, ev)
			}
		}
	}
	return nil
}

// carry moves a filter's open sessions and clock to its successor.
func carry(from, to filter.Filter) error {
	snap, err := from.Snapshot()
	if err != nil {
		return err
	}
	return to.Restore(snap)
}

// SetPrepared says which entry of the prepared lines given to Prepared
// belongs to each jail (by default the jail's own index).
func (e *Engine) SetPrepared(idx []int) {
	for i, r := range e.runs {
		r.prepared = idx[i]
	}
}

// SetReference sets the reference time for year-less stamps of every
// filter (the modification time of the file being read).
func (e *Engine) SetReference(t time.Time) {
	for _, r := range e.runs {
		r.Filter.SetReference(t)
	}
}

// Tick advances every jail to now with no line: bans end and the cleanup
// runs on time.
func (e *Engine) Tick(now logtime.Seconds) {
	for _, r := range e.runs {
		r.Sim.BeforeLine(float64(now))
	}
}

// Result is what the jails' filters made of a line.
type Result struct {
	Matched bool // some failregex matched
	Stamped bool // the line had a usable stamp
	// Primary is the event of the first jail whose filter reads the log
	// (valid until the next line), nil when there is none.
	Primary *filter.Event
}

// Line runs one line through every jail with the clock at nowNs. With
// hasStamp the line's time is stamp (a journal entry's) and its text holds
// no date.
func (e *Engine) Line(b []byte, nowNs, stamp int64, hasStamp bool) Result {
	return e.process(b, nil, nowNs, stamp, hasStamp)
}

// Prepared runs a line prepared for the jails' filters (see SetPrepared
// and pipeline.Reader) through every jail, as Line does.
func (e *Engine) Prepared(b []byte, pre []filter.Prepared, nowNs int64) Result {
	return e.process(b, pre, nowNs, 0, false)
}

func (e *Engine) process(b []byte, pre []filter.Prepared, nowNs, stamp int64, hasStamp bool) Result {
	now := logtime.FromNanos(nowNs)
	e.db.Tick(now)
	var res Result
	for i, r := range e.runs {
		j := r.Sim
		j.BeforeLine(now)
		if r.Filter.Input() != filter.InputLog {
			continue
		}
		f := r.Filter
		f.SetNow(nowNs)
		var ev *filter.Event
		switch {
		case pre != nil:
			ev = f.Finish(b, &pre[r.prepared])
		case hasStamp:
			ev = f.ParseAt(b, stamp)
		default:
			ev = f.Parse(b)
		}
		if res.Primary == nil {
			res.Primary = ev
		}
		if ev.Verdict != filter.Irrelevant {
			res.Matched = true
		}
		if ev.HasStamp {
			res.Stamped = true
		}
		if ev.Verdict == filter.Failure {
			for _, id := range ev.IDs {
				if e.OnFailure != nil {
					e.OnFailure(i, ev, id)
				}
				j.Failure(id, logtime.FromNanos(ev.Time), now)
			}
		}
		j.AfterLine(now)
	}
	e.fail2banLog(nowNs)
	return res
}

// fail2banLog writes each ban just made as fail2ban's actions thread
// logs it (`NOTICE [jail] Ban ID`) and gives the line, at the moment of
// the ban, to the filters that read fail2ban.log. A ban made by one of
// those is written too (a filter skips its own jail's, as recidive.conf
// does).
func (e *Engine) fail2banLog(nowNs int64) {
	if len(e.bans) == 0 {
		return
	}
	now := logtime.FromNanos(nowNs)
	for k := 0; k < len(e.bans); k++ {
		b := e.bans[k]
		e.line = append(append(append(e.line[:0], "fail2ban.actions [1]: NOTICE ["...), b.jail...), "] Ban "...)
		e.line = b.id.AppendText(e.line)
		for _, r := range e.runs {
			if r.Filter.Input() != filter.InputFail2banLog {
				continue
			}
			ev := r.Filter.ParseAt(e.line, nowNs)
			if ev.Verdict != filter.Failure {
				continue
			}
			r.Sim.BeforeLine(now)
			for _, id := range ev.IDs {
				r.Sim.Failure(id, logtime.FromNanos(ev.Time), now)
			}
			r.Sim.AfterLine(now)
		}
	}
	e.bans = e.bans[:0]
}

// Snapshot returns each jail's filter state by jail name.
func (e *Engine) Snapshot() (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	for _, r := range e.runs {
		s, err := r.Filter.Snapshot()
		if err != nil {
			return nil, fmt.Errorf("jail %s: %w", r.Jail.Name(), err)
		}
		out[r.Jail.Name()] = s
	}
	return out, nil
}

// FirstLogJail is the first jail whose filter reads the daemon's log
// (filter.InputLog): the one a report's failures and what fail2ban
// misses are counted for.
func FirstLogJail(jails []Jail) (Jail, bool) {
	for _, j := range jails {
		if in, err := filter.InputOf(j.Filter); err == nil && in == filter.InputLog {
			return j, true
		}
	}
	return Jail{}, false
}
