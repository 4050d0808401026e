// Package lineprotocol encodes a numbers.Snapshot as InfluxDB line
// protocol: Telegraf's fail2ban measurement, then banscope's own (names in
// package output).
package lineprotocol

import (
	"math"
	"strings"

	lp "github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/banscope/banscope/internal/misses"
	"github.com/banscope/banscope/internal/numbers"
	"github.com/banscope/banscope/internal/output"
)

func i(v int64) lp.Value { return lp.IntValue(v) }

// Append writes every measurement of an interval snapshot to enc.
func Append(enc *lp.Encoder, s *numbers.Snapshot) {
	host, now := s.Host, s.At
	observed := map[string]*numbers.Observed{}
	for k := range s.Observed {
		observed[s.Observed[k].Jail] = &s.Observed[k]
	}
	for _, j := range s.Jails {
		st := j.Status
		enc.StartLine(output.MFail2ban)
		enc.AddTag("host", output.TagValue(host))
		enc.AddTag("jail", output.TagValue(j.Name))
		enc.AddField("banned", i(int64(st.CurrentlyBanned)))
		enc.AddField("failed", i(int64(st.CurrentlyFailed)))
		enc.EndLine(now)

		enc.StartLine(output.MJail)
		enc.AddTag("host", output.TagValue(host))
		enc.AddTag("jail", output.TagValue(j.Name))
		enc.AddField("bans", i(j.Interval.Bans))
		enc.AddField("banned_total", i(st.TotalBanned))
		enc.AddField("failed_total", i(st.TotalFailed))
		enc.AddField("failures", i(j.Interval.Failures))
		enc.AddField("ignored_total", i(st.Ignored))
		enc.AddField("peak_banned", i(int64(st.PeakBanned)))
		enc.AddField("unbans", i(j.Interval.Unbans))
		enc.AddField("unbans_total", i(j.Unbans))
		enc.EndLine(now)

		for _, k := range j.Kinds {
			enc.StartLine(output.MKind)
			enc.AddTag("host", output.TagValue(host))
			enc.AddTag("jail", output.TagValue(j.Name))
			enc.AddTag("kind", output.TagValue(k.Name))
			enc.AddField("failures_total", i(k.Total))
			enc.EndLine(now)
		}
		if o := observed[j.Name]; o != nil {
			enc.StartLine(output.MF2bLog)
			enc.AddTag("host", output.TagValue(host))
			enc.AddTag("jail", output.TagValue(j.Name))
			enc.AddField("banned", i(int64(o.Banned)))
			enc.AddField("bans_total", i(o.Bans))
			enc.AddField("difference", i(int64(o.Difference())))
			enc.AddField("repeals_total", i(o.Repeals))
			enc.AddField("restores_total", i(o.Restores))
			enc.AddField("simulated_banned", i(int64(o.SimulatedBanned)))
			enc.AddField("unbans_total", i(o.Unbans))
			enc.EndLine(now)
		}
	}
	for _, c := range s.Countries {
		enc.StartLine(output.MCountry)
		enc.AddTag("country", output.TagValue(c.Code))
		enc.AddTag("host", output.TagValue(host))
		enc.AddTag("jail", output.TagValue(c.Jail))
		enc.AddField("banned", i(c.Banned))
		enc.AddField("bans", i(c.Bans))
		enc.AddField("bans_total", i(c.BansTotal))
		enc.AddField("failures", i(c.Failures))
		enc.AddField("failures_total", i(c.FailuresTotal))
		enc.AddField("ips", i(c.IPs))
		enc.EndLine(now)
	}
	// fail2ban.log jails banscope does not simulate
	for _, o := range s.Observed {
		if o.Simulated {
			continue
		}
		enc.StartLine(output.MF2bLog)
		enc.AddTag("host", output.TagValue(host))
		enc.AddTag("jail", output.TagValue(o.Jail))
		enc.AddField("banned", i(int64(o.Banned)))
		enc.AddField("bans_total", i(o.Bans))
		enc.AddField("repeals_total", i(o.Repeals))
		enc.AddField("restores_total", i(o.Restores))
		enc.AddField("unbans_total", i(o.Unbans))
		enc.EndLine(now)
	}
	l := s.Log
	enc.StartLine(output.MLog)
	enc.AddTag("file", output.TagValue(l.File))
	enc.AddTag("host", output.TagValue(host))
	enc.AddField("bytes", i(l.Bytes))
	enc.AddField("bytes_per_second", lp.MustNewValue(round3(l.BytesPerSecond)))
	enc.AddField("bytes_total", i(l.BytesTotal))
	if l.HasDisk {
		enc.AddField("disk_bytes", i(l.Disk))
	}
	enc.AddField("lines", i(l.Lines))
	enc.AddField("lines_per_second", lp.MustNewValue(round3(l.LinesPerSecond)))
	enc.AddField("lines_total", i(l.LinesTotal))
	enc.AddField("rotations_total", i(l.Rotations))
	enc.EndLine(now)

	p := s.Parse
	enc.StartLine(output.MParse)
	enc.AddTag("host", output.TagValue(host))
	enc.AddField("malformed_total", i(p.Malformed))
	enc.AddField("matched_total", i(p.Matched))
	enc.AddField("read_total", i(p.Read))
	enc.AddField("too_long_total", i(p.TooLong))
	enc.EndLine(now)

	m := &s.Misses
	enc.StartLine(output.MMisses)
	enc.AddTag("host", output.TagValue(host))
	enc.AddTag("newest", m.Newest.String())
	enc.AddTag("simulated", m.Simulated.String())
	for _, r := range misses.Reasons() {
		enc.AddField("dropped_"+strings.ReplaceAll(r.String(), "-", "_")+"_total", i(m.Drops[r]))
	}
	enc.AddField("dropped_total", i(m.Dropped()))
	enc.AddField("unseen_failures_total", i(m.Unseen))
	enc.EndLine(now)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
