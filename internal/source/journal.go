package source

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// JournalOptions configure a JournalSource.
type JournalOptions struct {
	Journalctl string   // default "journalctl"
	Args       []string // extra arguments, e.g. --file F or --directory D
	Matches    []string // journalctl matches (the filter's journalmatch); none: every entry
	Cursor     string   // resume after this entry
	Since      time.Time
	Notice     func(string)
}

// JournalEntry is one entry as fail2ban's systemd backend sees it: the
// line it synthesises ("host ident[pid]: message") and its time.
type JournalEntry struct {
	Line   []byte
	Time   int64 // Unix ns
	Cursor string
}

// followJournal runs `journalctl --follow -o json` and hands out each
// entry, restarting journalctl (after the last cursor, with backoff) when
// it exits, until ctx is done.
func followJournal(ctx context.Context, o JournalOptions, h func(JournalEntry) error) error {
	if o.Journalctl == "" {
		o.Journalctl = "journalctl"
	}
	backoff := time.Second
	cursor := o.Cursor
	bad := 0
	for {
		args := []string{"--follow", "--output=json", "--no-pager", "--quiet"}
		if cursor != "" {
			args = append(args, "--after-cursor="+cursor)
		} else if !o.Since.IsZero() {
			args = append(args, "--since=@"+strconv.FormatInt(o.Since.Unix(), 10))
		} else {
			args = append(args, "--lines=0")
		}
		args = append(append(args, o.Args...), o.Matches...)
		cmd := exec.CommandContext(ctx, o.Journalctl, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", o.Journalctl, err)
		}
		br := bufio.NewReaderSize(out, 64<<10)
		var herr error
		got := false
		for ctx.Err() == nil {
			line, rerr := readEntryLine(br)
			if len(bytes.TrimSpace(line)) == 0 && rerr != nil {
				break
			}
			e, ok := JournalLine(line)
			if !ok {
				// an entry that is no JSON object, has no timestamp, or is
				// over 16 MiB: counted, said now and then, skipped
				bad++
				if o.Notice != nil && bad&(bad-1) == 0 {
					o.Notice(fmt.Sprintf("%d journal entries could not be read (no JSON object, no timestamp, or over 16 MiB): skipped", bad))
				}
				if rerr != nil {
					break
				}
				continue
			}
			got = true
			if ctx.Err() != nil {
				break
			}
			if herr = h(e); herr != nil {
				break
			}
			cursor = e.Cursor
		}
		cmd.Process.Kill()
		werr := cmd.Wait()
		if herr != nil {
			return herr
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" && werr != nil {
			msg = werr.Error()
		}
		if o.Notice != nil {
			o.Notice(fmt.Sprintf("journalctl exited (%s); restarting in %s", msg, backoff))
		}
		if got {
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		if backoff < 30*time.Second {
			backoff *= 2
		}
	}
}

// readEntryLine reads one line of journalctl's output; a line over
// maxEntryField comes back empty of content (nil) after being read to its
// end, so a hostile entry neither grows memory nor stops the reader.
func readEntryLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	big := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) && len(big) <= maxEntryField {
		line, err = br.ReadSlice('\n')
		big = append(big, line...)
	}
	if len(big) > maxEntryField {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n')
		}
		return []byte("-"), err // not an entry: counted by the caller
	}
	return big, err
}

// JournalLine turns one `journalctl -o json` object into an entry, the way
// fail2ban's FilterSystemd.formatJournalEntry does (see entryOf): a value
// is a string, an array of bytes (binary), or a list of either (a field
// given several times).
func JournalLine(b []byte) (JournalEntry, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return JournalEntry{}, false
	}
	f := make(map[string][]string, len(m))
	for k, raw := range m {
		var s string
		var list []json.RawMessage
		switch {
		case json.Unmarshal(raw, &s) == nil:
			f[k] = []string{s}
		case json.Unmarshal(raw, &list) == nil && len(list) > 0 && list[0][0] != '[' && list[0][0] != '"':
			if v, ok := bytesValue(raw); ok { // one binary value
				f[k] = []string{string(v)}
			}
		case json.Unmarshal(raw, &list) == nil:
			for _, x := range list {
				if json.Unmarshal(x, &s) == nil {
					f[k] = append(f[k], s)
				} else if v, ok := bytesValue(x); ok {
					f[k] = append(f[k], string(v))
				}
			}
		}
	}
	return entryOf(f)
}

func bytesValue(raw json.RawMessage) ([]byte, bool) {
	var nums []int
	if err := json.Unmarshal(raw, &nums); err != nil {
		return nil, false
	}
	b := make([]byte, len(nums))
	for i, n := range nums {
		if n < 0 || n > 255 {
			return nil, false
		}
		b[i] = byte(n)
	}
	return b, true
}
