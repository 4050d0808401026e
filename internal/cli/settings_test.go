package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/jailsim"
	ucli "github.com/urfave/cli/v3"
)

// describeJail is everything of a built jail that a setting can change.
func describeJail(j engine.Jail) string {
	s := j.Settings
	return fmt.Sprintf("maxretry=%d findtime=%v bantime=%v counting=%s ignore=%v self=%v increment=%+v filter=%s",
		s.MaxRetry, s.FindTime, s.BanTime, s.Counting, s.Ignore.Rules(), s.Ignore.Self(), s.Increment, j.Filter)
}

// setupWith runs newJailSetup as the replay command would, with args.
func setupWith(t *testing.T, args ...string) (*jailSetup, error) {
	t.Helper()
	var got *jailSetup
	var gotErr error
	cmd := &ucli.Command{Name: "x", Flags: append(append(parseFlags(), jailFlags()...), logFlags()...), Writer: io.Discard, ErrWriter: io.Discard,
		Action: func(ctx context.Context, c *ucli.Command) error {
			ps, err := readParseFlags(c)
			if err != nil {
				return err
			}
			got, gotErr = newJailSetup(c, ps)
			return nil
		}}
	if err := cmd.Run(context.Background(), append([]string{"x", "--hosts-file", ""}, args...)); err != nil {
		return nil, err
	}
	return got, gotErr
}

