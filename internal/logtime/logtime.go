// Package logtime finds and converts the stamp at the start of a log line
// as fail2ban's DateDetector does (server/datedetector.py,
// server/strptime.py), and holds the named time units the project uses.
// It knows no log format beyond the stamp.
package logtime

import (
	"bytes"
	"math"
	"time"

	"github.com/banscope/banscope/internal/pyre"
)

// Date detection as fail2ban's DateDetector does it with datepattern
// {^LN-BEG}: the date must start the line, after at most two non-word
// characters, and must end at a word boundary. Supported templates, in
// fail2ban's order: ISO 8601 (rsyslog RFC 3339, journalctl short-iso),
// RFC 3164 (`Nov 28 03:01:07`, optional weekday, fraction and year),
// `Mmm DD YYYY HH:MM:SS`, and Unix epoch. fail2ban's rarer templates
// (dd/mm/yyyy, time-only, MySQL, TAI64N, zone-prefixed) are not detected.

// Result describes the date found at the start of a line.
type Result struct {
	Found      bool  // a template matched: Start:End is cut out of the line
	Start, End int   // span of the date text
	Valid      bool  // the date converted to a time
	UnixNs     int64 // the time, when Valid
}

// Detector finds stamps for one stream. It never reads the clock: the
// reference time for year-less stamps is an input (SetReference). A copy
// is independent of the original (each goroutine of a parallel parse has
// its own).
type Detector struct {
	loc     *time.Location
	ref     time.Time // reference "now" for year-less stamps (strptime.py: reGroupDictStrptime)
	refYear int       // year forced for year-less stamps (0: infer from ref)
	years   yearSet   // accepted four-digit years (fail2ban's %ExY)
	cache   HourCache
	last    struct { // the last syslog stamp detected (see detectDate)
		key [32]byte
		n   uint8
		r   Result
	}
	isoMin struct { // a minute and layout of ISO 8601 stamps (see learnISO)
		tmpl    [64]byte
		e       int // end of the stamp
		fracEnd int // end of its fraction's digits (20 without one)
		base    int64
		ok      bool
	}
	min struct { // a minute of "Mmm dd hh:mm:ss" stamps (see learnMinute)
		key  [13]byte
		base int64
		ok   bool
	}
	refInfo struct { // ref in loc: its year and wall clock read as UTC
		year    int
		naiveNs int64
		ok      bool
	}
	memo struct { // the last yearless stamp converted (for this ref)
		key [5]int
		v   int64
		ok  bool
	}
}

// NewDetector returns a detector that reads zone-less stamps in loc,
// gives year-less stamps a year from ref (fail2ban's rule) or forceYear
// when it is not zero, and accepts the four-digit years fail2ban accepts
// in currentYear (zero: ref's year).
func NewDetector(loc *time.Location, ref time.Time, forceYear, currentYear int) Detector {
	if loc == nil {
		loc = time.Local
	}
	if currentYear == 0 {
		currentYear = ref.Year()
	}
	return Detector{loc: loc, ref: ref, refYear: forceYear, years: newYearSet(currentYear)}
}

// SetReference changes the reference time for year-less stamps (e.g. the
// modification time of the next file of a replay).
func (c *Detector) SetReference(t time.Time) {
	c.ref = t
	c.memo.ok = false
	c.last.n = 0
	c.refInfo.ok = false
	c.min.ok = false
	c.isoMin.ok = false
}

// yearSet reproduces %ExY: 20[0-2]\d in 2026, built from the current year.
type yearSet struct{ lo, hi int }

func newYearSet(now int) yearSet {
	// fail2ban accepts the decades of 2000..now and of now-1..now+3.
	hi := (now+3)/10*10 + 9
	return yearSet{lo: 2000, hi: hi}
}

func (y yearSet) ok(v int) bool { return v >= y.lo && v <= y.hi }

// HourCache remembers the Unix time of one local hour, so that converting
// a stamp costs arithmetic rather than a zone lookup.
type HourCache struct {
	y, m, d, h int
	loc        *time.Location
	base       int64
}

