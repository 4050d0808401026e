// Package cli is banscope's command tree: flags become a config struct and
// one library call. It holds no logic that a test outside main cannot reach.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/banscope/banscope/internal/check"
	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/filter/sshd"
	"github.com/banscope/banscope/internal/geo"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/source"
	ucli "github.com/urfave/cli/v3"
)

// Command returns the banscope command tree.
func Command() *ucli.Command {
	return withUsage(&ucli.Command{
		Name:        "banscope",
		Usage:       "rebuild fail2ban's metrics from auth.log and fail2ban.log",
		HideVersion: true,
		// banscope completion bash|zsh|fish|pwsh prints a completion script
		EnableShellCompletion: true,
		Flags: append(logFlags(),
			&ucli.BoolFlag{Name: "version", Aliases: []string{"V"}, Usage: "print the version (as banscope version does)"},
			&ucli.StringFlag{Name: "cpuprofile", Usage: "write a Go CPU profile of the command to `FILE`"},
			&ucli.StringFlag{Name: "memprofile", Usage: "write a Go heap profile at the end of the command to `FILE`"},
		),
		Before: startProfiles,
		After:  stopProfiles,
		Commands: []*ucli.Command{
			checkCommand(),
			replayCommand(),
			runCommand(),
			versionCommand(),
		},
		// Nothing below main exits: the library's exit codes come back as
		// errors.
		ExitErrHandler: func(context.Context, *ucli.Command, error) {},
		Action: func(ctx context.Context, c *ucli.Command) error {
			if c.Bool("version") {
				writeVersion(c.Root().Writer)
				return nil
			}
			if c.Args().Present() {
				return usage(c, fmt.Errorf("unknown command %q", c.Args().First()))
			}
			return ucli.ShowRootCommandHelp(c)
		},
	})
}

// startProfiles starts the CPU profile --cpuprofile asks for.
func startProfiles(ctx context.Context, c *ucli.Command) (context.Context, error) {
	name := c.String("cpuprofile")
	if name == "" {
		return ctx, nil
	}
	f, err := os.Create(name)
	if err != nil {
		return ctx, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return ctx, fmt.Errorf("--cpuprofile: %w", err)
	}
	cpuProfile = f
	return ctx, nil
}

var cpuProfile *os.File

// stopProfiles ends the CPU profile and writes the heap profile.
func stopProfiles(ctx context.Context, c *ucli.Command) error {
	if cpuProfile != nil {
		pprof.StopCPUProfile()
		err := cpuProfile.Close()
		cpuProfile = nil
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	if name := c.String("memprofile"); name != "" {
		f, err := os.Create(name)
		if err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
		runtime.GC()
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
	}
	return nil
}

func parseFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "mode", Value: "normal", Usage: "sshd filter mode: normal, ddos, extra or aggressive"},
		&ucli.StringFlag{Name: "publickey", Value: "nofail", Usage: "sshd filter publickey option: nofail, invalid, any or ignore"},
		&ucli.IntFlag{Name: "year", Usage: "year of stamps without one", DefaultText: "fail2ban's rule, from the file's modification time"},
		&ucli.StringFlag{Name: "timezone", Value: "local", Usage: "zone of stamps without one: local, UTC, an IANA name or an offset like +01:00"},
		&ucli.IntFlag{Name: "max-line", Value: source.DefaultMaxLine, Usage: "longest line parsed, in bytes; longer lines are counted and skipped"},
		&ucli.StringFlag{Name: "hosts-file", Value: "/etc/hosts", Usage: "host names resolved as getaddrinfo does offline (\"\" for none)"},
		&ucli.StringFlag{Name: "fail2ban", Value: "auto", Sources: ucli.EnvVars("BANSCOPE_FAIL2BAN"), Usage: "fail2ban release simulated: 1.0.2 (Debian bookworm), 1.1.0 (trixie), 1.1.1 (sid), or auto: the installed one, else the newest"},
	}
}

// fail2banProbe is where --fail2ban auto looks for the installed
// fail2ban (tests replace it).
var fail2banProbe = f2bversion.DefaultProbe

type parseSettings struct {
	mode    sshd.Mode
	pk      sshd.PublicKey
	loc     *time.Location
	year    int
	maxLine int
	hosts   *ident.Hosts
	f2b     f2bversion.Choice // the fail2ban release simulated, and why
}

