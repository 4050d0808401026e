package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/banscope/banscope/internal/cli"
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
	if err := json.Unmarshal([]byte(runCLI(t, "banscope", "replay", "--config", "", "--timezone", "UTC", "--fail2ban", "1.1.1", "--format", "json", "testdata/auth.log")), &have); err != nil {
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
