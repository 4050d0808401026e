package source

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A follower that lags behind a copytruncate whose copy is then compressed
// (any compression of the table, xz and zstd as well as gzip) reads the
// generation's unread tail from the compressed copy: the copy is smaller
// on disk than the position, which must not make it look too short.
func TestFinishCopyCompressed(t *testing.T) {
	tools := map[string][]string{".gz": {"gzip"}, ".bz2": {"bzip2"}, ".xz": {"xz"}, ".zst": {"zstd", "-q", "--rm"}}
	for _, c := range compressions {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "auth.log")
			var old bytes.Buffer
			for i := 0; i < 200; i++ {
				fmt.Fprintf(&old, "Nov 27 10:00:%02d web1 sshd[%d]: line a%03d of the old generation, long enough to compress well\n", i%60, 1000+i, i)
			}
			if err := os.WriteFile(path, old.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			f, _ := os.Open(path)
			half := int64(bytes.Index(old.Bytes(), []byte("line a100")))
			half = int64(bytes.LastIndexByte(old.Bytes()[:half], '\n') + 1)
			p, err := PositionOf(f, half)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			// copytruncate, then the copy compressed (logrotate's compress)
			copyPath := filepath.Join(dir, "auth.log.1")
			if err := os.WriteFile(copyPath, old.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			tool := tools[c.suffix]
			if out, err := exec.Command(tool[0], append(tool[1:], copyPath)...).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v %s", tool[0], err, out)
			}
			if info, err := os.Stat(copyPath + c.suffix); err != nil || info.Size() >= half {
				t.Fatalf("compressed copy: %v (size %v, position %d): the test needs it smaller than the position", err, info, half)
			}
			os.WriteFile(path, nil, 0o644)
			var got []string
			fw := &follower{o: FollowOptions{Path: path}, said: map[string]bool{}, lines: NewLines(nil, 0),
				h: func(l []byte, st Status, _ Position) error { got = append(got, string(l)); return nil }}
			fw.pos = p
			if _, err := fw.finishCopy(context.Background(), p, nil, nil); err != nil {
				t.Fatal(err)
			}
			if len(got) != 100 || !bytes.Contains([]byte(got[0]), []byte("line a100")) || !bytes.Contains([]byte(got[99]), []byte("line a199")) {
				t.Fatalf("%d lines from the copy, want a100..a199: first %q", len(got), got)
			}
		})
	}
}

