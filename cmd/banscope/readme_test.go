package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/banscope/banscope/internal/cli"
	ucli "github.com/urfave/cli/v3"
)

// The README's replay samples are the program's output: every line of the
// text sample (but the shortened ones, with …) and every value of the JSON
// sample (but the "..." keys) must be what the command it names prints.
func TestREADMESamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := block(t, string(readme), "TestREADMESamples", "```\n")
	js := block(t, string(readme), "`--format json` prints one object", "```json\n")
	wd, _ := os.Getwd()
	if err := os.Chdir("../.."); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	args := []string{"banscope", "replay", "--config", "", "--timezone", "UTC", "--fail2ban", "1.1.1", "--what-if", "maxretry=3,findtime=1d,bantime=3d",
		"--what-if", "maxretry=5,findtime=10m,bantime=10m"}
	out := runCLI(t, append(args, "--format", "text", "testdata/auth.log")...)
	got := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		got[strings.TrimRight(l, " ")] = true
	}
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.Contains(l, "…") {
			continue
		}
		n++
		if !got[strings.TrimRight(l, " ")] {
			t.Errorf("README text sample line not in the output: %q", l)
		}
	}
	if n < 20 {
		t.Fatalf("only %d sample lines checked", n)
	}
	var want, have any
	if err := json.Unmarshal([]byte(js), &want); err != nil {
		t.Fatalf("README JSON sample: %v", err)
	}
	if err := json.Unmarshal([]byte(runCLI(t, append(args, "--format", "json", "testdata/auth.log")...)), &have); err != nil {
		t.Fatal(err)
	}
	compare(t, "", want, have)
}

func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := cli.Command()
	cmd.Writer, cmd.ErrWriter = &out, &errOut
	if err := cmd.Run(context.Background(), args); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}

// block returns the fenced block that follows the first mention of after.
func block(t *testing.T, doc, after, fence string) string {
	t.Helper()
	i := strings.Index(doc, after)
	if i < 0 {
		t.Fatalf("README lacks %q", after)
	}
	j := strings.Index(doc[i:], fence)
	if j < 0 {
		t.Fatalf("no %q block after %q", fence, after)
	}
	start := i + j + len(fence)
	end := strings.Index(doc[start:], "```")
	return doc[start : start+end]
}

// compare requires every value of want (but "..." keys) in have.
func compare(t *testing.T, path string, want, have any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			t.Errorf("%s: README shows an object, the program %v", path, have)
			return
		}
		for k, v := range w {
			if k == "..." {
				continue
			}
			hv, ok := h[k]
			if !ok {
				t.Errorf("%s.%s: in the README, not in the output", path, k)
				continue
			}
			compare(t, path+"."+k, v, hv)
		}
	case []any:
		// a last "..." element stands for the rest of the list
		h, ok := have.([]any)
		n := len(w)
		if n > 0 && w[n-1] == "..." {
			n--
		} else if ok && len(h) != n {
			t.Errorf("%s: README shows %d elements, the program prints %d", path, n, len(h))
		}
		if !ok || len(h) < n {
			t.Errorf("%s: README shows %s, the program prints %s", path, show(want), show(have))
			return
		}
		for i := 0; i < n; i++ {
			compare(t, fmt.Sprintf("%s[%d]", path, i), w[i], h[i])
		}
	default:
		if !reflect.DeepEqual(want, have) {
			t.Errorf("%s: README shows %s, the program prints %s", path, show(want), show(have))
		}
	}
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return fmt.Sprint(string(b))
}

