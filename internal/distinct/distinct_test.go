package distinct

import (
	"net/netip"
	"testing"

	"github.com/banscope/banscope/internal/ident"
)

func TestCount(t *testing.T) {
	var d Set
	add := func(from, to int) {
		for i := from; i < to; i++ {
			d.Add(ident.AddrID(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})))
		}
	}
	add(0, 1000)
	add(0, 1000) // repeats are not counted
	if n := d.Count(); n != 1000 || !d.Exact() {
		t.Fatalf("count %d (exact %v), want exactly 1000", n, d.Exact())
	}
	// beyond the exact limit the estimate stays close
	add(0, 200000)
	if n := d.Count(); n < 190000 || n > 210000 || d.Exact() {
		t.Errorf("estimate %d (exact %v) for 200000", n, d.Exact())
	}
}
