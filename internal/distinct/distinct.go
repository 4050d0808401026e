// Package distinct counts distinct failure IDs in bounded memory.
package distinct

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"math/bits"

	"github.com/banscope/banscope/parser"
)

// Set counts distinct IDs: exactly up to exactLimit, then with a
// HyperLogLog of 2^hllP registers (about 1.6 % error). Its zero value is
// empty and ready.
type Set struct {
	set map[parser.ID]struct{}
	hll []uint8
}

const (
	exactLimit = 4096
	hllP       = 12
)

var hllSeed = maphash.MakeSeed()

func idHash(id parser.ID) uint64 {
	var b [17]byte
	if a, ok := id.Addr(); ok {
		x := a.As16()
		copy(b[:16], x[:])
		b[16] = 1
	} else {
		i, _ := id.RawIndex()
		binary.LittleEndian.PutUint32(b[:4], i)
	}
	return maphash.Bytes(hllSeed, b[:])
}

// Add counts id.
func (d *Set) Add(id parser.ID) {
	if d.hll == nil {
		if d.set == nil {
			d.set = map[parser.ID]struct{}{}
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
