package parser

import (
	"bytes"
	"os"
	"testing"
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
			d := p.dates.detectDate(line)
			splitPrefix(line[d.e:])
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
		if pr.rule < 0 || pr.joined {
			continue
		}
		if _, ok := out[pr.m.kind]; !ok {
			out[pr.m.kind] = l
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
			name = k.String()
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
