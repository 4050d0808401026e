package source

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The stress test runs the follower as a child process (this test binary,
// re-executed) that appends every line it reads to an output file and
// commits its position together with the output's length, so that a
// SIGKILL at any moment neither loses nor repeats a line.

func TestMain(m *testing.M) {
	if os.Getenv("BANSCOPE_FOLLOW_CHILD") != "" {
		os.Exit(followChild())
	}
	os.Exit(m.Run())
}

type childState struct {
	Pos *Position `json:"pos"`
	Out int64     `json:"out"`
}

func followChild() int {
	path, stateFile, outFile := os.Getenv("FOLLOW_PATH"), os.Getenv("FOLLOW_STATE"), os.Getenv("FOLLOW_OUT")
	quiet, _ := time.ParseDuration(os.Getenv("FOLLOW_QUIET"))
	var st childState
	if b, err := os.ReadFile(stateFile); err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			fmt.Fprintln(os.Stderr, "state:", err)
			return 2
		}
	}
	out, err := os.OpenFile(outFile, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := out.Truncate(st.Out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	out.Seek(st.Out, io.SeekStart)
	w := bufio.NewWriter(out)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	var last *Position
	n := 0
	commit := func() error {
		if err := w.Flush(); err != nil {
			return err
		}
		off, err := out.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(childState{Pos: last, Out: off})
		tmp := stateFile + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		return os.Rename(tmp, stateFile)
	}
	o := FollowOptions{Path: path, Quiet: quiet, ForcePoll: os.Getenv("FOLLOW_POLL") != "",
		Notice: func(m string) {
			if os.Getenv("FOLLOW_DEBUG") != "" {
				fmt.Fprintf(os.Stderr, "notice (after %d lines): %s\n", n, m)
			}
		},
		Poll: 20 * time.Millisecond, OnIdle: func(Position) error { return commit() }}
	err = Follow(ctx, o, st.Pos, func(line []byte, s Status, pos Position) error {
		if s == Line {
			w.Write(line)
			w.WriteByte('\n')
		}
		p := pos
		last = &p
		if n++; n%200 == 0 {
			return commit()
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "follow:", err)
		return 2
	}
	if err := commit(); err != nil {
		fmt.Fprintln(os.Stderr, "commit:", err)
		return 2
	}
	return 0
}

// writer imitates rsyslog: it appends whole lines (sometimes in two
// writes), and after a rename rotation keeps writing to the old file until
// it "receives HUP" and reopens the path.
type writer struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	reopen  time.Time
	written []string
	rng     *rand.Rand
}

func (w *writer) write(n int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.reopen.IsZero() && time.Now().After(w.reopen) {
		w.f.Close()
		f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		w.f, w.reopen = f, time.Time{}
	}
	line := fmt.Sprintf("Nov 27 10:00:00 web1 sshd[%d]: Failed password for root from 203.0.113.%d port %d ssh2 #%08d", 1000+n%5000, n%250, n, n)
	if w.rng.IntN(20) == 0 {
		// a line in two writes: the follower must hold the first half
		h := len(line) / 2
		if _, err := w.f.WriteString(line[:h]); err != nil {
			return err
		}
		time.Sleep(time.Millisecond)
		if _, err := w.f.WriteString(line[h:] + "\n"); err != nil {
			return err
		}
	} else if _, err := w.f.WriteString(line + "\n"); err != nil {
		return err
	}
	w.written = append(w.written, line)
	return nil
}

func (w *writer) renameRotate(dst string, hupDelay time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := os.Rename(w.path, dst); err != nil {
		return err
	}
	// logrotate's "create": the new file exists before the writer reopens
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	f.Close()
	w.reopen = time.Now().Add(hupDelay)
	return nil
}

func (w *writer) copyTruncate(dst string) error {
	// copy, then (after a moment in which whole lines may be written and
	// lost, logrotate's documented window) truncate
	w.mu.Lock()
	b, err := os.ReadFile(w.path)
	if err == nil {
		err = os.WriteFile(dst, b, 0o644)
	}
	w.mu.Unlock()
	if err != nil {
		return err
	}
	time.Sleep(time.Millisecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	return os.Truncate(w.path, 0)
}

// childErr collects what the follower processes say on stderr.
var childErr syncWriter

type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func startChild(t *testing.T, env []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "BANSCOPE_FOLLOW_CHILD=1")
	cmd.Stderr = &childErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func stress(t *testing.T, rotations int, poll bool) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w := &writer{path: path, f: f, rng: rand.New(rand.NewPCG(1, 2))}
	env := []string{"FOLLOW_PATH=" + path, "FOLLOW_STATE=" + filepath.Join(dir, "state.json"),
		"FOLLOW_OUT=" + filepath.Join(dir, "out"), "FOLLOW_QUIET=150ms"}
	if poll {
		env = append(env, "FOLLOW_POLL=1")
	}
	done := make(chan struct{})
	var werr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ; n++ {
			select {
			case <-done:
				return
			default:
			}
			if err := w.write(n); err != nil {
				werr = err
				return
			}
			if n%8 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	child := startChild(t, env)
	kills, terms := 0, 0
	rng := rand.New(rand.NewPCG(3, 4))
	for r := 0; r < rotations; r++ {
		time.Sleep(time.Duration(250+rng.IntN(100)) * time.Millisecond)
		if r%2 == 0 {
			if err := w.renameRotate(filepath.Join(dir, fmt.Sprintf("auth.log.r%03d", r)), 30*time.Millisecond); err != nil {
				t.Fatal(err)
			}
		} else if err := w.copyTruncate(filepath.Join(dir, fmt.Sprintf("auth.log.c%03d", r))); err != nil {
			t.Fatal(err)
		}
		if r%5 == 2 {
			// kill the follower at a random moment around the rotation
			time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
			sig := syscall.SIGKILL
			if (r/5)%2 == 1 {
				sig = syscall.SIGTERM
				terms++
			} else {
				kills++
			}
			child.Process.Signal(sig)
			child.Wait()
			child = startChild(t, env)
		}
	}
	close(done)
	wg.Wait()
	if werr != nil {
		t.Fatal(werr)
	}
	// let the follower catch up, then stop it
	last := w.written[len(w.written)-1]
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(filepath.Join(dir, "out"))
		if bytes.HasSuffix(b, []byte(last+"\n")) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	child.Process.Signal(syscall.SIGTERM)
	if err := child.Wait(); err != nil {
		t.Fatalf("follower: %v\n%s", err, childErr.String())
	}

	seq := map[string]int{}
	for i, l := range w.written {
		seq[l] = i
	}
	out := readLines(t, filepath.Join(dir, "out"))
	prev := -1
	counted := map[string]bool{}
	for i, l := range out {
		s, ok := seq[l]
		if !ok {
			t.Fatalf("output line %d was never written: %q\n%s", i, l, childErr.String())
		}
		if s <= prev {
			t.Fatalf("output line %d out of order or repeated: %q (after #%d)", i, l, prev)
		}
		prev = s
		counted[l] = true
	}
	inFiles := 0
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "auth.log") {
			continue
		}
		for _, l := range readLines(t, filepath.Join(dir, e.Name())) {
			inFiles++
			if !counted[l] {
				t.Fatalf("line in %s not counted: %q", e.Name(), l)
			}
		}
	}
	t.Logf("%d lines written, %d in the files, %d counted; %d rotations (rename and copytruncate alternating), %d SIGKILL and %d SIGTERM restarts",
		len(w.written), inFiles, len(out), rotations, kills, terms)
}

