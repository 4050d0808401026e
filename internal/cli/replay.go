package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/filter"
	"github.com/banscope/banscope/internal/ident"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/output/events"
	"github.com/banscope/banscope/internal/replay"
	"github.com/banscope/banscope/internal/source"
	ucli "github.com/urfave/cli/v3"
)

func jailFlags() []ucli.Flag {
	flags := []ucli.Flag{
		&ucli.StringFlag{Name: "config", Value: "/etc/fail2ban", Usage: "fail2ban configuration directory (\"\" for none; skipped when the default is absent)"},
		&ucli.StringFlag{Name: "jail", Usage: "simulate only this jail (default: every enabled jail banscope can simulate, or \"sshd\" without configuration)"},
	}
	for _, o := range jailsim.Options {
		if o.Flag && o.Filter == "" { // a filter's options are parseFlags (check has them too)
			usage := "override " + o.Key + ": " + o.Usage
			switch {
			case o.Default != "" && o.Config:
				usage += "; fail2ban's default " + o.Default
			case o.Default != "":
				usage += "; default " + o.Default
			}
			flags = append(flags, &ucli.StringFlag{Name: o.Key, Usage: usage})
		}
	}
	return flags
}

// jailSetup resolves the jails to simulate from configuration and flags:
// each jail as configured (for --what-if) and as it runs.
type jailSetup struct {
	specs    []jailsim.JailSpec
	jails    []engine.Jail
	hasDB    bool
	purgeAge float64
	ps       parseSettings
	log      *slog.Logger // the command's notices
}

func newJailSetup(c *ucli.Command, ps parseSettings) (*jailSetup, error) {
	log, err := notices(c)
	if err != nil {
		return nil, err
	}
	js := &jailSetup{hasDB: true, purgeAge: jailsim.DefaultDBPurgeAge, ps: ps, log: log}
	confDir := c.String("config")
	var specs []jailsim.JailSpec
	if confDir != "" {
		if _, err := os.Stat(confDir); err != nil && !c.IsSet("config") {
			confDir = "" // the default directory is absent: fail2ban's defaults
		}
	}
	var conf *jailsim.Config
	if confDir != "" {
		var err error
		if conf, err = jailsim.LoadConfig(confDir); err != nil {
			return nil, err
		}
		warnLocalFilter(log, confDir, ps.f2b.Version)
		all, err := conf.EnabledJails()
		if err != nil {
			return nil, err
		}
		if js.hasDB, js.purgeAge, err = jailsim.ServerSettings(confDir); err != nil {
			return nil, err
		}
		for _, j := range all {
			if !filter.Known(j.Filter) {
				if !c.IsSet("jail") {
					log.Info(fmt.Sprintf("jail %s (filter %s) is not simulated: only sshd jails read auth.log", j.Name, j.Filter))
				}
				continue
			}
			specs = append(specs, j)
		}
	}
	if name := c.String("jail"); name != "" {
		var keep []jailsim.JailSpec
		for _, j := range specs {
			if j.Name == name {
				keep = append(keep, j)
			}
		}
		if len(keep) == 0 && conf != nil {
			// named but not enabled: simulate it as configured, and say so
			j, ok, err := conf.Jail(name)
			if err != nil {
				return nil, err
			}
			if ok {
				if !filter.Known(j.Filter) {
					return nil, usage(c, fmt.Errorf("--jail %s: its filter %s is not simulated", name, j.Filter))
				}
				log.Info(fmt.Sprintf("jail %s is not enabled in %s; simulating it as configured because --jail names it", name, confDir))
				keep = append(keep, j)
			}
		}
		if len(keep) == 0 {
			keep = []jailsim.JailSpec{jailsim.NewJailSpec(name, "sshd")}
		}
		specs = keep
	}
	if len(specs) == 0 {
		if conf != nil {
			// fail2ban with this configuration runs no jail banscope can
			// simulate and bans nothing: say so rather than invent one
			return nil, fmt.Errorf("%s enables no jail banscope simulates (fail2ban would ban nothing from auth.log); enable one, name one with --jail, or use --config '' for fail2ban's defaults", confDir)
		}
		specs = []jailsim.JailSpec{jailsim.NewJailSpec("sshd", "sshd")}
	}
	for k := range specs {
		s := &specs[k]
		for _, o := range jailsim.Options {
			if !o.Flag || !c.IsSet(o.Key) {
				continue
			}
			if _, err := s.Set(o.Key, c.String(o.Key), "--"+o.Key); err != nil && !errors.Is(err, jailsim.ErrOtherFilter) {
				return nil, usage(c, fmt.Errorf("--%s: %w", o.Key, err))
			}
		}
		for _, u := range s.Unsupported {
			log.Warn(fmt.Sprintf("jail %s sets %s, which banscope does not honour; its numbers may differ from fail2ban's", s.Name, u))
		}
		if s.Increment.Enabled && !js.hasDB {
			log.Info(fmt.Sprintf("jail %s: bantime.increment needs fail2ban's database (dbfile is None): not applied, as fail2ban does", s.Name))
		}
		j, err := js.build(*s)
		if err != nil {
			return nil, err
		}
		js.jails = append(js.jails, j)
	}
	js.specs = specs
	return js, nil
}

