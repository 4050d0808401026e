package replay

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/banscope/banscope/internal/geo"
)

// What the text and HTML reports say alike, written once.

// unlocatedLine says what the ZZ row's addresses are.
func unlocatedLine(c geo.Row) string {
	var parts []string
	for _, k := range geo.Kinds {
		if kr, ok := c.Kinds[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %d (%d IPs, %d bans)", k, kr.Failures, kr.IPs, kr.Bans))
		}
	}
	return fmt.Sprintf("ZZ, not located: %d failures: %s", c.Failures, strings.Join(parts, ", "))
}

// label is a durations bar's name: "≤ 10m", "longer", "permanent".
func (d DurationRow) label() string {
	if d.Seconds == 0 {
		return d.UpTo
	}
	return "≤ " + d.UpTo
}

// leftText is how long a ban in force at the end has left.
func (b BanRow) leftText() string {
	if b.Left == nil {
		return "permanent"
	}
	return duration(math.Round(*b.Left))
}

// jailNames are the compared jails, sorted.
func (c *Comparison) jailNames() []string {
	names := make([]string, 0, len(c.Jails))
	for n := range c.Jails {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// causes are a jail's likely causes, the most frequent first.
func (j *JailComparison) causes() []string {
	out := make([]string, 0, len(j.Causes))
	for cause := range j.Causes {
		out = append(out, cause)
	}
	sort.Slice(out, func(x, y int) bool {
		return j.Causes[out[x]] > j.Causes[out[y]] || (j.Causes[out[x]] == j.Causes[out[y]] && out[x] < out[y])
	})
	return out
}

// whileBanned says what the failures made while fail2ban.log had their
// address banned mean, with the top addresses (safe makes log text
// displayable); "" when there are none.
func (c *Comparison) whileBanned(safe func(string) string) string {
	if c.FailuresWhileBanned == 0 {
		return ""
	}
	var ips []string
	for _, r := range c.WhileBannedTop {
		ips = append(ips, fmt.Sprintf("%s %s", safe(r.IP), count(r.Failures, r.Error)))
	}
	return fmt.Sprintf("%d failures came from addresses fail2ban.log had banned at the time: its ban action did not keep them from sshd (or blocked other ports): %s",
		c.FailuresWhileBanned, strings.Join(ips, ", "))
}
