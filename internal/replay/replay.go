// Package replay reads historical logs through the engine (filters and
// jails) with banscope's replay time model — the clock is the largest
// stamp so far, and every line is processed as a running fail2ban would
// have processed it at that moment — for several hosts and what-if
// scenarios at once, and gives the report and the line-protocol back-fill.
package replay

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/banscope/banscope/internal/distinct"
	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/logtime"
	"github.com/banscope/banscope/internal/misses"
	"github.com/banscope/banscope/internal/numbers"
	"github.com/banscope/banscope/internal/output/events"
	"github.com/banscope/banscope/internal/pipeline"
	"github.com/banscope/banscope/internal/source"
)

// Config is one replay.
type Config struct {
	Files    []string // read in this order (see source.OrderRotated)
	Jails    []engine.Jail
	Location *time.Location
	Year     int
	Now      time.Time // the wall clock: bounds the years fail2ban accepts
	MaxLine  int
	Hosts    *ident.Hosts
	// Fail2ban is the release simulated (its filters), and why.
	Fail2ban f2bversion.Choice
	Events   events.Sink // receives the bans and unbans, if set
	// Geo, when set, breaks failures and bans down by country (and ASN).
	Geo *geo.Resolver
	// DBPurgeAge is fail2ban's dbpurgeage (default 1d): how long the ban
	// database remembers bans for bantime.increment.
	DBPurgeAge float64
	// Workers is the number of goroutines preparing lines (0: one per core).
	Workers int
	// WhatIf are other settings simulated on the same read of the history.
	WhatIf []Scenario
	// HostOf names the host a file's lines come from (--host-from-path);
	// HostFromField takes each line's syslog host field instead. Each host
	// has its own clock, jails and report. With neither, one host "".
	HostOf        func(file string) string
	HostFromField bool
	// TopN is the length of the report's lists (default 10).
	TopN int
	// Fail2banLog is fail2ban.log of the same period (--fail2ban-log),
	// compared with the simulation; nil for none. One host only.
	Fail2banLog *Fail2banLog
	// BytesRead, when set, is advanced as the files are read (a progress
	// bar polls it; compressed files count their compressed bytes).
	BytesRead *atomic.Int64
	// Hooks, when set, observe the replay (the line-protocol back-fill).
	Hooks Hooks
	// Stdin is read for the file name "-" (default os.Stdin).
	Stdin io.Reader
	// Journal says the inputs are journal entries (journalctl -o json or
	// -o export, found from their first bytes): their lines are read as
	// fail2ban's systemd backend builds them (logtype=journal). Every
	// input must then be journal entries, else every one syslog lines.
	Journal bool
}

// Scenario is a what-if: the history replayed under other jail settings.
type Scenario struct {
	Label    string         // as given, e.g. "maxretry=3,findtime=1d,bantime=3d"
	Settings map[string]any // the settings changed, as read
	Jails    []engine.Jail
}

// Hooks observe a replay as it runs, host by host.
type Hooks interface {
	// Host is called before a host's first line, with its engine.
	Host(host string, eng *engine.Engine)
	// Advance is called before a line moves the host's clock to nowNs.
	Advance(host string, nowNs int64)
	// Line is called after each line of the host: n bytes (with the
	// newline) and what it was.
	Line(host string, n int, st numbers.LineState)
	// Failure is called for each failure a jail's filter finds.
	Failure(host string, jail int, ev *filter.Event)
	// Event is called for each jail event.
	Event(host string, jail int, e jailsim.Event)
	// End is called for each host at the end, with its clock.
	End(host string, nowNs int64)
}

// LineStats counts what was read.
type LineStats struct {
	Read        int64 `json:"read"`
	Matched     int64 `json:"matched"`
	Malformed   int64 `json:"malformed"`
	TooLong     int64 `json:"too_long"`
	NoTimestamp int64 `json:"no_timestamp"`
	InvalidUTF8 int64 `json:"invalid_utf8"` // invalid UTF-8 or NUL bytes
	Partial     int64 `json:"unterminated"`
}

// count adds one line.
func (s *LineStats) count(st numbers.LineState) {
	s.Read++
	if st.Matched {
		s.Matched++
	}
	if st.Malformed() {
		s.Malformed++
	}
	if st.TooLong {
		s.TooLong++
	}
	if st.NoStamp {
		s.NoTimestamp++
	}
	if st.InvalidUTF8 {
		s.InvalidUTF8++
	}
}

