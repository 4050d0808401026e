package source

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// File is a finished log file opened for reading from the start,
// decompressed when its name says so.
type File struct {
	io.Reader
	Name    string
	ModTime time.Time
	Size    int64 // on disk
	f       *os.File
	raw     rawCounter
	closer  io.Closer
}

// rawCounter counts the bytes read from the file itself.
type rawCounter struct {
	f *os.File
	n int64
}

func (c *rawCounter) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	c.n += int64(n)
	return n, err
}

// Consumed returns the bytes read from the file on disk so far
// (compressed bytes for a compressed file).
func (r *File) Consumed() int64 { return r.raw.n }

// compression is a compressed form of a rotated log, known by its name's
// suffix (logrotate's compress with gzip, or compresscmd bzip2, xz, zstd).
type compression struct {
	suffix string
	name   string // the format, for errors
	open   func(r io.Reader) (io.Reader, io.Closer, error)
}

// compressions are every compressed form banscope reads: the one list
// that ordering rotated sets, replay and following consult.
var compressions = []compression{
	{".gz", "gzip", func(r io.Reader) (io.Reader, io.Closer, error) {
		zr, err := gzip.NewReader(r)
		return zr, zr, err
	}},
	{".bz2", "bzip2", func(r io.Reader) (io.Reader, io.Closer, error) { return bzip2.NewReader(r), nil, nil }},
	{".xz", "xz", func(r io.Reader) (io.Reader, io.Closer, error) {
		zr, err := xz.NewReader(r)
		return zr, nil, err
	}},
	{".zst", "zstd", func(r io.Reader) (io.Reader, io.Closer, error) {
		zr, err := zstd.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, closerFunc(func() error { zr.Close(); return nil }), nil
	}},
}

// compressionOf returns the compression a file name says, or nil.
func compressionOf(name string) *compression {
	for i := range compressions {
		if strings.HasSuffix(name, compressions[i].suffix) {
			return &compressions[i]
		}
	}
	return nil
}

// Open opens a finished log file for reading from its start,
// decompressed when its name says so (see compressions).
func Open(name string) (*File, error) {
	// Look before opening: opening a FIFO blocks until a writer comes.
	if st, err := os.Stat(name); err == nil && !st.IsDir() && !st.Mode().IsRegular() {
		// a FIFO never ends and /dev/zero is one endless line: a
		// finished log is a regular file
		return nil, fmt.Errorf("open %s: not a regular file (%s)", name, st.Mode().Type())
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err // "open NAME: ..." already
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", name, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("open %s: is a directory", name)
	}
	if !st.Mode().IsRegular() { // replaced between the two looks
		f.Close()
		return nil, fmt.Errorf("open %s: not a regular file (%s)", name, st.Mode().Type())
	}
	rf := &File{Name: name, ModTime: st.ModTime(), Size: st.Size(), f: f}
	rf.raw.f = f
	rf.Reader = &rf.raw
	if c := compressionOf(name); c != nil {
		zr, closer, err := c.open(bufio.NewReaderSize(&rf.raw, 64<<10))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("open %s: %s: %w", name, c.name, err)
		}
		rf.Reader, rf.closer = zr, closer
	}
	return rf, nil
}

// Close closes the file.
func (r *File) Close() error {
	if r.closer != nil {
		r.closer.Close()
	}
	return r.f.Close()
}
