package dashboard

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite deploy/grafana from the panels")

const dir = "../../deploy/grafana"

// The shipped dashboards are this package's output: a changed panel that
// was not regenerated fails here.
func TestShipped(t *testing.T) {
	for _, p := range Paths {
		want := Build(p)
		file := filepath.Join(dir, p.File)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		have, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(have, want) {
			t.Errorf("%s is not what the panels build: run go test ./internal/dashboard -update", file)
		}
	}
}

// Every panel has what Grafana users expect of a shipped dashboard: an id
// (the same on every path), a unit, a description; PromQL ranges follow
// the scrape interval ($__rate_interval) or the period ($__range), never a
// fixed window; InfluxQL groups by $__interval and honours the time picker.
func TestPanels(t *testing.T) {
	rangeRe := regexp.MustCompile(`\[[^\]]*\]`)
	for _, p := range Paths {
		var d struct {
			UID    string
			Panels []struct {
				ID          int
				Title, Type string
				Description string
				GridPos     struct{ X, Y, W, H int }
				FieldConfig struct{ Defaults struct{ Unit string } }
				Datasource  struct{ Type, UID string }
				Targets     []struct {
					RefID       string
					Expr, Query string
				}
			}
		}
		if err := json.Unmarshal(Build(p), &d); err != nil {
			t.Fatal(err)
		}
		ids := map[int]bool{}
		cells := map[[2]int]bool{}
		for _, pl := range d.Panels {
			if pl.ID == 0 || ids[pl.ID] {
				t.Errorf("%s: %q has id %d, not a unique one", p.Name, pl.Title, pl.ID)
			}
			ids[pl.ID] = true
			if Panels[pl.ID-1].Title != pl.Title {
				t.Errorf("%s: id %d is %q, on other paths %q", p.Name, pl.ID, pl.Title, Panels[pl.ID-1].Title)
			}
			if pl.FieldConfig.Defaults.Unit == "" || len(pl.Description) < 40 || pl.Datasource.UID != "${datasource}" || pl.Datasource.Type != p.DSType {
				t.Errorf("%s: %q lacks a unit, a description or the data source variable", p.Name, pl.Title)
			}
			at := [2]int{pl.GridPos.X, pl.GridPos.Y}
			if cells[at] || pl.GridPos.W == 0 {
				t.Errorf("%s: %q overlaps another panel at %v", p.Name, pl.Title, at)
			}
			cells[at] = true
			if len(pl.Targets) == 0 {
				t.Errorf("%s: %q has no query", p.Name, pl.Title)
			}
			for _, tg := range pl.Targets {
				q := tg.Expr + tg.Query
				if p.DSType == "influxdb" {
					if !strings.Contains(q, "$timeFilter") || !strings.Contains(q, `"host" =~ /^$host$/`) {
						t.Errorf("%s: %q: %s ignores the time picker or the host", p.Name, pl.Title, q)
					}
					if strings.Contains(q, "GROUP BY time(") && !strings.Contains(q, "GROUP BY time($__interval)") {
						t.Errorf("%s: %q: %s groups by a fixed interval", p.Name, pl.Title, q)
					}
					continue
				}
				if !strings.Contains(q, `host=~"$host"`) {
					t.Errorf("%s: %q: %s ignores the host variable", p.Name, pl.Title, q)
				}
				for _, r := range rangeRe.FindAllString(q, -1) {
					if r != "[$__rate_interval]" && r != "[$__range]" {
						t.Errorf("%s: %q: %s uses a fixed range %s", p.Name, pl.Title, q, r)
					}
				}
			}
		}
		if len(d.Panels) < 10 {
			t.Errorf("%s: %d panels", p.Name, len(d.Panels))
		}
	}
}