// Unix returns the Unix seconds of a local time in loc.
func (c *HourCache) Unix(loc *time.Location, y, m, d, h, mi, sec int) int64 {
	if c.loc != loc || c.y != y || c.m != m || c.d != d || c.h != h {
		c.y, c.m, c.d, c.h, c.loc = y, m, d, h, loc
		c.base = time.Date(y, time.Month(m), d, h, 0, 0, 0, loc).Unix()
	}
	return c.base + int64(mi*60+sec)
}

func digitAt(s []byte, p int) bool { return p < len(s) && s[p] >= '0' && s[p] <= '9' }

// digits reads up to max ASCII digits at p.
func digits(s []byte, p, max int) (v, end int) {
	end = p
	for end < len(s) && end-p < max && digitAt(s, end) {
		v = v*10 + int(s[end]-'0')
		end++
	}
	return v, end
}

// wordEnd is the template's trailing (?=\b|\W|$) after a date that ends in
// a word character.
func wordEnd(s []byte, p int) bool { return p >= len(s) || pyre.Is(s, p, pyre.Word) == 0 }

// Detect finds the date at the start of line.
func (c *Detector) Detect(line []byte) Result {
	// Consecutive lines mostly start with the same syslog stamp. The
	// result is reused only when the line starts with the very bytes the
	// previous detection examined: a month or day name (no ISO template
	// can start there), a stamp without a fraction, then a space and a
	// non-digit (no year follows), so the detection would take the same
	// path over the same bytes.
	if n := int(c.last.n); n > 0 && len(line) >= n && string(line[:n]) == string(c.last.key[:n]) {
		return c.last.r
	}
	// The same minute as a recent "Mmm dd hh:mm:ss" stamp, another second.
	if c.min.ok && len(line) >= 17 && string(line[:13]) == string(c.min.key[:]) && plainSecond(line) {
		sec := int64(line[13]-'0')*10 + int64(line[14]-'0')
		r := Result{Found: true, Start: 0, End: 15, Valid: true, UnixNs: c.min.base + sec*1e9}
		c.remember(line, r)
		return r
	}
	// The same minute as a recent ISO 8601 stamp of the same layout.
	if c.isoMin.ok && c.isoHit(line) {
		sec := int64(line[17]-'0')*10 + int64(line[18]-'0')
		return Result{Found: true, Start: 0, End: c.isoMin.e, Valid: true, UnixNs: c.isoMin.base + sec*1e9}
	}
	r := c.detectSlow(line)
	c.remember(line, r)
	if r.Valid && r.Start == 0 && r.End == 15 && len(line) >= 17 && plainSecond(line) && !(c.min.ok && string(line[:13]) == string(c.min.key[:])) {
		c.learnMinute(line)
	}
	if e := r.End; r.Valid && r.Start == 0 && e >= 19 && e+1 < len(line) && e < len(c.isoMin.tmpl) && line[e] == ' ' && quietAfter(line[e+1]) && isoShape(line) {
		c.learnISO(line, e)
	}
	return r
}

// isoShape reports whether line starts "YYYY-MM-DDThh:mm:ss" (or with a
// space for the T) with a second of 00-59.
func isoShape(line []byte) bool {
	if len(line) < 19 || line[4] != '-' || line[7] != '-' || (line[10] != 'T' && line[10] != ' ') || line[13] != ':' || line[16] != ':' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if !digitAt(line, i) {
			return false
		}
	}
	return line[17] <= '5'
}

// quietAfter reports whether b, the byte after the space that follows an
// ISO stamp, ends the detection there: no zone (Z, UTC, GMT, +, -) and no
// further space can start at it, so nothing beyond it is examined.
func quietAfter(b byte) bool {
	switch b {
	case 'Z', 'U', 'G', '+', '-', ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f:
		return false
	}
	return b < 0x80
}

