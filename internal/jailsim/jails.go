package jailsim

import (
	"fmt"
	"strings"

	"github.com/banscope/banscope/internal/filter"
)

// JailSpec is an enabled jail as the configuration defines it.
type JailSpec struct {
	Name       string
	Filter     string            // filter name, e.g. "sshd"
	FilterOpts map[string]string // e.g. mode=aggressive
	MaxRetry   int
	FindTime   float64
	BanTime    float64
	IgnoreIP   []string
	IgnoreSelf bool
	LogPath    []string
	Increment  Increment
	Origin     map[string]string // option -> "file:line" or "default"
	// Unsupported lists settings banscope cannot honour for this jail.
	Unsupported []string
}

// Jail defaults when neither the jail nor [DEFAULT] sets them
// (fail2ban's JailReader defaults).
const (
	defaultMaxRetry = 5
	defaultFindTime = 600
	defaultBanTime  = 600
)

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

func (c *Config) jail(name string) (JailSpec, error) {
	j := JailSpec{Name: name, MaxRetry: defaultMaxRetry, FindTime: defaultFindTime, BanTime: defaultBanTime,
		IgnoreSelf: true, Origin: map[string]string{}}
	get := func(opt string) (string, bool, error) {
		v, origin, ok, err := c.Get(name, opt)
		if ok && err == nil {
			j.Origin[opt] = origin
		}
		return v, ok, err
	}
	f, ok, err := get("filter")
	if err != nil {
		return j, err
	}
	if !ok {
		f = name
	}
	spec, err := filter.ParseSpec(f)
	j.Filter, j.FilterOpts = spec.Name, spec.Params
	if err != nil {
		return j, fmt.Errorf("jail %s: filter: %w", name, err)
	}
	if v, ok, err := get("maxretry"); err != nil {
		return j, err
	} else if ok {
		n, err := atoi(v)
		if err != nil {
			return j, fmt.Errorf("%s: jail %s: maxretry %q is not an integer", j.Origin["maxretry"], name, v)
		}
		j.MaxRetry = n
	}
	for _, o := range []struct {
		opt string
		dst *float64
	}{{"findtime", &j.FindTime}, {"bantime", &j.BanTime}} {
		v, ok, err := get(o.opt)
		if err != nil {
			return j, err
		}
		if !ok {
			j.Origin[o.opt] = "default"
			continue
		}
		d, err := ParseDuration(v)
		if err != nil {
			return j, fmt.Errorf("%s: jail %s: %s: %w", j.Origin[o.opt], name, o.opt, err)
		}
		*o.dst = d
	}
	// bantime is stored with int() (BanManager.setBanTime).
	j.BanTime = float64(int64(j.BanTime))
	if v, ok, err := get("ignoreip"); err != nil {
		return j, err
	} else if ok {
		j.IgnoreIP = SplitWords(v)
	}
	if v, ok, err := get("ignoreself"); err != nil {
		return j, err
	} else if ok {
		j.IgnoreSelf = Bool(v)
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
			j.Unsupported = append(j.Unsupported, fmt.Sprintf("%s (%s)", opt, j.Origin[opt]))
		}
	}
	if v, ok, _ := get("usedns"); ok && !strings.EqualFold(strings.TrimSpace(v), "warn") && !strings.EqualFold(strings.TrimSpace(v), "yes") {
		j.Unsupported = append(j.Unsupported, fmt.Sprintf("usedns = %s (%s)", v, j.Origin["usedns"]))
	}
	if err := c.increment(name, &j, get); err != nil {
		return j, err
	}
	return j, nil
}

func (c *Config) increment(name string, j *JailSpec, get func(string) (string, bool, error)) error {
	v, ok, err := get("bantime.increment")
	if err != nil || !ok || !Bool(v) {
		return err
	}
	in := Increment{Enabled: true, Factor: 1}
	if v, ok, err := get("bantime.factor"); err != nil {
		return err
	} else if ok && strings.TrimSpace(v) != "" {
		f, err := ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s: jail %s: bantime.factor: %w", j.Origin["bantime.factor"], name, err)
		}
		in.Factor = f
	}
	if v, ok, err := get("bantime.multipliers"); err != nil {
		return err
	} else if ok {
		for _, w := range strings.Fields(v) {
			n, err := atoi(w)
			if err != nil {
				return fmt.Errorf("%s: jail %s: bantime.multipliers: %q is not an integer", j.Origin["bantime.multipliers"], name, w)
			}
			in.Multipliers = append(in.Multipliers, float64(n))
		}
	}
	for _, o := range []struct {
		opt string
		dst *float64
	}{{"bantime.maxtime", &in.MaxTime}, {"bantime.rndtime", &in.RndTime}} {
		v, ok, err := get(o.opt)
		if err != nil {
			return err
		}
		if ok && strings.TrimSpace(v) != "" {
			d, err := ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s: jail %s: %s: %w", j.Origin[o.opt], name, o.opt, err)
			}
			*o.dst = d
		}
	}
	if v, ok, err := get("bantime.overalljails"); err != nil {
		return err
	} else if ok {
		in.OverallJails = Bool(v)
	}
	const defaultFormula = "ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor"
	if v, ok, _ := get("bantime.formula"); ok && strings.TrimSpace(v) != "" && strings.TrimSpace(v) != defaultFormula && len(in.Multipliers) == 0 {
		j.Unsupported = append(j.Unsupported, fmt.Sprintf("bantime.formula (%s; the default formula is used)", j.Origin["bantime.formula"]))
	}
	j.Increment = in
	return nil
}
