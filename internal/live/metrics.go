package live

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/banscope/banscope/internal/f2blog"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/jailsim"
)

// Every measurement and field banscope writes is named here (README
// "Metrics"). Tags come only from bounded sets: host, jail, kind, file.
const (
	// Telegraf's inputs.fail2ban shape, for the InfluxDB fail2ban template.
	mFail2ban = "fail2ban" // banned, failed: currently banned / currently failed

	mJail    = "banscope_jail"    // per jail: totals, this interval's failures/bans/unbans, peak
	mKind    = "banscope_kind"    // per jail and message kind: failures_total
	mLog     = "banscope_log"     // the followed log: growth and rotations
	mParse   = "banscope_parse"   // parse health
	mF2bLog  = "banscope_f2blog"  // what fail2ban.log says happened, beside the simulation
	mCountry = "banscope_country" // per jail and country: failures, distinct IPs, bans, currently banned
)

// counters are the sidecar's own totals, kept in the state file so that a
// restart does not reset them.
type counters struct {
	LinesRead int64                       `json:"lines_read"`
	BytesRead int64                       `json:"bytes_read"`
	Matched   int64                       `json:"matched"`
	Malformed int64                       `json:"malformed"`
	TooLong   int64                       `json:"too_long"`
	Rotations int64                       `json:"rotations"`
	Unbans    map[string]int64            `json:"unbans"`
	ByKind    map[string]map[string]int64 `json:"by_kind"`
	Observed  map[string]*observed        `json:"observed"`
	// Countries holds per jail and country the failure and ban totals.
	Countries map[string]map[string]*countryTotals `json:"countries,omitempty"`
}

type countryTotals struct {
	Failures int64 `json:"failures"`
	Bans     int64 `json:"bans"`
}

// countryInterval is one interval's per-country numbers of a jail: exact
// distinct addresses, bounded by the attackers of one interval.
type countryInterval struct {
	failures, bans int64
	ips            map[ident.ID]struct{}
}

// observed is one jail as fail2ban.log reports it.
type observed struct {
	Bans     int64                 `json:"bans"`
	Restores int64                 `json:"restores"`
	Unbans   int64                 `json:"unbans"`
	Banned   map[ident.ID]struct{} `json:"banned"`
}

func newCounters() counters {
	return counters{Unbans: map[string]int64{}, ByKind: map[string]map[string]int64{}, Observed: map[string]*observed{},
		Countries: map[string]map[string]*countryTotals{}}
}

// intervalBase remembers the totals at the last flush, for per-interval
// numbers and rates.
type intervalBase struct {
	at           time.Time
	failed, bans map[string]int64
	unbans       map[string]int64
	bytes, lines int64
	warnedAt     map[string]time.Time
}

// f2bEvent records one fail2ban.log line.
func (c *counters) f2bEvent(ev f2blog.Event) {
	jail := string(ev.Jail)
	o := c.Observed[jail]
	if o == nil {
		o = &observed{Banned: map[ident.ID]struct{}{}}
		c.Observed[jail] = o
	}
	switch ev.Action {
	case f2blog.ActBan:
		o.Bans++
		o.Banned[ev.ID] = struct{}{}
	case f2blog.ActRestoreBan:
		o.Restores++
		o.Banned[ev.ID] = struct{}{}
	case f2blog.ActUnban, f2blog.ActRepealBan:
		o.Unbans++
		delete(o.Banned, ev.ID)
	}
}

