package replay

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/banscope/banscope/geo"
	"github.com/banscope/banscope/parser"
)

func rfc3339(t float64) string { return string(AppendTime(nil, t)) }

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
}

type jsonResult struct {
	Files     []string            `json:"files"`
	Countries map[string]geo.Row  `json:"countries,omitempty"`
	GeoSource string              `json:"geo_source,omitempty"`
	Period    map[string]*string  `json:"period"`
	Lines     LineStats           `json:"lines"`
	Jails     map[string]jsonJail `json:"jails"`
}

func settingsMap(j Jail) map[string]any {
	s := j.Settings
	m := map[string]any{
		"maxretry": s.MaxRetry, "findtime": s.FindTime, "bantime": s.BanTime,
		"counting": s.Counting.String(), "filter": filterName(j),
	}
	if !j.Recidive {
		m["mode"], m["publickey"] = j.Mode.String(), publicKeyName(j.PublicKey)
	}
	if in := s.Increment; in.Enabled {
		m["bantime.increment"] = map[string]any{"factor": in.Factor, "multipliers": in.Multipliers,
			"maxtime": in.MaxTime, "rndtime": in.RndTime, "overalljails": in.OverallJails}
	}
	return m
}

func filterName(j Jail) string {
	if j.Recidive {
		return "recidive"
	}
	return "sshd[mode=" + j.Mode.String() + "]"
}

func origin(j Jail, k string) string {
	if o, ok := j.Origin[k]; ok {
		return o
	}
	return "default"
}

func publicKeyName(p parser.PublicKey) string {
	return [...]string{"nofail", "invalid", "any", "ignore"}[p]
}

func (r *Result) toJSON() jsonResult {
	out := jsonResult{Files: r.Files, Lines: r.Lines, Jails: map[string]jsonJail{}, Period: map[string]*string{"first": nil, "last": nil}}
	if out.Files == nil {
		out.Files = []string{}
	}
	if r.Countries != nil {
		out.Countries = map[string]geo.Row{}
		for _, c := range r.Countries {
			out.Countries[c.Country] = c
		}
		out.GeoSource = r.GeoSource
	}
	if r.First != 0 {
		f, l := rfc3339(sec(r.First)), rfc3339(sec(r.Last))
		out.Period["first"], out.Period["last"] = &f, &l
	}
	for _, jr := range r.Jails {
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
		}
		for _, k := range settingKeys {
			jj.SettingsFrom[k] = origin(jr.Jail, k)
		}
		if st.PeakBanned > 0 {
			s := rfc3339(st.PeakAt)
			jj.PeakBannedAt = &s
		}
		for k, n := range jr.ByKind {
			jj.FailuresByKind[k.String()] = n
		}
		out.Jails[jr.Jail.Settings.Name] = jj
	}
	return out
}

// WriteJSON writes the result as one JSON object.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.toJSON())
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

// WriteText writes a summary for a terminal or a ticket.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "banscope replay: %d file(s)\n", len(r.Files))
	if r.First != 0 {
		fmt.Fprintf(&b, "period:        %s .. %s\n", rfc3339(sec(r.First)), rfc3339(sec(r.Last)))
	}
	l := r.Lines
	fmt.Fprintf(&b, "lines:         %d read, %d matched, %d malformed (too long %d, no timestamp %d, invalid UTF-8 %d)\n",
		l.Read, l.Matched, l.Malformed, l.TooLong, l.NoTimestamp, l.InvalidUTF8)
	for _, jr := range r.Jails {
		s := jr.Jail.Settings
		st := jr.Status
		inc := ""
		if s.Increment.Enabled {
			inc = ", bantime.increment"
		}
		fmt.Fprintf(&b, "\njail %s (filter %s, maxretry %d, findtime %s, bantime %s%s, counting %s)\n",
			s.Name, filterName(jr.Jail), s.MaxRetry, duration(s.FindTime), duration(s.BanTime), inc, s.Counting)
		fmt.Fprintf(&b, "  currently failed:  %d\n", st.CurrentlyFailed)
		fmt.Fprintf(&b, "  total failed:      %d\n", st.TotalFailed)
		fmt.Fprintf(&b, "  currently banned:  %d\n", st.CurrentlyBanned)
		fmt.Fprintf(&b, "  total banned:      %d\n", st.TotalBanned)
		if st.PeakBanned > 0 {
			fmt.Fprintf(&b, "  peak banned:       %d at %s\n", st.PeakBanned, rfc3339(st.PeakAt))
		} else {
			fmt.Fprintf(&b, "  peak banned:       0\n")
		}
		if st.Ignored > 0 {
			fmt.Fprintf(&b, "  ignored failures:  %d\n", st.Ignored)
		}
		fmt.Fprintf(&b, "  settings from:\n")
		for _, k := range settingKeys {
			fmt.Fprintf(&b, "    %-12s %s\n", k, origin(jr.Jail, k))
		}
	}
	if len(r.Countries) > 0 {
		fmt.Fprintf(&b, "\ncountries (%s):\n", r.GeoSource)
		fmt.Fprintf(&b, "  %-7s %10s %8s %6s\n", "country", "failures", "ips", "bans")
		for i, c := range r.Countries {
			if i == 15 {
				fmt.Fprintf(&b, "  … %d more\n", len(r.Countries)-15)
				break
			}
			fmt.Fprintf(&b, "  %-7s %10d %8d %6d", c.Country, c.Failures, c.IPs, c.Bans)
			if r.HasASN && len(c.TopASNs) > 0 {
				a := c.TopASNs[0]
				fmt.Fprintf(&b, "   top AS%d %s (%d)", a.ASN, terminalSafe(a.Org), a.Failures)
			}
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// terminalSafe removes control characters (no escape sequences reach a
// terminal from data).
func terminalSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}
