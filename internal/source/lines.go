// Package tailer turns files and streams into complete lines: block reads
// cut at the last newline, a held partial line, a cap on line length, and
// (for replay) compressed and rotated files.
package source

import (
	"bytes"
	"io"
)

// DefaultMaxLine is the longest line parsed; longer lines are skipped.
const DefaultMaxLine = 1 << 20

// Status says what Next returned.
type Status uint8

const (
	EOF     Status = iota // no more complete lines (see Partial and Err)
	Line                  // a complete line
	TooLong               // a line longer than the cap, skipped whole
	Cut                   // the start of a line whose end a truncation removed, skipped
)

// Lines reads complete lines from r. A line is returned without its "\n"
// and without trailing "\r"s (as fail2ban strips them); it is valid until
// the next call to Next. A line longer than Max is reported as TooLong and
// never split into fake lines. Bytes after the last newline are held
// (Partial) and not returned: a writer may still be completing that line.
type Lines struct {
	r        io.Reader
	Max      int
	buf      []byte
	start    int
	end      int
	err      error
	skipping bool // inside an over-long line, discarding to its newline
	// Offset is the number of bytes consumed by the lines returned so far.
	Offset int64
}

// NewLines returns a line reader with cap max (DefaultMaxLine if <= 0).
func NewLines(r io.Reader, max int) *Lines {
	if max <= 0 {
		max = DefaultMaxLine
	}
	n := 64 << 10
	return &Lines{r: r, Max: max, buf: make([]byte, n)}
}

// Reset points the reader at a new stream, keeping its buffer.
func (l *Lines) Reset(r io.Reader) {
	l.r, l.start, l.end, l.err, l.skipping, l.Offset = r, 0, 0, nil, false, 0
}

// Next returns the next line.
func (l *Lines) Next() ([]byte, Status) {
	for {
		if i := bytes.IndexByte(l.buf[l.start:l.end], '\n'); i >= 0 {
			line := l.buf[l.start : l.start+i]
			l.start += i + 1
			l.Offset += int64(i + 1)
			if l.skipping {
				l.skipping = false
				return nil, TooLong
			}
			if len(line) > l.Max {
				return nil, TooLong
			}
			for len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			return line, Line
		}
		if l.err != nil {
			return nil, EOF
		}
		// Make room: move the partial line to the front, grow if needed.
		if l.start > 0 {
			n := copy(l.buf, l.buf[l.start:l.end])
			l.start, l.end = 0, n
		}
		if l.end-l.start > l.Max {
			// Over the cap: drop what we hold and discard to the newline.
			l.Offset += int64(l.end - l.start)
			l.start, l.end = 0, 0
			l.skipping = true
		}
		if l.end == len(l.buf) {
			nb := make([]byte, 2*len(l.buf))
			copy(nb, l.buf[:l.end])
			l.buf = nb
		}
		n, err := l.r.Read(l.buf[l.end:])
		l.end += n
		if err != nil {
			l.err = err
		}
	}
}

// Partial returns the bytes after the last newline (an unterminated line).
func (l *Lines) Partial() []byte { return l.buf[l.start:l.end] }

// Err returns the read error that ended the stream, or nil at a clean EOF.
func (l *Lines) Err() error {
	if l.err == io.EOF {
		return nil
	}
	return l.err
}

// clearEOF lets the reader try again after EOF: a followed file may grow.
func (l *Lines) clearEOF() {
	if l.err == io.EOF {
		l.err = nil
	}
}
