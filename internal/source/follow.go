package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// headLen is how many bytes of a file generation identify it, besides its
// device and inode: enough to tell a truncated and refilled file (same
// inode) and a copy made by copytruncate (another inode) apart.
const headLen = 1024

// FileID identifies one generation of a log file.
type FileID struct {
	Dev     uint64 `json:"dev"`
	Ino     uint64 `json:"ino"`
	Head    uint64 `json:"head"`     // FNV-64a of the first HeadLen bytes
	HeadLen int    `json:"head_len"` // how many bytes Head covers
}

// Position is how far a generation has been read: Offset counts the bytes
// of the complete lines handed out.
type Position struct {
	FileID
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
}

// Handler receives each line (Line or TooLong) with the position just after
// it. Its slice is valid until it returns. An error stops Follow.
type Handler func(line []byte, st Status, pos Position) error

// FollowOptions configure Follow.
type FollowOptions struct {
	Path    string
	MaxLine int
	// Poll is the polling interval when inotify is unavailable or
	// ForcePoll is set (default 250 ms). With inotify, a safety poll runs
	// every 2 s.
	Poll      time.Duration
	ForcePoll bool
	// Quiet is how long a rotated (renamed) file must have had no new data
	// before the follower switches to the new file (default 1 s): the
	// writer keeps appending to the old file until it reopens the path.
	Quiet time.Duration
	// OnIdle is called whenever the follower has caught up, with the last
	// position (a good moment to save it).
	OnIdle func(pos Position) error
	// Notice receives messages a user should see once (file missing,
	// rotation, a lost position).
	Notice func(msg string)
	// OnRotate is called when the file was rotated ("rename", for a new
	// file at the path) or truncated ("truncate").
	OnRotate func(kind string)
}

type follower struct {
	o     FollowOptions
	h     Handler
	f     *os.File
	id    FileID
	pos   Position
	lines *Lines
	base  int64 // file offset at which lines started reading
	// firstHead holds the start of the bytes of the first read of a
	// generation read from offset 0: the identity of a generation that
	// was empty when opened is widened from them, not by reading the file
	// again (which may have been truncated and refilled meanwhile).
	firstHead []byte
	// fresh is set while the generation opened at the path has not been
	// read yet (verifyFresh).
	fresh   bool
	freshT0 time.Time // the modification time of a generation opened empty after a truncation
	// truncating is set while a truncated file is taken up again: only
	// then is an empty generation watched for copies (freshT0); after a
	// rename the old file, still written to, is newer and no copy.
	truncating bool
	freshDone  FileID // the generation finished at that truncation
	watcher    *fsnotify.Watcher
	wake       chan struct{}
	said       map[string]bool
}

// Follow reads path from start (or its beginning)
// and keeps following it across rename rotation, copytruncate, deletion and
// re-creation, until ctx is done. Lines are never lost between
// generations: a renamed file is drained until quiet, the part of a
// truncated file after the position is read from the copy, and a position
// whose generation was rotated away is found again by identity.
func Follow(ctx context.Context, o FollowOptions, start *Position, h Handler) error {
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.Quiet <= 0 {
		o.Quiet = time.Second
	}
	fw := &follower{o: o, h: h, wake: make(chan struct{}, 1), said: map[string]bool{}}
	fw.lines = NewLines(nil, o.MaxLine)
	if !o.ForcePoll {
		if w, err := fsnotify.NewWatcher(); err == nil {
			if err := w.Add(filepath.Dir(o.Path)); err == nil {
				fw.watcher = w
				defer w.Close()
				go fw.watch(ctx)
			} else {
				w.Close()
				fw.notice("inotify", fmt.Sprintf("cannot watch %s (%v): polling every %s", filepath.Dir(o.Path), err, o.Poll))
			}
		}
	}
	defer func() {
		if fw.f != nil {
			fw.f.Close()
		}
	}()
	if err := fw.begin(ctx, start); err != nil {
		return err
	}
	for {
		if err := fw.verifyFresh(ctx); err != nil {
			return err
		}
		if err := fw.drain(); err != nil {
			return err
		}
		if o.OnIdle != nil {
			if err := o.OnIdle(fw.pos); err != nil {
				return err
			}
		}
		if err := fw.wait(ctx); err != nil {
			return err
		}
		if err := fw.check(ctx); err != nil {
			return err
		}
	}
}

