package live

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/output/influxpush"
)

// Tests against real servers from Debian's packages (influxdb,
// victoria-metrics, prometheus), started here on 127.0.0.1 and stopped.

func needServer(t *testing.T, bin string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err == nil {
		return p
	}
	if os.Getenv("BANSCOPE_REQUIRE_SERVERS") != "" {
		t.Fatalf("%s is not installed", bin)
	}
	t.Skipf("%s is not installed (apt-get install %s); set BANSCOPE_REQUIRE_SERVERS=1 to make this an error", bin, bin)
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// server is a child process, stopped by its PID at the end of the test.
type server struct {
	t    *testing.T
	args []string
	cmd  *exec.Cmd
	log  *os.File
}

func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.args[0], s.args[1:]...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

func startServer(t *testing.T, dir string, args ...string) *server {
	t.Helper()
	log, err := os.Create(filepath.Join(dir, filepath.Base(args[0])+".log"))
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, args: args, log: log}
	s.start()
	t.Cleanup(func() { s.stop(); log.Close() })
	return s
}

func waitHTTP(t *testing.T, u string, ok func(*http.Response) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(u); err == nil {
			good := ok(r)
			r.Body.Close()
			if good {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not come up", u)
}

func statusIs(codes ...int) func(*http.Response) bool {
	return func(r *http.Response) bool {
		for _, c := range codes {
			if r.StatusCode == c {
				return true
			}
		}
		return false
	}
}

// sidecarRun runs a sidecar on a log with a steady trickle of failures.
type sidecarRun struct {
	out    syncBuf
	cancel context.CancelFunc
	done   chan error
	path   string
}

func startSidecar(t *testing.T, dir string, cfg Config) *sidecarRun {
	t.Helper()
	r := &sidecarRun{path: filepath.Join(dir, "auth.log"), done: make(chan error, 1)}
	appendFailures(t, r.path, "203.0.113.9", 2)
	cfg.AuthLog, cfg.Host, cfg.Location, cfg.Out = r.path, "web1", time.UTC, &r.out
	if cfg.Interval == 0 {
		cfg.Interval = 200 * time.Millisecond
	}
	cfg.Jails = []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 50, FindTime: 3600, BanTime: 3600}, Filter: filter.Spec{Name: "sshd"}}}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- Run(ctx, cfg) }()
	return r
}

func (r *sidecarRun) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	if err := <-r.done; err != nil {
		t.Fatalf("sidecar: %v", err)
	}
}

// emitted returns the timestamps of the fail2ban points written.
func (r *sidecarRun) emitted() []string {
	r.out.mu.Lock()
	defer r.out.mu.Unlock()
	var ts []string
	for _, l := range strings.Split(strings.TrimSpace(r.out.b.String()), "\n") {
		if strings.HasPrefix(l, "fail2ban,") {
			f := strings.Fields(l)
			ts = append(ts, f[len(f)-1])
		}
	}
	return ts
}

