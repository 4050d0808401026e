package jailsim

import "testing"

// The values fail2ban-server --str2sec prints (server/mytime.py: MyTime.str2seconds).
func TestParseDuration(t *testing.T) {
	tests := map[string]float64{
		"600": 600, "10m": 600, "1h": 3600, "1d": 86400, "3d": 259200, "1w": 604800,
		"1h30m": 5400, "1h 30m": 5400, "1d12h": 129600, "1mo": 2629800, "1y": 31557600,
		"1.5h": 5400, "1h-10m": 3000, "1d*2": 172800, "5M": 300, "1m1s": 61,
		"2weeks": 1209600, "-1": -1, "2mo": 5259600,
	}
	for in, want := range tests {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "10q", "1h+", "(1"} {
		if v, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", bad, v)
		}
	}
}
