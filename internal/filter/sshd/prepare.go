package sshd

import (
	"hash/maphash"
	"math/bits"

	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/logtime"
)

// Prepared is a line's order-independent work (see filter.Prepared).
type Prepared = filter.Prepared

// Preparer prepares lines for one parser; each goroutine needs its own.
type Preparer struct {
	p     *Parser
	dates logtime.Detector
	buf   []byte
}

// Preparer returns a preparer with the parser's current reference time
// (see SetReference).
func (p *Parser) Preparer() filter.Preparer {
	return &Preparer{p: p, dates: p.dates}
}

// Prepare does the stream-independent work on line into pr.
func (w *Preparer) Prepare(line []byte, pr *Prepared) {
	w.buf = prepare(w.p, &w.dates, line, pr, w.buf)
}

// Prepare does the stream-independent work on line (see Prepared).
func (p *Parser) Prepare(line []byte, pr *Prepared) {
	p.lineBuf = prepare(p, &p.dates, line, pr, p.lineBuf)
}

func prepare(p *Parser, dates *logtime.Detector, line []byte, pr *Prepared, scratch []byte) []byte {
	pr.Rule, pr.Joined = -1, false
	if p.rs.journal && p.opts.Stamped {
		// a journal entry's line: its time comes apart
		// (server/filtersystemd.py hands processLine the entry's date), so
		// no date is looked for in the text
		pr.Date = logtime.Result{}
		prepareContent(p.rs, line, pr)
		return scratch
	}
	pr.Date = dates.Detect(line)
	buf := line
	if pr.Date.Found {
		pre, post := line[:pr.Date.Start], line[pr.Date.End:]
		if len(pre) == 0 {
			buf = post
		} else {
			scratch = append(append(scratch[:0], pre...), post...)
			buf = scratch
			pr.Joined = true
		}
	}
	prepareContent(p.rs, buf, pr)
	return scratch
}

// prepareContent splits the date-stripped line buf into session key and
// message and finds the failregex that matches the message.
func prepareContent(rs *ruleSet, buf []byte, pr *Prepared) {
	pr.Rules, pr.Rule = rs.id, -1
	split := rs.d.splitPrefix
	if rs.journal {
		split = rs.d.splitPrefixJournal
	}
	mlfidEnd, cs, ok := split(buf)
	pr.KeyEnd, pr.Content = mlfidEnd, cs
	if !ok {
		pr.Content = -1
		return
	}
	content := buf[cs:]
	m := &pr.Match
	for set := rs.byFirst[content[0]]; set != 0; set &= set - 1 {
		i := bits.TrailingZeros64(set)
		*m = match{UserStart: -1}
		if rs.rules[i].fn(content, m) {
			pr.Rule = i
			// Work the in-order part would do, done here on all cores.
			pr.KeyHash = maphash.Bytes(keySeed, buf[:mlfidEnd])
			pr.AddrOK = false
			if m.Host.Kind == hostIP4 {
				pr.Addr, pr.AddrOK = ident.ParseIPv4(content[m.Host.Start:m.Host.End])
			}
			return
		}
	}
}

// stripped returns the line with its date cut out, as the regexes see it.
func (p *Parser) stripped(line []byte, pr *Prepared) []byte {
	if !pr.Date.Found {
		return line
	}
	if !pr.Joined {
		return line[pr.Date.End:]
	}
	return p.joined(line[:pr.Date.Start], line[pr.Date.End:])
}

// HostField returns the syslog host field of a prepared line (the first
// token after the date), if any; valid until the next call.
func (p *Parser) HostField(line []byte, pr *Prepared) []byte {
	if pr.Content < 0 {
		return nil
	}
	return hostToken(p.stripped(line, pr))
}
