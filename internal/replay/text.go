package replay

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/logtime"
	"github.com/banscope/banscope/internal/misses"
)

// WriteText writes the incident report for a terminal or a ticket: period,
// totals, peak, top attackers, countries, user names, busiest hours, each
// jail with its settings, the what-if comparison and parse health. Text
// from the logs is made safe for a terminal (no control characters).
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "banscope replay: %d file(s)", len(r.Files))
	if len(r.Hosts) > 1 || (len(r.Hosts) == 1 && r.Hosts[0].Host != "") {
		fmt.Fprintf(&b, ", %d host(s)", len(r.Hosts))
	}
	fmt.Fprintf(&b, ", fail2ban %s (%s)\n", r.Fail2ban.Version.Or(), terminalSafe(r.Fail2ban.Why))
	for _, h := range r.Hosts {
		r.writeHost(&b, h)
	}
	if len(r.Hosts) > 1 {
		l := r.Lines
		fmt.Fprintf(&b, "\nall hosts: %d lines read, %d matched, %d malformed\n", l.Read, l.Matched, l.Malformed)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Result) when(ns int64) string {
	return time.Unix(0, ns).In(r.Location).Format("2006-01-02 15:04:05 MST")
}

func (r *Result) whenSec(s float64) string { return r.when(logtime.ToNanos(s)) }

func (r *Result) writeHost(b *strings.Builder, h *HostResult) {
	if h.Host != "" {
		fmt.Fprintf(b, "\n══ host %s ══\n", terminalSafe(h.Host))
	}
	if h.First != 0 {
		fmt.Fprintf(b, "period:     %s .. %s (%s)\n", r.when(h.First), r.when(h.Last), duration(float64((h.Last-h.First)/logtime.NanosPerSecond)))
	} else {
		fmt.Fprintf(b, "period:     no stamped line\n")
	}
	var failures, bans int64
	for _, j := range h.Jails {
		failures += j.Status.TotalFailed
		bans += j.Status.TotalBanned
	}
	rep := h.Report
	fmt.Fprintf(b, "totals:     %d failures, %d bans", failures, bans)
	if len(h.Jails) > 0 {
		p := h.Jails[primaryJail(h.Jails)]
		fmt.Fprintf(b, ", %s%d attackers (jail %s)", approx(p.Outcome.Estimated), p.Outcome.Attackers, terminalSafe(p.Jail.Settings.Name))
	}
	b.WriteString("\n")
	writeMisses(b, &h.Misses)
	if rep != nil && rep.PeakBanned > 0 {
		fmt.Fprintf(b, "peak:       %d bans in force at once (firewall rules), first at %s\n", rep.PeakBanned, r.whenRFC(*rep.PeakAt))
	}
	if rep != nil && len(rep.TopIPs) > 0 {
		fmt.Fprintf(b, "\ntop attacking IPs\n  %-3s %-39s %-7s %9s %5s  %-12s %s\n", "#", "ip", "country", "failures", "bans", "time banned", "at the end")
		for i, row := range rep.TopIPs {
			banned, end := "-", ""
			if row.Bans > 0 {
				banned = duration(row.TimeBanned)
			}
			if row.StillBanned {
				end = "banned"
			}
			l := fmt.Sprintf("  %-3d %-39s %-7s %9s %5d  %-12s %s", i+1, terminalSafe(row.IP), orDash(row.Country), count(row.Failures, row.Error), row.Bans, banned, end)
			b.WriteString(strings.TrimRight(l, " ") + "\n")
		}
	}
	if rep != nil && rep.Bans != nil {
		r.writeBans(b, h, rep.Bans)
	}
	if len(h.Countries) > 0 {
		fmt.Fprintf(b, "\ntop countries (%s)\n  %-28s %9s %8s %6s\n", terminalSafe(r.GeoSource), "country", "failures", "ips", "bans")
		for i, c := range h.Countries {
			if i == 10 {
				fmt.Fprintf(b, "  … %d more\n", len(h.Countries)-10)
				break
			}
			fmt.Fprintf(b, "  %s %9d %8d %6d", padRunes(c.Country+" "+c.Name, 28), c.Failures, c.IPs, c.Bans)
			if r.HasASN && len(c.TopASNs) > 0 {
				a := c.TopASNs[0]
				fmt.Fprintf(b, "   top AS%d %s (%d)", a.ASN, terminalSafe(a.Org), a.Failures)
			}
			b.WriteByte('\n')
		}
		for _, c := range h.Countries {
			if c.Country == geo.Unknown {
				fmt.Fprintf(b, "  %s\n", unlocatedLine(c))
			}
		}
	}
	if len(h.TopASNs) > 0 {
		fmt.Fprintf(b, "\ntop autonomous systems\n  %-10s %-36s %9s %8s\n", "asn", "organisation", "failures", "ips")
		for _, a := range h.TopASNs {
			fmt.Fprintf(b, "  %-10s %s %9d %8d\n", fmt.Sprintf("AS%d", a.ASN), padRunes(terminalSafe(a.Org), 36), a.Failures, a.IPs)
		}
	}
	if rep != nil && len(rep.Inside) > 0 {
		fmt.Fprintf(b, "\nattackers inside a network (private, shared, loopback, link-local addresses)\n  %-39s %-10s %9s %5s  %s\n", "ip", "kind", "failures", "bans", "time banned")
		for _, row := range rep.Inside {
			banned := "-"
			if row.Bans > 0 {
				banned = duration(row.TimeBanned)
			}
			fmt.Fprintf(b, "  %-39s %-10s %9s %5d  %s\n", terminalSafe(row.IP), row.Kind, count(row.Failures, row.Error), row.Bans, banned)
		}
	}
	if rep != nil && len(rep.TopUsers) > 0 {
		fmt.Fprintf(b, "\ntop user names tried\n")
		for i, u := range rep.TopUsers {
			fmt.Fprintf(b, "  %-3d %-32s %9s\n", i+1, quoteName(u.User), count(u.Failures, u.Error))
		}
	}
	if rep != nil && len(rep.BusiestHours) > 0 {
		fmt.Fprintf(b, "\nbusiest hours\n")
		for _, hr := range rep.BusiestHours {
			t, _ := time.Parse(time.RFC3339, hr.Start)
			fmt.Fprintf(b, "  %s  %9d failures\n", t.In(r.Location).Format("Mon 2006-01-02 15:04 MST"), hr.Failures)
		}
	}
	if h.Fail2banLog != nil {
		writeComparison(b, h.Fail2banLog)
	}
	for _, jr := range h.Jails {
		r.writeJail(b, jr)
	}
	if len(h.WhatIf) > 0 {
		writeWhatIf(b, h)
	}
	l := h.Lines
	fmt.Fprintf(b, "\nparse health: %d lines read, %d matched, %d malformed (too long %d, no timestamp %d, invalid UTF-8 %d), %d unterminated\n",
		l.Read, l.Matched, l.Malformed, l.TooLong, l.NoTimestamp, l.InvalidUTF8, l.Partial)
}

