package sshd

import (
	"bytes"
	"hash/maphash"

	"github.com/banscope/banscope/internal/logtime"
)

// The session cache is fail2ban's Filter.mlfidCache, a Utils.Cache with
// maxCount 100 and maxTime 300 s: entries keyed by the line prefix
// (host + daemon[pid]), expiring 300 s after creation, evicted FIFO.
const (
	sessionCap = 100
	sessionTTL = 300 * logtime.NanosPerSecond
)

// session is the merged failure data of one connection.
type session struct {
	used    bool
	idx     int32 // its place in the cache
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
	if m.Host.Kind == hostNone {
		return
	}
	i := m.Host.Kind - 1
	s.addr[i] = append(s.addr[i][:0], line[m.Host.Start:m.Host.End]...)
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

// keySeed hashes session keys: one seed for the process, so that a line
// prepared by one parser finds its session in another (replay's what-if
// engines, a parser restored from a snapshot).
var keySeed = maphash.MakeSeed()

type sessionCache struct {
	entries []session
	n       int
	seq     uint64
	ttl     int64
	// byHash indexes the live entries by key hash; when two live keys
	// ever share a hash, collided makes find scan instead.
	byHash   map[uint64]int32
	collided bool
	// order lists (entry, seq) in creation order from head; pairs whose
	// entry has gone or been reused are skipped when met.
	order []orderRef
	head  int
	free  []int32 // unused entries
}

type orderRef struct {
	i   int32
	seq uint64
}

func (c *sessionCache) init(capacity int, ttl int64) {
	c.entries = make([]session, capacity)
	c.ttl = ttl
	c.byHash = make(map[uint64]int32, capacity)
	c.order, c.head, c.n, c.collided = c.order[:0], 0, 0, false
	c.free = c.free[:0]
	for i := capacity - 1; i >= 0; i-- {
		c.entries[i].idx = int32(i)
		c.free = append(c.free, int32(i))
	}
}

func (c *sessionCache) find(key []byte, h uint64) *session {
	if !c.collided {
		i, ok := c.byHash[h]
		if !ok {
			return nil
		}
		if e := &c.entries[i]; bytes.Equal(e.key, key) {
			return e
		}
		return nil
	}
	for i := range c.entries {
		e := &c.entries[i]
		if e.used && e.hash == h && bytes.Equal(e.key, key) {
			return e
		}
	}
	return nil
}

// get returns the live session for key (whose hash is h), dropping it if
// it has expired, and the hash (for set).
func (c *sessionCache) get(key []byte, h uint64, now int64) (*session, uint64) {
	e := c.find(key, h)
	if e == nil {
		return nil, h
	}
	if e.expires > now {
		return e, h
	}
	c.unset(e)
	return nil, h
}

func (c *sessionCache) unset(e *session) {
	if e.used {
		e.used = false
		c.n--
		i := e.idx
		if j, ok := c.byHash[e.hash]; ok && j == i {
			delete(c.byHash, e.hash)
		}
		c.free = append(c.free, i)
	}
}

func (c *sessionCache) oldest() *session {
	for c.head < len(c.order) {
		r := c.order[c.head]
		if e := &c.entries[r.i]; e.used && e.seq == r.seq {
			return e
		}
		c.head++
	}
	return nil
}

// remember appends a new entry to the creation order, dropping the
// skipped pairs now and then.
func (c *sessionCache) remember(i int32, seq uint64) {
	if c.head > 4*len(c.entries) && c.head > len(c.order)/2 {
		n := copy(c.order, c.order[c.head:])
		c.order, c.head = c.order[:n], 0
	}
	c.order = append(c.order, orderRef{i, seq})
}

// set starts a new session for key (which has none); h is its hash.
func (c *sessionCache) set(key []byte, h uint64, now int64) *session {
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
	idx := c.free[len(c.free)-1]
	c.free = c.free[:len(c.free)-1]
	e := &c.entries[idx]
	c.seq++
	c.remember(idx, c.seq)
	e.used, e.seq, e.hash, e.expires = true, c.seq, h, now+c.ttl
	if _, taken := c.byHash[h]; taken {
		c.collided = true
	} else {
		c.byHash[h] = idx
	}
	e.key = append(e.key[:0], key...)
	e.user, e.hasUser, e.multi, e.pending = e.user[:0], false, false, false
	for i := range e.addr {
		e.addr[i], e.hasAddr[i] = e.addr[i][:0], false
	}
	c.n++
	return e
}
