package replay

import (
	"math"
	"sort"

	"github.com/banscope/banscope/internal/ident"
)

// The ban history: every ban of the configured jails with its start, its
// end, how often fail2ban prolonged it (a banned address failing again
// until maxretry: server/actions.py's "already banned", which moves the
// end of the ban to that failure's time plus bantime), whether
// bantime.increment lengthened it (server/observer.py), and the failures
// made while it was in force. It is folded by the collector, off the
// replay's critical path, and bounded: bans in force are the jails' own
// (they hold them anyway); ended bans are kept for at most
// maxBanRecords, later ones only counted in the durations.

const (
	maxBanRecords = 1 << 18 // ended bans kept for the histories (≈ 14 MiB)
	maxHistoryRow = 50      // bans shown per address
)

// permanentEnd is where a permanent ban's end lies (jailsim's maxTime).
const permanentEnd = float64(0x7FFFFFFFFFFF)

type banKey struct {
	jail int
	id   ident.ID
}

type banRec struct {
	id       ident.ID
	jail     int
	start    float64
	end      float64 // the ban's end as it stands (prolongations move it)
	initial  float64 // the end it was given at the ban
	prolongs int
	before   int64 // failures of its address since its previous ban ended (-1: not known)
	during   int64 // failures of the primary jail's filter while it was in force
	still    bool  // in copies (recent): in force at the end
}

func (b *banRec) permanent() bool { return b.end >= permanentEnd }

// durationEdges are the histogram's upper bounds, in seconds.
var durationEdges = [...]float64{600, 3600, 6 * 3600, 86400, 7 * 86400}

type banHistory struct {
	bantime []float64 // per jail: the configured bantime
	names   []string  // per jail
	primary int       // the jail whose failures the report counts
	active  map[banKey]*banRec
	closed  []banRec
	// since counts each address's failures since its last ban ended, for
	// at most maxSince addresses (later ones: not known)
	since   map[ident.ID]int64
	dropped int64                         // ended bans not kept
	hist    [len(durationEdges) + 2]int64 // the edges, longer, permanent
}

func newBanHistory(names []string, bantime []float64, primary int) *banHistory {
	return &banHistory{names: names, bantime: bantime, primary: primary, active: map[banKey]*banRec{}, since: map[ident.ID]int64{}}
}

// maxSince bounds the addresses whose failures before a ban are counted.
const maxSince = 1 << 18

// failure counts a failure of the primary jail's made while its address
// was not banned there.
func (h *banHistory) failure(id ident.ID) {
	if n, ok := h.since[id]; ok {
		h.since[id] = n + 1
	} else if len(h.since) < maxSince {
		h.since[id] = 1
	}
}

func (h *banHistory) ban(jail int, id ident.ID, t, end float64) {
	b := &banRec{id: id, jail: jail, start: t, end: end, initial: end, before: -1}
	if n, ok := h.since[id]; ok {
		b.before = n
	} else if len(h.since) < maxSince {
		b.before = 0
	}
	if jail == h.primary {
		delete(h.since, id) // counting starts again after this ban
	}
	h.active[banKey{jail, id}] = b
}

func (h *banHistory) prolong(jail int, id ident.ID, end float64) {
	if b := h.active[banKey{jail, id}]; b != nil && end > b.end {
		b.end = end
		b.prolongs++
	}
}

func (h *banHistory) unban(jail int, id ident.ID) {
	k := banKey{jail, id}
	b := h.active[k]
	if b == nil {
		return
	}
	delete(h.active, k)
	h.count(b)
	if len(h.closed) < maxBanRecords {
		h.closed = append(h.closed, *b)
	} else {
		h.dropped++
	}
}

// blocked counts a failure made while its address was banned.
func (h *banHistory) blocked(id ident.ID) {
	if b := h.active[banKey{h.primary, id}]; b != nil {
		b.during++
	}
}

func (h *banHistory) count(b *banRec) {
	if b.permanent() {
		h.hist[len(h.hist)-1]++
		return
	}
	d := b.end - b.start
	i := sort.SearchFloat64s(durationEdges[:], d) // the first edge >= d
	h.hist[i]++
}

// maxPageBans bounds the bans the HTML page carries for its script.
const maxPageBans = 5000

// recent returns the bans in force and the latest ended ones, at most n,
// by start, and how many were left out.
func (h *banHistory) recent(n int) ([]banRec, int) {
	out := make([]banRec, 0, min(n, len(h.active)+len(h.closed)))
	for _, b := range h.active {
		c := *b
		c.still = true
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start > out[j].start })
	if len(out) > n {
		out = out[:n]
	}
	k := len(h.closed)
	for k > 0 && len(out) < n {
		k--
		out = append(out, h.closed[k])
	}
	omitted := int(h.dropped) + k + max(0, len(h.active)-n)
	sort.SliceStable(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out, omitted
}

