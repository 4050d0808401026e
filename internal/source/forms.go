package source

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Form is what a stream of log text is: syslog lines, or journal entries
// as `journalctl -o json` or `-o export` writes them.
type Form uint8

const (
	Syslog        Form = iota // lines of a syslog file (auth.log)
	JournalJSON               // journalctl -o json: one object per line
	JournalExport             // journalctl -o export: KEY=value fields, entries split by a blank line
)

func (f Form) String() string {
	switch f {
	case JournalJSON:
		return "journalctl -o json"
	case JournalExport:
		return "journalctl -o export"
	}
	return "syslog lines"
}

// DetectForm looks at the first bytes of r (without consuming them): a
// JSON object, an export-format field name (upper-case letters, digits
// and _, not starting with a digit, then = or a new line), or syslog text.
func DetectForm(r *bufio.Reader) Form {
	b, _ := r.Peek(512)
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) > 0 && b[0] == '{' {
		return JournalJSON
	}
	i := 0
	for i < len(b) && (b[i] >= 'A' && b[i] <= 'Z' || b[i] == '_' || i > 0 && b[i] >= '0' && b[i] <= '9') {
		i++
	}
	if i > 0 && i < len(b) && (b[i] == '=' || b[i] == '\n') {
		return JournalExport
	}
	return Syslog
}

// maxEntryField bounds one field of an export-format entry: a hostile or
// broken stream cannot make banscope allocate more.
const maxEntryField = 16 << 20

// JournalText turns a stream of journal entries into stamped lines
// (pipeline.Reader.Stamped): each entry becomes its time in Unix
// nanoseconds (__REALTIME_TIMESTAMP's microseconds), a space, and the line
// fail2ban's systemd backend synthesises from it
// (FilterSystemd.formatJournalEntry: "host ident[pid]: message"), so the
// filter sees the entry's line with the entry's own time, as fail2ban's
// does. Entries that are not entries are counted in Bad.
type JournalText struct {
	r    *bufio.Reader
	form Form
	buf  []byte // converted text not read yet
	err  error
	// Bad counts entries that could not be read (not JSON, no timestamp,
	// a field over 16 MiB); Entries those that were.
	Bad, Entries int64
}

// NewJournalText reads entries of the given form from r.
func NewJournalText(r *bufio.Reader, form Form) *JournalText {
	return &JournalText{r: r, form: form}
}

func (j *JournalText) Read(p []byte) (int, error) {
	for len(j.buf) == 0 && j.err == nil {
		var e JournalEntry
		var ok bool
		switch j.form {
		case JournalJSON:
			e, ok, j.err = j.nextJSON()
		default:
			e, ok, j.err = j.nextExport()
		}
		if ok {
			j.Entries++
			j.buf = strconv.AppendInt(j.buf[:0], e.Time, 10)
			j.buf = append(append(append(j.buf, ' '), e.Line...), '\n')
		}
	}
	if len(j.buf) > 0 {
		n := copy(p, j.buf)
		j.buf = j.buf[n:]
		return n, nil
	}
	return 0, j.err
}

func (j *JournalText) nextJSON() (JournalEntry, bool, error) {
	line, err := j.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// a longer object: gather it, within the field bound
		big := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(big) <= maxEntryField {
			line, err = j.r.ReadSlice('\n')
			big = append(big, line...)
		}
		if len(big) > maxEntryField {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = j.r.ReadSlice('\n')
			}
			j.Bad++
			return JournalEntry{}, false, eofOr(err)
		}
		line = big
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return JournalEntry{}, false, eofOr(err)
	}
	e, ok := JournalLine(line)
	if !ok {
		j.Bad++
	}
	return e, ok, eofOr(err)
}

func eofOr(err error) error {
	if err == nil {
		return nil
	}
	return err
}

// nextExport reads one entry of the export format
// (systemd's JOURNAL_EXPORT_FORMATS: "KEY=value\n", or "KEY\n", a
// little-endian 64-bit length, the bytes and "\n"; a blank line ends the
// entry).
func (j *JournalText) nextExport() (JournalEntry, bool, error) {
	fields := map[string][]string{}
	n := 0
	for {
		line, err := j.readLine()
		if err != nil && len(line) == 0 {
			if n == 0 {
				return JournalEntry{}, false, err
			}
			break
		}
		if len(line) == 0 { // the blank line after an entry
			if n == 0 {
				continue
			}
			break
		}
		if k, v, ok := strings.Cut(string(line), "="); ok {
			fields[k] = append(fields[k], v)
			n++
			continue
		}
		// a binary field: its name, then the length and the bytes
		var size [8]byte
		if _, err := io.ReadFull(j.r, size[:]); err != nil {
			j.Bad++
			return JournalEntry{}, false, io.EOF
		}
		l := binary.LittleEndian.Uint64(size[:])
		if l > maxEntryField {
			j.Bad++
			if _, err := io.CopyN(io.Discard, j.r, int64(min(l, 1<<62))); err != nil {
				return JournalEntry{}, false, io.EOF
			}
			j.r.ReadByte() // its "\n"
			continue
		}
		v := make([]byte, l)
		if _, err := io.ReadFull(j.r, v); err != nil {
			j.Bad++
			return JournalEntry{}, false, io.EOF
		}
		j.r.ReadByte() // its "\n"
		fields[string(line)] = append(fields[string(line)], string(v))
		n++
	}
	e, ok := entryOf(fields)
	if !ok {
		j.Bad++
	}
	return e, ok, nil
}