func (fw *follower) notice(key, msg string) {
	if fw.said[key] || fw.o.Notice == nil {
		return
	}
	fw.said[key] = true
	fw.o.Notice(msg)
}

func (fw *follower) watch(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-fw.watcher.Events:
			if !ok {
				return
			}
			select {
			case fw.wake <- struct{}{}:
			default:
			}
		case _, ok := <-fw.watcher.Errors:
			if !ok {
				return
			}
		}
	}
}

// wait blocks until something may have changed.
func (fw *follower) wait(ctx context.Context) error {
	d := fw.o.Poll
	if fw.watcher != nil {
		d = 2 * time.Second
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-fw.wake:
	case <-t.C:
	}
	return nil
}

// openErr explains an open failure, naming the group that grants access.
func openErr(path string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		hint := ""
		if st, e := os.Stat(path); e == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				g := strconv.FormatUint(uint64(sys.Gid), 10)
				if gr, e := user.LookupGroupId(g); e == nil {
					g = gr.Name
				}
				hint = fmt.Sprintf(": banscope needs read access; the file belongs to group %s (add banscope's user to it, e.g. usermod -aG %s banscope)", g, g)
			}
		}
		return fmt.Errorf("open %s: permission denied%s", path, hint)
	}
	return fmt.Errorf("open %s: %w", path, err)
}

// identify computes the identity of an open file.
func identify(f *os.File) (FileID, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return FileID{}, 0, err
	}
	var id FileID
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		id.Dev, id.Ino = uint64(sys.Dev), sys.Ino
	}
	n := st.Size()
	if n > headLen {
		n = headLen
	}
	buf := make([]byte, n)
	k, _ := f.ReadAt(buf, 0)
	h := fnv.New64a()
	h.Write(buf[:k])
	id.Head, id.HeadLen = h.Sum64(), k
	return id, st.Size(), nil
}

// sameGeneration reports whether f holds the generation id describes.
func sameGeneration(f io.ReaderAt, id FileID) bool {
	buf := make([]byte, id.HeadLen)
	k, _ := f.ReadAt(buf, 0)
	if k != id.HeadLen {
		return false
	}
	h := fnv.New64a()
	h.Write(buf)
	return h.Sum64() == id.Head
}

// openPath opens the live path, waiting while it does not exist.
func (fw *follower) openPath(ctx context.Context) error {
	for {
		f, err := os.Open(fw.o.Path)
		if err == nil {
			if fw.said["missing"] {
				fw.o.Notice(fmt.Sprintf("%s appeared", fw.o.Path))
				delete(fw.said, "missing")
			}
			delete(fw.said, "emfile")
			fw.f = f
			id, _, err := identify(f)
			if err != nil {
				return err
			}
			fw.id = id
			fw.setReader(0)
			return nil
		}
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			// out of descriptors for a moment (a flood of connections, a
			// neighbour leaking them): wait and try again, never give up
			// the log
			fw.notice("emfile", fmt.Sprintf("cannot open %s: %v: trying again", fw.o.Path, err))
			if err := fw.wait(ctx); err != nil {
				return err
			}
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return openErr(fw.o.Path, err)
		}
		fw.notice("missing", fmt.Sprintf("%s does not exist: waiting for it", fw.o.Path))
		if err := fw.wait(ctx); err != nil {
			return err
		}
	}
}

