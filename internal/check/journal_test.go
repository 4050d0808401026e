package check

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/banscope/banscope/internal/authgen"
	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/filter/sshd"
	"github.com/banscope/banscope/internal/source"
)

// journalEntries turns generated syslog traffic into journal entries:
// the fields fail2ban's systemd backend reads, the time to the
// microsecond, and some hostile forms (a multi-line message, a binary
// MESSAGE, a field given twice, an entry without a time).
func journalEntries(t *testing.T) []map[string]any {
	var b bytes.Buffer
	cfg := authgen.Default()
	cfg.Lines, cfg.Seed, cfg.Hostile, cfg.OpenSSH = 5000, 21, 0.03, authgen.OpenSSH10
	if err := authgen.Generate(&b, cfg); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^(\w+ +\d+ [\d:]+) (\S+) ([^\[: ]+)(?:\[(\d+)\])?: (.*)$`)
	var out []map[string]any
	for i, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		m := re.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		ts, err := time.Parse("2006 Jan _2 15:04:05", "2026 "+m[1])
		if err != nil {
			t.Fatal(err)
		}
		e := map[string]any{"__CURSOR": fmt.Sprint("c", i), "__REALTIME_TIMESTAMP": strconv.FormatInt(ts.UnixMicro()+int64(i%1000), 10),
			"_HOSTNAME": m[2], "SYSLOG_IDENTIFIER": m[3], "MESSAGE": m[5]}
		if m[4] != "" {
			e["_PID"] = m[4]
		}
		switch i % 97 {
		case 1:
			e["MESSAGE"] = m[5] + "\nsecond line from 203.0.113.99"
		case 2:
			e["MESSAGE"] = []byte(m[5]) // binary
		case 3:
			e["MESSAGE"] = []string{m[5], "again"}
		case 4:
			delete(e, "__REALTIME_TIMESTAMP")
		}
		out = append(out, e)
	}
	return out
}

func asJSON(es []map[string]any) []byte {
	var b bytes.Buffer
	for _, e := range es {
		m := map[string]any{}
		for k, v := range e {
			if s, ok := v.(string); ok && !utf8.ValidString(s) {
				v = []byte(s) // journalctl writes such a value as its bytes
			}
			if bs, ok := v.([]byte); ok {
				ints := make([]int, len(bs))
				for i, c := range bs {
					ints[i] = int(c)
				}
				v = ints
			}
			m[k] = v
		}
		j, _ := json.Marshal(m)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func asExport(es []map[string]any) []byte {
	var b bytes.Buffer
	for _, e := range es {
		for _, k := range []string{"__CURSOR", "__REALTIME_TIMESTAMP", "_HOSTNAME", "SYSLOG_IDENTIFIER", "_PID", "MESSAGE"} {
			var vals []string
			switch v := e[k].(type) {
			case nil:
				continue
			case string:
				vals = []string{v}
			case []byte:
				vals = []string{string(v)}
			case []string:
				vals = v
			}
			for _, v := range vals {
				if strings.Contains(v, "\n") || k == "MESSAGE" && len(v)%5 == 0 {
					b.WriteString(k + "\n")
					binary.Write(&b, binary.LittleEndian, uint64(len(v)))
					b.WriteString(v + "\n")
				} else {
					b.WriteString(k + "=" + v + "\n")
				}
			}
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// `check -` reads journalctl -o json and -o export from standard input,
// found from the first bytes; both give, failure for failure, what the
// sshd filter gives the entries fail2ban's systemd backend builds
// (the path `run --journal` takes: each entry's line at its own time).
func TestJournalStdin(t *testing.T) {
	es := journalEntries(t)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	run := func(in []byte) string {
		if f := source.DetectForm(bufioReader(in)); f == source.Syslog {
			t.Fatalf("detected as %s", f)
		}
		var out bytes.Buffer
		cfg := Config{Files: []string{"-"}, Format: "jsonl", Location: time.UTC, Now: now, Stdin: bytes.NewReader(in), Journal: true,
			Fail2ban: f2bversion.Choice{Version: f2bversion.V1_1_1}}
		if err := Run(cfg, &out); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	fromJSON, fromExport := run(asJSON(es)), run(asExport(es))
	// the reference: each entry through the filter at its own time
	p := sshd.New(sshd.Options{Options: filter.Options{Location: time.UTC, Reference: now, CurrentYear: 2026, LogClock: true, Journal: true, Fail2ban: f2bversion.V1_1_1}})
	var want []byte
	n := int64(0)
	for _, l := range bytes.Split(bytes.TrimSuffix(asJSON(es), []byte("\n")), []byte("\n")) {
		e, ok := source.JournalLine(l)
		if !ok {
			continue
		}
		n++
		ev := p.ParseAt(e.Line, e.Time)
		if ev.Verdict == filter.Failure {
			for _, id := range ev.IDs {
				want = appendJSONL(want, n, ev, id)
			}
		}
	}
	if fromJSON != string(want) {
		t.Errorf("journalctl -o json on stdin differs from the entries' own parse:\n%s", firstDiff(fromJSON, string(want)))
	}
	if fromExport != fromJSON {
		t.Errorf("-o export and -o json differ:\n%s", firstDiff(fromExport, fromJSON))
	}
	if c := strings.Count(fromJSON, "\n"); c < 1000 {
		t.Errorf("only %d failures", c)
	}
}

// Mixing forms is an error that says what was seen.
func TestJournalFormErrors(t *testing.T) {
	cfg := Config{Files: []string{"-"}, Format: "text", Location: time.UTC, Stdin: strings.NewReader(`{"MESSAGE":"x"}` + "\n")}
	err := Run(cfg, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "journalctl -o json") {
		t.Errorf("json read as syslog: %v", err)
	}
	cfg = Config{Files: []string{"-"}, Format: "text", Location: time.UTC, Stdin: strings.NewReader("Nov 27 10:00:01 web1 sshd[1]: x\n"), Journal: true}
	if err := Run(cfg, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "syslog lines") {
		t.Errorf("syslog read as journal: %v", err)
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines vs %d", len(al), len(bl))
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// Journal entries that cannot be read are counted, said and skipped; the
// good ones around them are all counted.
func TestJournalBadEntries(t *testing.T) {
	good := `{"__REALTIME_TIMESTAMP":"1795845600000000","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"sshd","_PID":"7","MESSAGE":"Failed password for root from 203.0.113.5 port 22 ssh2"}`
	in := good + "\n" + `{"MESSAGE": broken` + "\n" + `[1,2,3]` + "\n" + good + "\n"
	var out bytes.Buffer
	var warned []string
	cfg := Config{Files: []string{"-"}, Format: "text", Location: time.UTC, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Stdin: strings.NewReader(in), Journal: true, Fail2ban: f2bversion.Choice{Version: f2bversion.V1_1_1},
		Warn: func(s string) { warned = append(warned, s) }}
	if err := Run(cfg, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "unreadable journal entries: 2 (skipped)") || !strings.Contains(out.String(), "failures counted:   2") {
		t.Errorf("report:\n%s", out.String())
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "2 of 4 journal entries could not be read") {
		t.Errorf("warnings %q", warned)
	}
}
