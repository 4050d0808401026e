package live

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/dashboard"
	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/output/influxpush"
)

// Every query of every shipped Grafana dashboard, run against the real
// server its path feeds (a Prometheus scraping /metrics, a VictoriaMetrics
// and an InfluxDB 1.x receiving the pushed line protocol), with the
// variables Grafana would fill in: each answers without error, with series
// for host web1, and the panels that carry fail2ban's numbers show them.
func TestDashboardQueries(t *testing.T) {
	dir := t.TempDir()
	influxBase, _, influxDB := startInfluxDB(t, dir)
	influxQL := func(q string) string { return influxDB("banscope", q) }
	vmBase, _ := startVictoriaMetrics(t, dir)

	auth, f2b := filepath.Join(dir, "auth.log"), filepath.Join(dir, "fail2ban.log")
	appendFailures(t, auth, "10.0.0.5", 1) // private: country ZZ, still failed at the end
	if err := os.WriteFile(f2b, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := geo.Open("", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var done []chan error
	sidecar := func(cfg Config) {
		cfg.AuthLog, cfg.Fail2banLog, cfg.Geo, cfg.Host, cfg.Location = auth, f2b, g, "web1", time.UTC
		cfg.Interval, cfg.Out, cfg.Version = 200*time.Millisecond, io.Discard, "v0.0.0-test"
		cfg.Jails = []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 3, FindTime: 3600, BanTime: 3600}, Filter: filter.Spec{Name: "sshd"}}}
		ch := make(chan error, 1)
		done = append(done, ch)
		go func() { ch <- Run(ctx, cfg) }()
	}
	t.Cleanup(func() {
		cancel()
		for _, ch := range done {
			if err := <-ch; err != nil {
				t.Errorf("sidecar: %v", err)
			}
		}
	})
	// One sidecar serves /metrics and pushes to InfluxDB 1.x (so the
	// push-health panels have numbers); the other pushes to VictoriaMetrics.
	ready := make(chan string, 1)
	sidecar(Config{Listen: "127.0.0.1:0", Ready: ready, State: filepath.Join(dir, "state.json"),
		Influx: influxpush.Config{URL: influxBase, DB: "banscope"}})
	sidecar(Config{Influx: influxpush.Config{URL: vmBase, Org: "banscope", Bucket: "banscope", Token: "secret"}})
	addr := <-ready

	promBase := startPrometheus(t, needServer(t, "prometheus"), dir, addr)

	start := time.Now().Add(-5 * time.Second)
	// a few scrapes before the attack, so rates have a before
	waitValue(t, "Prometheus scrapes", func() (float64, bool) {
		return instantValue(t, promBase, `count_over_time(banscope_jail_failed_total{host="web1"}[1m])`)
	}, func(v float64) bool { return v >= 3 })

	appendFailures(t, auth, "8.8.8.8", 3) // maxretry: banned
	now := time.Now().UTC().Format("2006-01-02 15:04:05,000")
	if err := os.WriteFile(f2b, []byte(now+" fail2ban.actions        [1]: NOTICE  [sshd] Ban 8.8.8.8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	one := func(v float64) bool { return v == 1 }
	waitValue(t, "Prometheus's banned", func() (float64, bool) {
		return instantValue(t, promBase, `banscope_jail_banned{host="web1"}`)
	}, one)
	waitValue(t, "VictoriaMetrics's banned", func() (float64, bool) {
		http.Get(vmBase + "/internal/force_flush")
		return instantValue(t, vmBase, `fail2ban_banned{host="web1"}`)
	}, one)
	waitValue(t, "InfluxDB's banned", func() (float64, bool) {
		s := influxSeries(t, influxQL(`SELECT last("banned") FROM "fail2ban" WHERE "host" = 'web1'`))
		if len(s) != 1 {
			return 0, false
		}
		return s[0].last()
	}, one)
	// more scrapes after the ban, so the rates' windows hold it
	mark, _ := instantValue(t, promBase, `count_over_time(banscope_jail_failed_total{host="web1"}[1m])`)
	waitValue(t, "Prometheus scrapes after the ban", func() (float64, bool) {
		return instantValue(t, promBase, `count_over_time(banscope_jail_failed_total{host="web1"}[1m])`)
	}, func(v float64) bool { return v >= mark+4 })
	http.Get(vmBase + "/internal/force_flush")
	end := time.Now()

	// What the panels carrying fail2ban's numbers must show: the last value
	// of the first query, or (rates, whose windows move on) its largest.
	lastIs := map[string]float64{
		"Currently banned": 1, "Currently failed": 1, "fail2ban.log beside the simulation": 1, "Currently banned by country": 1,
	}
	positive := map[string]bool{
		"Failures per minute": true, "Bans and unbans per hour": true, "Failures by message kind, per minute": true,
		"Failures by country, in the period": true, "Log growth": true, "Lines read, matched and malformed": true,
	}
	queries := 0
	for _, p := range dashboard.Paths {
		var d struct {
			Templating struct {
				List []struct{ Name, Query string }
			}
			Panels []struct {
				Title   string
				Targets []struct {
					Expr, Query string
					Instant     bool
					ResultFmt   string `json:"resultFormat"`
				}
			}
		}
		b, err := os.ReadFile(filepath.Join("../../deploy/grafana", p.File))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		base := map[string]string{"prometheus": promBase, "victoriametrics": vmBase}[p.Name]
		// The host variable lists web1.
		for _, v := range d.Templating.List {
			if v.Name != "host" {
				continue
			}
			var got string
			if p.DSType == "influxdb" {
				got = influxQL(v.Query)
			} else {
				metric := strings.TrimSuffix(strings.TrimPrefix(v.Query, "label_values("), ", host)")
				got = httpGet(t, base+"/api/v1/label/host/values?"+url.Values{"match[]": {metric}}.Encode())
			}
			if !strings.Contains(got, `"web1"`) {
				t.Errorf("%s: the host variable's query %s lists %s", p.Name, v.Query, got)
			}
		}
		for _, pl := range d.Panels {
			for i, tg := range pl.Targets {
				queries++
				var series []seriesOf
				if p.DSType == "influxdb" {
					q := strings.NewReplacer("$timeFilter", fmt.Sprintf("time >= %dms and time <= %dms", start.UnixMilli(), end.UnixMilli()),
						"$__interval", "1s", "$host", "web1").Replace(tg.Query)
					series = influxSeries(t, influxQL(q))
				} else {
					q := strings.NewReplacer("$__rate_interval", "4s", "$__range", fmt.Sprintf("%ds", int(end.Sub(start).Seconds())+1),
						"$host", "web1").Replace(tg.Expr)
					series = promSeries(t, base, q, tg.Instant, start, end)
				}
				where := fmt.Sprintf("%s: %q query %c", p.Name, pl.Title, 'A'+i)
				if len(series) == 0 {
					t.Errorf("%s: no series", where)
					continue
				}
				for _, s := range series {
					if h, ok := s.labels["host"]; ok && h != "web1" {
						t.Errorf("%s: a series of host %q", where, h)
					}
				}
				if i > 0 {
					continue
				}
				if want, ok := lastIs[pl.Title]; ok {
					if v, ok := series[0].last(); !ok || v != want {
						t.Errorf("%s: last value %v, want %v (%v)", where, v, want, series[0])
					}
				}
				if positive[pl.Title] {
					max := math.Inf(-1)
					for _, s := range series {
						for _, v := range s.values {
							max = math.Max(max, v)
						}
					}
					if !(max > 0) {
						t.Errorf("%s: never above 0 (%v)", where, series)
					}
				}
			}
		}
	}
	t.Logf("%d dashboard queries answered by Prometheus, VictoriaMetrics and InfluxDB", queries)
}

// seriesOf is one series of a query's answer: its labels (tags) and its
// values in time order.
type seriesOf struct {
	labels map[string]string
	values []float64
}

func (s seriesOf) last() (float64, bool) {
	if len(s.values) == 0 {
		return 0, false
	}
	return s.values[len(s.values)-1], true
}

func httpGet(t *testing.T, u string) string {
	t.Helper()
	r, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// promSeries runs a PromQL/MetricsQL query as Grafana does: over the
// period in 1 s steps, or at its end.
func promSeries(t *testing.T, base, q string, instant bool, start, end time.Time) []seriesOf {
	t.Helper()
	var u string
	if instant {
		u = base + "/api/v1/query?" + url.Values{"query": {q}, "time": {strconv.FormatInt(end.Unix(), 10)}}.Encode()
	} else {
		u = base + "/api/v1/query_range?" + url.Values{"query": {q}, "start": {strconv.FormatInt(start.Unix(), 10)},
			"end": {strconv.FormatInt(end.Unix(), 10)}, "step": {"1"}}.Encode()
	}
	body := httpGet(t, u)
	var a struct {
		Status, Error string
		Warnings      []string
		Data          struct {
			Result []struct {
				Metric map[string]string
				Value  []any
				Values [][]any
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil || a.Status != "success" || len(a.Warnings) > 0 {
		t.Errorf("%s: %s", q, body)
		return nil
	}
	var out []seriesOf
	for _, r := range a.Data.Result {
		s := seriesOf{labels: r.Metric}
		points := r.Values
		if r.Value != nil {
			points = [][]any{r.Value}
		}
		for _, p := range points {
			v, err := strconv.ParseFloat(fmt.Sprint(p[1]), 64)
			if err != nil {
				t.Errorf("%s: value %v", q, p[1])
			}
			s.values = append(s.values, v)
		}
		out = append(out, s)
	}
	return out
}

// instantValue is the first series' value of an instant query now.
func instantValue(t *testing.T, base, q string) (float64, bool) {
	t.Helper()
	s := promSeries(t, base, q, true, time.Time{}, time.Now())
	if len(s) == 0 {
		return 0, false
	}
	return s[0].last()
}

// influxSeries reads an InfluxQL answer; a statement's error fails the
// test. A value column other than time is a series' values (top's country
// column and the like are labels).
func influxSeries(t *testing.T, body string) []seriesOf {
	t.Helper()
	var a struct {
		Results []struct {
			Error  string
			Series []struct {
				Tags    map[string]string
				Columns []string
				Values  [][]any
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil || len(a.Results) == 0 || a.Results[0].Error != "" {
		t.Errorf("InfluxDB answered %s", body)
		return nil
	}
	var out []seriesOf
	for _, r := range a.Results[0].Series {
		for c := 1; c < len(r.Columns); c++ {
			s := seriesOf{labels: map[string]string{}}
			for k, v := range r.Tags {
				s.labels[k] = v
			}
			numeric := false
			for _, row := range r.Values {
				if v, ok := row[c].(float64); ok {
					s.values = append(s.values, v)
					numeric = true
				}
			}
			if numeric {
				out = append(out, s)
			}
		}
	}
	return out
}

// waitValue waits (on a busy machine too) until get's value passes ok.
func waitValue(t *testing.T, what string, get func() (float64, bool), ok func(float64) bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var v float64
	var have bool
	for time.Now().Before(deadline) {
		if v, have = get(); have && ok(v) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: %v (have %v) after a minute", what, v, have)
}
