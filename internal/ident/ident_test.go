package ident

import (
	"fmt"
	"testing"
)

// Raw IDs (attacker-chosen text) are bounded: beyond MaxRawIDs they all
// become the one overflow ID, and the overflows are counted.
func TestRawIDsBounded(t *testing.T) {
	first := RawID([]byte("192.030.0.6"))
	for i := 0; len(interned.texts) < MaxRawIDs; i++ {
		RawID([]byte(fmt.Sprintf("999.%d.1.1", i)))
	}
	before := RawOverflows()
	a, b := RawID([]byte("999.999.999.1")), RawID([]byte("999.999.999.2"))
	if a != b || a.String() != RawOverflow {
		t.Errorf("beyond the bound: %v and %v, want both %q", a, b, RawOverflow)
	}
	if got := RawOverflows() - before; got != 2 {
		t.Errorf("%d overflows counted, want 2", got)
	}
	if len(interned.texts) > MaxRawIDs+1 {
		t.Errorf("%d texts kept", len(interned.texts))
	}
	if RawID([]byte("192.030.0.6")) != first || first.String() != "192.030.0.6" {
		t.Error("a known raw ID changed")
	}
	if ParseID("203.0.113.5").String() != "203.0.113.5" {
		t.Error("addresses are not raw IDs")
	}
}