// Restarted on the same content under a new inode (a log restored from a
// backup or copied across filesystems): it continues at the saved
// offset, not from the start, which would count every line again.
func TestResumeSameContentNewInode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	var old bytes.Buffer
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&old, "Nov 27 10:00:%02d web1 sshd[%d]: line a%03d\n", i, 1000+i, i)
	}
	os.WriteFile(path, old.Bytes(), 0o644)
	f, _ := os.Open(path)
	start, err := PositionOf(f, int64(old.Len()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	// the same bytes and one more line, written to a new inode moved over
	// the path
	tmp := filepath.Join(dir, "restore.tmp")
	os.WriteFile(tmp, append(old.Bytes(), "Nov 27 10:01:00 web1 sshd[2000]: line b001\n"...), 0o644)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if got := firstLine(t, path, &start); !strings.HasSuffix(got, "line b001") {
		t.Fatalf("first line %q, want the new line b001 (the old ones were read already)", got)
	}
}

// Restarted after two rotations while stopped (rename, create, compress
// with delaycompress, as Debian's rsyslog logrotate does): the rest of the
// generation last read (now auth.log.2.gz), then the whole of auth.log.1,
// then the live file — nothing skipped, nothing twice.
func TestResumeAfterTwoRotations(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	gen := func(tag string, n int) []byte {
		var b bytes.Buffer
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "Nov 27 10:%02d:%02d web1 sshd[%d]: %s%03d\n", i/60, i%60, 1000+i, tag, i)
		}
		return b.Bytes()
	}
	g1, g2, g3 := gen("a", 100), gen("b", 80), gen("c", 5)
	os.WriteFile(path, g1, 0o644)
	f, _ := os.Open(path)
	off := int64(bytes.Index(g1, []byte("a060")))
	off = int64(bytes.LastIndexByte(g1[:off], '\n') + 1)
	start, err := PositionOf(f, off)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	start.Path = path
	// first rotation: auth.log -> auth.log.1, a new auth.log
	os.Rename(path, path+".1")
	os.WriteFile(path, g2, 0o644)
	// second: auth.log.1 -> auth.log.2, compressed; auth.log -> auth.log.1
	os.Rename(path+".1", path+".2")
	if out, err := exec.Command("gzip", path+".2").CombinedOutput(); err != nil {
		t.Fatalf("gzip: %v %s", err, out)
	}
	os.Rename(path, path+".1")
	os.WriteFile(path, g3, 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := make(chan string, 1000)
	errc := make(chan error, 1)
	go func() {
		errc <- Follow(ctx, FollowOptions{Path: path, Quiet: 50 * time.Millisecond}, &start,
			func(l []byte, st Status, p Position) error { lines <- string(l); return nil })
	}()
	var got []string
	deadline := time.After(10 * time.Second)
	for len(got) < 40+80+5 {
		select {
		case l := <-lines:
			got = append(got, l[len(l)-4:])
		case err := <-errc:
			t.Fatalf("follow: %v", err)
		case <-deadline:
			t.Fatalf("%d lines, want 125: %v", len(got), got)
		}
	}
	var want []string
	for i := 60; i < 100; i++ {
		want = append(want, fmt.Sprintf("a%03d", i))
	}
	for i := 0; i < 80; i++ {
		want = append(want, fmt.Sprintf("b%03d", i))
	}
	for i := 0; i < 5; i++ {
		want = append(want, fmt.Sprintf("c%03d", i))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	select {
	case l := <-lines:
		t.Fatalf("an extra line %q", l)
	case <-time.After(300 * time.Millisecond):
	}
}

// Two rename rotations close together, the second while the follower is
// still draining the first generation: the generation in between (the
// new file of the first rotation, renamed away by the second) is read
// whole — the follower opened it at once when it saw the first rotation.
func TestFollowRotationsCloseTogether(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	write := func(p, tag string, n int) {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			fmt.Fprintf(f, "%s%03d\n", tag, i)
		}
		f.Close()
	}
	write(path, "a", 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := make(chan string, 1000)
	rotated := make(chan struct{}, 10)
	errc := make(chan error, 1)
	go func() {
		errc <- Follow(ctx, FollowOptions{Path: path, Quiet: 500 * time.Millisecond, ForcePoll: true, Poll: 20 * time.Millisecond,
			OnRotate: func(string) { rotated <- struct{}{} }},
			nil, func(l []byte, st Status, p Position) error { lines <- string(l); return nil })
	}()
	collect := func(n int) []string {
		var got []string
		deadline := time.After(10 * time.Second)
		for len(got) < n {
			select {
			case l := <-lines:
				got = append(got, l)
			case err := <-errc:
				t.Fatalf("follow: %v", err)
			case <-deadline:
				t.Fatalf("%d lines, want %d: %v", len(got), n, got)
			}
		}
		return got
	}
	collect(10)
	// first rotation: the follower sees it and drains a* for 500 ms
	os.Rename(path, path+".1")
	write(path, "b", 10)
	select {
	case <-rotated:
	case <-time.After(10 * time.Second):
		t.Fatal("the rotation was not seen")
	}
	// second rotation at once: b* is renamed away before the first drain ends
	os.Rename(path+".1", path+".2")
	os.Rename(path, path+".1")
	write(path, "c", 10)
	got := collect(20)
	if got[0] != "b000" || got[9] != "b009" || got[10] != "c000" || got[19] != "c009" {
		t.Fatalf("got %v, want b000..b009 then c000..c009", got)
	}
}

// firstLine follows path from start and returns the first line handed out.
func firstLine(t *testing.T, path string, start *Position) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := make(chan string, 100)
	errc := make(chan error, 1)
	go func() {
		errc <- Follow(ctx, FollowOptions{Path: path, Quiet: 50 * time.Millisecond}, start,
			func(l []byte, st Status, p Position) error { lines <- string(l); return nil })
	}()
	select {
	case got := <-lines:
		return got
	case err := <-errc:
		t.Fatalf("follow: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no line")
	}
	return ""
}

// A copytruncate of the new file right after a rename rotation, while the
// follower still drains the renamed one: the lines the new file held are
// read from the copy, then the new content — none lost.
func TestFollowCopytruncateAfterRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	write := func(p, tag string, n int) {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			fmt.Fprintf(f, "%s%03d\n", tag, i)
		}
		f.Close()
	}
	write(path, "a", 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := make(chan string, 1000)
	rotated := make(chan struct{}, 10)
	errc := make(chan error, 1)
	go func() {
		errc <- Follow(ctx, FollowOptions{Path: path, Quiet: 500 * time.Millisecond, ForcePoll: true, Poll: 20 * time.Millisecond,
			OnRotate: func(string) { rotated <- struct{}{} }},
			nil, func(l []byte, st Status, p Position) error { lines <- string(l); return nil })
	}()
	collect := func(n int) []string {
		var got []string
		deadline := time.After(10 * time.Second)
		for len(got) < n {
			select {
			case l := <-lines:
				got = append(got, l)
			case err := <-errc:
				t.Fatalf("follow: %v", err)
			case <-deadline:
				t.Fatalf("%d lines, want %d: %v", len(got), n, got)
			}
		}
		return got
	}
	collect(10)
	// first rotation: the follower sees it and drains a* for 500 ms
	os.Rename(path, path+".1")
	write(path, "b", 10)
	select {
	case <-rotated:
	case <-time.After(10 * time.Second):
		t.Fatal("the rotation was not seen")
	}
	// copytruncate at once: b* copied away, the file emptied, c* written
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path+".c1", b, 0o644)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	write(path, "c", 10)
	got := collect(20)
	if got[0] != "b000" || got[9] != "b009" || got[10] != "c000" || got[19] != "c009" {
		t.Fatalf("got %v, want b000..b009 then c000..c009", got)
	}
}
