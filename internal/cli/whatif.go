package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/replay"
)

// whatIfKeys are the jail settings a --what-if may change: every
// simulated setting (jailsim.Options).
var whatIfKeys = func() []string {
	var ks []string
	for _, o := range jailsim.Options {
		ks = append(ks, o.Key)
	}
	return ks
}()

// splitWhatIf splits "k=v,k=v" into pairs; a comma not followed by a known
// key belongs to the value (ignoreip=1.2.3.4,10.0.0.0/8).
func splitWhatIf(spec string) ([][2]string, error) {
	var out [][2]string
	for _, part := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(part, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if _, known := jailsim.LookupOption(k); ok && known {
			out = append(out, [2]string{k, strings.TrimSpace(v)})
			continue
		}
		if len(out) == 0 {
			if ok {
				return nil, fmt.Errorf("unknown setting %q (settings: %s)", k, strings.Join(whatIfKeys, ", "))
			}
			return nil, fmt.Errorf("%q: want setting=value (settings: %s)", part, strings.Join(whatIfKeys, ", "))
		}
		out[len(out)-1][1] += "," + part
	}
	return out, nil
}

// whatIf builds a scenario: the configured jails that read the log with
// the settings of spec changed, set exactly as jail.local would set them
// (jails reading fail2ban.log, recidive, stay as configured).
func (js *jailSetup) whatIf(spec string) (replay.Scenario, error) {
	sc := replay.Scenario{Label: spec, Settings: map[string]any{}}
	pairs, err := splitWhatIf(spec)
	if err != nil {
		return sc, err
	}
	if len(pairs) == 0 {
		return sc, fmt.Errorf("%q: no setting", spec)
	}
	for k, base := range js.specs {
		j := base.Clone()
		in, err := filter.InputOf(j.FilterSpec())
		if err != nil {
			return sc, err
		}
		if in == filter.InputLog {
			for _, p := range pairs {
				shown, err := j.Set(p[0], p[1], "--what-if")
				if errors.Is(err, jailsim.ErrOtherFilter) {
					continue
				}
				if err != nil {
					return sc, fmt.Errorf("%q: %s: %w", spec, p[0], err)
				}
				sc.Settings[p[0]] = shown
			}
		}
		built, err := js.build(j)
		if err != nil {
			return sc, fmt.Errorf("%q: %w", spec, err)
		}
		if in != filter.InputLog {
			built = js.jails[k] // unchanged
		}
		sc.Jails = append(sc.Jails, built)
	}
	return sc, nil
}
