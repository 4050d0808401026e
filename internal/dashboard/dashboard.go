// Package dashboard builds the Grafana dashboards shipped in
// deploy/grafana, one per way banscope's numbers reach a database:
//
//   - prometheus: a Prometheus server scraping `banscope run`'s /metrics
//     (names as in internal/output/schema.go);
//   - victoriametrics: line protocol pushed into VictoriaMetrics, which
//     names a series measurement_field (fail2ban_banned,
//     banscope_jail_failed_total, …);
//   - influxdb: line protocol in InfluxDB 1.x, queried with InfluxQL.
//
// Each panel is written once with a query for each path, so the three
// dashboards keep the same panels, ids, units and descriptions; a panel
// whose numbers a path does not carry (the push health, which only
// /metrics serves) is left out of that path's dashboard and keeps its id
// in the others. The files are regenerated with
// `go test ./internal/dashboard -update`; internal/live's tests run every
// query of every shipped dashboard against the real server its path
// feeds.
package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/banscope/banscope/internal/misses"
)

// Path is one way into a database and its dashboard.
type Path struct {
	Name  string // prometheus, victoriametrics, influxdb
	File  string // under deploy/grafana
	Title string
	// DSType is the Grafana data source type (prometheus serves
	// VictoriaMetrics too).
	DSType string
	// Hosts lists the host variable's values.
	Hosts string
}

// Paths are the three dashboards.
var Paths = []Path{
	{"prometheus", "banscope-prometheus.json", "banscope — fail2ban from the logs (Prometheus)", "prometheus", `label_values(banscope_jail_banned, host)`},
	{"victoriametrics", "banscope-victoriametrics.json", "banscope — fail2ban from the logs (VictoriaMetrics, pushed)", "prometheus", `label_values(fail2ban_banned, host)`},
	{"influxdb", "banscope-influxdb.json", "banscope — fail2ban from the logs (InfluxDB 1.x)", "influxdb", `SHOW TAG VALUES FROM "fail2ban" WITH KEY = "host"`},
}

// Query is one target: PromQL/MetricsQL or InfluxQL, and its legend.
// Instant queries (bar gauges, tables) ask for one value per series at the
// end of the period.
type Query struct {
	Expr, Legend string
	Instant      bool
}

// Panel is one panel in every dashboard whose path has queries for it.
type Panel struct {
	Title, Description string
	Type               string // timeseries, bargauge, table
	Unit               string // Grafana unit id
	Queries            map[string][]Query
}

// host selects the dashboard's hosts in PromQL; influxHost and the time
// filter in InfluxQL, with the $__interval grouping Grafana fills in.
const (
	host       = `host=~"$host"`
	influxHost = `"host" =~ /^$host$/ AND $timeFilter`
	byTime     = `GROUP BY time($__interval)`
)

func prom(expr, legend string) Query    { return Query{Expr: expr, Legend: legend} }
func instant(expr, legend string) Query { return Query{Expr: expr, Legend: legend, Instant: true} }

// last is a gauge field's last value per interval, per host and jail.
func last(field, measurement, tags, alias string) Query {
	return Query{Expr: fmt.Sprintf(`SELECT last(%q) FROM %q WHERE %s %s, %s fill(none)`, field, measurement, influxHost, byTime, tags), Legend: alias}
}

// perUnit is a counter field's increase per unit (1s, 1m, 1h), per host
// and the tags.
func perUnit(field, measurement, unit, tags, alias string) Query {
	return Query{Expr: fmt.Sprintf(`SELECT non_negative_derivative(last(%q), %s) FROM %q WHERE %s %s, %s fill(none)`, field, unit, measurement, influxHost, byTime, tags), Legend: alias}
}

// rate is a PromQL counter's increase per second times mul, summed by the
// labels.
func rate(metric, by string, mul string) string {
	return fmt.Sprintf(`sum by (%s) (rate(%s{%s}[$__rate_interval]))%s`, by, metric, host, mul)
}

const (
	jailTags   = `"host", "jail"`
	hostJail   = `{{host}} {{jail}}`
	influxJail = `$tag_host $tag_jail`
)

