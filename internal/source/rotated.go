package source

import (
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// rotation describes a file name as a member of a rotated set.
type rotation struct {
	base string // the live file's path: dir/auth.log
	// rank orders members oldest first: numbered rotations (.N) by
	// descending N, then date-suffixed ones (-YYYYMMDD) by ascending date,
	// then the live file.
	class int // 0 numbered, 1 dated, 2 live
	n     int64
}

func rotationOf(path string) rotation {
	p := path
	if c := compressionOf(p); c != nil {
		p = strings.TrimSuffix(p, c.suffix)
	}
	dir, name := filepath.Split(p)
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		if n, err := strconv.ParseInt(name[i+1:], 10, 64); err == nil && n >= 0 && len(name[i+1:]) < 6 {
			return rotation{base: dir + name[:i], class: 0, n: n}
		}
	}
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		d := name[i+1:]
		if len(d) == 8 || len(d) == 10 {
			if n, err := strconv.ParseInt(d, 10, 64); err == nil {
				return rotation{base: dir + name[:i], class: 1, n: n}
			}
		}
	}
	return rotation{base: dir + name, class: 2}
}

// OrderRotated orders files so that each rotated set (auth.log,
// auth.log.1, auth.log.2.gz, auth.log-20261128, ...) is read oldest first,
// at the place its first member was given; unrelated files keep the order
// given.
func OrderRotated(paths []string) []string {
	type member struct {
		path string
		r    rotation
	}
	var bases []string
	groups := map[string][]member{}
	for _, p := range paths {
		r := rotationOf(p)
		if _, ok := groups[r.base]; !ok {
			bases = append(bases, r.base)
		}
		groups[r.base] = append(groups[r.base], member{p, r})
	}
	out := make([]string, 0, len(paths))
	for _, b := range bases {
		g := groups[b]
		sort.SliceStable(g, func(i, j int) bool {
			a, c := g[i].r, g[j].r
			if a.class != c.class {
				return a.class < c.class
			}
			if a.class == 0 {
				return a.n > c.n
			}
			return a.n < c.n
		})
		for _, m := range g {
			out = append(out, m.path)
		}
	}
	return out
}
