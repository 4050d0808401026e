package replay

import (
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/ident"
)

// The report's statistics are gathered off the critical path: the replay
// loop appends records to a batch, and a collector goroutine folds full
// batches into bounded aggregates.

type recKind uint8

const (
	recFailure recKind = iota // a failure counted by the primary jail
	recBan                    // a ban by any jail
	recProlong                // a banned address's ban moved on
	recUnban                  // a ban ended
)

type record struct {
	kind       recKind
	blocked    bool // a failure made while its address was banned
	jail       int32
	id         ident.ID
	t          float64
	end        float64 // bans: their end
	uoff, ulen int32   // the user name in batch.users; ulen < 0 for none
}

type batch struct {
	recs  []record
	users []byte
}

const batchSize = 4096

// Sizes of the bounded aggregates.
const (
	topIPCounters   = 4096
	topUserCounters = 4096
	insideCounters  = 1024
	maxUserLen      = 128 // longer user names are cut (with their length shown)
)

// bucket is one minute of the timeline.
type bucket struct {
	failures, bans       int64
	maxBanned, endBanned int // bans in force: the most in the minute, and at its end
}

type collector struct {
	loc     *time.Location
	geo     *geo.Breakdown
	ips     *topK[ident.ID]
	inside  *topK[ident.ID] // attackers from private, shared, loopback and link-local addresses
	users   *topK[string]
	minutes map[int64]*bucket
	hours   map[int64]int64 // local hour start (Unix s) -> failures
	heat    [7][24]int64    // weekday (Monday first) x local hour -> failures
	banned  int             // bans in force, all jails
	// the minute whose local hour is cached
	cacheMin int64
	cacheWD  int
	cacheHr  int
	cacheKey int64
	// the last minute's bucket
	lastMin    int64
	lastBucket *bucket

	hist *banHistory
	// countryHours are each country's failures by the hour (for the
	// page's selection); lastCountry the last one ticked
	countryHours map[string]*topItem[string]
	lastCountry  *topItem[string]
	// obs is fail2ban.log's bans (nil without --fail2ban-log): failures
	// of addresses it had banned are counted, and the top ones kept
	obs        *Fail2banLog
	obsBlocked int64
	obsTop     *topK[ident.ID]

	cur  *batch
	in   chan *batch
	free chan *batch
	done chan struct{}
}

func newCollector(loc *time.Location, g *geo.Resolver, hist *banHistory) *collector {
	c := &collector{loc: loc, hist: hist, countryHours: map[string]*topItem[string]{}, ips: newTopK[ident.ID](topIPCounters), inside: newTopK[ident.ID](insideCounters), users: newTopK[string](topUserCounters),
		minutes: map[int64]*bucket{}, hours: map[int64]int64{}, cacheMin: -1 << 62,
		in: make(chan *batch, 4), free: make(chan *batch, 6), done: make(chan struct{})}
	if g != nil {
		c.geo = geo.NewBreakdown(g)
	}
	for i := 0; i < 6; i++ {
		c.free <- &batch{recs: make([]record, 0, batchSize)}
	}
	c.cur = <-c.free
	go c.run()
	return c
}

// failure queues a failure of the primary jail (producer side).
func (c *collector) failure(id ident.ID, t float64, user []byte, blocked bool) {
	c.add(record{kind: recFailure, id: id, t: t, blocked: blocked, ulen: -1}, user)
}

// banEvent queues a ban, a prolongation or an unban of jail's.
func (c *collector) banEvent(k recKind, jail int, id ident.ID, t, end float64) {
	c.add(record{kind: k, jail: int32(jail), id: id, t: t, end: end, ulen: -1}, nil)
}

func (c *collector) add(r record, user []byte) {
	b := c.cur
	if user != nil {
		r.uoff, r.ulen = int32(len(b.users)), int32(len(user))
		if len(user) > maxUserLen {
			user = user[:maxUserLen]
		}
		b.users = append(b.users, user...)
	}
	b.recs = append(b.recs, r)
	if len(b.recs) == batchSize {
		c.in <- b
		c.cur = <-c.free
	}
}

// finish folds what is queued and stops the collector.
func (c *collector) finish() {
	if len(c.cur.recs) > 0 {
		c.in <- c.cur
	}
	close(c.in)
	<-c.done
}

func (c *collector) run() {
	defer close(c.done)
	for b := range c.in {
		for i := range b.recs {
			c.fold(b, &b.recs[i])
		}
		b.recs, b.users = b.recs[:0], b.users[:0]
		c.free <- b
	}
}

