package live

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/authgen"
	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/output"
	"github.com/banscope/banscope/internal/replay"
	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// backfillRun replays about 50 minutes of generated traffic with the
// line-protocol back-fill at one point per minute.
func backfillRun(t *testing.T) (*replay.Result, []byte) {
	t.Helper()
	cfg := authgen.Default()
	cfg.Seed, cfg.Lines, cfg.Rate, cfg.Host = 11, 3000, 1, "web1"
	cfg.Start = time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Hour) // inside the servers' retention
	var b bytes.Buffer
	if err := authgen.Generate(&b, cfg); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "auth.log")
	os.WriteFile(f, b.Bytes(), 0o644)
	now := time.Now()
	os.Chtimes(f, now, now)
	var out bytes.Buffer
	bf := replay.NewBackfill(&out, time.Minute, nil)
	res, err := replay.Run(replay.Config{Files: []string{f}, Location: time.UTC, Now: now, Hooks: bf, HostOf: func(string) string { return "web1" },
		Jails: []engine.Jail{{Settings: jailsim.Settings{Name: "sshd", MaxRetry: 3, FindTime: 600, BanTime: 300}, Filter: filter.Spec{Name: "sshd"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if bf.Err() != nil {
		t.Fatal(bf.Err())
	}
	return res, out.Bytes()
}

type lpPoint struct {
	measurement string
	tags        map[string]string
	fields      []lpField // in the order written
	t           time.Time
}

type lpField struct {
	key string
	v   lineprotocol.Value
}

// int returns an integer field (0 when absent).
func (p lpPoint) int(key string) int64 {
	for _, f := range p.fields {
		if f.key == key && f.v.Kind() == lineprotocol.Int {
			return f.v.IntV()
		}
	}
	return 0
}

func decodeLP(t *testing.T, b []byte) []lpPoint {
	dec := lineprotocol.NewDecoderWithBytes(b)
	var out []lpPoint
	for dec.Next() {
		m, err := dec.Measurement()
		if err != nil {
			t.Fatal(err)
		}
		p := lpPoint{measurement: string(m), tags: map[string]string{}}
		for {
			k, v, err := dec.NextTag()
			if err != nil {
				t.Fatal(err)
			}
			if k == nil {
				break
			}
			p.tags[string(k)] = string(v)
		}
		for {
			k, v, err := dec.NextField()
			if err != nil {
				t.Fatal(err)
			}
			if k == nil {
				break
			}
			p.fields = append(p.fields, lpField{string(k), v})
		}
		if p.t, err = dec.Time(lineprotocol.Nanosecond, time.Time{}); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// The back-fill writes the sidecar's measurements once per step of log
// time, quiet steps included, and its totals are the replay's.
func TestBackfillPoints(t *testing.T) {
	res, lp := backfillRun(t)
	h := res.Hosts[0]
	st := h.Jails[0].Status
	pts := decodeLP(t, lp)
	var f2b, jail []lpPoint
	for _, p := range pts {
		switch p.measurement {
		case output.MFail2ban:
			f2b = append(f2b, p)
		case output.MJail:
			jail = append(jail, p)
		}
	}
	first := time.Unix(0, h.First).Truncate(time.Minute).Add(time.Minute)
	last := time.Unix(0, h.Last).Truncate(time.Minute).Add(time.Minute)
	want := int(last.Sub(first)/time.Minute) + 1
	if len(f2b) != want || len(jail) != want {
		t.Fatalf("%d fail2ban and %d banscope_jail points, want one per minute from %v to %v: %d", len(f2b), len(jail), first, last, want)
	}
	var failures, bans int64
	for i, p := range jail {
		if !p.t.Equal(first.Add(time.Duration(i) * time.Minute)) {
			t.Fatalf("point %d at %v, want %v", i, p.t, first.Add(time.Duration(i)*time.Minute))
		}
		if p.tags["host"] != "web1" || p.tags["jail"] != "sshd" {
			t.Fatalf("tags %v", p.tags)
		}
		failures += p.int("failures")
		bans += p.int("bans")
	}
	end := jail[len(jail)-1]
	if failures != st.TotalFailed || bans != st.TotalBanned || end.int("failed_total") != st.TotalFailed || end.int("banned_total") != st.TotalBanned {
		t.Errorf("per-step failures sum %d, bans %d, last totals %v; the replay: failed %d banned %d", failures, bans, end.fields, st.TotalFailed, st.TotalBanned)
	}
	if got := f2b[len(f2b)-1].int("banned"); got != int64(st.CurrentlyBanned) {
		t.Errorf("last banned %d, replay %d", got, st.CurrentlyBanned)
	}
	t.Logf("%d steps, %d failures, %d bans", want, failures, bans)
}

// The back-fill lands in a real InfluxDB and a real VictoriaMetrics with
// its historical times; querying back gives the replay's numbers.
func TestBackfillIntoServers(t *testing.T) {
	res, lp := backfillRun(t)
	st := res.Hosts[0].Jails[0].Status
	steps := strings.Count(string(lp), output.MFail2ban+",")
	dir := t.TempDir()

	base, _, query := startInfluxDB(t, dir)
	query("", "CREATE DATABASE backfill")
	r, err := http.Post(base+"/write?db=backfill&precision=ns", "text/plain", bytes.NewReader(lp))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 204 {
		t.Fatalf("influxdb write: %s %s", r.Status, body)
	}
	got := query("backfill", `SELECT count("failed"), sum("failures") FROM "fail2ban", "banscope_jail" WHERE time > 0`)
	var doc struct {
		Results []struct {
			Series []struct {
				Name   string
				Values [][]any
			}
		}
	}
	json.Unmarshal([]byte(got), &doc)
	vals := map[string]string{}
	for _, r := range doc.Results {
		for _, s := range r.Series {
			vals[s.Name] = fmt.Sprint(s.Values[0][1:])
		}
	}
	if want := fmt.Sprintf("[%d <nil>]", steps); vals["fail2ban"] != want {
		t.Errorf("InfluxDB fail2ban count: %s, want %s (%s)", vals["fail2ban"], want, got)
	}
	if want := fmt.Sprintf("[<nil> %d]", st.TotalFailed); vals["banscope_jail"] != want {
		t.Errorf("InfluxDB banscope_jail failures: %s, want %s (%s)", vals["banscope_jail"], want, got)
	}

	vbase, _ := startVictoriaMetrics(t, dir)
	r, err = http.Post(vbase+"/write?precision=ns", "text/plain", bytes.NewReader(lp))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode/100 != 2 {
		t.Fatalf("victoria-metrics write: %s", r.Status)
	}
	var n int
	var sum float64
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		http.Get(vbase + "/internal/force_flush")
		r, err := http.Get(vbase + "/api/v1/export?" + url.Values{"match[]": {`banscope_jail_failures{jail="sshd",host="web1"}`}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		n, sum = 0, 0
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var row struct{ Values []float64 }
			if json.Unmarshal([]byte(l), &row) == nil {
				n += len(row.Values)
				for _, v := range row.Values {
					sum += v
				}
			}
		}
		if n >= steps {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n != steps || int64(sum) != st.TotalFailed {
		t.Errorf("VictoriaMetrics holds %d points summing to %.0f failures; wrote %d steps, the replay counted %d", n, sum, steps, st.TotalFailed)
	}
	t.Logf("%d steps back-filled into InfluxDB and VictoriaMetrics, %d failures", steps, st.TotalFailed)
}
