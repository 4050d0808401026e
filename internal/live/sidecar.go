// Package live is `banscope run`, the sidecar: it follows the live log (a
// source.Source), keeps the simulated jails current on the wall clock,
// writes the numbers every interval and serves them, and saves its
// position together with the jail state so that a restart, even after
// SIGKILL, continues exactly where it stopped.
package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/misses"
	"github.com/banscope/banscope/internal/output/events"
	lpout "github.com/banscope/banscope/internal/output/lineprotocol"

	"github.com/banscope/banscope/internal/atomicfile"
	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/f2blog"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/logtime"
	"github.com/banscope/banscope/internal/numbers"
	"github.com/banscope/banscope/internal/output/influxpush"
	"github.com/banscope/banscope/internal/source"
)

// Config is one sidecar.
type Config struct {
	AuthLog string // "-" reads standard input (Stdin) until its end
	Stdin   io.Reader
	// Journal reads sshd's entries from the systemd journal instead of a
	// file (journalctl is spawned and supervised); JournalArgs selects
	// another journal (e.g. --file F, --directory D).
	Journal     bool
	JournalArgs []string
	// JournalMatch replaces the filter's journal match (a jail's
	// journalmatch: words, "+" for "or").
	JournalMatch []string
	// Fail2banLog is fail2ban's own log, followed beside the simulation
	// ("" for none).
	Fail2banLog string
	// Fail2banDB is fail2ban's SQLite database: with no saved state, the
	// bans it would restore are restored (its "Restore Ban").
	Fail2banDB string
	// Geo, when set, breaks failures and bans down by country.
	Geo *geo.Resolver
	// Influx, when its URL is set, receives every batch of points.
	Influx influxpush.Config
	// Listen serves Prometheus /metrics and /healthz ("" for none);
	// WebConfig is an exporter-toolkit web configuration (TLS, basic auth).
	Listen    string
	WebConfig string
	// PrometheusNames is "banscope" (default), "f2b-exporter" (the
	// fail2ban-prometheus-exporter's names) or "both".
	PrometheusNames string
	// Version names banscope's version; Fail2ban is the fail2ban release
	// it simulates (its filters, ignoreself) and why.
	// simulates (f2b_version).
	Version  string
	Fail2ban f2bversion.Choice
	// Ready, if set, receives the Prometheus listen address once serving.
	Ready chan<- string
	// Reload, when it receives, re-reads the jail settings with Settings
	// (SIGHUP): changed jails keep their tickets, bans and counters.
	Reload     <-chan struct{}
	Settings   func() ([]engine.Jail, error)
	State      string // state file; "" keeps no state
	Interval   time.Duration
	Host       string
	Jails      []engine.Jail
	Location   *time.Location
	Year       int
	MaxLine    int
	Hosts      *ident.Hosts
	DBPurgeAge float64
	Out        io.Writer // line protocol
	// Events, when set, receives every ban and unban (--events).
	Events    events.Sink
	Now       func() time.Time
	ForcePoll bool
	Quiet     time.Duration
	Notice    func(string)
}

// stateVersion changes when the state file's meaning does.
const stateVersion = 1

// stateHead is where the state file starts: its version and the
// positions.
type stateHead struct {
	Version  int              `json:"version"`
	SavedAt  time.Time        `json:"saved_at"`
	Position *source.Position `json:"position,omitempty"`
	Cursor   string           `json:"journal_cursor,omitempty"`
	F2bPos   *source.Position `json:"fail2ban_log_position,omitempty"`
}

type stateFile struct {
	stateHead
	Counters *numbers.Totals             `json:"counters,omitempty"`
	Parsers  map[string]json.RawMessage  `json:"parsers"`
	Jails    map[string]jailsim.Snapshot `json:"jails"`
	DB       *jailsim.DBSnapshot         `json:"db,omitempty"`
}

