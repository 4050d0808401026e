package replay

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/logtime"
	"github.com/banscope/banscope/internal/numbers"
	lpout "github.com/banscope/banscope/internal/output/lineprotocol"
)

// Backfill turns a replay into the points `banscope run` would have
// written had it been running then: the same snapshot, encoded the same
// way, one batch per step of log time (quiet steps included), stamped with
// the log's time, per host. It observes a replay (Hooks).
type Backfill struct {
	out   io.Writer
	step  int64 // ns
	geo   *geo.Resolver
	hosts map[string]*backfillHost
	enc   lineprotocol.Encoder
	err   error
}

type backfillHost struct {
	name  string
	eng   *engine.Engine
	tally *numbers.Tally
	next  int64 // the next step boundary to write (Unix ns); 0 before the first line
}

// NewBackfill writes to out every step.
func NewBackfill(out io.Writer, step time.Duration, g *geo.Resolver) *Backfill {
	b := &Backfill{out: out, step: int64(step), geo: g, hosts: map[string]*backfillHost{}}
	b.enc.SetPrecision(lineprotocol.Nanosecond)
	return b
}

// Err returns the first write error.
func (b *Backfill) Err() error { return b.err }

// Host implements Hooks.
func (b *Backfill) Host(host string, eng *engine.Engine) {
	name := host
	if name == "" {
		name = hostname()
	}
	b.hosts[host] = &backfillHost{name: name, eng: eng, tally: numbers.NewTally(b.geo)}
}

// Advance implements Hooks: the steps the clock passes are written
// before the line that moves it.
func (b *Backfill) Advance(host string, nowNs int64) {
	h := b.hosts[host]
	if h.next == 0 {
		h.next = (nowNs/b.step + 1) * b.step
		h.tally.StartAt(time.Unix(0, h.next-b.step))
		return
	}
	for h.next <= nowNs {
		b.write(h, h.next)
		h.next += b.step
	}
}

func (b *Backfill) write(h *backfillHost, at int64) {
	h.eng.Tick(logtime.FromNanos(at))
	snap := h.tally.Snapshot(h.eng, h.name, "auth.log", time.Unix(0, at), time.Duration(b.step), true)
	b.enc.Reset()
	lpout.Append(&b.enc, snap)
	if err := b.enc.Err(); err != nil && b.err == nil {
		b.err = fmt.Errorf("line protocol: %w", err)
	}
	if b.err == nil {
		if _, err := b.out.Write(b.enc.Bytes()); err != nil {
			b.err = fmt.Errorf("write: %w", err)
		}
	}
}

// Line implements Hooks.
func (b *Backfill) Line(host string, n int, st numbers.LineState) {
	b.hosts[host].tally.Line(n, st)
}

// Failure implements Hooks.
func (b *Backfill) Failure(host string, jail int, ev *filter.Event) {
	h := b.hosts[host]
	run := h.eng.Jails()[jail]
	h.tally.Failure(run.Jail.Name(), run.Filter.Kinds()[ev.Kind])
}

// Event implements Hooks.
func (b *Backfill) Event(host string, jail int, e jailsim.Event) {
	h := b.hosts[host]
	h.tally.Event(h.eng.Jails()[jail].Jail.Name(), e)
}

// End implements Hooks: the step holding the last line is written.
func (b *Backfill) End(host string, nowNs int64) {
	h := b.hosts[host]
	if h.next == 0 {
		return
	}
	b.Advance(host, nowNs)
	b.write(h, h.next)
}

var _ Hooks = (*Backfill)(nil)

func hostname() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "unknown"
}