// BanReport is the report's view of the bans: how long they lasted and
// which are still in force at the end.
type BanReport struct {
	Durations []DurationRow `json:"durations"`
	// StillBanned are the bans in force at the end, oldest first.
	StillBanned []BanRow `json:"still_banned"`
	// HistoriesDropped counts ended bans beyond the bound of the
	// histories: they are in Durations, not in the addresses' histories.
	HistoriesDropped int64 `json:"histories_dropped,omitempty"`
}

// DurationRow is one bar of the durations' histogram: bans that lasted at
// most UpTo (the last finite bar: longer; then permanent ones).
type DurationRow struct {
	UpTo    string  `json:"up_to"`
	Seconds float64 `json:"up_to_seconds,omitempty"`
	Bans    int64   `json:"bans"`
}

// BanRow is one ban. Seconds is its length as it stands (-1: permanent);
// Increment is how many times the configured bantime bantime.increment
// gave it (omitted when it gave none).
type BanRow struct {
	IP             string   `json:"ip"`
	Jail           string   `json:"jail"`
	Start          string   `json:"start"`
	End            *string  `json:"end"`
	Seconds        float64  `json:"duration_seconds"`
	Prolongations  int      `json:"prolongations"`
	Increment      float64  `json:"increment,omitempty"`
	FailuresBefore *int64   `json:"failures_before,omitempty"` // since the address's previous ban ended (omitted: not known)
	FailuresDuring int64    `json:"failures_while_banned"`
	StillBanned    bool     `json:"still_banned"`
	Left           *float64 `json:"left_seconds,omitempty"` // still banned: until the end (none when permanent)
}

func (h *banHistory) row(b *banRec, now float64, still bool) BanRow {
	r := BanRow{IP: b.id.String(), Jail: h.names[b.jail], Start: rfc3339(b.start), Seconds: -1, Prolongations: b.prolongs,
		FailuresDuring: b.during, StillBanned: still}
	if b.before >= 0 {
		n := b.before
		r.FailuresBefore = &n
	}
	if !b.permanent() {
		e := rfc3339(b.end)
		r.End, r.Seconds = &e, b.end-b.start
		if still {
			left := math.Max(0, b.end-now)
			r.Left = &left
		}
	}
	if bt := h.bantime[b.jail]; bt > 0 && b.initial < permanentEnd {
		if f := (b.initial - b.start) / bt; f > 1.0001 {
			r.Increment = math.Round(f*100) / 100
		}
	}
	return r
}

// report gives the durations, the bans in force at now and, for each of
// the addresses asked for, its bans in order with the time it spent
// banned (the union of its bans, up to now).
func (h *banHistory) report(now float64, addrs map[ident.ID][]*IPRow) *BanReport {
	out := &BanReport{HistoriesDropped: h.dropped, StillBanned: []BanRow{}}
	hist := h.hist
	active := make([]*banRec, 0, len(h.active))
	for _, b := range h.active {
		active = append(active, b)
		if b.permanent() {
			hist[len(hist)-1]++
		} else {
			hist[sort.SearchFloat64s(durationEdges[:], b.end-b.start)]++
		}
	}
	sort.Slice(active, func(i, j int) bool {
		a, b := active[i], active[j]
		if a.start != b.start {
			return a.start < b.start
		}
		if a.jail != b.jail {
			return a.jail < b.jail
		}
		return a.id.String() < b.id.String()
	})
	for i, e := range durationEdges {
		out.Durations = append(out.Durations, DurationRow{UpTo: duration(e), Seconds: e, Bans: hist[i]})
	}
	out.Durations = append(out.Durations, DurationRow{UpTo: "longer", Bans: hist[len(durationEdges)]},
		DurationRow{UpTo: "permanent", Bans: hist[len(durationEdges)+1]})
	for _, b := range active {
		out.StillBanned = append(out.StillBanned, h.row(b, now, true))
	}
	if len(addrs) == 0 {
		return out
	}
	per := map[ident.ID][]*banRec{}
	for i := range h.closed {
		if b := &h.closed[i]; addrs[b.id] != nil {
			per[b.id] = append(per[b.id], b)
		}
	}
	for _, b := range active {
		if addrs[b.id] != nil {
			per[b.id] = append(per[b.id], b)
		}
	}
	for id, bans := range per {
		sort.SliceStable(bans, func(i, j int) bool { return bans[i].start < bans[j].start })
		var hist []BanRow
		var banned, upTo float64 // the union of the bans' intervals, up to now
		still := false
		for i, b := range bans {
			in := h.active[banKey{b.jail, b.id}] == b
			if i < maxHistoryRow {
				hist = append(hist, h.row(b, now, in))
			}
			still = still || in
			s, e := math.Max(b.start, upTo), math.Min(b.end, now)
			if e > s {
				banned += e - s
				upTo = e
			}
		}
		for _, row := range addrs[id] {
			row.History, row.StillBanned, row.TimeBanned = hist, still, math.Round(banned)
			row.HistoryMore = max(0, len(bans)-maxHistoryRow)
		}
	}
	return out
}
