package replay

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/banscope/banscope/internal/f2blog"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/logtime"
	"github.com/banscope/banscope/internal/source"
)

// What fail2ban actually did, from its own log (server/actions.py's
// Ban, Restore Ban, Unban and 1.1.1's Repeal Ban; server/server.py's
// Starting and Exiting lines), held beside the simulation of the same
// period: bans on both sides, bans only one side made, time shifts,
// restarts, and failures sshd logged from addresses fail2ban had banned.

const (
	maxObservedBans = 1 << 20 // bans read from fail2ban.log (≈ 48 MiB); later ones are counted only
	matchWindow     = 5.0     // seconds between a logged ban and the failure line that triggered it
	maxExamples     = 20      // examples per kind of difference
)

// Fail2banLog is what fail2ban.log says happened.
type Fail2banLog struct {
	Files       []string
	Lines       int64
	First, Last float64 // the first and last stamped action
	Starts      []float64
	Exits       []float64
	Truncated   int64 // bans beyond maxObservedBans, not compared
	Untimed     int64 // action lines without fail2ban's own time (its syslog target), not compared
	jails       map[string]*obsJail
	byID        map[ident.ID]obsIntervals // every jail's bans of an address
}

// obsIntervals are an address's bans by start, with the latest end of
// each prefix: banned at t iff a ban starting by t ends after it.
type obsIntervals struct {
	start, maxEnd []float64
}

type obsBan struct {
	id         ident.ID
	start, end float64 // end: +Inf while in force at the log's end
	restored   bool
}

type obsJail struct {
	bans                      []obsBan
	open                      map[ident.ID]int
	restores, repeals, unbans int64
}

// ReadFail2banLog reads fail2ban.log files, oldest first (rotated sets
// ordered as for the auth log; compressed ones too); loc is the zone of
// its stamps.
func ReadFail2banLog(files []string, loc *time.Location, maxLine int) (*Fail2banLog, error) {
	l := &Fail2banLog{Files: files, jails: map[string]*obsJail{}, byID: map[ident.ID]obsIntervals{}, First: math.Inf(1), Last: math.Inf(-1)}
	p := f2blog.Parser{Location: loc}
	n := 0
	for _, name := range files {
		f, err := source.Open(name)
		if err != nil {
			return nil, fmt.Errorf("--fail2ban-log: %w", err)
		}
		lines := source.NewLines(f, maxLine)
		for {
			line, st := lines.Next()
			if st == source.EOF {
				break
			}
			if st != source.Line {
				continue
			}
			l.Lines++
			ev, ok := p.Parse(line)
			if !ok {
				if start, exit, t := p.Lifecycle(line); t != 0 {
					at := logtime.FromNanos(t)
					if start {
						l.Starts = append(l.Starts, at)
					} else if exit {
						l.Exits = append(l.Exits, at)
					}
				}
				continue
			}
			if !ev.HasTime {
				l.Untimed++
				continue
			}
			t := logtime.FromNanos(ev.Time)
			l.First, l.Last = math.Min(l.First, t), math.Max(l.Last, t)
			j := l.jails[string(ev.Jail)]
			if j == nil {
				j = &obsJail{open: map[ident.ID]int{}}
				l.jails[string(ev.Jail)] = j
			}
			switch ev.Action {
			case f2blog.ActBan, f2blog.ActRestoreBan:
				restored := ev.Action == f2blog.ActRestoreBan
				if restored {
					j.restores++
				}
				if _, in := j.open[ev.ID]; in {
					continue // a ban of a banned address: the first one holds
				}
				if n == maxObservedBans {
					l.Truncated++
					continue
				}
				n++
				j.open[ev.ID] = len(j.bans)
				j.bans = append(j.bans, obsBan{id: ev.ID, start: t, end: math.Inf(1), restored: restored})
			case f2blog.ActUnban, f2blog.ActRepealBan:
				if ev.Action == f2blog.ActUnban {
					j.unbans++
				} else {
					j.repeals++
				}
				if i, in := j.open[ev.ID]; in {
					j.bans[i].end = t
					delete(j.open, ev.ID)
				}
			}
		}
		err = lines.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--fail2ban-log %s: %w", name, err)
		}
	}
	per := map[ident.ID][]obsBan{}
	for _, j := range l.jails {
		for _, b := range j.bans {
			per[b.id] = append(per[b.id], b)
		}
	}
	for id, bans := range per {
		sort.Slice(bans, func(a, b int) bool { return bans[a].start < bans[b].start })
		iv := obsIntervals{start: make([]float64, len(bans)), maxEnd: make([]float64, len(bans))}
		end := math.Inf(-1)
		for i, b := range bans {
			end = math.Max(end, b.end)
			iv.start[i], iv.maxEnd[i] = b.start, end
		}
		l.byID[id] = iv
	}
	return l, nil
}

