// Package events is the one sink of ban and unban events, for replay and
// run alike; JSONLines (--events) is its writer of JSON lines.
package events

import (
	"io"

	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/jsonw"
	"github.com/banscope/banscope/internal/logtime"
)

// Sink receives a jail's events in order; it keeps what it needs (the
// writer below: bans and unbans).
type Sink interface {
	Event(host string, e jailsim.Event)
	// Flush writes what is buffered and returns the first write error.
	Flush() error
}

// JSONLines writes one JSON object per ban and unban:
// {"event":"ban"|"unban","jail":…,["host":…,]"ip":…,"time":"<RFC 3339 UTC>"}.
// A ban's time is the time of the line that triggered it, an unban's the
// first whole second after the ban's end. host is written when not empty.
type JSONLines struct {
	w   io.Writer
	buf []byte
	err error
}

// NewJSONLines returns a writer to w.
func NewJSONLines(w io.Writer) *JSONLines { return &JSONLines{w: w} }

// Event implements Sink.
func (j *JSONLines) Event(host string, e jailsim.Event) {
	if e.Kind != jailsim.EvBan && e.Kind != jailsim.EvUnban {
		return
	}
	b := append(j.buf, `{"event":"`...)
	if e.Kind == jailsim.EvBan {
		b = append(b, "ban"...)
	} else {
		b = append(b, "unban"...)
	}
	b = append(b, `","jail":`...)
	b = jsonw.AppendString(b, e.Jail)
	if host != "" {
		b = append(b, `,"host":`...)
		b = jsonw.AppendString(b, host)
	}
	b = append(b, `,"ip":`...)
	b = jsonw.AppendString(b, e.ID.String())
	b = append(b, `,"time":"`...)
	b = logtime.AppendRFC3339(b, e.Time)
	j.buf = append(b, "\"}\n"...)
	if len(j.buf) > 64<<10 {
		j.Flush()
	}
}

// Flush implements Sink.
func (j *JSONLines) Flush() error {
	if len(j.buf) > 0 && j.err == nil {
		_, j.err = j.w.Write(j.buf)
	}
	j.buf = j.buf[:0]
	return j.err
}
