// Package jailsim is fail2ban's jail arithmetic in event time: failure
// tickets with fail2ban's rate estimate, bans, unbans, ignore lists, and the
// status numbers of `fail2ban-client status`; and fail2ban's jail
// configuration (conf.go: jail.conf and its includes; options.go: every
// jail setting as fail2ban reads it). It never reads the clock: the caller
// passes "now" with every call.
package jailsim

import (
	"fmt"
	"math"
	"sort"

	"github.com/banscope/banscope/internal/ident"
)

// Counting selects how failures are counted towards maxretry.
type Counting uint8

const (
	// CountFail2ban is fail2ban >= 0.10.6: a rate estimate that rescales
	// the retry count when the known interval exceeds findtime.
	CountFail2ban Counting = iota
	// CountReset is fail2ban < 0.10.6: the count restarts when the window
	// that began at the last reset is older than findtime.
	CountReset
	// CountSliding is the textbook rule: maxretry failures within any
	// findtime window.
	CountSliding
)

var countingNames = [...]string{"fail2ban", "reset", "sliding"}

func (c Counting) String() string { return countingNames[c] }

// ParseCounting parses a counting name.
func ParseCounting(s string) (Counting, error) {
	for i, n := range countingNames {
		if n == s {
			return Counting(i), nil
		}
	}
	return 0, fmt.Errorf("unknown counting %q (want fail2ban, reset or sliding)", s)
}

// Settings are one jail's options.
type Settings struct {
	Name     string
	MaxRetry int
	FindTime float64 // seconds
	BanTime  float64 // seconds; -1 bans forever
	Counting Counting
	Ignore   *Ignore
	// Increment is bantime.increment; it needs DB.
	Increment Increment
	DB        *BanDB
}

// EventKind says what a jail did.
type EventKind uint8

const (
	EvFound         EventKind = iota // a failure was counted
	EvIgnored                        // a failure of an ignored ID
	EvBan                            // a new ban
	EvAlreadyBanned                  // a ban of a banned ID (possibly prolonged)
	EvIgnoreExpired                  // a ban whose end had already passed
	EvUnban                          // a ban ended
	EvRestore                        // a ban restored from fail2ban\'s database at start-up
)

// Event is one thing a jail did. Time is the failure time for Found,
// Ignored and bans (the time of the line that triggered them), and the
// first whole second after the end of the ban for Unban.
type Event struct {
	Kind   EventKind
	Jail   string
	ID     ident.ID
	Time   float64
	End    float64 // end of ban (bans); math.Inf(1) when permanent
	Source string  // for EvIgnored: the rule
}

// maxTime is fail2ban's end of a permanent ban (Ticket.MAX_TIME).
const maxTime = float64(0x7FFFFFFFFFFF)

type ticket struct {
	k        key
	first    float64 // start of the known interval (lastReset in reset mode)
	last     float64
	retry    int32
	hpos     int32 // position in the cleanup heap
	banCount int32 // earlier bans known when the ticket was made (bantime.increment)
}

type ban struct {
	k       key
	start   float64
	bantime float64
	seq     uint64 // insertion order (fail2ban's ban-list order)
	hpos    int32
}

// Jail is one simulated fail2ban jail.
type Jail struct {
	s Settings

	idx   map[key]int32 // ticket slot by ID
	tk    []ticket
	free  []int32
	theap indexedHeap // ticket slots by last failure

	bidx  map[key]int32
	bans  []ban
	bfree []int32
	bheap indexedHeap // ban slots by end of ban
	bseq  uint64

	queue []int32     // tickets that reached maxretry, waiting for the ban manager
	rings [][]float64 // per ticket slot, sliding counting only: failure times in the window

	totalFailed, totalBanned, ignored int64
	peak                              int
	peakAt                            float64
	nextSvc                           float64
	lines                             int64

	// OnEvent, when set, receives every event in order.
	OnEvent func(Event)
}