func (s *LineStats) add(o LineStats) {
	s.Read += o.Read
	s.Matched += o.Matched
	s.Malformed += o.Malformed
	s.TooLong += o.TooLong
	s.NoTimestamp += o.NoTimestamp
	s.InvalidUTF8 += o.InvalidUTF8
	s.Partial += o.Partial
}

// JailResult is a jail's outcome.
type JailResult struct {
	Jail    engine.Jail
	Input   filter.Input // the log the jail's filter reads
	Status  jailsim.Status
	ByKind  map[string]int64 // failures by the filter's kind name
	Outcome Outcome
}

// Outcome is what a jail's settings did to the attack, for comparing
// settings: failures that reached sshd while their address was not
// banned (Through) and those made while it was (Blocked: a firewall would
// have dropped them), distinct attackers and those never banned.
// Distinct counts are exact up to 4096 addresses, then estimated.
type Outcome struct {
	Through     int64 `json:"failures_through"`
	Blocked     int64 `json:"failures_blocked"`
	Attackers   int64 `json:"attackers"`
	NeverBanned int64 `json:"attackers_never_banned"`
	Estimated   bool  `json:"estimated,omitempty"`
}

// ScenarioResult is a what-if's outcome.
type ScenarioResult struct {
	Scenario Scenario
	Jails    []JailResult
}

// HostResult is one host's replay.
type HostResult struct {
	Host        string
	Files       []string
	Lines       LineStats
	First, Last int64 // clock at the first and last stamped line (Unix ns)
	Jails       []JailResult
	// Countries is the breakdown by country (nil without geo); TopASNs
	// the autonomous systems with the most failures (with an ASN
	// database).
	Countries []geo.Row
	TopASNs   []geo.ASNStats
	Report    *Report
	WhatIf    []ScenarioResult
	// Misses is what the simulated fail2ban does not see in this host's
	// log (sshd's own drops, failures a newer release would count).
	Misses misses.Counts
	// Fail2banLog is fail2ban.log beside the simulation (nil without one).
	Fail2banLog *Comparison
}

// Result is the outcome of a replay.
type Result struct {
	// Fail2ban is the release simulated, and why.
	Fail2ban  f2bversion.Choice
	Files     []string
	Lines     LineStats
	Hosts     []*HostResult // in order of first appearance
	GeoSource string
	HasASN    bool
	Location  *time.Location
	TopN      int // the length of the report's lists
}

// host returns the result of the only host (the common case).
func (r *Result) single() *HostResult {
	if len(r.Hosts) == 1 {
		return r.Hosts[0]
	}
	return nil
}

type runner struct {
	missProto int // index in protos of the newest release's filter, -1 for none
	cfg       Config
	protos    []filter.Filter // the filters lines are prepared for, one per rule set
	hosts     map[string]*hostRun
	order     []*hostRun
	cur       *hostRun // host of the file being read (nil: by field)
	last      *hostRun // host of the previous line
	res       *Result
	ref       time.Time // reference time of the file being read
}

// engineRun is one set of jails (the configured one or a what-if) on a
// host, with its outcome counters.
type engineRun struct {
	eng     *engine.Engine
	byKind  [][]int64 // per jail, by filter.Kind
	out     []Outcome
	attack  []distinct.Set
	banned  []distinct.Set
	primary int // the first sshd jail: the report's failures are its
}

type hostRun struct {
	name  string
	clock int64
	res   *HostResult
	base  *engineRun
	what  []*engineRun
	stats *collector
	user  []byte // the user of the failure being counted
	miss  *misses.Counter
}

