// Package pipeline reads a log in chunks of lines and prepares every line
// for its parsers on all cores (parser.Prepare: the date and the failregex,
// which depend on the line alone), then hands the lines back in log order
// on the calling goroutine, where what depends on order — the clock,
// sshd sessions, the jails — is done (parser.Finish).
package pipeline

import (
	"encoding/binary"
	"io"
	"runtime"
	"unicode/utf8"

	"github.com/banscope/banscope/parser"
	"github.com/banscope/banscope/tailer"
)

// Line is one line read and prepared. Its slices are valid until the
// callback returns.
type Line struct {
	Text   []byte
	Status tailer.Status // tailer.Line or tailer.TooLong (then Text and Pre are empty)
	// InvalidUTF8 and NUL say whether the text is malformed.
	InvalidUTF8, NUL bool
	// Pre holds the line prepared for each parser, in Reader.Parsers order.
	Pre []parser.Prepared
}

// Reader prepares lines for a set of parsers.
type Reader struct {
	// Parsers are the parsers the lines are prepared for; their reference
	// time (SetReference) must be set before Run.
	Parsers []*parser.Parser
	// Workers is the number of goroutines preparing lines (default:
	// GOMAXPROCS); with one, everything runs on the calling goroutine.
	Workers int
	// MaxLine is the longest line read (tailer.Lines).
	MaxLine int

	lines *tailer.Lines
	free  chan *chunk
	pool  []*chunk
}

const (
	chunkLines = 2048
	chunkBytes = 256 << 10
)

type span struct {
	s, e  int32
	st    tailer.Status
	flags uint8
}

const (
	flagInvalid = 1 << iota
	flagNUL
)

type chunk struct {
	buf   []byte
	spans []span
	pre   []parser.Prepared
	done  chan struct{}
}

// Lines returns the line reader of the last Run: its Partial and Err tell
// how the stream ended.
func (r *Reader) Lines() *tailer.Lines { return r.lines }

// Run reads src to its end and calls fn with every line in order.
func (r *Reader) Run(src io.Reader, fn func(*Line)) {
	if r.lines == nil {
		r.lines = tailer.NewLines(src, r.MaxLine)
	} else {
		r.lines.Reset(src)
	}
	workers := r.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 {
		r.serial(fn)
		return
	}
	r.parallel(workers, fn)
}

func (r *Reader) serial(fn func(*Line)) {
	np := len(r.Parsers)
	l := Line{Pre: make([]parser.Prepared, np)}
	for {
		text, st := r.lines.Next()
		if st == tailer.EOF {
			return
		}
		l.Text, l.Status = text, st
		l.InvalidUTF8, l.NUL = false, false
		if st == tailer.Line {
			f := check(text)
			l.InvalidUTF8, l.NUL = f&flagInvalid != 0, f&flagNUL != 0
			for i, p := range r.Parsers {
				p.Prepare(text, &l.Pre[i])
			}
		}
		fn(&l)
	}
}

func (r *Reader) parallel(workers int, fn func(*Line)) {
	np := len(r.Parsers)
	nchunks := 2*workers + 2
	if r.free == nil || cap(r.free) != nchunks {
		r.free = make(chan *chunk, nchunks)
		r.pool = r.pool[:0]
		for i := 0; i < nchunks; i++ {
			c := &chunk{buf: make([]byte, 0, chunkBytes+chunkBytes/4), spans: make([]span, 0, chunkLines)}
			r.pool = append(r.pool, c)
			r.free <- c
		}
	}
	work := make(chan *chunk, nchunks)
	ordered := make(chan *chunk, nchunks)
	go r.read(work, ordered)
	for w := 0; w < workers; w++ {
		preps := make([]*parser.Preparer, np)
		for i, p := range r.Parsers {
			preps[i] = p.Preparer()
		}
		go prepareChunks(work, preps)
	}
	l := Line{}
	for c := range ordered {
		<-c.done
		for k, sp := range c.spans {
			l.Text, l.Status = c.buf[sp.s:sp.e], sp.st
			l.InvalidUTF8, l.NUL = sp.flags&flagInvalid != 0, sp.flags&flagNUL != 0
			l.Pre = c.pre[k*np : (k+1)*np]
			fn(&l)
		}
		r.free <- c
	}
}

// read fills chunks with lines and hands them to the workers and, in
// order, to the consumer.
func (r *Reader) read(work, ordered chan<- *chunk) {
	defer close(ordered)
	defer close(work)
	np := len(r.Parsers)
	for {
		c := <-r.free
		c.buf, c.spans = c.buf[:0], c.spans[:0]
		eof := false
		for len(c.spans) < chunkLines && len(c.buf) < chunkBytes {
			text, st := r.lines.Next()
			if st == tailer.EOF {
				eof = true
				break
			}
			s := len(c.buf)
			c.buf = append(c.buf, text...)
			c.spans = append(c.spans, span{s: int32(s), e: int32(len(c.buf)), st: st})
		}
		if len(c.spans) == 0 {
			r.free <- c
			return
		}
		if n := len(c.spans) * np; cap(c.pre) < n {
			c.pre = make([]parser.Prepared, n, chunkLines*np)
		} else {
			c.pre = c.pre[:n]
		}
		c.done = make(chan struct{})
		work <- c
		ordered <- c
		if eof {
			return
		}
	}
}

func prepareChunks(work <-chan *chunk, preps []*parser.Preparer) {
	np := len(preps)
	for c := range work {
		for k := range c.spans {
			sp := &c.spans[k]
			if sp.st != tailer.Line {
				continue
			}
			text := c.buf[sp.s:sp.e]
			sp.flags = check(text)
			for i, w := range preps {
				w.Prepare(text, &c.pre[k*np+i])
			}
		}
		close(c.done)
	}
}

// check returns flagInvalid for invalid UTF-8 and flagNUL for a NUL byte,
// eight bytes at a time while the text is ASCII.
func check(b []byte) uint8 {
	const hi, lo = 0x8080808080808080, 0x0101010101010101
	i := 0
	for ; i+8 <= len(b); i += 8 {
		v := binary.LittleEndian.Uint64(b[i:])
		if v&hi != 0 || (v-lo)&^v&hi != 0 {
			break
		}
	}
	var f uint8
	rest := b[i:]
	for j, c := range rest {
		if c == 0 {
			f |= flagNUL
		} else if c >= utf8.RuneSelf {
			if !utf8.Valid(rest[j:]) {
				f |= flagInvalid
			}
			for _, c := range rest[j:] {
				if c == 0 {
					f |= flagNUL
					break
				}
			}
			break
		}
	}
	return f
}
