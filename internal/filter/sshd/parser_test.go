package sshd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/authgen"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/ident"
)

func genLines(tb testing.TB, n int, hostile float64) [][]byte {
	tb.Helper()
	var b bytes.Buffer
	cfg := authgen.Default()
	cfg.Lines, cfg.Hostile, cfg.Style = n, hostile, authgen.Mixed
	if err := authgen.Generate(&b, cfg); err != nil {
		tb.Fatal(err)
	}
	return bytes.Split(bytes.TrimSuffix(b.Bytes(), []byte("\n")), []byte("\n"))
}

func newTestParser(m Mode) *Parser {
	return New(Options{Mode: m, Options: filter.Options{Location: time.UTC, Reference: refTime, LogClock: true, Hosts: ident.ParseHosts([]byte("127.0.0.1 localhost\n"))}})
}

// TestNoAllocs enforces the zero-allocation contract on realistic traffic,
// hostile lines included, once the parser's buffers have grown.
func TestNoAllocs(t *testing.T) {
	lines := genLines(t, 20000, 0.05)
	for m := ModeNormal; m <= ModeAggressive; m++ {
		p := newTestParser(m)
		for _, l := range lines { // warm up: buffers reach their size
			p.Parse(l)
		}
		i := 0
		allocs := testing.AllocsPerRun(len(lines), func() {
			p.Parse(lines[i%len(lines)])
			i++
		})
		if allocs != 0 {
			t.Errorf("mode %s: %.3f allocations per line, want 0", m, allocs)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	lines := genLines(b, 100000, 0.01)
	var size int64
	for _, l := range lines {
		size += int64(len(l)) + 1
	}
	for _, m := range []Mode{ModeNormal, ModeAggressive} {
		b.Run(m.String(), func(b *testing.B) {
			p := newTestParser(m)
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, l := range lines {
					p.Parse(l)
				}
			}
		})
	}
}

// A parser restored from its snapshot gives the same verdicts as the
// original on the rest of the stream.
func TestSnapshotRestore(t *testing.T) {
	lines := genLines(t, 6000, 0.05)
	for m := ModeNormal; m <= ModeAggressive; m++ {
		a := newTestParser(m)
		for _, l := range lines[:3000] {
			a.Parse(l)
		}
		raw, err := json.Marshal(a.State())
		if err != nil {
			t.Fatal(err)
		}
		var s Snapshot
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		b := newTestParser(m)
		b.SetState(s)
		for i, l := range lines[3000:] {
			ea, eb := *a.Parse(l), *b.Parse(l)
			if fmt.Sprint(ea.Verdict, ea.IDs, ea.Time) != fmt.Sprint(eb.Verdict, eb.IDs, eb.Time) {
				t.Fatalf("mode %s, line %d %q: original %v %v, restored %v %v", m, 3000+i, l, ea.Verdict, ea.IDs, eb.Verdict, eb.IDs)
			}
		}
	}
}

func TestLastIndex(t *testing.T) {
	hay := []string{"", " from ", "x from y from z", "from  from ", " from", "a from b", "   ", "ffrom from  from", "Failed password for x from 1.2.3.4 port 22 ssh2"}
	seps := []string{" from ", "11:", ": Auth fail", "[preauth]", " ", "f"}
	for _, h := range hay {
		for _, sep := range seps {
			for lo := 0; lo <= len(h); lo++ {
				if got, want := lastIndex([]byte(h[lo:]), []byte(sep)), strings.LastIndex(h[lo:], sep); got != want {
					t.Errorf("lastIndex(%q, %q) = %d, want %d", h[lo:], sep, got, want)
				}
			}
		}
	}
}
