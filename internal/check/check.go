// Package check is `banscope check`, the fast equivalent of
// fail2ban-regex: every line of the given files gets the verdict of
// fail2ban's sshd filter with server semantics, summarised as text or
// listed as JSON lines.
package check

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/banscope/banscope/internal/distinct"
	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/filter/sshd"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/jsonw"
	"github.com/banscope/banscope/internal/misses"
	"github.com/banscope/banscope/internal/numbers"
	"github.com/banscope/banscope/internal/pipeline"
	"github.com/banscope/banscope/internal/source"
)

// Config is what `banscope check` was asked to do.
type Config struct {
	Files     []string // "-" is standard input
	Mode      sshd.Mode
	PublicKey sshd.PublicKey
	Format    string // "text" or "jsonl"
	Location  *time.Location
	Year      int       // forces the year of year-less stamps
	Now       time.Time // wall clock: reference for stdin, and fail2ban's accepted years
	MaxLine   int
	Hosts     *ident.Hosts
	Fail2ban  f2bversion.Choice // the release whose filter is simulated
	// Journal: the inputs are journal entries (journalctl -o json or -o
	// export), read as fail2ban's systemd backend builds their lines.
	Journal bool
	// Warn receives a warning for standard error (the simulated fail2ban
	// is blind to most of the log's failures).
	Warn  func(string)
	Stdin io.Reader
	// Workers is the number of goroutines preparing lines (0: one per core).
	Workers int
}

// summary counts what was read.
type summary struct {
	Files       int
	Lines       int64 // lines read (complete lines, over-long ones included)
	Bytes       int64
	TooLong     int64 // over the cap: skipped
	NoTimestamp int64 // non-empty lines without a recognisable stamp
	InvalidUTF8 int64 // lines with invalid UTF-8 or NUL bytes (parsed anyway)
	Malformed   int64 // lines with any of the three (numbers.LineState.Malformed), each once
	Partial     int64 // unterminated last lines, not read (fail2ban waits for the newline)
	BadEntries  int64 // journal entries that could not be read (skipped)
	Matched     int64 // lines some failregex matched
	Failures    int64 // counted failures (one per ID)
	Pending     int64
	Helpers     int64
	Unresolved  int64
	ByKind      []int64       // by filter.Kind
	IPs         distinct.Set  // exact up to 4096 addresses, then estimated (bounded memory)
	Misses      misses.Counts // what the simulated fail2ban does not see
	First, Last int64         // stamps of the first and last failure
}

