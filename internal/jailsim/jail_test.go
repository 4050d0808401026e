package jailsim

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"runtime"
	"testing"

	"github.com/banscope/banscope/internal/ident"
	"github.com/google/go-cmp/cmp"
)

var base = 1795773600.0 // 2026-11-27 10:00:00 UTC

func ip(s string) ident.ID { return ident.AddrID(netip.MustParseAddr(s)) }

// replay drives a jail the way the replay driver does, one failure a line.
func replay(j *Jail, id ident.ID, offsets ...float64) {
	for _, o := range offsets {
		now := base + o
		j.BeforeLine(now)
		j.Failure(id, now, now)
		j.AfterLine(now)
	}
}

func events(j *Jail) *[]string {
	var out []string
	j.OnEvent = func(e Event) {
		switch e.Kind {
		case EvBan, EvUnban, EvAlreadyBanned, EvIgnoreExpired, EvIgnored:
			out = append(out, fmt.Sprintf("%d %s %g", e.Kind, e.ID, e.Time-base))
		}
	}
	return &out
}

// Worked examples of server/failmanager.py's rate estimate (maxretry 5, findtime 600),
// as fail2ban 1.0.2 counted them.
func TestRateEstimate(t *testing.T) {
	tests := []struct {
		name     string
		maxretry int
		offsets  []float64
		banned   bool
		retry    int32
	}{
		{"win1: rescaled to 4, then the 5th bans", 5, []float64{0, 200, 400, 590, 610}, true, 0},
		{"win2: settles at 4 forever", 5, []float64{0, 200, 400, 600, 800, 1000, 1200, 1400, 1600}, false, 4},
		{"w5: cleanup drops the ticket first", 5, []float64{0, 1, 2, 3, 650}, false, 1},
		{"round half to even: 2.5 -> 2", 4, []float64{0, 1, 500, 720}, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := New(Settings{Name: "sshd", MaxRetry: tt.maxretry, FindTime: 600, BanTime: 600})
			id := ip("203.0.113.9")
			replay(j, id, tt.offsets...)
			st := j.Status()
			if (st.TotalBanned == 1) != tt.banned {
				t.Fatalf("banned %d, want %v", st.TotalBanned, tt.banned)
			}
			if !tt.banned {
				got := j.tk[j.idx[keyOf(id)]].retry
				if got != tt.retry {
					t.Errorf("retry %d, want %d", got, tt.retry)
				}
			}
		})
	}
}

// server/banmanager.py: ban, already banned with prolongation, unban.
func TestBanProlongUnban(t *testing.T) {
	j := New(Settings{Name: "sshd", MaxRetry: 3, FindTime: 600, BanTime: 600})
	ev := events(j)
	a, b := ip("203.0.113.30"), ip("198.51.100.1")
	for _, o := range []float64{0, 1, 2, 100, 101, 102, 103, 104, 105, 300, 800, 1000} {
		id := a
		if o >= 800 {
			id = b
		}
		replay(j, id, o)
	}
	want := []string{
		"2 203.0.113.30 2",   // ban at 10:00:02, end 10:10:02
		"3 203.0.113.30 102", // already banned, prolonged to 10:11:42
		"3 203.0.113.30 105", // and to 10:11:45
		"5 203.0.113.30 706", // unbanned at the first second after 10:11:45
	}
	if d := cmp.Diff(want, *ev); d != "" {
		t.Errorf("events (-want +got)\n%s", d)
	}
	st := j.Status()
	if st.TotalFailed != 12 || st.TotalBanned != 1 || st.CurrentlyBanned != 0 {
		t.Errorf("status %+v", st)
	}
}

func TestPermanentAndExpired(t *testing.T) {
	j := New(Settings{Name: "sshd", MaxRetry: 2, FindTime: 600, BanTime: -1})
	replay(j, ip("203.0.113.50"), 0, 1)
	j.BeforeLine(base + 10*365*86400)
	if st := j.Status(); st.CurrentlyBanned != 1 {
		t.Errorf("a permanent ban was lifted: %+v", st)
	}
	// A ban whose end has passed when it is made is ignored.
	j2 := New(Settings{Name: "sshd", MaxRetry: 2, FindTime: 600, BanTime: 25})
	ev := events(j2)
	now := base + 100
	j2.Failure(ip("203.0.113.101"), base, now)
	j2.Failure(ip("203.0.113.101"), base+50, now)
	j2.AfterLine(now)
	if d := cmp.Diff([]string{"4 203.0.113.101 50"}, *ev); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if st := j2.Status(); st.TotalBanned != 0 || st.TotalFailed != 2 {
		t.Errorf("status %+v", st)
	}
}

