package live

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/banscope/banscope/internal/numbers"
)

// warnDifferences says, at most once an hour per jail, when fail2ban.log
// and the simulation disagree a lot: the simulation's settings probably
// differ from the real jail's.
func (s *sidecar) warnDifferences(snap *numbers.Snapshot) {
	for _, o := range snap.Observed {
		if !o.Simulated {
			continue
		}
		d := o.Difference()
		if d < 0 {
			d = -d
		}
		big := max(o.Banned, o.SimulatedBanned)
		if d <= 3 || float64(d) <= 0.2*float64(big) {
			continue
		}
		if t, ok := s.warnedAt[o.Jail]; ok && snap.At.Sub(t) < time.Hour {
			continue
		}
		s.warnedAt[o.Jail] = snap.At
		s.cfg.Notice(fmt.Sprintf("WARNING: jail %s: fail2ban.log shows %d banned, the simulation %d: the simulation's settings probably differ from the real jail's (see --config and the jail flags)", o.Jail, o.Banned, o.SimulatedBanned))
	}
}

// current is the snapshot Prometheus serves at a scrape: totals and
// gauges now, the follower's lag included.
func (s *sidecar) current() *numbers.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := s.tally.Snapshot(s.eng, s.cfg.Host, s.fileTag(), s.cfg.Now(), s.cfg.Interval, false)
	if s.pos != nil && !s.cfg.Journal && s.cfg.AuthLog != "-" {
		if fi, err := os.Stat(s.cfg.AuthLog); err == nil && fi.Size() >= s.pos.Offset {
			snap.Log.Lag, snap.Log.HasLag = fi.Size()-s.pos.Offset, true
		}
	}
	if s.miss != nil {
		snap.Misses = s.miss.Counts
	}
	s.journalDisk(snap)
	return snap
}

// journalDisk sets the bytes on disk of the followed journal: the
// --journal-file (journalctl --file) given, else the system journal's
// files (/var/log/journal and /run/log/journal, rotated and .journal~
// ones included).
func (s *sidecar) journalDisk(snap *numbers.Snapshot) {
	if !s.cfg.Journal {
		return
	}
	var files []string
	for i := 0; i+1 < len(s.cfg.JournalArgs); i++ {
		if s.cfg.JournalArgs[i] == "--file" {
			files = append(files, s.cfg.JournalArgs[i+1])
		}
	}
	if len(files) == 0 {
		for _, pat := range []string{"/var/log/journal/*/*.journal*", "/run/log/journal/*/*.journal*"} {
			m, _ := filepath.Glob(pat)
			files = append(files, m...)
		}
	}
	var n int64
	found := false
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
			found = true
		}
	}
	snap.Log.Disk, snap.Log.HasDisk = n, found
}

// fileTag names the followed log in the points.
func (s *sidecar) fileTag() string {
	switch {
	case s.cfg.Journal:
		return "journal"
	case s.cfg.AuthLog == "-":
		return "stdin"
	}
	return filepath.Base(s.cfg.AuthLog)
}
