package source

import "testing"

// The pid as fail2ban's formatJournalEntry formats it: "[%i]" % int(v, 0),
// else the text as it is.
func TestPyInt0(t *testing.T) {
	for in, want := range map[string]string{"1234": "1234", " 12 ": "12", "0x1f": "31", "0o17": "15", "0b101": "5", "1_000": "1000",
		"+7": "7", "-7": "-7", "0": "0", "00": "0", "010": "", "1__0": "", "_1": "", "1_": "", "12a": "", "": "", "0x": "", "0x_1f": "31"} {
		n, ok := pyInt0(in)
		got := ""
		if ok {
			got = itoa(n)
		}
		if got != want {
			t.Errorf("int(%q, 0): %q, want %q", in, got, want)
		}
	}
}

func itoa(n int64) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
