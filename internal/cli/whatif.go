package cli

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/filter/sshd"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/replay"
)

// whatIfKeys are the jail settings a --what-if may change.
var whatIfKeys = []string{"maxretry", "findtime", "bantime", "mode", "publickey", "counting", "ignoreip", "ignoreself",
	"bantime.increment", "bantime.factor", "bantime.multipliers", "bantime.maxtime", "bantime.rndtime", "bantime.overalljails"}

// splitWhatIf splits "k=v,k=v" into pairs; a comma not followed by a known
// key belongs to the value (ignoreip=1.2.3.4,10.0.0.0/8).
func splitWhatIf(spec string) ([][2]string, error) {
	var out [][2]string
	for _, part := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(part, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if ok && isWhatIfKey(k) {
			out = append(out, [2]string{k, strings.TrimSpace(v)})
			continue
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%q: want setting=value (settings: %s)", part, strings.Join(whatIfKeys, ", "))
		}
		out[len(out)-1][1] += "," + part
	}
	return out, nil
}

func isWhatIfKey(k string) bool {
	for _, x := range whatIfKeys {
		if k == x {
			return true
		}
	}
	return false
}

// whatIf builds a scenario: the configured sshd jails with the settings
// of spec changed (jails of other filters, recidive, stay as configured).
func whatIf(spec string, base []engine.Jail, ps parseSettings) (replay.Scenario, error) {
	sc := replay.Scenario{Label: spec, Settings: map[string]any{}}
	pairs, err := splitWhatIf(spec)
	if err != nil {
		return sc, err
	}
	if len(pairs) == 0 {
		return sc, fmt.Errorf("%q: no setting", spec)
	}
	for _, j := range base {
		orig := j.Origin
		j.Origin = map[string]string{}
		for k, v := range orig {
			j.Origin[k] = v
		}
		j.Settings.Increment.Multipliers = append([]float64(nil), j.Settings.Increment.Multipliers...)
		if j.Filter.Name == "sshd" {
			if err := applySettings(&j, pairs, sc.Settings, ps); err != nil {
				return sc, fmt.Errorf("%q: %w", spec, err)
			}
		}
		sc.Jails = append(sc.Jails, j)
	}
	return sc, nil
}

func applySettings(j *engine.Jail, pairs [][2]string, shown map[string]any, ps parseSettings) error {
	s := &j.Settings
	ignore := s.Ignore.Rules()
	self := s.Ignore.Self()
	rebuildIgnore := false
	for _, p := range pairs {
		k, v := p[0], p[1]
		j.Origin[k] = "--what-if"
		dur := func() (float64, error) {
			d, err := jailsim.ParseDuration(v)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", k, err)
			}
			shown[k] = d
			return d, nil
		}
		var err error
		switch k {
		case "maxretry":
			n, e := strconv.Atoi(v)
			if e != nil || n < 1 {
				return fmt.Errorf("maxretry: want a whole number of at least 1, not %q", v)
			}
			s.MaxRetry, shown[k] = n, n
		case "findtime":
			s.FindTime, err = dur()
		case "bantime":
			var d float64
			if d, err = dur(); err == nil {
				s.BanTime = float64(int64(d))
			}
		case "mode":
			if _, err = sshd.ParseMode(v); err == nil {
				j.Filter, shown[k] = j.Filter.With("mode", v), v
			}
		case "publickey":
			var pk sshd.PublicKey
			if pk, err = sshd.ParsePublicKey(v); err == nil {
				j.Filter, shown[k] = j.Filter.With("publickey", sshd.PublicKeyName(pk)), v
			}
		case "counting":
			if s.Counting, err = jailsim.ParseCounting(v); err == nil {
				shown[k] = v
			}
		case "ignoreip":
			ignore, rebuildIgnore, shown[k] = jailsim.SplitWords(v), true, v
		case "ignoreself":
			self, rebuildIgnore, shown[k] = jailsim.Bool(v), true, jailsim.Bool(v)
		case "bantime.increment":
			s.Increment.Enabled, shown[k] = jailsim.Bool(v), jailsim.Bool(v)
			if s.Increment.Enabled && s.Increment.Factor == 0 {
				s.Increment.Factor = 1
			}
		case "bantime.factor":
			f, e := strconv.ParseFloat(v, 64)
			if e != nil || f <= 0 {
				return fmt.Errorf("bantime.factor: want a positive number, not %q", v)
			}
			s.Increment.Factor, shown[k] = f, f
		case "bantime.multipliers":
			var ms []float64
			for _, w := range strings.Fields(v) {
				f, e := strconv.ParseFloat(w, 64)
				if e != nil {
					return fmt.Errorf("bantime.multipliers: %q is not a number", w)
				}
				ms = append(ms, f)
			}
			s.Increment.Multipliers, shown[k] = ms, ms
		case "bantime.maxtime":
			s.Increment.MaxTime, err = dur()
		case "bantime.rndtime":
			s.Increment.RndTime, err = dur()
		case "bantime.overalljails":
			s.Increment.OverallJails, shown[k] = jailsim.Bool(v), jailsim.Bool(v)
		}
		if err != nil {
			return err
		}
	}
	if rebuildIgnore {
		var addrs = selfAddrsIf(self, ps)
		ig, err := jailsim.NewIgnore(ignore, addrs, ps.hosts)
		if err != nil {
			return err
		}
		s.Ignore = ig
	}
	return nil
}

func selfAddrsIf(on bool, ps parseSettings) []netip.Addr {
	if !on {
		return nil
	}
	return selfAddrs(ps.hosts)
}
