package logtime

import (
	"fmt"
	"testing"
	"time"
)

// Dates as fail2ban reads them (server/datedetector.py with the default templates, as fail2ban 1.0.2 printed them).
func TestDates(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zoneinfo:", err)
	}
	nov := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	newYear := time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC)
	tests := []struct {
		name string
		ref  time.Time
		loc  *time.Location
		line string
		want string // RFC 3339 UTC; "" for no usable date; "cut" for a date that is cut but invalid
	}{
		{"syslog", nov, time.UTC, "Nov 27 10:00:01 h sshd[1]: x", "2026-11-27T10:00:01Z"},
		{"last year", nov, time.UTC, "Dec 31 23:59:59 h sshd[1]: x", "2025-12-31T23:59:59Z"},
		{"this year", nov, time.UTC, "Jan  1 00:05:00 h sshd[1]: x", "2026-01-01T00:05:00Z"},
		{"tomorrow is still this year", nov, time.UTC, "Nov 29 02:59:59 h sshd[1]: x", "2026-11-29T02:59:59Z"},
		{"over a day ahead", nov, time.UTC, "Nov 29 03:00:01 h sshd[1]: x", "2025-11-29T03:00:01Z"},
		{"new year: december", newYear, time.UTC, "Dec 31 23:59:59 h sshd[1]: x", "2025-12-31T23:59:59Z"},
		{"new year: within a day", newYear, time.UTC, "Jan  1 23:59:00 h sshd[1]: x", "2026-01-01T23:59:00Z"},
		{"new year: too far ahead", newYear, time.UTC, "Jan  2 00:20:00 h sshd[1]: x", "2025-01-02T00:20:00Z"},
		{"local zone", nov, berlin, "Nov 27 10:00:01 h sshd[1]: x", "2026-11-27T09:00:01Z"},
		{"fraction dropped", nov, time.UTC, "Nov 27 10:00:01.123456 h sshd[1]: x", "2026-11-27T10:00:01Z"},
		{"year after", nov, time.UTC, "Nov 27 2025 10:00:01 h sshd[1]: x", "2025-11-27T10:00:01Z"},
		{"weekday and year", nov, time.UTC, "Fri Nov 27 10:00:01 2025 h sshd[1]: x", "2025-11-27T10:00:01Z"},
		{"iso offset", nov, berlin, "2025-11-27T10:00:01.123456+01:00 h sshd[1]: x", "2025-11-27T09:00:01Z"},
		{"iso -05:00", nov, time.UTC, "2025-11-27T10:00:01.123-05:00 h sshd[1]: x", "2025-11-27T15:00:01Z"},
		{"iso +0100", nov, time.UTC, "2025-11-27T10:00:01+0100 h sshd[1]: x", "2025-11-27T09:00:01Z"},
		{"iso +01", nov, time.UTC, "2025-11-27T10:00:01+01 h sshd[1]: x", "2025-11-27T09:00:01Z"},
		{"iso Z", nov, berlin, "2025-11-27T10:00:01Z h sshd[1]: x", "2025-11-27T10:00:01Z"},
		{"iso no zone is local", nov, berlin, "2025-11-27T10:00:01 h sshd[1]: x", "2025-11-27T09:00:01Z"},
		{"iso space +01:00", nov, time.UTC, "2025-11-27T10:00:01 +01:00 h sshd[1]: x", "2025-11-27T09:00:01Z"},
		{"iso zone name ignored", nov, berlin, "2025-11-27T10:00:01 CET h sshd[1]: x", "2025-11-27T09:00:01Z"},
		{"iso nine digits ignore zone", nov, time.UTC, "2025-11-27T10:00:01.123456789+01:00 h sshd[1]: x", "2025-11-27T10:00:01Z"},
		{"epoch", nov, berlin, "1764237601.123 h sshd[1]: x", "2025-11-27T10:00:01.123Z"},
		{"epoch bracketed", nov, time.UTC, "[1764237601] h sshd[1]: x", "2025-11-27T10:00:01Z"},
		{"bracketed syslog", nov, time.UTC, "[Nov 27 10:00:08] h sshd[1]: x", "2026-11-27T10:00:08Z"},
		{"feb 29 in a common year", nov, time.UTC, "Feb 29 12:00:00 h sshd[1]: x", "cut"},
		{"short-full", nov, time.UTC, "Fri 2026-11-27 10:00:05 CET h sshd[1]: x", ""},
		{"rfc 5424", nov, time.UTC, "<38>1 2025-11-27T10:00:01.954167-04:00 h sshd 1 - - x", ""},
		{"no date", nov, time.UTC, "h sshd[1]: no date here 2025-11-27T10:00:01Z", ""},
		{"year out of range", nov, time.UTC, "2035-11-27T10:00:00Z h sshd[1]: x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Detector{loc: tt.loc, ref: tt.ref, years: newYearSet(2026)}
			d := c.Detect([]byte(tt.line))
			got := ""
			switch {
			case d.Valid:
				got = time.Unix(0, d.UnixNs).UTC().Format(time.RFC3339Nano)
			case d.Found:
				got = "cut"
			}
			if got != tt.want {
				t.Errorf("%q: got %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

func TestNaiveSeconds(t *testing.T) {
	for y := 1969; y <= 2101; y++ {
		for mo := 1; mo <= 12; mo++ {
			for _, d := range []int{1, 15, 28, 29, 30, 31} {
				want := time.Date(y, time.Month(mo), d, 23, 59, 58, 0, time.UTC).Unix()
				if got := naiveSeconds(y, mo, d, 23, 59, 58); got != want {
					t.Fatalf("%d-%d-%d: %d, want %d", y, mo, d, got, want)
				}
			}
		}
	}
}

// The stamp caches (same bytes, same minute) give exactly what the full
// detection gives, across the year rule's threshold, DST changes, leap
// days and seconds out of range.
func TestDateCachesSameAsSlow(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	refs := []time.Time{
		time.Date(2026, 12, 31, 23, 59, 30, 0, time.UTC),
		time.Date(2026, 3, 28, 1, 59, 0, 0, berlin),
		time.Date(2026, 10, 24, 2, 30, 17, 500, berlin),
		time.Date(2028, 2, 28, 23, 59, 59, 0, time.UTC),
	}
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	rnd := uint64(1)
	next := func(n uint64) uint64 { rnd = rnd*6364136223846793005 + 1442695040888963407; return (rnd >> 33) % n }
	for _, ref := range refs {
		for _, loc := range []*time.Location{time.UTC, berlin} {
			fast := Detector{loc: loc, ref: ref, years: newYearSet(2026)}
			slow := fast
			ts := ref.Add(-50 * time.Hour)
			for i := 0; i < 200000; i++ {
				ts = ts.Add(time.Duration(next(4)) * time.Second)
				w := ts.In(loc)
				sec := w.Second()
				if next(500) == 0 {
					sec = 60 + int(next(40)) // out of range
				}
				tail := " web1 sshd[1]: x"
				switch next(40) {
				case 0:
					tail = " 2026 web1"
				case 1:
					tail = ".123 web1"
				case 2:
					tail = " 7web1"
				}
				line := []byte(fmt.Sprintf("%s %2d %02d:%02d:%02d%s", months[w.Month()-1], w.Day(), w.Hour(), w.Minute(), sec, tail))
				if next(2) == 0 { // ISO 8601, as rsyslog's high-precision format and variants
					frac := ""
					if k := next(9); k > 0 {
						frac = fmt.Sprintf(".%09d", next(1e9))[:k+1]
					}
					zones := []string{"+00:00", "-05:00", "Z", "", "+0530", "+01:00", " UTC"}
					sep := "T"
					if next(5) == 0 {
						sep = " "
					}
					line = []byte(fmt.Sprintf("%04d-%02d-%02d%s%02d:%02d:%02d%s%s%s", w.Year(), w.Month(), w.Day(), sep, w.Hour(), w.Minute(), sec,
						frac, zones[next(uint64(len(zones)))], tail))
				}
				if got, want := fast.Detect(line), slow.detectSlow(line); got != want {
					t.Fatalf("ref %v loc %v line %q: cached %+v, full %+v", ref, loc, line, got, want)
				}
			}
		}
	}
}