// Panels are the dashboards' panels, in order; a panel's id is its place
// here, counted from 1.
var Panels = []Panel{
	{
		Title:       "Currently banned",
		Description: "Addresses each jail holds banned now: fail2ban-client status's \"Currently banned\", simulated from sshd's log. Each is one firewall rule; \"peak\" is the most at once since banscope began counting.",
		Type:        "timeseries", Unit: "short",
		Queries: map[string][]Query{
			"prometheus": {
				prom(`banscope_jail_banned{`+host+`}`, hostJail),
				prom(`banscope_jail_peak_banned{`+host+`}`, hostJail+` peak`),
			},
			"victoriametrics": {
				prom(`fail2ban_banned{`+host+`}`, hostJail),
				prom(`banscope_jail_peak_banned{`+host+`}`, hostJail+` peak`),
			},
			"influxdb": {
				last("banned", "fail2ban", jailTags, influxJail),
				last("peak_banned", "banscope_jail", jailTags, influxJail+" peak"),
			},
		},
	},
	{
		Title:       "Currently failed",
		Description: "Addresses with an open failure ticket (fail2ban-client status's \"Currently failed\"): they failed within findtime and are not banned yet.",
		Type:        "timeseries", Unit: "short",
		Queries: map[string][]Query{
			"prometheus":      {prom(`banscope_jail_failed{`+host+`}`, hostJail)},
			"victoriametrics": {prom(`fail2ban_failed{`+host+`}`, hostJail)},
			"influxdb":        {last("failed", "fail2ban", jailTags, influxJail)},
		},
	},
	{
		Title:       "Failures per minute",
		Description: "Failures each jail counted (the growth of \"Total failed\"), per minute: the brute-force traffic fail2ban sees.",
		Type:        "timeseries", Unit: "cpm",
		Queries: map[string][]Query{
			"prometheus":      {prom(rate("banscope_jail_failed_total", "host, jail", " * 60"), hostJail)},
			"victoriametrics": {prom(rate("banscope_jail_failed_total", "host, jail", " * 60"), hostJail)},
			"influxdb":        {perUnit("failed_total", "banscope_jail", "1m", jailTags, influxJail)},
		},
	},
	{
		Title:       "Bans and unbans per hour",
		Description: "Bans each jail made (the growth of \"Total banned\") and bans that ended, per hour.",
		Type:        "timeseries", Unit: "short",
		Queries: map[string][]Query{
			"prometheus": {
				prom(rate("banscope_jail_banned_total", "host, jail", " * 3600"), hostJail+` bans`),
				prom(rate("banscope_jail_unbans_total", "host, jail", " * 3600"), hostJail+` unbans`),
			},
			"victoriametrics": {
				prom(rate("banscope_jail_banned_total", "host, jail", " * 3600"), hostJail+` bans`),
				prom(rate("banscope_jail_unbans_total", "host, jail", " * 3600"), hostJail+` unbans`),
			},
			"influxdb": {
				perUnit("banned_total", "banscope_jail", "1h", jailTags, influxJail+" bans"),
				perUnit("unbans_total", "banscope_jail", "1h", jailTags, influxJail+" unbans"),
			},
		},
	},
	{
		Title:       "Failures by message kind, per minute",
		Description: "Failures by the sshd message that made them (the jail filter's failregex: failed password, invalid user, …), per minute, summed over the selected hosts and jails.",
		Type:        "timeseries", Unit: "cpm",
		Queries: map[string][]Query{
			"prometheus":      {prom(rate("banscope_failures_by_kind_total", "kind", " * 60"), `{{kind}}`)},
			"victoriametrics": {prom(rate("banscope_kind_failures_total", "kind", " * 60"), `{{kind}}`)},
			"influxdb": {{Expr: `SELECT sum("perminute") FROM (SELECT non_negative_derivative(last("failures_total"), 1m) AS "perminute" FROM "banscope_kind" WHERE ` + influxHost +
				` ` + byTime + `, "host", "jail", "kind") WHERE $timeFilter ` + byTime + `, "kind" fill(none)`, Legend: `$tag_kind`}},
		},
	},
	{
		Title:       "Failures by country, in the period",
		Description: "The ten countries whose addresses failed most in the selected period (ZZ: private, reserved or unknown addresses).",
		Type:        "bargauge", Unit: "short",
		Queries: map[string][]Query{
			// The total now minus the total at the period's start, taken
			// as 0 for a country first seen in the period: increase()
			// would miss a series' first value.
			"prometheus":      {instant(`topk(10, sum by (country) (banscope_country_failures_total{`+host+`} - (banscope_country_failures_total{`+host+`} offset $__range or banscope_country_failures_total{`+host+`} * 0)))`, `{{country}}`)},
			"victoriametrics": {instant(`topk(10, sum by (country) (increase(banscope_country_failures_total{`+host+`}[$__range])))`, `{{country}}`)},
			"influxdb": {{Expr: `SELECT top("failures", "country", 10) FROM (SELECT sum("failures") AS "failures" FROM "banscope_country" WHERE ` + influxHost +
				` GROUP BY "country")`, Legend: `$tag_country`, Instant: true}},
		},
	},
	{
		Title:       "Currently banned by country",
		Description: "Addresses banned now, by country, summed over the selected hosts and jails.",
		Type:        "bargauge", Unit: "short",
		Queries: map[string][]Query{
			"prometheus":      {instant(`sort_desc(sum by (country) (banscope_country_banned{`+host+`}) > 0)`, `{{country}}`)},
			"victoriametrics": {instant(`sort_desc(sum by (country) (banscope_country_banned{`+host+`}) > 0)`, `{{country}}`)},
			"influxdb": {{Expr: `SELECT sum("banned") FROM (SELECT last("banned") AS "banned" FROM "banscope_country" WHERE ` + influxHost +
				` GROUP BY "host", "jail", "country") WHERE "banned" > 0 GROUP BY "country"`, Legend: `$tag_country`, Instant: true}},
		},
	},
	{
		Title:       "fail2ban.log beside the simulation",
		Description: "Currently banned according to fail2ban's own log (--fail2ban-log), and that minus the simulation's number: a lasting difference means the simulated jail's settings differ from the real one's.",
		Type:        "timeseries", Unit: "short",
		Queries: map[string][]Query{
			"prometheus": {
				prom(`banscope_fail2ban_log_banned{`+host+`}`, hostJail+` fail2ban.log`),
				prom(`banscope_fail2ban_log_difference{`+host+`}`, hostJail+` difference`),
			},
			"victoriametrics": {
				prom(`banscope_f2blog_banned{`+host+`}`, hostJail+` fail2ban.log`),
				prom(`banscope_f2blog_difference{`+host+`}`, hostJail+` difference`),
			},
			"influxdb": {
				last("banned", "banscope_f2blog", jailTags, influxJail+" fail2ban.log"),
				last("difference", "banscope_f2blog", jailTags, influxJail+" difference"),
			},
		},
	},
	{
		Title:       "Log growth",
		Description: "Bytes per second read from the followed log (auth.log, or sshd's entries in the journal): how fast it grows.",
		Type:        "timeseries", Unit: "Bps",
		Queries: map[string][]Query{
			"prometheus":      {prom(rate("banscope_log_read_bytes_total", "host, file", ""), `{{host}} {{file}}`)},
			"victoriametrics": {prom(rate("banscope_log_bytes_total", "host, file", ""), `{{host}} {{file}}`)},
			"influxdb":        {perUnit("bytes_total", "banscope_log", "1s", `"host", "file"`, `$tag_host $tag_file`)},
		},
	},
	{
		Title:       "Lines read, matched and malformed",
		Description: "Lines per second read from the log, matched by a jail's failregex, and malformed (too long or cut by a truncation: skipped; no timestamp, invalid UTF-8 or NUL: parsed).",
		Type:        "timeseries", Unit: "cps",
		Queries: map[string][]Query{
			"prometheus": {
				prom(rate("banscope_log_read_lines_total", "host", ""), `{{host}} read`),
				prom(rate("banscope_parse_matched_total", "host", ""), `{{host}} matched`),
				prom(rate("banscope_parse_malformed_total", "host", ""), `{{host}} malformed`),
			},
			"victoriametrics": {
				prom(rate("banscope_log_lines_total", "host", ""), `{{host}} read`),
				prom(rate("banscope_parse_matched_total", "host", ""), `{{host}} matched`),
				prom(rate("banscope_parse_malformed_total", "host", ""), `{{host}} malformed`),
			},
			"influxdb": {
				perUnit("lines_total", "banscope_log", "1s", `"host"`, `$tag_host read`),
				perUnit("matched_total", "banscope_parse", "1s", `"host"`, `$tag_host matched`),
				perUnit("malformed_total", "banscope_parse", "1s", `"host"`, `$tag_host malformed`),
			},
		},
	},
	{
		Title:       "Connections sshd dropped itself, per minute",
		Description: "Connections OpenSSH (9.8 and later) dropped before any authentication fail2ban could count (PerSourcePenalties by reason, MaxStartups; *_unlogged: the counts in its rate-limited summaries). Never in fail2ban's numbers.",
		Type:        "timeseries", Unit: "cpm",
		Queries: map[string][]Query{
			"prometheus": {prom(rate("banscope_sshd_dropped_total", "host, reason", " * 60"), `{{host}} {{reason}}`)},
			// Line protocol gives each reason its own field, so its own
			// metric name: keep_metric_names keeps it through rate, and
			// label_replace makes it the reason label.
			"victoriametrics": {prom(`label_replace(rate({__name__=~"banscope_misses_dropped_.+_total", `+host+`}[$__rate_interval]) keep_metric_names, "reason", "$1", "__name__", "banscope_misses_dropped_(.+)_total") * 60`, `{{host}} {{reason}}`)},
			"influxdb":        {droppedPerMinute()},
		},
	},
	{
		Title:       "Failures the simulated fail2ban does not count, per minute",
		Description: "Failures the newest fail2ban release counts where the simulated one counts none (its filter's blind spots): what upgrading fail2ban would add to \"Total failed\".",
		Type:        "timeseries", Unit: "cpm",
		Queries: map[string][]Query{
			"prometheus":      {prom(rate("banscope_unseen_failures_total", "host, simulated, newest", " * 60"), `{{host}} {{newest}} beyond {{simulated}}`)},
			"victoriametrics": {prom(rate("banscope_misses_unseen_failures_total", "host, simulated, newest", " * 60"), `{{host}} {{newest}} beyond {{simulated}}`)},
			"influxdb":        {perUnit("unseen_failures_total", "banscope_misses", "1m", `"host", "simulated", "newest"`, `$tag_host $tag_newest beyond $tag_simulated`)},
		},
	},
	{
		Title:       "Follower lag",
		Description: "Bytes of the followed log not read yet: it should stay near 0; a growing lag means banscope cannot keep up.",
		Type:        "timeseries", Unit: "bytes",
		Queries: map[string][]Query{
			"prometheus": {prom(`banscope_tailer_lag_bytes{`+host+`}`, `{{host}} {{file}}`)},
		},
	},
	{
		Title:       "Push spool",
		Description: "Batches of line protocol waiting to be pushed to the time-series database (--influx-url): above 0 while it is unreachable; they are sent in order when it returns.",
		Type:        "timeseries", Unit: "short",
		Queries: map[string][]Query{
			"prometheus": {prom(`banscope_spool_batches{`+host+`}`, `{{host}}`)},
		},
	},
	{
		Title:       "Since the last push",
		Description: "Seconds since the last batch the time-series database accepted.",
		Type:        "timeseries", Unit: "s",
		Queries: map[string][]Query{
			"prometheus": {prom(`time() - banscope_last_push_timestamp_seconds{`+host+`}`, `{{host}}`)},
		},
	},
	{
		Title:       "banscope's errors, per minute",
		Description: "Failed pushes (each retried), batches dropped (spool full or refused by the server) and failed saves of the state file (each retried the next interval).",
		Type:        "timeseries", Unit: "cpm",
		Queries: map[string][]Query{
			"prometheus": {
				prom(rate("banscope_push_errors_total", "host", " * 60"), `{{host}} push errors`),
				prom(rate("banscope_spool_dropped_total", "host", " * 60"), `{{host}} batches dropped`),
				prom(rate("banscope_state_save_errors_total", "host", " * 60"), `{{host}} state save errors`),
			},
		},
	},
	{
		Title:       "Versions",
		Description: "banscope's version on each host, the Go toolchain it was built with, and the fail2ban release it simulates.",
		Type:        "table", Unit: "none",
		Queries: map[string][]Query{
			"prometheus": {instant(`banscope_build_info{`+host+`}`, ``)},
		},
	},
}

