package misses

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/authgen"
	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/filter"
	_ "github.com/banscope/banscope/internal/filter/sshd"
)

// The listener lines as sshd.c's drop_connection and srclimit.c write
// them (OpenSSH 9.8 to 10.x), and lines that only look like them.
func TestListener(t *testing.T) {
	const h = "Nov 28 10:00:00 web1 sshd[812]: "
	tests := []struct {
		line   string
		reason Reason
		n      int64
		ok     bool
	}{
		{h + "drop connection #0 from [203.0.113.5]:51234 on [10.0.0.1]:22 penalty: failed authentication", AuthFail, 1, true},
		{h + "drop connection #3 from [2001:db8::5]:51234 on [2001:db8::1]:22 penalty: caused crash", Crash, 1, true},
		{h + "drop connection #1 from [203.0.113.5]:1 on [10.0.0.1]:22 penalty: connections without attempting authentication", NoAuth, 1, true},
		{h + "drop connection #1 from [203.0.113.5]:1 on [10.0.0.1]:22 penalty: attempted authentication by invalid user", InvalidUser, 1, true},
		{h + "drop connection #1 from [203.0.113.5]:1 on [10.0.0.1]:22 penalty: connection prohibited by RefuseConnection", RefuseConnection, 1, true},
		{h + "drop connection #1 from [203.0.113.5]:1 on [10.0.0.1]:22 penalty: exceeded LoginGraceTime", GraceExceeded, 1, true},
		{h + "drop connection #1 from [203.0.113.5]:1 on [10.0.0.1]:22 too many penalised addresses", MaxSources, 1, true},
		{h + "drop connection #1 from [203.0.113.5]:1 on [10.0.0.1]:22 PerSourcePenalties", Penalty, 1, true},
		{h + "drop connection #10 from [203.0.113.5]:1 on [10.0.0.1]:22 Maxstartups", MaxStartups, 1, true},
		{h + "drop connection #10 from [203.0.113.5]:1 on [10.0.0.1]:22 past MaxStartups", MaxStartups, 1, true},
		{h + "drop connection #10 from [203.0.113.5]:1 on [10.0.0.1]:22 penalty: something new", Other, 1, true},
		{h + "PerSourcePenalties logging rate-limited: additional 117 connections dropped", PenaltyUnlogged, 117, true},
		{h + "Maxstartups logging rate-limited: additional 4 connections dropped", MaxStartupsUnlogged, 4, true},
		{"2026-11-28T10:00:00.000000+00:00 web1 sshd[812]: Maxstartups logging rate-limited: additional 4 connections dropped", MaxStartupsUnlogged, 4, true},
		{"web1 sshd[812]: drop connection #0 from [203.0.113.5]:51234 on [10.0.0.1]:22 penalty: failed authentication", AuthFail, 1, true},
		// not the listener, or not a drop
		{h + "Maxstartups logging rate-limited: additional 99999999999 connections dropped", 0, 0, false},
		{h + "Maxstartups logging rate-limited: additional -4 connections dropped", 0, 0, false},
		{"Nov 28 10:00:00 web1 sshd-session[9]: drop connection #0 from [1.2.3.4]:1 on [10.0.0.1]:22 penalty: failed authentication", 0, 0, false},
		{"Nov 28 10:00:00 web1 mysshd[9]: drop connection #0 from [1.2.3.4]:1 on [10.0.0.1]:22 penalty: failed authentication", 0, 0, false},
		{h + "Invalid user drop connection #0 from [1.2.3.4]:1 on [10.0.0.1]:22 penalty: failed authentication from 1.2.3.4 port 1", 0, 0, false},
		{h + "drop connection #0 from [1.2.3.4]:1", 0, 0, false},
		{h + "Connection closed by 1.2.3.4 port 22 [preauth]", 0, 0, false},
	}
	for _, tt := range tests {
		r, n, ok := Listener([]byte(tt.line))
		if r != tt.reason || n != tt.n || ok != tt.ok {
			t.Errorf("%q: %v %d %v, want %v %d %v", tt.line, r, n, ok, tt.reason, tt.n, tt.ok)
		}
	}
}

// An OpenSSH 10 log read as fail2ban 1.0.2: the newest release's failures
// are all unseen, and the warning names sshd-session; read as 1.1.1
// nothing is unseen and there is no warning.
func TestCounterSessionLog(t *testing.T) {
	var b bytes.Buffer
	cfg := authgen.Default()
	cfg.Lines, cfg.Seed, cfg.SessionProc = 3000, 3, true
	if err := authgen.Generate(&b, cfg); err != nil {
		t.Fatal(err)
	}
	run := func(v f2bversion.Version) *Counter {
		o := filter.Options{Location: time.UTC, Reference: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), LogClock: true, Fail2ban: v}
		sim, err := filter.New(filter.Spec{Name: "sshd"}, o)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(sim.Spec(), o)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range bytes.Split(bytes.TrimSuffix(b.Bytes(), []byte("\n")), []byte("\n")) {
			c.Line(l, sim.Parse(l), nil, -1, 0, false)
		}
		return c
	}
	old, cur := run(f2bversion.V1_0_2), run(f2bversion.V1_1_1)
	if old.Counted != 0 || old.Unseen == 0 || old.Unseen != cur.Counted {
		t.Errorf("1.0.2: counted %d, unseen %d; 1.1.1 counted %d", old.Counted, old.Unseen, cur.Counted)
	}
	if w := old.Warning(); !strings.Contains(w, "does not read sshd-session lines") || !strings.Contains(w, "counted 0 of") {
		t.Errorf("warning %q", w)
	}
	if cur.Newer != nil || cur.Unseen != 0 || cur.Warning() != "" {
		t.Errorf("1.1.1: newer %v, unseen %d, warning %q", cur.Newer, cur.Unseen, cur.Warning())
	}
}
