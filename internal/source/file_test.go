package source

import (
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
)

// Every compression of the table is read back to the plain text, and the
// rotated-set order knows each suffix.
func TestOpenCompressed(t *testing.T) {
	want, err := os.ReadFile("testdata/two.log")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range compressions {
		name := "testdata/two.log" + c.suffix
		f, err := Open(name)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := io.ReadAll(f)
		f.Close()
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: read %q, %v; want %q", name, got, err, want)
		}
		if f.Consumed() == 0 {
			t.Errorf("%s: no compressed bytes counted", name)
		}
		if r := rotationOf("logs/auth.log.3" + c.suffix); r.base != "logs/auth.log" || r.n != 3 {
			t.Errorf("%s: rotation %+v", c.suffix, r)
		}
	}
	if len(compressions) != 4 {
		t.Errorf("%d compressions, the test data has four", len(compressions))
	}
}

// A FIFO (or a device) is refused: it never ends like a finished log.
func TestOpenNotRegular(t *testing.T) {
	fifo := t.TempDir() + "/fifo"
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO: %v", err)
	}
	if _, err := Open("/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/zero: %v", err)
	}
}
