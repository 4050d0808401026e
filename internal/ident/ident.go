// Package ident is who an attacker is, as fail2ban names it: an IP
// address, or the verbatim text fail2ban bans when it is no valid address,
// and the offline name resolution (numeric forms, /etc/hosts) that turns a
// host name into addresses. It knows no log format.
package ident

import (
	"net/netip"
	"strconv"
	"sync"
)

// ID identifies an attacker as fail2ban does: an IP address, or, for text
// fail2ban bans verbatim although it is no valid address (`192.030.0.6`,
// `999.1.2.3`), that text, interned. IDs are comparable and small.
type ID struct {
	addr netip.Addr
	raw  uint32 // index+1 into the intern table; 0 for addresses
}

// AddrID returns the ID of an address; IPv4-mapped IPv6 addresses are
// unmapped, as fail2ban does.
func AddrID(a netip.Addr) ID { return ID{addr: a.Unmap()} }

// Addr returns the ID's address; ok is false for raw IDs.
func (id ID) Addr() (netip.Addr, bool) { return id.addr, id.raw == 0 && id.addr.IsValid() }

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id.raw == 0 && !id.addr.IsValid() }

// Compare orders IDs without allocating: addresses (as netip orders
// them) before raw IDs (by their intern index, that is first seen first).
func (id ID) Compare(o ID) int {
	switch {
	case id.raw == 0 && o.raw == 0:
		return id.addr.Compare(o.addr)
	case id.raw == 0:
		return -1
	case o.raw == 0:
		return 1
	case id.raw < o.raw:
		return -1
	case id.raw > o.raw:
		return 1
	}
	return 0
}

// String returns the ID as fail2ban prints it (inet_ntop text for
// addresses, the verbatim text for raw IDs).
func (id ID) String() string {
	if id.raw != 0 {
		return interned.get(id.raw)
	}
	if !id.addr.IsValid() {
		return ""
	}
	return string(id.AppendText(nil))
}

// AppendText appends the ID's text to b.
func (id ID) AppendText(b []byte) []byte {
	if id.raw != 0 {
		return append(b, interned.get(id.raw)...)
	}
	a := id.addr
	if a.Is6() {
		// glibc's inet_ntop writes IPv4-compatible addresses (::/96 with a
		// zero run of exactly six words) with a dotted quad.
		s := a.As16()
		zero := true
		for _, x := range s[:12] {
			if x != 0 {
				zero = false
			}
		}
		if zero && (s[12] != 0 || s[13] != 0) {
			b = append(b, "::"...)
			for i := 12; i < 16; i++ {
				if i > 12 {
					b = append(b, '.')
				}
				b = strconv.AppendUint(b, uint64(s[i]), 10)
			}
			return b
		}
	}
	return a.AppendTo(b)
}

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) { return id.AppendText(nil), nil }

// RawID returns the ID of text that is not an address, interning it.
func RawID(text []byte) ID { return ID{raw: interned.intern(text)} }

// ParseID parses an ID as fail2ban would print it.
func ParseID(s string) ID {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return AddrID(a)
	}
	return RawID([]byte(s))
}

type internTable struct {
	mu        sync.RWMutex
	index     map[string]uint32
	texts     []string
	overflows int64
}

// RawOverflows counts the raw texts that found the table full.
func RawOverflows() int64 {
	interned.mu.RLock()
	defer interned.mu.RUnlock()
	return interned.overflows
}

var interned = internTable{index: map[string]uint32{}}

// MaxRawIDs bounds the raw texts kept (they come from attacker-controlled
// log text): beyond it, every new raw text is the one ID RawOverflow, so
// memory stays bounded (at most MaxRawIDs texts of a <HOST> capture's
// length). sshd logs numeric addresses, so raw IDs are injected text.
const MaxRawIDs = 1 << 16

// RawOverflow is the text of the ID that stands for every raw text beyond
// MaxRawIDs.
const RawOverflow = "(raw IDs beyond the bound)"

// intern returns the index of a raw text, adding it while the table has
// room.
func (t *internTable) intern(b []byte) uint32 {
	t.mu.RLock()
	v, ok := t.index[string(b)]
	t.mu.RUnlock()
	if ok {
		return v
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.index[string(b)]; ok {
		return v
	}
	if len(t.texts) >= MaxRawIDs {
		t.overflows++
		if v, ok := t.index[RawOverflow]; ok {
			return v
		}
		b = []byte(RawOverflow)
	}
	s := string(b)
	t.texts = append(t.texts, s)
	v = uint32(len(t.texts))
	t.index[s] = v
	return v
}

func (t *internTable) get(v uint32) string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.texts[v-1]
}

// RawIndex returns the intern index of a raw ID; ok is false for addresses.
func (id ID) RawIndex() (uint32, bool) { return id.raw, id.raw != 0 }

// RawIDFromIndex returns the raw ID with the given intern index.
func RawIDFromIndex(i uint32) ID { return ID{raw: i} }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	*id = ParseID(string(b))
	return nil
}