// build makes the jail the engine runs from its settings.
func (js *jailSetup) build(s jailsim.JailSpec) (engine.Jail, error) {
	inc := s.Increment
	if inc.Enabled && !js.hasDB {
		inc.Enabled = false
	}
	var self []netip.Addr
	if s.IgnoreSelf {
		self = selfAddrs(js.ps.hosts, js.ps.f2b.Version)
	}
	entries := s.IgnoreIP
	if js.ps.f2b.Version.AtLeast(f2bversion.V1_1_1) {
		// 1.1.1 reads `file:PATH` entries' addresses and subnets; older
		// releases take them for a host name that resolves to nothing.
		entries = nil
		for _, e := range s.IgnoreIP {
			words, path, ok, err := jailsim.IgnoreFile(e)
			if !ok {
				entries = append(entries, e)
				continue
			}
			if err != nil {
				js.log.Warn(fmt.Sprintf("jail %s: ignoreip %s: %v (fail2ban logs the same and ignores nothing from it)", s.Name, e, err))
				continue
			}
			for _, w := range words {
				if ip, ok := ignoreAddrWord(w); ok {
					entries = append(entries, ip)
				}
			}
			js.log.Info(fmt.Sprintf("jail %s: ignoreip %s: %d entries from %s", s.Name, e, len(words), path))
		}
	}
	ig, err := jailsim.NewIgnore(entries, self, js.ps.hosts)
	if err != nil {
		return engine.Jail{}, fmt.Errorf("jail %s: %w", s.Name, err)
	}
	spec := s.FilterSpec()
	if s.Filter != "sshd" {
		// only the filter's own options (jail.conf's default filter line
		// passes mode to every filter)
		delete(spec.Params, "mode")
	}
	return engine.Jail{
		Settings: jailsim.Settings{Name: s.Name, MaxRetry: s.MaxRetry, FindTime: s.FindTime, BanTime: s.BanTime,
			Counting: s.Counting, Ignore: ig, Increment: inc},
		Filter: spec, Origin: s.Origin,
	}, nil
}

