package output

import (
	"os"
	"strings"
	"testing"
)

// The README documents every measurement and every metric banscope
// writes (a new one without its line there fails here).
func TestREADMENamesEveryMetric(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, m := range []string{MFail2ban, MJail, MKind, MLog, MParse, MF2bLog, MCountry} {
		if !strings.Contains(readme, "`"+m+"`") {
			t.Errorf("README does not name measurement %s", m)
		}
	}
	for _, m := range Metrics {
		if !strings.Contains(readme, m.Name) {
			t.Errorf("README does not name metric %s", m.Name)
		}
	}
}

func TestTagValue(t *testing.T) {
	for in, want := range map[string]string{
		"sshd":          "sshd",
		"":              "(empty)",
		"ss\\":          "ss\\\uFFFD",
		"a\x1b[31mb":    "a\uFFFD[31mb",
		"bad\xffutf8":   "bad\uFFFDutf8",
		"del\x7f":       "del\uFFFD",
		"c1\u0085x":     "c1\uFFFDx",
		"web-1.example": "web-1.example",
		"späť":          "späť",
	} {
		if got := TagValue(in); got != want {
			t.Errorf("TagValue(%q) = %q, want %q", in, got, want)
		}
	}
}