// New returns an empty jail.
func New(s Settings) *Jail {
	if s.MaxRetry <= 0 {
		s.MaxRetry = 1
	}
	j := &Jail{s: s, idx: map[key]int32{}, bidx: map[key]int32{}}
	j.initHeaps()
	return j
}

// initHeaps points the heaps at this jail's tickets and bans.
func (j *Jail) initHeaps() {
	j.theap.less = func(a, b int32) bool { return j.tk[a].last < j.tk[b].last }
	j.theap.pos = func(i int32) *int32 { return &j.tk[i].hpos }
	j.bheap.less = func(a, b int32) bool {
		x, y := j.bans[a], j.bans[b]
		ex, ey := j.endOf(x.start, x.bantime), j.endOf(y.start, y.bantime)
		if ex != ey {
			return ex < ey
		}
		return x.seq < y.seq
	}
	j.bheap.pos = func(i int32) *int32 { return &j.bans[i].hpos }
}

// Settings returns the jail's settings.
func (j *Jail) Settings() Settings { return j.s }

func (j *Jail) emit(e Event) {
	if j.OnEvent != nil {
		e.Jail = j.s.Name
		j.OnEvent(e)
	}
}

// Status is what `fail2ban-client status <jail>` shows, plus the peak.
type Status struct {
	CurrentlyFailed int
	TotalFailed     int64
	CurrentlyBanned int
	TotalBanned     int64
	Banned          []ident.ID // in ban order, as fail2ban lists them
	Ignored         int64
	PeakBanned      int
	PeakAt          float64
}

// Status returns the jail's numbers.
func (j *Jail) Status() Status {
	st := Status{
		CurrentlyFailed: len(j.idx), TotalFailed: j.totalFailed,
		CurrentlyBanned: len(j.bidx), TotalBanned: j.totalBanned,
		Ignored: j.ignored, PeakBanned: j.peak, PeakAt: j.peakAt,
	}
	order := make([]int32, 0, len(j.bidx))
	for _, i := range j.bidx {
		order = append(order, i)
	}
	sort.Slice(order, func(a, b int) bool { return j.bans[order[a]].seq < j.bans[order[b]].seq })
	for _, i := range order {
		st.Banned = append(st.Banned, j.bans[i].k.id())
	}
	return st
}

// BeforeLine does what happens before each line in replay: bans whose end
// has passed are lifted, and the throttled ticket cleanup is attempted.
func (j *Jail) BeforeLine(now float64) {
	j.Unban(now)
	j.Service(now, false)
}

// AfterLine counts a processed line (the cleanup runs after every 100th)
// and hands queued tickets to the ban manager.
func (j *Jail) AfterLine(now float64) {
	j.lines++
	if j.lines%100 == 0 {
		j.Service(now, false)
	}
	j.checkBans(now)
}

// Service is fail2ban's Filter.performSvc: at most once per 5 s unless
// forced, drop tickets whose last failure is at or before now - findtime.
func (j *Jail) Service(now float64, force bool) {
	if !force && now < j.nextSvc {
		return
	}
	j.nextSvc = now + 5
	limit := now - j.s.FindTime
	for len(j.theap.items) > 0 {
		i := j.theap.items[0]
		t := &j.tk[i]
		if j.s.Counting == CountReset {
			if !(t.last < limit) {
				break
			}
		} else if !(t.last <= limit) {
			break
		}
		j.dropTicket(i)
	}
}

