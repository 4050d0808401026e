// Package distinct counts distinct failure IDs in bounded memory.
package distinct

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/banscope/banscope/internal/ident"
)

// Set counts distinct IDs: exactly up to exactLimit, then with a
// HyperLogLog of 2^hllP registers (about 1.6 % error). Its zero value is
// empty and ready.
type Set struct {
	set map[ident.ID]struct{}
	hll []uint8
}

// ExactLimit is how many distinct IDs a Set counts exactly.
const ExactLimit = exactLimit

const (
	exactLimit = 4096
	hllP       = 12
)

// Hash is a fixed hash of an ID (see idHash), for callers' own tables.
func Hash(id ident.ID) uint64 { return idHash(id) }

// idHash is a fixed hash of an ID (the same in every run, so that an
// estimate is reproducible): the 16 bytes of the address, or the index
// of a raw ID, through a 64-bit finaliser.
func idHash(id ident.ID) uint64 {
	var hi, lo uint64
	if a, ok := id.Addr(); ok {
		x := a.As16()
		hi, lo = binary.BigEndian.Uint64(x[:8]), binary.BigEndian.Uint64(x[8:])
	} else {
		i, _ := id.RawIndex()
		hi, lo = 1<<63, uint64(i)
	}
	return mix64(hi ^ mix64(lo+0x9e3779b97f4a7c15))
}

// mix64 is SplitMix64's finaliser.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Add counts id.
func (d *Set) Add(id ident.ID) {
	if d.hll == nil {
		if d.set == nil {
			d.set = map[ident.ID]struct{}{}
		}
		d.set[id] = struct{}{}
		if len(d.set) <= exactLimit {
			return
		}
		d.hll = make([]uint8, 1<<hllP)
		for x := range d.set {
			d.hllAdd(idHash(x))
		}
		d.set = nil
		return
	}
	d.hllAdd(idHash(id))
}

func (d *Set) hllAdd(h uint64) {
	i := h >> (64 - hllP)
	w := h<<hllP | 1<<(hllP-1)
	r := uint8(bits.LeadingZeros64(w)) + 1
	if r > d.hll[i] {
		d.hll[i] = r
	}
}

// Count returns the number of distinct IDs added.
func (d *Set) Count() int64 {
	if d.hll == nil {
		return int64(len(d.set))
	}
	m := float64(len(d.hll))
	sum, zeros := 0.0, 0
	for _, r := range d.hll {
		sum += math.Pow(2, -float64(r))
		if r == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int64(math.Round(e))
}

// Exact reports whether Count is exact (at most exactLimit IDs).
func (d *Set) Exact() bool { return d.hll == nil }