// verifyFresh checks, before the first read of a generation opened at
// the live path, that it still holds what it held when opened: a follower
// stopped (SIGSTOP, a starved CPU) between the open and the first read
// may find it truncated and refilled by copytruncate, and would read the
// next generation as this one and lose this one. Then this one is read
// from its copy (and any generation after it), and the file from its
// start. A generation opened empty has no content to compare: until its
// first bytes are read, a rotated file modified after it was (truncated or
// created) is a copy of what was written to it meanwhile (copytruncate
// while the follower was stopped), and is read first.
func (fw *follower) verifyFresh(ctx context.Context) error {
	if !fw.fresh || fw.f == nil {
		return nil
	}
	if fw.id.HeadLen > 0 || fw.freshT0.IsZero() {
		fw.fresh = false
		if fw.id.HeadLen == 0 || sameGeneration(fw.f, fw.id) {
			return nil
		}
		return fw.truncated(ctx)
	}
	if len(fw.firstHead) > 0 || fw.lines.Offset > 0 || len(fw.lines.Partial()) > 0 {
		fw.fresh = false // read from already
		return nil
	}
	sibs, err := siblings(fw.o.Path)
	if err != nil {
		return nil
	}
	var added []string
	for _, sib := range fw.rotatedSet(sibs) {
		if sib.info.ModTime().After(fw.freshT0) {
			added = append(added, sib.path)
		}
	}
	if len(added) == 0 {
		return nil
	}
	cur := fw.f
	curInfo, err := cur.Stat()
	if err != nil {
		return err
	}
	fw.f = nil
	for _, name := range OrderRotated(added) {
		info, err := os.Stat(name)
		if err != nil || os.SameFile(info, curInfo) || copyOf(name, cur, curInfo) || (fw.freshDone.HeadLen > 0 && matchesHead(name, fw.freshDone)) {
			continue
		}
		if c := compressionOf(name); c != nil {
			if _, err := os.Stat(strings.TrimSuffix(name, c.suffix)); err == nil {
				continue // being compressed: its source is still there (and read, if new)
			}
		}
		if _, _, err := fw.readWhole(ctx, name, fmt.Sprintf("%s was rotated before its new content was read: reading %s first", fw.o.Path, name)); err != nil {
			return err
		}
	}
	return fw.takeUp(cur, fw.freshDone)
}

// rotatedSet returns the members of the path's rotated set among sibs
// (auth.log.1, auth.log.2.gz, auth.log-20261128: not auth.log.bak).
func (fw *follower) rotatedSet(sibs []sibling) []sibling {
	base := rotationOf(fw.o.Path).base
	var out []sibling
	for _, sib := range sibs {
		if r := rotationOf(sib.path); r.base == base && r.class != 2 {
			out = append(out, sib)
		}
	}
	return out
}

// readWhole reads a rotated file whole, saying msg once. It reports
// whether it read one (false for an empty or unreadable file) and the
// file's identity; fw.f is nil meanwhile.
func (fw *follower) readWhole(ctx context.Context, name, msg string) (FileID, bool, error) {
	id, err := contentID(name)
	if err != nil || id.HeadLen == 0 {
		return id, false, nil
	}
	rf, err := Open(name)
	if err != nil {
		return id, false, nil
	}
	defer rf.Close()
	fw.notice("between:"+name, msg)
	fw.f = nil
	fw.pos = Position{FileID: id, Path: fw.o.Path}
	fw.base = 0
	fw.lines.Reset(rf)
	return id, true, fw.drainQuiet(ctx, compressionOf(name) != nil)
}

// takeUp reads cur, a file just truncated, from its start: watched, while
// it is empty, for copies made of it before its first read (verifyFresh),
// done being the generation finished at the truncation.
func (fw *follower) takeUp(cur *os.File, done FileID) error {
	fw.f = cur
	id, _, err := identify(cur)
	if err != nil {
		return err
	}
	fw.id = id
	fw.truncating, fw.freshDone = true, done
	fw.setReader(0)
	fw.truncating = false
	return nil
}