// Failure adds a failure of id at time t (already fail2ban's time for the
// line) with the clock at now.
func (j *Jail) Failure(id ident.ID, t, now float64) {
	if t > now {
		t = now
	}
	if src, ok := j.s.Ignore.Match(id); ok {
		j.ignored++
		j.emit(Event{Kind: EvIgnored, ID: id, Time: t, Source: src})
		return
	}
	k := keyOf(id)
	j.totalFailed++
	j.emit(Event{Kind: EvFound, ID: id, Time: t})
	i, ok := j.idx[k]
	if !ok {
		i = j.newTicket(k, t)
	} else {
		tk := &j.tk[i]
		switch j.s.Counting {
		case CountFail2ban:
			if t > tk.last {
				if tk.first < t-j.s.FindTime {
					tk.retry = int32(math.RoundToEven(float64(tk.retry) / (t - tk.first) * j.s.FindTime))
					tk.first = t - j.s.FindTime
				}
				tk.last = t
			}
			tk.retry++
		case CountReset:
			if tk.first < t-j.s.FindTime {
				tk.first = t
				tk.retry = 0
			}
			tk.retry++
			if t > tk.last {
				tk.last = t
			}
		case CountSliding:
			ring := append(j.rings[i], t)
			n := 0
			for _, x := range ring {
				if x > t-j.s.FindTime {
					ring[n] = x
					n++
				}
			}
			j.rings[i] = ring[:n]
			tk.retry = int32(n)
			if t > tk.last {
				tk.last = t
			}
		}
		j.theap.fix(i)
	}
	created := !ok
	j.maybeBan(k, i, now)
	if j.s.Increment.Enabled && j.s.DB != nil {
		j.failureFound(k, i, created, t, now)
	}
}

// maybeBan is Filter.performBan for ticket slot i: at maxretry the ticket
// leaves the fail manager for the ban queue, then the cleanup is attempted.
func (j *Jail) maybeBan(k key, i int32, now float64) {
	if int(j.tk[i].retry) >= j.s.MaxRetry {
		delete(j.idx, k)
		j.theap.remove(i)
		j.queue = append(j.queue, i)
		j.Service(now, false)
	}
}

// failureFound is the observer's extra weight for a known-bad address
// (ObserverThread.failureFound): a failure of an address banned n times
// before counts 2^(n-1)+1 times, at most maxretry.
func (j *Jail) failureFound(k key, tick int32, created bool, t, now float64) {
	rec, ok := j.s.DB.get(k, j.s.Name, false)
	if !ok {
		return
	}
	banCount := rec.banCount
	shift := banCount
	if shift > 20 {
		shift = 20
	}
	retry := (1<<shift)/2 + 1
	if retry > j.s.MaxRetry {
		retry = j.s.MaxRetry
	}
	if t <= float64(rec.timeOfBan) || retry <= 1 {
		return
	}
	if i, open := j.idx[k]; open {
		j.tk[i].retry += int32(retry - 1)
		j.totalFailed++
		if created && i == tick {
			j.tk[i].banCount = int32(banCount)
		}
		j.maybeBan(k, i, now)
		return
	}
	if created {
		// The failure's own ticket was banned already: the count still
		// reaches the queued ban ticket.
		j.tk[tick].banCount = int32(banCount)
	}
}

func (j *Jail) newTicket(k key, t float64) int32 {
	var i int32
	if n := len(j.free); n > 0 {
		i = j.free[n-1]
		j.free = j.free[:n-1]
	} else {
		j.tk = append(j.tk, ticket{})
		i = int32(len(j.tk) - 1)
	}
	j.tk[i] = ticket{k: k, first: t, last: t, retry: 1}
	if j.s.Counting == CountSliding {
		for len(j.rings) <= int(i) {
			j.rings = append(j.rings, nil)
		}
		j.rings[i] = append(j.rings[i][:0], t)
	}
	j.idx[k] = i
	j.theap.push(i)
	return i
}

func (j *Jail) dropTicket(i int32) {
	delete(j.idx, j.tk[i].k)
	j.theap.remove(i)
	j.free = append(j.free, i)
}

// checkBans is fail2ban's Actions.__checkBan: queued tickets become bans.
func (j *Jail) checkBans(now float64) {
	for _, i := range j.queue {
		t := j.tk[i]
		j.free = append(j.free, i)
		j.addBan(t.k, t.last, int(t.banCount), now)
	}
	j.queue = j.queue[:0]
}