// droppedPerMinute is each reason's dropped_<reason>_total per minute, one
// column per reason (misses.Reasons, as the line protocol writes them).
func droppedPerMinute() Query {
	var cols []string
	for _, r := range misses.Reasons() {
		name := strings.ReplaceAll(r.String(), "-", "_")
		cols = append(cols, fmt.Sprintf(`non_negative_derivative(last("dropped_%s_total"), 1m) AS %q`, name, name))
	}
	return Query{Expr: fmt.Sprintf(`SELECT %s FROM "banscope_misses" WHERE %s %s, "host" fill(none)`, strings.Join(cols, ", "), influxHost, byTime), Legend: `$tag_host $col`}
}

// Build returns path's dashboard as Grafana JSON.
func Build(p Path) []byte {
	ds := map[string]any{"type": p.DSType, "uid": "${datasource}"}
	var panels []any
	n := 0
	for i, pl := range Panels {
		qs := pl.Queries[p.Name]
		if len(qs) == 0 {
			continue
		}
		var targets []any
		for j, q := range qs {
			t := map[string]any{"refId": string(rune('A' + j)), "datasource": ds}
			if p.DSType == "influxdb" {
				t["query"], t["rawQuery"], t["alias"] = q.Expr, true, q.Legend
				t["resultFormat"] = "time_series"
				if q.Instant {
					t["resultFormat"] = "table"
				}
			} else {
				t["expr"], t["legendFormat"] = q.Expr, q.Legend
				if q.Instant {
					t["instant"], t["range"] = true, false
					if pl.Type == "table" {
						t["format"] = "table"
					}
				} else {
					t["instant"], t["range"] = false, true
				}
			}
			targets = append(targets, t)
		}
		panel := map[string]any{
			"id": i + 1, "type": pl.Type, "title": pl.Title, "description": pl.Description,
			"datasource":  ds,
			"gridPos":     map[string]int{"x": 12 * (n % 2), "y": 8 * (n / 2), "w": 12, "h": 8},
			"fieldConfig": map[string]any{"defaults": map[string]any{"unit": pl.Unit}, "overrides": []any{}},
			"targets":     targets,
		}
		switch pl.Type {
		case "timeseries":
			panel["options"] = map[string]any{"legend": map[string]any{"displayMode": "list", "placement": "bottom"}, "tooltip": map[string]any{"mode": "multi", "sort": "desc"}}
		case "bargauge":
			panel["options"] = map[string]any{"orientation": "horizontal", "displayMode": "gradient", "reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "values": false}}
		case "table":
			panel["transformations"] = []any{map[string]any{"id": "organize", "options": map[string]any{"excludeByName": map[string]bool{"Time": true, "Value": true, "__name__": true}}}}
		}
		panels = append(panels, panel)
		n++
	}
	hostVar := map[string]any{
		"name": "host", "label": "host", "type": "query", "datasource": ds, "query": p.Hosts,
		"includeAll": true, "allValue": ".*", "multi": true, "refresh": 2, "sort": 1,
		"current": map[string]any{"text": "All", "value": "$__all"},
	}
	d := map[string]any{
		"title": p.Title, "uid": "banscope-" + p.Name, "schemaVersion": 39, "version": 1, "editable": true,
		"description": "fail2ban's numbers rebuilt from the logs by banscope; generated by internal/dashboard.",
		"time":        map[string]string{"from": "now-24h", "to": "now"}, "refresh": "30s",
		"tags":       []string{"fail2ban", "ssh", "banscope"},
		"templating": map[string]any{"list": []any{map[string]any{"name": "datasource", "label": "data source", "type": "datasource", "query": p.DSType, "current": map[string]any{}}, hostVar}},
		"panels":     panels,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		panic(err) // maps of strings and numbers always encode
	}
	return b.Bytes()
}
