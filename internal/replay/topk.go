package replay

import "sort"

// topK finds the heaviest keys of a stream in bounded memory with the
// Space-Saving algorithm (Metwally et al.): k counters; an unseen key
// takes over the smallest counter, inheriting its count as possible
// error. Any key with more than n/k occurrences is present, and a count
// minus its error is a lower bound of the truth.
type topK[K comparable] struct {
	k     int
	items map[K]*topItem[K]
	h     topHeap[K]
}

type topItem[K comparable] struct {
	key        K
	count, err int64
	extra      int64 // a second count carried along (bans of an address)
	i          int
	// hours are the counts by local hour since the key took the counter
	// (at most maxHours entries; the report's page follows a selection
	// with them)
	hours []hourCount
}

// hourCount is a key's count in one hour: 8 bytes (the hour's start in
// Unix minutes: local hours of half-hour zones start on the half hour).
type hourCount struct {
	m int32
	n int32
}

const maxHours = 31 * 24 // a month

// tick counts one occurrence in hour h (log time mostly moves forward:
// a repeated hour is the last entry's, else it is found or added).
func (it *topItem[K]) tick(h int64) {
	m := int32(h / 60)
	if n := len(it.hours); n > 0 && it.hours[n-1].m == m {
		it.hours[n-1].n++
		return
	}
	for i := range it.hours {
		if it.hours[i].m == m {
			it.hours[i].n++
			return
		}
	}
	if len(it.hours) < maxHours {
		it.hours = append(it.hours, hourCount{m, 1})
	}
}

// topHeap is a min-heap of the counters by count.
type topHeap[K comparable] []*topItem[K]

// down restores the heap below i after its count grew.
func (h topHeap[K]) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h[r].count < h[l].count {
			m = r
		}
		if h[m].count >= h[i].count {
			return
		}
		h[i], h[m] = h[m], h[i]
		h[i].i, h[m].i = i, m
		i = m
	}
}

// up restores the heap above i (a new counter).
func (h topHeap[K]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].count <= h[i].count {
			return
		}
		h[i], h[p] = h[p], h[i]
		h[i].i, h[p].i = i, p
		i = p
	}
}

func newTopK[K comparable](k int) *topK[K] {
	return &topK[K]{k: k, items: make(map[K]*topItem[K], k)}
}

// add counts one occurrence of key and returns its counter.
func (t *topK[K]) add(key K) *topItem[K] {
	if it, ok := t.items[key]; ok {
		it.count++
		t.h.down(it.i)
		return it
	}
	if len(t.h) < t.k {
		it := &topItem[K]{key: key, count: 1, i: len(t.h)}
		t.items[key] = it
		t.h = append(t.h, it)
		t.h.up(it.i)
		return it
	}
	it := t.h[0]
	delete(t.items, it.key)
	it.key, it.err, it.extra, it.hours = key, it.count, 0, it.hours[:0]
	it.count++
	t.items[key] = it
	t.h.down(0)
	return it
}

// addBytes is add for a string key given as bytes: no allocation unless
// the key is new to the counters.
func addBytes(t *topK[string], b []byte) *topItem[string] {
	if it, ok := t.items[string(b)]; ok {
		it.count++
		t.h.down(it.i)
		return it
	}
	return t.add(string(b))
}

// byHour gives, for each hour of the counters' histories, its n heaviest
// keys with their counts in that hour and their counters' errors.
func (t *topK[K]) byHour(n int, less func(a, b K) bool) map[int64][]topItem[K] {
	return hourLists(t.h, n, less)
}

// hourLists is byHour over any counters.
func hourLists[K comparable](items []*topItem[K], n int, less func(a, b K) bool) map[int64][]topItem[K] {
	out := map[int64][]topItem[K]{}
	for _, it := range items {
		for _, hc := range it.hours {
			t := int64(hc.m) * 60
			out[t] = append(out[t], topItem[K]{key: it.key, count: int64(hc.n), err: it.err})
		}
	}
	for h, items := range out {
		sort.Slice(items, func(i, j int) bool {
			if items[i].count != items[j].count {
				return items[i].count > items[j].count
			}
			return less(items[i].key, items[j].key)
		})
		if len(items) > n {
			items = items[:n]
		}
		out[h] = items
	}
	return out
}

// addExtra counts the second number of a key being tracked.
func (t *topK[K]) addExtra(key K) {
	if it, ok := t.items[key]; ok {
		it.extra++
	}
}

// top returns the n heaviest items, heaviest first (ties by less).
func (t *topK[K]) top(n int, less func(a, b K) bool) []topItem[K] {
	out := make([]topItem[K], 0, len(t.h))
	for _, it := range t.h {
		out = append(out, *it)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].count != out[j].count {
			return out[i].count > out[j].count
		}
		return less(out[i].key, out[j].key)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