func (j *Jail) endOf(start, bantime float64) float64 {
	if bantime == -1 {
		return maxTime
	}
	return start + bantime
}

// IsBanned reports whether id is banned now (as of the last line or tick).
func (j *Jail) IsBanned(id ident.ID) bool {
	_, ok := j.bidx[keyOf(id)]
	return ok
}

func (j *Jail) addBan(k key, start float64, banCount int, now float64) {
	id := k.id()
	eob := j.endOf(start, j.s.BanTime)
	if eob < now {
		j.emit(Event{Kind: EvIgnoreExpired, ID: id, Time: start, End: eob})
		return
	}
	if bi, ok := j.bidx[k]; ok {
		b := &j.bans[bi]
		if old := j.endOf(b.start, b.bantime); eob > old {
			btm := j.s.BanTime
			if btm != -1 {
				if d := start - b.start; d > 0 {
					btm += d
				}
			}
			b.bantime = btm
			j.bheap.fix(bi)
		}
		j.emit(Event{Kind: EvAlreadyBanned, ID: id, Time: start, End: j.endOf(b.start, b.bantime)})
		return
	}
	j.bseq++
	bi := j.putBan(ban{k: k, start: start, bantime: j.s.BanTime, seq: j.bseq})
	j.totalBanned++
	banCount++ // BanManager.addBanTicket: ticket.incrBanCount()
	if j.s.Increment.Enabled && j.s.DB != nil {
		j.banFound(bi, banCount, now)
	}
	if n := len(j.bidx); n > j.peak {
		j.peak, j.peakAt = n, start
	}
	b := j.bans[bi]
	j.emit(Event{Kind: EvBan, ID: id, Time: start, End: j.endOf(b.start, b.bantime)})
}

// banFound is the observer's ObserverThread.banFound/incrBanTime: the ban
// of an address banned before lasts longer, and the ban is recorded.
func (j *Jail) banFound(bi int32, banCount int, now float64) {
	b := &j.bans[bi]
	btime := j.s.BanTime
	if btime > 0 {
		if rec, ok := j.s.DB.get(b.k, j.s.Name, j.s.Increment.OverallJails); ok {
			if rec.banCount >= banCount {
				banCount = rec.banCount + 1
			}
			if rec.banCount > 0 {
				btime = j.s.Increment.banTime(btime, rec.banCount)
			}
			b.bantime = btime
			j.bheap.fix(bi)
		}
	}
	if btime != -1 && b.start+btime < now {
		return
	}
	j.s.DB.put(b.k, j.s.Name, dbRec{timeOfBan: int64(math.RoundToEven(b.start)), banTime: b.bantime, banCount: banCount})
}

// putBan stores a ban in a free slot, indexes it and queues its end.
func (j *Jail) putBan(b ban) int32 {
	var bi int32
	if n := len(j.bfree); n > 0 {
		bi = j.bfree[n-1]
		j.bfree = j.bfree[:n-1]
	} else {
		j.bans = append(j.bans, ban{})
		bi = int32(len(j.bans) - 1)
	}
	j.bans[bi] = b
	j.bidx[b.k] = bi
	j.bheap.push(bi)
	return bi
}

// Unban lifts every ban whose end has passed (now > end), in order of end.
func (j *Jail) Unban(now float64) {
	for len(j.bheap.items) > 0 {
		bi := j.bheap.items[0]
		b := j.bans[bi]
		end := j.endOf(b.start, b.bantime)
		if !(now > end) {
			return
		}
		j.bheap.remove(bi)
		delete(j.bidx, b.k)
		j.bfree = append(j.bfree, bi)
		j.emit(Event{Kind: EvUnban, ID: b.k.id(), Time: math.Floor(end) + 1, End: end})
	}
}
