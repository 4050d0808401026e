package source

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
)

// Source is where a live stream of lines comes from: a followed file
// (across rotation), a stream such as standard input, or the journal. Each
// hands out complete lines, framed alike (Frame), in order, with where
// each one is — a file position or a journal cursor — and, for the
// journal, the entry's own time. Replay reads finished files through Open
// and the same framing.
type Source interface {
	// Name is what the metrics call the source: the file's base name,
	// "stdin" or "journal".
	Name() string
	// Read hands each line to fn until the source ends (a stream at its
	// end), fn fails, or ctx is done.
	Read(ctx context.Context, fn func(*Entry) error) error
}

// Entry is one line of a source. Its Text is valid until fn returns.
type Entry struct {
	Text   []byte
	Status Status // Line, TooLong or Cut
	// Pos is, for files and streams, the position just after the line.
	Pos Position
	// Cursor is, for the journal, the entry's cursor; Stamp (Unix ns) its
	// own time when HasStamp.
	Cursor   string
	Stamp    int64
	HasStamp bool
}

// FileSource follows a file across rotation (Follow) from Start, or from
// its beginning when Start is nil.
type FileSource struct {
	Options FollowOptions
	Start   *Position
}

// Name implements Source.
func (f *FileSource) Name() string { return filepath.Base(f.Options.Path) }

// Read implements Source.
func (f *FileSource) Read(ctx context.Context, fn func(*Entry) error) error {
	var e Entry
	return Follow(ctx, f.Options, f.Start, func(line []byte, st Status, pos Position) error {
		e = Entry{Text: line, Status: st, Pos: pos}
		return fn(&e)
	})
}

// StreamSource reads a stream (standard input) to its end.
type StreamSource struct {
	R       io.Reader
	MaxLine int
	Label   string // its name ("stdin")
}

// Name implements Source.
func (s *StreamSource) Name() string { return s.Label }

// Read implements Source.
func (s *StreamSource) Read(ctx context.Context, fn func(*Entry) error) error {
	lr := NewLines(s.R, s.MaxLine)
	var e Entry
	for ctx.Err() == nil {
		b, st := lr.Next()
		if st == EOF {
			if err := lr.Err(); err != nil {
				return fmt.Errorf("read %s: %w", s.Label, err)
			}
			return nil
		}
		e = Entry{Text: b, Status: st, Pos: Position{Offset: lr.Offset}}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// JournalSource follows the systemd journal (followJournal).
type JournalSource struct {
	Options JournalOptions
}

// Name implements Source.
func (j *JournalSource) Name() string { return "journal" }

// Read implements Source.
func (j *JournalSource) Read(ctx context.Context, fn func(*Entry) error) error {
	var e Entry
	return followJournal(ctx, j.Options, func(je JournalEntry) error {
		e = Entry{Text: je.Line, Status: Line, Cursor: je.Cursor, Stamp: je.Time, HasStamp: true}
		return fn(&e)
	})
}