// Run replays the files. On a bad file it goes on with the others and
// returns the result so far together with an error naming the file.
func Run(cfg Config) (*Result, error) {
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	if cfg.TopN <= 0 {
		cfg.TopN = 10
	}
	if len(cfg.Jails) == 0 {
		return nil, errors.New("replay: no jail to simulate")
	}
	r := &runner{cfg: cfg, res: &Result{Fail2ban: cfg.Fail2ban, Files: cfg.Files, Location: cfg.Location, TopN: cfg.TopN}, hosts: map[string]*hostRun{}}
	// One prototype parser per filter configuration met in any scenario.
	all := [][]engine.Jail{cfg.Jails}
	for _, sc := range cfg.WhatIf {
		all = append(all, sc.Jails)
	}
	for _, js := range all {
		for _, j := range js {
			if _, err := r.protoIndex(j); err != nil {
				return nil, err
			}
		}
	}
	// The newest release's filter beside the primary jail's, for what the
	// simulated release misses.
	r.missProto = -1
	if j, ok := engine.FirstLogJail(cfg.Jails); ok {
		o := r.filterOptions()
		o.Fail2ban = f2bversion.Newest
		if cfg.Fail2ban.Version.Or() != f2bversion.Newest {
			k, err := r.protoWith(j, o)
			if err != nil {
				return nil, err
			}
			r.missProto = k
		}
	}
	var errs []error
	rd := &pipeline.Reader{Filters: r.protos, Workers: cfg.Workers, MaxLine: cfg.MaxLine, Stamped: cfg.Journal}
	for _, name := range cfg.Files {
		in, err := r.open(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, p := range r.protos {
			p.SetReference(in.Ref)
		}
		for _, h := range r.order {
			h.setReference(in.Ref)
		}
		r.ref = in.Ref
		r.cur = nil
		if !cfg.HostFromField {
			host := ""
			if cfg.HostOf != nil {
				host = cfg.HostOf(name)
			}
			r.cur = r.host(host)
			r.cur.res.Files = append(r.cur.res.Files, name)
		}
		var src io.Reader = in
		if cfg.BytesRead != nil && in.File != nil {
			src = &countingReader{r: src, n: cfg.BytesRead, raw: in.File}
		}
		rd.Run(src, r.line)
		if rd.Unterminated() {
			h := r.cur
			if h == nil {
				h = r.last
			}
			if h != nil {
				h.res.Lines.Partial++
			}
		}
		if err := rd.Err(); err != nil {
			errs = append(errs, fmt.Errorf("read %s: %w", name, err))
		}
		if j := in.Journal; j != nil && j.Bad > 0 {
			errs = append(errs, fmt.Errorf("read %s: %d of %d journal entries could not be read (no timestamp, not an entry, or a field over 16 MiB)",
				name, j.Bad, j.Bad+j.Entries))
		}
		in.Close()
	}
	for _, h := range r.order {
		r.finishHost(h)
		r.res.Lines.add(h.res.Lines)
		r.res.Hosts = append(r.res.Hosts, h.res)
	}
	if cfg.Geo != nil {
		r.res.GeoSource, r.res.HasASN = cfg.Geo.Source, cfg.Geo.HasASN()
	}
	if cfg.Events != nil {
		if err := cfg.Events.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("write events: %w", err))
		}
	}
	return r.res, errors.Join(errs...)
}

// countingReader adds the bytes read from the file under a decompressor.
type countingReader struct {
	r   io.Reader
	raw *source.File
	n   *atomic.Int64
	was int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if done := c.raw.Consumed(); done > c.was {
		c.n.Add(done - c.was)
		c.was = done
	}
	return n, err
}

// protoIndex returns the prototype filter that prepares lines for jail
// j: one per rule set met in any scenario.
func (r *runner) protoIndex(j engine.Jail) (int, error) {
	return r.protoWith(j, r.filterOptions())
}

// protoWith is protoIndex for a filter made with options o.
func (r *runner) protoWith(j engine.Jail, o filter.Options) (int, error) {
	f, err := filter.New(j.Filter, o)
	if err != nil {
		return 0, fmt.Errorf("jail %s: %w", j.Name(), err)
	}
	for i, p := range r.protos {
		if p.Rules() == f.Rules() {
			return i, nil
		}
	}
	r.protos = append(r.protos, f)
	return len(r.protos) - 1, nil
}

func (r *runner) filterOptions() filter.Options {
	cfg := r.cfg
	return filter.Options{Location: cfg.Location, Reference: cfg.Now, Year: cfg.Year, CurrentYear: cfg.Now.Year(),
		Hosts: cfg.Hosts, InOperation: true, Fail2ban: cfg.Fail2ban.Version, Journal: cfg.Journal, Stamped: cfg.Journal}
}

// setReference gives the host's filters the reference time of the file
// being read (they prepare a line themselves only when it was prepared by
// other rules, see filter.Filter).
func (h *hostRun) setReference(t time.Time) {
	h.base.eng.SetReference(t)
	if h.miss != nil && h.miss.Newer != nil {
		h.miss.Newer.SetReference(t)
	}
	for _, w := range h.what {
		w.eng.SetReference(t)
	}
}

