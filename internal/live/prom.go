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
	"sync"
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
	// Idle keep-alive connections are closed after a minute and headers
	// must come within 10 s; at most maxConns are served at once, the rest
	// wait in the kernel's queue: idle or slow clients cannot take the
	// descriptors following and saving the state need.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	ln := limitListener(l, maxConns)
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

// maxConns bounds the /metrics connections open at once.
const maxConns = 64

// limitListener accepts at most n connections at a time: the next Accept
// waits until one of them is closed.
func limitListener(l net.Listener, n int) net.Listener {
	return &limited{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

type limited struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limited) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limited) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
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
