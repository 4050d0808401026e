package replay

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/jailsim"
)

// A hand-made log whose bans are worked out by hand from fail2ban's
// rules (maxretry 3, findtime 10m, bantime 10m, bantime.increment with
// factor 1: the n-th ban lasts bantime × 2^(n-1)):
//
//   - 192.0.2.10 fails 3 times (ban at 10:00:20 until 10:10:20). Banned
//     once, each of its later failures weighs 2 (server/observer.py
//     failureFound: 2^n/2 + 1): of the 3 it makes while banned, the second
//     (10:05:10) has fail2ban find it "already banned" and prolong the ban
//     to 10:05:10 + 10m = 10:15:10. At 11:00 the second of 3 failures bans
//     it again, for 20 minutes (11:00:10 to 11:20:10, still in force at
//     the last line, 11:10:00, with 610 s left), and the third is made
//     while banned;
//   - 203.0.113.30 fails 3 times at 10:40 (a 10-minute ban, ended);
//   - 198.51.100.20 fails twice at 10:30 and once at 11:10: never banned.
func TestBanHistory(t *testing.T) {
	type f struct {
		at, ip string
	}
	lines := []f{
		{"10:00:00", "192.0.2.10"}, {"10:00:10", "192.0.2.10"}, {"10:00:20", "192.0.2.10"},
		{"10:05:00", "192.0.2.10"}, {"10:05:10", "192.0.2.10"}, {"10:05:20", "192.0.2.10"},
		{"10:30:00", "198.51.100.20"}, {"10:30:10", "198.51.100.20"},
		{"10:40:00", "203.0.113.30"}, {"10:40:10", "203.0.113.30"}, {"10:40:20", "203.0.113.30"},
		{"11:00:00", "192.0.2.10"}, {"11:00:10", "192.0.2.10"}, {"11:00:20", "192.0.2.10"},
		{"11:10:00", "198.51.100.20"},
	}
	var b strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&b, "Nov 30 %s web1 sshd[%d]: Failed password for root from %s port %d ssh2\n", l.at, 100+i, l.ip, 40000+i)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "auth.log")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, wall, wall); err != nil {
		t.Fatal(err)
	}
	j := sshdJail(3, 600, 600)
	j.Settings.Increment = jailsim.Increment{Enabled: true, Factor: 1}
	res := run(t, Config{Files: []string{p}, Jails: []engine.Jail{j}, TopN: 10})
	h := res.single()
	rep := h.Report
	str := func(s string) *string { return &s }
	num := func(x float64) *float64 { return &x }
	ban := func(ip, start, end string, secs float64, prolong int, inc float64, before, during int64, still bool, left *float64) BanRow {
		return BanRow{IP: ip, Jail: "sshd", Start: "2026-11-30T" + start + "Z", End: str("2026-11-30T" + end + "Z"), Seconds: secs,
			Prolongations: prolong, Increment: inc, FailuresBefore: &before, FailuresDuring: during, StillBanned: still, Left: left}
	}
	// failures before a ban: since the previous one ended (those made
	// while banned are the ban's own)
	a2 := ban("192.0.2.10", "11:00:10", "11:20:10", 1200, 0, 2, 2, 1, true, num(610))
	want := []IPRow{
		{IP: "192.0.2.10", Kind: "reserved", Failures: 9, Bans: 2, TimeBanned: 890 + 590, StillBanned: true, History: []BanRow{
			ban("192.0.2.10", "10:00:20", "10:15:10", 890, 1, 0, 3, 3, false, nil), a2}},
		{IP: "198.51.100.20", Kind: "reserved", Failures: 3, History: []BanRow{}},
		{IP: "203.0.113.30", Kind: "reserved", Failures: 3, Bans: 1, TimeBanned: 600, History: []BanRow{
			ban("203.0.113.30", "10:40:20", "10:50:20", 600, 0, 0, 3, 0, false, nil)}},
	}
	if d := cmp.Diff(want, rep.TopIPs); d != "" {
		t.Errorf("top addresses (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]BanRow{a2}, rep.Bans.StillBanned); d != "" {
		t.Errorf("still banned (-want +got):\n%s", d)
	}
	var hist []int64
	for _, d := range rep.Bans.Durations {
		hist = append(hist, d.Bans)
	}
	if d := cmp.Diff([]int64{1, 2, 0, 0, 0, 0, 0}, hist); d != "" {
		t.Errorf("durations ≤10m ≤1h ≤6h ≤1d ≤1w longer permanent (-want +got):\n%s", d)
	}
	// a log shorter than a week: its heat map is by calendar day
	day := DayHeat{Day: "2026-11-30"}
	day.Hours[10], day.Hours[11] = 11, 4
	if d := cmp.Diff([]DayHeat{day}, rep.DayHeat); d != "" {
		t.Errorf("heat map by day (-want +got):\n%s", d)
	}
	if o := h.Jails[0].Outcome; o.Blocked != 4 || o.Through != 11 {
		t.Errorf("outcome %+v, want 4 failures while banned and 11 through", o)
	}
}