func (c *collector) minute(t float64) *bucket {
	m := int64(t) / 60
	if t < 0 {
		m = (int64(t) - 59) / 60
	}
	if c.lastBucket != nil && m == c.lastMin {
		return c.lastBucket
	}
	bk := c.minutes[m]
	if bk == nil {
		bk = &bucket{}
		c.minutes[m] = bk
	}
	c.lastMin, c.lastBucket = m, bk
	return bk
}

// tickCountry counts a failure of country in the current hour.
func (c *collector) tickCountry(country string) {
	it := c.lastCountry
	if it == nil || it.key != country {
		if it = c.countryHours[country]; it == nil {
			it = &topItem[string]{key: country}
			c.countryHours[country] = it
		}
		c.lastCountry = it
	}
	it.count++
	it.tick(c.cacheKey)
}

func (c *collector) fold(b *batch, r *record) {
	bk := c.minute(r.t)
	pre := c.banned
	switch r.kind {
	case recFailure:
		bk.failures++
		m := int64(r.t) / 60
		if m != c.cacheMin {
			lt := time.Unix(m*60, 0).In(c.loc)
			c.cacheMin, c.cacheWD, c.cacheHr = m, (int(lt.Weekday())+6)%7, lt.Hour()
			c.cacheKey = time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), 0, 0, 0, c.loc).Unix()
		}
		c.ips.add(r.id).tick(c.cacheKey)
		if c.geo != nil {
			country, _ := c.geo.Failure(r.id)
			c.tickCountry(country)
		}
		if geo.IsInternal(r.id) {
			c.inside.add(r.id)
		}
		// fail2ban logs a ban when it acts, up to seconds after the line
		// that triggered it: a failure the simulation has banned counts
		// as made while fail2ban's ban was in force when that ban is
		// logged within the match window after it
		if c.obs != nil && (c.obs.bannedAt(r.id, r.t) || (r.blocked && c.obs.banStartsWithin(r.id, r.t, matchWindow))) {
			c.obsBlocked++
			c.obsTop.add(r.id)
		}
		if r.ulen >= 0 {
			n := r.ulen
			if n > maxUserLen {
				n = maxUserLen
			}
			u := b.users[r.uoff : r.uoff+n]
			if n == r.ulen {
				addBytes(c.users, u).tick(c.cacheKey)
			} else {
				c.users.add(userKey(u, int(r.ulen))).tick(c.cacheKey)
			}
		}
		c.heat[c.cacheWD][c.cacheHr]++
		c.hours[c.cacheKey]++
		if r.blocked {
			c.hist.blocked(r.id)
		} else {
			c.hist.failure(r.id)
		}
	case recBan:
		bk.bans++
		c.banned++
		c.ips.addExtra(r.id)
		if c.geo != nil {
			c.geo.Ban(r.id)
		}
		if geo.IsInternal(r.id) {
			c.inside.addExtra(r.id)
		}
		c.hist.ban(int(r.jail), r.id, r.t, r.end)
	case recProlong:
		c.hist.prolong(int(r.jail), r.id, r.end)
		return // no change of the bans in force
	case recUnban:
		c.banned--
		c.hist.unban(int(r.jail), r.id)
	}
	bk.maxBanned = max(bk.maxBanned, pre, c.banned)
	bk.endBanned = c.banned
}

// userKey is the user name as reported: cut names keep their length.
func userKey(u []byte, full int) string {
	if full > len(u) {
		return string(u) + "…(" + strconv.Itoa(full) + " bytes)"
	}
	return string(u)
}

// Report is what the replay's report shows beyond the jails' numbers.
type Report struct {
	// Step is the timeline's bucket width in seconds.
	Step     int64           `json:"step_seconds"`
	Timeline []TimelinePoint `json:"timeline"`
	TopIPs   []IPRow         `json:"top_ips"`
	// Inside are the top attackers from inside a network: private,
	// shared (carrier-grade NAT), loopback and link-local addresses.
	Inside   []IPRow   `json:"inside_attackers"`
	TopUsers []UserRow `json:"top_users"`
	// Heat counts failures by weekday (Monday first) and hour of the day,
	// in the report's time zone.
	Heat         [7][24]int64 `json:"heat_map"`
	BusiestHours []HourRow    `json:"busiest_hours"`
	PeakBanned   int          `json:"peak_banned"` // all jails together (firewall rules)
	PeakAt       *string      `json:"peak_banned_at"`
	Bans         *BanReport   `json:"bans"`
	// DayHeat is failures by calendar day and hour (report's zone), for
	// periods of at most 14 days: a weekday × hour map of a shorter log
	// would fill a few rows.
	DayHeat []DayHeat `json:"heat_map_days,omitempty"`

	// for the HTML page: the timeline by minute (periods up to 3 days,
	// else the steps above) and the bans (at most maxPageBans)
	fine        []TimelinePoint
	fineStep    int64
	pageBans    []banRec
	pageOmitted int
	// pageHours gives each hour's top addresses and user names, their
	// addresses' countries, and whether the log has more hours than the
	// counters keep
	pageHours func() ([]hourRow, map[string]string, bool)
}