// The README's run samples are the program's: its command runs (the log
// in a temporary directory, a free port, no configuration) on a log where
// one address failed five times and three others once each; the line
// protocol sample must be the last points written, and the /metrics
// sample exactly what its grep selects from a scrape.
func TestREADMERunSamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(readme)
	i, j := strings.Index(doc, "### `banscope run"), strings.Index(doc, "#### Deployment")
	if i < 0 || j < i {
		t.Fatal("README lacks the run section")
	}
	section := doc[i:j]
	lp := strings.Split(strings.TrimSpace(block(t, section, "TestREADMERunSamples", "```\n")), "\n")
	metrics := strings.Split(strings.TrimSpace(block(t, section, "on `--listen`", "```\n")), "\n")
	command, ok := strings.CutPrefix(lp[0], "$ ")
	if !ok || len(lp) < 2 {
		t.Fatalf("the line protocol sample is not a command and its output: %q", lp)
	}
	curl, ok := strings.CutPrefix(metrics[0], "$ curl -s 127.0.0.1:9539/metrics | grep -E '")
	if !ok || !strings.HasSuffix(curl, "'") {
		t.Fatalf("the metrics sample is not curl | grep -E: %q", metrics[0])
	}
	selected := regexp.MustCompile(strings.TrimSuffix(curl, "'"))

	dir := t.TempDir()
	auth, out := filepath.Join(dir, "auth.log"), filepath.Join(dir, "points.lp")
	var log strings.Builder
	stamp := time.Now().UTC().Format("Jan _2 15:04:05")
	for n, ip := range []string{"198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"} {
		fmt.Fprintf(&log, "%s web1 sshd[%d]: Failed password for root from %s port %d ssh2\n", stamp, 4100+n, ip, 40000+n)
	}
	if err := os.WriteFile(auth, []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	args := strings.Fields(strings.ReplaceAll(command, "/var/log/auth.log", auth))
	args = append(args, "--config", "", "--fail2ban", "1.1.1", "--timezone", "UTC", "--fail2ban-log", "", "--geo=false",
		"--listen", addr, "--interval", "200ms", "--output", out)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		cmd := cli.Command()
		cmd.Writer, cmd.ErrWriter = io.Discard, io.Discard
		done <- cmd.Run(ctx, args)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: %v", command, err)
		}
	}()

	unstamped := func(l string) string {
		if k := strings.LastIndexByte(l, ' '); k > 0 {
			return l[:k]
		}
		return l
	}
	var lastLP, scraped []string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("%s stopped: %v", command, err)
		default:
		}
		time.Sleep(100 * time.Millisecond)
		b, _ := os.ReadFile(out)
		last := map[string]string{}
		for _, l := range strings.Split(string(b), "\n") {
			if m, _, ok := strings.Cut(l, ","); ok {
				last[m] = unstamped(l)
			}
		}
		lastLP = nil
		for _, l := range lp[1:] {
			m, _, _ := strings.Cut(l, ",")
			lastLP = append(lastLP, last[m])
		}
		r, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		scraped = nil
		for _, l := range strings.Split(string(body), "\n") {
			if selected.MatchString(l) {
				scraped = append(scraped, l)
			}
		}
		sameLP := true
		for k, l := range lp[1:] {
			sameLP = sameLP && lastLP[k] == unstamped(l)
		}
		if sameLP && slices.Equal(scraped, metrics[1:]) {
			return
		}
	}
	t.Errorf("%s: the last points are\n%s\nthe README shows\n%s", command, strings.Join(lastLP, "\n"), strings.Join(lp[1:], "\n"))
	t.Errorf("the metrics grep selects\n%s\nthe README shows\n%s", strings.Join(scraped, "\n"), strings.Join(metrics[1:], "\n"))
}

// Every flag the README names for banscope — in the commands of its code
// blocks and the first column of its flag tables — is a flag of that
// command (or a global one): a renamed flag cannot linger in the docs.
func TestREADMEFlags(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	root := cli.Command()
	flagsOf := func(c *ucli.Command) map[string]bool {
		m := map[string]bool{}
		for _, fs := range [][]ucli.Flag{c.Flags, root.Flags} {
			for _, f := range fs {
				for _, n := range f.Names() {
					m[n] = true
				}
			}
		}
		return m
	}
	all := map[string]bool{}
	for _, c := range root.Commands {
		for n := range flagsOf(c) {
			all[n] = true
		}
	}
	flagRe := regexp.MustCompile(`(?:^|[\s\x60(])--([a-z][a-z0-9-]*)`)
	n := 0
	// commands: the lines of sh blocks, and prompted lines ($ …) of others
	inBlock, sh := false, false
	for i, l := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(l, "```") {
			inBlock, sh = !inBlock, l == "```sh"
			continue
		}
		code := inBlock && (sh || strings.HasPrefix(l, "$ "))
		var known map[string]bool
		words := strings.Fields(strings.TrimPrefix(strings.TrimPrefix(l, "$ "), "go run ./cmd/"))
		switch {
		case code && len(words) > 1 && words[0] == "banscope":
			c := root.Command(words[1])
			if c == nil {
				t.Errorf("README line %d: banscope has no command %q", i+1, words[1])
				continue
			}
			known = flagsOf(c)
			l, _, _ = strings.Cut(l, "#") // a comment is prose
		case strings.HasPrefix(l, "| `--"):
			known = all
			l, _, _ = strings.Cut(l[1:], "|") // the flag column
		default:
			continue
		}
		for _, m := range flagRe.FindAllStringSubmatch(l, -1) {
			n++
			if !known[m[1]] {
				t.Errorf("README line %d: --%s is no flag of this command: %s", i+1, m[1], strings.TrimSpace(l))
			}
		}
	}
	if n < 40 {
		t.Fatalf("only %d flags checked", n)
	}
}
