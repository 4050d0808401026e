package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/banscope/banscope/authgen"
	"github.com/banscope/banscope/parser"
	"github.com/banscope/banscope/tailer"
	"github.com/google/go-cmp/cmp"
)

// corpus returns generated traffic with hostile sessions, huge lines and
// every stamp style, plus the parser's edge corpus.
func corpus(t testing.TB) []byte {
	var b bytes.Buffer
	for i, st := range []authgen.Style{authgen.RFC3164, authgen.RFC3339, authgen.Mixed} {
		cfg := authgen.Default()
		cfg.Seed, cfg.Lines, cfg.Style, cfg.Hostile, cfg.HugeLines = uint64(i+1), 20000, st, 0.05, i == 0
		if err := authgen.Generate(&b, cfg); err != nil {
			t.Fatal(err)
		}
	}
	edge, err := os.ReadFile("../../parser/testdata/edge.log")
	if err != nil {
		t.Fatal(err)
	}
	b.Write(edge)
	b.WriteString("partial last line without newline")
	return b.Bytes()
}

func newParsers() []*parser.Parser {
	ref := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var ps []*parser.Parser
	for _, m := range []parser.Mode{parser.ModeNormal, parser.ModeAggressive} {
		p := parser.New(parser.Options{Mode: m, Location: time.UTC, Reference: ref, CurrentYear: 2026, LogClock: true})
		ps = append(ps, p)
	}
	return ps
}

func describe(ev *parser.Event) string {
	var ids []string
	for _, id := range ev.IDs {
		ids = append(ids, id.String())
	}
	return fmt.Sprintf("%s %s %d %d %v %q %q %s", ev.Verdict, ev.Kind, ev.Time, ev.Stamp, ev.HasStamp, ev.Host, ev.User, strings.Join(ids, ","))
}

// TestSameAsSerialParse: lines prepared on several goroutines and
// finished in order give exactly what Parse gives line by line, and
// every line comes back once, in order, with its malformation flags.
func TestSameAsSerialParse(t *testing.T) {
	data := corpus(t)
	var want []string
	ps := newParsers()
	lines := tailer.NewLines(bytes.NewReader(data), 0)
	for {
		line, st := lines.Next()
		if st == tailer.EOF {
			break
		}
		s := fmt.Sprintf("%v %v %v", st, !utf8.Valid(line), bytes.IndexByte(line, 0) >= 0)
		if st == tailer.Line {
			for _, p := range ps {
				s += " | " + describe(p.Parse(line))
			}
		}
		want = append(want, s)
	}
	for _, workers := range []int{1, 2, 7} {
		ps := newParsers()
		r := &Reader{Parsers: ps, Workers: workers}
		var got []string
		r.Run(bytes.NewReader(data), func(l *Line) {
			s := fmt.Sprintf("%v %v %v", l.Status, l.InvalidUTF8, l.NUL)
			if l.Status == tailer.Line {
				for i, p := range ps {
					s += " | " + describe(p.Finish(l.Text, &l.Pre[i]))
				}
			}
			got = append(got, s)
		})
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("workers=%d: differs from serial parsing (-serial +pipeline):\n%s", workers, d)
		}
		if p := string(r.Lines().Partial()); p != "partial last line without newline" {
			t.Errorf("workers=%d: partial %q", workers, p)
		}
	}
}

func TestCheck(t *testing.T) {
	cases := []string{"", "plain ascii line", "exactly8", "nul\x00here and more text", "12345678\x00",
		"caf\xc3\xa9 valid", "bad \xff byte", "\xe2\x82", "long ascii prefix then bad \xc0\xaf", "é\x00", "\x00é\xff"}
	for _, c := range cases {
		b := []byte(c)
		f := check(b)
		if got, want := f&flagInvalid != 0, !utf8.Valid(b); got != want {
			t.Errorf("%q: invalid %v, want %v", c, got, want)
		}
		if got, want := f&flagNUL != 0, bytes.IndexByte(b, 0) >= 0; got != want {
			t.Errorf("%q: NUL %v, want %v", c, got, want)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	line := []byte("Nov 27 00:00:02 web1 sshd[1034]: Failed password for root from 216.8.188.65 port 61201 ssh2")
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		check(line)
	}
}
