package check

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Binary input: each malformed line counts once (never more malformed
// lines than lines), and a failure before any stamp has no time rather
// than 1970.
func TestMalformedOnceAndNoTime(t *testing.T) {
	var in bytes.Buffer
	in.WriteString("web1 sshd[1]: Failed password for root from 203.0.113.1 port 1 ssh2\n") // no stamp, no clock
	for i := 0; i < 50; i++ {
		in.WriteString("\xff\x00\xfe garbage without a stamp \x01\x02\n")
	}
	in.WriteString("Nov 27 10:00:01 web1 sshd[2]: Failed password for root from 203.0.113.2 port 2 ssh2\n")
	path := filepath.Join(t.TempDir(), "bin.log")
	if err := os.WriteFile(path, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Files: []string{path}, Format: "text", Location: time.UTC, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	var out bytes.Buffer
	if err := Run(cfg, &out); err != nil {
		t.Fatal(err)
	}
	num := func(label string) int {
		m := regexp.MustCompile(label + `: +(\d+)`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no %q in\n%s", label, out.String())
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if read, bad := num("lines read"), num("malformed lines"); read != 52 || bad != 51 {
		t.Errorf("lines read %d, malformed %d; want 52 and 51 (each bad line once)", read, bad)
	}
	cfg.Format = "jsonl"
	out.Reset()
	if err := Run(cfg, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"time":null`) || !strings.Contains(lines[1], `"time":"2026-11-27T10:00:01Z"`) {
		t.Errorf("jsonl:\n%s", out.String())
	}
}