// host returns the run of a host, starting it on first sight.
func (r *runner) host(name string) *hostRun {
	if h, ok := r.hosts[name]; ok {
		return h
	}
	h := &hostRun{name: name, res: &HostResult{Host: name}}
	h.base = r.newEngine(h, r.cfg.Jails, true)
	var names []string
	var bantimes []float64
	for _, j := range r.cfg.Jails {
		names, bantimes = append(names, j.Settings.Name), append(bantimes, j.Settings.BanTime)
	}
	h.stats = newCollector(r.cfg.Location, r.cfg.Geo, newBanHistory(names, bantimes, h.base.primary))
	if r.cfg.Fail2banLog != nil {
		h.stats.obs, h.stats.obsTop = r.cfg.Fail2banLog, newTopK[ident.ID](insideCounters)
	}
	if j, ok := engine.FirstLogJail(r.cfg.Jails); ok {
		if m, err := misses.New(j.Filter, r.filterOptions()); err == nil {
			if !r.ref.IsZero() && m.Newer != nil {
				m.Newer.SetReference(r.ref)
			}
			h.miss = m
		}
	}
	for _, sc := range r.cfg.WhatIf {
		h.what = append(h.what, r.newEngine(h, sc.Jails, false))
	}
	r.hosts[name] = h
	r.order = append(r.order, h)
	if r.cfg.Hooks != nil {
		r.cfg.Hooks.Host(name, h.base.eng)
	}
	return h
}

func (r *runner) newEngine(h *hostRun, jails []engine.Jail, base bool) *engineRun {
	cfg := r.cfg
	er := &engineRun{primary: -1}
	eng, err := engine.New(jails, engine.Options{Filter: r.filterOptions(), DBPurgeAge: cfg.DBPurgeAge})
	if err != nil {
		panic(err) // the prototypes were made from the same specs
	}
	er.eng = eng
	if !r.ref.IsZero() {
		eng.SetReference(r.ref)
	}
	var idx []int
	for i, run := range eng.Jails() {
		k, _ := r.protoIndex(run.Jail)
		idx = append(idx, k)
		er.byKind = append(er.byKind, make([]int64, len(run.Filter.Kinds())))
		if er.primary < 0 && run.Filter.Input() == filter.InputLog {
			er.primary = i
		}
	}
	eng.SetPrepared(idx)
	er.out = make([]Outcome, len(jails))
	er.attack = make([]distinct.Set, len(jails))
	er.banned = make([]distinct.Set, len(jails))
	hooks := cfg.Hooks
	er.eng.OnFailure = func(i int, ev *filter.Event, id ident.ID) {
		if k := int(ev.Kind); k < len(er.byKind[i]) {
			er.byKind[i][k]++
		}
		if base {
			if i == er.primary {
				h.user = ev.User
			}
			if hooks != nil {
				hooks.Failure(h.name, i, ev)
			}
		}
	}
	er.eng.OnEvent = func(i int, e jailsim.Event) {
		blocked := false
		switch e.Kind {
		case jailsim.EvFound:
			if blocked = er.eng.Jails()[i].Sim.IsBanned(e.ID); blocked {
				er.out[i].Blocked++
			} else {
				er.out[i].Through++
			}
			er.attack[i].Add(e.ID)
		case jailsim.EvBan, jailsim.EvRestore:
			er.banned[i].Add(e.ID)
		}
		if !base {
			return
		}
		switch e.Kind {
		case jailsim.EvFound:
			if i == er.primary {
				h.stats.failure(e.ID, e.Time, h.user, blocked)
			}
		case jailsim.EvBan:
			h.stats.banEvent(recBan, i, e.ID, e.Time, e.End)
		case jailsim.EvAlreadyBanned:
			h.stats.banEvent(recProlong, i, e.ID, e.Time, e.End)
		case jailsim.EvUnban:
			h.stats.banEvent(recUnban, i, e.ID, e.Time, 0)
		}
		if hooks != nil {
			hooks.Event(h.name, i, e)
		}
		if cfg.Events != nil {
			cfg.Events.Event(h.name, e)
		}
	}
	return er
}

