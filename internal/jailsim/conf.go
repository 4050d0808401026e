package jailsim

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// fail2ban's configuration, read the way fail2ban-client reads it
// (client/configreader.py, client/jailreader.py): jail.conf, jail.d/*.conf, jail.local, jail.d/*.local,
// each with its [INCLUDES] (before/after, each include followed by its
// .local), merged option by option; [DEFAULT] as the fallback of every
// section; %(name)s, %(section/option)s, %(default/option)s and
// %(known/option)s interpolation.

// Config is a merged set of fail2ban configuration files.
type Config struct {
	Dir      string
	Files    []string // files read, in order
	defaults map[string]value
	sections map[string]map[string]value
	known    map[string]map[string]value // previous values, for %(known/x)s
	order    []string                    // section names in first-seen order
}

// value is a raw option value and where it was set.
type value struct {
	v    string
	file string
	line int
}

// LoadConfig reads the jail configuration under dir.
func LoadConfig(dir string) (*Config, error) { return loadNamed(dir, "jail") }

// ServerSettings reads what bantime.increment needs from fail2ban.conf and
// fail2ban.local: whether there is a database, and its purge age.
func ServerSettings(dir string) (hasDB bool, purgeAge float64, err error) {
	c, err := loadNamed(dir, "fail2ban")
	if err != nil {
		return true, DefaultDBPurgeAge, nil // fail2ban's defaults: a database, 1d
	}
	hasDB, purgeAge = true, DefaultDBPurgeAge
	if v, _, ok, err := c.Get("Definition", "dbfile"); err != nil {
		return false, 0, err
	} else if ok && strings.EqualFold(strings.TrimSpace(v), "none") {
		hasDB = false
	}
	if v, origin, ok, err := c.Get("Definition", "dbpurgeage"); err != nil {
		return false, 0, err
	} else if ok {
		if purgeAge, err = ParseDuration(v); err != nil {
			return false, 0, fmt.Errorf("%s: dbpurgeage: %w", origin, err)
		}
	}
	return hasDB, purgeAge, nil
}

func loadNamed(dir, name string) (*Config, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("fail2ban configuration: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("fail2ban configuration %s: not a directory", dir)
	}
	c := &Config{Dir: dir, defaults: map[string]value{}, sections: map[string]map[string]value{}, known: map[string]map[string]value{}}
	base := filepath.Join(dir, name)
	var files []string
	files = append(files, base+".conf")
	g, _ := filepath.Glob(base + ".d/*.conf")
	sort.Strings(g)
	files = append(files, g...)
	files = append(files, base+".local")
	g, _ = filepath.Glob(base + ".d/*.local")
	sort.Strings(g)
	files = append(files, g...)
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	if len(existing) == 0 {
		return nil, fmt.Errorf("fail2ban configuration %s: no %s.conf or %s.local", dir, name, name)
	}
	var all []string
	for _, f := range existing {
		inc, err := c.includes(f, nil)
		if err != nil {
			return nil, err
		}
		for _, x := range inc {
			if !contains(all, x) {
				all = append(all, x)
			}
		}
	}
	for _, f := range all {
		if err := c.readFile(f); err != nil {
			return nil, err
		}
	}
	c.Files = all
	return c, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

type rawFile struct {
	defaults map[string]value
	sections map[string]map[string]value
	order    []string
}

// includes expands a file's [INCLUDES] before/after, recursively.
func (c *Config) includes(path string, seen []string) ([]string, error) {
	rf, err := parseINI(path)
	if err != nil {
		return nil, err
	}
	var out []string
	dir := filepath.Dir(path)
	inc := rf.sections["INCLUDES"]
	expand := func(opt string) error {
		v, ok := inc[opt]
		if !ok {
			return nil
		}
		for _, name := range strings.Split(v.v, "\n") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if !filepath.IsAbs(name) {
				name = filepath.Join(dir, name)
			}
			if contains(seen, name) || name == path {
				continue
			}
			for _, f := range withLocal(name) {
				if _, err := os.Stat(f); err != nil {
					continue
				}
				sub, err := c.includes(f, append(seen, path))
				if err != nil {
					return err
				}
				out = append(out, sub...)
			}
		}
		return nil
	}
	if err := expand("before"); err != nil {
		return nil, err
	}
	out = append(out, path)
	if err := expand("after"); err != nil {
		return nil, err
	}
	return out, nil
}

func withLocal(name string) []string {
	out := []string{name}
	if strings.HasSuffix(name, ".conf") {
		out = append(out, strings.TrimSuffix(name, ".conf")+".local")
	}
	return out
}

// parseINI reads one file with Python configparser's syntax as fail2ban
// sets it up: '#'/';' comments, ' ;' inline comments, indented
// continuation lines, '=' or ':' separators, case-insensitive option names.
func parseINI(path string) (*rawFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	rf := &rawFile{defaults: map[string]value{}, sections: map[string]map[string]value{}}
	var cur map[string]value
	var lastKey string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxConfigLine)
	n := 0
	for sc.Scan() {
		n++
		raw := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(raw)
		if trimmed == "" {
			lastKey = "" // an empty line ends a value in fail2ban's parser
			continue
		}
		if trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		if raw[0] == ' ' || raw[0] == '\t' {
			if cur == nil || lastKey == "" {
				return nil, fmt.Errorf("%s:%d: continuation line without an option", path, n)
			}
			v := cur[lastKey]
			v.v += "\n" + stripInline(trimmed)
			cur[lastKey] = v
			continue
		}
		if trimmed[0] == '[' {
			e := strings.IndexByte(trimmed, ']')
			if e < 0 {
				return nil, fmt.Errorf("%s:%d: section header without ']': %q", path, n, trimmed)
			}
			name := trimmed[1:e]
			if name == "DEFAULT" {
				cur = rf.defaults
			} else {
				if rf.sections[name] == nil {
					rf.sections[name] = map[string]value{}
					rf.order = append(rf.order, name)
				}
				cur = rf.sections[name]
			}
			lastKey = ""
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("%s:%d: option outside any section: %q", path, n, trimmed)
		}
		i := strings.IndexAny(trimmed, "=:")
		if i <= 0 {
			return nil, fmt.Errorf("%s:%d: expected 'option = value', got %q", path, n, trimmed)
		}
		key := strings.ToLower(strings.TrimSpace(trimmed[:i]))
		cur[key] = value{v: stripInline(strings.TrimSpace(trimmed[i+1:])), file: path, line: n}
		lastKey = key
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, fmt.Errorf("%s:%d: a line longer than %d bytes", path, n+1, maxConfigLine)
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return rf, nil
}