func (fw *follower) setReader(off int64) {
	fw.fresh = off == 0
	fw.freshT0 = time.Time{}
	if fw.fresh && fw.id.HeadLen == 0 && fw.f != nil && fw.truncating {
		// Opened empty: a rotated file changed after the file itself was
		// (its truncation, its creation) holds what was written to it
		// after. Renames keep a file's modification time, and gzip,
		// bzip2, xz and zstd give their output the original's.
		if st, err := fw.f.Stat(); err == nil {
			fw.freshT0 = st.ModTime()
		}
	}
	fw.base = off
	var r io.Reader = io.NewSectionReader(fw.f, off, 1<<62)
	fw.firstHead = fw.firstHead[:0]
	if off == 0 {
		r = &firstRead{r: r, fw: fw}
	}
	fw.lines.Reset(r)
	fw.pos = Position{FileID: fw.id, Path: fw.o.Path, Offset: off}
}

// firstRead records the start of the first non-empty read.
type firstRead struct {
	r    io.Reader
	fw   *follower
	done bool
}

func (f *firstRead) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 && !f.done {
		f.done = true
		f.fw.firstHead = append(f.fw.firstHead[:0], p[:min(n, headLen)]...)
	}
	return n, err
}

// begin positions the follower.
func (fw *follower) begin(ctx context.Context, start *Position) error {
	if start == nil {
		if err := fw.openPath(ctx); err != nil {
			return err
		}
		return nil
	}
	// Is the live file still the generation we were reading?
	if f, err := os.Open(fw.o.Path); err == nil {
		st, _ := f.Stat()
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && uint64(sys.Dev) == start.Dev && sys.Ino == start.Ino &&
			st.Size() >= start.Offset && sameGeneration(f, start.FileID) {
			fw.f = f
			fw.id, _, _ = identify(f)
			fw.setReader(start.Offset)
			return nil
		}
		if st != nil && st.Mode().IsRegular() && st.Size() >= start.Offset && start.HeadLen > 0 && sameGeneration(f, start.FileID) && !fw.inodeElsewhere(start.FileID) {
			// The same content under another inode or device (a restored
			// or copied log, a renumbered device), and our generation is
			// not among the rotated files: it is the one we were reading.
			fw.notice("copied:"+fw.o.Path, fmt.Sprintf("%s holds the generation last read under another inode: continuing at offset %d", fw.o.Path, start.Offset))
			fw.f = f
			fw.id, _, _ = identify(f)
			fw.setReader(start.Offset)
			return nil
		}
		f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return openErr(fw.o.Path, err)
	}
	// Rotated (or truncated) while we were away: finish that generation
	// from wherever it is now, then read the live file from its start.
	// The live file is opened first and kept: while the old generation
	// drains, it may itself be copied and truncated (copytruncate soon
	// after a rename), and its first read then finds that out
	// (verifyFresh) and reads the copy.
	live, lerr := os.Open(fw.o.Path)
	var liveID FileID
	if lerr == nil {
		if liveID, _, lerr = identify(live); lerr != nil {
			live.Close()
		}
	}
	if lerr != nil {
		live = nil
	}
	if err := fw.finishElsewhere(ctx, *start, live); err != nil {
		if live != nil {
			live.Close()
		}
		return err
	}
	if live == nil {
		return fw.openPath(ctx)
	}
	// renamed away meanwhile, it is read all the same: check's rename
	// path then drains it and moves to the path's new file
	fw.f, fw.id = live, liveID
	fw.setReader(0)
	return nil
}

// inodeElsewhere reports whether a rotated sibling of the path is the file
// of id (a rename rotation took it there).
func (fw *follower) inodeElsewhere(id FileID) bool {
	sibs, _ := siblings(fw.o.Path)
	for _, sib := range sibs {
		if sys, ok := sib.info.Sys().(*syscall.Stat_t); ok && uint64(sys.Dev) == id.Dev && sys.Ino == id.Ino {
			return true
		}
	}
	return false
}

