package geo

import (
	"sort"

	"github.com/banscope/banscope/internal/distinct"
	"github.com/banscope/banscope/internal/ident"
)

// Breakdown counts failures, distinct addresses and bans per country (and
// per autonomous system, when an ASN database is open). Its memory is
// bounded: distinct addresses are counted exactly up to exactLimit per
// country, then estimated with a HyperLogLog (about 1.6 % error).
type Breakdown struct {
	r         *Resolver
	countries map[string]*CountryStats
	kinds     map[string]*CountryStats // the Unknown country's addresses, by KindOf
	// recent addresses, direct-mapped by hash: a known address skips the
	// lookup and is already among the distinct (attackers come back)
	memo []memoEntry
}

type memoEntry struct {
	id      ident.ID
	s       *CountryStats
	a       *ASNStats
	k       *CountryStats // its kind's, for an unlocated address
	country string
	kind    string
	set     bool
}

const memoSize = 4096

// CountryStats are one country's numbers.
type CountryStats struct {
	Failures int64
	Bans     int64
	ips      distinct.Set
	asns     map[uint32]*ASNStats
}

// ASNStats are one autonomous system's numbers within a country.
type ASNStats struct {
	ASN      uint32 `json:"asn"`
	Org      string `json:"org"`
	Failures int64  `json:"failures"`
	ips      distinct.Set
	IPs      int64 `json:"ips"`
}

// NewBreakdown returns an empty breakdown using r.
func NewBreakdown(r *Resolver) *Breakdown {
	return &Breakdown{r: r, countries: map[string]*CountryStats{}, kinds: map[string]*CountryStats{}}
}

func (b *Breakdown) stats(c string) *CountryStats {
	s := b.countries[c]
	if s == nil {
		s = &CountryStats{asns: map[uint32]*ASNStats{}}
		b.countries[c] = s
	}
	return s
}

// Failure counts one failure of id and gives its country and, for an
// address with no country, why (KindOf; "" for a located one).
func (b *Breakdown) Failure(id ident.ID) (country, kind string) {
	if b.memo == nil {
		b.memo = make([]memoEntry, memoSize)
	}
	m := &b.memo[distinct.Hash(id)&(memoSize-1)]
	if m.set && m.id == id {
		m.s.Failures++
		if m.a != nil {
			m.a.Failures++
		}
		if m.k != nil {
			m.k.Failures++
		}
		return m.country, m.kind
	}
	in := b.r.Lookup(id)
	s := b.stats(in.Country)
	s.Failures++
	s.ips.Add(id)
	var k *CountryStats
	kind = ""
	if in.Country == Unknown {
		kind = in.Kind
		if k = b.kinds[kind]; k == nil {
			k = &CountryStats{}
			b.kinds[kind] = k
		}
		k.Failures++
		k.ips.Add(id)
	}
	var a *ASNStats
	if in.ASN != 0 {
		a = s.asns[in.ASN]
		if a == nil {
			a = &ASNStats{ASN: in.ASN, Org: in.ASOrg}
			s.asns[in.ASN] = a
		}
		a.Failures++
		a.ips.Add(id)
	}
	*m = memoEntry{id: id, s: s, a: a, k: k, country: in.Country, kind: kind, set: true}
	return in.Country, kind
}

// Ban counts one ban of id.
func (b *Breakdown) Ban(id ident.ID) {
	in := b.r.Lookup(id)
	c := in.Country
	b.stats(c).Bans++
	if c == Unknown {
		kind := in.Kind
		if b.kinds[kind] == nil {
			b.kinds[kind] = &CountryStats{}
		}
		b.kinds[kind].Bans++
	}
}

// TopASNs are the autonomous systems with the most failures, all
// countries together (an ASN database open; nil otherwise).
func (b *Breakdown) TopASNs(n int) []ASNStats {
	if !b.r.HasASN() {
		return nil
	}
	by := map[uint32]*ASNStats{}
	for _, s := range b.countries {
		for _, a := range s.asns {
			x := by[a.ASN]
			if x == nil {
				x = &ASNStats{ASN: a.ASN, Org: a.Org}
				by[a.ASN] = x
			}
			x.Failures += a.Failures
			x.IPs += a.ips.Count() // an address is in one country: the sum counts each once
		}
	}
	out := make([]ASNStats, 0, len(by))
	for _, a := range by {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Failures != out[j].Failures {
			return out[i].Failures > out[j].Failures
		}
		return out[i].ASN < out[j].ASN
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Row is one country of a report, with its English name; the Unknown
// country's row splits its addresses by why they have none (Kinds).
type Row struct {
	Country  string             `json:"-"`
	Name     string             `json:"name"`
	Failures int64              `json:"failures"`
	IPs      int64              `json:"ips"`
	Bans     int64              `json:"bans"`
	TopASNs  []ASNStats         `json:"top_asns,omitempty"`
	Kinds    map[string]KindRow `json:"kinds,omitempty"`
}

// KindRow is one kind of unlocated address.
type KindRow struct {
	Failures int64 `json:"failures"`
	IPs      int64 `json:"ips"`
	Bans     int64 `json:"bans"`
}

// Rows returns the countries, most failures first, each with its top ASNs.
func (b *Breakdown) Rows(topASNs int) []Row {
	var rows []Row
	for c, s := range b.countries {
		row := Row{Country: c, Name: Name(c), Failures: s.Failures, IPs: s.ips.Count(), Bans: s.Bans}
		if c == Unknown {
			row.Kinds = map[string]KindRow{}
			for kind, k := range b.kinds {
				row.Kinds[kind] = KindRow{Failures: k.Failures, IPs: k.ips.Count(), Bans: k.Bans}
			}
		}
		for _, a := range s.asns {
			x := *a
			x.IPs = a.ips.Count()
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