// bannedAt reports whether fail2ban had id banned, in any jail, at t.
func (l *Fail2banLog) bannedAt(id ident.ID, t float64) bool {
	iv, ok := l.byID[id]
	if !ok {
		return false
	}
	i := sort.SearchFloat64s(iv.start, math.Nextafter(t, math.Inf(1))) - 1 // the last ban starting by t
	return i >= 0 && iv.maxEnd[i] > t
}

// banStartsWithin reports whether fail2ban.log has a ban of id starting
// in [t, t+d].
func (l *Fail2banLog) banStartsWithin(id ident.ID, t, d float64) bool {
	iv, ok := l.byID[id]
	if !ok {
		return false
	}
	i := sort.SearchFloat64s(iv.start, t)
	return i < len(iv.start) && iv.start[i] <= t+d
}

// stopped reports whether fail2ban was not running at t: after an Exiting
// line and before the next Starting line.
func (l *Fail2banLog) stopped(t float64) bool {
	lastExit, lastStart := math.Inf(-1), math.Inf(-1)
	for _, e := range l.Exits {
		if e <= t {
			lastExit = math.Max(lastExit, e)
		}
	}
	for _, s := range l.Starts {
		if s <= t {
			lastStart = math.Max(lastStart, s)
		}
	}
	return lastExit > lastStart
}

// Comparison is fail2ban.log beside the simulation, per jail.
type Comparison struct {
	Files []string `json:"files"`
	// Starts counts fail2ban's starts within the auth log's period (a
	// restart loses tickets and restores bans from the database).
	Starts int `json:"starts_in_period"`
	// FailuresWhileBanned are failures sshd logged from an address
	// fail2ban.log had banned at the time: its ban action did not block
	// them (or blocked other ports).
	FailuresWhileBanned int64                      `json:"failures_while_banned"`
	WhileBannedTop      []IPRow                    `json:"failures_while_banned_top"`
	Jails               map[string]*JailComparison `json:"jails"`
	Truncated           int64                      `json:"bans_not_compared,omitempty"`
	// SimulatedNotKept are the simulation's ended bans beyond the bound
	// of the histories: not compared.
	SimulatedNotKept int64 `json:"simulated_bans_not_compared,omitempty"`
	// Notes are causes that hold for the whole log (a release's blind
	// spots, lines that could not be compared).
	Notes []string `json:"notes"`
}

