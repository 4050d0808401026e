package replay

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/jsonw"
	"github.com/banscope/banscope/internal/logtime"
	"github.com/banscope/banscope/internal/misses"
)

func rfc3339(t float64) string { return string(logtime.AppendRFC3339(nil, t)) }

type jsonJail struct {
	TotalFailed     int64             `json:"total_failed"`
	CurrentlyFailed int               `json:"currently_failed"`
	TotalBanned     int64             `json:"total_banned"`
	CurrentlyBanned int               `json:"currently_banned"`
	BannedIPs       []string          `json:"banned_ips"`
	PeakBanned      int               `json:"peak_banned"`
	PeakBannedAt    *string           `json:"peak_banned_at"`
	Ignored         int64             `json:"ignored"`
	FailuresByKind  map[string]int64  `json:"failures_by_kind"`
	Settings        map[string]any    `json:"settings"`
	SettingsFrom    map[string]string `json:"settings_from,omitempty"`
	Outcome
}

type jsonScenario struct {
	Label    string              `json:"label"`
	Settings map[string]any      `json:"settings"`
	Jails    map[string]jsonJail `json:"jails"`
}

type jsonHost struct {
	Files     []string            `json:"files"`
	Period    map[string]*string  `json:"period"`
	Lines     LineStats           `json:"lines"`
	Jails     map[string]jsonJail `json:"jails"`
	Countries map[string]geo.Row  `json:"countries,omitempty"`
	TopASNs   []geo.ASNStats      `json:"top_asns,omitempty"`
	Report    *Report             `json:"report,omitempty"`
	WhatIf    []jsonScenario      `json:"what_if"`
	Misses    *jsonMisses         `json:"fail2ban_misses,omitempty"`
	Fail2ban  *Comparison         `json:"fail2ban_log,omitempty"`
}

// jsonMisses is what the simulated fail2ban does not see, apart from its
// numbers.
type jsonMisses struct {
	// Failures the newest release counts on lines the simulated one does
	// not (absent when the newest is simulated).
	NewerRelease *string          `json:"newer_release,omitempty"`
	Unseen       *int64           `json:"unseen_failures,omitempty"`
	Dropped      int64            `json:"sshd_dropped"`
	ByReason     map[string]int64 `json:"sshd_dropped_by_reason"`
	Warning      string           `json:"warning,omitempty"`
}

func missesJSON(m *misses.Counts) *jsonMisses {
	out := &jsonMisses{Dropped: m.Dropped(), ByReason: map[string]int64{}, Warning: m.Warning()}
	for _, r := range misses.Reasons() {
		if d := m.Drops[r]; d > 0 {
			out.ByReason[r.String()] = d
		}
	}
	if m.Simulated != m.Newest {
		n, u := m.Newest.String(), m.Unseen
		out.NewerRelease, out.Unseen = &n, &u
	}
	return out
}

// jsonFail2ban names the release simulated.
type jsonFail2ban struct {
	Version string `json:"version"`
	Debian  string `json:"debian_package"`
	Why     string `json:"why"`
}

type jsonResult struct {
	Fail2ban  jsonFail2ban `json:"fail2ban"`
	GeoSource string       `json:"geo_source,omitempty"`
	*jsonHost
}

type jsonMulti struct {
	Fail2ban  jsonFail2ban         `json:"fail2ban"`
	Files     []string             `json:"files"`
	GeoSource string               `json:"geo_source,omitempty"`
	Lines     LineStats            `json:"lines"`
	Hosts     map[string]*jsonHost `json:"hosts"`
}

func settingsMap(j engine.Jail) map[string]any {
	s := j.Settings
	m := map[string]any{
		"maxretry": s.MaxRetry, "findtime": s.FindTime, "bantime": s.BanTime,
		"counting": s.Counting.String(), "filter": filterName(j),
	}
	for k, v := range j.Filter.Params {
		m[k] = v // the filter's options (sshd: mode, publickey)
	}
	if in := s.Increment; in.Enabled {
		m["bantime.increment"] = map[string]any{"factor": in.Factor, "multipliers": in.Multipliers,
			"maxtime": in.MaxTime, "rndtime": in.RndTime, "overalljails": in.OverallJails}
	}
	return m
}

// filterName is the jail's filter with its mode, as jail.conf's
// `filter = %(__name__)s[mode=%(mode)s]` writes it.
func filterName(j engine.Jail) string {
	if m, ok := j.Filter.Params["mode"]; ok {
		return j.Filter.Name + "[mode=" + m + "]"
	}
	return j.Filter.Name
}

func origin(j engine.Jail, k string) string {
	if o, ok := j.Origin[k]; ok {
		return o
	}
	return "default"
}

