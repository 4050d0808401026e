package f2bversion

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Version{"1.0.2": V1_0_2, "1.1.0-8": V1_1_0, "v1.1.1": V1_1_1, " 1.1.1-1 ": V1_1_1} {
		if v, err := Parse(in); err != nil || v != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, v, err, want)
		}
	}
	for _, bad := range []string{"", "1.0", "0.11.2", "2.0.0", "auto"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
	if Unset.Or() != Newest || Unset.String() != Newest.String() {
		t.Error("the zero Version is not the newest")
	}
}

// --fail2ban auto: the installed package's version.py, else
// fail2ban-client --version, else the newest; a release banscope does not
// simulate maps to the nearest one, and the reason says so.
func TestDetect(t *testing.T) {
	root := t.TempDir()
	pkg := filepath.Join(root, "fail2ban")
	os.MkdirAll(pkg, 0o755)
	write := func(v string) {
		os.WriteFile(filepath.Join(pkg, "version.py"), []byte("# comment\n__author__ = \"x\"\nversion = \""+v+"\"\n"), 0o644)
	}
	for v, want := range map[string]Version{"1.1.0": V1_1_0, "1.0.2": V1_0_2, "0.11.2": V1_0_2, "1.0.3": V1_0_2, "1.1.1.dev1": V1_1_1, "1.2.0": V1_1_1} {
		write(v)
		c := Detect(Probe{Roots: []string{filepath.Join(root, "missing"), root}, NoClient: true})
		if c.Version != want || c.Installed != v || !strings.Contains(c.Why, "says "+v) {
			t.Errorf("installed %s: %+v, want %v", v, c, want)
		}
		if _, err := Parse(v); err != nil && !strings.Contains(c.Why, "the nearest") {
			t.Errorf("installed %s: the reason does not say it is the nearest: %q", v, c.Why)
		}
	}
	client := filepath.Join(root, "fail2ban-client")
	os.WriteFile(client, []byte("#!/bin/sh\n[ \"$1\" = --version ] && echo 'Fail2Ban v1.1.0' && exit 0\nexit 1\n"), 0o755)
	c := Detect(Probe{Client: client})
	if c.Version != V1_1_0 || !strings.Contains(c.Why, "--version says 1.1.0") {
		t.Errorf("from the client: %+v", c)
	}
	c = Detect(Probe{NoClient: true})
	if c.Version != Newest || c.Installed != "" {
		t.Errorf("nothing installed: %+v", c)
	}
	if c, err := Resolve("1.0.2", Probe{}); err != nil || c.Version != V1_0_2 || c.Why != "--fail2ban 1.0.2" {
		t.Errorf("Resolve(1.0.2): %+v, %v", c, err)
	}
}