// maxConfigLine is the longest configuration line read.
const maxConfigLine = 1 << 20

func stripInline(s string) string {
	for i := 1; i < len(s); i++ {
		if s[i] == ';' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}

func (c *Config) readFile(path string) error {
	rf, err := parseINI(path)
	if err != nil {
		return err
	}
	for k, v := range rf.defaults {
		c.defaults[k] = v
	}
	for _, name := range rf.order {
		s := rf.sections[name]
		dst, ok := c.sections[name]
		if !ok {
			dst = map[string]value{}
			c.sections[name] = dst
			c.order = append(c.order, name)
		} else {
			kn := c.known[name]
			if kn == nil {
				kn = map[string]value{}
				c.known[name] = kn
			}
			for k := range s {
				if old, ok := dst[k]; ok {
					kn[k] = old
				}
			}
		}
		for k, v := range s {
			dst[k] = v
		}
	}
	return nil
}

// Sections lists the sections (jails, filters' sections are not read) in
// the order they first appeared.
func (c *Config) Sections() []string {
	var out []string
	for _, s := range c.order {
		if s != "INCLUDES" && s != "Definition" && s != "Init" {
			out = append(out, s)
		}
	}
	return out
}

// Get returns an option of a section, interpolated, and where it was set
// ("file:line"). ok is false when neither the section nor [DEFAULT] has it.
func (c *Config) Get(section, option string) (v, origin string, ok bool, err error) {
	option = strings.ToLower(option)
	raw, ok := c.lookup(section, option)
	if !ok {
		return "", "", false, nil
	}
	budget := maxInterpolated
	v, err = c.interpolate(section, raw.v, 0, &budget)
	if err != nil {
		return "", "", true, fmt.Errorf("%s:%d: [%s] %s: %w", raw.file, raw.line, section, option, err)
	}
	return v, fmt.Sprintf("%s:%d", raw.file, raw.line), true, nil
}

func (c *Config) lookup(section, option string) (value, bool) {
	if s, ok := c.sections[section]; ok {
		if v, ok := s[option]; ok {
			return v, true
		}
	}
	v, ok := c.defaults[option]
	return v, ok
}

var injected = map[string]string{"fail2ban_version": "1.0.2"}

// maxInterpolated bounds the text one option's interpolation may write,
// at every level together: `a = %(b)s%(b)s`, `b = %(c)s%(c)s`, … grows
// exponentially, and a few hundred bytes of configuration must not take
// gigabytes.
const maxInterpolated = 1 << 20

// interpolate expands s; budget is what may still be written.
func (c *Config) interpolate(section, s string, depth int, budget *int) (string, error) {
	if *budget -= len(s); *budget < 0 {
		return "", fmt.Errorf("interpolation grows beyond %d bytes (an exponential %%(name)s expansion?)", maxInterpolated)
	}
	if !strings.Contains(s, "%") {
		return s, nil
	}
	if depth > 10 {
		return "", fmt.Errorf("interpolation too deep (a loop?) in %q", s)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		if i+1 >= len(s) || s[i+1] != '(' {
			return "", fmt.Errorf("'%%' must be followed by '%%' or '(' in %q", s)
		}
		e := strings.Index(s[i:], ")s")
		if e < 0 {
			return "", fmt.Errorf("bad interpolation syntax in %q", s)
		}
		name := strings.ToLower(s[i+2 : i+e])
		i += e + 1
		var raw value
		var ok bool
		sec := section
		switch {
		case name == "__name__":
			b.WriteString(section)
			continue
		case name == "fail2ban_confpath":
			b.WriteString(c.Dir)
			continue
		case strings.Contains(name, "/"):
			k := strings.LastIndexByte(name, '/')
			src, opt := name[:k], name[k+1:]
			switch src {
			case "default":
				raw, ok = c.defaults[opt]
			case "known":
				raw, ok = c.known[section][opt]
				if !ok {
					raw, ok = c.defaults[opt]
				}
			default:
				for _, s := range c.order {
					if strings.EqualFold(s, src) {
						raw, ok = c.sections[s][opt]
						sec = s
					}
				}
				if !ok {
					raw, ok = c.defaults[opt]
				}
			}
		default:
			raw, ok = c.lookup(section, name)
			if !ok {
				if v, inj := injected[name]; inj {
					b.WriteString(v)
					continue
				}
			}
		}
		if !ok {
			return "", fmt.Errorf("no option %q to interpolate", name)
		}
		v, err := c.interpolate(sec, raw.v, depth+1, budget)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// Bool reads a boolean as fail2ban does: 1, on, true, yes are true.
func Bool(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "on", "true", "yes":
		return true
	}
	return false
}

// splitWords splits on spaces, commas and newlines (helpers.splitwords).
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == '\t' })
}

// atoi reads an integer option.
func atoi(s string) (int, error) { return strconv.Atoi(strings.TrimSpace(s)) }
