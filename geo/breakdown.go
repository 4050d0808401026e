package geo

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"math/bits"
	"sort"

	"github.com/banscope/banscope/parser"
)

// Breakdown counts failures, distinct addresses and bans per country (and
// per autonomous system, when an ASN database is open). Its memory is
// bounded: distinct addresses are counted exactly up to exactLimit per
// country, then estimated with a HyperLogLog (about 1.6 % error).
type Breakdown struct {
	r         *Resolver
	countries map[string]*CountryStats
}

// CountryStats are one country's numbers.
type CountryStats struct {
	Failures int64
	Bans     int64
	ips      distinct
	asns     map[uint32]*ASNStats
}

// ASNStats are one autonomous system's numbers within a country.
type ASNStats struct {
	ASN      uint32 `json:"asn"`
	Org      string `json:"org"`
	Failures int64  `json:"failures"`
	ips      distinct
	IPs      int64 `json:"ips"`
}

// NewBreakdown returns an empty breakdown using r.
func NewBreakdown(r *Resolver) *Breakdown {
	return &Breakdown{r: r, countries: map[string]*CountryStats{}}
}

func (b *Breakdown) stats(c string) *CountryStats {
	s := b.countries[c]
	if s == nil {
		s = &CountryStats{asns: map[uint32]*ASNStats{}}
		b.countries[c] = s
	}
	return s
}

// Failure counts one failure of id.
func (b *Breakdown) Failure(id parser.ID) {
	in := b.r.Lookup(id)
	s := b.stats(in.Country)
	s.Failures++
	s.ips.add(id)
	if in.ASN != 0 {
		a := s.asns[in.ASN]
		if a == nil {
			a = &ASNStats{ASN: in.ASN, Org: in.ASOrg}
			s.asns[in.ASN] = a
		}
		a.Failures++
		a.ips.add(id)
	}
}

// Ban counts one ban of id.
func (b *Breakdown) Ban(id parser.ID) { b.stats(b.r.Lookup(id).Country).Bans++ }

// Row is one country of a report.
type Row struct {
	Country  string     `json:"-"`
	Failures int64      `json:"failures"`
	IPs      int64      `json:"ips"`
	Bans     int64      `json:"bans"`
	TopASNs  []ASNStats `json:"top_asns,omitempty"`
}

// Rows returns the countries, most failures first, each with its top ASNs.
func (b *Breakdown) Rows(topASNs int) []Row {
	var rows []Row
	for c, s := range b.countries {
		row := Row{Country: c, Failures: s.Failures, IPs: s.ips.count(), Bans: s.Bans}
		for _, a := range s.asns {
			x := *a
			x.IPs = a.ips.count()
			row.TopASNs = append(row.TopASNs, x)
		}
		sort.Slice(row.TopASNs, func(i, j int) bool {
			if row.TopASNs[i].Failures != row.TopASNs[j].Failures {
				return row.TopASNs[i].Failures > row.TopASNs[j].Failures
			}
			return row.TopASNs[i].ASN < row.TopASNs[j].ASN
		})
		if len(row.TopASNs) > topASNs {
			row.TopASNs = row.TopASNs[:topASNs]
		}
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Failures != rows[j].Failures {
			return rows[i].Failures > rows[j].Failures
		}
		return rows[i].Country < rows[j].Country
	})
	return rows
}

// distinct counts distinct IDs: exactly up to exactLimit, then with a
// HyperLogLog of 2^hllP registers.
type distinct struct {
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

func (d *distinct) add(id parser.ID) {
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

func (d *distinct) hllAdd(h uint64) {
	i := h >> (64 - hllP)
	w := h<<hllP | 1<<(hllP-1)
	r := uint8(bits.LeadingZeros64(w)) + 1
	if r > d.hll[i] {
		d.hll[i] = r
	}
}

func (d *distinct) count() int64 {
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