// Attackers from inside a network are listed apart, and ZZ is split by
// what its addresses are.
func TestInsideAttackers(t *testing.T) {
	var b strings.Builder
	for i, ip := range []string{"10.0.0.5", "10.0.0.5", "10.0.0.5", "8.8.8.8", "127.0.0.1", "203.0.113.7", "fe80::1"} {
		fmt.Fprintf(&b, "Nov 30 10:00:%02d web1 sshd[%d]: Failed password for root from %s port %d ssh2\n", i, 100+i, ip, 40000+i)
	}
	p := filepath.Join(t.TempDir(), "auth.log")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p, wall, wall)
	g, err := geo.Open("", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	h := run(t, Config{Files: []string{p}, Jails: []engine.Jail{sshdJail(3, 600, 600)}, TopN: 10, Geo: g}).single()
	var inside []string
	for _, r := range h.Report.Inside {
		inside = append(inside, fmt.Sprintf("%s %s %s %d failures %d bans", r.IP, r.Country, r.Kind, r.Failures, r.Bans))
	}
	want := []string{"10.0.0.5 ZZ private 3 failures 1 bans", "127.0.0.1 ZZ loopback 1 failures 0 bans", "fe80::1 ZZ link-local 1 failures 0 bans"}
	if d := cmp.Diff(want, inside); d != "" {
		t.Errorf("inside attackers (-want +got):\n%s", d)
	}
	for _, c := range h.Countries {
		if c.Country != "ZZ" {
			continue
		}
		want := map[string]geo.KindRow{geo.KindPrivate: {Failures: 3, IPs: 1, Bans: 1}, geo.KindLoopback: {Failures: 1, IPs: 1},
			geo.KindReserved: {Failures: 1, IPs: 1}, geo.KindLinkLocal: {Failures: 1, IPs: 1}}
		if d := cmp.Diff(want, c.Kinds); d != "" || c.Failures != 6 {
			t.Errorf("ZZ: %d failures, kinds (-want +got):\n%s", c.Failures, d)
		}
		return
	}
	t.Error("no ZZ row")
}

// fail2ban.log beside the simulation, on hand-made logs whose outcome is
// worked out by hand (maxretry 3, findtime 10m, bantime 10m).
func TestFail2banLogComparison(t *testing.T) {
	dir := t.TempDir()
	var auth strings.Builder
	for i, l := range [][2]string{
		{"10:00:00", "192.0.2.1"}, {"10:00:10", "192.0.2.1"}, {"10:00:20", "192.0.2.1"}, // banned on both sides, 0.412 s apart
		{"10:10:00", "192.0.2.2"}, {"10:10:10", "192.0.2.2"}, {"10:10:20", "192.0.2.2"}, // both, 0.8 s apart
		{"10:20:00", "192.0.2.3"}, {"10:20:05", "192.0.2.3"}, // restored by fail2ban at its start: failures while banned
		{"10:30:00", "192.0.2.4"}, {"10:30:10", "192.0.2.4"}, {"10:30:20", "192.0.2.4"}, // fail2ban was stopped
		{"10:46:00", "192.0.2.5"},                                                       // fail2ban banned it on one failure: not the simulated settings
		{"10:50:00", "192.0.2.6"}, {"10:50:10", "192.0.2.6"}, {"10:50:20", "192.0.2.6"}, // fail2ban 80 s later
	} {
		fmt.Fprintf(&auth, "Nov 30 %s web1 sshd[%d]: Failed password for root from %s port %d ssh2\n", l[0], 100+i, l[1], 40000+i)
	}
	f2b := strings.Join([]string{
		"2026-11-30 09:58:59,000 fail2ban.server         [1]: INFO    Starting Fail2ban v1.0.2",
		"2026-11-30 09:59:00,000 fail2ban.actions        [1]: NOTICE  [sshd] Restore Ban 192.0.2.3",
		"2026-11-30 10:00:20,412 fail2ban.actions        [1]: NOTICE  [sshd] Ban 192.0.2.1",
		"2026-11-30 10:10:20,500 fail2ban.actions        [1]: NOTICE  [sshd] Unban 192.0.2.1",
		"2026-11-30 10:10:21,200 fail2ban.actions        [1]: NOTICE  [sshd] Ban 192.0.2.2",
		"2026-11-30 10:20:21,000 fail2ban.actions        [1]: NOTICE  [sshd] Unban 192.0.2.2",
		"2026-11-30 10:25:00,000 fail2ban.server         [1]: INFO    Exiting Fail2ban",
		"2026-11-30 10:35:00,000 fail2ban.server         [1]: INFO    Starting Fail2ban v1.0.2",
		"2026-11-30 10:46:00,500 fail2ban.actions        [1]: NOTICE  [sshd] Ban 192.0.2.5",
		"2026-11-30 10:51:40,000 fail2ban.actions        [1]: NOTICE  [sshd] Ban 192.0.2.6",
		"2026-11-30 11:30:00,000 fail2ban.actions        [1]: NOTICE  [sshd] Ban 192.0.2.7",
		"2026-11-30 11:31:00,000 fail2ban.actions        [1]: NOTICE  [recidive] Ban 192.0.2.7",
	}, "\n") + "\n"
	ap, fp := filepath.Join(dir, "auth.log"), filepath.Join(dir, "fail2ban.log")
	os.WriteFile(ap, []byte(auth.String()), 0o644)
	os.Chtimes(ap, wall, wall)
	os.WriteFile(fp, []byte(f2b), 0o644)
	log, err := ReadFail2banLog([]string{fp}, time.UTC, 0)
	if err != nil {
		t.Fatal(err)
	}
	h := run(t, Config{Files: []string{ap}, Jails: []engine.Jail{sshdJail(3, 600, 600)}, TopN: 10, Fail2banLog: log}).single()
	c := h.Fail2banLog
	if c == nil {
		t.Fatal("no comparison")
	}
	want := &Comparison{Files: []string{fp}, Starts: 1, FailuresWhileBanned: 2,
		WhileBannedTop: []IPRow{{IP: "192.0.2.3", Failures: 2, History: []BanRow{}}},
		Jails: map[string]*JailComparison{
			"sshd": {Observed: 5, Restored: 1, Unbans: 2, Simulated: 4, Matched: 2, MaxMatchDt: 1.2, Shifted: 1, ShiftMedian: 80, ShiftMax: 80,
				OnlyObserved: 2, OnlySimulated: 1, IsSimulated: true,
				Causes: map[string]int64{CauseOutside: 1, CauseStopped: 1, CauseSettings: 1},
				Examples: []Difference{
					{Kind: "only-simulated", IP: "192.0.2.4", Time: "2026-11-30T10:30:20Z", Cause: CauseStopped},
					{Kind: "only-fail2ban", IP: "192.0.2.5", Time: "2026-11-30T10:46:00.5Z", Cause: CauseSettings},
					{Kind: "shifted", IP: "192.0.2.6", Time: "2026-11-30T10:50:20Z", Shift: 80},
					{Kind: "only-fail2ban", IP: "192.0.2.7", Time: "2026-11-30T11:30:00Z", Cause: CauseOutside},
				}},
			"recidive": {Observed: 1, OnlyObserved: 1, Causes: map[string]int64{CauseNotJail: 1},
				Examples: []Difference{{Kind: "only-fail2ban", IP: "192.0.2.7", Time: "2026-11-30T11:31:00Z", Cause: CauseNotJail}}},
		}, Notes: []string{}}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("comparison (-want +got):\n%s", d)
	}
}