// Every setting means the same whether jail.local, a flag or --what-if
// sets it: the same text gives the same jail, and text one path refuses
// every path refuses.
func TestSettingsPathsAgree(t *testing.T) {
	values := map[string][]string{
		"maxretry":             {"3", "0", " 7 ", "lots", "2.5"},
		"findtime":             {"600", "1h30m", "1d", "2weeks", "1h-10m", "soon", ""},
		"bantime":              {"-1", "10m", "86400.7", "3d", "never"},
		"ignoreip":             {"10.0.0.0/8 192.0.2.1", "2001:db8::/32,127.0.0.1", "not/an/address"},
		"ignoreself":           {"false", "true", "no", "on"},
		"mode":                 {"aggressive", "ddos", "extra", "normal", "paranoid"},
		"publickey":            {"any", "invalid", "ignore", "nofail", "some"},
		"counting":             {"sliding", "reset", "fail2ban", "textbook"},
		"bantime.increment":    {"true", "false", "1", "yes"},
		"bantime.factor":       {"2", "1.5", "2*3", "1h", "x"},
		"bantime.multipliers":  {"1 2 4 8 16 32 64", "1 5 30", "1.5 2", "two"},
		"bantime.maxtime":      {"1w", "5d", "", "forever"},
		"bantime.rndtime":      {"10m", "", "later"},
		"bantime.overalljails": {"true", "false"},
	}
	for _, o := range jailsim.Options {
		if len(values[o.Key]) == 0 {
			t.Errorf("setting %s has no test values", o.Key)
		}
	}
	base, err := setupWith(t, "--config", "")
	if err != nil {
		t.Fatal(err)
	}
	def := describeJail(base.jails[0])
	for _, o := range jailsim.Options {
		changed, refused := false, false
		for _, v := range values[o.Key] {
			name := o.Key + "=" + v
			var results []string
			var paths []string
			add := func(path string, js *jailSetup, err error) {
				paths = append(paths, path)
				if err != nil {
					results = append(results, "error")
					return
				}
				results = append(results, describeJail(js.jails[0]))
			}
			if o.Config {
				dir := t.TempDir()
				body := "[sshd]\nenabled = true\n" + o.Key + " = " + v + "\n"
				if o.Filter != "" {
					body = "[sshd]\nenabled = true\nfilter = sshd[" + o.Key + "=" + v + "]\n"
				}
				if err := os.WriteFile(filepath.Join(dir, "jail.local"), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				js, err := setupWith(t, "--config", dir)
				add("jail.local", js, err)
			}
			if o.Flag {
				js, err := setupWith(t, "--config", "", "--"+o.Key, v)
				add("--"+o.Key, js, err)
			}
			sc, err := base.whatIf(name)
			if err == nil {
				add("--what-if", &jailSetup{jails: sc.Jails}, nil)
			} else {
				add("--what-if", nil, err)
			}
			if results[0] == "error" {
				refused = true
			} else if results[0] != def {
				changed = true
			}
			for i := 1; i < len(results); i++ {
				if results[i] != results[0] {
					t.Errorf("%s: %s gives\n  %s\nbut %s gives\n  %s", strings.TrimSpace(name), paths[0], results[0], paths[i], results[i])
				}
			}
		}
		// the values reach the jail, and bad text is refused
		if !changed {
			t.Errorf("%s: no test value changed the jail", o.Key)
		}
		if !refused && o.Key != "ignoreself" && o.Key != "bantime.increment" && o.Key != "bantime.overalljails" {
			t.Errorf("%s: no test value was refused", o.Key)
		}
	}
}

// A configuration whose jails are disabled (enabled = false, or a value
// fail2ban reads as false) runs no jail: banscope says so instead of
// simulating a default sshd jail; --jail names a disabled jail explicitly.
func TestDisabledJail(t *testing.T) {
	for _, enabled := range []string{"false", "maybe"} {
		dir := t.TempDir()
		body := "[sshd]\nenabled = " + enabled + "\nmaxretry = 2\n"
		if err := os.WriteFile(filepath.Join(dir, "jail.local"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := setupWith(t, "--config", dir); err == nil || !strings.Contains(err.Error(), "enables no jail") {
			t.Errorf("enabled = %s: %v, want an error saying no jail is enabled", enabled, err)
		}
		js, err := setupWith(t, "--config", dir, "--jail", "sshd")
		if err != nil {
			t.Fatal(err)
		}
		if len(js.jails) != 1 || js.jails[0].Settings.MaxRetry != 2 {
			t.Errorf("enabled = %s, --jail sshd: %+v, want the configured jail (maxretry 2)", enabled, js.jails)
		}
	}
}

// A configuration's filter.d/sshd.conf that is not the simulated
// release's stock file is named in a warning: another release's stock
// file, a locally edited one (its changed lines), local overrides.
func TestLocalFilterWarning(t *testing.T) {
	dir := confDir(t, f2bversion.V1_0_2, "[sshd]\nenabled = true\n")
	path := filepath.Join(dir, "filter.d", "sshd.conf")
	warn := func(v f2bversion.Version) string {
		var b bytes.Buffer
		warnLocalFilter(slog.New(&plainHandler{w: &b, level: slog.LevelInfo, mu: &sync.Mutex{}}), dir, v)
		return b.String()
	}
	if w := warn(f2bversion.V1_0_2); w != "" {
		t.Errorf("stock file: %q", w)
	}
	if w := warn(f2bversion.V1_1_1); !strings.Contains(w, "is fail2ban 1.0.2's stock file, not 1.1.1's") {
		t.Errorf("another release's file: %q", w)
	}
	b, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(b, []byte("maxlines = 1"), []byte("maxlines = 2"), 1), 0o644)
	os.WriteFile(filepath.Join(dir, "filter.d", "sshd.local"), []byte("[Definition]\n"), 0o644)
	w := warn(f2bversion.V1_0_2)
	for _, want := range []string{`"maxlines = 2"`, "1 stock line(s) missing", "sshd.local overrides the sshd filter"} {
		if !strings.Contains(w, want) {
			t.Errorf("edited file: no %q in %q", want, w)
		}
	}
}

// ignoreself by release: 1.1.x adds every address of the host's
// interfaces (injected here), 1.0.2 only what localhost and the host name
// resolve to.
func TestIgnoreSelfInterfaces(t *testing.T) {
	saved := interfaceAddrs
	defer func() { interfaceAddrs = saved }()
	lan, six := netip.MustParseAddr("198.51.100.77"), netip.MustParseAddr("2001:db8::77")
	interfaceAddrs = func() []netip.Addr { return []netip.Addr{lan, six} }
	for _, tt := range []struct {
		version string
		want    bool
	}{{"1.0.2", false}, {"1.1.0", true}, {"1.1.1", true}} {
		js, err := setupWith(t, "--config", "", "--fail2ban", tt.version)
		if err != nil {
			t.Fatal(err)
		}
		ig := js.jails[0].Settings.Ignore
		for _, a := range []netip.Addr{lan, six} {
			if why, got := ig.Match(ident.AddrID(a)); got != tt.want {
				t.Errorf("fail2ban %s: %s ignored %v (%s), want %v", tt.version, a, got, why, tt.want)
			}
		}
		if _, ok := ig.Match(ident.AddrID(netip.MustParseAddr("127.0.0.1"))); !ok {
			t.Errorf("fail2ban %s: 127.0.0.1 not ignored", tt.version)
		}
	}
}
