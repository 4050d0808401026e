// Package output names everything banscope writes: the measurements and
// fields of its line protocol and its Prometheus metrics (README
// "Metrics"). Each output is a subpackage that encodes a numbers.Snapshot
// (lineprotocol, prometheus) or carries what one encoded (influxpush), or
// receives the engine's ban events (events). Tags and labels come only
// from bounded sets: host, jail, kind, country, file.
package output

import (
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// Line-protocol measurements.
const (
	// Telegraf's inputs.fail2ban shape, for the InfluxDB fail2ban template:
	// banned, failed = currently banned / currently failed.
	MFail2ban = "fail2ban"
	MJail     = "banscope_jail"    // per jail: totals, this interval's failures/bans/unbans, peak
	MKind     = "banscope_kind"    // per jail and message kind: failures_total
	MLog      = "banscope_log"     // the followed log: growth and rotations
	MParse    = "banscope_parse"   // parse health
	MMisses   = "banscope_misses"  // what the simulated fail2ban does not see
	MF2bLog   = "banscope_f2blog"  // what fail2ban.log says happened, beside the simulation
	MCountry  = "banscope_country" // per jail and country: failures, distinct IPs, bans, currently banned
)

// TagValue makes a tag or label value of text that may come from a log
// (a jail name in fail2ban.log, a syslog host field): invalid UTF-8 and
// control characters become U+FFFD, a trailing backslash (which line
// protocol cannot carry) is followed by U+FFFD, and an empty value is
// "(empty)" — never an error, never raw control characters.
func TagValue(s string) string {
	ok := s != "" && s[len(s)-1] != '\\' && utf8.ValidString(s)
	for _, r := range s {
		if control(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	if s == "" {
		return "(empty)"
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if control(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	if strings.HasSuffix(b.String(), "\\") {
		b.WriteRune(utf8.RuneError)
	}
	return b.String()
}

// control reports C0 and C1 control characters and DEL.
func control(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }

// Metric is a Prometheus metric: name, help and labels.
type Metric struct {
	Name, Help string
	Labels     []string
}

// Desc is the metric's Prometheus description.
func (m Metric) Desc() *prometheus.Desc { return prometheus.NewDesc(m.Name, m.Help, m.Labels, nil) }

// Prometheus metrics: the numbers of the line protocol under one prefix,
// in base units, counters ending in _total.
var (
	PJailFailed       = Metric{"banscope_jail_failed", "Currently failed: addresses with an open failure ticket (fail2ban's number).", []string{"host", "jail"}}
	PJailBanned       = Metric{"banscope_jail_banned", "Currently banned (fail2ban's number).", []string{"host", "jail"}}
	PJailFailedTotal  = Metric{"banscope_jail_failed_total", "Failures counted (fail2ban's Total failed).", []string{"host", "jail"}}
	PJailBannedTotal  = Metric{"banscope_jail_banned_total", "Bans (fail2ban's Total banned).", []string{"host", "jail"}}
	PJailUnbansTotal  = Metric{"banscope_jail_unbans_total", "Bans that ended.", []string{"host", "jail"}}
	PJailIgnoredTotal = Metric{"banscope_jail_ignored_total", "Failures of ignored addresses (ignoreip, ignoreself).", []string{"host", "jail"}}
	PJailPeak         = Metric{"banscope_jail_peak_banned", "Most bans at once (firewall rules).", []string{"host", "jail"}}
	PKindTotal        = Metric{"banscope_failures_by_kind_total", "Failures by message kind of the jail's filter.", []string{"host", "jail", "kind"}}
	PLogBytes         = Metric{"banscope_log_read_bytes_total", "Bytes read from the followed log.", []string{"host", "file"}}
	PLogLines         = Metric{"banscope_log_read_lines_total", "Lines read from the followed log.", []string{"host", "file"}}
	PLogRotations     = Metric{"banscope_log_rotations_total", "Rotations (rename or truncation) of the followed log.", []string{"host", "file"}}
	PLogLag           = Metric{"banscope_tailer_lag_bytes", "Bytes of the followed log not read yet.", []string{"host", "file"}}
	PJournalDisk      = Metric{"banscope_journal_disk_bytes", "Bytes on disk of the followed journal's files.", []string{"host", "file"}}
	PParseMatched     = Metric{"banscope_parse_matched_total", "Lines a failregex matched.", []string{"host"}}
	PParseMalformed   = Metric{"banscope_parse_malformed_total", "Malformed lines: too long or cut by a truncation (skipped), without a timestamp or with invalid UTF-8 or NUL (parsed).", []string{"host"}}
	PParseTooLong     = Metric{"banscope_parse_too_long_total", "Lines over --max-line, skipped.", []string{"host"}}
	PSSHDDropped      = Metric{"banscope_sshd_dropped_total", "Connections sshd dropped itself (PerSourcePenalties by reason, MaxStartups; *-unlogged: counts of its rate-limited summaries), never in fail2ban's numbers.", []string{"host", "reason"}}
	PUnseenFailures   = Metric{"banscope_unseen_failures_total", "Failures the newest fail2ban release counts where the simulated one counts none.", []string{"host", "simulated", "newest"}}
	PF2bBans          = Metric{"banscope_fail2ban_log_bans_total", "Ban lines in fail2ban.log.", []string{"host", "jail"}}
	PF2bRestores      = Metric{"banscope_fail2ban_log_restores_total", "Restore Ban lines in fail2ban.log.", []string{"host", "jail"}}
	PF2bUnbans        = Metric{"banscope_fail2ban_log_unbans_total", "Unban lines in fail2ban.log (bans that ended).", []string{"host", "jail"}}
	PF2bRepeals       = Metric{"banscope_fail2ban_log_repeals_total", "Repeal Ban lines in fail2ban.log (fail2ban 1.1.1 stopping: bans lifted, restored at the next start).", []string{"host", "jail"}}
	PF2bBanned        = Metric{"banscope_fail2ban_log_banned", "Currently banned according to fail2ban.log.", []string{"host", "jail"}}
	PF2bDifference    = Metric{"banscope_fail2ban_log_difference", "fail2ban.log's currently banned minus the simulation's.", []string{"host", "jail"}}
	PCountryFailures  = Metric{"banscope_country_failures_total", "Failures by the attacker's country.", []string{"host", "jail", "country"}}
	PCountryBans      = Metric{"banscope_country_bans_total", "Bans by the attacker's country.", []string{"host", "jail", "country"}}
	PCountryBanned    = Metric{"banscope_country_banned", "Currently banned by country.", []string{"host", "jail", "country"}}

	PBuildInfo = Metric{"banscope_build_info", "1, labelled with banscope's version, the Go toolchain and the fail2ban version simulated.", []string{"host", "version", "goversion", "fail2ban"}}

	// banscope's own health: saving the state, the InfluxDB push.
	PStateSaveErrors = Metric{"banscope_state_save_errors_total", "Failed saves of the state file (each is retried the next interval).", []string{"host"}}
	PPushErrors      = Metric{"banscope_push_errors_total", "Failed pushes to the time-series database (each is retried).", []string{"host"}}
	PSpoolDepth      = Metric{"banscope_spool_batches", "Batches waiting to be pushed.", []string{"host"}}
	PSpoolDrops      = Metric{"banscope_spool_dropped_total", "Batches dropped (spool full or rejected by the server).", []string{"host"}}
	PLastPush        = Metric{"banscope_last_push_timestamp_seconds", "When the last push succeeded.", []string{"host"}}
)

// The fail2ban-prometheus-exporter's names and meanings (--prometheus-names
// f2b-exporter), so that its dashboards and alerts work unchanged; every
// one is a gauge there, and here it has the host label too. Unlike that
// exporter's, the totals survive restarts (banscope's state).
var (
	PF2bUp            = Metric{"f2b_up", "1 while banscope simulates fail2ban from the logs (it cannot ask fail2ban's socket).", []string{"host"}}
	PF2bJailCount     = Metric{"f2b_jail_count", "Number of simulated jails.", []string{"host"}}
	PF2bFailedCurrent = Metric{"f2b_jail_failed_current", "Number of current failures on this jail's filter (Currently failed).", []string{"host", "jail"}}
	PF2bFailedTotal   = Metric{"f2b_jail_failed_total", "Number of total failures on this jail's filter (Total failed).", []string{"host", "jail"}}
	PF2bBannedCurrent = Metric{"f2b_jail_banned_current", "Number of IPs currently banned in this jail.", []string{"host", "jail"}}
	PF2bBannedTotal   = Metric{"f2b_jail_banned_total", "Total number of IPs banned by this jail (includes expired bans).", []string{"host", "jail"}}
	PF2bBanTime       = Metric{"f2b_config_jail_ban_time", "How long an IP is banned for in this jail (in seconds).", []string{"host", "jail"}}
	PF2bFindTime      = Metric{"f2b_config_jail_find_time", "How far back the filter looks for failures in this jail (in seconds).", []string{"host", "jail"}}
	PF2bMaxRetries    = Metric{"f2b_config_jail_max_retries", "The number of failures allowed until the IP is banned by this jail.", []string{"host", "jail"}}
	PF2bVersion       = Metric{"f2b_version", "Version of banscope (exporter) and of the fail2ban it simulates.", []string{"host", "exporter", "fail2ban"}}
)

// Metrics lists every Prometheus metric, for documentation checks.
var Metrics = []Metric{PJailFailed, PJailBanned, PJailFailedTotal, PJailBannedTotal, PJailUnbansTotal, PJailIgnoredTotal,
	PJailPeak, PKindTotal, PLogBytes, PLogLines, PLogRotations, PLogLag, PJournalDisk, PParseMatched, PParseMalformed, PParseTooLong,
	PSSHDDropped, PUnseenFailures, PF2bBans, PF2bRestores, PF2bUnbans, PF2bRepeals, PF2bBanned, PF2bDifference, PCountryFailures, PCountryBans, PCountryBanned,
	PBuildInfo, PStateSaveErrors, PPushErrors, PSpoolDepth, PSpoolDrops, PLastPush,
	PF2bUp, PF2bJailCount, PF2bFailedCurrent, PF2bFailedTotal, PF2bBannedCurrent, PF2bBannedTotal, PF2bBanTime,
	PF2bFindTime, PF2bMaxRetries, PF2bVersion}