// hourRow is one hour's top attackers and user names, for the page.
type hourRow struct {
	t         int64
	ips       []topItem[ident.ID]
	users     []topItem[string]
	countries []topItem[string] // every country with failures in the hour
}

// DayHeat is one calendar day's failures by hour.
type DayHeat struct {
	Day   string    `json:"day"`
	Hours [24]int64 `json:"hours"`
}

// TimelinePoint is one step of the timeline: failures and bans in the
// step, and the most bans in force at once during it (all jails).
type TimelinePoint struct {
	T        int64 `json:"t"` // Unix seconds, start of the step
	Failures int64 `json:"failures"`
	Bans     int64 `json:"bans"`
	Banned   int   `json:"banned"`
}

// IPRow is an attacking address. Failures may be overcounted by Error
// when more addresses than the counters were seen (Space-Saving).
// TimeBanned is how long it was banned in all (overlapping bans once, up
// to the end), History its bans in order (at most 50; HistoryMore says how
// many more).
type IPRow struct {
	IP          string   `json:"ip"`
	Country     string   `json:"country,omitempty"`
	Kind        string   `json:"kind,omitempty"` // why it has no country (private, reserved, …)
	Failures    int64    `json:"failures"`
	Error       int64    `json:"error,omitempty"`
	Bans        int64    `json:"bans"`
	TimeBanned  float64  `json:"time_banned_seconds"`
	StillBanned bool     `json:"still_banned"`
	History     []BanRow `json:"ban_history"`
	HistoryMore int      `json:"ban_history_more,omitempty"`
}

// UserRow is a user name tried.
type UserRow struct {
	User     string `json:"user"`
	Failures int64  `json:"failures"`
	Error    int64  `json:"error,omitempty"`
}

// HourRow is one clock hour of the log.
type HourRow struct {
	Start    string `json:"start"`
	Failures int64  `json:"failures"`
}

// report builds the report with n rows per list and about maxPoints
// timeline points.
func (c *collector) report(n, maxPoints int, g *geo.Resolver, now float64) *Report {
	r := &Report{Heat: c.heat}
	byAddr := func(a, b ident.ID) bool { return a.String() < b.String() }
	rows := map[ident.ID][]*IPRow{}
	fill := func(top []topItem[ident.ID]) []IPRow {
		out := make([]IPRow, len(top))
		for i, it := range top {
			row := &out[i]
			*row = IPRow{IP: it.key.String(), Failures: it.count, Error: it.err, Bans: it.extra, History: []BanRow{}}
			if g != nil {
				row.Country = g.Lookup(it.key).Country
			}
			if row.Country == geo.Unknown || g == nil {
				if k := geo.KindOf(it.key); k != geo.KindUnknown || g != nil {
					row.Kind = k
				}
			}
			rows[it.key] = append(rows[it.key], row)
		}
		return out
	}
	r.TopIPs = fill(c.ips.top(n, byAddr))
	r.Inside = fill(c.inside.top(n, byAddr))
	r.Bans = c.hist.report(now, rows)
	for _, it := range c.users.top(n, func(a, b string) bool { return a < b }) {
		r.TopUsers = append(r.TopUsers, UserRow{User: it.key, Failures: it.count, Error: it.err})
	}
	type hr struct {
		t int64
		n int64
	}
	var hours []hr
	for t, k := range c.hours {
		hours = append(hours, hr{t, k})
	}
	sort.Slice(hours, func(i, j int) bool {
		if hours[i].n != hours[j].n {
			return hours[i].n > hours[j].n
		}
		return hours[i].t < hours[j].t
	})
	for i, h := range hours {
		if i == n {
			break
		}
		r.BusiestHours = append(r.BusiestHours, HourRow{Start: time.Unix(h.t, 0).In(c.loc).Format(time.RFC3339), Failures: h.n})
	}
	r.Step, r.Timeline = c.timeline(maxPoints)
	r.fineStep, r.fine = r.Step, r.Timeline
	if st, pts := c.timeline(3 * 1440); st == 60 {
		r.fineStep, r.fine = st, pts
	}
	r.DayHeat = c.dayHeat(14)
	r.pageBans, r.pageOmitted = c.hist.recent(maxPageBans)
	// the page's hourly lists are made only when a page is written
	ips, users, nhours := c.ips, c.users, len(c.hours)
	var countries []*topItem[string]
	for _, it := range c.countryHours {
		countries = append(countries, it)
	}
	r.pageHours = func() ([]hourRow, map[string]string, bool) {
		countryHours := hourLists(countries, len(countries), func(a, b string) bool { return a < b })
		ipHours := ips.byHour(20, func(a, b ident.ID) bool { return a.Compare(b) < 0 })
		userHours := users.byHour(10, func(a, b string) bool { return a < b })
		var rows []hourRow
		seen := map[int64]bool{}
		for _, hs := range []map[int64][]topItem[string]{userHours, countryHours} {
			for t := range hs {
				seen[t] = true
			}
		}
		for t := range ipHours {
			seen[t] = true
		}
		for t := range seen {
			rows = append(rows, hourRow{t: t, ips: ipHours[t], users: userHours[t], countries: countryHours[t]})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].t < rows[j].t })
		country := map[string]string{}
		if g != nil {
			for _, h := range rows {
				for _, it := range h.ips {
					country[it.key.String()] = g.Lookup(it.key).Country
				}
			}
		}
		return rows, country, nhours > maxHours
	}
	for _, p := range r.Timeline {
		if p.Banned > r.PeakBanned {
			r.PeakBanned = p.Banned
		}
	}
	if r.PeakBanned > 0 {
		// the first minute reaching the peak
		var mins []int64
		for m, b := range c.minutes {
			if b.maxBanned == r.PeakBanned {
				mins = append(mins, m)
			}
		}
		sort.Slice(mins, func(i, j int) bool { return mins[i] < mins[j] })
		s := time.Unix(mins[0]*60, 0).UTC().Format(time.RFC3339)
		r.PeakAt = &s
	}
	return r
}

