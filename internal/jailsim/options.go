package jailsim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/banscope/banscope/internal/filter"
)

// Option is one jail setting: its name in jail.conf, its default, and how
// its text is read — exactly as fail2ban reads it (client/jailreader.py,
// server/jail.py, server/mytime.py). The configuration reader, the
// command-line flags and --what-if all set a jail through Set, so they
// accept and mean the same text. Adding a setting is one entry here.
type Option struct {
	Key string
	// Default is the value when nothing sets it, as text ("" for none).
	Default string
	// Config says the option is read from the jail's configuration
	// (banscope's own settings, counting, are not).
	Config bool
	// Flag says the option has a command-line flag of its name.
	Flag bool
	// Filter, when set, makes this an option of that filter (written in
	// `filter = name[key=value]`); other jails do not have it.
	Filter string
	// Usage is the flag's help.
	Usage string
	// set reads v into j and returns the value as a report shows it.
	set func(j *JailSpec, v string) (any, error)
}

// ErrOtherFilter says an option belongs to a filter the jail does not use.
var ErrOtherFilter = errors.New("not an option of the jail's filter")

// Options are every jail setting banscope simulates, in the order the
// report lists them.
var Options = []Option{
	{Key: "maxretry", Default: "5", Config: true, Flag: true, Usage: "failures that ban (retry >= maxretry)",
		set: func(j *JailSpec, v string) (any, error) {
			n, err := atoi(v)
			if err != nil {
				return nil, fmt.Errorf("%q is not an integer", v)
			}
			j.MaxRetry = n
			return n, nil
		}},
	{Key: "findtime", Default: "10m", Config: true, Flag: true, Usage: "window of failures (600, 10m, 1h30m, 1d ...)",
		set: func(j *JailSpec, v string) (any, error) { return setDuration(&j.FindTime, v) }},
	{Key: "bantime", Default: "10m", Config: true, Flag: true, Usage: "length of a ban (-1 for permanent)",
		set: func(j *JailSpec, v string) (any, error) {
			d, err := ParseDuration(v)
			if err != nil {
				return nil, err
			}
			j.BanTime = float64(int64(d)) // BanManager.setBanTime stores int()
			return j.BanTime, nil
		}},
	{Key: "ignoreip", Config: true, Flag: true, Usage: "addresses, CIDR, netmasks, host names never banned (space or comma separated)",
		set: func(j *JailSpec, v string) (any, error) {
			j.IgnoreIP = splitWords(v)
			return v, nil
		}},
	{Key: "ignoreself", Default: "true", Config: true, Flag: true, Usage: "never ban this host's own addresses (true or false)",
		set: func(j *JailSpec, v string) (any, error) { return setBool(&j.IgnoreSelf, v) }},
	{Key: "mode", Default: "normal", Config: true, Flag: true, Filter: "sshd", Usage: "sshd filter mode: normal, ddos, extra or aggressive",
		set: func(j *JailSpec, v string) (any, error) { return setFilterOption(j, "mode", v) }},
	{Key: "publickey", Default: "nofail", Config: true, Flag: true, Filter: "sshd", Usage: "sshd filter publickey option: nofail, invalid, any or ignore",
		set: func(j *JailSpec, v string) (any, error) { return setFilterOption(j, "publickey", v) }},
	{Key: "counting", Default: "fail2ban", Flag: true, Usage: "fail2ban (>= 0.10.6), reset (older fail2ban) or sliding (textbook window)",
		set: func(j *JailSpec, v string) (any, error) {
			c, err := ParseCounting(strings.TrimSpace(v))
			if err != nil {
				return nil, err
			}
			j.Counting = c
			return c.String(), nil
		}},
	{Key: "bantime.increment", Default: "false", Config: true, Usage: "longer bans for addresses banned before",
		set: func(j *JailSpec, v string) (any, error) { return setBool(&j.Increment.Enabled, v) }},
	{Key: "bantime.factor", Default: "1", Config: true, Usage: "factor of the increment formula (a number, as Python evaluates it)",
		set: func(j *JailSpec, v string) (any, error) {
			if strings.TrimSpace(v) == "" {
				v = "1" // server/jail.py: an empty value unsets it
			}
			f, err := parseNumber(v)
			if err != nil {
				return nil, err
			}
			j.Increment.Factor = f
			return f, nil
		}},
	{Key: "bantime.multipliers", Config: true, Usage: "whole numbers replacing the formula: the n-th ban lasts bantime x factor x the n-th",
		set: func(j *JailSpec, v string) (any, error) {
			var ms []float64
			for _, w := range strings.Fields(v) {
				n, err := strconv.Atoi(w) // server/jail.py: int(i)
				if err != nil {
					return nil, fmt.Errorf("%q is not an integer", w)
				}
				ms = append(ms, float64(n))
			}
			j.Increment.Multipliers = ms
			return ms, nil
		}},
	{Key: "bantime.maxtime", Config: true, Usage: "longest incremented ban",
		set: func(j *JailSpec, v string) (any, error) { return setOptDuration(&j.Increment.MaxTime, v) }},
	{Key: "bantime.rndtime", Config: true, Usage: "random time added to an incremented ban",
		set: func(j *JailSpec, v string) (any, error) { return setOptDuration(&j.Increment.RndTime, v) }},
	{Key: "bantime.overalljails", Default: "false", Config: true, Usage: "count earlier bans of every jail",
		set: func(j *JailSpec, v string) (any, error) { return setBool(&j.Increment.OverallJails, v) }},
}

