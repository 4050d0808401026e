// Package prometheus serves a numbers.Snapshot as Prometheus metrics
// (names in package output), taken at each scrape.
package prometheus

import (
	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/banscope/banscope/internal/misses"
	"github.com/banscope/banscope/internal/numbers"
	"github.com/banscope/banscope/internal/output"
)

var (
	dJailFailed       = output.PJailFailed.Desc()
	dJailBanned       = output.PJailBanned.Desc()
	dJailFailedTotal  = output.PJailFailedTotal.Desc()
	dJailBannedTotal  = output.PJailBannedTotal.Desc()
	dJailUnbansTotal  = output.PJailUnbansTotal.Desc()
	dJailIgnoredTotal = output.PJailIgnoredTotal.Desc()
	dJailPeak         = output.PJailPeak.Desc()
	dKindTotal        = output.PKindTotal.Desc()
	dLogBytes         = output.PLogBytes.Desc()
	dLogLines         = output.PLogLines.Desc()
	dLogRotations     = output.PLogRotations.Desc()
	dLogLag           = output.PLogLag.Desc()
	dParseMatched     = output.PParseMatched.Desc()
	dParseMalformed   = output.PParseMalformed.Desc()
	dParseTooLong     = output.PParseTooLong.Desc()
	dJournalDisk      = output.PJournalDisk.Desc()
	dSSHDDropped      = output.PSSHDDropped.Desc()
	dUnseenFailures   = output.PUnseenFailures.Desc()
	dF2bBans          = output.PF2bBans.Desc()
	dF2bRestores      = output.PF2bRestores.Desc()
	dF2bUnbans        = output.PF2bUnbans.Desc()
	dF2bRepeals       = output.PF2bRepeals.Desc()
	dF2bBanned        = output.PF2bBanned.Desc()
	dF2bDifference    = output.PF2bDifference.Desc()
	dCountryFailures  = output.PCountryFailures.Desc()
	dCountryBans      = output.PCountryBans.Desc()
	dCountryBanned    = output.PCountryBanned.Desc()
)

// Collector is a prometheus.Collector of the snapshots Snapshot takes
// (one per scrape).
type Collector struct {
	Snapshot func() *numbers.Snapshot
}

// Describe implements prometheus.Collector.
func (c Collector) Describe(ch chan<- *prom.Desc) {
	for _, d := range []*prom.Desc{dJailFailed, dJailBanned, dJailFailedTotal, dJailBannedTotal, dJailUnbansTotal,
		dJailIgnoredTotal, dJailPeak, dKindTotal, dLogBytes, dLogLines, dLogRotations, dLogLag, dParseMatched,
		dParseMalformed, dParseTooLong, dJournalDisk, dSSHDDropped, dUnseenFailures, dF2bBans, dF2bRestores, dF2bUnbans, dF2bRepeals, dF2bBanned, dF2bDifference,
		dCountryFailures, dCountryBans, dCountryBanned} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c Collector) Collect(ch chan<- prom.Metric) {
	s := c.Snapshot()
	host := s.Host
	metric := func(d *prom.Desc, t prom.ValueType, v float64, l []string) {
		for i := range l {
			l[i] = output.TagValue(l[i])
		}
		ch <- prom.MustNewConstMetric(d, t, v, l...)
	}
	g := func(d *prom.Desc, v float64, l ...string) { metric(d, prom.GaugeValue, v, l) }
	ct := func(d *prom.Desc, v float64, l ...string) { metric(d, prom.CounterValue, v, l) }
	for _, j := range s.Jails {
		st := j.Status
		g(dJailFailed, float64(st.CurrentlyFailed), host, j.Name)
		g(dJailBanned, float64(st.CurrentlyBanned), host, j.Name)
		ct(dJailFailedTotal, float64(st.TotalFailed), host, j.Name)
		ct(dJailBannedTotal, float64(st.TotalBanned), host, j.Name)
		ct(dJailUnbansTotal, float64(j.Unbans), host, j.Name)
		ct(dJailIgnoredTotal, float64(st.Ignored), host, j.Name)
		g(dJailPeak, float64(st.PeakBanned), host, j.Name)
		for _, k := range j.Kinds {
			ct(dKindTotal, float64(k.Total), host, j.Name, k.Name)
		}
	}
	for _, x := range s.Countries {
		ct(dCountryFailures, float64(x.FailuresTotal), host, x.Jail, x.Code)
		ct(dCountryBans, float64(x.BansTotal), host, x.Jail, x.Code)
		g(dCountryBanned, float64(x.Banned), host, x.Jail, x.Code)
	}
	for _, o := range s.Observed {
		if o.Simulated {
			g(dF2bDifference, float64(o.Difference()), host, o.Jail)
		}
		ct(dF2bBans, float64(o.Bans), host, o.Jail)
		ct(dF2bRestores, float64(o.Restores), host, o.Jail)
		ct(dF2bUnbans, float64(o.Unbans), host, o.Jail)
		ct(dF2bRepeals, float64(o.Repeals), host, o.Jail)
		g(dF2bBanned, float64(o.Banned), host, o.Jail)
	}
	l := s.Log
	ct(dLogBytes, float64(l.BytesTotal), host, l.File)
	ct(dLogLines, float64(l.LinesTotal), host, l.File)
	ct(dLogRotations, float64(l.Rotations), host, l.File)
	if l.HasLag {
		g(dLogLag, float64(l.Lag), host, l.File)
	}
	if l.HasDisk {
		g(dJournalDisk, float64(l.Disk), host, l.File)
	}
	ct(dParseMatched, float64(s.Parse.Matched), host)
	ct(dParseMalformed, float64(s.Parse.Malformed), host)
	ct(dParseTooLong, float64(s.Parse.TooLong), host)
	m := &s.Misses
	for _, r := range misses.Reasons() {
		ct(dSSHDDropped, float64(m.Drops[r]), host, r.String())
	}
	ct(dUnseenFailures, float64(m.Unseen), host, m.Simulated.String(), m.Newest.String())
}

