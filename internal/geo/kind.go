package geo

import (
	"net/netip"

	"github.com/banscope/banscope/internal/ident"
)

// Why an address has no country (geo.Unknown, "ZZ"): the report splits
// ZZ into these, because an attack from a private range comes from inside
// the network.
const (
	KindPrivate   = "private"    // 10/8, 172.16/12, 192.168/16, fc00::/7 (RFC 1918, RFC 4193)
	KindShared    = "shared"     // 100.64/10: carrier-grade NAT (RFC 6598)
	KindLoopback  = "loopback"   // 127/8, ::1
	KindLinkLocal = "link-local" // 169.254/16, fe80::/10
	KindReserved  = "reserved"   // documentation, benchmarking, multicast, 0/8, 240/4 and the other special-purpose ranges
	KindUnknown   = "unknown"    // a public address the database has no country for
	KindNotAddr   = "not an address"
)

// Kinds are the kinds in the order reports show them.
var Kinds = []string{KindPrivate, KindShared, KindLoopback, KindLinkLocal, KindReserved, KindUnknown, KindNotAddr}

var (
	private = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fc00::/7")}
	shared = netip.MustParsePrefix("100.64.0.0/10")
)

// KindOf says why id, whose country is Unknown, has none.
func KindOf(id ident.ID) string {
	a, ok := id.Addr()
	if !ok {
		return KindNotAddr
	}
	for _, p := range private {
		if p.Contains(a) {
			return KindPrivate
		}
	}
	switch {
	case shared.Contains(a):
		return KindShared
	case a.IsLoopback():
		return KindLoopback
	case a.IsLinkLocalUnicast():
		return KindLinkLocal
	case Special(a):
		return KindReserved
	}
	return KindUnknown
}

// IsInternal reports whether id is an address inside a network
// (Internal(KindOf(id)), without the special-purpose ranges' walk: the
// report asks it of every failure).
func IsInternal(id ident.ID) bool {
	a, ok := id.Addr()
	if !ok {
		return false
	}
	if a.Is4() {
		b := a.As4()
		switch b[0] {
		case 10, 127:
			return true
		case 100:
			return b[1]&0xc0 == 64
		case 169:
			return b[1] == 254
		case 172:
			return b[1]&0xf0 == 16
		case 192:
			return b[1] == 168
		}
		return false
	}
	b := a.As16()
	return b[0]&0xfe == 0xfc || (b[0] == 0xfe && b[1]&0xc0 == 0x80) || a.IsLoopback()
}

// Internal reports whether a kind is an address inside a network
// (private, shared, loopback, link-local): an attacker there is a finding
// of its own.
func Internal(kind string) bool {
	return kind == KindPrivate || kind == KindShared || kind == KindLoopback || kind == KindLinkLocal
}
