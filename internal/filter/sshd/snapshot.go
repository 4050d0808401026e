package sshd

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"sort"
)

// Snapshot is a parser's state between lines: the open sshd sessions (in
// creation order) and the last stamp, so that a restarted process merges
// the next lines of a connection exactly as an uninterrupted one would.
type Snapshot struct {
	Sessions []SessionState `json:"sessions"`
	LastDate int64          `json:"last_date,omitempty"`
	HasLast  bool           `json:"has_last,omitempty"`
	Now      int64          `json:"now,omitempty"`
}

// SessionState is one cached session.
type SessionState struct {
	Key     string    `json:"key"`
	Expires int64     `json:"expires"`
	User    string    `json:"user,omitempty"`
	HasUser bool      `json:"has_user,omitempty"`
	Multi   bool      `json:"multi,omitempty"`
	Addr    [3]string `json:"addr"`
	HasAddr [3]bool   `json:"has_addr"`
	Pending bool      `json:"pending,omitempty"`
}

// State returns the parser's state.
func (p *Parser) State() Snapshot {
	s := Snapshot{LastDate: p.lastDate, HasLast: p.hasLast, Now: p.now}
	var live []*session
	for i := range p.sessions.entries {
		if e := &p.sessions.entries[i]; e.used {
			live = append(live, e)
		}
	}
	sort.Slice(live, func(a, b int) bool { return live[a].seq < live[b].seq })
	for _, e := range live {
		st := SessionState{Key: string(e.key), Expires: e.expires, User: string(e.user), HasUser: e.hasUser,
			Multi: e.multi, HasAddr: e.hasAddr, Pending: e.pending}
		for i := range e.addr {
			st.Addr[i] = string(e.addr[i])
		}
		s.Sessions = append(s.Sessions, st)
	}
	return s
}

// SetState replaces the parser's state with s.
func (p *Parser) SetState(s Snapshot) {
	p.lastDate, p.hasLast, p.now = s.LastDate, s.HasLast, s.Now
	p.sessions.init(sessionCap, sessionTTL)
	for _, st := range s.Sessions {
		if p.sessions.n >= len(p.sessions.entries) {
			break
		}
		e := p.sessions.set([]byte(st.Key), maphash.Bytes(keySeed, []byte(st.Key)), 0)
		e.expires = st.Expires
		e.user, e.hasUser, e.multi, e.pending = append(e.user[:0], st.User...), st.HasUser, st.Multi, st.Pending
		for i := range e.addr {
			e.addr[i], e.hasAddr[i] = append(e.addr[i][:0], st.Addr[i]...), st.HasAddr[i]
		}
	}
}

// Snapshot implements filter.Filter: the State as JSON.
func (p *Parser) Snapshot() (json.RawMessage, error) { return json.Marshal(p.State()) }

// Restore implements filter.Filter.
func (p *Parser) Restore(b json.RawMessage) error {
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("sshd filter state: %w", err)
	}
	p.SetState(s)
	return nil
}
