package sshd

import (
	"fmt"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/filter"
)

func seamFilter(t *testing.T, params map[string]string) filter.Filter {
	t.Helper()
	f, err := filter.New(filter.Spec{Name: "sshd", Params: params}, filter.Options{Location: time.UTC,
		Reference: refTime, CurrentYear: 2026, LogClock: true})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func verdictOf(ev *filter.Event) string {
	return fmt.Sprint(ev.Verdict, ev.Kind, ev.IDs, ev.Time, string(ev.User))
}

// A line prepared by one rule set and finished by a filter of another
// gets the finishing filter's verdict, never a mix of the two.
func TestFinishOnOtherRules(t *testing.T) {
	lines := genLines(t, 4000, 0.05)
	normal := seamFilter(t, map[string]string{"mode": "normal"})
	aggr := seamFilter(t, map[string]string{"mode": "aggressive"})
	alone := seamFilter(t, map[string]string{"mode": "aggressive"})
	if normal.Rules() == aggr.Rules() {
		t.Fatal("normal and aggressive share a rule set")
	}
	if aggr.Rules() != alone.Rules() {
		t.Fatal("two aggressive filters have different rule sets")
	}
	var pr filter.Prepared
	differ := 0
	for i, l := range lines {
		normal.Prepare(l, &pr)
		if pr.Rules != normal.Rules() {
			t.Fatalf("line %d: prepared by %d, not the preparing filter's %d", i, pr.Rules, normal.Rules())
		}
		matchedNormal := pr.Matched()
		got, want := verdictOf(aggr.Finish(l, &pr)), verdictOf(alone.Parse(l))
		if got != want {
			t.Fatalf("line %d %q: finished on other rules %s, parsed alone %s", i, l, got, want)
		}
		var own filter.Prepared
		alone.Prepare(l, &own)
		if own.Matched() != matchedNormal {
			differ++
		}
	}
	if differ == 0 {
		t.Fatal("the corpus has no line the two modes read differently: the test proves nothing")
	}
}

// A filter restored from another's snapshot (another parser, possibly
// other options) continues its sessions: the key hashes of lines
// prepared elsewhere find them.
func TestRestoreAcrossFilters(t *testing.T) {
	lines := genLines(t, 6000, 0.05)
	a := seamFilter(t, map[string]string{"mode": "normal"})
	for _, l := range lines[:3000] {
		a.Parse(l)
	}
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	b := seamFilter(t, map[string]string{"mode": "normal"})
	if err := b.Restore(snap); err != nil {
		t.Fatal(err)
	}
	prep := seamFilter(t, map[string]string{"mode": "normal"}).Preparer()
	var pr filter.Prepared
	for i, l := range lines[3000:] {
		want := verdictOf(a.Parse(l))
		prep.Prepare(l, &pr)
		if got := verdictOf(b.Finish(l, &pr)); got != want {
			t.Fatalf("line %d %q: restored %s, original %s", 3000+i, l, got, want)
		}
	}
}

func TestSpec(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"sshd", "sshd[mode=normal]"},
		{"sshd[mode=aggressive]", "sshd[mode=aggressive]"},
		{`sshd[mode="ddos", publickey=any]`, "sshd[mode=ddos, publickey=any]"},
		{"sshd[ MODE = extra ]", "sshd[mode=extra]"},
	} {
		sp, err := filter.ParseSpec(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		f, err := filter.New(sp, filter.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Spec().String(); got != tt.want {
			t.Errorf("%s: spec %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"sshd[mode=bogus]", "sshd[publickey=bogus]", "nosuchfilter"} {
		sp, _ := filter.ParseSpec(bad)
		if _, err := filter.New(sp, filter.Options{}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if _, err := filter.ParseSpec("sshd[mode=normal"); err == nil {
		t.Error("missing ]: no error")
	}
}
