package sshd

import (
	"hash/maphash"
	"math/bits"
	"net/netip"

	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/logtime"
)

// Prepared is the part of parsing a line that depends on nothing but the
// line and the parser's settings — its date and which failregex matched
// where — so that it can run on many lines at once, on several cores.
// Finish applies the rest (clock, sessions, resolution) in log order.
// Parse(line) is exactly Finish(line, Prepare(line)).
type Prepared struct {
	d        logtime.Result
	rule     int // index of the matched failregex, -1 for none
	m        match
	mlfidEnd int // end of the session key in the date-stripped line
	cs       int // start of the message content in it
	joined   bool
	keyHash  uint64     // hash of the session key (for the session cache)
	addr     netip.Addr // the captured IPv4 address, parsed, when addrOK
	addrOK   bool
}

// Stamp returns the line's own stamp, if it has a usable one.
func (pr *Prepared) Stamp() (int64, bool) { return pr.d.UnixNs, pr.d.Valid }

// Matched reports whether a failregex matched the line (its verdict may
// still be a helper or pending).
func (pr *Prepared) Matched() bool { return pr.rule >= 0 }

// Preparer prepares lines for one parser; each goroutine needs its own.
type Preparer struct {
	p     *Parser
	dates logtime.Detector
	buf   []byte
}

// Preparer returns a preparer with the parser's current reference time
// (see SetReference).
func (p *Parser) Preparer() *Preparer {
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
	pr.d = dates.Detect(line)
	pr.rule, pr.joined = -1, false
	buf := line
	if pr.d.Found {
		pre, post := line[:pr.d.Start], line[pr.d.End:]
		if len(pre) == 0 {
			buf = post
		} else {
			scratch = append(append(scratch[:0], pre...), post...)
			buf = scratch
			pr.joined = true
		}
	}
	prepareContent(p, buf, pr)
	return scratch
}

// prepareContent splits the date-stripped line buf into session key and
// message and finds the failregex that matches the message.
func prepareContent(p *Parser, buf []byte, pr *Prepared) {
	pr.rule = -1
	split := splitPrefix
	if p.opts.Journal {
		split = splitPrefixJournal
	}
	mlfidEnd, cs, ok := split(buf)
	pr.mlfidEnd, pr.cs = mlfidEnd, cs
	if !ok {
		pr.cs = -1
		return
	}
	content := buf[cs:]
	m := &pr.m
	for set := p.byFirst[content[0]]; set != 0; set &= set - 1 {
		i := bits.TrailingZeros64(set)
		*m = match{us: -1}
		if p.rules[i].fn(content, m) {
			pr.rule = i
			// Work the in-order part would do, done here on all cores.
			pr.keyHash = maphash.Bytes(p.sessions.seed, buf[:mlfidEnd])
			pr.addrOK = false
			if m.h.kind == hostIP4 {
				pr.addr, pr.addrOK = ident.ParseIPv4(content[m.h.vs:m.h.ve])
			}
			return
		}
	}
}

// stripped returns the line with its date cut out, as the regexes see it.
func (p *Parser) stripped(line []byte, pr *Prepared) []byte {
	if !pr.d.Found {
		return line
	}
	if !pr.joined {
		return line[pr.d.End:]
	}
	return p.joined(line[:pr.d.Start], line[pr.d.End:])
}

// HostField returns the syslog host field of a prepared line (the first
// token after the date), if any; valid until the next call.
func (p *Parser) HostField(line []byte, pr *Prepared) []byte {
	if pr.cs < 0 {
		return nil
	}
	return hostToken(p.stripped(line, pr))
}

// Options returns the parser's options.
func (p *Parser) Options() Options { return p.opts }
