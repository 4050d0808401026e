// Package rotatetest rotates a log the ways logrotate does, for tests of
// the follower and the sidecar: rename (create) or copytruncate, numbered
// or dated (dateext), compressed at once or one rotation later
// (delaycompress) with gzip, bzip2, xz or zstd — the programs themselves.
package rotatetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Options is one logrotate configuration.
type Options struct {
	CopyTruncate bool
	Compress     string // "", ".gz", ".bz2", ".xz", ".zst"
	Delay        bool   // delaycompress
	DateExt      bool   // auth.log-YYYYMMDDHH instead of auth.log.N
}

var tools = map[string][]string{".gz": {"gzip"}, ".bz2": {"bzip2"}, ".xz": {"xz"}, ".zst": {"zstd", "-q", "--rm"}}

// Rotator rotates one log; n counts its rotations (the dated names).
type Rotator struct {
	Path string
	Options
	n int
}

// Rotate does one rotation.
func (r *Rotator) Rotate() error {
	r.n++
	var dst string
	if r.DateExt {
		dst = fmt.Sprintf("%s-%d", r.Path, 2026120100+r.n)
	} else {
		for n := 8; n >= 1; n-- {
			for _, suf := range []string{"", r.Compress} {
				from := fmt.Sprintf("%s.%d%s", r.Path, n, suf)
				if _, err := os.Stat(from); err == nil {
					if err := os.Rename(from, fmt.Sprintf("%s.%d%s", r.Path, n+1, suf)); err != nil {
						return err
					}
				}
			}
		}
		dst = r.Path + ".1"
	}
	if r.CopyTruncate {
		b, err := os.ReadFile(r.Path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
		if err := os.Truncate(r.Path, 0); err != nil {
			return err
		}
	} else {
		if err := os.Rename(r.Path, dst); err != nil {
			return err
		}
		if err := os.WriteFile(r.Path, nil, 0o644); err != nil { // create
			return err
		}
	}
	if r.Compress == "" {
		return nil
	}
	targets := []string{dst}
	if r.Delay {
		targets = nil
		if r.DateExt {
			// every dated file but the newest
			m, _ := filepath.Glob(r.Path + "-*")
			sort.Strings(m)
			for _, f := range m {
				if f != dst && !strings.HasSuffix(f, r.Compress) {
					targets = append(targets, f)
				}
			}
		} else if _, err := os.Stat(r.Path + ".2"); err == nil {
			targets = []string{r.Path + ".2"}
		}
	}
	for _, f := range targets {
		tool := tools[r.Compress]
		if out, err := exec.Command(tool[0], append(tool[1:], f)...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s: %v %s", tool[0], f, err, out)
		}
	}
	return nil
}
