// Package pipeline reads a log in chunks of lines and prepares every line
// for its filters on all cores (filter.Filter.Prepare: the date and the failregex,
// which depend on the line alone), then hands the lines back in log order
// on the calling goroutine, where what depends on order — the clock,
// sshd sessions, the jails — is done (filter.Filter.Finish).
package pipeline

import (
	"bytes"
	"io"
	"runtime"
	"strconv"

	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/logtime"
	"github.com/banscope/banscope/internal/source"
)

// Line is one line read and prepared. Its slices are valid until the
// callback returns.
type Line struct {
	Text   []byte
	Status source.Status // source.Line or source.TooLong (then Text and Pre are empty)
	// InvalidUTF8 and NUL say whether the text is malformed.
	InvalidUTF8, NUL bool
	// Pre holds the line prepared for each filter, in Reader.Filters order.
	Pre []filter.Prepared
}

// Reader prepares lines for a set of filters.
type Reader struct {
	// Filters are the filters the lines are prepared for; their reference
	// time (SetReference) must be set before Run.
	Filters []filter.Filter
	// Workers is the number of goroutines preparing lines (default:
	// GOMAXPROCS); with one, everything runs on the calling goroutine.
	Workers int
	// MaxLine is the longest line read (source.Lines).
	MaxLine int
	// Stamped: each line is a journal entry's, its time in Unix
	// nanoseconds, a space, then its text (source.JournalText). The text
	// is prepared with that time and no date is looked for in it, as
	// fail2ban's systemd backend hands its filter the entry's time apart.
	Stamped bool

	lines   *source.Lines // the serial path
	free    chan *chunk
	pool    []*chunk
	partial []byte // bytes after the last newline of the last Run
	// cutShort says the last Run ended inside a line (held as partial,
	// or over-long and dropped)
	cutShort bool
	err      error // the read error that ended it (nil at EOF)
}

const (
	chunkLines = 2048
	chunkBytes = 256 << 10
)

type span struct {
	s, e  int32 // the line's text
	nl    int32 // its newline
	st    source.Status
	flags source.TextFlags
}

type chunk struct {
	buf []byte // whole lines, each ending in '\n'
	// tooLong over-long lines, skipped by the reader, come before buf
	tooLong int
	spans   []span
	pre     []filter.Prepared
	done    chan struct{}
}

// Partial returns the bytes after the last newline of the last Run (an
// unterminated line, not returned as a line).
func (r *Reader) Partial() []byte { return r.partial }

// Unterminated reports whether the last Run ended inside a line: one held
// in Partial, or one over the cap whose bytes were dropped as read.
func (r *Reader) Unterminated() bool { return r.cutShort }

// Err returns the read error that ended the last Run, or nil at its end.
func (r *Reader) Err() error { return r.err }

// Run reads src to its end and calls fn with every line in order.
func (r *Reader) Run(src io.Reader, fn func(*Line)) {
	if r.MaxLine <= 0 {
		r.MaxLine = source.DefaultMaxLine
	}
	workers := r.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 {
		if r.lines == nil {
			r.lines = source.NewLines(src, r.MaxLine)
		} else {
			r.lines.Reset(src)
		}
		r.serial(fn)
		r.partial, r.err = r.lines.Partial(), r.lines.Err()
		r.cutShort = r.lines.Unterminated()
		return
	}
	r.parallel(src, workers, fn)
}

func (r *Reader) serial(fn func(*Line)) {
	np := len(r.Filters)
	l := Line{Pre: make([]filter.Prepared, np)}
	for {
		text, st := r.lines.Next()
		if st == source.EOF {
			return
		}
		var stamp int64
		if r.Stamped && st == source.Line {
			stamp, text = splitStamp(text)
		}
		l.Text, l.Status = text, st
		l.InvalidUTF8, l.NUL = false, false
		if st == source.Line {
			f := source.Suspect(text)
			l.InvalidUTF8, l.NUL = f&source.InvalidUTF8 != 0, f&source.NUL != 0
			for i, p := range r.Filters {
				p.Prepare(text, &l.Pre[i])
				if r.Stamped {
					l.Pre[i].Date = logtime.Result{Valid: true, UnixNs: stamp}
				}
			}
		}
		fn(&l)
	}
}

func (r *Reader) parallel(src io.Reader, workers int, fn func(*Line)) {
	np := len(r.Filters)
	nchunks := 2*workers + 2
	if r.free == nil || cap(r.free) != nchunks {
		r.free = make(chan *chunk, nchunks)
		r.pool = r.pool[:0]
		for i := 0; i < nchunks; i++ {
			c := &chunk{buf: make([]byte, 0, chunkBytes), spans: make([]span, 0, chunkLines)}
			r.pool = append(r.pool, c)
			r.free <- c
		}
	}
	work := make(chan *chunk, nchunks)
	ordered := make(chan *chunk, nchunks)
	go r.read(src, work, ordered)
	for w := 0; w < workers; w++ {
		preps := make([]filter.Preparer, np)
		for i, p := range r.Filters {
			preps[i] = p.Preparer()
		}
		go prepareChunks(work, preps, r.MaxLine, r.Stamped)
	}
	l := Line{}
	for c := range ordered {
		<-c.done
		for k := 0; k < c.tooLong; k++ {
			fn(&Line{Status: source.TooLong})
		}
		for k, sp := range c.spans {
			l.Text, l.Status = c.buf[sp.s:sp.e], sp.st
			l.InvalidUTF8, l.NUL = sp.flags&source.InvalidUTF8 != 0, sp.flags&source.NUL != 0
			l.Pre = c.pre[k*np : (k+1)*np]
			fn(&l)
		}
		r.free <- c
	}
}

