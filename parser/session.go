package parser

import (
	"bytes"
	"hash/maphash"
)

// The session cache is fail2ban's Filter.mlfidCache, a Utils.Cache with
// maxCount 100 and maxTime 300 s: entries keyed by the line prefix
// (host + daemon[pid]), expiring 300 s after creation, evicted FIFO.
const (
	sessionCap = 100
	sessionTTL = 300e9
)

// session is the merged failure data of one connection.
type session struct {
	used    bool
	seq     uint64
	hash    uint64
	expires int64
	key     []byte

	user    []byte // first non-empty user name
	hasUser bool
	multi   bool // two or more distinct user names seen

	addr    [3][]byte // ip4, ip6, dns: the last value of each seen
	hasAddr [3]bool
	pending bool
}

func (s *session) addUser(u []byte) {
	if len(u) == 0 {
		return
	}
	if !s.hasUser {
		s.user = append(s.user[:0], u...)
		s.hasUser = true
		return
	}
	if !bytes.Equal(s.user, u) {
		s.multi = true
	}
}

// merge overlays the line's captured address on the session's.
func (s *session) merge(line []byte, m *match) {
	if m.h.kind == hostNone {
		return
	}
	i := m.h.kind - 1
	s.addr[i] = append(s.addr[i][:0], line[m.h.vs:m.h.ve]...)
	s.hasAddr[i] = true
}

func (s *session) address() (hostKind, []byte) {
	for i := range s.addr {
		if s.hasAddr[i] {
			return hostKind(i + 1), s.addr[i]
		}
	}
	return hostNone, nil
}

type sessionCache struct {
	entries []session
	n       int
	seq     uint64
	ttl     int64
	seed    maphash.Seed
}

func (c *sessionCache) init(capacity int, ttl int64) {
	c.entries = make([]session, capacity)
	c.ttl = ttl
	c.seed = maphash.MakeSeed()
}

func (c *sessionCache) find(key []byte, h uint64) *session {
	for i := range c.entries {
		e := &c.entries[i]
		if e.used && e.hash == h && bytes.Equal(e.key, key) {
			return e
		}
	}
	return nil
}

// get returns the live session for key, dropping it if it has expired.
func (c *sessionCache) get(key []byte, now int64) *session {
	e := c.find(key, maphash.Bytes(c.seed, key))
	if e == nil {
		return nil
	}
	if e.expires > now {
		return e
	}
	c.unset(e)
	return nil
}

func (c *sessionCache) unset(e *session) {
	if e.used {
		e.used = false
		c.n--
	}
}

func (c *sessionCache) oldest() *session {
	var o *session
	for i := range c.entries {
		e := &c.entries[i]
		if e.used && (o == nil || e.seq < o.seq) {
			o = e
		}
	}
	return o
}

// set starts a new session for key (which has none).
func (c *sessionCache) set(key []byte, now int64) *session {
	if c.n >= len(c.entries) {
		// Utils.Cache.set: pop from the front until a live entry has been
		// popped (expired ones in front of it go too).
		for c.n > 0 {
			o := c.oldest()
			c.unset(o)
			if o.expires > now && c.n < len(c.entries) {
				break
			}
		}
	}
	var e *session
	for i := range c.entries {
		if !c.entries[i].used {
			e = &c.entries[i]
			break
		}
	}
	c.seq++
	e.used, e.seq, e.hash, e.expires = true, c.seq, maphash.Bytes(c.seed, key), now+c.ttl
	e.key = append(e.key[:0], key...)
	e.user, e.hasUser, e.multi, e.pending = e.user[:0], false, false, false
	for i := range e.addr {
		e.addr[i], e.hasAddr[i] = e.addr[i][:0], false
	}
	c.n++
	return e
}
