package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/rotatetest"
)

func appendLines(t *testing.T, path, tag string, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i < n; i++ {
		fmt.Fprintf(f, "Nov 27 10:00:%02d web1 sshd[%d]: %s%03d of its generation, long enough to make compression worth it\n", i%60, 1000+i, tag, i)
	}
}

// A follower that falls behind by two rotations — its handler blocked
// while the logs rotate twice, as a follower stopped by SIGSTOP, starved
// of CPU or stuck on a slow disk is — reads every generation once and in
// order: the rest of the one it was reading, the one in between (renamed,
// copied, compressed meanwhile) and the live one. Each pair of rotation
// kinds, with every compression, immediate and delayed.
func TestFollowLagsTwoRotations(t *testing.T) {
	kinds := map[string][2]bool{
		"rename+rename":             {false, false},
		"rename+copytruncate":       {false, true},
		"copytruncate+rename":       {true, false},
		"copytruncate+copytruncate": {true, true},
	}
	for name, seq := range kinds {
		for _, comp := range []string{"", ".gz", ".bz2", ".xz", ".zst"} {
			for _, delay := range []bool{false, true} {
				if comp == "" && delay {
					continue
				}
				label := name + "/" + strings.TrimPrefix(comp+"-none", ".")
				if delay {
					label += "-delay"
				}
				t.Run(label, func(t *testing.T) {
					t.Parallel()
					lagTwoRotations(t, seq, comp, delay)
				})
			}
		}
	}
}

func lagTwoRotations(t *testing.T, seq [2]bool, comp string, delay bool) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	appendLines(t, path, "a", 30)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gate := make(chan struct{})
	blocked := make(chan struct{})
	lines := make(chan string, 1000)
	errc := make(chan error, 1)
	go func() {
		errc <- Follow(ctx, FollowOptions{Path: path, Quiet: 100 * time.Millisecond, ForcePoll: true, Poll: 10 * time.Millisecond},
			nil, func(l []byte, st Status, p Position) error {
				if st != Line {
					return fmt.Errorf("a %v line at %d", st, p.Offset)
				}
				s := string(l)
				if i := strings.Index(s, ": "); i >= 0 {
					s = s[i+2:]
				}
				s = s[:4]
				if s == "a010" {
					close(blocked)
					<-gate
				}
				lines <- s
				return nil
			})
	}()
	select {
	case <-blocked:
	case err := <-errc:
		t.Fatalf("follow: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the follower did not start")
	}
	// While the follower is stuck at a010: the rest of a*, two rotations
	// with b* between them, then c* in the live file.
	appendLines(t, path, "a", 0)
	rotate := func(copytruncate bool) {
		r := &rotatetest.Rotator{Path: path, Options: rotatetest.Options{CopyTruncate: copytruncate, Compress: comp, Delay: delay}}
		if err := r.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	rotate(seq[0])
	appendLines(t, path, "b", 30)
	rotate(seq[1])
	appendLines(t, path, "c", 30)
	close(gate)
	var got []string
	deadline := time.After(20 * time.Second)
	for len(got) < 90 {
		select {
		case l := <-lines:
			got = append(got, l)
		case err := <-errc:
			t.Fatalf("follow: %v (after %v)", err, got)
		case <-deadline:
			t.Fatalf("%d lines of 90: %v", len(got), got)
		}
	}
	// and nothing more comes
	select {
	case l := <-lines:
		t.Fatalf("a line more: %s (after %v)", l, got)
	case <-time.After(300 * time.Millisecond):
	}
	if want := tags(30, "a", "b", "c"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got\n%v\nwant\n%v", got, want)
	}
}

// A follower stopped between opening the live file and reading it first
// (SIGSTOP, a starved CPU), while copytruncate runs twice: the generation
// it opened is read from its copy, the one after from its copy, then the
// file — not the file's new content in place of the one opened.
func TestFollowStoppedBeforeFirstRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	appendLines(t, path, "b", 20)
	fw, got := openTagFollower(t, path)
	ctx := context.Background()
	r := &rotatetest.Rotator{Path: path, Options: rotatetest.Options{CopyTruncate: true}}
	if err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, "c", 20)
	if err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, "d", 20)
	if err := fw.verifyFresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := fw.drain(); err != nil {
		t.Fatal(err)
	}
	if want := tags(20, "b", "c", "d"); strings.Join(*got, " ") != strings.Join(want, " ") {
		t.Fatalf("got\n%v\nwant\n%v", *got, want)
	}
}

// The same for a file taken up empty after a copytruncate: what was
// written to it and copied away by the next copytruncate before the
// follower read it is read from that copy, then the file.
func TestFollowStoppedBeforeFirstReadEmpty(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	appendLines(t, path, "a", 20)
	fw, got := openTagFollower(t, path)
	ctx := context.Background()
	if err := fw.drain(); err != nil {
		t.Fatal(err)
	}
	r := &rotatetest.Rotator{Path: path, Options: rotatetest.Options{CopyTruncate: true}}
	if err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := fw.check(ctx); err != nil { // the truncation: taken up empty
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // file times have a coarse clock
	// an empty poll first: nothing is read, nothing rotated yet
	if err := fw.verifyFresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := fw.drain(); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, "c", 20)
	if err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, "d", 20)
	if err := fw.verifyFresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := fw.drain(); err != nil {
		t.Fatal(err)
	}
	if want := tags(20, "a", "c", "d"); strings.Join(*got, " ") != strings.Join(want, " ") {
		t.Fatalf("got\n%v\nwant\n%v", *got, want)
	}
}

// openTagFollower opens a follower of path driven by hand (closed at the
// test's end), collecting the tags (a000, b013, ...) of the lines
// appendLines wrote.
func openTagFollower(t *testing.T, path string) (*follower, *[]string) {
	t.Helper()
	got := new([]string)
	fw := &follower{o: FollowOptions{Path: path, Quiet: 50 * time.Millisecond}, said: map[string]bool{}, lines: NewLines(nil, 0),
		h: func(l []byte, st Status, _ Position) error {
			s := string(l)
			if i := strings.Index(s, ": "); i >= 0 {
				s = s[i+2 : i+6]
			}
			*got = append(*got, s)
			return nil
		}}
	if err := fw.openPath(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if fw.f != nil {
			fw.f.Close()
		}
	})
	return fw, got
}

// tags are the tags of n lines of each of groups, in order.
func tags(n int, groups ...string) []string {
	var out []string
	for _, g := range groups {
		for i := 0; i < n; i++ {
			out = append(out, fmt.Sprintf("%s%03d", g, i))
		}
	}
	return out
}