// With an ASN database the report has the top autonomous systems, all
// countries together, in JSON, text and HTML.
func TestTopASNs(t *testing.T) {
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-ASN", RecordSize: 28})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, as := range map[string]uint32{"81.2.69.0/24": 20712, "89.160.20.0/24": 29518} {
		_, n, _ := net.ParseCIDR(cidr)
		org := map[uint32]string{20712: "Andrews & Arnold <b>", 29518: "Bredband2"}[as]
		if err := w.Insert(n, mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(as), "autonomous_system_organization": mmdbtype.String(org)}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "asn.mmdb")
	f, _ := os.Create(db)
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	g, err := geo.Open("", db, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, ip := range []string{"81.2.69.1", "81.2.69.2", "81.2.69.2", "89.160.20.7"} {
		fmt.Fprintf(&b, "Nov 30 10:00:%02d web1 sshd[%d]: Failed password for root from %s port %d ssh2\n", i, 100+i, ip, 40000+i)
	}
	p := filepath.Join(dir, "auth.log")
	os.WriteFile(p, []byte(b.String()), 0o644)
	os.Chtimes(p, wall, wall)
	res := run(t, Config{Files: []string{p}, Jails: []engine.Jail{sshdJail(5, 600, 600)}, TopN: 10, Geo: g})
	res.HasASN = true
	h := res.single()
	var got []string
	for _, a := range h.TopASNs {
		got = append(got, fmt.Sprintf("AS%d %s %d/%d", a.ASN, a.Org, a.Failures, a.IPs))
	}
	if d := cmp.Diff([]string{"AS20712 Andrews & Arnold <b> 3/2", "AS29518 Bredband2 1/1"}, got); d != "" {
		t.Errorf("top ASNs (-want +got):\n%s", d)
	}
	var text, page bytes.Buffer
	res.WriteText(&text)
	res.WriteHTML(&page)
	if !strings.Contains(text.String(), "top autonomous systems") || !strings.Contains(text.String(), "AS20712") {
		t.Errorf("text:\n%s", text.String())
	}
	if !strings.Contains(page.String(), "<td class=\"name\">Andrews &amp; Arnold &lt;b&gt;</td>") {
		t.Error("the HTML page lacks the ASN table, or shows the organisation as markup")
	}
}
