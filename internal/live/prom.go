package live

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/banscope/banscope/internal/filter"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
)

// Prometheus metric names: the numbers of the line-protocol schema under
// one prefix, in base units, counters ending in _total.
var (
	pJailFailed       = prometheus.NewDesc("banscope_jail_failed", "Currently failed: addresses with an open failure ticket (fail2ban's number).", []string{"host", "jail"}, nil)
	pJailBanned       = prometheus.NewDesc("banscope_jail_banned", "Currently banned (fail2ban's number).", []string{"host", "jail"}, nil)
	pJailFailedTotal  = prometheus.NewDesc("banscope_jail_failed_total", "Failures counted (fail2ban's Total failed).", []string{"host", "jail"}, nil)
	pJailBannedTotal  = prometheus.NewDesc("banscope_jail_banned_total", "Bans (fail2ban's Total banned).", []string{"host", "jail"}, nil)
	pJailUnbansTotal  = prometheus.NewDesc("banscope_jail_unbans_total", "Bans that ended.", []string{"host", "jail"}, nil)
	pJailIgnoredTotal = prometheus.NewDesc("banscope_jail_ignored_total", "Failures of ignored addresses (ignoreip, ignoreself).", []string{"host", "jail"}, nil)
	pJailPeak         = prometheus.NewDesc("banscope_jail_peak_banned", "Most bans at once (firewall rules).", []string{"host", "jail"}, nil)
	pKindTotal        = prometheus.NewDesc("banscope_failures_by_kind_total", "Failures by sshd message kind.", []string{"host", "jail", "kind"}, nil)
	pLogBytes         = prometheus.NewDesc("banscope_log_read_bytes_total", "Bytes read from the followed log.", []string{"host", "file"}, nil)
	pLogLines         = prometheus.NewDesc("banscope_log_read_lines_total", "Lines read from the followed log.", []string{"host", "file"}, nil)
	pLogRotations     = prometheus.NewDesc("banscope_log_rotations_total", "Rotations (rename or truncation) of the followed log.", []string{"host", "file"}, nil)
	pLogLag           = prometheus.NewDesc("banscope_tailer_lag_bytes", "Bytes of the followed log not read yet.", []string{"host", "file"}, nil)
	pParseMatched     = prometheus.NewDesc("banscope_parse_matched_total", "Lines an sshd failregex matched.", []string{"host"}, nil)
	pParseMalformed   = prometheus.NewDesc("banscope_parse_malformed_total", "Lines counted as malformed (too long, cut by a truncation).", []string{"host"}, nil)
	pParseTooLong     = prometheus.NewDesc("banscope_parse_too_long_total", "Lines over --max-line, skipped.", []string{"host"}, nil)
	pF2bBans          = prometheus.NewDesc("banscope_fail2ban_log_bans_total", "Ban lines in fail2ban.log.", []string{"host", "jail"}, nil)
	pF2bRestores      = prometheus.NewDesc("banscope_fail2ban_log_restores_total", "Restore Ban lines in fail2ban.log.", []string{"host", "jail"}, nil)
	pF2bUnbans        = prometheus.NewDesc("banscope_fail2ban_log_unbans_total", "Unban and Repeal Ban lines in fail2ban.log.", []string{"host", "jail"}, nil)
	pF2bBanned        = prometheus.NewDesc("banscope_fail2ban_log_banned", "Currently banned according to fail2ban.log.", []string{"host", "jail"}, nil)
	pCountryFailures  = prometheus.NewDesc("banscope_country_failures_total", "Failures by the attacker's country.", []string{"host", "jail", "country"}, nil)
	pCountryBans      = prometheus.NewDesc("banscope_country_bans_total", "Bans by the attacker's country.", []string{"host", "jail", "country"}, nil)
	pCountryBanned    = prometheus.NewDesc("banscope_country_banned", "Currently banned by country.", []string{"host", "jail", "country"}, nil)
	pF2bDifference    = prometheus.NewDesc("banscope_fail2ban_log_difference", "fail2ban.log's currently banned minus the simulation's.", []string{"host", "jail"}, nil)
)