// Run reads the files and writes the report to w.
func Run(cfg Config, w io.Writer) error {
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	if cfg.Stdin == nil {
		cfg.Stdin = os.Stdin
	}
	p := sshd.New(sshd.Options{Mode: cfg.Mode, PublicKey: cfg.PublicKey, Options: filter.Options{Location: cfg.Location, Reference: cfg.Now, Year: cfg.Year, CurrentYear: cfg.Now.Year(), Hosts: cfg.Hosts, LogClock: true, Fail2ban: cfg.Fail2ban.Version, Journal: cfg.Journal, Stamped: cfg.Journal}})
	sum := &summary{ByKind: make([]int64, len(p.Kinds()))}
	miss, err := misses.New(p.Spec(), sshd.OptionsOf(p))
	if err != nil {
		return err
	}
	filters := []filter.Filter{p}
	if miss.Newer != nil {
		filters = append(filters, miss.Newer)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	var out []byte
	jsonl := cfg.Format == "jsonl"
	var seen [4096]ident.ID // direct-mapped: IDs already in sum.IPs
	rd := &pipeline.Reader{Filters: filters, Workers: cfg.Workers, MaxLine: cfg.MaxLine, Stamped: cfg.Journal}
	for _, name := range cfg.Files {
		in, err := source.OpenInput(name, cfg.Stdin, cfg.Now, cfg.Journal, "check")
		if err != nil {
			return err
		}
		r, ref := io.Reader(in), in.Ref
		p.SetReference(ref)
		if miss.Newer != nil {
			miss.Newer.SetReference(ref)
		}
		sum.Files++
		rd.Run(r, func(l *pipeline.Line) {
			sum.Lines++
			if l.Status == source.TooLong {
				sum.TooLong++
				sum.Malformed++
				return
			}
			line := l.Text
			sum.Bytes += int64(len(line)) + 1
			ev := p.Finish(line, &l.Pre[0])
			var npre *filter.Prepared
			if len(l.Pre) > 1 {
				npre = &l.Pre[1]
			}
			miss.Line(line, ev, npre, -1, 0, false)
			st := numbers.LineState{InvalidUTF8: l.InvalidUTF8 || l.NUL, NoStamp: !ev.HasStamp && len(line) > 0}
			if st.InvalidUTF8 {
				sum.InvalidUTF8++
			}
			if st.NoStamp {
				sum.NoTimestamp++
			}
			if st.Malformed() {
				sum.Malformed++
			}
			switch ev.Verdict {
			case filter.Irrelevant:
				return
			case filter.Helper:
				sum.Helpers++
			case filter.Pending:
				sum.Pending++
			case filter.Unresolved:
				sum.Unresolved++
			case filter.Failure:
				for _, id := range ev.IDs {
					sum.Failures++
					sum.ByKind[ev.Kind]++
					// attackers come back: skip the set for a recent one
					if m := &seen[distinct.Hash(id)&uint64(len(seen)-1)]; *m != id {
						sum.IPs.Add(id)
						*m = id
					}
					if sum.First == 0 || ev.Time < sum.First {
						sum.First = ev.Time
					}
					if ev.Time > sum.Last {
						sum.Last = ev.Time
					}
					if jsonl {
						out = appendJSONL(out[:0], sum.Lines, ev, id)
						bw.Write(out)
					}
				}
			}
			sum.Matched++
		})
		if rd.Unterminated() {
			sum.Partial++
		}
		err = rd.Err()
		if j := in.Journal; j != nil && j.Bad > 0 {
			sum.BadEntries += j.Bad
			if cfg.Warn != nil {
				cfg.Warn(fmt.Sprintf("read %s: %d of %d journal entries could not be read (no timestamp, not an entry, or a field over 16 MiB): skipped",
					name, j.Bad, j.Bad+j.Entries))
			}
		}
		in.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
	sum.Misses = miss.Counts
	if !jsonl {
		writeText(bw, cfg, sum)
	}
	if w := sum.Misses.Warning(); w != "" && cfg.Warn != nil {
		cfg.Warn(w)
	}
	return bw.Flush()
}

func appendJSONL(b []byte, n int64, ev *filter.Event, id ident.ID) []byte {
	b = append(b, `{"line":`...)
	b = strconv.AppendInt(b, n, 10)
	if ev.Time == 0 {
		b = append(b, `,"time":null,"ip":`...) // no stamp yet, no clock: fail2ban-regex would say "now"
	} else {
		b = append(b, `,"time":"`...)
		b = time.Unix(0, ev.Time).UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","ip":`...)
	}
	b = jsonw.AppendString(b, id.String())
	b = append(b, `,"kind":"`...)
	b = append(b, sshd.KindName(ev.Kind)...)
	b = append(b, '"')
	if len(ev.User) > 0 {
		b = append(b, `,"user":`...)
		b = jsonw.AppendString(b, string(ev.User))
	}
	return append(b, "}\n"...)
}

func writeText(w io.Writer, cfg Config, s *summary) {
	fmt.Fprintf(w, "banscope check: sshd filter of fail2ban %s (%s), mode %s\n", cfg.Fail2ban.Version.Or(), cfg.Fail2ban.Why, cfg.Mode)
	fmt.Fprintf(w, "files:              %d\n", s.Files)
	fmt.Fprintf(w, "lines read:         %d\n", s.Lines)
	fmt.Fprintf(w, "lines matched:      %d (failures, helpers, pending, unresolved)\n", s.Matched)
	fmt.Fprintf(w, "failures counted:   %d\n", s.Failures)
	if s.IPs.Exact() {
		fmt.Fprintf(w, "distinct IPs:       %d\n", s.IPs.Count())
	} else {
		fmt.Fprintf(w, "distinct IPs:       %d (estimated: more than %d)\n", s.IPs.Count(), distinct.ExactLimit)
	}
	if s.Failures > 0 {
		fmt.Fprintf(w, "first failure:      %s\n", time.Unix(0, s.First).UTC().Format(time.RFC3339))
		fmt.Fprintf(w, "last failure:       %s\n", time.Unix(0, s.Last).UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "helper lines:       %d (no failure by themselves)\n", s.Helpers)
	fmt.Fprintf(w, "pending failures:   %d (no address in their session)\n", s.Pending)
	fmt.Fprintf(w, "unresolved hosts:   %d\n", s.Unresolved)
	if s.BadEntries > 0 {
		fmt.Fprintf(w, "unreadable journal entries: %d (skipped)\n", s.BadEntries)
	}
	fmt.Fprintf(w, "malformed lines:    %d (too long, skipped: %d; no timestamp: %d; invalid UTF-8/NUL, parsed: %d)\n",
		s.Malformed, s.TooLong, s.NoTimestamp, s.InvalidUTF8)
	if s.Partial > 0 {
		fmt.Fprintf(w, "unterminated lines: %d (not read, as fail2ban waits for the newline)\n", s.Partial)
	}
	type kc struct {
		k sshd.Kind
		n int64
	}
	var ks []kc
	for k, n := range s.ByKind {
		if n > 0 && k > 0 {
			ks = append(ks, kc{sshd.Kind(k), n})
		}
	}
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].n > ks[j].n })
	if len(ks) > 0 {
		fmt.Fprintf(w, "failures by kind:\n")
		for _, x := range ks {
			fmt.Fprintf(w, "  %-24s %d\n", sshd.KindName(x.k), x.n)
		}
	}
	writeMisses(w, &s.Misses)
}

// writeMisses is the summary's "what fail2ban misses" part: never mixed
// into the counts above.
func writeMisses(w io.Writer, m *misses.Counts) {
	if m.Dropped() == 0 && m.Unseen == 0 && m.Simulated == m.Newest {
		return
	}
	fmt.Fprintf(w, "what fail2ban misses (not in the counts above):\n")
	if m.Simulated != m.Newest {
		fmt.Fprintf(w, "  failures fail2ban %s would count: %d\n", m.Newest, m.Unseen)
	}
	if n := m.Dropped(); n > 0 {
		fmt.Fprintf(w, "  connections sshd dropped itself: %d\n", n)
		for _, r := range misses.Reasons() {
			if d := m.Drops[r]; d > 0 {
				fmt.Fprintf(w, "    %-24s %d\n", r, d)
			}
		}
	}
	if s := m.Warning(); s != "" {
		fmt.Fprintf(w, "warning: %s\n", s)
	}
}
