package jailsim

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fail2ban 1.1.1's `ignoreip = file:PATH` (server/ipdns.py: FileIPAddrSet
// and RE_FILE_IGN_IP): the path forms, the words of the file.
func TestIgnoreFile(t *testing.T) {
	for in, want := range map[string]string{
		"///etc/ign": "/etc/ign", "/etc/ign": "/etc/ign", "//etc/ign": "/etc/ign", "ign": "ign",
		"////x": "//x", "//a/b/": "a/b/",
	} {
		if got := ignoreFilePath(in); got != want {
			t.Errorf("file:%s: path %q, want %q", in, got, want)
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "ignore.txt")
	os.WriteFile(p, []byte("# office\n192.0.2.0/24, 198.51.100.7 # vpn\n\n2001:db8::/32\thost.example\n"), 0o644)
	words, path, ok, err := IgnoreFile("file:" + p)
	if !ok || err != nil || path != p {
		t.Fatalf("ok %v, err %v, path %q", ok, err, path)
	}
	if want := []string{"192.0.2.0/24", "198.51.100.7", "2001:db8::/32", "host.example"}; !reflect.DeepEqual(words, want) {
		t.Errorf("words %q, want %q", words, want)
	}
	if _, _, ok, _ := IgnoreFile("192.0.2.1"); ok {
		t.Error("an address is not a file: entry")
	}
	if _, _, ok, err := IgnoreFile("file:" + filepath.Join(dir, "missing")); !ok || err == nil {
		t.Errorf("missing file: ok %v, err %v", ok, err)
	}
}
