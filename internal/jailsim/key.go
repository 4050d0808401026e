package jailsim

import (
	"net/netip"

	"github.com/banscope/banscope/internal/ident"
)

// key is a compact, comparable form of a ident.ID for the jail tables:
// the 16 bytes of the address (IPv4 as v4-mapped), and a kind byte that
// keeps IPv4, IPv6 and raw IDs apart. 17 bytes, no pointers.
type key struct {
	a    [16]byte
	kind uint8 // 4, 6, or 'r' for raw IDs (a holds the intern index)
}

func keyOf(id ident.ID) key {
	if a, ok := id.Addr(); ok {
		k := key{a: a.As16(), kind: 6}
		if a.Is4() {
			k.kind = 4
		}
		return k
	}
	i, _ := id.RawIndex()
	k := key{kind: 'r'}
	k.a[0], k.a[1], k.a[2], k.a[3] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	return k
}

func (k key) id() ident.ID {
	switch k.kind {
	case 4:
		return ident.AddrID(netip.AddrFrom16(k.a).Unmap())
	case 6:
		return ident.AddrID(netip.AddrFrom16(k.a))
	}
	return ident.RawIDFromIndex(uint32(k.a[0])<<24 | uint32(k.a[1])<<16 | uint32(k.a[2])<<8 | uint32(k.a[3]))
}
