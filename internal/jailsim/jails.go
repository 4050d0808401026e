package jailsim

import (
	"errors"
	"fmt"
	"strings"

	"github.com/banscope/banscope/internal/filter"
)

// JailSpec is a jail's settings as configured: the configuration, then
// flags and what-ifs, set it option by option (Options, Set); the engine
// runs what is built from it.
type JailSpec struct {
	Name       string
	Filter     string            // filter name, e.g. "sshd"
	FilterOpts map[string]string // the filter's options, e.g. mode=aggressive
	MaxRetry   int
	FindTime   float64
	BanTime    float64
	IgnoreIP   []string
	IgnoreSelf bool
	Counting   Counting
	LogPath    []string
	// Backend is the jail's backend (auto, polling, pyinotify, systemd,
	// with any [options]) and JournalMatch its journalmatch, as written;
	// empty when the configuration sets none.
	Backend, JournalMatch string
	Increment             Increment
	Origin                map[string]string // option -> "file:line", "--flag", "--what-if"; absent: default
	// Unsupported lists settings banscope cannot honour for this jail.
	Unsupported []string
}

// DefaultDBPurgeAge is fail2ban.conf's dbpurgeage default: how long the
// ban database remembers a ban (1d).
const DefaultDBPurgeAge = 86400

// EnabledJails returns the enabled jails, in configuration order.
func (c *Config) EnabledJails() ([]JailSpec, error) {
	var out []JailSpec
	for _, name := range c.Sections() {
		en, _, ok, err := c.Get(name, "enabled")
		if err != nil {
			return nil, err
		}
		if !ok || !Bool(en) {
			continue
		}
		j, err := c.jail(name)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// Jail returns the jail of a section whether it is enabled or not; ok is
// false when the configuration has no such section.
func (c *Config) Jail(name string) (j JailSpec, ok bool, err error) {
	for _, s := range c.Sections() {
		if s == name {
			j, err = c.jail(name)
			return j, true, err
		}
	}
	return JailSpec{}, false, nil
}

func (c *Config) jail(name string) (JailSpec, error) {
	origins := map[string]string{}
	get := func(opt string) (string, bool, error) {
		v, origin, ok, err := c.Get(name, opt)
		if ok && err == nil {
			origins[opt] = origin
		}
		return v, ok, err
	}
	f, ok, err := get("filter")
	if err != nil {
		return JailSpec{}, err
	}
	if !ok {
		f = name
	}
	spec, err := filter.ParseSpec(f)
	if err != nil {
		return JailSpec{}, fmt.Errorf("jail %s: filter: %w", name, err)
	}
	j := NewJailSpec(name, spec.Name)
	for _, o := range Options {
		if !o.Config {
			continue
		}
		var v string
		var ok bool
		if o.Filter != "" {
			// a filter's option is written in the filter line
			if v, ok = spec.Params[o.Key]; ok {
				origins[o.Key] = origins["filter"]
			}
		} else if v, ok, err = get(o.Key); err != nil {
			return j, err
		}
		if !ok {
			continue
		}
		if _, err := j.Set(o.Key, v, origins[o.Key]); err != nil && !errors.Is(err, ErrOtherFilter) {
			return j, fmt.Errorf("%s: jail %s: %s: %w", origins[o.Key], name, o.Key, err)
		}
	}
	for k, v := range spec.Params {
		if _, ok := j.FilterOpts[k]; !ok {
			j.FilterOpts[k] = v
		}
	}
	if v, ok, err := get("backend"); err != nil {
		return j, err
	} else if ok {
		j.Backend = strings.TrimSpace(v)
	}
	if v, ok, err := get("journalmatch"); err != nil {
		return j, err
	} else if ok {
		j.JournalMatch = strings.TrimSpace(v)
	}
	if v, ok, err := get("logpath"); err != nil {
		return j, err
	} else if ok {
		for _, l := range strings.Split(v, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				j.LogPath = append(j.LogPath, l)
			}
		}
	}
	for _, opt := range []string{"failregex", "ignoreregex", "datepattern", "prefregex", "ignorecommand", "logtimezone", "logencoding"} {
		if v, ok, _ := get(opt); ok && strings.TrimSpace(v) != "" && !(opt == "logencoding" && strings.EqualFold(v, "auto")) {
			j.Unsupported = append(j.Unsupported, fmt.Sprintf("%s (%s)", opt, origins[opt]))
		}
	}
	if v, ok, _ := get("usedns"); ok && !strings.EqualFold(strings.TrimSpace(v), "warn") && !strings.EqualFold(strings.TrimSpace(v), "yes") {
		j.Unsupported = append(j.Unsupported, fmt.Sprintf("usedns = %s (%s)", v, origins["usedns"]))
	}
	const defaultFormula = "ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor"
	if v, ok, _ := get("bantime.formula"); ok && j.Increment.Enabled && strings.TrimSpace(v) != "" && strings.TrimSpace(v) != defaultFormula && len(j.Increment.Multipliers) == 0 {
		j.Unsupported = append(j.Unsupported, fmt.Sprintf("bantime.formula (%s; the default formula is used)", origins["bantime.formula"]))
	}
	for k, v := range origins {
		if _, set := j.Origin[k]; !set {
			j.Origin[k] = v
		}
	}
	return j, nil
}