// writeBans is how long the bans lasted, what the failures made while
// banned mean, and the bans still in force at the end.
func (r *Result) writeBans(b *strings.Builder, h *HostResult, br *BanReport) {
	var total int64
	for _, d := range br.Durations {
		total += d.Bans
	}
	if total == 0 {
		return
	}
	fmt.Fprintf(b, "\nban durations (prolongations and bantime.increment included)\n")
	for _, d := range br.Durations {
		fmt.Fprintf(b, "  %-10s %6d\n", d.label(), d.Bans)
	}
	var blocked int64
	for _, j := range h.Jails {
		blocked += j.Outcome.Blocked
	}
	if blocked > 0 {
		fmt.Fprintf(b, "  %d failures came from addresses the simulation had banned: sshd logged them, so if\n"+
			"  fail2ban had them banned then, its ban action did not keep them from sshd (a firewall\n"+
			"  rule drops them before sshd sees them)\n", blocked)
	}
	fmt.Fprintf(b, "\nbanned at the end (%d)\n", len(br.StillBanned))
	if len(br.StillBanned) == 0 {
		return
	}
	fmt.Fprintf(b, "  %-39s %-12s %-23s %-12s %s\n", "ip", "jail", "since", "left", "prolonged")
	for i, s := range br.StillBanned {
		if i == r.TopN {
			fmt.Fprintf(b, "  … %d more\n", len(br.StillBanned)-i)
			break
		}
		fmt.Fprintf(b, "  %-39s %-12s %-23s %-12s %d\n", terminalSafe(s.IP), terminalSafe(s.Jail), r.whenRFC(s.Start), s.leftText(), s.Prolongations)
	}
}