// points writes every measurement for this interval.
func (s *sidecar) points(enc *lineprotocol.Encoder, now time.Time) {
	host := s.cfg.Host
	b := &s.base
	elapsed := now.Sub(b.at).Seconds()
	if b.at.IsZero() || elapsed <= 0 {
		elapsed = s.cfg.Interval.Seconds()
	}
	iv := func(m map[string]int64, k string, v int64) int64 {
		d := v - m[k]
		m[k] = v
		if d < 0 {
			d = v
		}
		return d
	}
	for _, r := range s.eng.Jails() {
		j := r.Sim
		name := j.Settings().Name
		st := j.Status()
		enc.StartLine(mFail2ban)
		enc.AddTag("host", host)
		enc.AddTag("jail", name)
		enc.AddField("banned", lineprotocol.IntValue(int64(st.CurrentlyBanned)))
		enc.AddField("failed", lineprotocol.IntValue(int64(st.CurrentlyFailed)))
		enc.EndLine(now)

		enc.StartLine(mJail)
		enc.AddTag("host", host)
		enc.AddTag("jail", name)
		enc.AddField("bans", lineprotocol.IntValue(iv(b.bans, name, st.TotalBanned)))
		enc.AddField("banned_total", lineprotocol.IntValue(st.TotalBanned))
		enc.AddField("failed_total", lineprotocol.IntValue(st.TotalFailed))
		enc.AddField("failures", lineprotocol.IntValue(iv(b.failed, name, st.TotalFailed)))
		enc.AddField("ignored_total", lineprotocol.IntValue(st.Ignored))
		enc.AddField("peak_banned", lineprotocol.IntValue(int64(st.PeakBanned)))
		enc.AddField("unbans", lineprotocol.IntValue(iv(b.unbans, name, s.c.Unbans[name])))
		enc.EndLine(now)

		if r.Filter.Input() == filter.InputLog {
			for _, k := range r.Filter.Kinds()[1:] {
				n := s.c.ByKind[name][k]
				if n == 0 {
					continue
				}
				enc.StartLine(mKind)
				enc.AddTag("host", host)
				enc.AddTag("jail", name)
				enc.AddTag("kind", k)
				enc.AddField("failures_total", lineprotocol.IntValue(n))
				enc.EndLine(now)
			}
		}
		if o := s.c.Observed[name]; o != nil {
			diff := int64(len(o.Banned)) - int64(st.CurrentlyBanned)
			enc.StartLine(mF2bLog)
			enc.AddTag("host", host)
			enc.AddTag("jail", name)
			enc.AddField("banned", lineprotocol.IntValue(int64(len(o.Banned))))
			enc.AddField("bans_total", lineprotocol.IntValue(o.Bans))
			enc.AddField("difference", lineprotocol.IntValue(diff))
			enc.AddField("restores_total", lineprotocol.IntValue(o.Restores))
			enc.AddField("simulated_banned", lineprotocol.IntValue(int64(st.CurrentlyBanned)))
			enc.AddField("unbans_total", lineprotocol.IntValue(o.Unbans))
			enc.EndLine(now)
			s.warnDifference(name, len(o.Banned), st.CurrentlyBanned, now)
		}
	}
	s.countryPoints(enc, now)
	// fail2ban.log jails banscope does not simulate
	for name, o := range s.c.Observed {
		if s.simulated(name) {
			continue
		}
		enc.StartLine(mF2bLog)
		enc.AddTag("host", host)
		enc.AddTag("jail", name)
		enc.AddField("banned", lineprotocol.IntValue(int64(len(o.Banned))))
		enc.AddField("bans_total", lineprotocol.IntValue(o.Bans))
		enc.AddField("restores_total", lineprotocol.IntValue(o.Restores))
		enc.AddField("unbans_total", lineprotocol.IntValue(o.Unbans))
		enc.EndLine(now)
	}
	file := s.fileTag()
	db, dl := s.c.BytesRead-b.bytes, s.c.LinesRead-b.lines
	b.bytes, b.lines = s.c.BytesRead, s.c.LinesRead
	enc.StartLine(mLog)
	enc.AddTag("file", file)
	enc.AddTag("host", host)
	enc.AddField("bytes", lineprotocol.IntValue(db))
	enc.AddField("bytes_per_second", lineprotocol.MustNewValue(round3(float64(db)/elapsed)))
	enc.AddField("bytes_total", lineprotocol.IntValue(s.c.BytesRead))
	enc.AddField("lines", lineprotocol.IntValue(dl))
	enc.AddField("lines_per_second", lineprotocol.MustNewValue(round3(float64(dl)/elapsed)))
	enc.AddField("lines_total", lineprotocol.IntValue(s.c.LinesRead))
	enc.AddField("rotations_total", lineprotocol.IntValue(s.c.Rotations))
	enc.EndLine(now)

	enc.StartLine(mParse)
	enc.AddTag("host", host)
	enc.AddField("malformed_total", lineprotocol.IntValue(s.c.Malformed))
	enc.AddField("matched_total", lineprotocol.IntValue(s.c.Matched))
	enc.AddField("read_total", lineprotocol.IntValue(s.c.LinesRead))
	enc.AddField("too_long_total", lineprotocol.IntValue(s.c.TooLong))
	enc.EndLine(now)
	b.at = now
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func (s *sidecar) simulated(name string) bool {
	for _, r := range s.eng.Jails() {
		if r.Jail.Name() == name {
			return true
		}
	}
	return false
}

// warnDifference says, at most once an hour per jail, when fail2ban.log
// and the simulation disagree a lot: the simulation's settings probably
// differ from the real jail's.
func (s *sidecar) warnDifference(jail string, observed, simulated int, now time.Time) {
	d := observed - simulated
	if d < 0 {
		d = -d
	}
	big := observed
	if simulated > big {
		big = simulated
	}
	if d <= 3 || float64(d) <= 0.2*float64(big) {
		return
	}
	if t, ok := s.base.warnedAt[jail]; ok && now.Sub(t) < time.Hour {
		return
	}
	s.base.warnedAt[jail] = now
	s.cfg.Notice(fmt.Sprintf("WARNING: jail %s: fail2ban.log shows %d banned, the simulation %d: the simulation's settings probably differ from the real jail's (see --config and the jail flags)", jail, observed, simulated))
}

// geoEvent counts a failure or a ban by country.
func (s *sidecar) geoEvent(jail string, id ident.ID, ban bool) {
	if s.cfg.Geo == nil {
		return
	}
	c := s.cfg.Geo.Lookup(id).Country
	tot := s.c.Countries[jail]
	if tot == nil {
		tot = map[string]*countryTotals{}
		s.c.Countries[jail] = tot
	}
	t := tot[c]
	if t == nil {
		t = &countryTotals{}
		tot[c] = t
	}
	iv := s.ivCountry[jail]
	if iv == nil {
		iv = map[string]*countryInterval{}
		s.ivCountry[jail] = iv
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

// bannedByCountry counts a jail's current bans by country.
func (s *sidecar) bannedByCountry(st jailsimStatus) map[string]int64 {
	out := map[string]int64{}
	for _, id := range st.Banned {
		out[s.cfg.Geo.Lookup(id).Country]++
	}
	return out
}

// countryPoints writes banscope_country for every jail and country seen,
// then starts a new interval.
func (s *sidecar) countryPoints(enc *lineprotocol.Encoder, now time.Time) {
	if s.cfg.Geo == nil {
		return
	}
	for _, r := range s.eng.Jails() {
		name := r.Jail.Name()
		banned := s.bannedByCountry(r.Sim.Status())
		tot := s.c.Countries[name]
		codes := map[string]bool{}
		for c := range tot {
			codes[c] = true
		}
		for c := range banned {
			codes[c] = true
		}
		for _, c := range sortedKeys(codes) {
			var t countryTotals
			if x := tot[c]; x != nil {
				t = *x
			}
			var iv countryInterval
			if x := s.ivCountry[name][c]; x != nil {
				iv = *x
			}
			enc.StartLine(mCountry)
			enc.AddTag("country", c)
			enc.AddTag("host", s.cfg.Host)
			enc.AddTag("jail", name)
			enc.AddField("banned", lineprotocol.IntValue(banned[c]))
			enc.AddField("bans", lineprotocol.IntValue(iv.bans))
			enc.AddField("bans_total", lineprotocol.IntValue(t.Bans))
			enc.AddField("failures", lineprotocol.IntValue(iv.failures))
			enc.AddField("failures_total", lineprotocol.IntValue(t.Failures))
			enc.AddField("ips", lineprotocol.IntValue(int64(len(iv.ips))))
			enc.EndLine(now)
		}
	}
	s.ivCountry = map[string]map[string]*countryInterval{}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type jailsimStatus = jailsim.Status