// dayHeat is the failures by local calendar day and hour, when the log
// spans at most maxDays days (nil otherwise).
func (c *collector) dayHeat(maxDays int) []DayHeat {
	if len(c.hours) == 0 {
		return nil
	}
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	for h := range c.hours {
		first, last = min(first, h), max(last, h)
	}
	d0 := time.Unix(first, 0).In(c.loc)
	d0 = time.Date(d0.Year(), d0.Month(), d0.Day(), 0, 0, 0, 0, c.loc)
	var out []DayHeat
	for d := d0; d.Unix() <= last; d = d.AddDate(0, 0, 1) {
		if len(out) == maxDays {
			return nil
		}
		row := DayHeat{Day: d.Format("2006-01-02")}
		for hr := 0; hr < 24; hr++ {
			row.Hours[hr] = c.hours[time.Date(d.Year(), d.Month(), d.Day(), hr, 0, 0, 0, c.loc).Unix()]
		}
		out = append(out, row)
	}
	return out
}

// steps are the timeline widths tried, smallest first.
var steps = []int64{60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 7 * 86400}

// timeline folds the minutes into at most maxPoints steps, every step of
// the period present (quiet ones too); bans in force carry over quiet steps.
func (c *collector) timeline(maxPoints int) (int64, []TimelinePoint) {
	if len(c.minutes) == 0 {
		return 60, nil
	}
	var mins []int64
	for m := range c.minutes {
		mins = append(mins, m)
	}
	sort.Slice(mins, func(i, j int) bool { return mins[i] < mins[j] })
	first, last := mins[0]*60, mins[len(mins)-1]*60
	step := steps[len(steps)-1]
	for _, s := range steps {
		if (last-first)/s+1 <= int64(maxPoints) {
			step = s
			break
		}
	}
	start := floorDiv(first, step) * step
	n := (last-start)/step + 1
	pts := make([]TimelinePoint, n)
	for i := range pts {
		pts[i].T = start + int64(i)*step
	}
	// Each step starts with the bans in force at the end of the last
	// minute before it; quiet steps keep that level.
	level, k := 0, 0
	for i := range pts {
		p := &pts[i]
		p.Banned = level
		end := p.T + step
		for ; k < len(mins) && mins[k]*60 < end; k++ {
			b := c.minutes[mins[k]]
			p.Failures += b.failures
			p.Bans += b.bans
			p.Banned = max(p.Banned, b.maxBanned)
			level = b.endBanned
		}
	}
	return step, pts
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
