// Package geo says where attackers are: a country for every address from
// embedded IP2Location LITE data (github.com/phuslu/iploc), or from a
// MaxMind/DB-IP .mmdb database, and an autonomous system from an ASN
// database, through a bounded LRU cache.
package geo

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"

	"github.com/banscope/banscope/internal/ident"
	"github.com/oschwald/geoip2-golang/v2"
	"github.com/phuslu/iploc"
)

// Unknown is the country of private, reserved and unknown addresses and
// of text that is no address.
const Unknown = "ZZ"

// Info is what is known of an address.
type Info struct {
	Country string // ISO 3166-1 alpha-2, or ZZ
	Kind    string // for ZZ: why (KindOf); "" for a located address
	ASN     uint32 // 0 when unknown or without an ASN database
	ASOrg   string
}

// Resolver looks addresses up. It is safe for concurrent use.
type Resolver struct {
	country *geoip2.Reader // nil: the embedded data
	asn     *geoip2.Reader
	mu      sync.Mutex
	cache   *lru
	Source  string // where countries come from, for reports
}

// DefaultCacheSize bounds the cache: enough for the active attackers of a
// busy host, small enough never to matter.
const DefaultCacheSize = 1 << 16

// Open returns a resolver. geoipDB is a Country or City database (""
// for the embedded data), asnDB an ASN database (""for none). A missing,
// unreadable, corrupt or unsuitable file is an error here, not later.
func Open(geoipDB, asnDB string, cacheSize int) (*Resolver, error) {
	if cacheSize <= 0 {
		cacheSize = DefaultCacheSize
	}
	r := &Resolver{cache: newLRU(cacheSize), Source: "IP2Location LITE (embedded)"}
	probe := netip.MustParseAddr("1.1.1.1")
	if geoipDB != "" {
		db, err := openDB(geoipDB)
		if err != nil {
			return nil, fmt.Errorf("--geoip-db: %w", err)
		}
		if _, err := db.Country(probe); isWrongKind(err) {
			db.Close()
			return nil, fmt.Errorf("--geoip-db %s: a %s database has no countries (want a Country or City database)", geoipDB, db.Metadata().DatabaseType)
		}
		r.country, r.Source = db, fmt.Sprintf("%s (%s)", db.Metadata().DatabaseType, geoipDB)
	}
	if asnDB != "" {
		db, err := openDB(asnDB)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("--asn-db: %w", err)
		}
		if _, err := db.ASN(probe); isWrongKind(err) {
			db.Close()
			r.Close()
			return nil, fmt.Errorf("--asn-db %s: a %s database has no autonomous systems (want an ASN database)", asnDB, db.Metadata().DatabaseType)
		}
		r.asn = db
	}
	return r, nil
}

func openDB(path string) (*geoip2.Reader, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := geoip2.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return db, nil
}

func isWrongKind(err error) bool {
	var e geoip2.InvalidMethodError
	return errors.As(err, &e)
}

// HasASN reports whether an ASN database is open.
func (r *Resolver) HasASN() bool { return r != nil && r.asn != nil }

// Close releases the databases.
func (r *Resolver) Close() {
	if r.country != nil {
		r.country.Close()
	}
	if r.asn != nil {
		r.asn.Close()
	}
}

// Lookup returns what is known of id. A repeated address costs a map
// lookup.
func (r *Resolver) Lookup(id ident.ID) Info {
	a, ok := id.Addr()
	if !ok {
		return Info{Country: Unknown, Kind: KindNotAddr}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if in, ok := r.cache.get(a); ok {
		return in
	}
	in := Info{Country: Unknown}
	if Special(a) {
		in.Kind = KindOf(id)
		r.cache.put(a, in)
		return in
	}
	if r.country != nil {
		if c, err := r.country.Country(a); err == nil {
			in.Country = normalize(c.Country.ISOCode)
			if in.Country == Unknown {
				in.Country = normalize(c.RegisteredCountry.ISOCode)
			}
		}
	} else {
		in.Country = normalize(iploc.IPCountry(a))
	}
	if in.Country == Unknown {
		in.Kind = KindUnknown // public: Special said so
	}
	if r.asn != nil {
		if as, err := r.asn.ASN(a); err == nil {
			in.ASN, in.ASOrg = uint32(as.AutonomousSystemNumber), as.AutonomousSystemOrganization
		}
	}
	r.cache.put(a, in)
	return in
}

// normalize keeps two-letter upper-case codes; anything else is ZZ.
func normalize(c string) string {
	if len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' {
		return c
	}
	return Unknown
}

// special lists the special-purpose ranges of RFC 6890 and successors:
// nowhere on the map.
var special = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
		"2002::/16", "3fff::/20", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// Special reports whether a is private, reserved or otherwise not on the
// map.
func Special(a netip.Addr) bool {
	for _, p := range special {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// lru is a fixed-size least-recently-used cache.
type lru struct {
	cap   int
	items map[netip.Addr]int32
	nodes []lruNode
	head  int32 // most recent
	tail  int32 // least recent
}

type lruNode struct {
	key        netip.Addr
	val        Info
	prev, next int32
}

func newLRU(n int) *lru {
	return &lru{cap: n, items: make(map[netip.Addr]int32, n), head: -1, tail: -1}
}

func (c *lru) unlink(i int32) {
	n := &c.nodes[i]
	if n.prev >= 0 {
		c.nodes[n.prev].next = n.next
	} else {
		c.head = n.next
	}
	if n.next >= 0 {
		c.nodes[n.next].prev = n.prev
	} else {
		c.tail = n.prev
	}
}

func (c *lru) pushFront(i int32) {
	n := &c.nodes[i]
	n.prev, n.next = -1, c.head
	if c.head >= 0 {
		c.nodes[c.head].prev = i
	}
	c.head = i
	if c.tail < 0 {
		c.tail = i
	}
}

func (c *lru) get(k netip.Addr) (Info, bool) {
	i, ok := c.items[k]
	if !ok {
		return Info{}, false
	}
	if c.head != i {
		c.unlink(i)
		c.pushFront(i)
	}
	return c.nodes[i].val, true
}

func (c *lru) put(k netip.Addr, v Info) {
	if len(c.nodes) < c.cap {
		c.nodes = append(c.nodes, lruNode{key: k, val: v})
		i := int32(len(c.nodes) - 1)
		c.items[k] = i
		c.pushFront(i)
		return
	}
	i := c.tail // evict the least recently used
	c.unlink(i)
	delete(c.items, c.nodes[i].key)
	c.nodes[i].key, c.nodes[i].val = k, v
	c.items[k] = i
	c.pushFront(i)
}

// Len returns the number of cached addresses.
func (r *Resolver) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.cache.items)
}
