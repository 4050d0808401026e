package f2bversion

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// The stock filter.d/sshd.conf of each release, as the SHA-256 (first 16
// hex digits) of each line with its trailing white space removed, in file
// order. Only the digests are kept: a local file is compared line by line
// without banscope carrying fail2ban's text. stock_sshd.go is written by
// `go test ./internal/f2bversion -run TestStockDigests -update` from the
// releases' own files (the installed 1.0.2, and 1.1.0-8 and 1.1.1-1
// unpacked by scripts/fetch-debs); the test checks it against them.

// LineDigest is the digest of one line as the stock tables hold it.
func LineDigest(line string) string {
	s := sha256.Sum256([]byte(strings.TrimRight(line, " \t\r")))
	return hex.EncodeToString(s[:8])
}

// Diff is how a filter.d/sshd.conf differs from a release's stock file.
type Diff struct {
	// Changed are the local file's lines (1-based numbers, text) that the
	// stock file does not have.
	Changed []Line
	// Missing counts the stock lines the local file lacks.
	Missing int
}

// Line is one line of a file.
type Line struct {
	N    int
	Text string
}

// Stock reports whether the stock tables know release v.
func Stock(v Version) bool { _, ok := stockSSHD[v.Or()]; return ok }

// DiffSSHDConf compares a filter.d/sshd.conf with release v's stock file.
// Comment and blank lines are compared too (a stock file is byte for byte
// the release's), but only lines that can change the filter are reported
// as changed: not comments, not blank lines.
func DiffSSHDConf(v Version, content string) Diff {
	stock := stockSSHD[v.Or()]
	have := map[string]int{}
	for _, d := range stock {
		have[d]++
	}
	var d Diff
	local := map[string]int{}
	for i, l := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
		h := LineDigest(l)
		local[h]++
		if have[h] >= local[h] {
			continue
		}
		if t := strings.TrimSpace(l); t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		d.Changed = append(d.Changed, Line{N: i + 1, Text: l})
	}
	for h, n := range have {
		if local[h] < n {
			d.Missing += n - local[h]
		}
	}
	return d
}
