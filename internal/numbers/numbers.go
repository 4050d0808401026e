// Package numbers keeps banscope's counts beside the jails — lines read
// and their health, failures by message kind and by country, unbans, what
// fail2ban.log says — and takes the one typed Snapshot of everything that
// every output encodes (line protocol, Prometheus, the back-fill). It
// knows no encoding and no source.
package numbers

import (
	"sort"
	"time"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/f2blog"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/misses"
)

// LineState is what one line read was: the single meaning of
// "malformed" for check, replay, run and the back-fill.
type LineState struct {
	TooLong     bool // over the length cap: skipped
	Cut         bool // the start of a line a truncation cut: skipped
	NoStamp     bool // a non-empty line without a usable stamp: parsed
	InvalidUTF8 bool // invalid UTF-8 or NUL bytes: parsed
	Matched     bool // some failregex matched
}

// Malformed reports whether the line is counted as malformed.
func (s LineState) Malformed() bool { return s.TooLong || s.Cut || s.NoStamp || s.InvalidUTF8 }

// Totals are the counts kept in the state file, so that a restart does
// not reset them.
type Totals struct {
	// SSHDDropped and Unseen are misses.Counts' Drops (by reason name)
	// and Unseen, kept across restarts.
	SSHDDropped map[string]int64            `json:"sshd_dropped,omitempty"`
	Unseen      int64                       `json:"unseen_failures,omitempty"`
	LinesRead   int64                       `json:"lines_read"`
	BytesRead   int64                       `json:"bytes_read"`
	Matched     int64                       `json:"matched"`
	Malformed   int64                       `json:"malformed"`
	TooLong     int64                       `json:"too_long"`
	NoStamp     int64                       `json:"no_timestamp,omitempty"`
	InvalidUTF8 int64                       `json:"invalid_utf8,omitempty"`
	Rotations   int64                       `json:"rotations"`
	Unbans      map[string]int64            `json:"unbans"`
	ByKind      map[string]map[string]int64 `json:"by_kind"`
	Observed    map[string]*ObservedTotals  `json:"observed"`
	// Countries holds per jail and country the failure and ban totals.
	Countries map[string]map[string]*CountryTotals `json:"countries,omitempty"`
}

// CountryTotals are one jail's totals for one country.
type CountryTotals struct {
	Failures int64 `json:"failures"`
	Bans     int64 `json:"bans"`
}

// ObservedTotals is one jail as fail2ban.log reports it.
type ObservedTotals struct {
	Bans     int64                 `json:"bans"`
	Restores int64                 `json:"restores"`
	Unbans   int64                 `json:"unbans"`
	Repeals  int64                 `json:"repeals,omitempty"`
	Banned   map[ident.ID]struct{} `json:"banned"`
}

func newTotals() Totals {
	return Totals{Unbans: map[string]int64{}, ByKind: map[string]map[string]int64{}, Observed: map[string]*ObservedTotals{},
		Countries: map[string]map[string]*CountryTotals{}}
}

// fill gives a restored Totals the maps an older state file lacked.
func (t *Totals) fill() {
	n := newTotals()
	if t.Unbans == nil {
		t.Unbans = n.Unbans
	}
	if t.ByKind == nil {
		t.ByKind = n.ByKind
	}
	if t.Observed == nil {
		t.Observed = n.Observed
	}
	if t.Countries == nil {
		t.Countries = n.Countries
	}
	for _, o := range t.Observed {
		if o.Banned == nil {
			o.Banned = map[ident.ID]struct{}{}
		}
	}
}

// countryInterval is one interval's per-country numbers of a jail: exact
// distinct addresses, bounded by the attackers of one interval.
type countryInterval struct {
	failures, bans int64
	ips            map[ident.ID]struct{}
}

// Tally counts beside an engine. It is not safe for concurrent use.
type Tally struct {
	t   Totals
	geo *geo.Resolver
	// the previous interval snapshot, for per-interval numbers
	at           time.Time
	failed, bans map[string]int64
	unbans       map[string]int64
	bytes, lines int64
	ivCountry    map[string]map[string]*countryInterval
}

