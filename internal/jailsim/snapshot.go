package jailsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/banscope/banscope/internal/ident"
)

// Snapshot is a jail's complete state, for saving with the log position so
// that a restart continues exactly where the previous process stopped.
type Snapshot struct {
	Tickets     []TicketState `json:"tickets"`
	Bans        []BanState    `json:"bans"`
	TotalFailed int64         `json:"total_failed"`
	TotalBanned int64         `json:"total_banned"`
	Ignored     int64         `json:"ignored"`
	Peak        int           `json:"peak"`
	PeakAt      float64       `json:"peak_at"`
	NextSvc     float64       `json:"next_svc"`
	Lines       int64         `json:"lines"`
	BanSeq      uint64        `json:"ban_seq"`
}

// TicketState is one open failure ticket.
type TicketState struct {
	ID       ident.ID  `json:"id"`
	First    float64   `json:"first"`
	Last     float64   `json:"last"`
	Retry    int32     `json:"retry"`
	BanCount int32     `json:"ban_count,omitempty"`
	Window   []float64 `json:"window,omitempty"` // sliding counting
}

// BanState is one current ban.
type BanState struct {
	ID      ident.ID `json:"id"`
	Start   float64  `json:"start"`
	BanTime float64  `json:"bantime"`
	Seq     uint64   `json:"seq"`
}

// Snapshot returns the jail's state. Call it between lines (the ban queue
// is empty then).
func (j *Jail) Snapshot() Snapshot {
	s := Snapshot{TotalFailed: j.totalFailed, TotalBanned: j.totalBanned, Ignored: j.ignored,
		Peak: j.peak, PeakAt: j.peakAt, NextSvc: j.nextSvc, Lines: j.lines, BanSeq: j.bseq}
	// tickets in heap order is as good as any; keep it deterministic
	for _, i := range j.theap.items {
		t := j.tk[i]
		ts := TicketState{ID: t.k.id(), First: t.first, Last: t.last, Retry: t.retry, BanCount: t.banCount}
		if j.s.Counting == CountSliding && int(i) < len(j.rings) {
			ts.Window = append([]float64(nil), j.rings[i]...)
		}
		s.Tickets = append(s.Tickets, ts)
	}
	for _, bi := range j.bheap.items {
		b := j.bans[bi]
		s.Bans = append(s.Bans, BanState{ID: b.k.id(), Start: b.start, BanTime: b.bantime, Seq: b.seq})
	}
	return s
}

// Restore replaces the jail's state with s.
func (j *Jail) Restore(s Snapshot) error {
	fresh := New(j.s)
	fresh.OnEvent = j.OnEvent
	*j = *fresh
	j.initHeaps() // the heaps must see this jail, not the copy's source
	j.totalFailed, j.totalBanned, j.ignored = s.TotalFailed, s.TotalBanned, s.Ignored
	j.peak, j.peakAt, j.nextSvc, j.lines, j.bseq = s.Peak, s.PeakAt, s.NextSvc, s.Lines, s.BanSeq
	for _, t := range s.Tickets {
		k := keyOf(t.ID)
		if _, dup := j.idx[k]; dup {
			return fmt.Errorf("jail %s: ticket %s twice in the saved state", j.s.Name, t.ID)
		}
		i := j.newTicket(k, t.First)
		tk := &j.tk[i]
		tk.last, tk.retry, tk.banCount = t.Last, t.Retry, t.BanCount
		if j.s.Counting == CountSliding {
			j.rings[i] = append(j.rings[i][:0], t.Window...)
		}
		j.theap.fix(i)
	}
	for _, b := range s.Bans {
		k := keyOf(b.ID)
		if _, dup := j.bidx[k]; dup {
			return fmt.Errorf("jail %s: ban %s twice in the saved state", j.s.Name, b.ID)
		}
		j.putBan(ban{k: k, start: b.Start, bantime: b.BanTime, seq: b.Seq})
	}
	return nil
}