// locate finds where the generation id is now among sibs: a renamed file
// (same inode) or a copytruncate copy (same head), possibly compressed.
// The generation's content decides: its inode may since have been
// truncated and refilled (copytruncate) while a copy holds the lines. A
// sibling with both the inode and the head wins, then the head alone, then
// the inode alone (an identity without a head).
func locate(sibs []sibling, id FileID) string {
	var byHead, byIno string
	for _, sib := range sibs {
		sys, ok := sib.info.Sys().(*syscall.Stat_t)
		inoMatch := ok && uint64(sys.Dev) == id.Dev && sys.Ino == id.Ino
		if id.HeadLen > 0 && matchesHead(sib.path, id) {
			if inoMatch {
				return sib.path
			}
			if byHead == "" {
				byHead = sib.path
			}
		}
		if inoMatch && byIno == "" {
			byIno = sib.path
		}
	}
	if byHead != "" {
		return byHead
	}
	return byIno
}

// finishElsewhere reads the rest of a generation that is no longer at the
// live path, then the generations rotated after it (readBetween).
func (fw *follower) finishElsewhere(ctx context.Context, p Position, live *os.File) error {
	sibs, err := siblings(fw.o.Path)
	if err != nil {
		return err
	}
	found := locate(sibs, p.FileID)
	if found == "" {
		fw.notice("lost:"+strconv.FormatUint(p.Ino, 10), fmt.Sprintf("the file last read (inode %d, offset %d) is gone: continuing with %s from its start", p.Ino, p.Offset, fw.o.Path))
		return nil
	}
	fw.notice("resume:"+found, fmt.Sprintf("%s was rotated to %s: finishing it from offset %d", fw.o.Path, found, p.Offset))
	rf, err := Open(found)
	if err != nil {
		return err
	}
	defer rf.Close()
	if _, err := io.CopyN(io.Discard, rf, p.Offset); err != nil {
		if !errors.Is(err, io.EOF) {
			return fmt.Errorf("read %s: %w", found, err)
		}
		// A copytruncate copy shorter than what we had read: the rest
		// of that generation was written in logrotate's loss window
		// and read already.
	} else {
		// A renamed file may still be written to: drain it until quiet
		// (a compressed one is final).
		fw.f = nil
		fw.pos = p
		fw.base = p.Offset
		fw.lines.Reset(rf)
		if err := fw.drainQuiet(ctx, compressionOf(found) != nil); err != nil {
			return err
		}
	}
	_, err = fw.readBetween(ctx, found, p.FileID, live)
	return err
}

// readBetween reads, whole and oldest first, the rotated files that came
// after the generation at found (finished, identity done) and before the
// live file next (nil when there is none): rotations while banscope was
// stopped, or while the follower lagged behind (a burst, a slow disk, a
// starved CPU), leave generations between the one it was reading and the
// one at the path — auth.log.1, a whole day, between the generation now
// at auth.log.2.gz and the live file. Copies of the finished generation
// (its head), the live file itself (its inode: a rename rotation may have
// moved the file being read) and a copy of it still being made are
// skipped. It returns the files it read.
func (fw *follower) readBetween(ctx context.Context, found string, done FileID, next *os.File) ([]string, error) {
	sibs, err := siblings(fw.o.Path)
	if err != nil {
		return nil, err
	}
	rotated := fw.rotatedSet(sibs)
	set := make([]string, 0, len(rotated))
	infos := map[string]fs.FileInfo{}
	for _, sib := range rotated {
		set = append(set, sib.path)
		infos[sib.path] = sib.info
	}
	set = OrderRotated(set)
	at := -1
	for i, name := range set {
		if name == found {
			at = i
		}
	}
	if at < 0 {
		return nil, nil
	}
	var nextInfo fs.FileInfo
	if next != nil {
		nextInfo, _ = next.Stat()
	}
	var read []string
	for _, name := range set[at+1:] {
		if matchesHead(name, done) {
			continue // the finished generation again (compressed or copied)
		}
		if nextInfo != nil && (os.SameFile(infos[name], nextInfo) || copyOf(name, next, nextInfo)) {
			continue
		}
		id, ok, err := fw.readWhole(ctx, name, fmt.Sprintf("%s was rotated more than once since the generation last read: reading %s, which came between", fw.o.Path, name))
		if err != nil {
			return read, err
		}
		if !ok {
			continue
		}
		read = append(read, name)
		done = id
	}
	return read, nil
}