type sidecar struct {
	cfg      Config
	mu       sync.Mutex
	saveMu   sync.Mutex // one flush at a time: states are written in order
	eng      *engine.Engine
	miss     *misses.Counter // what the simulated fail2ban does not see
	pos      *source.Position
	cursor   string
	f2bPos   *source.Position
	f2b      f2blog.Parser
	tally    *numbers.Tally
	warnedAt map[string]time.Time // jail -> last warning of a large difference from fail2ban.log
	push     *influxpush.Pusher
	// saveErr is the last failure to save the state ("" after a success),
	// saveErrors how many saves failed.
	saveErr    string
	saveErrors int64
	enc        lineprotocol.Encoder
}

// newSidecar returns a sidecar with empty counts.
func newSidecar(cfg Config) *sidecar {
	s := &sidecar{cfg: cfg, tally: numbers.NewTally(cfg.Geo), warnedAt: map[string]time.Time{}}
	s.f2b.Location = cfg.Location
	s.enc.SetPrecision(lineprotocol.Nanosecond)
	return s
}

// Run follows the log until ctx is done, then writes the numbers and saves
// the state a last time.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Notice == nil {
		cfg.Notice = func(string) {}
	}
	if cfg.Host == "" {
		cfg.Host, _ = os.Hostname()
		if cfg.Host == "" {
			cfg.Host = "unknown"
		}
	}
	s := newSidecar(cfg)
	now := cfg.Now()
	s.tally.StartAt(now) // the first interval's rates are over the time since now
	eng, err := engine.New(cfg.Jails, engine.Options{DBPurgeAge: cfg.DBPurgeAge, Filter: filter.Options{Location: cfg.Location,
		Reference: now, Year: cfg.Year, CurrentYear: now.Year(), Hosts: cfg.Hosts, Journal: cfg.Journal, InOperation: true, Fail2ban: cfg.Fail2ban.Version}})
	if err != nil {
		return err
	}
	cfg.Notice(fmt.Sprintf("simulating fail2ban %s (%s)", cfg.Fail2ban.Version, cfg.Fail2ban.Why))
	s.eng = eng
	if j, ok := engine.FirstLogJail(cfg.Jails); ok {
		o := filter.Options{Location: cfg.Location, Reference: now, Year: cfg.Year, CurrentYear: now.Year(), Hosts: cfg.Hosts,
			Journal: cfg.Journal, InOperation: true, Fail2ban: cfg.Fail2ban.Version}
		if s.miss, err = misses.New(j.Filter, o); err != nil {
			return err
		}
	}
	s.eng.OnEvent = s.onEvent
	s.eng.OnFailure = func(i int, ev *filter.Event, _ ident.ID) { s.onFailure(i, ev.Kind) }
	loaded, err := s.load()
	if err != nil {
		return err
	}
	if cfg.AuthLog == "-" || cfg.Journal {
		loaded = true // no file rebuild: a stream has no predecessors; the journal is read from its horizon
	}
	if !loaded {
		if cfg.Fail2banDB != "" {
			if err := s.restoreFromDB(cfg.Fail2banDB); err != nil {
				return err
			}
		}
		if err := s.rebuild(ctx); err != nil {
			return err
		}
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 3)
	if cfg.Influx.URL != "" {
		if s.push, err = influxpush.New(cfg.Influx, cfg.Notice); err != nil {
			return err
		}
		pctx, pcancel := context.WithCancel(context.Background())
		pdone := make(chan struct{})
		go func() { s.push.Run(pctx); close(pdone) }()
		defer func() {
			// A last chance to send, then what is left waits in the spool.
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) && s.push.Pending() > 0 {
				time.Sleep(20 * time.Millisecond)
			}
			pcancel()
			<-pdone
			s.push.DrainQueue()
		}()
	}
	if cfg.Listen != "" {
		go func() {
			if err := s.serve(fctx, cfg.Listen, cfg.WebConfig, cfg.Ready); err != nil {
				errc <- fmt.Errorf("listen %s: %w", cfg.Listen, err)
			}
		}()
	}
	if cfg.Fail2banLog != "" {
		f2b := &source.FileSource{Start: s.f2bPos,
			Options: source.FollowOptions{Path: cfg.Fail2banLog, ForcePoll: cfg.ForcePoll, Quiet: cfg.Quiet, Notice: cfg.Notice}}
		go func() {
			err := f2b.Read(fctx, s.f2bLine)
			if err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("fail2ban log: %w", err)
			}
		}()
	}
	src := s.source(now)
	go func() { errc <- src.Read(fctx, s.line) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	emit := time.NewTicker(cfg.Interval)
	defer emit.Stop()
	for {
		select {
		case <-ctx.Done():
			cancel()
			ferr := <-errc
			if ferr != nil && !errors.Is(ferr, context.Canceled) {
				return ferr
			}
			return s.flush(true)
		case err := <-errc:
			if err != nil && !errors.Is(err, context.Canceled) {
				s.flush(true)
				return err
			}
			return s.flush(true)
		case <-tick.C:
			s.mu.Lock()
			t := logtime.FromTime(cfg.Now())
			s.eng.Tick(t)
			s.mu.Unlock()
		case <-emit.C:
			if err := s.flush(false); err != nil {
				return err
			}
		case <-cfg.Reload:
			s.reload()
		}
	}
}

