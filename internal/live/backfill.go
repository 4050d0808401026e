package live

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/logtime"
	"github.com/banscope/banscope/internal/pipeline"
	"github.com/banscope/banscope/internal/replay"
	"github.com/banscope/banscope/internal/source"
)

// Backfill turns a replay into the points `banscope run` would have
// written had it been running then: the same measurements, one batch per
// step of log time (quiet steps included), stamped with the log's time,
// per host. It observes a replay (replay.Hooks).
type Backfill struct {
	out   io.Writer
	step  int64 // ns
	geo   *geo.Resolver
	hosts map[string]*backfillHost
	err   error
}

type backfillHost struct {
	s    *sidecar
	next int64 // the next step boundary to write (Unix ns); 0 before the first line
}

// NewBackfill writes to out every step.
func NewBackfill(out io.Writer, step time.Duration, g *geo.Resolver) *Backfill {
	return &Backfill{out: out, step: int64(step), geo: g, hosts: map[string]*backfillHost{}}
}

// Err returns the first write error.
func (b *Backfill) Err() error { return b.err }

// Host implements replay.Hooks.
func (b *Backfill) Host(host string, eng *engine.Engine) {
	name := host
	if name == "" {
		name = hostname()
	}
	s := newSidecar(Config{Host: name, Geo: b.geo, Interval: time.Duration(b.step), AuthLog: "auth.log"})
	s.eng = eng
	b.hosts[host] = &backfillHost{s: s}
}

// Advance implements replay.Hooks: the steps the clock passes are written
// before the line that moves it.
func (b *Backfill) Advance(host string, nowNs int64) {
	h := b.hosts[host]
	if h.next == 0 {
		h.next = (nowNs/b.step + 1) * b.step
		h.s.base.at = time.Unix(0, h.next-b.step)
		return
	}
	for h.next <= nowNs {
		b.write(h, h.next)
		h.next += b.step
	}
}

func (b *Backfill) write(h *backfillHost, at int64) {
	s := h.s
	s.eng.Tick(logtime.FromNanos(at))
	s.enc.Reset()
	s.points(&s.enc, time.Unix(0, at))
	if err := s.enc.Err(); err != nil && b.err == nil {
		b.err = fmt.Errorf("line protocol: %w", err)
	}
	if b.err == nil {
		if _, err := b.out.Write(s.enc.Bytes()); err != nil {
			b.err = fmt.Errorf("write: %w", err)
		}
	}
}

// Line implements replay.Hooks.
func (b *Backfill) Line(host string, l *pipeline.Line, matched bool) {
	s := b.hosts[host].s
	s.c.LinesRead++
	s.c.BytesRead += int64(len(l.Text)) + 1
	if l.Status != source.Line {
		s.c.Malformed++
		if l.Status == source.TooLong {
			s.c.TooLong++
		}
		return
	}
	if matched {
		s.c.Matched++
	}
}

// Failure implements replay.Hooks.
func (b *Backfill) Failure(host string, jail int, ev *filter.Event) {
	b.hosts[host].s.onFailure(jail, ev.Kind)
}

// Event implements replay.Hooks.
func (b *Backfill) Event(host string, jail int, e jailsim.Event) {
	b.hosts[host].s.onEvent(jail, e)
}

// End implements replay.Hooks: the step holding the last line is written.
func (b *Backfill) End(host string, nowNs int64) {
	h := b.hosts[host]
	if h.next == 0 {
		return
	}
	b.Advance(host, nowNs)
	b.write(h, h.next)
}

var _ replay.Hooks = (*Backfill)(nil)

func hostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "unknown"
}