// NewTally returns an empty tally; g, when set, breaks failures and bans
// down by country.
func NewTally(g *geo.Resolver) *Tally {
	return &Tally{t: newTotals(), geo: g, failed: map[string]int64{}, bans: map[string]int64{}, unbans: map[string]int64{},
		ivCountry: map[string]map[string]*countryInterval{}}
}

// Totals returns the counts to save.
func (y *Tally) Totals() *Totals { return &y.t }

// Restore replaces the counts with saved ones.
func (y *Tally) Restore(t Totals) {
	y.t = t
	y.t.fill()
}

// Baseline starts the next interval at now with the engine's and the
// tally's present totals (after a restart: per-interval numbers count what
// is new, not the restored history).
func (y *Tally) Baseline(eng *engine.Engine, now time.Time) {
	for _, r := range eng.Jails() {
		name, st := r.Jail.Name(), r.Sim.Status()
		y.failed[name], y.bans[name], y.unbans[name] = st.TotalFailed, st.TotalBanned, y.t.Unbans[name]
	}
	y.bytes, y.lines, y.at = y.t.BytesRead, y.t.LinesRead, now
}

// StartAt starts the first interval at t (the back-fill's first step).
func (y *Tally) StartAt(t time.Time) { y.at = t }

// Line counts one line read: n bytes (with its newline) in state st.
func (y *Tally) Line(n int, st LineState) {
	t := &y.t
	t.LinesRead++
	t.BytesRead += int64(n)
	if st.Malformed() {
		t.Malformed++
	}
	if st.TooLong {
		t.TooLong++
	}
	if st.NoStamp {
		t.NoStamp++
	}
	if st.InvalidUTF8 {
		t.InvalidUTF8++
	}
	if st.Matched {
		t.Matched++
	}
}

// Rotation counts a rotation of the followed log.
func (y *Tally) Rotation() { y.t.Rotations++ }

// Failure counts a failure of a jail by its filter's message kind.
func (y *Tally) Failure(jail, kind string) {
	kinds := y.t.ByKind[jail]
	if kinds == nil {
		kinds = map[string]int64{}
		y.t.ByKind[jail] = kinds
	}
	kinds[kind]++
}

// Event counts a jail event: unbans, and failures and bans by country.
func (y *Tally) Event(jail string, e jailsim.Event) {
	switch e.Kind {
	case jailsim.EvBan, jailsim.EvRestore:
		y.country(jail, e.ID, true)
	case jailsim.EvUnban:
		y.t.Unbans[jail]++
	case jailsim.EvFound:
		y.country(jail, e.ID, false)
	}
}

// Fail2banLog records one fail2ban.log action.
func (y *Tally) Fail2banLog(ev f2blog.Event) {
	jail := string(ev.Jail)
	o := y.t.Observed[jail]
	if o == nil {
		o = &ObservedTotals{Banned: map[ident.ID]struct{}{}}
		y.t.Observed[jail] = o
	}
	switch ev.Action {
	case f2blog.ActBan:
		o.Bans++
		o.Banned[ev.ID] = struct{}{}
	case f2blog.ActRestoreBan:
		o.Restores++
		o.Banned[ev.ID] = struct{}{}
	case f2blog.ActUnban:
		o.Unbans++
		delete(o.Banned, ev.ID)
	case f2blog.ActRepealBan:
		// fail2ban 1.1.1 stopping (server/actions.py: __unBan with
		// log "Repeal Ban"): the rule goes, but the ban has not ended —
		// it is restored at the next start. Not an unban.
		o.Repeals++
		delete(o.Banned, ev.ID)
	}
}

func (y *Tally) country(jail string, id ident.ID, ban bool) {
	if y.geo == nil {
		return
	}
	c := y.geo.Lookup(id).Country
	tot := y.t.Countries[jail]
	if tot == nil {
		tot = map[string]*CountryTotals{}
		y.t.Countries[jail] = tot
	}
	t := tot[c]
	if t == nil {
		t = &CountryTotals{}
		tot[c] = t
	}
	iv := y.ivCountry[jail]
	if iv == nil {
		iv = map[string]*countryInterval{}
		y.ivCountry[jail] = iv
	}
	x := iv[c]
	if x == nil {
		x = &countryInterval{ips: map[ident.ID]struct{}{}}
		iv[c] = x
	}
	if ban {
		t.Bans++
		x.bans++
		return
	}
	t.Failures++
	x.failures++
	x.ips[id] = struct{}{}
}