// An outage of InfluxDB loses no point: batches wait in the spool and are
// sent in order when the server returns.
// startInfluxDB starts influxd on loopback; query runs InfluxQL on db.
func startInfluxDB(t *testing.T, dir string) (base string, srv *server, query func(db, q string) string) {
	influxd := needServer(t, "influxd")
	port, rpc := freePort(t), freePort(t)
	conf := filepath.Join(dir, "influxdb.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%d"
[meta]
  dir = "%s/meta"
[data]
  dir = "%s/data"
  wal-dir = "%s/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:%d"
  log-enabled = false
[monitor]
  store-enabled = false
`, rpc, dir, dir, dir, port)), 0o644)
	srv = startServer(t, dir, influxd, "-config", conf)
	base = fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, base+"/ping", statusIs(204))
	query = func(db, q string) string {
		r, err := http.PostForm(base+"/query", url.Values{"q": {q}, "db": {db}})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return string(b)
	}
	return base, srv, query
}

// startVictoriaMetrics starts victoria-metrics on loopback.
func startVictoriaMetrics(t *testing.T, dir string) (base string, srv *server) {
	vm := needServer(t, "victoria-metrics")
	port := freePort(t)
	args := []string{vm, "-storageDataPath", filepath.Join(dir, "vm"), "-httpListenAddr", fmt.Sprintf("127.0.0.1:%d", port), "-loggerLevel", "ERROR",
		// queries see what was just written, as the tests need
		"-search.latencyOffset", "0s", "-search.disableCache"}
	srv = startServer(t, dir, args...)
	base = fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, base+"/health", statusIs(200))
	return base, srv
}

func TestInfluxDBv1Outage(t *testing.T) {
	dir := t.TempDir()
	base, srv, q := startInfluxDB(t, dir)
	influxd, _ := exec.LookPath("influxd")
	query := func(s string) string { return q("banscope", s) }
	query("CREATE DATABASE banscope")

	run := startSidecar(t, dir, Config{Influx: influxpush.Config{URL: base, DB: "banscope", Spool: filepath.Join(dir, "spool")}})
	time.Sleep(time.Second)
	srv.stop() // the outage
	appendFailures(t, run.path, "203.0.113.9", 3)
	time.Sleep(1500 * time.Millisecond)
	srv.start()
	waitHTTP(t, base+"/ping", statusIs(204))
	time.Sleep(1500 * time.Millisecond)
	run.stop(t)
	sent := run.emitted()
	deadline := time.Now().Add(20 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		got = query(`SELECT count("failed") FROM "fail2ban"`)
		if strings.Contains(got, fmt.Sprintf(`,%d]`, len(sent))) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(got, fmt.Sprintf(`,%d]`, len(sent))) {
		t.Fatalf("InfluxDB holds %s, banscope wrote %d points", got, len(sent))
	}
	last := query(`SELECT last("failed") FROM "fail2ban" WHERE "jail"='sshd'`)
	if !strings.Contains(last, `,1]`) {
		t.Errorf("last failed: %s", last)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "spool"))
	if len(ents) != 0 {
		t.Errorf("%d batches left in the spool", len(ents))
	}
	t.Logf("%d fail2ban points written across an outage of InfluxDB %s, all stored", len(sent), strings.TrimSpace(versionOf(influxd)))
}

// A missing InfluxDB 1.x database is created at the first push, as
// Telegraf's output creates it (unless told not to): no point waits in the
// spool for an operator to create it.
func TestInfluxDBv1CreatesDatabase(t *testing.T) {
	dir := t.TempDir()
	base, _, q := startInfluxDB(t, dir)
	run := startSidecar(t, dir, Config{Influx: influxpush.Config{URL: base, DB: "fresh"}})
	deadline := time.Now().Add(20 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		got = q("fresh", `SELECT count("failed") FROM "fail2ban"`)
		if strings.Contains(got, `"values"`) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	run.stop(t)
	if !strings.Contains(got, `"values"`) {
		t.Fatalf("no points in the database banscope should have created: %s", got)
	}
	if dbs := q("", "SHOW DATABASES"); !strings.Contains(dbs, `"fresh"`) {
		t.Errorf("databases: %s", dbs)
	}
}

func versionOf(bin string) string {
	out, _ := exec.Command(bin, "version").CombinedOutput()
	return string(out)
}

// The v2 write API against VictoriaMetrics, across an outage: every point
// stored exactly once (VictoriaMetrics, unlike InfluxDB 1.x, would keep a
// duplicate).
func TestVictoriaMetricsV2Outage(t *testing.T) {
	dir := t.TempDir()
	base, srv := startVictoriaMetrics(t, dir)
	run := startSidecar(t, dir, Config{Influx: influxpush.Config{URL: base, Org: "banscope", Bucket: "banscope", Token: "secret", Spool: filepath.Join(dir, "spool")}})
	time.Sleep(time.Second)
	srv.stop()
	appendFailures(t, run.path, "203.0.113.9", 3)
	time.Sleep(1500 * time.Millisecond)
	srv.start()
	waitHTTP(t, base+"/health", statusIs(200))
	time.Sleep(1500 * time.Millisecond)
	run.stop(t)
	sent := run.emitted()
	var stamps []int64
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		http.Get(base + "/internal/force_flush")
		r, err := http.Get(base + "/api/v1/export?" + url.Values{"match[]": {`fail2ban_failed{jail="sshd",host="web1"}`}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		stamps = nil
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var row struct{ Timestamps []int64 }
			if json.Unmarshal([]byte(l), &row) == nil {
				stamps = append(stamps, row.Timestamps...)
			}
		}
		if len(stamps) >= len(sent) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	seen := map[int64]bool{}
	for _, s := range stamps {
		if seen[s] {
			t.Errorf("duplicate point at %d", s)
		}
		seen[s] = true
	}
	if len(stamps) != len(sent) {
		t.Fatalf("VictoriaMetrics holds %d points, banscope wrote %d", len(stamps), len(sent))
	}
	t.Logf("%d fail2ban points through /api/v2/write across an outage, each stored once", len(sent))
}

// startPrometheus starts prometheus on loopback, scraping target every
// second, and returns its base URL once it is ready.
func startPrometheus(t *testing.T, prom, dir, target string) string {
	t.Helper()
	port := freePort(t)
	conf := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(conf, []byte(fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: banscope\n    static_configs:\n      - targets: ['%s']\n", target)), 0o644)
	startServer(t, dir, prom, "--config.file="+conf, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=error")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, base+"/-/ready", statusIs(200))
	return base
}

// A real Prometheus scrapes /metrics; its query API returns our numbers.
func TestPrometheusScrape(t *testing.T) {
	prom := needServer(t, "prometheus")
	dir := t.TempDir()
	ready := make(chan string, 1)
	run := startSidecar(t, dir, Config{Listen: "127.0.0.1:0", Ready: ready})
	defer run.stop(t)
	addr := <-ready
	waitHTTP(t, "http://"+addr+"/healthz", statusIs(200))
	base := startPrometheus(t, prom, dir, addr)
	appendFailures(t, run.path, "198.51.100.7", 3)
	deadline := time.Now().Add(30 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		r, err := http.Get(base + "/api/v1/query?" + url.Values{"query": {`banscope_jail_failed_total{jail="sshd"}`}}.Encode())
		if err == nil {
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			got = string(b)
			if strings.Contains(got, `"5"]`) {
				break
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	if !strings.Contains(got, `"5"]`) || !strings.Contains(got, `"host":"web1"`) {
		t.Fatalf("Prometheus answered %s", got)
	}
	r, err := http.Get(base + "/api/v1/query?" + url.Values{"query": {`banscope_jail_failed{jail="sshd"}`}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(b), `"2"]`) {
		t.Errorf("currently failed: %s", b)
	}
}
