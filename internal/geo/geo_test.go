package geo

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/banscope/banscope/internal/ident"
	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

func writeDB(t testing.TB, kind string, nets map[string]mmdbtype.Map) string {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: kind, RecordSize: 28})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range nets {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), kind+".mmdb")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return p
}

func country(iso string) mmdbtype.Map {
	return mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(iso)}}
}

func id(s string) ident.ID { return ident.AddrID(netip.MustParseAddr(s)) }

func TestDatabases(t *testing.T) {
	countryDB := writeDB(t, "GeoLite2-Country", map[string]mmdbtype.Map{
		"81.2.69.0/24": country("GB"), "2a02:ff0::/32": country("CH"),
		"89.160.20.0/24": {"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("SE")}},
	})
	cityDB := writeDB(t, "GeoLite2-City", map[string]mmdbtype.Map{
		"81.2.69.0/24": {"country": mmdbtype.Map{"iso_code": mmdbtype.String("GB")}, "city": mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("London")}}},
	})
	asnDB := writeDB(t, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"81.2.69.0/24":  {"autonomous_system_number": mmdbtype.Uint32(20712), "autonomous_system_organization": mmdbtype.String("Andrews & Arnold")},
		"2a02:ff0::/32": {"autonomous_system_number": mmdbtype.Uint32(3303), "autonomous_system_organization": mmdbtype.String("Swisscom")},
	})
	r, err := Open(countryDB, asnDB, 8)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for s, want := range map[string]Info{
		"81.2.69.142":      {Country: "GB", ASN: 20712, ASOrg: "Andrews & Arnold"},
		"2a02:ff0::5":      {Country: "CH", ASN: 3303, ASOrg: "Swisscom"},
		"89.160.20.1":      {Country: "SE"},
		"8.8.8.8":          {Country: "ZZ", Kind: KindUnknown},
		"192.168.1.1":      {Country: "ZZ", Kind: KindPrivate},
		"203.0.113.5":      {Country: "ZZ", Kind: KindReserved},
		"2001:db8::1":      {Country: "ZZ", Kind: KindReserved},
		"::ffff:81.2.69.1": {Country: "GB", ASN: 20712, ASOrg: "Andrews & Arnold"},
	} {
		if got := r.Lookup(id(s)); got != want {
			t.Errorf("%s: %+v, want %+v", s, got, want)
		}
	}
	if got := r.Lookup(ident.ParseID("192.030.0.6")); got.Country != "ZZ" {
		t.Errorf("raw ID: %+v", got)
	}
	// the autonomous systems, all countries together
	b := NewBreakdown(r)
	for _, a := range []string{"81.2.69.1", "81.2.69.2", "81.2.69.2", "2a02:ff0::5", "8.8.8.8"} {
		b.Failure(id(a))
	}
	var rows []string
	for _, a := range b.TopASNs(5) {
		rows = append(rows, fmt.Sprintf("AS%d %s: %d failures, %d IPs", a.ASN, a.Org, a.Failures, a.IPs))
	}
	got := strings.Join(rows, "; ")
	if want := "AS20712 Andrews & Arnold: 3 failures, 2 IPs; AS3303 Swisscom: 1 failures, 1 IPs"; got != want {
		t.Errorf("top ASNs %s, want %s", got, want)
	}
	city, err := Open(cityDB, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := city.Lookup(id("81.2.69.1")).Country; got != "GB" {
		t.Errorf("city database: %s", got)
	}
	city.Close()
	// clear errors at start
	corrupt := filepath.Join(t.TempDir(), "bad.mmdb")
	os.WriteFile(corrupt, []byte("not a database"), 0o644)
	for name, args := range map[string][2]string{
		"missing":           {"/nonexistent.mmdb", ""},
		"corrupt":           {corrupt, ""},
		"asn as country db": {asnDB, ""},
		"country as asn db": {"", countryDB},
	} {
		if _, err := Open(args[0], args[1], 0); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestEmbeddedAndCache(t *testing.T) {
	r, err := Open("", "", 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Lookup(id("8.8.8.8")).Country; got != "US" {
		t.Errorf("8.8.8.8: %s", got)
	}
	for i := 0; i < 10; i++ {
		r.Lookup(ident.AddrID(netip.AddrFrom4([4]byte{81, 2, 69, byte(i)})))
	}
	if r.Len() != 4 {
		t.Errorf("cache holds %d, bound 4", r.Len())
	}
}

func TestBreakdown(t *testing.T) {
	r, _ := Open("", "", 0)
	b := NewBreakdown(r)
	for i := 0; i < 3; i++ {
		b.Failure(id("8.8.8.8"))
	}
	b.Failure(id("8.8.4.4"))
	if c, k := b.Failure(id("203.0.113.9")); c != Unknown || k != KindReserved {
		t.Errorf("203.0.113.9 is %q", k)
	}
	for i := 0; i < 2; i++ {
		if c, k := b.Failure(id("10.0.0.7")); c != Unknown || k != KindPrivate { // the second from the memo
			t.Errorf("10.0.0.7 is %q", k)
		}
	}
	b.Ban(id("8.8.8.8"))
	b.Ban(id("10.0.0.7"))
	rows := b.Rows(3)
	got := fmt.Sprint(rows)
	want := fmt.Sprint([]Row{{Country: "US", Name: "United States", Failures: 4, IPs: 2, Bans: 1, TopASNs: []ASNStats{}},
		{Country: "ZZ", Name: "not located", Failures: 3, IPs: 2, Bans: 1, TopASNs: []ASNStats{},
			Kinds: map[string]KindRow{KindReserved: {Failures: 1, IPs: 1}, KindPrivate: {Failures: 2, IPs: 1, Bans: 1}}}})
	if got != want {
		t.Errorf("rows %s,\nwant %s", got, want)
	}
}

func BenchmarkLookup(b *testing.B) {
	r, _ := Open("", "", 0)
	ids := make([]ident.ID, 1<<12)
	for i := range ids {
		ids[i] = ident.AddrID(netip.AddrFrom4([4]byte{81, byte(i >> 8), byte(i), 7}))
	}
	b.Run("cached", func(b *testing.B) {
		i := 0
		for b.Loop() {
			r.Lookup(ids[i&(len(ids)-1)])
			i++
		}
	})
	b.Run("uncached", func(b *testing.B) {
		n := uint32(0)
		for b.Loop() {
			n += 2654435761
			r.Lookup(ident.AddrID(netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})))
		}
	})
}