func readParseFlags(c *ucli.Command) (parseSettings, error) {
	var s parseSettings
	var err error
	if s.mode, err = sshd.ParseMode(c.String("mode")); err != nil {
		return s, usage(c, fmt.Errorf("--mode: %w", err))
	}
	if s.pk, err = sshd.ParsePublicKey(c.String("publickey")); err != nil {
		return s, usage(c, fmt.Errorf("--publickey: %w", err))
	}
	if s.loc, err = parseTimezone(c.String("timezone")); err != nil {
		return s, usage(c, fmt.Errorf("--timezone: %w", err))
	}
	s.year = int(c.Int("year"))
	if s.year != 0 && (s.year < 1970 || s.year > 9999) {
		return s, usage(c, fmt.Errorf("--year: %d is out of range", s.year))
	}
	if s.f2b, err = f2bversion.Resolve(c.String("fail2ban"), fail2banProbe()); err != nil {
		return s, usage(c, fmt.Errorf("--fail2ban: %w", err))
	}
	s.maxLine = int(c.Int("max-line"))
	if s.maxLine <= 0 {
		return s, usage(c, fmt.Errorf("--max-line: must be positive"))
	}
	if hf := c.String("hosts-file"); hf != "" {
		b, err := os.ReadFile(hf)
		if err != nil && !os.IsNotExist(err) {
			return s, fmt.Errorf("--hosts-file: %w", err)
		}
		s.hosts = ident.ParseHosts(b)
	}
	return s, nil
}

func geoFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.BoolFlag{Name: "geo", Value: true, Usage: "break attackers down by country (--geo=false to skip)"},
		&ucli.StringFlag{Name: "geoip-db", Usage: "MaxMind GeoLite2/GeoIP2 Country or City, or DB-IP, .mmdb file (default: embedded IP2Location LITE data)"},
		&ucli.StringFlag{Name: "asn-db", Usage: "GeoLite2-ASN or DB-IP ASN .mmdb file, for the top autonomous systems"},
	}
}

// errWriter is where a command's warnings go.
func errWriter(c *ucli.Command) io.Writer {
	if w := c.Root().ErrWriter; w != nil {
		return w
	}
	return os.Stderr
}

// openGeo opens the country data the flags ask for (nil with --geo=false).
func openGeo(c *ucli.Command) (*geo.Resolver, error) {
	if !c.Bool("geo") {
		return nil, nil
	}
	return geo.Open(c.String("geoip-db"), c.String("asn-db"), 0)
}

// parseTimezone reads "local", "UTC", an IANA zone name, or a fixed offset
// (+01:00, -0500, UTC+0100) as fail2ban's logtimezone accepts.
func parseTimezone(s string) (*time.Location, error) {
	switch strings.ToLower(s) {
	case "", "local":
		return time.Local, nil
	case "utc", "z", "gmt":
		return time.UTC, nil
	}
	o := strings.TrimPrefix(strings.TrimPrefix(s, "UTC"), "GMT")
	if len(o) >= 3 && (o[0] == '+' || o[0] == '-') {
		digits := strings.ReplaceAll(o[1:], ":", "")
		if len(digits) == 2 {
			digits += "00"
		}
		if len(digits) == 4 {
			h, err1 := strconv.Atoi(digits[:2])
			m, err2 := strconv.Atoi(digits[2:])
			if err1 == nil && err2 == nil && h < 24 && m < 60 {
				off := h*3600 + m*60
				if o[0] == '-' {
					off = -off
				}
				return time.FixedZone(s, off), nil
			}
		}
		return nil, fmt.Errorf("bad offset %q", s)
	}
	return time.LoadLocation(s)
}

func checkCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "check",
		Usage:     "classify every line as fail2ban's sshd filter would (server semantics); the fast fail2ban-regex",
		ArgsUsage: "FILE... (- for standard input)",
		Flags: append(parseFlags(),
			&ucli.StringFlag{Name: "format", Value: "text", Usage: "text (a summary) or jsonl (one object per counted failure)"},
		),
		Action: func(ctx context.Context, c *ucli.Command) error {
			s, err := readParseFlags(c)
			if err != nil {
				return err
			}
			f := c.String("format")
			if f != "text" && f != "jsonl" {
				return usage(c, fmt.Errorf("--format: want text or jsonl, not %q", f))
			}
			files := c.Args().Slice()
			if len(files) == 0 {
				return usage(c, fmt.Errorf("check: no files given (use - for standard input)"))
			}
			log, err := notices(c)
			if err != nil {
				return err
			}
			journal, stdin, err := inputForm(files)
			if err != nil {
				return err
			}
			var in io.Reader = os.Stdin
			if stdin != nil {
				in = stdin
			}
			return check.Run(check.Config{Warn: func(m string) { log.Warn(m) }, Journal: journal, Stdin: in,
				Files: files, Mode: s.mode, PublicKey: s.pk, Format: f, Location: s.loc,
				Year: s.year, Now: time.Now(), MaxLine: s.maxLine, Hosts: s.hosts, Fail2ban: s.f2b,
			}, c.Root().Writer)
		},
	}
}