// source is where the log's lines come from: standard input, the journal
// (from the saved cursor, or from the horizon back), or the followed file
// (from the saved position).
func (s *sidecar) source(now time.Time) source.Source {
	cfg := s.cfg
	switch {
	case cfg.AuthLog == "-":
		in := cfg.Stdin
		if in == nil {
			in = os.Stdin
		}
		return &source.StreamSource{R: in, MaxLine: cfg.MaxLine, Label: "stdin"}
	case cfg.Journal:
		o := source.JournalOptions{Args: cfg.JournalArgs, Cursor: s.cursor, Notice: cfg.Notice, Matches: s.journalMatch()}
		if s.cursor == "" {
			o.Since = now.Add(-time.Duration(logtime.ToNanos(s.horizon())))
		}
		return &source.JournalSource{Options: o}
	}
	return &source.FileSource{Start: s.pos, Options: source.FollowOptions{
		Path: cfg.AuthLog, MaxLine: cfg.MaxLine, ForcePoll: cfg.ForcePoll, Quiet: cfg.Quiet, Notice: cfg.Notice,
		OnRotate: func(string) { s.mu.Lock(); s.tally.Rotation(); s.mu.Unlock() },
	}}
}

// onFailure counts a failure by message kind.
func (s *sidecar) onFailure(i int, k filter.Kind) {
	run := s.eng.Jails()[i]
	s.tally.Failure(run.Jail.Name(), run.Filter.Kinds()[k])
}

// onEvent feeds the unban counts and the country breakdown.
func (s *sidecar) onEvent(i int, e jailsim.Event) {
	s.tally.Event(s.eng.Jails()[i].Jail.Name(), e)
	if s.cfg.Events != nil {
		s.cfg.Events.Event("", e)
	}
}