type collector struct{ s *sidecar }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{pJailFailed, pJailBanned, pJailFailedTotal, pJailBannedTotal, pJailUnbansTotal,
		pJailIgnoredTotal, pJailPeak, pKindTotal, pLogBytes, pLogLines, pLogRotations, pLogLag, pParseMatched,
		pParseMalformed, pParseTooLong, pF2bBans, pF2bRestores, pF2bUnbans, pF2bBanned, pF2bDifference,
		pCountryFailures, pCountryBans, pCountryBanned} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	host := s.cfg.Host
	g := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	ct := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	for _, r := range s.eng.Jails() {
		j := r.Sim
		name := j.Settings().Name
		st := j.Status()
		g(pJailFailed, float64(st.CurrentlyFailed), host, name)
		g(pJailBanned, float64(st.CurrentlyBanned), host, name)
		ct(pJailFailedTotal, float64(st.TotalFailed), host, name)
		ct(pJailBannedTotal, float64(st.TotalBanned), host, name)
		ct(pJailUnbansTotal, float64(s.c.Unbans[name]), host, name)
		ct(pJailIgnoredTotal, float64(st.Ignored), host, name)
		g(pJailPeak, float64(st.PeakBanned), host, name)
		if r.Filter.Input() == filter.InputLog {
			for _, k := range r.Filter.Kinds()[1:] {
				if n := s.c.ByKind[name][k]; n > 0 {
					ct(pKindTotal, float64(n), host, name, k)
				}
			}
		}
		if s.cfg.Geo != nil {
			for c, t := range s.c.Countries[name] {
				ct(pCountryFailures, float64(t.Failures), host, name, c)
				ct(pCountryBans, float64(t.Bans), host, name, c)
			}
			for c, n := range s.bannedByCountry(st) {
				g(pCountryBanned, float64(n), host, name, c)
			}
		}
		if o := s.c.Observed[name]; o != nil {
			g(pF2bDifference, float64(len(o.Banned)-st.CurrentlyBanned), host, name)
		}
	}
	for name, o := range s.c.Observed {
		ct(pF2bBans, float64(o.Bans), host, name)
		ct(pF2bRestores, float64(o.Restores), host, name)
		ct(pF2bUnbans, float64(o.Unbans), host, name)
		g(pF2bBanned, float64(len(o.Banned)), host, name)
	}
	file := s.fileTag()
	ct(pLogBytes, float64(s.c.BytesRead), host, file)
	ct(pLogLines, float64(s.c.LinesRead), host, file)
	ct(pLogRotations, float64(s.c.Rotations), host, file)
	if s.pos != nil && !s.cfg.Journal && s.cfg.AuthLog != "-" {
		if fi, err := os.Stat(s.cfg.AuthLog); err == nil && fi.Size() >= s.pos.Offset {
			g(pLogLag, float64(fi.Size()-s.pos.Offset), host, file)
		}
	}
	ct(pParseMatched, float64(s.c.Matched), host)
	ct(pParseMalformed, float64(s.c.Malformed), host)
	ct(pParseTooLong, float64(s.c.TooLong), host)
}

// serve runs the Prometheus endpoint (/metrics, /healthz) until ctx is done.
// webConfig is an exporter-toolkit web configuration (TLS, basic auth).
func (s *sidecar) serve(ctx context.Context, listen, webConfig string, ready chan<- string) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{s}, s.health)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	err = web.Serve(ln, srv, &web.FlagConfig{WebConfigFile: &webConfig}, logger)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (s *sidecar) fileTag() string {
	switch {
	case s.cfg.Journal:
		return "journal"
	case s.cfg.AuthLog == "-":
		return "stdin"
	}
	return filepathBase(s.cfg.AuthLog)
}

func filepathBase(p string) string { return filepath.Base(p) }