// writeComparison is fail2ban.log beside the simulation.
func writeComparison(b *strings.Builder, c *Comparison) {
	fmt.Fprintf(b, "\nfail2ban.log beside the simulation (%d file(s); fail2ban started %d time(s) in the period)\n", len(c.Files), c.Starts)
	for _, n := range c.jailNames() {
		j := c.Jails[n]
		fmt.Fprintf(b, "  jail %s: fail2ban banned %d (and restored %d at a start, repealed %d at a stop), the simulation %d",
			terminalSafe(n), j.Observed, j.Restored, j.Repealed, j.Simulated)
		if !j.IsSimulated {
			b.WriteString(" (not simulated)")
		}
		b.WriteString("\n")
		fmt.Fprintf(b, "    %-22s %6d   largest shift %gs\n", "the same ban (≤ 5 s)", j.Matched, j.MaxMatchDt)
		if j.Shifted > 0 {
			fmt.Fprintf(b, "    %-22s %6d   median %gs, largest %gs\n", "shifted", j.Shifted, j.ShiftMedian, j.ShiftMax)
		} else {
			fmt.Fprintf(b, "    %-22s %6d\n", "shifted", 0)
		}
		fmt.Fprintf(b, "    %-22s %6d\n", "only fail2ban", j.OnlyObserved)
		fmt.Fprintf(b, "    %-22s %6d\n", "only the simulation", j.OnlySimulated)
		for _, cause := range j.causes() {
			fmt.Fprintf(b, "      %d: %s\n", j.Causes[cause], cause)
		}
		for _, d := range j.Examples {
			fmt.Fprintf(b, "      %-14s %-39s %s", d.Kind, terminalSafe(d.IP), d.Time)
			if d.Shift != 0 {
				fmt.Fprintf(b, " (fail2ban %+gs)", d.Shift)
			}
			if d.Cause != "" {
				fmt.Fprintf(b, " (%s)", d.Cause)
			}
			b.WriteString("\n")
		}
	}
	for _, n := range c.Notes {
		fmt.Fprintf(b, "  note: %s\n", n)
	}
	if w := c.whileBanned(terminalSafe); w != "" {
		fmt.Fprintf(b, "  %s\n", w)
	}
}

func (r *Result) whenRFC(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return r.when(t.UnixNano())
}

func (r *Result) writeJail(b *strings.Builder, jr JailResult) {
	s := jr.Jail.Settings
	st := jr.Status
	fmt.Fprintf(b, "\njail %s\n", terminalSafe(s.Name))
	fmt.Fprintf(b, "  failed:   %d total, %d currently\n", st.TotalFailed, st.CurrentlyFailed)
	fmt.Fprintf(b, "  banned:   %d total, %d currently", st.TotalBanned, st.CurrentlyBanned)
	if st.PeakBanned > 0 {
		fmt.Fprintf(b, ", peak %d at %s", st.PeakBanned, r.whenSec(st.PeakAt))
	}
	b.WriteString("\n")
	o := jr.Outcome
	fmt.Fprintf(b, "  outcome:  %d failures got through, %d made while banned; %s%d attackers, %s%d never banned\n",
		o.Through, o.Blocked, approx(o.Estimated), o.Attackers, approx(o.Estimated), o.NeverBanned)
	if st.Ignored > 0 {
		fmt.Fprintf(b, "  ignored:  %d failures (ignoreip/ignoreself)\n", st.Ignored)
	}
	fmt.Fprintf(b, "  settings:\n")
	inc := "false"
	if s.Increment.Enabled {
		inc = "true"
	}
	values := map[string]string{
		"filter": filterName(jr.Jail), "mode": jr.Jail.Filter.Params["mode"], "maxretry": fmt.Sprint(s.MaxRetry),
		"findtime": duration(s.FindTime), "bantime": duration(s.BanTime), "ignoreip": strings.Join(s.Ignore.Rules(), " "),
		"ignoreself": fmt.Sprint(s.Ignore.Self()), "counting": s.Counting.String(), "bantime.increment": inc,
	}
	for _, k := range append(append([]string{}, settingKeys...), "bantime.increment") {
		v := values[k]
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(b, "    %-18s %-24s (%s)\n", k, terminalSafe(v), terminalSafe(origin(jr.Jail, k)))
	}
}

