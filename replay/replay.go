// Package replay reads historical logs through the parser and the jail
// simulator with banscope's replay time model: the clock is the largest
// stamp so far, and every line is processed as a running fail2ban would
// have processed it at that moment.
package replay

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/banscope/banscope/geo"
	"github.com/banscope/banscope/internal/jsonw"
	"github.com/banscope/banscope/internal/pipeline"
	"github.com/banscope/banscope/jailsim"
	"github.com/banscope/banscope/parser"
	"github.com/banscope/banscope/tailer"
)

// Jail is one jail to simulate: its settings and its sshd filter.
type Jail struct {
	Settings  jailsim.Settings
	Mode      parser.Mode
	PublicKey parser.PublicKey
	// Origin says where each setting came from ("jail.local [sshd]",
	// "--maxretry", "default"), for the report.
	Origin map[string]string
	// Recidive makes this jail read the other jails' bans (the lines
	// "NOTICE [jail] Ban IP" of fail2ban.log) instead of auth.log, as
	// fail2ban's recidive filter does; a ban is read at the moment it is
	// logged.
	Recidive bool
}

// Config is one replay.
type Config struct {
	Files    []string // read in this order (see tailer.OrderRotated)
	Jails    []Jail
	Location *time.Location
	Year     int
	Now      time.Time // the wall clock: bounds the years fail2ban accepts
	MaxLine  int
	Hosts    *parser.Hosts
	Events   io.Writer // JSON lines of bans and unbans, if set
	// Geo, when set, breaks failures and bans down by country (and ASN).
	Geo *geo.Resolver
	// DBPurgeAge is fail2ban's dbpurgeage (default 1d): how long the ban
	// database remembers bans for bantime.increment.
	DBPurgeAge float64
	// Workers is the number of goroutines preparing lines (0: one per core).
	Workers int
}

// LineStats counts what was read.
type LineStats struct {
	Read        int64 `json:"read"`
	Matched     int64 `json:"matched"`
	Malformed   int64 `json:"malformed"`
	TooLong     int64 `json:"too_long"`
	NoTimestamp int64 `json:"no_timestamp"`
	InvalidUTF8 int64 `json:"invalid_utf8"`
	Partial     int64 `json:"unterminated"`
}

// JailResult is a jail's outcome.
type JailResult struct {
	Jail   Jail
	Status jailsim.Status
	ByKind map[parser.Kind]int64
}

// Result is the outcome of a replay.
type Result struct {
	Files       []string
	Lines       LineStats
	Jails       []JailResult
	First, Last int64 // clock at the first and last stamped line (Unix ns)
	// Countries is the breakdown by country over all jails (nil without
	// geo); GeoSource names the data used.
	Countries []geo.Row
	GeoSource string
	HasASN    bool
}

