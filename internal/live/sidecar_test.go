package live

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/output/events"

	"github.com/banscope/banscope/internal/jailsim"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lastLine returns the last point of the Telegraf fail2ban measurement.
func (s *syncBuf) lastLine() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(s.b.String()), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "fail2ban,") {
			return lines[i]
		}
	}
	return ""
}

func appendFailures(t *testing.T, path string, ip string, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i < n; i++ {
		fmt.Fprintf(f, "%s web1 sshd[%d]: Failed password for root from %s port 22 ssh2\n",
			time.Now().UTC().Format("Jan _2 15:04:05"), 4000+i, ip)
	}
}

// run starts a sidecar and returns a stop function that waits for it.
func run(t *testing.T, dir string, out *syncBuf) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{
			AuthLog: filepath.Join(dir, "auth.log"), State: filepath.Join(dir, "state.json"),
			Interval: 50 * time.Millisecond, Host: "web1", Location: time.UTC, Out: out,
			Quiet: 100 * time.Millisecond,
			Jails: []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 5, FindTime: 3600, BanTime: 3600}, Filter: filter.Spec{Name: "sshd"}}},
		})
	}()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("sidecar: %v", err)
		}
	}
}

func waitFor(t *testing.T, out *syncBuf, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(out.lastLine(), want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %q; last point: %s", want, out.lastLine())
}

// Restarts continue from the saved state: nothing counted twice, nothing
// dropped, even when the log was rotated while the sidecar was down.
func TestRestartContinues(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	appendFailures(t, path, "203.0.113.9", 2) // before the first start: the rebuild reads them
	var out syncBuf
	stop := run(t, dir, &out)
	waitFor(t, &out, "banned=0i,failed=1i")
	appendFailures(t, path, "203.0.113.9", 1)
	time.Sleep(300 * time.Millisecond)
	stop()
	if !strings.HasPrefix(out.lastLine(), "fail2ban,host=web1,jail=sshd banned=0i,failed=1i ") {
		t.Fatalf("point %q", out.lastLine())
	}

	// one more failure while down: 4 in all, no ban (a double count would ban)
	appendFailures(t, path, "203.0.113.9", 1)
	stop = run(t, dir, &out)
	time.Sleep(400 * time.Millisecond)
	waitFor(t, &out, "banned=0i,failed=1i")
	stop()

	// rotated while down: the rest of the old file, then the new one
	appendFailures(t, path, "203.0.113.9", 1) // the 5th, written to the old file
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFailures(t, path, "198.51.100.7", 1)
	stop = run(t, dir, &out)
	waitFor(t, &out, "banned=1i,failed=1i")
	stop()
}

// The journal source: entries of a journal file made by
// systemd-journal-remote, resumed by cursor after a restart.
func TestJournalRestart(t *testing.T) {
	remote := "/lib/systemd/systemd-journal-remote"
	if _, err := os.Stat(remote); err != nil {
		if os.Getenv("BANSCOPE_REQUIRE_JOURNAL") != "" {
			t.Fatal("systemd-journal-remote is not installed")
		}
		t.Skip("systemd-journal-remote is not installed")
	}
	dir := t.TempDir()
	var b strings.Builder
	base := time.Now().Add(-time.Minute).UnixMicro()
	for i := 0; i < 4; i++ {
		fmt.Fprintf(&b, "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=web1\nSYSLOG_IDENTIFIER=sshd\n_PID=%d\n_COMM=sshd\nMESSAGE=Failed password for root from 203.0.113.9 port 22 ssh2\n\n",
			base+int64(i)*1000, 1000+i, 2000+i)
	}
	export := filepath.Join(dir, "export.txt")
	os.WriteFile(export, []byte(b.String()), 0o644)
	jf := filepath.Join(dir, "x.journal")
	if out, err := exec.Command(remote, "-o", jf, export).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var out syncBuf
	start := func() func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, Config{Journal: true, JournalArgs: []string{"--file", jf},
				State: filepath.Join(dir, "state.json"), Interval: 50 * time.Millisecond, Host: "web1", Out: &out,
				Jails: []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 5, FindTime: 3600, BanTime: 3600}, Filter: filter.Spec{Name: "sshd"}}}})
		}()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("sidecar: %v", err)
			}
		}
	}
	stop := start()
	waitFor(t, &out, "banned=0i,failed=1i")
	// the journal's size on disk, beside its entries' growth
	fi, err := os.Stat(jf)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), fmt.Sprintf("disk_bytes=%di", fi.Size())); {
		if time.Now().After(deadline) {
			t.Fatalf("no disk_bytes=%di in the points:\n%s", fi.Size(), out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	stop()
	state, _ := os.ReadFile(filepath.Join(dir, "state.json"))
	if !strings.Contains(string(state), `"journal_cursor":"s=`) {
		t.Fatalf("no cursor saved: %s", state)
	}
	// Restarted from the cursor, the four entries are not read again:
	// still 4 failures (5 would ban).
	stop = start()
	time.Sleep(500 * time.Millisecond)
	waitFor(t, &out, "banned=0i,failed=1i")
	stop()
}

// Without state, the jails are rebuilt from the live file and its rotated
// predecessors (compressed too), oldest first.
func TestRebuildFromPredecessors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	appendFailures(t, path+".2", "203.0.113.9", 2)
	gzipFile(t, path+".2")
	if _, err := os.Stat(path + ".2.gz"); err != nil {
		t.Fatalf("no compressed predecessor: %v", err)
	}
	appendFailures(t, path+".1", "203.0.113.9", 2)
	appendFailures(t, path, "203.0.113.9", 1)
	var out syncBuf
	stop := run(t, dir, &out)
	waitFor(t, &out, "banned=1i,failed=0i")
	stop()
}

// Every measurement of the schema, with fail2ban.log beside the simulation.
func TestSchema(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	appendFailures(t, path, "203.0.113.9", 5)
	f2b := filepath.Join(dir, "fail2ban.log")
	now := time.Now().UTC().Format("2006-01-02 15:04:05,000")
	os.WriteFile(f2b, []byte(strings.Join([]string{
		now + " fail2ban.actions        [1]: NOTICE  [sshd] Ban 203.0.113.9",
		now + " fail2ban.actions        [1]: NOTICE  [sshd] Ban 198.51.100.1",
		now + " fail2ban.actions        [1]: NOTICE  [sshd] Ban 198.51.100.2",
		now + " fail2ban.actions        [1]: NOTICE  [sshd] Ban 198.51.100.3",
		now + " fail2ban.actions        [1]: NOTICE  [sshd] Ban 198.51.100.4",
		now + " fail2ban.actions        [1]: NOTICE  [sshd] Unban 198.51.100.4",
		now + " fail2ban.actions        [1]: NOTICE  [apache-auth] Restore Ban 192.0.2.1",
	}, "\n")+"\n"), 0o644)
	var out syncBuf
	var notices []string
	var nmu sync.Mutex
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		g, _ := geo.Open("", "", 0)
		done <- Run(ctx, Config{AuthLog: path, Fail2banLog: f2b, Interval: 100 * time.Millisecond, Host: "web1", Location: time.UTC, Out: &out, Geo: g,
			Jails:  []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 5, FindTime: 3600, BanTime: 3600}, Filter: filter.Spec{Name: "sshd"}}},
			Notice: func(m string) { nmu.Lock(); notices = append(notices, m); nmu.Unlock() }})
	}()
	waitFor(t, &out, "banned=1i,failed=0i")
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out.mu.Lock()
	text := out.b.String()
	out.mu.Unlock()
	// valid line protocol throughout
	points := map[string]string{}
	for _, p := range decodeLP(t, []byte(text)) {
		key := p.measurement
		var tags []string
		for k, v := range p.tags {
			if k != "host" {
				tags = append(tags, k+"="+v)
			}
		}
		sort.Strings(tags)
		for _, kv := range tags {
			key += "," + kv
		}
		var fields []string
		for _, f := range p.fields {
			fields = append(fields, f.key+"="+f.v.String())
		}
		points[key] = strings.Join(fields, " ")
	}
	for key, want := range map[string]string{
		"fail2ban,jail=sshd":                    "banned=1i failed=0i",
		"banscope_kind,jail=sshd,kind=failed":   "failures_total=5i",
		"banscope_f2blog,jail=sshd":             "banned=4i bans_total=5i difference=3i repeals_total=0i restores_total=0i simulated_banned=1i unbans_total=1i",
		"banscope_f2blog,jail=apache-auth":      "banned=1i bans_total=0i repeals_total=0i restores_total=1i unbans_total=0i",
		"banscope_parse":                        "malformed_total=0i matched_total=5i read_total=5i too_long_total=0i",
		"banscope_country,country=ZZ,jail=sshd": "banned=1i bans=0i bans_total=1i failures=0i failures_total=5i ips=0i",
	} {
		if got := points[key]; got != want {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
	for _, key := range []string{"banscope_jail,jail=sshd", "banscope_log,file=auth.log"} {
		if points[key] == "" {
			t.Errorf("no %s point", key)
		}
	}
	if !strings.Contains(points["banscope_jail,jail=sshd"], "banned_total=1i failed_total=5i") {
		t.Errorf("banscope_jail: %s", points["banscope_jail,jail=sshd"])
	}
}

// run's --events sink gets the ban a live failure triggers, in the same
// JSON lines replay writes.
func TestRunEvents(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	appendFailures(t, path, "203.0.113.10", 1)
	var out, evs syncBuf
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{AuthLog: path, Interval: 50 * time.Millisecond, Host: "web1", Location: time.UTC, Out: &out,
			Events: events.NewJSONLines(&evs), Quiet: 100 * time.Millisecond,
			Jails: []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 3, FindTime: 3600, BanTime: 3600}, Filter: filter.Spec{Name: "sshd"}}}})
	}()
	waitFor(t, &out, "banned=0i,failed=1i")
	appendFailures(t, path, "203.0.113.10", 2)
	waitFor(t, &out, "banned=1i,failed=0i")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	evs.mu.Lock()
	got := evs.b.String()
	evs.mu.Unlock()
	if !strings.HasPrefix(got, `{"event":"ban","jail":"sshd","ip":"203.0.113.10","time":"`) || strings.Count(got, "\n") != 1 {
		t.Fatalf("events %q", got)
	}
}

