package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/banscope/banscope/internal/output"
	"github.com/banscope/banscope/internal/output/influxpush"
	promout "github.com/banscope/banscope/internal/output/prometheus"
)

// serve runs the Prometheus endpoint (/metrics, /healthz) until ctx is done.
// webConfig is an exporter-toolkit web configuration (TLS, basic auth).
func (s *sidecar) serve(ctx context.Context, listen, webConfig string, ready chan<- string) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(influxpush.Health{P: s.push, Host: s.cfg.Host}, stateHealth{s})
	switch s.cfg.PrometheusNames {
	case "", "banscope":
		reg.MustRegister(promout.Collector{Snapshot: s.current})
	case "f2b-exporter":
		reg.MustRegister(promout.F2bExporter{Snapshot: s.current, Version: s.cfg.Version, Fail2ban: s.cfg.Fail2ban.Version.String()})
	case "both":
		reg.MustRegister(promout.Collector{Snapshot: s.current},
			promout.F2bExporter{Snapshot: s.current, Version: s.cfg.Version, Fail2ban: s.cfg.Fail2ban.Version.String()})
	default:
		return fmt.Errorf("--prometheus-names: want banscope, f2b-exporter or both, not %q", s.cfg.PrometheusNames)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
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

var (
	dStateSaveErrors = output.PStateSaveErrors.Desc()
	dBuildInfo       = output.PBuildInfo.Desc()
)

// stateHealth exports how saving the state goes, and what banscope is
// (banscope_build_info).
type stateHealth struct{ s *sidecar }

func (h stateHealth) Describe(ch chan<- *prometheus.Desc) { ch <- dStateSaveErrors; ch <- dBuildInfo }

func (h stateHealth) Collect(ch chan<- prometheus.Metric) {
	h.s.mu.Lock()
	n := h.s.saveErrors
	h.s.mu.Unlock()
	host := output.TagValue(h.s.cfg.Host)
	ch <- prometheus.MustNewConstMetric(dStateSaveErrors, prometheus.CounterValue, float64(n), host)
	ch <- prometheus.MustNewConstMetric(dBuildInfo, prometheus.GaugeValue, 1, host, output.TagValue(h.s.cfg.Version),
		runtime.Version(), output.TagValue(h.s.cfg.Fail2ban.Version.String()))
}