type runner struct {
	cfg    Config
	eng    *Engine
	byKind []map[parser.Kind]int64
	res    *Result
	clock  int64
	events []byte
	evErr  error
	geo    *geo.Breakdown
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
	if len(cfg.Jails) == 0 {
		return nil, errors.New("replay: no jail to simulate")
	}
	r := &runner{cfg: cfg, res: &Result{Files: cfg.Files}}
	if cfg.Geo != nil {
		r.geo = geo.NewBreakdown(cfg.Geo)
	}
	r.eng = NewEngine(cfg.Jails, EngineOptions{Location: cfg.Location, Reference: cfg.Now, Year: cfg.Year,
		CurrentYear: cfg.Now.Year(), Hosts: cfg.Hosts, DBPurgeAge: cfg.DBPurgeAge})
	for range cfg.Jails {
		r.byKind = append(r.byKind, map[parser.Kind]int64{})
	}
	r.eng.OnFailure = func(i int, k parser.Kind) { r.byKind[i][k]++ }
	r.eng.OnEvent = func(i int, e jailsim.Event) {
		if r.geo != nil {
			switch e.Kind {
			case jailsim.EvFound:
				r.geo.Failure(e.ID)
			case jailsim.EvBan:
				r.geo.Ban(e.ID)
			}
		}
		r.onEvent(e)
	}
	var errs []error
	rd := &pipeline.Reader{Parsers: r.eng.Parsers, Workers: cfg.Workers, MaxLine: cfg.MaxLine}
	for _, name := range cfg.Files {
		f, err := tailer.OpenReplay(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, p := range r.eng.Parsers {
			p.SetReference(f.ModTime)
		}
		rd.Run(f, r.line)
		lines := rd.Lines()
		if len(lines.Partial()) > 0 {
			r.res.Lines.Partial++
		}
		if err := lines.Err(); err != nil {
			errs = append(errs, fmt.Errorf("read %s: %w", name, err))
		}
		f.Close()
	}
	now := sec(r.clock)
	for i, j := range r.eng.Sims {
		j.Service(now, true)
		r.res.Jails = append(r.res.Jails, JailResult{Jail: cfg.Jails[i], Status: j.Status(), ByKind: r.byKind[i]})
	}
	if r.geo != nil {
		r.res.Countries = r.geo.Rows(5)
		r.res.GeoSource, r.res.HasASN = cfg.Geo.Source, cfg.Geo.HasASN()
	}
	r.flushEvents()
	if r.evErr != nil {
		errs = append(errs, fmt.Errorf("write events: %w", r.evErr))
	}
	return r.res, errors.Join(errs...)
}

func sec(ns int64) float64 { return float64(ns) / 1e9 }

func (r *runner) line(l *pipeline.Line) {
	st := &r.res.Lines
	st.Read++
	if l.Status == tailer.TooLong {
		st.TooLong++
		st.Malformed++
		return
	}
	bad := false
	if l.InvalidUTF8 {
		st.InvalidUTF8++
		bad = true
	}
	if t, ok := l.Pre[0].Stamp(); ok {
		if t > r.clock {
			r.clock = t
		}
		if r.res.First == 0 {
			r.res.First = r.clock
		}
		r.res.Last = r.clock
	} else if len(l.Text) > 0 {
		st.NoTimestamp++
		bad = true
	}
	if bad {
		st.Malformed++
	}
	if r.eng.Prepared(l.Text, l.Pre, r.clock) {
		st.Matched++
	}
	if len(r.events) > 64<<10 {
		r.flushEvents()
	}
}

func (r *runner) onEvent(e jailsim.Event) {
	if r.cfg.Events == nil || (e.Kind != jailsim.EvBan && e.Kind != jailsim.EvUnban) {
		return
	}
	b := r.events
	b = append(b, `{"event":"`...)
	if e.Kind == jailsim.EvBan {
		b = append(b, "ban"...)
	} else {
		b = append(b, "unban"...)
	}
	b = append(b, `","jail":`...)
	b = jsonw.AppendString(b, e.Jail)
	b = append(b, `,"ip":`...)
	b = jsonw.AppendString(b, e.ID.String())
	b = append(b, `,"time":"`...)
	b = AppendTime(b, e.Time)
	b = append(b, "\"}\n"...)
	r.events = b
}

func (r *runner) flushEvents() {
	if r.cfg.Events != nil && len(r.events) > 0 && r.evErr == nil {
		_, r.evErr = r.cfg.Events.Write(r.events)
	}
	r.events = r.events[:0]
}

// AppendTime appends a time in float seconds as RFC 3339 UTC.
func AppendTime(b []byte, t float64) []byte {
	if math.IsInf(t, 0) || t >= 0x7FFFFFFFFFFF {
		return append(b, "9999-12-31T23:59:59Z"...)
	}
	s, f := math.Modf(t)
	return time.Unix(int64(s), int64(math.Round(f*1e6))*1000).UTC().AppendFormat(b, time.RFC3339Nano)
}