// Snapshot is everything counted, at one moment.
type Snapshot struct {
	// Misses is what the simulated fail2ban does not see (never in the
	// jails' numbers).
	Misses misses.Counts
	Host   string
	At     time.Time
	// Elapsed is the time since the previous interval snapshot (interval
	// snapshots only).
	Elapsed time.Duration
	Jails   []Jail
	// Countries is per jail and country (nil without geo), in jail order
	// then by country code.
	Countries []Country
	// Observed is every jail fail2ban.log mentions, by name.
	Observed []Observed
	Log      Log
	Parse    Parse
}

// Jail is one simulated jail's numbers.
type Jail struct {
	Name   string
	Status jailsim.Status
	Unbans int64 // bans that ended, in all
	// Interval holds this interval's failures, bans and unbans.
	Interval struct{ Failures, Bans, Unbans int64 }
	// Kinds are failures by message kind, for jails whose filter reads
	// the log (filter catalogue order, kinds with failures only).
	Kinds    []Kind
	HasKinds bool
	// The jail's settings (bantime -1: permanent).
	MaxRetry          int
	FindTime, BanTime float64
}

// Kind is the failures of one message kind.
type Kind struct {
	Name  string
	Total int64
}

// Country is one jail's numbers for one country.
type Country struct {
	Jail, Code               string
	Banned                   int64 // currently banned
	FailuresTotal, BansTotal int64
	Failures, Bans, IPs      int64 // this interval (IPs: distinct addresses)
}

// Observed is one jail as fail2ban.log reports it, beside the
// simulation when banscope simulates that jail.
type Observed struct {
	Jail                   string
	Banned                 int
	Bans, Restores, Unbans int64
	Repeals                int64 // Repeal Ban lines: bans lifted by a stop (1.1.1)
	Simulated              bool
	SimulatedBanned        int
}

// Difference is fail2ban.log's currently banned minus the simulation's.
func (o Observed) Difference() int { return o.Banned - o.SimulatedBanned }

// Log is the followed log's growth.
type Log struct {
	File                              string
	BytesTotal, LinesTotal, Rotations int64
	Bytes, Lines                      int64 // this interval
	BytesPerSecond, LinesPerSecond    float64
	// Lag is the bytes of the file not read yet, when HasLag.
	Lag    int64
	HasLag bool
	// Disk is the bytes on disk of the followed journal's files, when
	// HasDisk (the journal's size, as auth.log's size is the file's).
	Disk    int64
	HasDisk bool
}

// Parse is the health of parsing.
type Parse struct {
	Read, Matched, Malformed, TooLong, NoStamp, InvalidUTF8 int64
}

