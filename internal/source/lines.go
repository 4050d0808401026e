// Package source is where lines come from: the Source seam (a file
// followed across rotation, a stream, the journal), finished files for
// replay (plain or compressed, rotated sets in order), and the one framing
// of a complete line. It knows no filter, jail or output.
package source

import (
	"bytes"
	"encoding/binary"
	"io"
	"unicode/utf8"
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
			return Frame(line, l.Max)
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

// Frame is the one rule for a complete line (its "\n" removed), for every
// source and the parallel pipeline: trailing "\r"s go (fail2ban strips
// them); a line longer than max is TooLong, never split into fake lines.
func Frame(line []byte, max int) ([]byte, Status) {
	if len(line) > max {
		return nil, TooLong
	}
	for len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, Line
}

// Unterminated reports whether the stream so far ends inside a line: held
// bytes (Partial), or an over-long line being skipped.
func (l *Lines) Unterminated() bool { return l.skipping || l.end > l.start }

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

// FirstSuspect returns the index of the first NUL or non-ASCII byte of b,
// or len(b).
func FirstSuspect(b []byte) int {
	const hi, lo = 0x8080808080808080, 0x0101010101010101
	i := 0
	for ; i+32 <= len(b); i += 32 {
		v0 := binary.LittleEndian.Uint64(b[i:])
		v1 := binary.LittleEndian.Uint64(b[i+8:])
		v2 := binary.LittleEndian.Uint64(b[i+16:])
		v3 := binary.LittleEndian.Uint64(b[i+24:])
		if (v0|v1|v2|v3)&hi != 0 || ((v0-lo)&^v0|(v1-lo)&^v1|(v2-lo)&^v2|(v3-lo)&^v3)&hi != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == 0 || c >= utf8.RuneSelf {
			return i
		}
	}
	return i
}

// TextFlags say what is wrong with a line's text.
type TextFlags uint8

const (
	InvalidUTF8 TextFlags = 1 << iota // bytes that are not UTF-8
	NUL                               // a NUL byte
)

// Suspect returns the text flags of a line: invalid UTF-8 and NUL bytes
// are parsed, as fail2ban parses them, and counted as malformed.
func Suspect(b []byte) TextFlags {
	rest := b[FirstSuspect(b):]
	if len(rest) == 0 {
		return 0
	}
	var f TextFlags
	if bytes.IndexByte(rest, 0) >= 0 {
		f |= NUL
	}
	if !utf8.Valid(rest) {
		f |= InvalidUTF8
	}
	return f
}