// copyOf reports whether the file at path (decompressed) holds the
// generation live holds: its first bytes are live's, all of it when it is
// shorter than a head. A copytruncate copy still being made, and the
// generation the follower holds open renamed and compressed since, are
// such copies.
func copyOf(path string, live *os.File, liveInfo fs.FileInfo) bool {
	rf, err := Open(path)
	if err != nil {
		return false
	}
	defer rf.Close()
	a := make([]byte, headLen)
	k, _ := io.ReadFull(rf, a)
	if k == 0 || int64(k) > liveInfo.Size() {
		return false
	}
	b := make([]byte, k)
	if n, _ := live.ReadAt(b, 0); n != k {
		return false
	}
	return bytes.Equal(a[:k], b)
}

// contentID is the identity of a rotated file by its content: its inode,
// and the head of its (decompressed) text, as the position of a
// generation read while it was live records it.
func contentID(path string) (FileID, error) {
	var id FileID
	st, err := os.Stat(path)
	if err != nil {
		return id, err
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		id.Dev, id.Ino = uint64(sys.Dev), sys.Ino
	}
	rf, err := Open(path)
	if err != nil {
		return id, err
	}
	defer rf.Close()
	buf := make([]byte, headLen)
	k, _ := io.ReadFull(rf, buf)
	h := fnv.New64a()
	h.Write(buf[:k])
	id.Head, id.HeadLen = h.Sum64(), k
	return id, nil
}

type sibling struct {
	path string
	info fs.FileInfo
}

