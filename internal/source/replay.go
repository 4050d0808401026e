package source

import (
	"bufio"
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

// ReplayFile is a finished log file opened for reading from the start,
// decompressed when its name says so.
type ReplayFile struct {
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
func (r *ReplayFile) Consumed() int64 { return r.raw.n }

// OpenReplay opens a plain or gzip-compressed log file.
func OpenReplay(name string) (*ReplayFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
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
	rf := &ReplayFile{Name: name, ModTime: st.ModTime(), Size: st.Size(), f: f}
	rf.raw.f = f
	rf.Reader = &rf.raw
	br := bufio.NewReaderSize(&rf.raw, 64<<10)
	switch {
	case strings.HasSuffix(name, ".gz"):
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("open %s: gzip: %w", name, err)
		}
		rf.Reader, rf.closer = zr, zr
	case strings.HasSuffix(name, ".xz"):
		zr, err := xz.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("open %s: xz: %w", name, err)
		}
		rf.Reader = zr
	case strings.HasSuffix(name, ".zst"):
		zr, err := zstd.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("open %s: zstd: %w", name, err)
		}
		rf.Reader, rf.closer = zr, closerFunc(func() error { zr.Close(); return nil })
	}
	return rf, nil
}

// Close closes the file.
func (r *ReplayFile) Close() error {
	if r.closer != nil {
		r.closer.Close()
	}
	return r.f.Close()
}