// fail2ban.log jail names that line protocol and Prometheus cannot carry
// as they are ([], a trailing backslash, control characters, invalid
// UTF-8) are replaced, never fatal: the points are written, the state is
// saved, /metrics answers.
func TestHostileJailNames(t *testing.T) {
	dir := t.TempDir()
	auth, f2b, state := filepath.Join(dir, "auth.log"), filepath.Join(dir, "fail2ban.log"), filepath.Join(dir, "state.json")
	appendFailures(t, auth, "203.0.113.11", 1)
	var b strings.Builder
	for _, jail := range []string{"", `ss\`, "a\x1b[31mb", "bad\xffname", "tab\there"} {
		fmt.Fprintf(&b, "2026-11-28 03:08:34,454 fail2ban.actions        [1234]: NOTICE  [%s] Ban 203.0.113.12\n", jail)
	}
	if err := os.WriteFile(f2b, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var out syncBuf
	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{AuthLog: auth, Fail2banLog: f2b, State: state, Interval: 50 * time.Millisecond, Host: "web1",
			Location: time.UTC, Out: &out, Quiet: 100 * time.Millisecond, Listen: "127.0.0.1:0", Ready: ready,
			Jails: []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 5, FindTime: 3600, BanTime: 3600}, Filter: filter.Spec{Name: "sshd"}}}})
	}()
	addr := <-ready
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "banscope_f2blog,host=web1,jail=tab\uFFFDhere") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if post, err := http.Post("http://"+addr+"/metrics", "text/plain", nil); err != nil || post.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %v %v, want 405", post.Status, err)
	} else {
		post.Body.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if resp.StatusCode != 200 || !strings.Contains(string(body), `banscope_fail2ban_log_bans_total{host="web1",jail="(empty)"} 1`) {
		t.Fatalf("/metrics %d:\n%s", resp.StatusCode, body)
	}
	for _, c := range []string{"\x1b", "\t", "\xff"} {
		if strings.Contains(string(body), c) || strings.Contains(out.String(), c) {
			t.Errorf("raw %q served", c)
		}
	}
	for _, want := range []string{"jail=(empty)", `jail=ss\` + "\uFFFD", "jail=a\uFFFD[31mb", "jail=bad\uFFFDname"} {
		if !strings.Contains(out.String(), "banscope_f2blog,host=web1,"+want+" ") {
			t.Errorf("no banscope_f2blog point for %s in\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(state); err != nil {
		t.Errorf("state not saved: %v", err)
	}
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// gzipFile compresses path to path.gz and removes path, as logrotate's
// compress does.
func gzipFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path + ".gz")
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// After a restart the first interval's numbers count what is new, not the
// restored history; a state saved for another log is not merged into
// this one.
func TestRestartIntervals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	appendFailures(t, path, "203.0.113.20", 3)
	var out syncBuf
	stop := run(t, dir, &out)
	waitFor(t, &out, "banned=0i,failed=1i")
	time.Sleep(200 * time.Millisecond)
	stop()

	var again syncBuf
	stop = run(t, dir, &again)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(again.String(), "banscope_jail,") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	first := ""
	for _, l := range strings.Split(again.String(), "\n") {
		if strings.HasPrefix(l, "banscope_jail,") {
			first = l
			break
		}
	}
	if !strings.Contains(first, " bans=0i,banned_total=0i,failed_total=3i,failures=0i,") {
		t.Errorf("first interval after the restart: %q, want failures=0i with failed_total=3i", first)
	}
	for _, l := range strings.Split(again.String(), "\n") {
		if strings.HasPrefix(l, "banscope_log,") && !strings.Contains(l, " bytes=0i,") {
			t.Errorf("first log point after the restart reports old bytes: %q", l)
			break
		}
	}

	// the same state file, another log: not merged
	other := filepath.Join(dir, "other.log")
	appendFailures(t, other, "198.51.100.30", 1)
	var third syncBuf
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var notices []string
	var mu sync.Mutex
	go func() {
		done <- Run(ctx, Config{AuthLog: other, State: filepath.Join(dir, "state.json"), Interval: 50 * time.Millisecond, Host: "web1",
			Location: time.UTC, Out: &third, Quiet: 100 * time.Millisecond,
			Notice: func(m string) { mu.Lock(); notices = append(notices, m); mu.Unlock() },
			Jails:  []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 5, FindTime: 3600, BanTime: 3600}, Filter: filter.Spec{Name: "sshd"}}}})
	}()
	waitFor(t, &third, "banned=0i,failed=1i")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(third.String(), "failed_total=1i") {
		t.Errorf("another log's state was merged:\n%s", third.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(notices, "\n"), "was saved for "+path) {
		t.Errorf("no notice of the other log's state: %q", notices)
	}
}

// A state that cannot be saved (here its temporary file's name is taken
// by a directory; a full or read-only disk alike) does not stop
// following: the points go on, the failure is said once and counted.
func TestStateSaveFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	state := filepath.Join(dir, "state.json")
	if err := os.MkdirAll(state+".tmp/x", 0o755); err != nil {
		t.Fatal(err)
	}
	appendFailures(t, path, "203.0.113.40", 1)
	var out syncBuf
	var mu sync.Mutex
	var notices []string
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{AuthLog: path, State: state, Interval: 30 * time.Millisecond, Host: "web1",
			Location: time.UTC, Out: &out, Quiet: 100 * time.Millisecond,
			Notice: func(m string) { mu.Lock(); notices = append(notices, m); mu.Unlock() },
			Jails:  []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 5, FindTime: 3600, BanTime: 3600}, Filter: filter.Spec{Name: "sshd"}}}})
	}()
	waitFor(t, &out, "banned=0i,failed=1i")
	appendFailures(t, path, "203.0.113.41", 1)
	waitFor(t, &out, "banned=0i,failed=2i")
	cancel()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "save state") {
		t.Errorf("final save: %v, want its error", err)
	}
	mu.Lock()
	defer mu.Unlock()
	n := 0
	for _, m := range notices {
		if strings.Contains(m, "save state") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d notices of the failing save, want 1: %q", n, notices)
	}
}

// A state file written by the release before the architecture work
// (testdata/state-v1.json: 8 failures, one ban, three open tickets, one
// raw ID, fail2ban.log's ban) still loads into this one: the jails, the
// counts, the sessions and the positions as saved.
func TestGoldenStateLoads(t *testing.T) {
	var notices []string
	s := newSidecar(Config{AuthLog: "/tmp/gold/auth.log", State: "testdata/state-v1.json", Location: time.UTC, Host: "web1",
		Now: func() time.Time { return time.Unix(1796155093, 0) }, Notice: func(m string) { notices = append(notices, m) }})
	eng, err := engine.New([]engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 3, FindTime: 600, BanTime: 600},
		Filter: filter.Spec{Name: "sshd"}}}, engine.Options{Filter: filter.Options{Location: time.UTC}})
	if err != nil {
		t.Fatal(err)
	}
	s.eng = eng
	loaded, err := s.load()
	if err != nil || !loaded {
		t.Fatalf("load: %v, %v (notices %q)", loaded, err, notices)
	}
	st := eng.Jails()[0].Sim.Status()
	if st.TotalFailed != 8 || st.TotalBanned != 1 || st.CurrentlyFailed != 3 || st.CurrentlyBanned != 1 {
		t.Errorf("jail %+v", st)
	}
	tot := s.tally.Totals()
	if tot.LinesRead != 8 || tot.BytesRead != 726 || tot.ByKind["sshd"]["failed"] != 8 || tot.Observed["sshd"].Bans != 1 {
		t.Errorf("counts %+v", tot)
	}
	if s.pos == nil || s.pos.Offset != 726 || s.f2bPos == nil || s.f2bPos.Offset != 88 {
		t.Errorf("positions %+v %+v", s.pos, s.f2bPos)
	}
	snap, err := eng.Jails()[0].Filter.Snapshot()
	if err != nil || !strings.Contains(string(snap), `"key":" web1 sshd[100]: "`) {
		t.Errorf("sessions %s %v", snap, err)
	}
}

// --prometheus-names f2b-exporter serves the fail2ban-prometheus-exporter's
// names and meanings (its dashboards and alerts work unchanged); both
// serves both sets.
func TestF2bExporterNames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	appendFailures(t, path, "203.0.113.60", 3)
	appendFailures(t, path, "203.0.113.61", 1)
	for _, names := range []string{"f2b-exporter", "both"} {
		ready := make(chan string, 1)
		var out syncBuf
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, Config{AuthLog: path, Interval: 50 * time.Millisecond, Host: "web1", Location: time.UTC, Out: &out,
				Quiet: 100 * time.Millisecond, Listen: "127.0.0.1:0", Ready: ready, PrometheusNames: names, Version: "v9.9.9", Fail2ban: f2bversion.Choice{Version: f2bversion.V1_0_2},
				Jails: []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 3, FindTime: 600, BanTime: 3600}, Filter: filter.Spec{Name: "sshd"}}}})
		}()
		addr := <-ready
		waitFor(t, &out, "banned=1i,failed=1i")
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			`f2b_up{host="web1"} 1`, `f2b_jail_count{host="web1"} 1`,
			`f2b_jail_banned_current{host="web1",jail="sshd"} 1`, `f2b_jail_banned_total{host="web1",jail="sshd"} 1`,
			`f2b_jail_failed_current{host="web1",jail="sshd"} 1`, `f2b_jail_failed_total{host="web1",jail="sshd"} 4`,
			`f2b_config_jail_ban_time{host="web1",jail="sshd"} 3600`, `f2b_config_jail_find_time{host="web1",jail="sshd"} 600`,
			`f2b_config_jail_max_retries{host="web1",jail="sshd"} 3`, `f2b_version{exporter="v9.9.9",fail2ban="1.0.2",host="web1"} 1`,
			"# TYPE f2b_jail_banned_total gauge", `banscope_build_info{fail2ban="1.0.2",goversion="go`,
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("%s: no %q in\n%s", names, want, body)
			}
		}
		if has := strings.Contains(string(body), "banscope_jail_banned{"); has != (names == "both") {
			t.Errorf("%s: banscope's own names served: %v", names, has)
		}
	}
}

// The first interval's rates are over the time since the start: a stream
// read to its end in a moment reports its real speed, not its lines over
// a whole --interval.
func TestFirstIntervalRates(t *testing.T) {
	var in bytes.Buffer
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&in, "Nov 27 06:00:10 web1 sshd[%d]: Failed password for root from 203.0.113.%d port 22 ssh2\n", 4000+i, i%200)
	}
	var out syncBuf
	began := time.Now()
	err := Run(context.Background(), Config{AuthLog: "-", Stdin: &in, Interval: time.Hour, Host: "web1", Location: time.UTC, Out: &out,
		Jails: []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 5, FindTime: 600, BanTime: 600}, Filter: filter.Spec{Name: "sshd"}}}})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(began).Seconds()
	var rate float64 = -1
	for _, p := range decodeLP(t, []byte(out.b.String())) {
		if p.measurement == "banscope_log" {
			for _, f := range p.fields {
				if f.key == "lines_per_second" {
					rate = f.v.FloatV()
				}
			}
		}
	}
	if rate < 3000/took {
		t.Fatalf("lines_per_second %v; 3000 lines were read in %.3f s", rate, took)
	}
}
