// Package f2blog reads fail2ban's own log (fail2ban.log, or its syslog
// target): which jail found, banned, unbanned or restored which ID, as
// server/actions.py and server/filter.py write it. It knows no sshd
// message and no output.
package f2blog

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/logtime"
	"github.com/banscope/banscope/internal/pyre"
)

// Action is what a fail2ban.log line reports (the messages of
// server/actions.py and server/filter.py).
type Action uint8

const (
	ActNone          Action = iota
	ActFound                // [jail] Found IP[ - time]
	ActFoundBad             // [jail] Found IP, bad - time, n # -> r[, Ban] (bantime.increment)
	ActIgnore               // [jail] Ignore IP[ by ip|dns|ignoreself rule|command|...]
	ActIgnoreExpired        // [jail] Ignore IP, expired bantime
	ActBan                  // [jail] Ban IP
	ActRestoreBan           // [jail] Restore Ban IP
	ActAlreadyBanned        // [jail] IP already banned
	ActUnban                // [jail] Unban IP
	ActRepealBan            // [jail] Repeal Ban IP (1.1.1+, on stop)
	ActReban                // [jail] Reban IP[, action 'x']
	ActIncreaseBan          // [jail] Increase Ban IP (n # d -> end)
	ActAttempt              // [jail] Attempt IP - time
	numActions
)

var actionNames = [numActions]string{"none", "found", "found-bad", "ignore", "ignore-expired", "ban",
	"restore-ban", "already-banned", "unban", "repeal-ban", "reban", "increase-ban", "attempt"}

func (a Action) String() string {
	if a < numActions {
		return actionNames[a]
	}
	return "unknown"
}

// Event is one parsed fail2ban.log line. Jail is valid until the
// line's buffer changes.
type Event struct {
	Action  Action
	Jail    []byte
	ID      ident.ID
	Time    int64 // Unix ns of the log line; 0 when the line has no time
	HasTime bool
	Level   []byte
}

// f2bMessages are the messages that start with their action and carry the
// ID as the next word; a variant after the ID changes the action.
var f2bMessages = []struct {
	prefix     string
	act        Action
	variant    string
	variantAct Action
}{
	{"Found ", ActFound, ", bad", ActFoundBad},
	{"Ignore ", ActIgnore, ", expired bantime", ActIgnoreExpired},
	{"Ban ", ActBan, "", 0},
	{"Restore Ban ", ActRestoreBan, "", 0},
	{"Unban ", ActUnban, "", 0},
	{"Repeal Ban ", ActRepealBan, "", 0},
	{"Reban ", ActReban, "", 0},
	{"Increase Ban ", ActIncreaseBan, "", 0},
	{"Attempt ", ActAttempt, "", 0},
}

// Parser parses fail2ban.log lines of versions 0.9 to 1.1, written by
// the file target (`2026-11-28 03:08:34,454 fail2ban.actions [123]: NOTICE
// [sshd] Ban 1.2.3.4`) or the syslog target (`fail2ban.actions[123]: NOTICE
// ...`, possibly behind a syslog header).
type Parser struct {
	Location *time.Location
	cache    logtime.HourCache
}