// siblings lists the regular files beside path whose names start like it
// (auth.log.1, auth.log-20261128.gz, ...): where its generations go.
func siblings(path string) ([]sibling, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	var out []sibling
	for _, e := range ents {
		if e.Name() == base || !strings.HasPrefix(e.Name(), stem) {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		out = append(out, sibling{filepath.Join(dir, e.Name()), info})
	}
	return out, nil
}

func matchesHead(path string, id FileID) bool {
	rf, err := Open(path)
	if err != nil {
		return false
	}
	defer rf.Close()
	buf := make([]byte, id.HeadLen)
	if _, err := io.ReadFull(rf, buf); err != nil {
		return false
	}
	h := fnv.New64a()
	h.Write(buf)
	return h.Sum64() == id.Head
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

// drain hands out every complete line available now.
func (fw *follower) drain() error {
	for {
		line, st := fw.lines.Next()
		if st == EOF {
			return fw.lines.Err()
		}
		fw.pos.Offset = fw.base + fw.lines.Offset
		if fw.pos.HeadLen == 0 && len(fw.firstHead) > 0 && fw.f != nil {
			// A generation opened empty: its identity is the start of what
			// was read from it.
			h := fnv.New64a()
			h.Write(fw.firstHead)
			fw.id.Head, fw.id.HeadLen = h.Sum64(), len(fw.firstHead)
			fw.pos.FileID = fw.id
		} else if fw.pos.HeadLen > 0 && fw.pos.HeadLen < headLen && fw.f != nil && fw.pos.Offset > int64(fw.pos.HeadLen) &&
			sameGeneration(fw.f, fw.pos.FileID) {
			// The generation grew: widen its identity (unless the file was
			// truncated and refilled meanwhile: check will see that).
			if id, _, err := identify(fw.f); err == nil && id.Ino == fw.id.Ino {
				fw.id = id
				fw.pos.FileID = id
			}
		}
		if err := fw.h(line, st, fw.pos); err != nil {
			return err
		}
	}
}

// flushPartial hands out a held unterminated line as a line: its file ended
// (rotated away or truncated), so it is as complete as it will be.
func (fw *follower) flushPartial() error {
	p := fw.lines.Partial()
	if len(p) == 0 {
		return nil
	}
	line := append([]byte(nil), p...)
	fw.pos.Offset += int64(len(p))
	for len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	st := Line
	if len(line) > fw.lines.Max {
		line, st = nil, TooLong
	}
	return fw.h(line, st, fw.pos)
}

// drainQuiet drains the current reader until it has had no new data for
// Quiet, then flushes its partial line.
func (fw *follower) drainQuiet(ctx context.Context, sticky bool) error {
	last := fw.pos.Offset + int64(len(fw.lines.Partial()))
	quietSince := time.Now()
	for {
		if err := fw.drain(); err != nil {
			return err
		}
		if n := fw.pos.Offset + int64(len(fw.lines.Partial())); n != last {
			last, quietSince = n, time.Now()
		}
		if time.Since(quietSince) >= fw.o.Quiet {
			return fw.flushPartial()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(fw.o.Quiet / 10):
		}
		if sticky {
			// a finished replay reader: EOF is sticky; nothing more comes
			return fw.flushPartial()
		}
		fw.lines.clearEOF()
	}
}

// check looks for rotation and truncation after the reader reached EOF.
func (fw *follower) check(ctx context.Context) error {
	fw.lines.clearEOF()
	fst, err := fw.f.Stat()
	if err != nil {
		return err
	}
	held := fw.pos.Offset + int64(len(fw.lines.Partial()))
	if fst.Size() < held || (fw.pos.HeadLen > 0 && !sameGeneration(fw.f, fw.pos.FileID)) {
		return fw.truncated(ctx)
	}
	st, err := os.Stat(fw.o.Path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// Renamed or deleted, nothing new yet: keep reading the old
			// file, which the writer may still be appending to.
			return nil
		}
		return openErr(fw.o.Path, err)
	}
	if os.SameFile(st, fst) {
		return nil
	}
	// A new file is at the path. Open it at once and keep it: while the
	// old one drains, the generation at the path may itself be rotated
	// away (a lagging follower, rotations close together), and opening the
	// path afterwards would skip it. Then finish the old one and switch.
	fw.notice("rotated:"+strconv.FormatUint(fw.id.Ino, 10), fmt.Sprintf("%s was rotated", fw.o.Path))
	next, nerr := os.Open(fw.o.Path)
	var nextID FileID
	if nerr == nil {
		if nextID, _, nerr = identify(next); nerr != nil {
			next.Close()
		}
	}
	if fw.o.OnRotate != nil {
		fw.o.OnRotate("rename")
	}
	old := fw.pos.FileID
	if err := fw.drainQuiet(ctx, false); err != nil {
		if nerr == nil {
			next.Close()
		}
		return err
	}
	oldFile := fw.f
	fw.f = nil
	// Rotated more than once since the follower last looked (it lagged):
	// the generations between the old one and the new file are among the
	// rotated files, after wherever the old one went.
	var between []string
	if sibs, err := siblings(fw.o.Path); err == nil {
		if oldInfo, err := oldFile.Stat(); err == nil {
			old.Dev, old.Ino = devIno(oldInfo)
		}
		if found := locate(sibs, old); found != "" {
			var err error
			if between, err = fw.readBetween(ctx, found, old, next); err != nil {
				oldFile.Close()
				if nerr == nil {
					next.Close()
				}
				return err
			}
		}
	}
	oldFile.Close()
	if nerr != nil {
		return fw.openPath(ctx) // gone again already: whatever is there now
	}
	if nextID.HeadLen > 0 && !sameGeneration(next, nextID) {
		// Truncated (copytruncate) while the old one drained: what it
		// held when we opened it is in the copy — read already if it was
		// among the generations between. Read the copy, then the file
		// from its start.
		fw.notice("truncated:"+strconv.FormatInt(time.Now().UnixNano(), 10), fmt.Sprintf("%s was truncated (copytruncate) right after the rotation", fw.o.Path))
		if fw.o.OnRotate != nil {
			fw.o.OnRotate("truncate")
		}
		readAlready := false
		for _, name := range between {
			readAlready = readAlready || matchesHead(name, nextID)
		}
		if !readAlready {
			p := Position{FileID: nextID, Path: fw.o.Path}
			fw.pos = p
			if _, err := fw.finishCopy(ctx, p, nil, next); err != nil {
				next.Close()
				return err
			}
		}
		if err := fw.takeUp(next, nextID); err != nil {
			next.Close()
			return err
		}
		return nil
	}
	fw.f, fw.id = next, nextID
	fw.setReader(0)
	return nil
}

// devIno returns a file's device and inode.
func devIno(info fs.FileInfo) (uint64, uint64) {
	if sys, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Dev), sys.Ino
	}
	return 0, 0
}