// isoHit reports whether line has the cached ISO layout in the cached
// minute: the same first 17 bytes, then, up to and including the space
// after the stamp, digits where the template has digits and the same
// bytes elsewhere, then a quiet byte (fraction digits and the second vary;
// the path the full detection takes over those bytes does not).
func (c *Detector) isoHit(line []byte) bool {
	n := c.isoMin.e + 1
	t := c.isoMin.tmpl[:n]
	if len(line) <= n || string(line[:17]) != string(t[:17]) || line[17] > '5' || !quietAfter(line[n]) {
		return false
	}
	if !isDigit(line[18]) {
		return false
	}
	// the fraction's digits vary; everything else (the zone) is as cached
	f := c.isoMin.fracEnd
	for i := 20; i < f; i++ {
		if !isDigit(line[i]) {
			return false
		}
	}
	return string(line[19:20]) == string(t[19:20]) && string(line[f:n]) == string(t[f:n])
}

func isDigit(b byte) bool { return b-'0' < 10 }

// learnISO caches the minute and layout of an ISO 8601 stamp ending at e
// when the full detection, run on the same bytes with seconds 00 and 59,
// gives times exactly 59 s apart.
func (c *Detector) learnISO(line []byte, e int) {
	c.isoMin.ok = false
	n := e + 1
	probe := c.isoMin.tmpl[:n]
	copy(probe, line[:n])
	probe[17], probe[18] = '0', '0'
	r0 := c.detectSlow(probe)
	probe[17], probe[18] = '5', '9'
	r59 := c.detectSlow(probe)
	copy(probe, line[:n])
	if !r0.Valid || !r59.Valid || r0.Start != 0 || r0.End != e || r59.Start != 0 || r59.End != e || r59.UnixNs-r0.UnixNs != 59e9 {
		return
	}
	f := 20
	if line[19] == '.' || line[19] == ',' {
		for f < e && isDigit(line[f]) {
			f++
		}
	}
	c.isoMin.e, c.isoMin.fracEnd, c.isoMin.base, c.isoMin.ok = e, f, r0.UnixNs, true
}

// plainSecond reports whether line[13:17] is two digits of a second
// (00-59), a space and a non-digit: the stamp ends there, without year.
func plainSecond(line []byte) bool {
	return line[12] == ':' && line[13] >= '0' && line[13] <= '5' && digitAt(line, 14) && line[15] == ' ' && !digitAt(line, 16)
}

// remember keeps r for lines starting with the bytes its detection
// examined (see detectDate).
func (c *Detector) remember(line []byte, r Result) {
	c.last.n = 0
	if e := r.End; r.Found && r.Start == 0 && e+2 <= len(c.last.key) && e+2 <= len(line) &&
		line[e] == ' ' && !digitAt(line, e+1) && asciiLetter(line[0]) && bytes.IndexByte(line[:e], '.') < 0 {
		c.last.n = uint8(e + 2)
		copy(c.last.key[:], line[:e+2])
		c.last.r = r
	}
}

// learnMinute caches the minute of a "Mmm dd hh:mm:ss" stamp when the
// full detection, run on its seconds 00 and 59, gives times exactly 59 s
// apart: every second of the minute then converts by addition (the year
// rule is monotonic in the stamp, and a minute lies within an hour).
func (c *Detector) learnMinute(line []byte) {
	c.min.ok = false
	if !asciiLetter(line[0]) || bytes.IndexByte(line[:15], '.') >= 0 {
		return
	}
	var probe [17]byte
	copy(probe[:], line[:17])
	probe[13], probe[14] = '0', '0'
	r0 := c.detectSlow(probe[:])
	probe[13], probe[14] = '5', '9'
	r59 := c.detectSlow(probe[:])
	if !r0.Valid || !r59.Valid || r0.Start != 0 || r0.End != 15 || r59.Start != 0 || r59.End != 15 || r59.UnixNs-r0.UnixNs != 59e9 {
		return
	}
	copy(c.min.key[:], line[:13])
	c.min.base, c.min.ok = r0.UnixNs, true
}

func asciiLetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

func (c *Detector) detectSlow(line []byte) Result {
	// ^(?:\W{0,2})?  -- the date itself starts with a word character.
	p := 0
	for k := 0; k < 2 && p < len(line); k++ {
		n := pyre.Not(line, p, pyre.Word)
		if n == 0 {
			break
		}
		p += n
	}
	if p >= len(line) {
		return Result{}
	}
	if r, ok := c.iso(line, p); ok {
		return r
	}
	if r, ok := c.syslog(line, p); ok {
		return r
	}
	if r, ok := c.epoch(line, p); ok {
		return r
	}
	return Result{}
}

// field1or2 parses a 1-2 digit field that must be followed by a non-digit.
func field1or2(s []byte, p int) (v, end int, ok bool) {
	v, end = digits(s, p, 3)
	n := end - p
	return v, end, n == 1 || n == 2
}

func validMonthText(s []byte, p, end int) bool {
	// %m: 0?[1-9]|1[0-2]
	v, _ := digits(s, p, end-p)
	if end-p == 2 && s[p] != '0' && s[p] != '1' {
		return false
	}
	return v >= 1 && v <= 12
}

// validDay reports whether s[p:end] is a %d: [1-2]\d|[0 ]?[1-9]|3[0-1].
func validDay(s []byte, p, end int) bool {
	switch end - p {
	case 1:
		return s[p] >= '1' && s[p] <= '9'
	case 2:
		a, b := s[p], s[p+1]
		switch {
		case a == '1' || a == '2':
			return true
		case a == '0' || a == ' ':
			return b >= '1' && b <= '9'
		case a == '3':
			return b == '0' || b == '1'
		}
	}
	return false
}

// dayField parses %d at p: the candidates are tried as the regex would.
func dayField(s []byte, p int) (v, end int, ok bool) {
	if p < len(s) && s[p] == ' ' {
		if digitAt(s, p+1) && !digitAt(s, p+2) && s[p+1] != '0' {
			return int(s[p+1] - '0'), p + 2, true
		}
		return 0, p, false
	}
	v, end, ok = field1or2(s, p)
	if !ok || !validDay(s, p, end) {
		return 0, p, false
	}
	return v, end, true
}

// hmsTail parses [H]H:[M]M:[S]S where H is either %H or %k (kfmt).
func hms(s []byte, p int, kfmt bool) (h, mi, sec, end int, ok bool) {
	if kfmt && p < len(s) && s[p] == ' ' && digitAt(s, p+1) {
		p++
	}
	h, e, ok := field1or2(s, p)
	if !ok || e >= len(s) || s[e] != ':' {
		return
	}
	if kfmt {
		if e-p == 2 && s[p] > '2' { // [0-2]?\d
			return 0, 0, 0, 0, false
		}
	} else if e-p == 2 && !(s[p] <= '1' || (s[p] == '2' && s[p+1] <= '3')) { // [0-1]?\d|2[0-3]
		return 0, 0, 0, 0, false
	}
	mi, e2, ok := field1or2(s, e+1)
	if !ok || e2 >= len(s) || s[e2] != ':' || (e2-e-1 == 2 && s[e+1] > '5') {
		return 0, 0, 0, 0, false
	}
	sec, e3, ok := field1or2(s, e2+1)
	if !ok || (e3-e2-1 == 2 && s[e2+1] > '6') || (e3-e2-1 == 2 && s[e2+1] == '6' && s[e2+2] > '1') {
		return 0, 0, 0, 0, false
	}
	return h, mi, sec, e3, true
}

// fraction returns the end of [.,]?[0-9]{1,6} candidates, longest first.
func fractionEnds(s []byte, p int, seps string) (ends [6]int, n int) {
	if p >= len(s) {
		return
	}
	okSep := false
	for i := 0; i < len(seps); i++ {
		if s[p] == seps[i] {
			okSep = true
		}
	}
	if !okSep {
		return
	}
	_, e := digits(s, p+1, 6)
	for x := e; x > p+1; x-- {
		ends[n] = x
		n++
	}
	return
}

