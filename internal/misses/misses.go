// Package misses counts what the simulated fail2ban does not see, beside
// (never inside) fail2ban's own numbers: the connections sshd itself
// dropped (OpenSSH >= 9.8's PerSourcePenalties by reason, MaxStartups,
// and the counts its rate-limited log summaries add), and the failures
// the newest fail2ban release would count where the simulated one does
// not (fail2ban 1.0.2 reading OpenSSH 10's sshd-session lines: all of
// them). It knows no source, jail or output.
package misses

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/filter"
)

// Reason is why sshd's listener dropped a connection (sshd.c:
// drop_connection; srclimit.c: srclimit_penalise).
type Reason uint8

const (
	Crash               Reason = iota // penalty: caused crash
	AuthFail                          // penalty: failed authentication
	NoAuth                            // penalty: connections without attempting authentication
	InvalidUser                       // penalty: attempted authentication by invalid user
	RefuseConnection                  // penalty: connection prohibited by RefuseConnection
	GraceExceeded                     // penalty: exceeded LoginGraceTime
	MaxSources                        // too many penalised addresses (PerSourcePenalties overflow)
	Penalty                           // PerSourcePenalties, no reason given
	PenaltyUnlogged                   // "PerSourcePenalties logging rate-limited: additional N connections dropped"
	MaxStartups                       // Maxstartups (OpenSSH < 9.8: "past MaxStartups")
	MaxStartupsUnlogged               // "Maxstartups logging rate-limited: additional N connections dropped"
	Other                             // a drop with a reason this list does not know
	NumReasons
)

var reasonNames = [NumReasons]string{"crash", "authfail", "noauth", "invaliduser", "refuseconnection",
	"grace-exceeded", "max-sources", "penalty", "penalty-unlogged", "maxstartups", "maxstartups-unlogged", "other"}

// String is the reason's name in banscope's outputs (PerSourcePenalties'
// own keywords where it has them).
func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return "other"
}

// Reasons lists every reason, in order.
func Reasons() []Reason {
	rs := make([]Reason, NumReasons)
	for i := range rs {
		rs[i] = Reason(i)
	}
	return rs
}

var reasonText = []struct {
	text string
	r    Reason
}{
	{"penalty: caused crash", Crash},
	{"penalty: failed authentication", AuthFail},
	{"penalty: connections without attempting authentication", NoAuth},
	{"penalty: attempted authentication by invalid user", InvalidUser},
	{"penalty: connection prohibited by RefuseConnection", RefuseConnection},
	{"penalty: exceeded LoginGraceTime", GraceExceeded},
	{"too many penalised addresses", MaxSources},
	{"PerSourcePenalties", Penalty},
	{"Maxstartups", MaxStartups},
	{"past MaxStartups", MaxStartups},
}

// Listener recognises a line of sshd's listener process ("sshd[PID]: ",
// syslog or journal form) that reports dropped connections:
//
//	drop connection #N from [A]:P on [L]:P <reason>
//	<PerSourcePenalties|Maxstartups> logging rate-limited: additional N connections dropped
//
// and returns the reason and how many connections it stands for.
func Listener(line []byte) (Reason, int64, bool) {
	if bytes.Index(line, []byte(" connection")) < 0 {
		return 0, 0, false // both forms hold it ("drop connection", "connections dropped")
	}
	i := bytes.Index(line, []byte("sshd["))
	if i < 0 || (i > 0 && line[i-1] != ' ') {
		return 0, 0, false
	}
	j := bytes.Index(line[i:], []byte("]: "))
	if j < 0 {
		return 0, 0, false
	}
	for _, c := range line[i+5 : i+j] {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
	}
	msg := line[i+j+3:]
	if rest, ok := bytes.CutPrefix(msg, []byte("drop connection #")); ok {
		// "N from [A]:P on [L]:P reason": the reason follows the local port
		on := bytes.Index(rest, []byte(" on ["))
		if on < 0 {
			return 0, 0, false
		}
		local := rest[on+len(" on "):] // "[L]:P reason"
		sp := bytes.IndexByte(local, ' ')
		if sp < 0 {
			return 0, 0, false
		}
		reason := local[sp+1:]
		for _, rt := range reasonText {
			if string(reason) == rt.text {
				return rt.r, 1, true
			}
		}
		return Other, 1, true
	}
	for _, w := range []struct {
		prefix string
		r      Reason
	}{{"PerSourcePenalties logging rate-limited: additional ", PenaltyUnlogged}, {"Maxstartups logging rate-limited: additional ", MaxStartupsUnlogged}} {
		if rest, ok := bytes.CutPrefix(msg, []byte(w.prefix)); ok {
			sp := bytes.IndexByte(rest, ' ')
			if sp < 0 || string(rest[sp:]) != " connections dropped" {
				return 0, 0, false
			}
			n, err := strconv.ParseUint(string(rest[:sp]), 10, 32) // sshd prints a u_int
			if err != nil {
				return 0, 0, false
			}
			return w.r, int64(n), true
		}
	}
	return 0, 0, false
}

