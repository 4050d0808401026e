package sshd

import (
	"bytes"
	"os"
	"testing"

	"github.com/banscope/banscope/internal/f2bversion"
)

// Benchmarks of each hot path of a line's parse: the header (date and
// syslog prefix), the failregex of each message kind, and the in-order
// rest (sessions and resolution).

// BenchmarkHeader measures date detection and the prefix split of a
// typical line: "same-stamp" as consecutive lines mostly are, "new-stamp"
// with the stamp changing every line.
func BenchmarkHeader(b *testing.B) {
	lines := [][]byte{
		[]byte("Nov 27 00:00:02 web1 sshd[1034]: Failed password for root from 216.8.188.65 port 61201 ssh2"),
		[]byte("Nov 27 00:00:03 web1 sshd[1034]: Failed password for root from 216.8.188.65 port 61201 ssh2"),
	}
	iso := []byte("2026-11-27T00:00:02.123456+00:00 web1 sshd[1034]: Failed password for root from 216.8.188.65 port 61201 ssh2")
	run := func(b *testing.B, lines ...[]byte) {
		p := newTestParser(ModeNormal)
		b.SetBytes(int64(len(lines[0])))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			line := lines[i%len(lines)]
			d := p.dates.Detect(line)
			p.rs.d.splitPrefix(line[d.End:])
			i++
		}
	}
	b.Run("same-stamp", func(b *testing.B) { run(b, lines[0]) })
	b.Run("new-stamp", func(b *testing.B) { run(b, lines...) })
	b.Run("rfc3339", func(b *testing.B) { run(b, iso) })
}

// kindSamples returns one full line per message kind met in generated
// traffic and the edge corpus, in aggressive mode (where most match).
func kindSamples(b *testing.B) map[Kind][]byte {
	lines := genLines(b, 50000, 0.02)
	if edge, err := os.ReadFile("testdata/edge.log"); err == nil {
		lines = append(lines, bytes.Split(edge, []byte("\n"))...)
	}
	p := newTestParser(ModeAggressive)
	out := map[Kind][]byte{}
	for _, l := range lines {
		var pr Prepared
		p.Prepare(l, &pr)
		if pr.Rule < 0 || pr.Joined {
			continue
		}
		if _, ok := out[pr.Match.Kind]; !ok {
			out[pr.Match.Kind] = l
		}
	}
	return out
}

// BenchmarkMessage measures Prepare (header and failregexes) on a line
// of each kind; "none" is a line no failregex matches.
func BenchmarkMessage(b *testing.B) {
	samples := kindSamples(b)
	samples[KindNone] = []byte("Nov 27 00:00:04 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl status ssh")
	for k := Kind(0); k < 64; k++ {
		line, ok := samples[k]
		if !ok {
			continue
		}
		name := "none"
		if k != KindNone {
			name = KindName(k)
		}
		b.Run(name, func(b *testing.B) {
			p := newTestParser(ModeAggressive)
			var pr Prepared
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				p.Prepare(line, &pr)
			}
		})
	}
}

// BenchmarkFinish measures the in-order part of a prepared failure line:
// clock, session cache and address.
func BenchmarkFinish(b *testing.B) {
	lines := genLines(b, 20000, 0.01)
	p := newTestParser(ModeNormal)
	pre := make([]Prepared, len(lines))
	for i, l := range lines {
		p.Prepare(l, &pre[i])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := i % len(lines)
		p.Finish(lines[k], &pre[k])
		i++
	}
}

// messageContents returns the message content (after date and prefix) of
// generated traffic with hostile sessions and of the extra messages.
func messageContents(t *testing.T, extra ...string) [][]byte {
	lines := genLines(t, 40000, 0.2)
	for _, e := range extra {
		lines = append(lines, []byte("Nov 27 10:00:00 web1 sshd[1]: "+e))
	}
	p := newTestParser(ModeNormal)
	var out [][]byte
	for _, l := range lines {
		var pr Prepared
		p.Prepare(l, &pr)
		if pr.Content >= 0 {
			out = append(out, append([]byte(nil), p.stripped(l, &pr)[pr.Content:]...))
		}
	}
	return out
}