// zone matches %z at p: Z|UTC|GMT|[+-][01]\d(?::?\d{2})? with candidate
// ends, longest first, and the offset in minutes.
func zone(s []byte, p int) (ends [2]int, offs [2]int, n int) {
	switch {
	case pyre.HasPrefixAt(s, p, "Z"):
		return [2]int{p + 1}, [2]int{0}, 1
	case pyre.HasPrefixAt(s, p, "UTC"), pyre.HasPrefixAt(s, p, "GMT"):
		return [2]int{p + 3}, [2]int{0}, 1
	}
	if p+3 > len(s) || (s[p] != '+' && s[p] != '-') || (s[p+1] != '0' && s[p+1] != '1') || !digitAt(s, p+2) {
		return
	}
	sign := 1
	if s[p] == '-' {
		sign = -1
	}
	hh := int(s[p+1]-'0')*10 + int(s[p+2]-'0')
	q := p + 3
	if q < len(s) && s[q] == ':' {
		q++
	}
	if digitAt(s, q) && digitAt(s, q+1) {
		mm := int(s[q]-'0')*10 + int(s[q+1]-'0')
		ends[n], offs[n] = q+2, sign*(hh*60+mm)
		n++
	}
	ends[n], offs[n] = p+3, sign*hh*60
	n++
	return
}

// iso: %ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?
func (c *Detector) iso(s []byte, p int) (Result, bool) {
	y, e := digits(s, p, 4)
	if e-p != 4 || !c.years.ok(y) || e >= len(s) {
		return Result{}, false
	}
	sep := s[e]
	if sep != '-' && sep != '/' && sep != '.' {
		return Result{}, false
	}
	mo, e2, ok := field1or2(s, e+1)
	if !ok || !validMonthText(s, e+1, e2) || e2 >= len(s) || s[e2] != sep {
		return Result{}, false
	}
	d, e3, ok := field1or2(s, e2+1)
	if !ok || !validDay(s, e2+1, e3) || e3 >= len(s) {
		return Result{}, false
	}
	q := e3
	switch {
	case s[q] == 'T':
		q++
	case s[q] == ' ':
		q++
		if q < len(s) && s[q] == ' ' && !digitAt(s, q) {
			q++
		}
	default:
		return Result{}, false
	}
	h, mi, sec, e4, ok := hms(s, q, false)
	if !ok {
		return Result{}, false
	}
	fr, nfr := fractionEnds(s, e4, ".,")
	try := func(end int) (Result, bool) {
		// (?:\s*%z)? greedy, then the word-end check.
		w := pyre.SpanIs(s, end, pyre.Space)
		zends, zoffs, nz := zone(s, w)
		for i := 0; i < nz; i++ {
			if wordEnd(s, zends[i]) {
				t := c.utc(y, mo, d, h, mi, sec, zoffs[i])
				return c.result(p, zends[i], t), true
			}
		}
		if wordEnd(s, end) {
			return c.result(p, end, c.local(y, mo, d, h, mi, sec)), true
		}
		return Result{}, false
	}
	for i := 0; i < nfr; i++ {
		if r, ok := try(fr[i]); ok {
			return r, true
		}
	}
	return try(e4)
}

func (c *Detector) result(s, e int, t int64, ok ...bool) Result {
	if t == badTime {
		return Result{Found: true, Start: s, End: e}
	}
	return Result{Found: true, Start: s, End: e, Valid: true, UnixNs: t}
}

const badTime = -1 << 63

// DaysIn returns the number of days of month m of year y.
func DaysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func (c *Detector) utc(y, mo, d, h, mi, sec, offMin int) int64 {
	if d > DaysIn(y, mo) || h > 23 || sec > 59 {
		return badTime
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC).Unix() - int64(offMin)*60
	return t * 1e9
}