// DBSnapshot is the ban database's state.
type DBSnapshot struct {
	Records   []DBRecord `json:"records"`
	NextPurge float64    `json:"next_purge"`
}

// DBRecord is one remembered ban.
type DBRecord struct {
	ID        ident.ID `json:"id"`
	Jail      string   `json:"jail"`
	TimeOfBan int64    `json:"time_of_ban"`
	BanTime   float64  `json:"bantime"`
	BanCount  int      `json:"ban_count"`
}

// Snapshot returns the database's state.
func (db *BanDB) Snapshot() DBSnapshot {
	s := DBSnapshot{NextPurge: db.nextPurge}
	for k, jails := range db.ips {
		for name, r := range jails {
			s.Records = append(s.Records, DBRecord{ID: k.id(), Jail: name, TimeOfBan: r.timeOfBan, BanTime: r.banTime, BanCount: r.banCount})
		}
	}
	return s
}

// Restore replaces the database's state with s.
func (db *BanDB) Restore(s DBSnapshot) {
	db.ips = map[key]map[string]dbRec{}
	db.nextPurge = s.NextPurge
	for _, r := range s.Records {
		db.put(keyOf(r.ID), r.Jail, dbRec{timeOfBan: r.TimeOfBan, banTime: r.BanTime, banCount: r.BanCount})
	}
}

// SetSettings changes a jail's settings in place, as fail2ban's reload
// does: tickets, bans and counters stay; new failures and bans follow the
// new settings.
func (j *Jail) SetSettings(s Settings) {
	if s.MaxRetry <= 0 {
		s.MaxRetry = 1
	}
	j.s = s
}

// RestoreBan adds a ban read from fail2ban's database at start-up
// (fail2ban's "Restore Ban"): it counts in Total banned, ignore lists apply,
// and it is not a new ban for recidive.
func (j *Jail) RestoreBan(id ident.ID, start, bantime, now float64) bool {
	if _, ok := j.s.Ignore.Match(id); ok {
		return false
	}
	k := keyOf(id)
	if _, ok := j.bidx[k]; ok {
		return false
	}
	if bantime != -1 && start+bantime < now {
		return false
	}
	j.bseq++
	j.putBan(ban{k: k, start: start, bantime: bantime, seq: j.bseq})
	j.totalBanned++
	if n := len(j.bidx); n > j.peak {
		j.peak, j.peakAt = n, now
	}
	j.emit(Event{Kind: EvRestore, ID: id, Time: start, End: j.endOf(start, bantime)})
	return true
}

// WriteJSON writes s as json.Marshal would (empty lists as []), one ticket
// and ban at a time: the state of a million tracked addresses is never
// whole in memory as text.
func (s *Snapshot) WriteJSON(w io.Writer) error {
	if _, err := io.WriteString(w, `{"tickets":[`); err != nil {
		return err
	}
	for i := range s.Tickets {
		if err := writeElem(w, i, &s.Tickets[i]); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, `],"bans":[`); err != nil {
		return err
	}
	for i := range s.Bans {
		if err := writeElem(w, i, &s.Bans[i]); err != nil {
			return err
		}
	}
	rest := *s
	rest.Tickets, rest.Bans = nil, nil
	b, err := json.Marshal(rest)
	if err != nil {
		return err
	}
	// the other fields as json.Marshal writes them, after the two lists
	const lists = `{"tickets":null,"bans":null,`
	if !bytes.HasPrefix(b, []byte(lists)) {
		return fmt.Errorf("snapshot: unexpected encoding %.40q", b)
	}
	if _, err := io.WriteString(w, "],"); err != nil {
		return err
	}
	_, err = w.Write(b[len(lists):])
	return err
}

func writeElem(w io.Writer, i int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if i > 0 {
		if _, err := io.WriteString(w, ","); err != nil {
			return err
		}
	}
	_, err = w.Write(b)
	return err
}