var (
	dF2bUp            = output.PF2bUp.Desc()
	dF2bJailCount     = output.PF2bJailCount.Desc()
	dF2bFailedCurrent = output.PF2bFailedCurrent.Desc()
	dF2bFailedTotal   = output.PF2bFailedTotal.Desc()
	dF2bBannedCurrent = output.PF2bBannedCurrent.Desc()
	dF2bBannedTotal   = output.PF2bBannedTotal.Desc()
	dF2bBanTime       = output.PF2bBanTime.Desc()
	dF2bFindTime      = output.PF2bFindTime.Desc()
	dF2bMaxRetries    = output.PF2bMaxRetries.Desc()
	dF2bVersion       = output.PF2bVersion.Desc()
)

// F2bExporter is a prometheus.Collector of the same snapshots under the
// fail2ban-prometheus-exporter's names (output.PF2b*).
type F2bExporter struct {
	Snapshot func() *numbers.Snapshot
	// Version is banscope's, Fail2ban the version simulated (f2b_version).
	Version, Fail2ban string
}

// Describe implements prometheus.Collector.
func (c F2bExporter) Describe(ch chan<- *prom.Desc) {
	for _, d := range []*prom.Desc{dF2bUp, dF2bJailCount, dF2bFailedCurrent, dF2bFailedTotal, dF2bBannedCurrent,
		dF2bBannedTotal, dF2bBanTime, dF2bFindTime, dF2bMaxRetries, dF2bVersion} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c F2bExporter) Collect(ch chan<- prom.Metric) {
	s := c.Snapshot()
	host := output.TagValue(s.Host)
	g := func(d *prom.Desc, v float64, l ...string) {
		ch <- prom.MustNewConstMetric(d, prom.GaugeValue, v, l...)
	}
	g(dF2bUp, 1, host)
	g(dF2bJailCount, float64(len(s.Jails)), host)
	for _, j := range s.Jails {
		name, st := output.TagValue(j.Name), j.Status
		g(dF2bFailedCurrent, float64(st.CurrentlyFailed), host, name)
		g(dF2bFailedTotal, float64(st.TotalFailed), host, name)
		g(dF2bBannedCurrent, float64(st.CurrentlyBanned), host, name)
		g(dF2bBannedTotal, float64(st.TotalBanned), host, name)
		g(dF2bBanTime, j.BanTime, host, name)
		g(dF2bFindTime, j.FindTime, host, name)
		g(dF2bMaxRetries, float64(j.MaxRetry), host, name)
	}
	g(dF2bVersion, 1, host, output.TagValue(c.Version), output.TagValue(c.Fail2ban))
}