func (c *Detector) local(y, mo, d, h, mi, sec int) int64 {
	if d > DaysIn(y, mo) || h > 23 || sec > 59 {
		return badTime
	}
	return c.cache.Unix(c.loc, y, mo, d, h, mi, sec) * 1e9
}

var monthNames = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
var dayNames = [7]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

func lower3(s []byte, p int) (a, b, c byte, ok bool) {
	if p+3 > len(s) {
		return 0, 0, 0, false
	}
	return s[p] | 0x20, s[p+1] | 0x20, s[p+2] | 0x20, true
}

func nameIndex(s []byte, p int, names []string) int {
	a, b, c, ok := lower3(s, p)
	if !ok {
		return -1
	}
	for i, n := range names {
		if a == n[0] && b == n[1] && c == n[2] {
			return i
		}
	}
	return -1
}

// syslog: (?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?  and
//
//	(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?
func (c *Detector) syslog(s []byte, p int) (Result, bool) {
	q := p
	if nameIndex(s, q, dayNames[:]) >= 0 && q+3 < len(s) && s[q+3] == ' ' && nameIndex(s, q+4, monthNames[:]) >= 0 {
		q += 4
	}
	mi := nameIndex(s, q, monthNames[:])
	if mi < 0 || q+3 >= len(s) || s[q+3] != ' ' {
		return Result{}, false
	}
	mo := mi + 1
	d, e, ok := dayField(s, q+4)
	if !ok || e >= len(s) || s[e] != ' ' {
		return Result{}, false
	}
	// Template 2: %k:%M:%S(?:\.%f)?(?: %ExY)?
	if h, mn, sec, e2, ok := hms(s, e+1, true); ok {
		fr, nfr := fractionEnds(s, e2, ".")
		try := func(end int) (Result, bool) {
			if pyre.HasPrefixAt(s, end, " ") {
				if y, ye := digits(s, end+1, 4); ye-end-1 == 4 && c.years.ok(y) && wordEnd(s, ye) {
					return c.result(p, ye, c.local(y, mo, d, h, mn, sec)), true
				}
			}
			if wordEnd(s, end) {
				return c.result(p, end, c.yearless(mo, d, h, mn, sec)), true
			}
			return Result{}, false
		}
		for i := 0; i < nfr; i++ {
			if r, ok := try(fr[i]); ok {
				return r, true
			}
		}
		if r, ok := try(e2); ok {
			return r, true
		}
	}
	// Template 3: %ExY %k:%M:%S(?:\.%f)?
	y, ye := digits(s, e+1, 4)
	if ye-e-1 != 4 || !c.years.ok(y) || ye >= len(s) || s[ye] != ' ' {
		return Result{}, false
	}
	h, mn, sec, e2, ok := hms(s, ye+1, true)
	if !ok {
		return Result{}, false
	}
	fr, nfr := fractionEnds(s, e2, ".")
	for i := 0; i < nfr; i++ {
		if wordEnd(s, fr[i]) {
			return c.result(p, fr[i], c.local(y, mo, d, h, mn, sec)), true
		}
	}
	if wordEnd(s, e2) {
		return c.result(p, e2, c.local(y, mo, d, h, mn, sec)), true
	}
	return Result{}, false
}

// yearless applies fail2ban's rule for stamps without a year: the year of
// the reference time, or the year before when that puts the stamp more than
// a day after the reference (compared as local wall-clock times).
func (c *Detector) yearless(mo, d, h, mi, sec int) int64 {
	// Consecutive lines mostly share their stamp: remember the last one.
	key := [5]int{mo, d, h, mi, sec}
	if c.memo.ok && c.memo.key == key {
		return c.memo.v
	}
	v := c.yearlessSlow(mo, d, h, mi, sec)
	c.memo.key, c.memo.v, c.memo.ok = key, v, true
	return v
}