func replayCommand() *ucli.Command {
	return &ucli.Command{
		Name: "replay",
		// A --what-if value is one scenario: its commas separate settings.
		DisableSliceFlagSeparator: true,
		Usage:                     "replay historical logs through fail2ban's jail arithmetic, as if they happened live",
		ArgsUsage:                 "FILE... (plain, .gz, .xz or .zst; rotated sets are read oldest first)",
		Flags: append(append(append(parseFlags(), jailFlags()...), geoFlags()...),
			&ucli.StringFlag{Name: "format", Usage: "text (default on a terminal), json (default otherwise), html (a self-contained page with charts) or lp (InfluxDB line protocol with the log's times, to back-fill)"},
			&ucli.StringSliceFlag{Name: "what-if", Usage: "also simulate other settings on the same read, compared side by side: 'maxretry=3,findtime=1d,bantime=3d' (any of " + strings.Join(whatIfKeys, ", ") + "); repeatable"},
			&ucli.BoolFlag{Name: "host-from-path", Usage: "logs of several hosts: each file's host is the name of its directory (logs/web1/auth.log); each host has its own clock, jails and report"},
			&ucli.BoolFlag{Name: "host-from-field", Usage: "logs of several hosts in one file (a central syslog): each line's host is its syslog host field"},
			&ucli.DurationFlag{Name: "step", Value: time.Minute, Usage: "with --format lp: one point per step of log time, quiet steps included"},
			&ucli.IntFlag{Name: "top", Value: 10, Usage: "rows in the report's top lists"},
			&ucli.BoolFlag{Name: "progress", Usage: "progress bar on standard error (default: when it is a terminal)"},
			&ucli.StringFlag{Name: "events", Usage: "write bans and unbans as JSON lines to this file"},
			&ucli.StringSliceFlag{Name: "fail2ban-log", Usage: "fail2ban's own log of the same period (repeatable; a rotated set, compressed files too): what fail2ban banned, beside the simulation, per jail and address"},
			&ucli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the report to this file instead of standard output"},
			&ucli.BoolFlag{Name: "journal", Usage: "replay sshd's entries from the systemd journal (journalctl, with the filter's journal match) instead of files"},
			&ucli.StringSliceFlag{Name: "journal-file", Usage: "replay the entries of this journal file (journalctl --file); repeatable"},
			&ucli.StringFlag{Name: "journal-dir", Usage: "replay the journal files of this directory, rotated ones included, in time order (journalctl --directory), e.g. one copied from another host's /var/log/journal/<machine-id>"},
			&ucli.StringFlag{Name: "since", Usage: "with a journal: entries from this time on (journalctl --since: \"2026-11-20\", \"-7d\", \"yesterday\")"},
			&ucli.StringFlag{Name: "until", Usage: "with a journal: entries up to this time (journalctl --until)"},
		),
		Action: func(ctx context.Context, c *ucli.Command) error {
			ps, err := readParseFlags(c)
			if err != nil {
				return err
			}
			w := c.Root().Writer
			format := c.String("format")
			if format == "" {
				format = "json"
				if isTerminal(w) {
					format = "text"
				}
			}
			switch format {
			case "text", "json", "html", "lp":
			default:
				return usage(c, fmt.Errorf("--format: want text, json, html or lp, not %q", format))
			}
			if c.IsSet("step") && format != "lp" {
				return usage(c, fmt.Errorf("--step: only with --format lp"))
			}
			if c.Duration("step") < time.Second {
				return usage(c, fmt.Errorf("--step: at least 1s"))
			}
			if c.Bool("host-from-path") && c.Bool("host-from-field") {
				return usage(c, fmt.Errorf("--host-from-path and --host-from-field: choose one"))
			}
			files := c.Args().Slice()
			if len(files) == 0 && !c.Bool("journal") && !c.IsSet("journal-file") && !c.IsSet("journal-dir") {
				return usage(c, fmt.Errorf("replay: no files given (- for standard input, or --journal)"))
			}
			stderr := errWriter(c)
			setup, err := newJailSetup(c, ps)
			if err != nil {
				return err
			}
			jails, purgeAge := setup.jails, setup.purgeAge
			var scenarios []replay.Scenario
			for _, spec := range c.StringSlice("what-if") {
				sc, err := setup.whatIf(spec)
				if err != nil {
					return usage(c, fmt.Errorf("--what-if: %w", err))
				}
				scenarios = append(scenarios, sc)
			}
			g, err := openGeo(c)
			if err != nil {
				return err
			}
			if g != nil {
				defer g.Close()
			}
			journal, stdin, err := inputForm(files)
			if err != nil {
				return err
			}
			var jctl *exec.Cmd
			var jerr bytes.Buffer
			jailMatch := ""
			for _, s := range setup.specs {
				if s.Filter == "sshd" {
					jailMatch = s.JournalMatch
					break
				}
			}
			if jargs, ok, err := replayJournalArgs(c, ps, len(files) > 0, jailMatch); err != nil {
				return err
			} else if ok {
				jctx, cancel := context.WithCancel(ctx)
				jctl = exec.CommandContext(jctx, "journalctl", jargs...)
				jctl.Stderr = &jerr
				out, err := jctl.StdoutPipe()
				if err != nil {
					cancel()
					return err
				}
				if err := jctl.Start(); err != nil {
					cancel()
					return fmt.Errorf("journalctl: %w", err)
				}
				// a replay that ends early stops journalctl, then reaps it
				defer func() { cancel(); jctl.Wait() }()
				files, journal, stdin = []string{"-"}, true, bufio.NewReaderSize(out, 64<<10)
			}
			cfg := replay.Config{Geo: g, WhatIf: scenarios, TopN: int(c.Int("top")), Journal: journal, Stdin: stdin,
				Jails: jails, Location: ps.loc, Year: ps.year, Fail2ban: ps.f2b,
				Now: time.Now(), MaxLine: ps.maxLine, Hosts: ps.hosts, DBPurgeAge: purgeAge,
				HostFromField: c.Bool("host-from-field"),
			}
			if c.Bool("host-from-path") {
				cfg.HostOf = hostOfPath
				cfg.Files = orderByHost(files)
			} else {
				cfg.Files = source.OrderRotated(files)
			}
			if logs := c.StringSlice("fail2ban-log"); len(logs) > 0 {
				if cfg.HostOf != nil || cfg.HostFromField {
					return usage(c, fmt.Errorf("--fail2ban-log: one host's logs only (not with --host-from-path or --host-from-field)"))
				}
				if cfg.Fail2banLog, err = replay.ReadFail2banLog(source.OrderRotated(logs), ps.loc, ps.maxLine); err != nil {
					return err
				}
			}
			if ev := c.String("events"); ev != "" {
				f, err := os.Create(ev)
				if err != nil {
					return fmt.Errorf("--events: %w", err)
				}
				defer f.Close()
				cfg.Events = events.NewJSONLines(f)
			}
			out := w
			var outFile *os.File
			if name := c.String("output"); name != "" {
				if outFile, err = os.Create(name); err != nil {
					return fmt.Errorf("--output: %w", err)
				}
				defer outFile.Close()
				out = outFile
			}
			var lp *replay.Backfill
			if format == "lp" {
				lp = replay.NewBackfill(out, c.Duration("step"), g)
				cfg.Hooks = lp
			}
			showProgress := isTerminal(stderr)
			if c.IsSet("progress") {
				showProgress = c.Bool("progress")
			}
			if showProgress {
				stop := startProgress(stderr, cfg.Files)
				cfg.BytesRead = stop.bytes
				defer stop.done()
			}
			res, runErr := replay.Run(cfg)
			if jctl != nil {
				if err := jctl.Wait(); err != nil {
					runErr = errors.Join(runErr, fmt.Errorf("journalctl %s: %v: %s", strings.Join(jctl.Args[1:], " "), err, strings.TrimSpace(jerr.String())))
				}
			}
			if res == nil {
				return runErr
			}
			for _, h := range res.Hosts {
				if w := h.Misses.Warning(); w != "" {
					if h.Host != "" {
						w = "host " + h.Host + ": " + w
					}
					setup.log.Warn(w)
				}
			}
			switch format {
			case "json":
				err = res.WriteJSON(out)
			case "html":
				err = res.WriteHTML(out)
			case "lp":
				err = lp.Err()
			default:
				err = res.WriteText(out)
			}
			if err == nil && outFile != nil {
				err = outFile.Close()
			}
			if err != nil {
				return err
			}
			return runErr
		},
	}
}