// The shortcut for the common "Failed" line gives exactly what the
// general user/host matching gives, on generated traffic with hostile
// sessions and on lines made to sit at the shortcut's edges.
func TestPlainUserShortcut(t *testing.T) {
	d := dialectOf(f2bversion.V1_0_2)
	contents := messageContents(t,
		"Failed password for root from 1.2.3.4 port 22 ssh2",
		"Failed password for root from 1.2.3.4 port 22 ssh2 ",
		"Failed password for root from 1.2.3.4 port 22 ssh2: x",
		"Failed password for root from 1.2.3.4 port ssh2",
		"Failed password for root from 1.2.3.4 port 22 ssh22",
		"Failed password for r:oot from 1.2.3.4 port 22 ssh2",
		"Failed password for root from 1.2.3 port 22 ssh2",
		"Failed password for root from 1.2.3.4.5 port 22 ssh2",
		"Failed password for root from 1234.2.3.4 port 22 ssh2",
		"Failed password for root from ::ffff:1.2.3.4 port 22 ssh2",
		"Failed password for x from 6.6.6.6 port 22 from 1.2.3.4 port 22 ssh2",
		"Failed password for invalid user  from 1.2.3.4 port 22 ssh2",
		"Failed password for root\tfrom 1.2.3.4 port 22 ssh2",
	)
	n := 0
	for _, content := range contents {
		for _, lead := range []string{"Failed password for ", "Failed keyboard-interactive/pam for ", "Failed none for "} {
			start, ok := lit(content, 0, lead)
			if !ok {
				continue
			}
			for _, inv := range []bool{false, true} {
				s := start
				if inv {
					if s, ok = lit(content, start, "invalid user "); !ok {
						continue
					}
				}
				var a, b match
				a, b = match{UserStart: -1}, match{UserStart: -1}
				okA, okB := d.userCond(content, s, inv, &a), d.userCondGeneral(content, s, inv, &b)
				if okA != okB || (okA && a != b) {
					t.Errorf("%q (inv %v): shortcut %v %+v, general %v %+v", content, inv, okA, a, okB, b)
				}
				n++
			}
		}
	}
	if n < 5000 {
		t.Errorf("only %d lines compared", n)
	}
}

// The shortcut for "Connection closed by A.B.C.D port N [preauth]" gives
// what the general rule gives, in every tail the modes use.
func TestClosedShortcut(t *testing.T) {
	contents := messageContents(t,
		"Connection closed by 1.2.3.4 port 22 [preauth]",
		"Connection closed by 1.2.3.4 port 22 [preauth] ",
		"Connection closed by 1.2.3.4 port 22",
		"Connection closed by 1.2.3.4 port [preauth]",
		"Connection closed by 1.2.3.4.5 port 22 [preauth]",
		"Connection closed by 1.2.3.4567 port 22 [preauth]",
		"Connection closed by 01.2.3.4 port 22 [preauth]",
		"Connection closed by 1.2.3.4 port 22 port 23 [preauth]",
		"Connection closed by invalid user 1.2.3.4 5.6.7.8 port 22 [preauth]",
	)
	n := 0
	type pair struct{ short, general rule }
	d, d11 := dialectOf(f2bversion.V1_0_2), dialectOf(f2bversion.V1_1_1)
	for i, tail := range []closedTail{closedNormal, closedDDoS, closedNormal, closedDDoS} {
		r := pair{d.ruleClosed(tail, true), d.ruleClosedGeneral(tail, true)}
		if i >= 2 {
			r = pair{d11.ruleClosed11(tail, true), d11.ruleClosedGeneral11(tail, true)}
		}
		short, general := r.short, r.general
		for _, content := range contents {
			if !bytes.HasPrefix(content, []byte("Connection closed by ")) {
				continue
			}
			a, b := match{UserStart: -1}, match{UserStart: -1}
			okA, okB := short(content, &a), general(content, &b)
			if okA != okB || (okA && a != b) {
				t.Errorf("%q (tail %d): shortcut %v %+v, general %v %+v", content, tail, okA, a, okB, b)
			}
			n++
		}
	}
	if n < 2000 {
		t.Errorf("only %d lines compared", n)
	}
}