func (c *Detector) yearlessSlow(mo, d, h, mi, sec int) int64 {
	if c.refYear != 0 {
		return c.local(c.refYear, mo, d, h, mi, sec)
	}
	if !c.refInfo.ok {
		ref := c.ref.In(c.loc)
		c.refInfo.year = ref.Year()
		c.refInfo.naiveNs = naiveSeconds(ref.Year(), int(ref.Month()), ref.Day(), ref.Hour(), ref.Minute(), ref.Second())*1e9 +
			int64(ref.Nanosecond())
		c.refInfo.ok = true
	}
	y := c.refInfo.year
	if d > DaysIn(y, mo) || h > 23 || sec > 59 {
		return badTime
	}
	// Naive local comparison: stamp > ref + 1 day.
	if naiveSeconds(y, mo, d, h, mi, sec)*1e9 > c.refInfo.naiveNs+86400e9 {
		y--
		if d > DaysIn(y, mo) {
			return badTime
		}
	}
	return c.local(y, mo, d, h, mi, sec)
}

// epoch: ((?P<square>(?<=^\[))?\d{10,11}\b(?:\.\d{3,6})?)(?(square)(?=\]))
func (c *Detector) epoch(s []byte, p int) (Result, bool) {
	v, e := digits(s, p, 12)
	n := e - p
	if n < 10 || n > 11 || !wordEnd(s, e) {
		return Result{}, false
	}
	square := p == 1 && s[0] == '['
	ns := int64(v) * 1e9
	end := e
	if e < len(s) && s[e] == '.' {
		f, fe := digits(s, e+1, 6)
		k := fe - e - 1
		if k >= 3 {
			// greedy \d{3,6}: only the full run can satisfy the checks
			// that follow (a further digit is a word character).
			cand := fe
			frac := f
			for i := k; i < 9; i++ {
				frac *= 10
			}
			if (!square || (cand < len(s) && s[cand] == ']')) && wordEnd(s, cand) {
				return Result{Found: true, Start: p, End: cand, Valid: true, UnixNs: ns + int64(frac)}, true
			}
		}
	}
	if square && !(end < len(s) && s[end] == ']') {
		return Result{}, false
	}
	return Result{Found: true, Start: p, End: end, Valid: true, UnixNs: ns}, true
}

// naiveSeconds reads a wall-clock time as if it were UTC (time.Date with
// time.UTC, normalising out-of-range fields the same way), in seconds.
func naiveSeconds(y, mo, d, h, mi, sec int) int64 {
	// Days from 1970-01-01 to the civil date, March-based years.
	yy := int64(y)
	m := int64(mo)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era--
	}
	yoe := yy - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := era*146097 + doe - 719468
	return days*86400 + int64(h)*3600 + int64(mi)*60 + int64(sec)
}

// Units. fail2ban's clock is float seconds since the epoch
// (server/mytime.py: MyTime.time()); lines carry Unix nanoseconds.
// Conversions between the two go through these, never a bare 1e9.

// Seconds is a time or duration in fail2ban's float seconds.
type Seconds = float64

// NanosPerSecond is the number of nanoseconds in a second.
const NanosPerSecond = 1e9

// FromNanos converts Unix nanoseconds to fail2ban's seconds.
func FromNanos(ns int64) Seconds { return float64(ns) / NanosPerSecond }

// ToNanos converts fail2ban's seconds to Unix nanoseconds.
func ToNanos(s Seconds) int64 { return int64(s * NanosPerSecond) }

// FromTime converts a wall-clock time to fail2ban's seconds.
func FromTime(t time.Time) Seconds { return FromNanos(t.UnixNano()) }

// AppendRFC3339 appends a time in fail2ban's seconds as RFC 3339 UTC
// (microseconds, as fail2ban keeps them); a permanent ban's end is
// 9999-12-31T23:59:59Z.
func AppendRFC3339(b []byte, t Seconds) []byte {
	if math.IsInf(t, 0) || t >= 0x7FFFFFFFFFFF {
		return append(b, "9999-12-31T23:59:59Z"...)
	}
	s, f := math.Modf(t)
	return time.Unix(int64(s), int64(math.Round(f*1e6))*1000).UTC().AppendFormat(b, time.RFC3339Nano)
}