// LookupOption returns the option of a key.
func LookupOption(key string) (*Option, bool) {
	for i := range Options {
		if Options[i].Key == key {
			return &Options[i], true
		}
	}
	return nil, false
}

// NewJailSpec returns a jail of the given filter with every option at its
// default (fail2ban's when neither the jail nor [DEFAULT] sets it).
func NewJailSpec(name, filterName string) JailSpec {
	j := JailSpec{Name: name, Filter: filterName, FilterOpts: map[string]string{}, Origin: map[string]string{}}
	for _, o := range Options {
		if o.Filter != "" && o.Filter != filterName {
			continue
		}
		if _, err := o.set(&j, o.Default); err != nil {
			panic(fmt.Sprintf("jail option %s: default %q: %v", o.Key, o.Default, err))
		}
	}
	return j
}

// Set sets option key to the text v, as fail2ban would read it, and
// records where it came from. It returns the value as read (durations in
// seconds), for showing; ErrOtherFilter when the option belongs to
// another filter.
func (j *JailSpec) Set(key, v, origin string) (any, error) {
	o, ok := LookupOption(key)
	if !ok {
		return nil, fmt.Errorf("unknown setting %q", key)
	}
	if o.Filter != "" && o.Filter != j.Filter {
		return nil, ErrOtherFilter
	}
	shown, err := o.set(j, v)
	if err != nil {
		return nil, err
	}
	if j.Origin == nil {
		j.Origin = map[string]string{}
	}
	j.Origin[key] = origin
	return shown, nil
}

// Clone returns a copy of j that shares nothing with it.
func (j JailSpec) Clone() JailSpec {
	c := j
	c.FilterOpts = cloneMap(j.FilterOpts)
	c.Origin = cloneMap(j.Origin)
	c.IgnoreIP = append([]string(nil), j.IgnoreIP...)
	c.LogPath = append([]string(nil), j.LogPath...)
	c.Unsupported = append([]string(nil), j.Unsupported...)
	c.Increment.Multipliers = append([]float64(nil), j.Increment.Multipliers...)
	return c
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// FilterSpec is the jail's filter as the engine makes it.
func (j JailSpec) FilterSpec() filter.Spec {
	return filter.Spec{Name: j.Filter, Params: cloneMap(j.FilterOpts)}
}

func setDuration(dst *float64, v string) (any, error) {
	d, err := ParseDuration(v)
	if err != nil {
		return nil, err
	}
	*dst = d
	return d, nil
}

// setOptDuration reads a duration that may be unset (empty: none).
func setOptDuration(dst *float64, v string) (any, error) {
	if strings.TrimSpace(v) == "" {
		*dst = 0
		return 0.0, nil
	}
	return setDuration(dst, v)
}

func setBool(dst *bool, v string) (any, error) {
	*dst = Bool(v)
	return *dst, nil
}

// setFilterOption sets an option of the jail's filter, checked by the
// filter itself.
func setFilterOption(j *JailSpec, key, v string) (any, error) {
	v = strings.TrimSpace(v)
	spec := j.FilterSpec().With(key, v)
	if filter.Known(spec.Name) {
		if _, err := filter.New(spec, filter.Options{}); err != nil {
			return nil, err
		}
	}
	if j.FilterOpts == nil {
		j.FilterOpts = map[string]string{}
	}
	j.FilterOpts[key] = v
	return v, nil
}

// parseNumber reads a number as Python's eval reads bantime.factor: an
// arithmetic expression of numbers (no units).
func parseNumber(v string) (float64, error) {
	if strings.IndexFunc(v, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0 {
		return 0, fmt.Errorf("%q is not a number", v)
	}
	f, err := ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", v)
	}
	return f, nil
}