// selfAddrs are the addresses fail2ban's ignoreself ignores
// (server/ipdns.py: DNSUtils.getSelfIPs): those of localhost and this
// host's names and, from 1.1.0, every address of the host's network
// interfaces (getNetIntrfIPs), e.g. ::1 and the LAN address.
func selfAddrs(h *ident.Hosts, v f2bversion.Version) []netip.Addr {
	names := []string{"localhost"}
	if hn, err := os.Hostname(); err == nil {
		names = append(names, hn)
	}
	var out []netip.Addr
	if v.AtLeast(f2bversion.V1_1_0) {
		out = append(out, interfaceAddrs()...)
	}
	for i, n := range names {
		as := h.Resolve(n)
		if i == 0 && len(as) == 0 {
			// no hosts table: localhost is what getaddrinfo gives it
			as = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		}
		out = append(out, as...)
	}
	return out
}

// interfaceAddrs returns the addresses of the host's network interfaces
// (getifaddrs); tests replace it.
var interfaceAddrs = func() []netip.Addr {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range as {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().WithZone(""))
		}
	}
	return out
}

// ignoreAddrWord keeps a word of an ignoreip file when it is an address or
// a subnet (FileIPAddrSet holds IPAddr objects: a host name in the file
// never matches).
func ignoreAddrWord(w string) (string, bool) {
	a := strings.Trim(w, "[]")
	if i := strings.IndexByte(a, '/'); i >= 0 {
		if _, err := netip.ParseAddr(a[:i]); err != nil {
			return "", false
		}
		return w, true
	}
	if _, err := netip.ParseAddr(a); err != nil {
		return "", false
	}
	return w, true
}

