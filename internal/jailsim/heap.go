package jailsim

// indexedHeap is a binary min-heap of slot numbers whose elements record
// their position (pos), so that any element can be removed or re-sorted
// in O(log n): the failure tickets by last failure, the bans by end.
type indexedHeap struct {
	items []int32
	less  func(a, b int32) bool
	pos   func(i int32) *int32
}

func (h *indexedHeap) push(i int32) {
	*h.pos(i) = int32(len(h.items))
	h.items = append(h.items, i)
	h.up(len(h.items) - 1)
}

func (h *indexedHeap) remove(i int32) {
	p := int(*h.pos(i))
	n := len(h.items) - 1
	if p != n {
		h.swap(p, n)
	}
	h.items = h.items[:n]
	if p != n {
		h.down(p)
		h.up(p)
	}
}

// fix restores the order after i's key changed.
func (h *indexedHeap) fix(i int32) {
	p := int(*h.pos(i))
	h.down(p)
	h.up(p)
}

func (h *indexedHeap) swap(a, b int) {
	x := h.items
	x[a], x[b] = x[b], x[a]
	*h.pos(x[a]) = int32(a)
	*h.pos(x[b]) = int32(b)
}

func (h *indexedHeap) up(p int) {
	for p > 0 {
		q := (p - 1) / 2
		if !h.less(h.items[p], h.items[q]) {
			break
		}
		h.swap(p, q)
		p = q
	}
}

func (h *indexedHeap) down(p int) {
	n := len(h.items)
	for {
		l := 2*p + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(h.items[r], h.items[l]) {
			m = r
		}
		if !h.less(h.items[m], h.items[p]) {
			return
		}
		h.swap(p, m)
		p = m
	}
}
