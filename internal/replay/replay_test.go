package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/banscope/banscope/internal/authgen"
	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/google/go-cmp/cmp"
)

var wall = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func sshdJail(maxretry int, findtime, bantime float64) engine.Jail {
	return engine.Jail{Settings: jailsim.Settings{Name: "sshd", MaxRetry: maxretry, FindTime: findtime, BanTime: bantime}, Filter: filter.Spec{Name: "sshd", Params: map[string]string{"mode": "normal", "publickey": "nofail"}}}
}

// genFile writes generated traffic to dir/name (modification time: the
// wall clock, so year-less stamps get 2026).
func genFile(t testing.TB, dir, name string, cfg authgen.Config) string {
	t.Helper()
	var b bytes.Buffer
	if err := authgen.Generate(&b, cfg); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, wall, wall); err != nil {
		t.Fatal(err)
	}
	return p
}

func traffic(seed uint64, lines int, host string) authgen.Config {
	c := authgen.Default()
	c.Seed, c.Lines, c.Host = seed, lines, host
	return c
}

func run(t testing.TB, cfg Config) *Result {
	t.Helper()
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	cfg.Now = wall
	res, err := Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func jsonOf(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// outcome is the comparable outcome of a jail.
func outcome(jr JailResult) string {
	st := jr.Status
	return fmt.Sprintf("failed %d/%d banned %d/%d peak %d %v", st.TotalFailed, st.CurrentlyFailed, st.TotalBanned, st.CurrentlyBanned,
		st.PeakBanned, jr.Outcome)
}

// A what-if with the configured settings gives the configured numbers;
// stricter settings ban more, and the outcome adds up.
func TestWhatIf(t *testing.T) {
	f := genFile(t, t.TempDir(), "auth.log", traffic(3, 30000, "web1"))
	base := []engine.Jail{sshdJail(5, 600, 600)}
	res := run(t, Config{Files: []string{f}, Jails: base, WhatIf: []Scenario{
		{Label: "same", Jails: []engine.Jail{sshdJail(5, 600, 600)}},
		{Label: "strict", Jails: []engine.Jail{sshdJail(2, 86400, 3*86400)}},
	}})
	h := res.single()
	if got, want := outcome(h.WhatIf[0].Jails[0]), outcome(h.Jails[0]); got != want {
		t.Errorf("same settings: %s, configured %s", got, want)
	}
	b, s := h.Jails[0], h.WhatIf[1].Jails[0]
	if s.Status.TotalBanned <= b.Status.TotalBanned || s.Outcome.NeverBanned >= b.Outcome.NeverBanned || s.Outcome.Through >= b.Outcome.Through {
		t.Errorf("strict settings should ban more, let fewer failures through and leave fewer attackers unbanned:\nconfigured %s\nstrict     %s",
			outcome(b), outcome(s))
	}
	for _, jr := range []JailResult{b, s} {
		if o := jr.Outcome; o.Through+o.Blocked != jr.Status.TotalFailed || o.NeverBanned > o.Attackers {
			t.Errorf("outcome does not add up: %s", outcome(jr))
		}
	}
	// the comparison in JSON: a what_if array with settings and jails
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		WhatIf []struct {
			Label    string
			Settings map[string]any
			Jails    map[string]map[string]any
		} `json:"what_if"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.WhatIf) != 2 || doc.WhatIf[1].Label != "strict" || doc.WhatIf[1].Jails["sshd"]["total_banned"] != float64(s.Status.TotalBanned) ||
		doc.WhatIf[1].Jails["sshd"]["attackers_never_banned"] != float64(s.Outcome.NeverBanned) {
		t.Errorf("what_if JSON: %+v", doc.WhatIf)
	}
}

// Each host of a multi-host replay gets exactly what replaying its logs
// alone gives, whether hosts come from directories or from the syslog
// host field of one merged file.
func TestHosts(t *testing.T) {
	dir := t.TempDir()
	a := genFile(t, dir, "web1/auth.log", traffic(5, 20000, "web1"))
	b := genFile(t, dir, "web2/auth.log", traffic(6, 20000, "web2"))
	jails := []engine.Jail{sshdJail(3, 3600, 1800)}
	alone := map[string]string{}
	for _, f := range []string{a, b} {
		h := run(t, Config{Files: []string{f}, Jails: jails}).single()
		alone[filepath.Base(filepath.Dir(f))] = outcome(h.Jails[0]) + jsonOf(t, h.Report.TopIPs[:3])
	}
	byDir := run(t, Config{Files: []string{a, b}, Jails: jails, HostOf: func(f string) string { return filepath.Base(filepath.Dir(f)) }})
	// one central file: both hosts' lines merged in time order
	la, _ := os.ReadFile(a)
	lb, _ := os.ReadFile(b)
	lines := append(strings.SplitAfter(strings.TrimSuffix(string(la), "\n"), "\n"), strings.SplitAfter(strings.TrimSuffix(string(lb), "\n"), "\n")...)
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\n") + "\n"
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i][:15] < lines[j][:15] })
	central := filepath.Join(dir, "central.log")
	os.WriteFile(central, []byte(strings.Join(lines, "")), 0o644)
	os.Chtimes(central, wall, wall)
	byField := run(t, Config{Files: []string{central}, Jails: jails, HostFromField: true})
	for _, res := range []*Result{byDir, byField} {
		got := map[string]string{}
		for _, h := range res.Hosts {
			got[h.Host] = outcome(h.Jails[0]) + jsonOf(t, h.Report.TopIPs[:3])
		}
		if d := cmp.Diff(alone, got); d != "" {
			t.Errorf("hosts differ from their logs replayed alone (-alone +together):\n%s", d)
		}
		var buf bytes.Buffer
		res.WriteJSON(&buf)
		var doc struct {
			Hosts map[string]struct {
				Jails map[string]struct {
					TotalBanned int64 `json:"total_banned"`
				}
			}
		}
		json.Unmarshal(buf.Bytes(), &doc)
		if len(doc.Hosts) != 2 || doc.Hosts["web1"].Jails["sshd"].TotalBanned != res.Hosts[0].Jails[0].Status.TotalBanned {
			t.Errorf("hosts JSON: %+v", doc.Hosts)
		}
	}
}

// A small log whose report is known: the timeline, bans in force, the
// heat map, top lists.
func TestReport(t *testing.T) {
	var b strings.Builder
	line := func(hms, ip, user string) {
		fmt.Fprintf(&b, "Nov 27 %s web1 sshd[1]: Failed password for %s from %s port 22 ssh2\n", hms, user, ip)
	}
	// 10:00: a.a.a.a fails 3 times (banned, maxretry 3); 10:01 b fails 3
	// times (banned: 2 in force); a's ban (5 min) ends 10:05, b's 10:06.
	line("10:00:00", "192.0.2.1", "root")
	line("10:00:10", "192.0.2.1", "root")
	line("10:00:20", "192.0.2.1", "admin")
	line("10:01:00", "192.0.2.2", "root")
	line("10:01:10", "192.0.2.2", "oracle")
	line("10:01:20", "192.0.2.2", "root")
	line("10:09:00", "192.0.2.3", "root")
	dir := t.TempDir()
	f := filepath.Join(dir, "auth.log")
	os.WriteFile(f, []byte(b.String()), 0o644)
	os.Chtimes(f, wall, wall)
	g, err := geo.Open("", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	h := run(t, Config{Files: []string{f}, Jails: []engine.Jail{sshdJail(3, 600, 300)}, Geo: g}).single()
	r := h.Report
	if r.Step != 60 || len(r.Timeline) != 10 {
		t.Fatalf("timeline: step %d, %d points", r.Step, len(r.Timeline))
	}
	var got []string
	for _, p := range r.Timeline {
		got = append(got, fmt.Sprintf("%s f%d b%d in%d", time.Unix(p.T, 0).UTC().Format("15:04"), p.Failures, p.Bans, p.Banned))
	}
	want := []string{"10:00 f3 b1 in1", "10:01 f3 b1 in2", "10:02 f0 b0 in2", "10:03 f0 b0 in2", "10:04 f0 b0 in2",
		"10:05 f0 b0 in2", "10:06 f0 b0 in1", "10:07 f0 b0 in0", "10:08 f0 b0 in0", "10:09 f1 b0 in0"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("timeline (-want +got):\n%s", d)
	}
	if r.PeakBanned != 2 || *r.PeakAt != "2026-11-27T10:01:00Z" {
		t.Errorf("peak %d at %v", r.PeakBanned, *r.PeakAt)
	}
	if r.Heat[4][10] != 7 { // Friday 10:00
		t.Errorf("heat map: Friday 10h = %d", r.Heat[4][10])
	}
	if fmt.Sprint(r.TopUsers) != "[{root 5 0} {admin 1 0} {oracle 1 0}]" {
		t.Errorf("top users %v", r.TopUsers)
	}
	var ips []string
	for _, ip := range r.TopIPs {
		ips = append(ips, fmt.Sprintf("%s %s %d±%d bans %d for %.0f s", ip.IP, ip.Country, ip.Failures, ip.Error, ip.Bans, ip.TimeBanned))
	}
	if d := cmp.Diff([]string{"192.0.2.1 ZZ 3±0 bans 1 for 300 s", "192.0.2.2 ZZ 3±0 bans 1 for 300 s", "192.0.2.3 ZZ 1±0 bans 0 for 0 s"}, ips); d != "" {
		t.Errorf("top IPs (-want +got):\n%s", d)
	}
	if len(r.BusiestHours) != 1 || r.BusiestHours[0].Start != "2026-11-27T10:00:00Z" || r.BusiestHours[0].Failures != 7 {
		t.Errorf("busiest hours %v", r.BusiestHours)
	}
}

// hostileReport replays generated traffic full of attacker-controlled
// names (markup, terminal escapes, invalid UTF-8, NUL).
func hostileReport(t testing.TB) *Result {
	c := traffic(9, 20000, "web1")
	c.Hostile = 0.3
	f := genFile(t, t.TempDir(), "auth.log", c)
	g, err := geo.Open("", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return run(t, Config{Files: []string{f}, Jails: []engine.Jail{sshdJail(5, 600, 600)}, TopN: 50, Geo: g})
}

// What the logs say is shown as text: no control character reaches a
// terminal, no markup reaches the page.
func TestHostileNamesEscaped(t *testing.T) {
	res := hostileReport(t)
	users := fmt.Sprint(res.Hosts[0].Report.TopUsers)
	for _, want := range []string{"<script>", "\x1b[31m", "\x00"} {
		if !strings.Contains(users, want) {
			t.Fatalf("the hostile traffic should put %q among the top users: %q", want, users)
		}
	}
	var text bytes.Buffer
	if err := res.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for i, r := range text.String() {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			t.Fatalf("text report has %U at %d: %q", r, i, text.String()[max(0, i-40):min(text.Len(), i+40)])
		}
	}
	if !strings.Contains(text.String(), `"\x1b[31mred\x1b[0m"`) || !strings.Contains(text.String(), `"<script>alert(1)</script>"`) {
		t.Errorf("the names should appear quoted and escaped in the text report")
	}
	var page bytes.Buffer
	if err := res.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	p := page.String()
	// the page's own two scripts (its data and its code), no other
	if n := strings.Count(p, "<script"); n != 2 || strings.Count(p, `<script type="application/json" id="banscope-data">`) != 1 ||
		strings.Contains(p, "\x1b") || strings.Contains(p, "\x00") || !utf8.ValidString(p) {
		t.Errorf("hostile text reached the HTML unescaped (%d <script)", n)
	}
	if !strings.Contains(p, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the <script> user name should be shown as text")
	}
}

// Space-Saving keeps the heavy hitters and exact counts while the keys
// fit, and bounds the error when they do not.
func TestTopK(t *testing.T) {
	tk := newTopK[int](8)
	want := map[int]int64{}
	rnd := uint64(3)
	for i := 0; i < 100000; i++ {
		rnd = rnd*6364136223846793005 + 1442695040888963407
		k := int(rnd>>33) % 1000
		if k < 700 {
			k %= 5 // five heavy keys
		}
		tk.add(k)
		want[k]++
	}
	top := tk.top(5, func(a, b int) bool { return a < b })
	for _, it := range top {
		if it.key >= 5 {
			t.Errorf("key %d among the top 5", it.key)
		}
		if it.count-it.err > want[it.key] || it.count < want[it.key] {
			t.Errorf("key %d: count %d err %d, true %d", it.key, it.count, it.err, want[it.key])
		}
	}
	exact := newTopK[string](10)
	for _, k := range []string{"a", "b", "a", "c", "a", "b"} {
		addBytes(exact, []byte(k))
	}
	var got []string
	for _, it := range exact.top(3, func(a, b string) bool { return a < b }) {
		got = append(got, fmt.Sprintf("%s:%d/%d", it.key, it.count, it.err))
	}
	if strings.Join(got, " ") != "a:3/0 b:2/0 c:1/0" {
		t.Errorf("exact top %v", got)
	}
}
