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

// add counts one occurrence of key.
func (t *topK[K]) add(key K) {
	if it, ok := t.items[key]; ok {
		it.count++
		t.h.down(it.i)
		return
	}
	if len(t.h) < t.k {
		it := &topItem[K]{key: key, count: 1, i: len(t.h)}
		t.items[key] = it
		t.h = append(t.h, it)
		t.h.up(it.i)
		return
	}
	it := t.h[0]
	delete(t.items, it.key)
	it.key, it.err, it.extra = key, it.count, 0
	it.count++
	t.items[key] = it
	t.h.down(0)
}

// addBytes is add for a string key given as bytes: no allocation unless
// the key is new to the counters.
func addBytes(t *topK[string], b []byte) {
	if it, ok := t.items[string(b)]; ok {
		it.count++
		t.h.down(it.i)
		return
	}
	t.add(string(b))
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