func jailsJSON(jrs []JailResult) map[string]jsonJail {
	out := map[string]jsonJail{}
	for _, jr := range jrs {
		st := jr.Status
		ips := make([]string, 0, len(st.Banned))
		for _, id := range st.Banned {
			ips = append(ips, id.String())
		}
		sort.Strings(ips)
		jj := jsonJail{
			TotalFailed: st.TotalFailed, CurrentlyFailed: st.CurrentlyFailed,
			TotalBanned: st.TotalBanned, CurrentlyBanned: st.CurrentlyBanned,
			BannedIPs: ips, PeakBanned: st.PeakBanned, Ignored: st.Ignored,
			FailuresByKind: map[string]int64{}, Settings: settingsMap(jr.Jail), SettingsFrom: map[string]string{},
			Outcome: jr.Outcome,
		}
		for _, k := range settingKeys {
			jj.SettingsFrom[k] = origin(jr.Jail, k)
		}
		if st.PeakBanned > 0 {
			s := rfc3339(st.PeakAt)
			jj.PeakBannedAt = &s
		}
		for k, n := range jr.ByKind {
			jj.FailuresByKind[k] = n
		}
		out[jr.Jail.Settings.Name] = jj
	}
	return out
}

func (h *HostResult) toJSON() *jsonHost {
	out := &jsonHost{Files: h.Files, Lines: h.Lines, Jails: jailsJSON(h.Jails), Period: map[string]*string{"first": nil, "last": nil},
		Report: h.Report, TopASNs: h.TopASNs, WhatIf: []jsonScenario{}, Misses: missesJSON(&h.Misses), Fail2ban: h.Fail2banLog}
	if out.Files == nil {
		out.Files = []string{}
	}
	if h.Countries != nil {
		out.Countries = map[string]geo.Row{}
		for _, c := range h.Countries {
			out.Countries[c.Country] = c
		}
	}
	if h.First != 0 {
		f, l := rfc3339(logtime.FromNanos(h.First)), rfc3339(logtime.FromNanos(h.Last))
		out.Period["first"], out.Period["last"] = &f, &l
	}
	for _, w := range h.WhatIf {
		settings := w.Scenario.Settings
		if settings == nil {
			settings = map[string]any{}
		}
		out.WhatIf = append(out.WhatIf, jsonScenario{Label: w.Scenario.Label, Settings: settings, Jails: jailsJSON(w.Jails)})
	}
	return out
}

// toJSON lays one host out at the top level; several go under "hosts",
// with the totals of their lines at the top.
func (r *Result) fail2banJSON() jsonFail2ban {
	v := r.Fail2ban.Version.Or()
	return jsonFail2ban{Version: v.String(), Debian: v.Debian(), Why: r.Fail2ban.Why}
}

func (r *Result) toJSON() any {
	files := r.Files
	if files == nil {
		files = []string{}
	}
	if h := r.single(); h != nil && h.Host == "" {
		jh := h.toJSON()
		jh.Files = files
		return jsonResult{Fail2ban: r.fail2banJSON(), GeoSource: r.GeoSource, jsonHost: jh}
	}
	out := jsonMulti{Fail2ban: r.fail2banJSON(), Files: files, GeoSource: r.GeoSource, Lines: r.Lines, Hosts: map[string]*jsonHost{}}
	for _, h := range r.Hosts {
		out.Hosts[h.Host] = h.toJSON()
	}
	return out
}

// WriteJSON writes the result as one JSON object.
// User names and other log text are escaped like jsonw's output: no raw
// bidirectional or C1 control reaches a reader.
func (r *Result) WriteJSON(w io.Writer) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.toJSON()); err != nil {
		return err
	}
	_, err := w.Write(jsonw.EscapeInvisible(b.Bytes()))
	return err
}

// duration writes seconds as fail2ban's seconds2str does: "10m", "1h 30m".
func duration(s float64) string {
	if s == -1 {
		return "permanent"
	}
	if s != math.Trunc(s) || s < 0 {
		return strconv.FormatFloat(s, 'f', -1, 64) + "s"
	}
	n := int64(s)
	if n == 0 {
		return "0s"
	}
	var parts []string
	for _, u := range []struct {
		name string
		sec  int64
	}{{"w", 604800}, {"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}} {
		if n >= u.sec {
			parts = append(parts, strconv.FormatInt(n/u.sec, 10)+u.name)
			n %= u.sec
		}
	}
	return strings.Join(parts, " ")
}

// settingKeys are the settings a report shows the origin of.
var settingKeys = []string{"filter", "mode", "maxretry", "findtime", "bantime", "ignoreip", "ignoreself", "counting"}

// terminalSafe removes control characters (no escape sequences reach a
// terminal from data).
func terminalSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f {
			return '?' // control, and bidirectional overrides that reorder a line
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}
