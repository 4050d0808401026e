// Package influxpush sends line-protocol batches to InfluxDB 1.x (/write)
// or the v2 API (/api/v2/write: InfluxDB 2, VictoriaMetrics): gzip, retry
// with backoff, a bounded on-disk spool while the server is away, never
// blocking the caller. It knows nothing of what the points mean.
package influxpush

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/banscope/banscope/internal/atomicfile"
	"github.com/banscope/banscope/internal/logtime"
	"github.com/banscope/banscope/internal/output"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is where points are pushed: InfluxDB 1.x /write (DB, RP, user and
// password) or the v2 API /api/v2/write (Org, Bucket, Token), which
// InfluxDB 2, VictoriaMetrics and others accept.
type Config struct {
	URL      string
	DB, RP   string
	User     string
	Password string
	Org      string
	Bucket   string
	Token    string
	// Spool is a directory where batches wait while the server is
	// unreachable; they are sent in order when it returns. SpoolMax bounds
	// it (default 64 MiB): beyond, the oldest batches are dropped and
	// counted.
	Spool    string
	SpoolMax int64
	// Timeout bounds connecting (default 10 s); AnswerTimeout how long a
	// write sent is waited for (default 2 min).
	Timeout       time.Duration
	AnswerTimeout time.Duration
	// SkipDatabaseCreation keeps a 1.x server's missing database missing
	// (by default it is created at the first "database not found", as
	// Telegraf's output does).
	SkipDatabaseCreation bool
}

func (in Config) v2() bool { return in.Bucket != "" }

// endpoint returns the write URL.
func (in Config) endpoint() (string, error) {
	u, err := url.Parse(strings.TrimRight(in.URL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("influx URL %q: want http(s)://host:port", in.URL)
	}
	q := url.Values{}
	q.Set("precision", "ns")
	if in.v2() {
		u.Path += "/api/v2/write"
		q.Set("org", in.Org)
		q.Set("bucket", in.Bucket)
	} else {
		if in.DB == "" {
			return "", fmt.Errorf("influx: --influx-db (v1) or --influx-bucket (v2) is required")
		}
		u.Path += "/write"
		q.Set("db", in.DB)
		if in.RP != "" {
			q.Set("rp", in.RP)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Pusher sends batches in order without ever blocking the caller.
type Pusher struct {
	in       Config
	url      string
	client   *http.Client
	queue    chan []byte
	notice   func(string)
	mu       sync.Mutex
	spooled  []string // spool files, oldest first
	seq      uint64
	memory   [][]byte // without a spool directory: batches waiting, bounded
	errors   float64
	drops    float64
	lastOK   time.Time
	wake     chan struct{}
	busy     int  // batches handed to Enqueue and not parked yet
	created  bool // CREATE DATABASE was tried
	inflight sync.WaitGroup
}

// New returns a pusher for in; notice receives what a user should know.
func New(in Config, notice func(string)) (*Pusher, error) {
	u, err := in.endpoint()
	if err != nil {
		return nil, err
	}
	if in.Timeout <= 0 {
		in.Timeout = 10 * time.Second
	}
	if in.SpoolMax <= 0 {
		in.SpoolMax = 64 << 20
	}
	// Timeout bounds connecting and the TLS handshake. A write the server
	// has received gets AnswerTimeout to be answered: giving up on a write
	// the server stores anyway makes the retry a duplicate (InfluxDB
	// overwrites a point of the same series and time; VictoriaMetrics keeps
	// both unless -dedup.minScrapeInterval is set).
	if in.AnswerTimeout <= 0 {
		in.AnswerTimeout = 2 * time.Minute
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: in.Timeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = in.Timeout
	tr.ResponseHeaderTimeout = in.AnswerTimeout
	p := &Pusher{in: in, url: u, client: &http.Client{Transport: tr, CheckRedirect: noRedirect}, queue: make(chan []byte, 64),
		notice: notice, wake: make(chan struct{}, 1)}
	if in.Spool != "" {
		if err := os.MkdirAll(in.Spool, 0o700); err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		ents, err := os.ReadDir(in.Spool)
		if err != nil {
			return nil, fmt.Errorf("spool: %w", err)
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".lp") {
				p.spooled = append(p.spooled, filepath.Join(in.Spool, e.Name()))
				if n, err := strconv.ParseUint(strings.TrimSuffix(e.Name(), ".lp"), 10, 64); err == nil && n > p.seq {
					p.seq = n
				}
			}
		}
		sort.Strings(p.spooled)
	}
	return p, nil
}

// Enqueue hands a batch to the sender; it never blocks.
func (p *Pusher) Enqueue(batch []byte) {
	b := append([]byte(nil), batch...)
	p.mu.Lock()
	p.busy++ // counted from here until it is parked or sent
	p.mu.Unlock()
	select {
	case p.queue <- b:
	default:
		p.park(b)
		p.mu.Lock()
		p.busy--
		p.mu.Unlock()
	}
}

// park keeps a batch for later, on disk when there is a spool.
func (p *Pusher) park(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.in.Spool == "" {
		p.memory = append(p.memory, b)
		for len(p.memory) > 256 {
			p.memory = p.memory[1:]
			p.drops++
		}
		return
	}
	p.seq++
	name := filepath.Join(p.in.Spool, fmt.Sprintf("%020d.lp", p.seq))
	if err := atomicfile.Write(name, b); err != nil {
		p.drops++
		p.notice(fmt.Sprintf("spool: %v (batch dropped)", err))
		return
	}
	p.spooled = append(p.spooled, name)
	// bound the spool: drop the oldest
	var total int64
	for i := len(p.spooled) - 1; i >= 0; i-- {
		if fi, err := os.Stat(p.spooled[i]); err == nil {
			total += fi.Size()
		}
		if total > p.in.SpoolMax {
			for _, old := range p.spooled[:i+1] {
				os.Remove(old)
				p.drops++
			}
			p.spooled = p.spooled[i+1:]
			break
		}
	}
}

// Run sends batches until ctx is done; waiting batches go to the spool.
func (p *Pusher) Run(ctx context.Context) {
	backoff := time.Second
	for {
		// Waiting batches first, oldest first, so order is kept.
		if b, from, ok := p.oldest(); ok {
			if err := p.send(ctx, b); err != nil {
				if ctx.Err() != nil {
					return
				}
				p.fail(err)
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				if backoff < time.Minute {
					backoff *= 2
				}
				continue
			}
			backoff = time.Second
			p.done(from)
			continue
		}
		select {
		case <-ctx.Done():
			return
		case b := <-p.queue:
			p.park(b) // through the same ordered path
			p.mu.Lock()
			p.busy--
			p.mu.Unlock()
		}
	}
}

// DrainQueue moves queued batches to the spool (at shutdown).
func (p *Pusher) DrainQueue() {
	for {
		select {
		case b := <-p.queue:
			p.park(b)
			p.mu.Lock()
			p.busy--
			p.mu.Unlock()
		default:
			return
		}
	}
}

func (p *Pusher) oldest() ([]byte, string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.in.Spool == "" {
		if len(p.memory) == 0 {
			return nil, "", false
		}
		return p.memory[0], "", true
	}
	for len(p.spooled) > 0 {
		b, err := os.ReadFile(p.spooled[0])
		if err == nil {
			return b, p.spooled[0], true
		}
		p.spooled = p.spooled[1:]
	}
	return nil, "", false
}

func (p *Pusher) done(from string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastOK = time.Now()
	if from == "" {
		p.memory = p.memory[1:]
		return
	}
	os.Remove(from)
	p.spooled = p.spooled[1:]
}

func (p *Pusher) fail(err error) {
	p.mu.Lock()
	p.errors++
	p.mu.Unlock()
	p.notice(fmt.Sprintf("push to %s: %v (will retry)", p.in.URL, err))
}

type permanentError struct{ error }

// errTooLarge is a 413 answer: the body is larger than the server takes.
var errTooLarge = errors.New("413 Request Entity Too Large")

// splitAt returns where to cut a batch of lines in two (after the newline
// nearest its middle), or 0 for a single line.
func splitAt(b []byte) int {
	b = bytes.TrimRight(b, "\n")
	mid := len(b) / 2
	if i := bytes.IndexByte(b[mid:], '\n'); i >= 0 {
		return mid + i + 1
	}
	if i := bytes.LastIndexByte(b[:mid], '\n'); i >= 0 {
		return i + 1
	}
	return 0
}

// noRedirect keeps a redirect as the answer: following a 301/302/303
// re-sends the write as a GET without its body, which the server answers
// 204 and stores nothing — every point lost without an error.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func (p *Pusher) send(ctx context.Context, b []byte) error {
	err := p.sendOnce(ctx, b)
	if errors.Is(err, errTooLarge) {
		// 413: the server takes smaller bodies (InfluxDB's
		// max-body-size, a proxy's limit): send the batch in halves, cut
		// between lines, down to single points.
		if i := splitAt(b); i > 0 {
			if err := p.send(ctx, b[:i]); err != nil {
				return err
			}
			return p.send(ctx, b[i:])
		}
		p.notice(fmt.Sprintf("push to %s: a single point is too large for the server (%d bytes; dropped)", p.in.URL, len(b)))
		p.mu.Lock()
		p.drops++
		p.mu.Unlock()
		return nil
	}
	var nf errDatabaseNotFound
	if errors.As(err, &nf) && !p.in.v2() && !p.in.SkipDatabaseCreation && !p.created {
		p.created = true
		if cerr := p.createDatabase(ctx); cerr != nil {
			return fmt.Errorf("%v; creating it: %w", err, cerr)
		}
		p.notice(fmt.Sprintf("created the InfluxDB database %q on %s", p.in.DB, p.in.URL))
		return p.sendOnce(ctx, b)
	}
	return err
}

// do sends req with the push's credentials and returns the response with
// the start of its body (closed).
func (p *Pusher) do(req *http.Request) (*http.Response, []byte, error) {
	if p.in.v2() {
		if p.in.Token != "" {
			req.Header.Set("Authorization", "Token "+p.in.Token)
		}
	} else if p.in.User != "" || p.in.Password != "" {
		req.SetBasicAuth(p.in.User, p.in.Password)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return resp, msg, nil
}

// errDatabaseNotFound is a 1.x server's 404 for a database it lacks.
type errDatabaseNotFound struct{ msg string }

func (e errDatabaseNotFound) Error() string { return e.msg }

// createDatabase runs CREATE DATABASE on a 1.x server, with the push's
// credentials.
func (p *Pusher) createDatabase(ctx context.Context) error {
	u := strings.TrimRight(p.in.URL, "/") + "/query"
	form := url.Values{"q": {fmt.Sprintf("CREATE DATABASE %q", p.in.DB)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, msg, err := p.do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 || strings.Contains(string(msg), `"error"`) {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

func (p *Pusher) sendOnce(ctx context.Context, b []byte) error {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(b)
	zw.Close()
	// the whole exchange is bounded too: a server that takes the
	// connection and never reads the body
	ctx, cancel := context.WithTimeout(ctx, p.in.Timeout+p.in.AnswerTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, &z)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("Content-Encoding", "gzip")
	resp, msg, err := p.do(req)
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		return errTooLarge
	case resp.StatusCode == 400:
		// The server will never take this batch. InfluxDB 1.x has written
		// its valid points already ("partial write"); the rest are
		// dropped, loudly.
		p.notice(fmt.Sprintf("push to %s: %s: %s (batch dropped)", p.in.URL, resp.Status, strings.TrimSpace(string(msg))))
		p.mu.Lock()
		p.drops++
		p.mu.Unlock()
		return nil
	}
	if resp.StatusCode == 404 && strings.Contains(string(msg), "database not found") {
		return errDatabaseNotFound{fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))}
	}
	if resp.StatusCode/100 == 3 {
		// kept in the spool and retried: nothing is lost while the URL is wrong
		return fmt.Errorf("%s: the server redirects to %s; point --influx-url there", resp.Status, resp.Header.Get("Location"))
	}
	return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
}

// health exports the Pusher's own state.

var (
	pPushErrors = output.PPushErrors.Desc()
	pSpoolDepth = output.PSpoolDepth.Desc()
	pSpoolDrops = output.PSpoolDrops.Desc()
	pLastPush   = output.PLastPush.Desc()
)

// Health is a Prometheus collector of the pusher's own state (P nil:
// none), labelled with the host.
type Health struct {
	P    *Pusher
	Host string
}

// Describe implements prometheus.Collector.
func (h Health) Describe(ch chan<- *prometheus.Desc) {
	ch <- pPushErrors
	ch <- pSpoolDepth
	ch <- pSpoolDrops
	ch <- pLastPush
}

// Collect implements prometheus.Collector.
func (h Health) Collect(ch chan<- prometheus.Metric) {
	if h.P == nil {
		return
	}
	p := h.P
	p.mu.Lock()
	defer p.mu.Unlock()
	host := output.TagValue(h.Host)
	ch <- prometheus.MustNewConstMetric(pPushErrors, prometheus.CounterValue, p.errors, host)
	ch <- prometheus.MustNewConstMetric(pSpoolDepth, prometheus.GaugeValue, float64(len(p.spooled)+len(p.memory)+len(p.queue)), host)
	ch <- prometheus.MustNewConstMetric(pSpoolDrops, prometheus.CounterValue, p.drops, host)
	if !p.lastOK.IsZero() {
		ch <- prometheus.MustNewConstMetric(pLastPush, prometheus.GaugeValue, logtime.FromTime(p.lastOK), host)
	}
}

// Pending counts batches not sent yet.
func (p *Pusher) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.spooled) + len(p.memory) + p.busy
}
