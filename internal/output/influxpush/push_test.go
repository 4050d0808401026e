package influxpush

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The exact requests for InfluxDB 2 (no server of it is available here)
// and InfluxDB 1.x with credentials.
func TestPushRequests(t *testing.T) {
	type req struct {
		path, query, auth, enc, body string
	}
	var mu sync.Mutex
	var got []req
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Errorf("body not gzip: %v", err)
			return
		}
		b, _ := io.ReadAll(zr)
		u, p, _ := r.BasicAuth()
		auth := r.Header.Get("Authorization")
		if u != "" {
			auth = "basic " + u + ":" + p
		}
		mu.Lock()
		got = append(got, req{r.URL.Path, r.URL.RawQuery, auth, r.Header.Get("Content-Encoding"), string(b)})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	for _, tt := range []struct {
		in   Config
		want req
	}{
		{Config{URL: srv.URL, Org: "acme", Bucket: "f2b", Token: "s3cret"},
			req{"/api/v2/write", "bucket=f2b&org=acme&precision=ns", "Token s3cret", "gzip", "fail2ban,host=h,jail=sshd banned=0i,failed=1i 1\n"}},
		{Config{URL: srv.URL + "/", DB: "metrics", RP: "autogen", User: "u", Password: "pw"},
			req{"/write", "db=metrics&precision=ns&rp=autogen", "basic u:pw", "gzip", "fail2ban,host=h,jail=sshd banned=0i,failed=1i 1\n"}},
	} {
		got = nil
		p, err := New(tt.in, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { p.Run(ctx); close(done) }()
		p.Enqueue([]byte(tt.want.body))
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && p.Pending() > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
		mu.Lock()
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("requests %+v, want %+v", got, tt.want)
		}
		mu.Unlock()
	}
	if _, err := New(Config{URL: "localhost:8086"}, nil); err == nil {
		t.Error("a URL without scheme was accepted")
	}
	if _, err := New(Config{URL: "http://h:8086"}, nil); err == nil {
		t.Error("no database or bucket was accepted")
	}
}

// A server that redirects (an http→https proxy) gets no GET without a
// body: the batch stays queued, the notice says where to point the URL.
func TestPushRedirect(t *testing.T) {
	var mu sync.Mutex
	methods := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods[r.Method]++
		mu.Unlock()
		http.Redirect(w, r, "https://influx.example/write", http.StatusMovedPermanently)
	}))
	defer srv.Close()
	var nmu sync.Mutex
	var notices []string
	p, err := New(Config{URL: srv.URL, DB: "banscope"}, func(m string) { nmu.Lock(); notices = append(notices, m); nmu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	p.Enqueue([]byte("fail2ban,host=h,jail=sshd banned=0i,failed=0i 1\n"))
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		nmu.Lock()
		n := len(notices)
		nmu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if methods["GET"] != 0 || methods["POST"] == 0 {
		t.Errorf("requests by method %v, want POSTs only", methods)
	}
	if p.Pending() == 0 {
		t.Error("the batch was dropped")
	}
	nmu.Lock()
	defer nmu.Unlock()
	if len(notices) == 0 || !strings.Contains(notices[0], "redirects to https://influx.example/write") {
		t.Errorf("notices %q", notices)
	}
}

// The push's health metrics carry the host label, like every other.
func TestHealthHostLabel(t *testing.T) {
	p, err := New(Config{URL: "http://127.0.0.1:1", DB: "banscope"}, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(Health{P: p, Host: "web1"})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) < 3 {
		t.Fatalf("%d metric families", len(mfs))
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != 1 || m.GetLabel()[0].GetName() != "host" || m.GetLabel()[0].GetValue() != "web1" {
				t.Errorf("%s: labels %v", mf.GetName(), m.GetLabel())
			}
		}
	}
}

// With SkipDatabaseCreation a missing database stays missing: the 404 is
// an error (the batch waits), no CREATE DATABASE is sent.
func TestSkipDatabaseCreation(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		w.WriteHeader(404)
		w.Write([]byte(`{"error":"database not found: \"nope\""}`))
	}))
	defer srv.Close()
	notices := make(chan string, 10)
	p, err := New(Config{URL: srv.URL, DB: "nope", SkipDatabaseCreation: true}, func(m string) { notices <- m })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	p.Enqueue([]byte("fail2ban,host=h,jail=sshd banned=0i,failed=0i 1\n"))
	select {
	case m := <-notices:
		if !strings.Contains(m, "database not found") {
			t.Errorf("notice %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notice")
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	for _, path := range paths {
		if path == "/query" {
			t.Error("CREATE DATABASE was sent")
		}
	}
}

// A server that refuses large bodies with 413 (InfluxDB's max-body-size,
// a proxy's limit) gets the batch in halves cut between lines: every
// point stored once, in order; a single point it still refuses is
// dropped and counted.
func TestPush413Splits(t *testing.T) {
	var mu sync.Mutex
	var stored []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			t.Errorf("body not gzip: %v", err)
			return
		}
		b, _ := io.ReadAll(zr)
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(lines) > 2 || len(b) > 200 {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		mu.Lock()
		stored = append(stored, lines...)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	var notices []string
	p, err := New(Config{URL: srv.URL, DB: "f2b"}, func(m string) { mu.Lock(); notices = append(notices, m); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	var batch strings.Builder
	var want []string
	for i := 0; i < 7; i++ {
		l := "fail2ban,host=h,jail=sshd banned=0i,failed=" + string(rune('0'+i)) + "i " + string(rune('1'+i))
		want = append(want, l)
		batch.WriteString(l + "\n")
	}
	batch.WriteString("fail2ban,host=h,jail=" + strings.Repeat("x", 300) + " failed=1i 9\n")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	p.Enqueue([]byte(batch.String()))
	deadline := time.Now().Add(10 * time.Second)
	for p.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(stored, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stored\n%s\nwant\n%s", strings.Join(stored, "\n"), strings.Join(want, "\n"))
	}
	if p.drops != 1 || len(notices) != 1 || !strings.Contains(notices[0], "too large") {
		t.Fatalf("drops %v, notices %q: want the oversized point dropped, counted and said", p.drops, notices)
	}
}

// A server slower to answer than the connection timeout has the write
// already: the pusher waits for its answer instead of giving up and
// writing the batch again (VictoriaMetrics would keep both copies).
func TestSlowAnswerWritesOnce(t *testing.T) {
	var mu sync.Mutex
	writes := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		writes++
		mu.Unlock()
		time.Sleep(600 * time.Millisecond) // stored, answered late
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	var notices []string
	p, err := New(Config{URL: srv.URL, DB: "f2b", Timeout: 100 * time.Millisecond}, func(m string) { mu.Lock(); notices = append(notices, m); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	p.Enqueue([]byte("fail2ban,host=h,jail=sshd banned=0i,failed=1i 1\n"))
	deadline := time.Now().Add(10 * time.Second)
	for p.Pending() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // a retry would come after 1 s
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if writes != 1 || len(notices) != 0 {
		t.Fatalf("%d writes, notices %q: want one write and no error", writes, notices)
	}
}