// reload applies new jail settings (SIGHUP): see engine.Engine.Reload.
func (s *sidecar) reload() {
	if s.cfg.Settings == nil {
		return
	}
	jails, err := s.cfg.Settings()
	if err != nil {
		s.cfg.Notice(fmt.Sprintf("reload: %v (keeping the current settings)", err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.eng.Reload(jails); err != nil {
		s.cfg.Notice(fmt.Sprintf("reload: %v (keeping the current settings)", err))
		return
	}
	s.cfg.Notice(fmt.Sprintf("reloaded the jail settings: %d jail(s)", len(jails)))
}

// journalMatch is the journal match of the jails' filters: the first
// that has one (the jails of one host read one sshd).
func (s *sidecar) journalMatch() []string {
	if s.cfg.JournalMatch != nil {
		return s.cfg.JournalMatch
	}
	for _, r := range s.eng.Jails() {
		if m, ok := r.Filter.(filter.JournalMatcher); ok {
			return m.JournalMatch()
		}
	}
	return nil
}

// horizon is how far back a start without state reads: max(findtime,
// bantime), a year at most.
func (s *sidecar) horizon() float64 {
	back := 0.0
	for _, r := range s.eng.Jails() {
		j := r.Jail
		back = math.Max(back, math.Max(j.Settings.FindTime, j.Settings.BanTime))
	}
	if back < 0 || back > 366*86400 {
		back = 366 * 86400
	}
	return back
}

// line processes one line of the live log at the wall clock.
func (s *sidecar) line(e *source.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.Cursor != "" {
		s.cursor = e.Cursor
	} else {
		p := e.Pos
		s.pos = &p
	}
	if e.Status != source.Line {
		s.tally.Line(len(e.Text)+1, numbers.LineState{TooLong: e.Status == source.TooLong, Cut: e.Status == source.Cut})
		return nil
	}
	s.process(e.Text, s.cfg.Now().UnixNano(), e.Stamp, e.HasStamp)
	return nil
}

// f2bLine records one line of fail2ban.log.
func (s *sidecar) f2bLine(e *source.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := e.Pos
	s.f2bPos = &p
	if e.Status != source.Line {
		return nil
	}
	if ev, ok := s.f2b.Parse(e.Text); ok {
		s.tally.Fail2banLog(ev)
	}
	return nil
}

// process runs one complete line through every jail with the clock at
// nowNs (with hasStamp, its time is stamp: a journal entry's) and counts it.
func (s *sidecar) process(b []byte, nowNs, stamp int64, hasStamp bool) {
	res := s.eng.Line(b, nowNs, stamp, hasStamp)
	if s.miss != nil {
		s.miss.Line(b, res.Primary, nil, nowNs, stamp, hasStamp)
	}
	s.tally.Line(len(b)+1, numbers.LineState{Matched: res.Matched, NoStamp: !res.Stamped && len(b) > 0,
		InvalidUTF8: source.Suspect(b) != 0})
}

// rebuild reconstructs, with no saved state, what a fail2ban running all
// along would hold now: the live file and its rotated predecessors are
// replayed from max(findtime, bantime) before now.
func (s *sidecar) rebuild(ctx context.Context) error {
	now := s.cfg.Now()
	cutoff := now.UnixNano() - logtime.ToNanos(s.horizon())
	files := predecessors(s.cfg.AuthLog)
	if _, err := os.Stat(s.cfg.AuthLog); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("open %s: %w", s.cfg.AuthLog, err)
		}
		return nil // Follow waits for it
	}
	files = append(files, s.cfg.AuthLog)
	var clock int64
	lines := 0
	for _, name := range files {
		f, err := source.Open(name)
		if err != nil {
			s.cfg.Notice(fmt.Sprintf("start-up rebuild: %v", err))
			continue
		}
		s.eng.SetReference(f.ModTime)
		lr := source.NewLines(f, s.cfg.MaxLine)
		for {
			b, st := lr.Next()
			if st == source.EOF {
				break
			}
			if st != source.Line {
				continue
			}
			if t, ok := s.eng.Jails()[0].Filter.Stamp(b); ok {
				if t < cutoff {
					continue
				}
				if t > clock {
					clock = t
				}
			} else if clock == 0 {
				continue
			}
			s.process(b, clock, 0, false)
			lines++
		}
		if name == s.cfg.AuthLog {
			if err := lr.Err(); err != nil {
				f.Close()
				return fmt.Errorf("read %s: %w", name, err)
			}
			// Follow on from the end of the last complete line.
			if pf, err := os.Open(name); err == nil {
				if p, err := source.PositionOf(pf, lr.Offset); err == nil {
					p.Path = name
					s.pos = &p
				}
				pf.Close()
			}
		}
		f.Close()
	}
	s.cfg.Notice(fmt.Sprintf("no saved state: rebuilt the jails from %d lines since %s", lines, time.Unix(0, cutoff).UTC().Format(time.RFC3339)))
	return nil
}

// predecessors lists the rotated files of path, oldest first.
func predecessors(path string) []string {
	var out []string
	for _, pat := range []string{path + ".*", path + "-*"} {
		m, _ := filepath.Glob(pat)
		out = append(out, m...)
	}
	return source.OrderRotated(out)
}

func (s *sidecar) load() (bool, error) {
	if s.cfg.State == "" {
		return false, nil
	}
	b, err := os.ReadFile(s.cfg.State)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read state %s: %w", s.cfg.State, err)
	}
	var st stateFile
	if err := json.Unmarshal(b, &st); err != nil {
		return false, fmt.Errorf("read state %s: %w", s.cfg.State, err)
	}
	if st.Version != stateVersion {
		s.cfg.Notice(fmt.Sprintf("state %s has version %d, not %d: ignored", s.cfg.State, st.Version, stateVersion))
		return false, nil
	}
	if other := s.otherSource(st); other != "" {
		s.cfg.Notice(fmt.Sprintf("state %s was saved for %s, not this source: ignored (rebuilding from the log)", s.cfg.State, other))
		return false, nil
	}
	for _, r := range s.eng.Jails() {
		name := r.Jail.Name()
		if ps, ok := st.Parsers[name]; ok {
			if err := r.Filter.Restore(ps); err != nil {
				return false, fmt.Errorf("read state %s: %w", s.cfg.State, err)
			}
		}
		if js, ok := st.Jails[name]; ok {
			if err := r.Sim.Restore(js); err != nil {
				return false, fmt.Errorf("read state %s: %w", s.cfg.State, err)
			}
		}
	}
	if st.DB != nil && s.eng.DB() != nil {
		s.eng.DB().Restore(*st.DB)
	}
	s.pos, s.cursor, s.f2bPos = st.Position, st.Cursor, st.F2bPos
	if st.Counters != nil {
		s.tally.Restore(*st.Counters)
		if s.miss != nil {
			numbers.RestoreMisses(&s.miss.Counts, st.Counters)
		}
	}
	// the first interval after the restart counts what is new, not all
	// history
	s.tally.Baseline(s.eng, s.cfg.Now())
	return true, nil
}

