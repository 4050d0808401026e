package jsonw

import (
	"encoding/json"
	"testing"
)

func TestAppendString(t *testing.T) {
	for _, s := range []string{"plain", `q"uote\back`, "<script>alert(1)</script>", "\x1b[31mred", "nul\x00", "\xff\xfe", "tab\tnl\n", "\u2028", "ünï"} {
		b := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q: %s is not JSON: %v", s, b, err)
		}
		for _, c := range b {
			if c < 0x20 || c == '<' || c == '>' {
				t.Errorf("%q: raw %q in %s", s, c, b)
			}
		}
		want := []rune(s)
		got := []rune(back)
		if len(want) != len(got) {
			t.Errorf("%q round-trips as %q", s, back)
		}
	}
}