// warnLocalFilter says when the configuration's sshd filter is not the
// simulated release's stock filter.d/sshd.conf (banscope simulates the
// stock one): which lines differ, and the local overrides fail2ban would
// read too. A locally edited filter is a warning, not silence.
func warnLocalFilter(log *slog.Logger, dir string, v f2bversion.Version) {
	path := filepath.Join(dir, "filter.d", "sshd.conf")
	if b, err := os.ReadFile(path); err == nil {
		d := f2bversion.DiffSSHDConf(v, string(b))
		for _, o := range f2bversion.All() {
			if od := f2bversion.DiffSSHDConf(o, string(b)); o != v.Or() && (len(d.Changed) > 0 || d.Missing > 0) && len(od.Changed) == 0 && od.Missing == 0 {
				log.Warn(fmt.Sprintf("%s is fail2ban %s's stock file, not %s's: is --fail2ban %s what this host runs?", path, o, v.Or(), o))
				return
			}
		}
		if len(d.Changed) > 0 || d.Missing > 0 {
			var parts []string
			for i, l := range d.Changed {
				if i == 5 {
					parts = append(parts, fmt.Sprintf("and %d more", len(d.Changed)-5))
					break
				}
				parts = append(parts, fmt.Sprintf("line %d %q", l.N, l.Text))
			}
			if d.Missing > 0 {
				parts = append(parts, fmt.Sprintf("%d stock line(s) missing", d.Missing))
			}
			log.Warn(fmt.Sprintf("%s is not fail2ban %s's stock file (%s); banscope simulates the stock filter of %s",
				path, v.Or(), strings.Join(parts, "; "), v.Or()))
		}
	}
	locals, _ := filepath.Glob(filepath.Join(dir, "filter.d", "sshd.d", "*"))
	if _, err := os.Stat(filepath.Join(dir, "filter.d", "sshd.local")); err == nil {
		locals = append([]string{filepath.Join(dir, "filter.d", "sshd.local")}, locals...)
	}
	for _, l := range locals {
		if strings.HasSuffix(l, ".conf") || strings.HasSuffix(l, ".local") {
			log.Warn(fmt.Sprintf("%s overrides the sshd filter; banscope simulates the stock filter and does not read it", l))
		}
	}
}

// inputForm says whether the first input holds journal entries
// (journalctl -o json or -o export) rather than syslog lines; standard
// input ("-") is returned buffered, its first bytes kept for the reader.
func inputForm(files []string) (journal bool, stdin *bufio.Reader, err error) {
	for _, f := range files {
		if source.IsStdin(f) {
			stdin = bufio.NewReaderSize(os.Stdin, 64<<10)
			break
		}
	}
	if len(files) == 0 {
		return false, stdin, nil
	}
	if source.IsStdin(files[0]) {
		return source.DetectForm(stdin) != source.Syslog, stdin, nil
	}
	f, err := source.Open(files[0])
	if err != nil {
		return false, stdin, nil // reported with the others when it is read
	}
	defer f.Close()
	return source.DetectForm(bufio.NewReaderSize(f, 4096)) != source.Syslog, stdin, nil
}

// replayJournalArgs is the journalctl command line of --journal,
// --journal-file and --journal-dir: the export format (binary-safe), the
// time bounds, and the sshd jail's journalmatch, else the simulated
// release's (filter.d/sshd.conf). ok is false without them.
func replayJournalArgs(c *ucli.Command, ps parseSettings, haveFiles bool, jailMatch string) ([]string, bool, error) {
	files, dir := c.StringSlice("journal-file"), c.String("journal-dir")
	if !c.Bool("journal") && len(files) == 0 && dir == "" {
		if c.IsSet("since") || c.IsSet("until") {
			return nil, false, usage(c, fmt.Errorf("--since and --until: only with --journal, --journal-file or --journal-dir"))
		}
		return nil, false, nil
	}
	if haveFiles {
		return nil, false, usage(c, fmt.Errorf("a journal and files: replay them separately"))
	}
	if len(files) > 0 && dir != "" {
		return nil, false, usage(c, fmt.Errorf("--journal-file and --journal-dir: choose one"))
	}
	args := []string{"--no-pager", "-o", "export"}
	for _, f := range files {
		args = append(args, "--file", f)
	}
	if dir != "" {
		args = append(args, "--directory", dir)
	}
	if s := c.String("since"); s != "" {
		args = append(args, "--since", s)
	}
	if s := c.String("until"); s != "" {
		args = append(args, "--until", s)
	}
	f, err := filter.New(filter.Spec{Name: "sshd"}, filter.Options{Fail2ban: ps.f2b.Version})
	if err != nil {
		return nil, false, err
	}
	match := strings.Fields(jailMatch)
	if m, ok := f.(filter.JournalMatcher); ok && len(match) == 0 {
		match = m.JournalMatch()
	}
	if len(match) > 0 {
		args = append(append(args, "--"), match...)
	}
	return args, true, nil
}