// read fills chunks with whole lines, read in blocks and cut at the last
// newline (the rest starts the next chunk), and hands them to the workers
// and, in order, to the consumer. A line longer than MaxLine is dropped
// here as it is read (memory stays bounded) and reported as TooLong.
func (r *Reader) read(src io.Reader, work, ordered chan<- *chunk) {
	defer close(ordered)
	defer close(work)
	var carry []byte // a partial line, moved to the next chunk
	skipping := false
	r.partial, r.err, r.cutShort = nil, nil, false
	for {
		c := <-r.free
		c.buf = append(c.buf[:0], carry...)
		c.spans, c.tooLong = c.spans[:0], 0
		var err error
		for {
			if len(c.buf) == cap(c.buf) {
				if bytes.LastIndexByte(c.buf, '\n') >= 0 {
					break // a full chunk
				}
				// One line fills the chunk: grow, up to the cap.
				if len(c.buf) > r.MaxLine {
					skipping, c.buf = true, c.buf[:0]
				} else {
					c.buf = append(c.buf, 0)[:len(c.buf)]
				}
			}
			var n int
			n, err = src.Read(c.buf[len(c.buf):cap(c.buf)])
			if skipping && n > 0 {
				// Discard to the end of the over-long line. Skipping
				// starts on an empty chunk, so the line comes before
				// any line of this chunk.
				if k := bytes.IndexByte(c.buf[:n], '\n'); k >= 0 {
					n = copy(c.buf[:cap(c.buf)], c.buf[k+1:n])
					skipping = false
					c.tooLong++
				} else {
					n = 0
				}
			}
			c.buf = c.buf[:len(c.buf)+n]
			if err != nil {
				break
			}
			if len(c.buf) >= chunkBytes && bytes.LastIndexByte(c.buf, '\n') >= 0 {
				break
			}
		}
		cut := bytes.LastIndexByte(c.buf, '\n') + 1
		carry = append(carry[:0], c.buf[cut:]...)
		c.buf = c.buf[:cut]
		if err != nil {
			if err != io.EOF {
				r.err = err
			}
			if !skipping {
				r.partial = append([]byte(nil), carry...)
			}
			r.cutShort = skipping || len(carry) > 0
			if len(c.buf) == 0 && c.tooLong == 0 {
				r.free <- c
				return
			}
		}
		if n := chunkLinesOf(c.buf) * len(r.Filters); cap(c.pre) < n {
			c.pre = make([]filter.Prepared, n)
		} else {
			c.pre = c.pre[:n]
		}
		c.done = make(chan struct{})
		work <- c
		ordered <- c
		if err != nil {
			return
		}
	}
}

// chunkLinesOf counts the lines of a chunk.
func chunkLinesOf(b []byte) int { return bytes.Count(b, []byte{'\n'}) }

func prepareChunks(work <-chan *chunk, preps []filter.Preparer, max int, stamped bool) {
	np := len(preps)
	for c := range work {
		// split the lines, framed as every source frames them
		c.spans = c.spans[:0]
		for p := 0; p < len(c.buf); {
			e := p + bytes.IndexByte(c.buf[p:], '\n')
			text, st := source.Frame(c.buf[p:e], max)
			sp := span{s: int32(p), e: int32(p + len(text)), nl: int32(e), st: st}
			c.spans = append(c.spans, sp)
			p = e + 1
		}
		flagLines(c.buf, c.spans)
		for k := range c.spans {
			sp := &c.spans[k]
			if sp.st != source.Line {
				continue
			}
			text := c.buf[sp.s:sp.e]
			var stamp int64
			if stamped {
				var rest []byte
				stamp, rest = splitStamp(text)
				sp.s += int32(len(text) - len(rest))
				text = rest
			}
			for i, w := range preps {
				w.Prepare(text, &c.pre[k*np+i])
				if stamped {
					c.pre[k*np+i].Date = logtime.Result{Valid: true, UnixNs: stamp}
				}
			}
		}
		close(c.done)
	}
}

// flagLines sets the flags of the lines holding a NUL or a non-ASCII
// byte, found in one pass over the chunk (such lines are rare).
func flagLines(buf []byte, spans []span) {
	k := 0
	for i := 0; ; {
		j := i + source.FirstSuspect(buf[i:])
		if j >= len(buf) {
			return
		}
		for k < len(spans) && int(spans[k].nl) < j {
			k++
		}
		if k == len(spans) {
			return
		}
		sp := &spans[k]
		if sp.st == source.Line {
			sp.flags = source.Suspect(buf[sp.s:sp.e])
		}
		i = int(sp.nl) + 1
		k++
	}
}

// splitStamp splits a stamped line (Reader.Stamped) into its time and
// text; a line without a stamp keeps its text, with time 0.
func splitStamp(b []byte) (int64, []byte) {
	i := bytes.IndexByte(b, ' ')
	if i <= 0 {
		return 0, b
	}
	n, err := strconv.ParseInt(string(b[:i]), 10, 64)
	if err != nil {
		return 0, b
	}
	return n, b[i+1:]
}
