package replay

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/logtime"
	"github.com/banscope/banscope/internal/misses"
	"github.com/banscope/banscope/internal/worldmap"
)

// The HTML report is one self-contained page: inline CSS, charts drawn as
// inline SVG on the server side, no script and no fetch (a Content
// Security Policy forbids both), readable on a phone. Every text from the
// logs goes through html/template's escaping.

//go:embed report.html.tmpl
var reportTemplate string

// reportScript is the page's one script; the Content Security Policy
// allows it by its hash and nothing else.
//
//go:embed report.js
var reportScript string

var scriptHash = func() string {
	h := sha256.Sum256([]byte(reportScript))
	return "sha256-" + base64.StdEncoding.EncodeToString(h[:])
}()

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"safe": visible,
	"inc":  func(i int) int { return i + 1 },
}).Parse(reportTemplate))

// visible makes log text displayable: invalid bytes become U+FFFD,
// control characters their Unicode pictures (ESC as ␛), and bidirectional
// overrides, which reorder what follows, U+FFFD.
func visible(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20:
			return 0x2400 + r
		case r == 0x7f:
			return 0x2421
		case (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) ||
			(r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f:
			return 0xfffd
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// chart geometry, in SVG user units
const (
	chartW, chartH = 720.0, 220.0
	padL, padR     = 48.0, 12.0
	padT, padB     = 12.0, 28.0
)

type svgBar struct {
	X, Y, W, H string
	Title      string
}

type svgTick struct {
	X, Y  string
	Label string
}

type svgChart struct {
	ViewBox        string
	Bars           []svgBar
	Line           string // polyline points, when a second series is drawn as a line
	XTicks, YTicks []svgTick
	X0, X1, Y0, Y1 string // axes
	Empty          bool
}

type hbar struct {
	Label string
	Value int64
	W     string // percent of the widest
	Note  string
}

type heatCell struct {
	X, Y, W, H string
	Fill       string
	Title      string
}

type heatMap struct {
	Title   string
	ViewBox string
	Cells   []heatCell
	Days    []svgTick
	Hours   []svgTick
	Legend  string
	top     int64
}

type htmlJail struct {
	JailResult
	Settings [][2]string // key, value (origin)
}

type htmlWhatIf struct {
	Cols []string
	Rows []htmlWhatIfJail
}

type htmlWhatIfJail struct {
	Jail string
	Rows [][]string // label, values...
}

type htmlHost struct {
	Idx       string // the suffix of its elements' ids ("-0")
	Name      string
	Warning   string   // the simulated fail2ban is blind to most failures
	Misses    []string // what it does not see, counted apart
	Period    string
	Failures  int64
	Bans      int64
	Attackers string
	Peak      string
	Step      string
	FailChart svgChart
	BanChart  svgChart
	Countries []hbar
	Users     []hbar
	Heat      heatMap
	Res       *HostResult
	Jails     []htmlJail
	WhatIf    *htmlWhatIf
	GeoSource string
	When      func(int64) string
	// the bans: the top addresses with their histories, the durations,
	// the failures made while banned, the bans in force at the end
	TopIPs      []htmlIP
	Inside      []htmlIP // attackers from inside a network
	Unlocated   string   // what ZZ is made of
	Durations   []hbar
	Blocked     int64
	StillBanned []htmlStill
	StillMore   int
	Compare     *htmlCompare // fail2ban.log beside the simulation
	Map         *htmlMap     // failures by country on the world map
	BanRows     []htmlBanRow // the bans, for the page without its script (the script redraws them)
	BansNote    string
}

type htmlBanRow struct {
	IP, Jail, Start, Duration string
	Secs                      int64
	Prolongations             int
	Still                     bool
}

type htmlMap struct {
	ViewBox   string
	Countries []mapCountry
	Legend    string
}

type mapCountry struct {
	Code, D, Fill, Title string
}

// worldMap colours each country by its failures (a log scale: a few
// hundred addresses of one country would otherwise leave the rest white).
func worldMap(rows []geo.Row) *htmlMap {
	by := map[string]geo.Row{}
	var top int64
	for _, r := range rows {
		if r.Country != geo.Unknown {
			by[r.Country] = r
			top = max(top, r.Failures)
		}
	}
	m := &htmlMap{ViewBox: worldmap.ViewBox}
	for _, c := range worldmap.Codes() {
		d, _ := worldmap.Path(c)
		mc := mapCountry{Code: c, D: d, Title: c + " " + geo.Name(c) + ": no failure"} // no fill: the theme's (CSS .map path)
		if r, ok := by[c]; ok && r.Failures > 0 && top > 0 {
			f := math.Log1p(float64(r.Failures)) / math.Log1p(float64(top))
			// pale orange to deep red
			mc.Fill = fmt.Sprintf("rgb(%d,%d,%d)", 253-int(61*f), 220-int(163*f), 190-int(147*f))
			mc.Title = fmt.Sprintf("%s %s: %d failures, %d IPs, %d bans", c, geo.Name(c), r.Failures, r.IPs, r.Bans)
		}
		m.Countries = append(m.Countries, mc)
	}
	m.Legend = fmt.Sprintf("darkest: %d failures (log scale); not located (ZZ) and countries too small for the map are in the table. %s", top, worldmap.Attribution)
	return m
}

type htmlCompare struct {
	Notes       []string
	Summary     string
	Jails       []htmlCmpJail
	WhileBanned string
}

type htmlCmpJail struct {
	Name     string
	Rows     [][2]string
	Examples []Difference
}

type htmlIP struct {
	IPRow
	Banned  string   // time banned, "-" for never
	History []string // its bans, one line each
}

type htmlStill struct {
	IP, Jail, Since, Left string
	Prolongations         int
}

type htmlPage struct {
	Title     string
	Generated string
	Fail2ban  string // the release simulated, and why
	Files     []string
	Hosts     []htmlHost
	CSP       string      // the Content Security Policy, with the script's hash
	Script    template.JS // reportScript
	Data      template.JS // pageData as JSON (json.Marshal escapes <, > and &)
}

// pageData is what the script reads: per host, the timeline by minute
// (or by step), the failures chart's geometry and the bans.
type pageData struct {
	Zone  int        `json:"zone"` // the report zone's offset at the first host's start, in seconds
	Hosts []pageHost `json:"hosts"`
}

type pageHost struct {
	Period      [2]int64   `json:"period"`
	FineStep    int64      `json:"fineStep"`
	Fine        [][4]int64 `json:"fine"` // start, failures, bans, most in force
	Chart       *pageChart `json:"chart"`
	Bans        []pageBan  `json:"bans"`
	BansOmitted int        `json:"bansOmitted"`
	// Hours are each hour's top addresses and user names ([name, count,
	// error]), which the tables follow in a selection; HoursCut says the
	// log has more hours than the page carries.
	Hours    []pageHour        `json:"hours"`
	HoursCut bool              `json:"hoursCut"`
	Country  map[string]string `json:"country"`
	Names    map[string]string `json:"names"` // the countries' English names
}

type pageHour struct {
	T         int64   `json:"t"`
	IPs       [][]any `json:"ips"`
	Users     [][]any `json:"users"`
	Countries [][]any `json:"countries"`
}

// pageChart maps the failures chart's x (SVG units) to time.
type pageChart struct {
	X0 float64 `json:"x0"`
	X1 float64 `json:"x1"`
	H  float64 `json:"h"`
	T0 int64   `json:"t0"`
	T1 int64   `json:"t1"`
}

type pageBan struct {
	IP    string `json:"ip"`
	Jail  string `json:"jail"`
	S     int64  `json:"s"`
	E     int64  `json:"e"` // -1: permanent
	P     int    `json:"p"`
	D     int64  `json:"d"`
	Still bool   `json:"still"`
}

// WriteHTML writes the report as one self-contained HTML page.
func (r *Result) WriteHTML(w io.Writer) error {
	page := htmlPage{Title: "banscope incident report", Generated: time.Now().In(r.Location).Format("2006-01-02 15:04 MST"), Files: r.Files,
		Fail2ban: fmt.Sprintf("fail2ban %s (%s)", r.Fail2ban.Version.Or(), r.Fail2ban.Why),
		CSP:      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src '" + scriptHash + "'",
		Script:   template.JS(reportScript)}
	var data pageData
	for i, h := range r.Hosts {
		hh := r.htmlHost(h)
		hh.Idx = fmt.Sprintf("-%d", i)
		page.Hosts = append(page.Hosts, hh)
		if i == 0 && h.First != 0 {
			_, data.Zone = time.Unix(0, h.First).In(r.Location).Zone()
		}
		data.Hosts = append(data.Hosts, r.pageHost(h))
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	page.Data = template.JS(b)
	return reportTmpl.Execute(w, page)
}

func (r *Result) pageHost(h *HostResult) pageHost {
	out := pageHost{Period: [2]int64{h.First / logtime.NanosPerSecond, h.Last / logtime.NanosPerSecond}, Fine: [][4]int64{}, Bans: []pageBan{}}
	rep := h.Report
	if rep == nil {
		return out
	}
	out.FineStep = rep.fineStep
	for _, p := range rep.fine {
		out.Fine = append(out.Fine, [4]int64{p.T, p.Failures, p.Bans, int64(p.Banned)})
	}
	if n := len(rep.Timeline); n > 0 {
		out.Chart = &pageChart{X0: padL, X1: chartW - padR, H: chartH - padB, T0: rep.Timeline[0].T, T1: rep.Timeline[n-1].T + rep.Step}
	}
	names := map[int]string{}
	for i, j := range h.Jails {
		names[i] = j.Jail.Settings.Name
	}
	for _, b := range rep.pageBans {
		pb := pageBan{IP: b.id.String(), Jail: names[b.jail], S: int64(b.start), E: -1, P: b.prolongs, D: b.during}
		if !b.permanent() {
			pb.E = int64(math.Ceil(b.end))
		}
		pb.Still = b.still
		out.Bans = append(out.Bans, pb)
	}
	out.BansOmitted = rep.pageOmitted
	out.Hours, out.Country, out.Names = []pageHour{}, map[string]string{}, map[string]string{}
	var hours []hourRow
	if rep.pageHours != nil {
		hours, out.Country, out.HoursCut = rep.pageHours()
	}
	for _, hr := range hours {
		ph := pageHour{T: hr.t, IPs: [][]any{}, Users: [][]any{}, Countries: [][]any{}}
		for _, it := range hr.countries {
			ph.Countries = append(ph.Countries, []any{it.key, it.count, 0})
			out.Names[it.key] = geo.Name(it.key)
		}
		for _, it := range hr.ips {
			ph.IPs = append(ph.IPs, []any{it.key.String(), it.count, it.err})
		}
		for _, it := range hr.users {
			ph.Users = append(ph.Users, []any{visible(it.key), it.count, it.err})
		}
		out.Hours = append(out.Hours, ph)
	}
	return out
}

func f1(x float64) string { return fmt.Sprintf("%.1f", x) }

func (r *Result) htmlHost(h *HostResult) htmlHost {
	out := htmlHost{Name: h.Host, Res: h, GeoSource: r.GeoSource, Warning: h.Misses.Warning()}
	if m := &h.Misses; m.Simulated != m.Newest {
		out.Misses = append(out.Misses, fmt.Sprintf("%d failures only fail2ban %s counts", m.Unseen, m.Newest))
	}
	for _, rs := range misses.Reasons() {
		if d := h.Misses.Drops[rs]; d > 0 {
			out.Misses = append(out.Misses, fmt.Sprintf("%d connections sshd dropped itself: %s", d, rs))
		}
	}
	if h.First != 0 {
		out.Period = fmt.Sprintf("%s – %s (%s)", r.when(h.First), r.when(h.Last), duration(float64((h.Last-h.First)/logtime.NanosPerSecond)))
	} else {
		out.Period = "no stamped line"
	}
	for _, j := range h.Jails {
		out.Failures += j.Status.TotalFailed
		out.Bans += j.Status.TotalBanned
	}
	if len(h.Jails) > 0 {
		p := h.Jails[primaryJail(h.Jails)]
		out.Attackers = approx(p.Outcome.Estimated) + fmt.Sprint(p.Outcome.Attackers)
	}
	rep := h.Report
	if rep == nil {
		rep = &Report{}
	}
	if rep.PeakBanned > 0 {
		out.Peak = fmt.Sprintf("%d at %s", rep.PeakBanned, r.whenRFC(*rep.PeakAt))
	} else {
		out.Peak = "0"
	}
	out.Step = duration(float64(rep.Step))
	fail := make([]float64, len(rep.Timeline))
	bans := make([]float64, len(rep.Timeline))
	banned := make([]float64, len(rep.Timeline))
	ts := make([]int64, len(rep.Timeline))
	for i, p := range rep.Timeline {
		fail[i], bans[i], banned[i], ts[i] = float64(p.Failures), float64(p.Bans), float64(p.Banned), p.T
	}
	out.FailChart = r.barChart(ts, rep.Step, fail, nil, "failures")
	out.BanChart = r.barChart(ts, rep.Step, bans, banned, "bans")
	var top int64
	for _, c := range h.Countries {
		top = max(top, c.Failures)
	}
	for i, c := range h.Countries {
		if i == 15 {
			break
		}
		out.Countries = append(out.Countries, hbar{Label: c.Country + " " + c.Name, Value: c.Failures, W: pct(c.Failures, top),
			Note: fmt.Sprintf("%d IPs, %d bans", c.IPs, c.Bans)})
	}
	if h.Countries != nil {
		out.Map = worldMap(h.Countries)
	}
	for _, c := range h.Countries {
		if c.Country == geo.Unknown {
			out.Unlocated = unlocatedLine(c)
		}
	}
	top = 0
	for _, u := range rep.TopUsers {
		top = max(top, u.Failures)
	}
	for _, u := range rep.TopUsers {
		out.Users = append(out.Users, hbar{Label: u.User, Value: u.Failures, W: pct(u.Failures, top)})
	}
	out.Heat = heat(rep)
	for _, jr := range h.Jails {
		hj := htmlJail{JailResult: jr}
		s := jr.Jail.Settings
		vals := map[string]string{
			"filter": filterName(jr.Jail), "mode": jr.Jail.Filter.Params["mode"], "maxretry": fmt.Sprint(s.MaxRetry),
			"findtime": duration(s.FindTime), "bantime": duration(s.BanTime), "ignoreip": strings.Join(s.Ignore.Rules(), " "),
			"ignoreself": fmt.Sprint(s.Ignore.Self()), "counting": s.Counting.String(), "bantime.increment": fmt.Sprint(s.Increment.Enabled),
		}
		for _, k := range append(append([]string{}, settingKeys...), "bantime.increment") {
			v := vals[k]
			if v == "" {
				v = "-"
			}
			hj.Settings = append(hj.Settings, [2]string{k, v + " (" + origin(jr.Jail, k) + ")"})
		}
		out.Jails = append(out.Jails, hj)
	}
	if len(h.WhatIf) > 0 {
		wi := &htmlWhatIf{Cols: []string{"configured"}}
		for _, w := range h.WhatIf {
			wi.Cols = append(wi.Cols, w.Scenario.Label)
		}
		for ji, jr := range h.Jails {
			all := []JailResult{jr}
			for _, w := range h.WhatIf {
				all = append(all, w.Jails[ji])
			}
			row := func(label string, f func(JailResult) string) []string {
				out := []string{label}
				for _, j := range all {
					out = append(out, f(j))
				}
				return out
			}
			wi.Rows = append(wi.Rows, htmlWhatIfJail{Jail: jr.Jail.Settings.Name, Rows: [][]string{
				row("total bans", func(j JailResult) string { return fmt.Sprint(j.Status.TotalBanned) }),
				row("peak bans in force", func(j JailResult) string { return fmt.Sprint(j.Status.PeakBanned) }),
				row("failures that got through", func(j JailResult) string { return fmt.Sprint(j.Outcome.Through) }),
				row("failures while banned", func(j JailResult) string { return fmt.Sprint(j.Outcome.Blocked) }),
				row("attackers never banned", func(j JailResult) string {
					return approx(j.Outcome.Estimated) + fmt.Sprint(j.Outcome.NeverBanned)
				}),
			}})
		}
		out.WhatIf = wi
	}
	r.htmlBans(&out, h, rep)
	if c := h.Fail2banLog; c != nil {
		hc := &htmlCompare{Summary: fmt.Sprintf("%d file(s); fail2ban started %d time(s) in the period", len(c.Files), c.Starts)}
		for _, n := range c.jailNames() {
			j := c.Jails[n]
			hj := htmlCmpJail{Name: n, Examples: j.Examples, Rows: [][2]string{
				{"bans fail2ban made (Ban lines)", fmt.Sprint(j.Observed)},
				{"restored at a start / repealed at a stop", fmt.Sprintf("%d / %d", j.Restored, j.Repealed)},
				{"bans the simulation made", fmt.Sprint(j.Simulated) + map[bool]string{true: "", false: " (jail not simulated)"}[j.IsSimulated]},
				{"the same ban (within 5 s)", fmt.Sprintf("%d (largest shift %gs)", j.Matched, j.MaxMatchDt)},
				{"shifted", fmt.Sprintf("%d (median %gs, largest %gs)", j.Shifted, j.ShiftMedian, j.ShiftMax)},
				{"only fail2ban", fmt.Sprint(j.OnlyObserved)},
				{"only the simulation", fmt.Sprint(j.OnlySimulated)},
			}}
			for _, cause := range j.causes() {
				hj.Rows = append(hj.Rows, [2]string{"likely cause: " + cause, fmt.Sprint(j.Causes[cause])})
			}
			hc.Jails = append(hc.Jails, hj)
		}
		hc.Notes = c.Notes
		hc.WhileBanned = c.whileBanned(func(s string) string { return s }) // the template escapes it
		out.Compare = hc
	}
	out.When = r.when
	return out
}

// banLine is one ban of an address's history, as the page shows it.
func (r *Result) banLine(b BanRow) string {
	var l strings.Builder
	fmt.Fprintf(&l, "%s: %s", b.Jail, r.whenRFC(b.Start))
	if b.End != nil {
		fmt.Fprintf(&l, " → %s (%s)", r.whenRFC(*b.End), duration(math.Round(b.Seconds)))
	} else {
		l.WriteString(", permanent")
	}
	if b.FailuresBefore != nil {
		fmt.Fprintf(&l, ", after %d failures", *b.FailuresBefore)
	}
	if b.Prolongations > 0 {
		fmt.Fprintf(&l, ", prolonged %d×", b.Prolongations)
	}
	if b.Increment > 0 {
		fmt.Fprintf(&l, ", bantime.increment ×%g", b.Increment)
	}
	if b.FailuresDuring > 0 {
		fmt.Fprintf(&l, ", %d failures while banned", b.FailuresDuring)
	}
	if b.StillBanned {
		l.WriteString(", still banned at the end")
	}
	return l.String()
}

func (r *Result) htmlBans(out *htmlHost, h *HostResult, rep *Report) {
	ips := func(rows []IPRow) []htmlIP {
		var out []htmlIP
		for _, row := range rows {
			ip := htmlIP{IPRow: row, Banned: "-"}
			if row.Bans > 0 {
				ip.Banned = duration(row.TimeBanned)
			}
			for _, b := range row.History {
				ip.History = append(ip.History, r.banLine(b))
			}
			if row.HistoryMore > 0 {
				ip.History = append(ip.History, fmt.Sprintf("… %d more bans", row.HistoryMore))
			}
			out = append(out, ip)
		}
		return out
	}
	out.TopIPs, out.Inside = ips(rep.TopIPs), ips(rep.Inside)
	names := map[int]string{}
	for i, j := range h.Jails {
		names[i] = j.Jail.Settings.Name
	}
	for i, b := range rep.pageBans {
		if i == 200 {
			break
		}
		row := htmlBanRow{IP: b.id.String(), Jail: names[b.jail], Start: r.whenSec(b.start), Duration: "permanent", Secs: 1 << 60,
			Prolongations: b.prolongs, Still: b.still}
		if !b.permanent() {
			row.Secs = int64(math.Round(b.end - b.start))
			row.Duration = duration(float64(row.Secs))
		}
		out.BanRows = append(out.BanRows, row)
	}
	out.BansNote = fmt.Sprintf("all bans: %d", len(rep.pageBans))
	if len(rep.pageBans) > 200 {
		out.BansNote += " (the first 200 shown)"
	}
	if rep.pageOmitted > 0 {
		out.BansNote += fmt.Sprintf("; %d older bans are not in this page", rep.pageOmitted)
	}
	for _, j := range h.Jails {
		out.Blocked += j.Outcome.Blocked
	}
	br := rep.Bans
	if br == nil {
		return
	}
	var top int64
	for _, d := range br.Durations {
		top = max(top, d.Bans)
	}
	if top == 0 {
		return
	}
	for _, d := range br.Durations {
		out.Durations = append(out.Durations, hbar{Label: d.label(), Value: d.Bans, W: pct(d.Bans, top)})
	}
	for i, s := range br.StillBanned {
		if i == r.TopN {
			out.StillMore = len(br.StillBanned) - i
			break
		}
		out.StillBanned = append(out.StillBanned, htmlStill{IP: s.IP, Jail: s.Jail, Since: r.whenRFC(s.Start), Left: s.leftText(), Prolongations: s.Prolongations})
	}
}

func pct(v, top int64) string {
	if top <= 0 {
		return "0%"
	}
	return fmt.Sprintf("%.1f%%", math.Max(0.5, 100*float64(v)/float64(top)))
}

// barChart draws one value per step as bars, and line (if any) as a
// polyline on the same axis.
func (r *Result) barChart(ts []int64, step int64, bars, line []float64, what string) svgChart {
	c := svgChart{ViewBox: fmt.Sprintf("0 0 %.0f %.0f", chartW, chartH)}
	if len(ts) == 0 {
		c.Empty = true
		return c
	}
	top := 0.0
	for i := range bars {
		top = math.Max(top, bars[i])
		if line != nil {
			top = math.Max(top, line[i])
		}
	}
	top = 4 * niceCeil(top/4)
	plotW, plotH := chartW-padL-padR, chartH-padT-padB
	bw := plotW / float64(len(ts))
	y := func(v float64) float64 { return padT + plotH - v/top*plotH }
	for i, v := range bars {
		if v == 0 {
			continue
		}
		c.Bars = append(c.Bars, svgBar{X: f1(padL + float64(i)*bw), Y: f1(y(v)), W: f1(math.Max(bw-0.5, 0.6)), H: f1(padT + plotH - y(v)),
			Title: fmt.Sprintf("%s: %.0f %s", r.when(ts[i]*logtime.NanosPerSecond), v, what)})
	}
	if line != nil {
		var pts []string
		for i, v := range line {
			x0 := padL + float64(i)*bw
			pts = append(pts, f1(x0)+","+f1(y(v)), f1(x0+bw)+","+f1(y(v)))
		}
		c.Line = strings.Join(pts, " ")
	}
	c.X0, c.X1, c.Y0, c.Y1 = f1(padL), f1(chartW-padR), f1(padT), f1(padT+plotH)
	for k := 0; k <= 4; k++ {
		v := top * float64(k) / 4
		c.YTicks = append(c.YTicks, svgTick{X: f1(padL - 4), Y: f1(y(v) + 4), Label: fmt.Sprintf("%.0f", v)})
	}
	t0, t1 := ts[0], ts[len(ts)-1]+step
	for _, tk := range timeTicks(t0, t1, r.Location, 8) {
		x := padL + float64(tk.t-t0)/float64(t1-t0)*plotW
		if x < padL+18 || x > chartW-padR-18 {
			continue // its label would run past the plot's edges
		}
		c.XTicks = append(c.XTicks, svgTick{X: f1(x), Y: f1(chartH - 8), Label: tk.label})
	}
	return c
}

type timeTick struct {
	t     int64
	label string
}

// tickSteps are the intervals ticks may fall at, in seconds.
var tickSteps = []int64{60, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400}

// timeTicks are at most n ticks at round times of loc within [t0, t1]:
// whole minutes, hours or days (local midnights), labelled with the time
// of day, and the date at midnight and for whole days.
func timeTicks(t0, t1 int64, loc *time.Location, n int) []timeTick {
	if t1 <= t0 || n < 2 {
		return nil
	}
	iv := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if (t1-t0)/s <= int64(n-1) {
			iv = s
			break
		}
	}
	var out []timeTick
	if iv >= 86400 {
		days := int(iv / 86400)
		d := time.Unix(t0, 0).In(loc)
		d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		for ; d.Unix() <= t1; d = d.AddDate(0, 0, days) {
			if d.Unix() >= t0 {
				out = append(out, timeTick{d.Unix(), d.Format("01-02")})
			}
		}
		return out
	}
	// the first multiple of iv after the local midnight before t0
	d := time.Unix(t0, 0).In(loc)
	mid := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).Unix()
	for t := mid + (t0-mid+iv-1)/iv*iv; t <= t1; t += iv {
		lt := time.Unix(t, 0).In(loc)
		label := lt.Format("15:04")
		if lt.Hour() == 0 && lt.Minute() == 0 {
			label = lt.Format("01-02")
		}
		out = append(out, timeTick{t, label})
	}
	return out
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	if v < 1 {
		return 1
	}
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

var weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// heat is the heat map of failures by hour: one row per calendar day when
// the report has them (a log of at most 14 days), else by weekday.
func heat(rep *Report) heatMap {
	if len(rep.DayHeat) > 0 {
		var labels []string
		var rows [][24]int64
		for _, d := range rep.DayHeat {
			t, _ := time.Parse("2006-01-02", d.Day)
			labels = append(labels, t.Format("Mon 01-02"))
			rows = append(rows, d.Hours)
		}
		m := heatRows(labels, rows)
		m.Title = "When: failures by day and hour"
		m.Legend = fmt.Sprintf("darkest: %d failures in an hour", m.top)
		return m
	}
	m := heatRows(weekdays, rep.Heat[:])
	m.Title = "When: failures by weekday and hour"
	m.Legend = fmt.Sprintf("darkest: %d failures in an hour of the week", m.top)
	return m
}

func heatRows(labels []string, h [][24]int64) heatMap {
	var m heatMap
	for d := range h {
		for hr := range h[d] {
			m.top = max(m.top, h[d][hr])
		}
	}
	const cw, ch, x0, y0 = 28.0, 22.0, 72.0, 4.0
	for d := range h {
		m.Days = append(m.Days, svgTick{X: f1(x0 - 6), Y: f1(y0 + float64(d)*ch + ch*0.7), Label: labels[d]})
		for hr := range h[d] {
			v := h[d][hr]
			frac := 0.0
			if m.top > 0 {
				frac = float64(v) / float64(m.top)
			}
			// pale to deep red; an empty hour takes the theme's colour (CSS)
			fill := ""
			if v > 0 {
				g := int(225 - 180*frac)
				fill = fmt.Sprintf("rgb(%d,%d,%d)", 250-int(60*frac), g, g)
			}
			m.Cells = append(m.Cells, heatCell{X: f1(x0 + float64(hr)*cw), Y: f1(y0 + float64(d)*ch), W: f1(cw - 2), H: f1(ch - 2),
				Fill: fill, Title: fmt.Sprintf("%s %02d:00: %d failures", labels[d], hr, v)})
		}
	}
	for hr := 0; hr < 24; hr += 3 {
		m.Hours = append(m.Hours, svgTick{X: f1(x0 + float64(hr)*cw + cw/2), Y: f1(y0 + float64(len(h))*ch + 14), Label: fmt.Sprintf("%02d", hr)})
	}
	m.ViewBox = fmt.Sprintf("0 0 %.0f %.0f", x0+24*cw+4, y0+float64(len(h))*ch+22)
	return m
}