// JailComparison is one jail's bans on both sides.
type JailComparison struct {
	Observed      int64            `json:"fail2ban_bans"`  // Ban lines (bans fail2ban made)
	Restored      int64            `json:"restored"`       // Restore Ban lines (bans carried over a restart)
	Repealed      int64            `json:"repealed"`       // Repeal Ban lines (1.1.1 stopping)
	Unbans        int64            `json:"unbans"`         // Unban lines
	Simulated     int64            `json:"simulated_bans"` // bans the simulation made
	Matched       int64            `json:"matched"`        // the same ban, within 5 s
	MaxMatchDt    float64          `json:"matched_max_shift_seconds"`
	Shifted       int64            `json:"shifted"`                          // the same address banned on both sides, further apart (within findtime + bantime)
	ShiftMedian   float64          `json:"shifted_median_seconds,omitempty"` // fail2ban's time minus the simulation's
	ShiftMax      float64          `json:"shifted_max_seconds,omitempty"`
	OnlyObserved  int64            `json:"only_fail2ban"`
	OnlySimulated int64            `json:"only_simulated"`
	Causes        map[string]int64 `json:"causes"` // the likely cause of each one-sided ban
	Examples      []Difference     `json:"examples"`
	// Simulated is false for a jail fail2ban.log names that the replay
	// did not simulate.
	IsSimulated bool `json:"simulated"`
}

// Difference is one ban only one side made, or a shifted one.
type Difference struct {
	Kind  string  `json:"kind"` // only-fail2ban, only-simulated, shifted
	IP    string  `json:"ip"`
	Time  string  `json:"time"`
	Shift float64 `json:"shift_seconds,omitempty"`
	Cause string  `json:"cause,omitempty"`
}

// The likely causes of a one-sided ban.
const (
	CauseOutside   = "outside the other log's period"
	CauseStopped   = "fail2ban was stopped then"
	CauseNotJail   = "the jail is not simulated"
	CauseSettings  = "different settings, ignore list or filter (the other side never banned the address then)"
	CauseRestarted = "fail2ban had started within findtime before (tickets are lost at a restart, and the log is read again from its saved position)"
)

// startedBefore reports whether fail2ban started within d before t.
func (l *Fail2banLog) startedBefore(t, d float64) bool {
	for _, s := range l.Starts {
		if s <= t && t-s <= d {
			return true
		}
	}
	return false
}

