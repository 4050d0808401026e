package replay

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Each counter keeps its key's counts by the hour, from when the key took
// the counter; byHour gives each hour's heaviest keys with those counts
// and the counters' errors.
func TestTopKHours(t *testing.T) {
	k := newTopK[string](2)
	const h0, h1 = 1795845600, 1795845600 + 3600
	for _, e := range []struct {
		key string
		h   int64
	}{{"a", h0}, {"a", h0}, {"b", h0}, {"a", h1}, {"c", h1}, {"c", h1}} {
		k.add(e.key).tick(e.h)
	}
	// "c" took "b"'s counter (count 1): its history starts at h1, err 1
	got := map[int64]string{}
	for h, items := range k.byHour(5, func(a, b string) bool { return a < b }) {
		s := ""
		for _, it := range items {
			s += fmt.Sprintf("%s:%d±%d ", it.key, it.count, it.err)
		}
		got[h] = s
	}
	want := map[int64]string{h0: "a:2±0 ", h1: "c:2±1 a:1±0 "}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("by hour (-want +got):\n%s", d)
	}
}
