package pipeline

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/banscope/banscope/internal/authgen"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/filter/sshd"
	"github.com/banscope/banscope/internal/source"
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
	edge, err := os.ReadFile("../filter/sshd/testdata/edge.log")
	if err != nil {
		t.Fatal(err)
	}
	b.Write(edge)
	b.WriteString("partial last line without newline")
	return b.Bytes()
}

func newParsers() []filter.Filter {
	ref := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var ps []filter.Filter
	for _, m := range []sshd.Mode{sshd.ModeNormal, sshd.ModeAggressive} {
		p := sshd.New(sshd.Options{Mode: m, Options: filter.Options{Location: time.UTC, Reference: ref, CurrentYear: 2026, LogClock: true}})
		ps = append(ps, p)
	}
	return ps
}

func describe(ev *sshd.Event, host []byte) string {
	var ids []string
	for _, id := range ev.IDs {
		ids = append(ids, id.String())
	}
	return fmt.Sprintf("%s %s %d %d %v %q %q %s", ev.Verdict, sshd.KindName(ev.Kind), ev.Time, ev.Stamp, ev.HasStamp, host, ev.User, strings.Join(ids, ","))
}

// TestSameAsSerialParse: lines prepared on several goroutines and
// finished in order give exactly what Parse gives line by line, and
// every line comes back once, in order, with its malformation flags.
func TestSameAsSerialParse(t *testing.T) {
	data := corpus(t)
	var want []string
	ps := newParsers()
	lines := source.NewLines(bytes.NewReader(data), 0)
	for {
		line, st := lines.Next()
		if st == source.EOF {
			break
		}
		s := fmt.Sprintf("%v %v %v", st, !utf8.Valid(line), bytes.IndexByte(line, 0) >= 0)
		if st == source.Line {
			for _, p := range ps {
				var pr sshd.Prepared
				p.Prepare(line, &pr)
				s += " | " + describe(p.Finish(line, &pr), p.HostField(line, &pr))
			}
		}
		want = append(want, s)
	}
	for _, workers := range []int{1, 2, 7} {
		ps := newParsers()
		r := &Reader{Filters: ps, Workers: workers}
		var got []string
		r.Run(bytes.NewReader(data), func(l *Line) {
			s := fmt.Sprintf("%v %v %v", l.Status, l.InvalidUTF8, l.NUL)
			if l.Status == source.Line {
				for i, p := range ps {
					s += " | " + describe(p.Finish(l.Text, &l.Pre[i]), p.HostField(l.Text, &l.Pre[i]))
				}
			}
			got = append(got, s)
		})
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("workers=%d: differs from serial parsing (-serial +pipeline):\n%s", workers, d)
		}
		if p := string(r.Partial()); p != "partial last line without newline" {
			t.Errorf("workers=%d: partial %q", workers, p)
		}
	}
}

// The block reader cuts lines exactly as source.Lines does, whatever the
// read sizes: over-long lines (alone, in a row, across blocks), "\r\n",
// empty lines, an unterminated end.
func TestSameLinesAsTailer(t *testing.T) {
	var b bytes.Buffer
	rnd := uint64(7)
	next := func(n uint64) uint64 { rnd = rnd*6364136223846793005 + 1442695040888963407; return (rnd >> 33) % n }
	for i := 0; i < 20000; i++ {
		n := int(next(140))
		if next(50) == 0 {
			n = 100 + int(next(600000)) // over the cap, sometimes over a block
		}
		line := bytes.Repeat([]byte{'a' + byte(i%26)}, n)
		if next(10) == 0 {
			line = append(line, '\r')
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteString("the end, unterminated")
	data := b.Bytes()
	const max = 120
	type got struct {
		st   source.Status
		text string
	}
	var want []got
	l := source.NewLines(bytes.NewReader(data), max)
	for {
		text, st := l.Next()
		if st == source.EOF {
			break
		}
		want = append(want, got{st, string(text)})
	}
	readers := map[string]func() io.Reader{
		"whole": func() io.Reader { return bytes.NewReader(data) },
		"half":  func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		"odd":   func() io.Reader { return &oddReader{r: bytes.NewReader(data)} },
	}
	for name, mk := range readers {
		r := &Reader{Filters: newParsers()[:1], Workers: 2, MaxLine: max}
		var lines []got
		r.Run(mk(), func(l *Line) { lines = append(lines, got{l.Status, string(l.Text)}) })
		if len(lines) != len(want) {
			t.Errorf("%s: %d lines, source.Lines %d", name, len(lines), len(want))
		}
		for i := range min(len(lines), len(want)) {
			if lines[i] != want[i] {
				t.Errorf("%s: line %d: %v %.40q, source.Lines %v %.40q", name, i, lines[i].st, lines[i].text, want[i].st, want[i].text)
				break
			}
		}
		if string(r.Partial()) != "the end, unterminated" || r.Err() != nil {
			t.Errorf("%s: partial %q, err %v", name, r.Partial(), r.Err())
		}
	}
}

// oddReader returns reads of varying small sizes.
type oddReader struct {
	r io.Reader
	n int
}

func (o *oddReader) Read(p []byte) (int, error) {
	o.n++
	k := 1 + (o.n*7919)%4099
	if len(p) > k {
		p = p[:k]
	}
	return o.r.Read(p)
}

// An unterminated last line is reported whether it is held (short) or was
// dropped as read (over the cap): it is never counted nowhere.
func TestUnterminated(t *testing.T) {
	for _, tail := range []string{"short unterminated", strings.Repeat("x", 3<<20)} {
		for _, workers := range []int{1, 2} {
			r := &Reader{Filters: newParsers()[:1], Workers: workers, MaxLine: 1 << 20}
			n := 0
			r.Run(strings.NewReader("Nov 27 00:00:01 web1 sshd[1]: a line\n"+tail), func(*Line) { n++ })
			if !r.Unterminated() || n != 1 {
				t.Errorf("tail of %d bytes, %d workers: unterminated %v after %d lines", len(tail), workers, r.Unterminated(), n)
			}
			r.Run(strings.NewReader("Nov 27 00:00:01 web1 sshd[1]: a line\n"), func(*Line) {})
			if r.Unterminated() {
				t.Errorf("%d workers: a terminated stream reported unterminated", workers)
			}
		}
	}
}