// compare holds the simulation's bans (hist: the configured jails') to
// the log's. first and last bound the auth log's period (Unix s).
func (l *Fail2banLog) compare(hist *banHistory, first, last float64, findtime []float64, blocked int64, blockedTop []IPRow) *Comparison {
	c := &Comparison{Files: l.Files, Jails: map[string]*JailComparison{}, FailuresWhileBanned: blocked, WhileBannedTop: blockedTop,
		Truncated: l.Truncated, SimulatedNotKept: hist.dropped, Notes: []string{}}
	if l.Untimed > 0 {
		c.Notes = append(c.Notes, fmt.Sprintf("%d action lines of fail2ban.log have no time of fail2ban's own (written through syslog: logtarget = SYSLOG) and are not compared", l.Untimed))
	}
	for _, s := range l.Starts {
		if s > first && s <= last {
			c.Starts++
		}
	}
	sim := map[string][]*banRec{}
	simulated := map[string]int{}
	for i, n := range hist.names {
		simulated[n] = i
		sim[n] = nil
	}
	for i := range hist.closed {
		b := &hist.closed[i]
		sim[hist.names[b.jail]] = append(sim[hist.names[b.jail]], b)
	}
	for _, b := range hist.active {
		sim[hist.names[b.jail]] = append(sim[hist.names[b.jail]], b)
	}
	names := map[string]bool{}
	for n := range sim {
		names[n] = true
	}
	for n := range l.jails {
		names[n] = true
	}
	for name := range names {
		jc := &JailComparison{Causes: map[string]int64{}, Examples: []Difference{}}
		c.Jails[name] = jc
		ji, isSim := simulated[name]
		jc.IsSimulated = isSim
		o := l.jails[name]
		if o == nil {
			o = &obsJail{}
		}
		jc.Restored, jc.Repealed, jc.Unbans = o.restores, o.repeals, o.unbans
		window := matchWindow
		if isSim && ji < len(findtime) {
			window = math.Max(window, findtime[ji]+hist.bantime[ji])
		}
		// per address: the simulation's ban starts and the log's (Ban
		// lines; restored bans are the restart's, not new ones)
		type side struct{ sim, obs []float64 }
		per := map[ident.ID]*side{}
		get := func(id ident.ID) *side {
			s := per[id]
			if s == nil {
				s = &side{}
				per[id] = s
			}
			return s
		}
		for _, b := range sim[name] {
			get(b.id).sim = append(get(b.id).sim, b.start)
			jc.Simulated++
		}
		for _, b := range o.bans {
			if !b.restored {
				get(b.id).obs = append(get(b.id).obs, b.start)
				jc.Observed++
			}
		}
		var shifts []float64
		var diffs []Difference
		ids := make([]ident.ID, 0, len(per))
		for id := range per {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(a, b int) bool { return ids[a].String() < ids[b].String() })
		for _, id := range ids {
			s := per[id]
			sort.Float64s(s.sim)
			sort.Float64s(s.obs)
			usedS, usedO := make([]bool, len(s.sim)), make([]bool, len(s.obs))
			// nearest pairs first: within the match window, then within the
			// jail's findtime + bantime (a shift)
			for pass, limit := range []float64{matchWindow, window} {
				type pair struct {
					i, k int
					d    float64
				}
				var pairs []pair
				for i, ts := range s.sim {
					for k, to := range s.obs {
						if d := to - ts; math.Abs(d) <= limit && !usedS[i] && !usedO[k] {
							pairs = append(pairs, pair{i, k, d})
						}
					}
				}
				sort.SliceStable(pairs, func(a, b int) bool { return math.Abs(pairs[a].d) < math.Abs(pairs[b].d) })
				for _, p := range pairs {
					if usedS[p.i] || usedO[p.k] {
						continue
					}
					usedS[p.i], usedO[p.k] = true, true
					if pass == 0 {
						jc.Matched++
						jc.MaxMatchDt = math.Max(jc.MaxMatchDt, math.Abs(p.d))
					} else {
						jc.Shifted++
						shifts = append(shifts, p.d)
						diffs = append(diffs, Difference{Kind: "shifted", IP: id.String(), Time: rfc3339(s.sim[p.i]), Shift: p.d})
					}
				}
			}
			for k, to := range s.obs {
				if usedO[k] {
					continue
				}
				jc.OnlyObserved++
				cause := CauseSettings
				switch {
				case !isSim:
					cause = CauseNotJail
				case to < first-matchWindow || to > last+matchWindow:
					cause = CauseOutside
				case l.startedBefore(to, findtime[ji]):
					cause = CauseRestarted
				}
				jc.Causes[cause]++
				diffs = append(diffs, Difference{Kind: "only-fail2ban", IP: id.String(), Time: rfc3339(to), Cause: cause})
			}
			for i, ts := range s.sim {
				if usedS[i] {
					continue
				}
				jc.OnlySimulated++
				cause := CauseSettings
				switch {
				case ts < l.First-matchWindow || ts > l.Last+matchWindow:
					cause = CauseOutside
				case l.stopped(ts):
					cause = CauseStopped
				case l.startedBefore(ts, findtime[ji]):
					cause = CauseRestarted
				}
				jc.Causes[cause]++
				diffs = append(diffs, Difference{Kind: "only-simulated", IP: id.String(), Time: rfc3339(ts), Cause: cause})
			}
		}
		jc.MaxMatchDt = math.Round(jc.MaxMatchDt*1000) / 1000
		if len(shifts) > 0 {
			abs := make([]float64, len(shifts))
			for i, d := range shifts {
				abs[i] = math.Abs(d)
			}
			sort.Float64s(abs)
			jc.ShiftMedian, jc.ShiftMax = math.Round(abs[len(abs)/2]*1000)/1000, math.Round(abs[len(abs)-1]*1000)/1000
		}
		sort.SliceStable(diffs, func(a, b int) bool { return diffs[a].Time < diffs[b].Time })
		if len(diffs) > maxExamples {
			diffs = diffs[:maxExamples]
		}
		jc.Examples = append(jc.Examples, diffs...)
	}
	return c
}