func TestFollowStress(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	stress(t, 50, false)
}

func TestFollowStressPolling(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	stress(t, 12, true)
}

// A line is handed out once its newline arrives, not before.
func TestFollowPartialAndMissing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := make(chan string, 10)
	notices := make(chan string, 10)
	errc := make(chan error, 1)
	go func() {
		errc <- Follow(ctx, FollowOptions{Path: path, Quiet: 50 * time.Millisecond, Notice: func(m string) { notices <- m }}, nil,
			func(l []byte, st Status, p Position) error { lines <- string(l); return nil })
	}()
	if m := <-notices; !strings.Contains(m, "does not exist") {
		t.Fatalf("notice %q", m)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("first\nsec")
	if got := <-lines; got != "first" {
		t.Fatalf("got %q", got)
	}
	select {
	case l := <-lines:
		t.Fatalf("partial line handed out: %q", l)
	case <-time.After(300 * time.Millisecond):
	}
	f.WriteString("ond\r\n")
	if got := <-lines; got != "second" {
		t.Fatalf("got %q", got)
	}
	cancel()
	<-errc
}

// Permission denied names the file and the group that grants access.
func TestFollowPermissionDenied(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to drop privileges")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("no setpriv")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o755)
	path := filepath.Join(dir, "auth.log")
	if err := os.WriteFile(path, []byte("x\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chown(path, 0, 4) // group adm on Debian
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "BANSCOPE_FOLLOW_CHILD=1", "FOLLOW_PATH="+path,
		"FOLLOW_STATE="+filepath.Join(os.TempDir(), "nostate-"+strconv.Itoa(os.Getpid())), "FOLLOW_OUT="+filepath.Join(os.TempDir(), "banscope-out-"+strconv.Itoa(os.Getpid())), "FOLLOW_QUIET=50ms")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("no error reading a file without permission: %s", out)
	}
	if !strings.Contains(string(out), "open "+path+": permission denied") || !strings.Contains(string(out), "group adm") {
		t.Errorf("unclear error: %s", out)
	}
}

// Deleted and re-created: the old file is finished, the new one read.
func TestFollowDeleteRecreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	os.WriteFile(path, []byte("one\n"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := make(chan string, 10)
	go Follow(ctx, FollowOptions{Path: path, Quiet: 50 * time.Millisecond, ForcePoll: true, Poll: 10 * time.Millisecond}, nil,
		func(l []byte, st Status, p Position) error { lines <- string(l); return nil })
	if got := <-lines; got != "one" {
		t.Fatalf("got %q", got)
	}
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	os.Remove(path)
	f.WriteString("two\n") // the writer still holds the deleted file
	f.Close()
	time.Sleep(30 * time.Millisecond)
	os.WriteFile(path, []byte("three\n"), 0o644)
	for _, want := range []string{"two", "three"} {
		select {
		case got := <-lines:
			if got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %q", want)
		}
	}
}

// Restarted after a copytruncate whose copy is shorter than the saved
// position (the follower had read lines of the loss window): nothing is
// repeated and the new generation is read from its start.
func TestResumeAfterShortCopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.log")
	var old bytes.Buffer
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&old, "line a%03d of the old generation\n", i)
	}
	os.WriteFile(path, old.Bytes(), 0o644)
	f, _ := os.Open(path)
	start, err := PositionOf(f, int64(old.Len()))
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	// the copy was made before the last lines were written (it holds more
	// than the 1 KiB that identifies the generation, less than we read),
	// then the truncation, then new lines
	os.WriteFile(filepath.Join(dir, "auth.log.1"), old.Bytes()[:old.Len()-200], 0o644)
	os.WriteFile(path, []byte("b1\n"), 0o644)
	if got := firstLine(t, path, &start); got != "b1" {
		t.Fatalf("got %q, want b1", got)
	}
}