func (r *runner) line(l *pipeline.Line) {
	h := r.cur
	if h == nil {
		h = r.fieldHost(l)
	}
	r.last = h
	st := numbers.LineState{TooLong: l.Status == source.TooLong, InvalidUTF8: l.InvalidUTF8 || l.NUL}
	if !st.TooLong {
		if t, ok := l.Pre[0].Stamp(); ok {
			if t > h.clock {
				if r.cfg.Hooks != nil {
					r.cfg.Hooks.Advance(h.name, t)
				}
				h.clock = t
			}
			if h.res.First == 0 {
				h.res.First = h.clock
			}
			h.res.Last = h.clock
		} else if len(l.Text) > 0 {
			st.NoStamp = true
		}
		h.user = nil
		res := h.base.eng.Prepared(l.Text, l.Pre, h.clock)
		st.Matched = res.Matched
		if h.miss != nil {
			var pre *filter.Prepared
			if r.missProto >= 0 {
				pre = &l.Pre[r.missProto]
			}
			h.miss.Line(l.Text, res.Primary, pre, h.clock, 0, false)
		}
		for _, w := range h.what {
			w.eng.Prepared(l.Text, l.Pre, h.clock)
		}
	}
	h.res.Lines.count(st)
	if r.cfg.Hooks != nil {
		r.cfg.Hooks.Line(h.name, len(l.Text)+1, st)
	}
}

// fieldHost is the host of a line by its syslog host field; a line
// without one (no stamp, a continuation) stays with the previous line's.
func (r *runner) fieldHost(l *pipeline.Line) *hostRun {
	if l.Status == source.Line {
		if name := r.protos[0].HostField(l.Text, &l.Pre[0]); len(name) > 0 {
			if h := r.last; h != nil && h.name == string(name) {
				return h
			}
			return r.host(string(name))
		}
	}
	if r.last != nil {
		return r.last
	}
	return r.host("unknown")
}

func (r *runner) finishHost(h *hostRun) {
	now := logtime.FromNanos(h.clock)
	if h.miss != nil {
		h.res.Misses = h.miss.Counts
	}
	results := func(er *engineRun) []JailResult {
		var out []JailResult
		for i, run := range er.eng.Jails() {
			j := run.Sim
			j.Service(now, true)
			o := er.out[i]
			o.Attackers = er.attack[i].Count()
			o.NeverBanned = max(0, o.Attackers-er.banned[i].Count())
			o.Estimated = !er.attack[i].Exact() || !er.banned[i].Exact()
			byKind := map[string]int64{}
			kinds := run.Filter.Kinds()
			for k, n := range er.byKind[i] {
				if n > 0 {
					byKind[kinds[k]] = n
				}
			}
			out = append(out, JailResult{Jail: run.Jail, Input: run.Filter.Input(), Status: j.Status(), ByKind: byKind, Outcome: o})
		}
		return out
	}
	h.res.Jails = results(h.base)
	for k, w := range h.what {
		h.res.WhatIf = append(h.res.WhatIf, ScenarioResult{Scenario: r.cfg.WhatIf[k], Jails: results(w)})
	}
	if r.cfg.Hooks != nil {
		r.cfg.Hooks.End(h.name, h.clock)
	}
	h.stats.finish()
	h.res.Report = h.stats.report(r.cfg.TopN, 240, r.cfg.Geo, now)
	if l := r.cfg.Fail2banLog; l != nil {
		var findtime []float64
		for _, j := range r.cfg.Jails {
			findtime = append(findtime, j.Settings.FindTime)
		}
		var top []IPRow
		for _, it := range h.stats.obsTop.top(r.cfg.TopN, func(a, b ident.ID) bool { return a.String() < b.String() }) {
			top = append(top, IPRow{IP: it.key.String(), Failures: it.count, Error: it.err, History: []BanRow{}})
		}
		if top == nil {
			top = []IPRow{}
		}
		h.res.Fail2banLog = l.compare(h.stats.hist, logtime.FromNanos(h.res.First), logtime.FromNanos(h.res.Last), findtime, h.stats.obsBlocked, top)
		if m := &h.res.Misses; m.Unseen > 0 {
			h.res.Fail2banLog.Notes = append(h.res.Fail2banLog.Notes, fmt.Sprintf(
				"fail2ban %s counts %d failures the simulated %s does not: if the server runs the newer release, its bans come earlier or more often (replay --fail2ban %s)",
				m.Newest, m.Unseen, m.Simulated, m.Newest))
		}
	}
	if h.stats.geo != nil {
		h.res.Countries = h.stats.geo.Rows(5)
		h.res.TopASNs = h.stats.geo.TopASNs(r.cfg.TopN)
	}
}

// open opens an input of the replay (see source.OpenInput).
func (r *runner) open(name string) (*source.Input, error) {
	stdin := r.cfg.Stdin
	if stdin == nil {
		stdin = os.Stdin
	}
	return source.OpenInput(name, stdin, r.cfg.Now, r.cfg.Journal, "replay")
}
