package cli

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"

	ucli "github.com/urfave/cli/v3"
)

var update = flag.Bool("update", false, "rewrite docs/banscope.1 from the command tree")

// docs/banscope.1 is the command tree's own page: a flag added without
// regenerating it (go test ./internal/cli -run TestManPage -update) fails
// here.
func TestManPage(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMan(&b); err != nil {
		t.Fatal(err)
	}
	const path = "../../docs/banscope.1"
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("%s is not the command tree's page: run go test ./internal/cli -run TestManPage -update", path)
	}
	for _, flag := range []string{"\\-\\-what\\-if", "\\-\\-prometheus\\-names", "\\-\\-log\\-level", "\\-\\-maxretry"} {
		if !strings.Contains(b.String(), flag) {
			t.Errorf("the page lacks %s", flag)
		}
	}
	// the page renders without warnings where man is installed
	if man, err := exec.LookPath("man"); err == nil {
		cmd := exec.Command(man, "--warnings", "-l", path)
		cmd.Env = append(os.Environ(), "MANWIDTH=80", "MAN_KEEP_FORMATTING=0")
		out, err := cmd.CombinedOutput()
		if err != nil || bytes.Contains(out, []byte("warning")) {
			t.Errorf("man: %v\n%s", err, out)
		}
	}
}

// Every flag of every command shows one default in its help line: a
// default written into the usage text as well as the one urfave/cli adds
// reads "(default: …) (default: 0)".
func TestOneDefaultPerFlag(t *testing.T) {
	root := Command()
	cmds := append([]*ucli.Command{root}, root.Commands...)
	n := 0
	for _, c := range cmds {
		for _, f := range append(c.Flags, root.Flags...) {
			n++
			if line := f.String(); strings.Count(line, "(default:") > 1 {
				t.Errorf("banscope %s: %s", c.Name, line)
			}
		}
	}
	if n < 40 {
		t.Fatalf("%d flags", n)
	}
	var page bytes.Buffer
	if err := WriteMan(&page); err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(page.String(), "\n") {
		if strings.Count(l, "(default:") > 1 {
			t.Errorf("man page: %s", l)
		}
	}
}