// readLine reads one line without its "\n", within the field bound.
func (j *JournalText) readLine() ([]byte, error) {
	var out []byte
	for {
		line, err := j.r.ReadSlice('\n')
		out = append(out, line...)
		if len(out) > maxEntryField {
			return nil, fmt.Errorf("journal export stream: a field over %d bytes", maxEntryField)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return out, err
		}
		return out[:len(out)-1], nil
	}
}

// entryOf builds an entry from export-format fields, as JournalLine does
// from a JSON object.
func entryOf(f map[string][]string) (JournalEntry, bool) {
	one := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	var parts []string
	if v := one("_HOSTNAME"); v != "" {
		parts = append(parts, v)
	}
	ident := one("SYSLOG_IDENTIFIER")
	if ident == "" {
		ident = one("_COMM")
	}
	if ident != "" {
		pid := one("SYSLOG_PID")
		if pid == "" {
			pid = one("_PID")
		}
		if pid != "" {
			if n, ok := pyInt0(pid); ok {
				pid = strconv.FormatInt(n, 10)
			}
			ident += "[" + pid + "]"
		}
		parts = append(parts, ident+":")
		if ident+":" == "kernel:" {
			// the kernel's entries carry their monotonic time:
			// "[%12.6f]" % monotonic.total_seconds()
			mono := one("_SOURCE_MONOTONIC_TIMESTAMP")
			if mono == "" {
				mono = one("__MONOTONIC_TIMESTAMP")
			}
			if us, err := strconv.ParseInt(mono, 10, 64); err == nil {
				parts = append(parts, fmt.Sprintf("[%12.6f]", float64(us)/1e6))
			}
		}
	}
	parts = append(parts, strings.Join(f["MESSAGE"], " "))
	line := strings.ReplaceAll(strings.Join(parts, " "), "\n", `\n`)
	ts := one("_SOURCE_REALTIME_TIMESTAMP")
	if ts == "" {
		ts = one("__REALTIME_TIMESTAMP")
	}
	us, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return JournalEntry{}, false
	}
	return JournalEntry{Line: []byte(line), Time: us * 1000, Cursor: one("__CURSOR")}, true
}

// pyInt0 is Python's int(s, 0), which formatJournalEntry applies to the
// pid: surrounding white space, a sign, 0x/0o/0b prefixes, single
// underscores between digits, and no leading zero in a decimal number
// ("010" is refused and kept as text, where strconv would read octal).
func pyInt0(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	base := 10
	if len(s) > 1 && s[0] == '0' {
		switch s[1] {
		case 'x', 'X':
			base, s = 16, s[2:]
		case 'o', 'O':
			base, s = 8, s[2:]
		case 'b', 'B':
			base, s = 2, s[2:]
		}
		if base != 10 && strings.HasPrefix(s, "_") {
			s = s[1:] // 0x_1f
		}
	}
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return 0, false
	}
	digits := strings.ReplaceAll(s, "_", "")
	if base == 10 && len(digits) > 1 && digits[0] == '0' && strings.Trim(digits, "0") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(digits, base, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// IsStdin reports whether a file name means standard input: "-", or
// /dev/stdin (a pipe there is not a finished file, but the same stream).
func IsStdin(name string) bool { return name == "-" || name == "/dev/stdin" }

// Input is one input of a replay or a check: a finished file or standard
// input, in the form the run reads.
type Input struct {
	io.Reader
	Ref     time.Time    // the reference for year-less stamps: the file's modification time, else now
	File    *File        // nil for standard input
	Journal *JournalText // set when the input holds journal entries
	close   func()
}

// Close closes the file, if any.
func (in *Input) Close() { in.close() }

// OpenInput opens name (standard input for "-" and /dev/stdin) and reads
// journal entries as stamped lines when its first bytes say it holds
// them. An input of the other form than the run's (journal says which)
// is an error that says what was seen; cmd names the run ("replay").
func OpenInput(name string, stdin io.Reader, now time.Time, journal bool, cmd string) (*Input, error) {
	in := &Input{Ref: now, close: func() {}}
	raw := stdin
	if !IsStdin(name) {
		f, err := Open(name)
		if err != nil {
			return nil, err
		}
		raw, in.File, in.Ref, in.close = f, f, f.ModTime, func() { f.Close() }
	}
	br := bufio.NewReaderSize(raw, 64<<10)
	switch form := DetectForm(br); {
	case form != Syslog && !journal:
		in.close()
		return nil, fmt.Errorf("read %s: it holds journal entries (%s), but this %s reads syslog lines: give journal inputs alone (banscope %s %s)", name, form, cmd, cmd, name)
	case form == Syslog && journal:
		in.close()
		return nil, fmt.Errorf("read %s: it holds syslog lines, but this %s reads journal entries: give it alone", name, cmd)
	case form != Syslog:
		in.Journal = NewJournalText(br, form)
		in.Reader = in.Journal
	default:
		in.Reader = br
	}
	return in, nil
}