func TestCountingAlternatives(t *testing.T) {
	offsets := []float64{0, 200, 400, 590, 610}
	for _, tt := range []struct {
		c      Counting
		banned int64
	}{{CountFail2ban, 1}, {CountSliding, 0}, {CountReset, 0}} {
		j := New(Settings{Name: "sshd", MaxRetry: 5, FindTime: 600, BanTime: 600, Counting: tt.c})
		replay(j, ip("203.0.113.9"), offsets...)
		if got := j.Status().TotalBanned; got != tt.banned {
			t.Errorf("%s: banned %d, want %d", tt.c, got, tt.banned)
		}
	}
	// The sliding window bans 5 failures within 600 s that the reset
	// window, restarted at 0, splits.
	j := New(Settings{Name: "sshd", MaxRetry: 3, FindTime: 600, BanTime: 600, Counting: CountSliding})
	replay(j, ip("203.0.113.9"), 0, 500, 700, 800)
	if j.Status().TotalBanned != 1 {
		t.Errorf("sliding: no ban for 500, 700, 800")
	}
	j = New(Settings{Name: "sshd", MaxRetry: 3, FindTime: 600, BanTime: 600, Counting: CountReset})
	replay(j, ip("203.0.113.9"), 0, 500, 700, 800)
	if j.Status().TotalBanned != 0 {
		t.Errorf("reset: banned although the window restarted at 700")
	}
}

func TestIgnore(t *testing.T) {
	ig, err := NewIgnore([]string{"10.0.0.0/255.0.0.0", "2001:db8:1::/48", "192.0.2.0/24", "localhost", "[::1]", "198.51.100.7"},
		[]netip.Addr{netip.MustParseAddr("127.0.0.1")}, ident.ParseHosts([]byte("127.0.0.2 localhost\n")))
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]string{
		"127.0.0.1": "ignoreself rule", "10.20.30.40": "ip", "2001:db8:1:ffff::1": "ip", "192.0.2.5": "ip",
		"127.0.0.2": "dns", "::1": "ip", "198.51.100.7": "ip", "198.51.100.8": "", "2001:db8:2::1": "",
	} {
		got, _ := ig.Match(ip(s))
		if got != want {
			t.Errorf("%s: %q, want %q", s, got, want)
		}
	}
	if _, ok := ig.Match(ident.ParseID("010.001.002.003")); ok {
		t.Errorf("a raw ID matched a network")
	}
	if _, err := NewIgnore([]string{"10.0.0.0/33"}, nil, nil); err == nil {
		t.Errorf("bad prefix accepted")
	}
}

// BenchmarkTrackedIP measures memory per tracked IP with 1M distinct
// attackers holding open failure tickets.
func BenchmarkTrackedIP(b *testing.B) {
	const n = 1 << 20
	for b.Loop() {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		j := New(Settings{Name: "sshd", MaxRetry: 5, FindTime: 86400, BanTime: 600})
		for i := 0; i < n; i++ {
			a := netip.AddrFrom4([4]byte{10 + byte(i>>16), byte(i >> 8), byte(i), 1})
			now := base + float64(i)/100
			j.Failure(ident.AddrID(a), now, now)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		if j.Status().CurrentlyFailed != n {
			b.Fatal("tickets lost")
		}
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/n, "B/IP")
		runtime.KeepAlive(j)
	}
}

// BenchmarkFailure measures one failure of a random tracked attacker.
func BenchmarkFailure(b *testing.B) {
	j := New(Settings{Name: "sshd", MaxRetry: 5, FindTime: 600, BanTime: 600})
	ids := make([]ident.ID, 4096)
	for i := range ids {
		ids[i] = ident.AddrID(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1}))
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		now := base + float64(i)/10
		j.BeforeLine(now)
		j.Failure(ids[(i*2654435761)%len(ids)], now, now)
		j.AfterLine(now)
		i++
	}
}

// A jail restored from its snapshot behaves exactly like the original.
func TestSnapshotRestore(t *testing.T) {
	for _, c := range []Counting{CountFail2ban, CountReset, CountSliding} {
		mk := func() *Jail {
			return New(Settings{Name: "sshd", MaxRetry: 3, FindTime: 600, BanTime: 300, Counting: c,
				Increment: Increment{Enabled: true, Factor: 1}, DB: NewBanDB(0)})
		}
		a := mk()
		evA := events(a)
		ids := []ident.ID{ip("203.0.113.1"), ip("203.0.113.2"), ip("2001:db8::3"), ident.ParseID("192.030.0.6")}
		step := func(j *Jail, n int) {
			now := base + float64(n)*17
			j.BeforeLine(now)
			j.Failure(ids[n%len(ids)], now, now)
			j.AfterLine(now)
		}
		for n := 0; n < 200; n++ {
			step(a, n)
		}
		b := mk()
		evB := events(b)
		raw, err := json.Marshal(a.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		var snap Snapshot
		if err := json.Unmarshal(raw, &snap); err != nil {
			t.Fatal(err)
		}
		if err := b.Restore(snap); err != nil {
			t.Fatal(err)
		}
		b.s.DB.Restore(a.s.DB.Snapshot())
		*evA = nil
		for n := 200; n < 600; n++ {
			step(a, n)
			step(b, n)
		}
		if d := cmp.Diff(*evA, *evB); d != "" {
			t.Errorf("%s: events after restore differ (-original +restored)\n%s", c, d)
		}
		if d := cmp.Diff(a.Status(), b.Status(), cmp.Comparer(func(x, y ident.ID) bool { return x == y })); d != "" {
			t.Errorf("%s: status differs\n%s", c, d)
		}
	}
}