// Snapshot takes the numbers of eng's jails at now. An interval snapshot
// (the line protocol, the back-fill) also gives this interval's numbers
// and starts the next interval; Prometheus takes plain ones.
func (y *Tally) Snapshot(eng *engine.Engine, host, file string, now time.Time, interval time.Duration, isInterval bool) *Snapshot {
	s := &Snapshot{Host: host, At: now}
	if isInterval {
		s.Elapsed = now.Sub(y.at)
		if y.at.IsZero() || s.Elapsed <= 0 {
			s.Elapsed = interval
		}
	}
	delta := func(m map[string]int64, k string, v int64) int64 {
		if !isInterval {
			return 0
		}
		d := v - m[k]
		m[k] = v
		if d < 0 {
			d = v
		}
		return d
	}
	simulated := map[string]int{}
	for _, r := range eng.Jails() {
		name := r.Jail.Name()
		st := r.Sim.Status()
		set := r.Jail.Settings
		j := Jail{Name: name, Status: st, Unbans: y.t.Unbans[name], MaxRetry: set.MaxRetry, FindTime: set.FindTime, BanTime: set.BanTime}
		j.Interval.Bans = delta(y.bans, name, st.TotalBanned)
		j.Interval.Failures = delta(y.failed, name, st.TotalFailed)
		j.Interval.Unbans = delta(y.unbans, name, y.t.Unbans[name])
		if r.Filter.Input() == filter.InputLog {
			j.HasKinds = true
			for _, k := range r.Filter.Kinds()[1:] {
				if n := y.t.ByKind[name][k]; n > 0 {
					j.Kinds = append(j.Kinds, Kind{k, n})
				}
			}
		}
		simulated[name] = st.CurrentlyBanned
		s.Jails = append(s.Jails, j)
		if y.geo != nil {
			s.Countries = append(s.Countries, y.countries(name, st)...)
		}
	}
	if isInterval {
		y.ivCountry = map[string]map[string]*countryInterval{}
	}
	names := make([]string, 0, len(y.t.Observed))
	for n := range y.t.Observed {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		o := y.t.Observed[n]
		sb, sim := simulated[n]
		s.Observed = append(s.Observed, Observed{Jail: n, Banned: len(o.Banned), Bans: o.Bans, Restores: o.Restores,
			Unbans: o.Unbans, Repeals: o.Repeals, Simulated: sim, SimulatedBanned: sb})
	}
	t := &y.t
	s.Log = Log{File: file, BytesTotal: t.BytesRead, LinesTotal: t.LinesRead, Rotations: t.Rotations}
	if isInterval {
		s.Log.Bytes, s.Log.Lines = t.BytesRead-y.bytes, t.LinesRead-y.lines
		y.bytes, y.lines = t.BytesRead, t.LinesRead
		sec := s.Elapsed.Seconds()
		s.Log.BytesPerSecond, s.Log.LinesPerSecond = float64(s.Log.Bytes)/sec, float64(s.Log.Lines)/sec
		y.at = now
	}
	s.Parse = Parse{Read: t.LinesRead, Matched: t.Matched, Malformed: t.Malformed, TooLong: t.TooLong, NoStamp: t.NoStamp,
		InvalidUTF8: t.InvalidUTF8}
	return s
}

// countries gives a jail's per-country numbers: every country it has
// failures or bans from, currently banned ones included.
func (y *Tally) countries(jail string, st jailsim.Status) []Country {
	banned := map[string]int64{}
	for _, id := range st.Banned {
		banned[y.geo.Lookup(id).Country]++
	}
	tot := y.t.Countries[jail]
	codes := make([]string, 0, len(tot)+len(banned))
	for c := range tot {
		codes = append(codes, c)
	}
	for c := range banned {
		if _, ok := tot[c]; !ok {
			codes = append(codes, c)
		}
	}
	sort.Strings(codes)
	out := make([]Country, 0, len(codes))
	for _, c := range codes {
		x := Country{Jail: jail, Code: c, Banned: banned[c]}
		if t := tot[c]; t != nil {
			x.FailuresTotal, x.BansTotal = t.Failures, t.Bans
		}
		if iv := y.ivCountry[jail][c]; iv != nil {
			x.Failures, x.Bans, x.IPs = iv.failures, iv.bans, int64(len(iv.ips))
		}
		out = append(out, x)
	}
	return out
}

// MissesTotals writes m's totals into t (for the state file).
func MissesTotals(t *Totals, m *misses.Counts) {
	t.Unseen = m.Unseen
	t.SSHDDropped = nil
	for _, r := range misses.Reasons() {
		if d := m.Drops[r]; d > 0 {
			if t.SSHDDropped == nil {
				t.SSHDDropped = map[string]int64{}
			}
			t.SSHDDropped[r.String()] = d
		}
	}
}

// RestoreMisses reads t's misses totals back into m.
func RestoreMisses(m *misses.Counts, t *Totals) {
	m.Unseen = t.Unseen
	for _, r := range misses.Reasons() {
		m.Drops[r] = t.SSHDDropped[r.String()]
	}
}