// truncated handles copytruncate: the lines written after our position and
// before the truncation are in the copy; read them there, then start over.
func (fw *follower) truncated(ctx context.Context) error {
	p := fw.pos
	held := append([]byte(nil), fw.lines.Partial()...)
	fw.notice("truncated:"+strconv.FormatInt(time.Now().UnixNano(), 10), fmt.Sprintf("%s was truncated (copytruncate)", fw.o.Path))
	if fw.o.OnRotate != nil {
		fw.o.OnRotate("truncate")
	}
	cur := fw.f
	fw.f = nil // the copy is the old generation; cur already holds the new one
	if _, err := fw.finishCopy(ctx, p, held, cur); err != nil {
		return err
	}
	return fw.takeUp(cur, p.FileID)
}

// finishCopy reads the rest of generation p from its copytruncate copy
// (possibly compressed), then the generations rotated after it and before
// the live file next (readBetween: a follower that lagged behind two
// copytruncates finds the middle generation's copy there). It returns the
// files read besides the copy.
func (fw *follower) finishCopy(ctx context.Context, p Position, held []byte, next *os.File) ([]string, error) {
	sibs, _ := siblings(fw.o.Path)
	found := ""
	for _, sib := range sibs {
		if matchesHead(sib.path, p.FileID) {
			found = sib.path
			break
		}
	}
	readRest := false
	if found != "" {
		rf, err := Open(found)
		if err == nil {
			if _, err = io.CopyN(io.Discard, rf, p.Offset); err == nil {
				readRest = true
				fw.lines.Reset(rf)
				fw.base = p.Offset
				if err = fw.drain(); err == nil {
					err = fw.flushPartial()
				}
			}
			rf.Close()
			if readRest && err != nil {
				return nil, err
			}
		}
	}
	if !readRest && len(held) > 0 {
		// No copy holds more than we read. A held unterminated line lost
		// its end to the truncation (logrotate's copytruncate window): it
		// is a fragment, counted and skipped, never a line.
		p.Offset += int64(len(held))
		if err := fw.h(nil, Cut, p); err != nil {
			return nil, err
		}
	}
	if found == "" {
		return nil, nil
	}
	return fw.readBetween(ctx, found, p.FileID, next)
}

// PositionOf returns the position at offset in an open file.
func PositionOf(f *os.File, offset int64) (Position, error) {
	id, _, err := identify(f)
	if err != nil {
		return Position{}, err
	}
	return Position{FileID: id, Offset: offset}, nil
}