// Counts are what the simulated fail2ban missed.
type Counts struct {
	// Simulated is the release simulated; Newest the release compared with.
	Simulated, Newest f2bversion.Version
	// Drops are sshd's dropped connections by reason.
	Drops [NumReasons]int64
	// Counted are the failures the simulated release counted; Unseen the
	// failures the newest release counts on lines where the simulated
	// one counts none (zero when the simulated release is the newest).
	Counted, Unseen int64
	// SessionLines are lines of OpenSSH >= 9.8's sshd-session process.
	SessionLines int64
}

// Dropped is the sum of Drops.
func (c *Counts) Dropped() int64 {
	var n int64
	for _, d := range c.Drops {
		n += d
	}
	return n
}

// Blind reports whether the simulated fail2ban misses most failures of
// the log: those only the newest release counts outnumber those it counts.
func (c *Counts) Blind() bool {
	return c.Unseen > 0 && c.Unseen > c.Counted
}

// Warning is the sentence a blind simulation deserves, or "".
func (c *Counts) Warning() string {
	if !c.Blind() {
		return ""
	}
	if c.SessionLines > 0 && !c.Simulated.AtLeast(f2bversion.V1_1_0) {
		return fmt.Sprintf("fail2ban %s does not read sshd-session lines (OpenSSH >= 9.8): it counted %d of %d failures",
			c.Simulated, c.Counted, c.Counted+c.Unseen)
	}
	return fmt.Sprintf("fail2ban %s does not read most of this log's failures: it counted %d of %d (fail2ban %s would count %d more)",
		c.Simulated, c.Counted, c.Counted+c.Unseen, c.Newest, c.Unseen)
}

// Counter watches a log beside the simulated filter.
type Counter struct {
	Counts
	// Newer is the newest release's filter of the same kind and options,
	// nil when the simulated release is the newest.
	Newer filter.Filter
}

// New returns a counter for a simulated filter made with spec and o
// (o.Fail2ban the simulated release).
func New(spec filter.Spec, o filter.Options) (*Counter, error) {
	c := &Counter{Counts: Counts{Simulated: o.Fail2ban.Or(), Newest: f2bversion.Newest}}
	if c.Simulated != f2bversion.Newest {
		o.Fail2ban = f2bversion.Newest
		f, err := filter.New(spec, o)
		if err != nil {
			return nil, err
		}
		c.Newer = f
	}
	return c, nil
}

// Line counts one line, in log order: sim is the simulated filter's event
// for it; pre, when not nil, the line prepared for the newer filter;
// nowNs the clock when the caller owns it (negative: the filter's own log
// clock); with hasStamp the line is a journal entry's text, stamped stamp.
func (c *Counter) Line(line []byte, sim *filter.Event, pre *filter.Prepared, nowNs, stamp int64, hasStamp bool) {
	// A drop line matches no failregex of any release: only the lines
	// the simulated filter found nothing in are looked at.
	if sim == nil || sim.Verdict == filter.Irrelevant {
		if r, n, ok := Listener(line); ok {
			c.Drops[r] += n
		}
	}
	if c.Newer != nil && !c.Simulated.AtLeast(f2bversion.V1_1_0) && bytes.Contains(line, []byte("sshd-session[")) {
		c.SessionLines++
	}
	counted := int64(0)
	if sim != nil && sim.Verdict == filter.Failure {
		counted = int64(len(sim.IDs))
	}
	c.Counted += counted
	if c.Newer == nil {
		return
	}
	if nowNs >= 0 {
		c.Newer.SetNow(nowNs)
	}
	var ev *filter.Event
	switch {
	case pre != nil:
		ev = c.Newer.Finish(line, pre)
	case hasStamp:
		ev = c.Newer.ParseAt(line, stamp)
	default:
		ev = c.Newer.Parse(line)
	}
	if ev.Verdict == filter.Failure && counted == 0 {
		c.Unseen += int64(len(ev.IDs))
	}
}