// Parse reads one line; ok is false when the line reports none of the
// actions above (start-up chatter, warnings, other modules).
func (f *Parser) Parse(line []byte) (ev Event, ok bool) {
	loc := f.Location
	if loc == nil {
		loc = time.Local
	}
	i := bytes.Index(line, []byte("fail2ban."))
	if i < 0 {
		return ev, false
	}
	// The file target's asctime stands just before the logger name.
	if i >= 24 {
		if t, ok := f.asctime(line[i-24:i-1], loc); ok {
			ev.Time, ev.HasTime = t, true
		}
	}
	if !ev.HasTime && len(line) >= 23 {
		if t, ok := f.asctime(line[:23], loc); ok {
			ev.Time, ev.HasTime = t, true
		}
	}
	// logger name, padding, [pid]: LEVEL padding message
	p := i + len("fail2ban.")
	for p < len(line) && line[p] != '[' && line[p] != ' ' && line[p] != ':' {
		p++
	}
	for p < len(line) && line[p] == ' ' {
		p++
	}
	if p < len(line) && line[p] == '[' {
		e := bytes.IndexByte(line[p:], ']')
		if e < 0 {
			return ev, false
		}
		p += e + 1
	}
	if !pyre.HasPrefixAt(line, p, ": ") {
		return ev, false
	}
	p += 2
	ls := p
	for p < len(line) && line[p] >= 'A' && line[p] <= 'Z' {
		p++
	}
	ev.Level = line[ls:p]
	for p < len(line) && line[p] == ' ' {
		p++
	}
	if p >= len(line) || line[p] != '[' {
		return ev, false
	}
	je := bytes.IndexByte(line[p:], ']')
	if je < 0 {
		return ev, false
	}
	ev.Jail = line[p+1 : p+je]
	msg := line[p+je+1:]
	if len(msg) == 0 || msg[0] != ' ' {
		return ev, false
	}
	msg = msg[1:]
	var id []byte
	ok = false
	for _, m := range f2bMessages {
		if !bytes.HasPrefix(msg, []byte(m.prefix)) {
			continue
		}
		rest := msg[len(m.prefix):]
		e := bytes.IndexAny(rest, " ,")
		if e < 0 {
			e = len(rest)
		}
		id, ok, ev.Action = rest[:e], e > 0, m.act
		if ok && m.variant != "" && bytes.HasPrefix(rest[e:], []byte(m.variant)) {
			ev.Action = m.variantAct
		}
		break
	}
	if !ok {
		if t := bytes.TrimRight(msg, " "); bytes.HasSuffix(t, []byte(" already banned")) {
			id = t[:len(t)-len(" already banned")]
			ok = len(id) > 0 && bytes.IndexByte(id, ' ') < 0
			ev.Action = ActAlreadyBanned
		}
	}
	if !ok {
		return Event{}, false
	}
	if a, err := netip.ParseAddr(string(id)); err == nil && a.Zone() == "" {
		ev.ID = ident.AddrID(a)
	} else {
		ev.ID = ident.RawID(id)
	}
	return ev, true
}

// Lifecycle says whether line is fail2ban's server starting ("Starting
// Fail2ban v1.0.2", server/server.py) or exiting ("Exiting Fail2ban"),
// and when (Unix ns; 0 without a time).
func (f *Parser) Lifecycle(line []byte) (start, exit bool, t int64) {
	start = bytes.Contains(line, []byte("Starting Fail2ban v"))
	exit = !start && bytes.Contains(line, []byte("Exiting Fail2ban"))
	if !start && !exit {
		return false, false, 0
	}
	loc := f.Location
	if loc == nil {
		loc = time.Local
	}
	if i := bytes.Index(line, []byte("fail2ban.")); i >= 24 {
		if t, ok := f.asctime(line[i-24:i-1], loc); ok {
			return start, exit, t
		}
	}
	if len(line) >= 23 {
		if t, ok := f.asctime(line[:23], loc); ok {
			return start, exit, t
		}
	}
	return start, exit, 0
}

// asctime reads `YYYY-MM-DD HH:MM:SS,mmm` in loc.
func (f *Parser) asctime(b []byte, loc *time.Location) (int64, bool) {
	if len(b) != 23 || b[4] != '-' || b[7] != '-' || b[10] != ' ' || b[13] != ':' || b[16] != ':' || (b[19] != ',' && b[19] != '.') {
		return 0, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for k := i; k < i+n; k++ {
			if b[k] < '0' || b[k] > '9' {
				return 0, false
			}
			v = v*10 + int(b[k]-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	h, ok4 := num(11, 2)
	mi, ok5 := num(14, 2)
	s, ok6 := num(17, 2)
	ms, ok7 := num(20, 3)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || mo < 1 || mo > 12 || d < 1 || d > logtime.DaysIn(y, mo) || h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	return f.cache.Unix(loc, y, mo, d, h, mi, s)*logtime.NanosPerSecond + int64(ms)*(logtime.NanosPerSecond/1000), true
}