// otherSource names the source a state file was saved for when it is not
// this sidecar's ("" when it is, or when the state does not say).
func (s *sidecar) otherSource(st stateFile) string {
	switch {
	case s.cfg.Journal:
		if st.Position != nil && st.Position.Path != "" {
			return st.Position.Path
		}
	case s.cfg.AuthLog == "-":
	default:
		if st.Cursor != "" {
			return "the journal"
		}
		if st.Position != nil && st.Position.Path != "" && st.Position.Path != s.cfg.AuthLog {
			return st.Position.Path
		}
	}
	return ""
}

// flush writes the numbers and takes the state under the lock, so the
// state matches exactly the lines processed; the state is encoded and
// written after the lock is released, so a large state (a million
// tracked addresses) or a slow disk holds up neither following nor a
// scrape of /metrics.
func (s *sidecar) flush(final bool) error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	st, err := s.emit()
	if err != nil || st == nil {
		return err
	}
	err = writeState(s.cfg.State, st)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		if s.saveErr != "" {
			s.cfg.Notice("state saved again")
			s.saveErr = ""
		}
		return nil
	}
	s.saveErrors++
	if err.Error() != s.saveErr {
		// a full or read-only disk: say so once, keep following, retry
		// every interval (banscope_state_save_errors_total counts them)
		s.cfg.Notice(fmt.Sprintf("%v (following goes on; the state is saved again every interval)", err))
		s.saveErr = err.Error()
	}
	if final {
		return err
	}
	return nil
}

