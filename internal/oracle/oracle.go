// Package oracle runs the real fail2ban releases the tests compare banscope
// with: Debian bookworm's installed 1.0.2, and 1.1.0-8 (trixie) and
// 1.1.1-1 (sid) as scripts/fetch-debs unpacks them into the cache
// directory. The reference scripts (testdata/reference) read the release
// from BANSCOPE_FAIL2BAN_ROOT. Their outputs are cached by script, release,
// arguments and the content of every file an argument names, so a second
// run of the tests does not run Python again.
//
// It is for tests only; it knows nothing of banscope but the release names.
package oracle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/banscope/banscope/internal/f2bversion"
)

// Cache is the cache directory: $BANSCOPE_CACHE, else
// ${XDG_CACHE_HOME:-~/.cache}/banscope (as scripts/fetch-debs).
func Cache() string {
	if d := os.Getenv("BANSCOPE_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "banscope")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "banscope")
}

// Packages are the Debian packages scripts/fetch-debs unpacks for the
// releases that are not installed.
var Packages = map[f2bversion.Version]string{
	f2bversion.V1_1_0: "fail2ban=1.1.0-8",
	f2bversion.V1_1_1: "fail2ban=1.1.1-1",
}

// DebDir is where scripts/fetch-debs unpacks NAME=VERSION.
func DebDir(spec string) string {
	name, version, _ := strings.Cut(spec, "=")
	return filepath.Join(Cache(), "debs", name+"_"+strings.ReplaceAll(version, ":", "%3a"))
}

// Required reports whether the test script requires the real fail2ban
// (a missing one is then an error, not a skip).
func Required() bool { return os.Getenv("BANSCOPE_REQUIRE_FAIL2BAN") != "" }

// Root returns the file-system root that holds release v's
// usr/lib/python3/dist-packages/fail2ban and etc/fail2ban, or ends the
// test: skipped, or failed under the test script.
func Root(t testing.TB, v f2bversion.Version) string {
	t.Helper()
	v = v.Or()
	root := "/"
	if spec, ok := Packages[v]; ok {
		root = DebDir(spec)
	}
	pkg := filepath.Join(root, "usr/lib/python3/dist-packages/fail2ban/version.py")
	b, err := os.ReadFile(pkg)
	if err == nil && !bytes.Contains(b, []byte(`version = "`+v.String()+`"`)) {
		err = os.ErrNotExist
	}
	if _, errPy := exec.LookPath("python3"); errPy != nil {
		err = errPy
	}
	if err != nil {
		how := "apt-get install fail2ban"
		if spec, ok := Packages[v]; ok {
			how = "scripts/fetch-debs " + spec
		}
		if Required() {
			t.Fatalf("fail2ban %s is not available (%s: %v); run %s", v, pkg, err, how)
		}
		t.Skipf("fail2ban %s is not available (%v): %s; BANSCOPE_REQUIRE_FAIL2BAN=1 makes this an error", v, err, how)
	}
	return root
}

// Script returns the absolute path of testdata/reference/NAME from a
// package directory under internal/.
func Script(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "testdata", "reference", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if filepath.Dir(d) == d {
			t.Fatalf("testdata/reference/%s not found above %s", name, dir)
		}
	}
}

// Run runs python3 script args... against release v, with the given extra
// environment, and returns its standard output, from the cache when the
// same script, release, arguments and argument files ran before.
func Run(t testing.TB, v f2bversion.Version, script string, env []string, args ...string) []byte {
	t.Helper()
	root := Root(t, v)
	key := cacheKey(t, v, script, env, args)
	path := filepath.Join(Cache(), "oracle", key[:2], key)
	if b, err := os.ReadFile(path); err == nil {
		return b
	}
	cmd := exec.Command("python3", append([]string{script}, args...)...)
	cmd.Env = append(append(os.Environ(), "TZ=UTC", "PYTHONHASHSEED=0", "PYTHONDONTWRITEBYTECODE=1", "BANSCOPE_FAIL2BAN_ROOT="+root), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fail2ban %s: %s %s: %v\n%s", v, filepath.Base(script), strings.Join(args, " "), err, stderr.String())
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
		tmp := path + ".tmp" + hex.EncodeToString([]byte(filepath.Base(t.TempDir())))
		if os.WriteFile(tmp, out, 0o644) == nil {
			os.Rename(tmp, path)
		}
	}
	return out
}

func cacheKey(t testing.TB, v f2bversion.Version, script string, env, args []string) string {
	h := sha256.New()
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	h.Write(b)
	h.Write([]byte("\x00" + v.Debian() + "\x00"))
	for _, e := range env {
		h.Write([]byte(e + "\x00"))
	}
	for _, a := range args {
		hashArg(h, a)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// tempPath matches the directories t.TempDir makes
// ($TMPDIR/TestName123456789/001): they differ from run to run, so file
// contents and arguments are hashed with them replaced.
var tempPath = regexp.MustCompile(regexp.QuoteMeta(filepath.Join(os.TempDir(), "Test")) + `[^/\s]*/[0-9]+`)

// hashArg hashes an argument by its content when it names a file or a
// directory (temporary paths differ from run to run), else as text.
func hashArg(h interface{ Write([]byte) (int, error) }, a string) {
	st, err := os.Stat(a)
	switch {
	case err == nil && st.Mode().IsRegular():
		b, _ := os.ReadFile(a)
		s := sha256.Sum256(tempPath.ReplaceAll(b, []byte("TMP")))
		h.Write([]byte("file:" + hex.EncodeToString(s[:]) + "\x00"))
	case err == nil && st.IsDir():
		var files []string
		filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		sort.Strings(files)
		h.Write([]byte("dir:"))
		for _, f := range files {
			rel, _ := filepath.Rel(a, f)
			h.Write([]byte(rel + "\x00"))
			hashArg(h, f)
		}
	default:
		h.Write([]byte("arg:" + tempPath.ReplaceAllString(a, "TMP") + "\x00"))
	}
}
