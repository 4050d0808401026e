package layout

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/banscope/banscope/"

// forbidden lists, per package (or package tree, ending in /...), the
// project packages it must not import: the README's "what it must not
// know".
var forbidden = map[string][]string{
	// the building blocks know no log format, no jail, no output
	"internal/pyre":  {"internal/..."},
	"internal/ident": {"internal/..."},
	// the map's shapes know nothing else
	"internal/worldmap": {"internal/..."},
	// the release names know nothing else; the oracles only them
	"internal/f2bversion": {"internal/..."},
	"internal/sshlab":     {"internal/filter/...", "internal/source", "internal/jailsim", "internal/engine", "internal/live", "internal/replay", "internal/cli"},
	"internal/oracle":     {"internal/filter/...", "internal/source", "internal/jailsim", "internal/engine", "internal/live", "internal/replay", "internal/cli"},
	// what fail2ban misses knows filters, not sources, jails or outputs
	"internal/misses":  {"internal/filter/sshd", "internal/source", "internal/pipeline", "internal/jailsim", "internal/engine", "internal/live", "internal/replay", "internal/output/..."},
	"internal/logtime": {"internal/filter/...", "internal/jailsim", "internal/engine", "internal/source", "internal/live", "internal/replay"},
	// a filter knows no source, no jail arithmetic, no output
	"internal/filter/...": {"internal/source", "internal/pipeline", "internal/jailsim", "internal/engine", "internal/live", "internal/replay", "internal/check", "internal/cli", "internal/geo"},
	"internal/f2blog":     {"internal/filter/...", "internal/source", "internal/jailsim", "internal/engine", "internal/live", "internal/replay"},
	// the jail arithmetic knows no filter's internals, no source, no output
	"internal/jailsim": {"internal/filter/sshd", "internal/filter/recidive", "internal/source", "internal/pipeline", "internal/engine", "internal/live", "internal/replay", "internal/geo"},
	// the engine knows no source and no output
	"internal/engine": {"internal/source", "internal/pipeline", "internal/live", "internal/replay", "internal/check", "internal/cli", "internal/geo"},
	// sources know no filter, no jail, no output
	"internal/source": {"internal/filter/...", "internal/jailsim", "internal/engine", "internal/pipeline", "internal/live", "internal/replay", "internal/geo"},
	// replay and the sidecar are wired by cli, not by each other
	"internal/replay": {"internal/live", "internal/cli"},
	"internal/live":   {"internal/cli"},
	"internal/geo":    {"internal/filter/...", "internal/source", "internal/jailsim", "internal/engine", "internal/live", "internal/replay"},
	// the counts know no encoding and no source; outputs know no source
	// and no filter's internals
	"internal/numbers": {"internal/output/...", "internal/source", "internal/pipeline", "internal/live", "internal/replay", "internal/cli"},
	// the dashboards know the names, not how the numbers are made
	"internal/dashboard":  {"internal/source", "internal/filter/...", "internal/jailsim", "internal/engine", "internal/pipeline", "internal/live", "internal/replay", "internal/cli"},
	"internal/output/...": {"internal/source", "internal/pipeline", "internal/filter/sshd", "internal/filter/recidive", "internal/live", "internal/replay", "internal/cli"},
}

func matches(pattern, pkg string) bool {
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == p || strings.HasPrefix(pkg, p+"/")
	}
	return pkg == pattern
}

// imports returns the project imports of each package directory's
// non-test files.
func imports(t *testing.T, root string) map[string][]string {
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		for _, im := range f.Imports {
			if p, ok := strings.CutPrefix(strings.Trim(im.Path.Value, `"`), module); ok {
				out[pkg] = append(out[pkg], p)
			}
		}
		if _, ok := out[pkg]; !ok {
			out[pkg] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportLines(t *testing.T) {
	all := imports(t, "../..")
	var pkgs []string
	for p := range all {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	checked := 0
	for _, pkg := range pkgs {
		for pattern, banned := range forbidden {
			if !matches(pattern, pkg) {
				continue
			}
			checked++
			for _, im := range all[pkg] {
				for _, b := range banned {
					if matches(b, im) && !matches(pattern, im) {
						t.Errorf("%s imports %s, which the README's layout forbids (%s must not know %s)", pkg, im, pattern, b)
					}
				}
			}
		}
	}
	if checked < len(forbidden) {
		t.Errorf("only %d of %d rules met a package: a package was renamed without its rule", checked, len(forbidden))
	}
	// Nothing below cmd/ exits the process.
	for _, pkg := range pkgs {
		if strings.HasPrefix(pkg, "cmd/") {
			continue
		}
		files, _ := filepath.Glob(filepath.Join("../..", pkg, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "os.Exit(") {
				t.Errorf("%s calls os.Exit: only main may", f)
			}
		}
	}
}

// The test itself: a forbidden import is found.
func TestImportLinesSeeViolations(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "internal", "filter", "x")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "package x\n\nimport _ \"" + module + "internal/live\"\n"
	if err := os.WriteFile(filepath.Join(bad, "x.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	im := imports(t, dir)
	found := false
	for _, b := range forbidden["internal/filter/..."] {
		for _, i := range im["internal/filter/x"] {
			if matches(b, i) {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("a filter importing internal/live is not caught")
	}
}