// emit writes the interval's numbers and returns the state to save (nil
// without --state), under the lock.
func (s *sidecar) emit() (*savedState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	s.eng.Tick(logtime.FromTime(now))
	snap := s.tally.Snapshot(s.eng, s.cfg.Host, s.fileTag(), now, s.cfg.Interval, true)
	if s.miss != nil {
		snap.Misses = s.miss.Counts
	}
	s.journalDisk(snap)
	s.warnDifferences(snap)
	s.enc.Reset()
	lpout.Append(&s.enc, snap)
	if err := s.enc.Err(); err != nil {
		return nil, fmt.Errorf("line protocol: %w", err)
	}
	if s.cfg.Out != nil {
		if _, err := s.cfg.Out.Write(s.enc.Bytes()); err != nil {
			return nil, fmt.Errorf("write output: %w", err)
		}
	}
	if s.push != nil {
		s.push.Enqueue(s.enc.Bytes())
	}
	if s.cfg.Events != nil {
		if err := s.cfg.Events.Flush(); err != nil {
			return nil, fmt.Errorf("write events: %w", err)
		}
	}
	if s.cfg.State == "" {
		return nil, nil
	}
	st, err := s.state(now)
	if err != nil {
		return nil, fmt.Errorf("save state: %w", err)
	}
	return st, nil
}

// savedState is stateFile as written: the counters encoded while the lock
// is held (they are the live maps), the rest copies.
type savedState struct {
	stateHead
	Counters json.RawMessage             `json:"counters,omitempty"`
	Parsers  map[string]json.RawMessage  `json:"parsers"`
	Jails    map[string]jailsim.Snapshot `json:"jails"`
	DB       *jailsim.DBSnapshot         `json:"db,omitempty"`
}

// writeJSON writes the state as json.Marshal would, the jails streamed
// (jailsim.Snapshot.WriteJSON).
func (st *savedState) writeJSON(w io.Writer) error {
	head := *st
	head.Jails, head.DB = nil, nil
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	if _, err := w.Write(b[:len(b)-1]); err != nil {
		return err
	}
	names := make([]string, 0, len(st.Jails))
	for name := range st.Jails {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		sep := `,"jails":{`
		if i > 0 {
			sep = ","
		}
		k, _ := json.Marshal(name)
		if _, err := fmt.Fprintf(w, "%s%s:", sep, k); err != nil {
			return err
		}
		j := st.Jails[name]
		if err := j.WriteJSON(w); err != nil {
			return err
		}
	}
	if len(names) == 0 {
		if _, err := io.WriteString(w, `,"jails":{`); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, "}"); err != nil {
		return err
	}
	if st.DB != nil {
		d, err := json.Marshal(st.DB)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, `,"db":%s`, d); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "}\n")
	return err
}

// state copies what the state file holds; the caller holds the lock.
func (s *sidecar) state(now time.Time) (*savedState, error) {
	st := &savedState{stateHead: stateHead{Version: stateVersion, SavedAt: now.UTC(), Cursor: s.cursor}, Jails: map[string]jailsim.Snapshot{}}
	if s.pos != nil {
		p := *s.pos
		st.Position = &p
	}
	if s.f2bPos != nil {
		p := *s.f2bPos
		st.F2bPos = &p
	}
	c := s.tally.Totals()
	if s.miss != nil && c != nil {
		numbers.MissesTotals(c, &s.miss.Counts)
	}
	var err error
	if st.Counters, err = json.Marshal(c); err != nil {
		return nil, err
	}
	if st.Parsers, err = s.eng.Snapshot(); err != nil {
		return nil, err
	}
	for _, r := range s.eng.Jails() {
		st.Jails[r.Jail.Name()] = r.Sim.Snapshot()
	}
	if s.eng.DB() != nil {
		d := s.eng.DB().Snapshot()
		st.DB = &d
	}
	return st, nil
}

// writeStateFile writes the state file atomically (tests replace it).
var writeStateFile = atomicfile.WriteFunc

// writeState encodes a state taken by state straight into the file.
func writeState(path string, st *savedState) error {
	if err := writeStateFile(path, func(w io.Writer) error { return st.writeJSON(w) }); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}
