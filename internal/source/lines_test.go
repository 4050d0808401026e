package source

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func collect(r io.Reader, max int) (lines []string, long int, partial string) {
	l := NewLines(r, max)
	for {
		b, st := l.Next()
		switch st {
		case Line:
			lines = append(lines, string(b))
		case TooLong:
			lines = append(lines, "<too long>")
			long++
		case EOF:
			return lines, long, string(l.Partial())
		}
	}
}

func TestLines(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name, in string
		max      int
		want     []string
		partial  string
	}{
		{"plain", "a\nb\n", 0, []string{"a", "b"}, ""},
		{"crlf", "a\r\nb\r\r\n", 0, []string{"a", "b"}, ""},
		{"partial held", "a\nb", 0, []string{"a"}, "b"},
		{"empty lines", "\n\n", 0, []string{"", ""}, ""},
		{"cap", "a\n" + long + "\nb\n", 100, []string{"a", "<too long>", "b"}, ""},
		{"cap exact", strings.Repeat("y", 100) + "\n", 100, []string{strings.Repeat("y", 100)}, ""},
		{"nul and bad utf8", "a\x00b\xff\n", 0, []string{"a\x00b\xff"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
				got, _, partial := collect(r, tt.max)
				if d := cmp.Diff(tt.want, got); d != "" {
					t.Errorf("(-want +got)\n%s", d)
				}
				if partial != tt.partial {
					t.Errorf("partial %q, want %q", partial, tt.partial)
				}
			}
		})
	}
}

// A line far over the cap, in a small buffer, is skipped whole and the
// next good line is intact.
func TestLinesHugeLine(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("first\n")
	b.Write(bytes.Repeat([]byte("z"), 5<<20))
	b.WriteString("\nlast\n")
	got, long, _ := collect(&b, 1<<20)
	if d := cmp.Diff([]string{"first", "<too long>", "last"}, got); d != "" || long != 1 {
		t.Errorf("(-want +got)\n%s (long=%d)", d, long)
	}
}

// FuzzLines: whatever the input and the cap, the lines returned, the
// skipped ones and the held partial line account for every byte, and no
// line contains a newline.
func FuzzLines(f *testing.F) {
	f.Add([]byte("a\nb\r\n\nc"), 4)
	f.Add([]byte("xxxxxxxxxx\nyy\n"), 3)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max <= 0 || max > 1<<16 {
			return
		}
		l := NewLines(bytes.NewReader(in), max)
		n := 0
		for {
			b, st := l.Next()
			if st == EOF {
				break
			}
			n++
			if bytes.IndexByte(b, '\n') >= 0 || len(b) > max {
				t.Fatalf("bad line %q (cap %d)", b, max)
			}
		}
		if want := bytes.Count(in, []byte("\n")); n != want {
			t.Fatalf("%d lines, input has %d newlines", n, want)
		}
		if l.Offset+int64(len(l.Partial())) != int64(len(in)) {
			t.Fatalf("offset %d + partial %d != %d", l.Offset, len(l.Partial()), len(in))
		}
	})
}

// Suspect agrees with the standard library on every kind of text.
func TestSuspect(t *testing.T) {
	cases := []string{"", "plain ascii line", "exactly8", "nul\x00here and more text", "12345678\x00",
		"caf\xc3\xa9 valid", "bad \xff byte", "\xe2\x82", "long ascii prefix then bad \xc0\xaf", "é\x00", "\x00é\xff"}
	for _, c := range cases {
		b := []byte(c)
		f := Suspect(b)
		if got, want := f&InvalidUTF8 != 0, !utf8.Valid(b); got != want {
			t.Errorf("%q: invalid %v, want %v", c, got, want)
		}
		if got, want := f&NUL != 0, bytes.IndexByte(b, 0) >= 0; got != want {
			t.Errorf("%q: NUL %v, want %v", c, got, want)
		}
	}
}

func BenchmarkSuspect(b *testing.B) {
	line := []byte("Nov 27 00:00:02 web1 sshd[1034]: Failed password for root from 216.8.188.65 port 61201 ssh2")
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		Suspect(line)
	}
}
