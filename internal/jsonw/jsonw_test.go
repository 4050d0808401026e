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

// Bidirectional and C1 controls never reach a reader raw, whether jsonw
// or encoding/json (then EscapeInvisible) wrote the text.
func TestInvisible(t *testing.T) {
	in := "evil\u202etxt.exe\u0085\u2066x\u2069 ok é"
	got := string(AppendString(nil, in))
	want := `"evil\u202etxt.exe\u0085\u2066x\u2069 ok é"`
	if got != want {
		t.Errorf("AppendString: %s, want %s", got, want)
	}
	std, _ := json.Marshal(map[string]string{"user": in})
	if got, want := string(EscapeInvisible(std)), `{"user":"evil\u202etxt.exe\u0085\u2066x\u2069 ok é"}`; got != want {
		t.Errorf("EscapeInvisible: %s, want %s", got, want)
	}
	var back map[string]string
	if err := json.Unmarshal(EscapeInvisible(std), &back); err != nil || back["user"] != in {
		t.Errorf("round trip: %q, %v", back["user"], err)
	}
}