func writeWhatIf(b *strings.Builder, h *HostResult) {
	fmt.Fprintf(b, "\nwhat-if (the same history under other settings)\n")
	cols := []string{"configured"}
	for _, w := range h.WhatIf {
		cols = append(cols, terminalSafe(w.Scenario.Label))
	}
	for ji, jr := range h.Jails {
		fmt.Fprintf(b, "  jail %s\n", terminalSafe(jr.Jail.Settings.Name))
		rows := []struct {
			name string
			get  func(JailResult) string
		}{
			{"total bans", func(j JailResult) string { return fmt.Sprint(j.Status.TotalBanned) }},
			{"peak bans in force", func(j JailResult) string { return fmt.Sprint(j.Status.PeakBanned) }},
			{"failures got through", func(j JailResult) string { return fmt.Sprint(j.Outcome.Through) }},
			{"failures while banned", func(j JailResult) string { return fmt.Sprint(j.Outcome.Blocked) }},
			{"attackers never banned", func(j JailResult) string {
				return approx(j.Outcome.Estimated) + fmt.Sprint(j.Outcome.NeverBanned)
			}},
		}
		fmt.Fprintf(b, "    %-24s", "")
		for i := range cols {
			fmt.Fprintf(b, " %s", cell(fmt.Sprintf("[%d]", i), 12))
		}
		b.WriteString("\n")
		for _, row := range rows {
			fmt.Fprintf(b, "    %-24s %s", row.name, cell(row.get(jr), 12))
			for _, w := range h.WhatIf {
				fmt.Fprintf(b, " %s", cell(row.get(w.Jails[ji]), 12))
			}
			b.WriteString("\n")
		}
	}
	for i, c := range cols {
		fmt.Fprintf(b, "  [%d] %s\n", i, c)
	}
}

// padRunes cuts s to w runes (… for the rest) or pads it to them.
func padRunes(s string, w int) string {
	rs := []rune(s)
	if len(rs) > w {
		return string(rs[:w-1]) + "…"
	}
	return s + strings.Repeat(" ", w-len(rs))
}

func cell(s string, w int) string {
	if n := len([]rune(s)); n < w {
		return strings.Repeat(" ", w-n) + s
	}
	return s
}

func primaryJail(js []JailResult) int {
	for i, j := range js {
		if j.Input == filter.InputLog {
			return i
		}
	}
	return 0
}

func approx(est bool) string {
	if est {
		return "≈"
	}
	return ""
}

func count(n, errBound int64) string {
	if errBound > 0 {
		return fmt.Sprintf("≤%d", n)
	}
	return fmt.Sprint(n)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// quoteName shows a user name as text: quoted, control characters and
// invalid bytes escaped, so what a terminal shows is what was tried.
func quoteName(s string) string {
	q := fmt.Sprintf("%+q", s) // ASCII-only, Go escapes
	if len(q) > 64 {
		q = q[:60] + "…\""
	}
	return q
}

// writeMisses is the report's "what fail2ban misses": counted apart,
// never in the totals.
func writeMisses(b *strings.Builder, m *misses.Counts) {
	if w := m.Warning(); w != "" {
		fmt.Fprintf(b, "WARNING:    %s\n", w)
	}
	if m.Simulated == m.Newest && m.Dropped() == 0 {
		return
	}
	var parts []string
	if m.Simulated != m.Newest {
		parts = append(parts, fmt.Sprintf("%d failures only fail2ban %s counts", m.Unseen, m.Newest))
	}
	if n := m.Dropped(); n > 0 {
		var rs []string
		for _, r := range misses.Reasons() {
			if d := m.Drops[r]; d > 0 {
				rs = append(rs, fmt.Sprintf("%s %d", r, d))
			}
		}
		parts = append(parts, fmt.Sprintf("%d connections sshd dropped itself (%s)", n, strings.Join(rs, ", ")))
	}
	fmt.Fprintf(b, "misses:     %s (not in the totals)\n", strings.Join(parts, "; "))
}
