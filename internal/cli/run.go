package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/banscope/banscope/internal/engine"
	"github.com/banscope/banscope/internal/f2bversion"
	"github.com/banscope/banscope/internal/jailsim"
	"github.com/banscope/banscope/internal/live"
	"github.com/banscope/banscope/internal/output/events"
	"github.com/banscope/banscope/internal/output/influxpush"
	ucli "github.com/urfave/cli/v3"
)

func runCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "run",
		Usage: "follow the live auth.log and write fail2ban's numbers every interval (InfluxDB line protocol)",
		Flags: append(append(append(parseFlags(), jailFlags()...), geoFlags()...),
			&ucli.StringFlag{Name: "auth-log", Value: "/var/log/auth.log", Usage: "the log to follow"},
			&ucli.StringFlag{Name: "state", Usage: "state file: position, jail state and counters, saved every interval and on shutdown"},
			&ucli.DurationFlag{Name: "interval", Value: 10 * time.Second, Usage: "how often to write the numbers and save the state"},
			&ucli.StringFlag{Name: "host", Usage: "host tag (default: the host name)"},
			&ucli.StringFlag{Name: "output", Usage: "append line protocol to this file instead of standard output"},
			&ucli.StringFlag{Name: "events", Usage: "append bans and unbans as JSON lines to this file"},
			&ucli.BoolFlag{Name: "poll", Usage: "poll the log instead of using inotify (NFS, some container mounts)"},
			&ucli.StringFlag{Name: "fail2ban-log", Value: "/var/log/fail2ban.log", Usage: "fail2ban's log, followed beside the simulation when readable (\"\" for none)"},
			&ucli.StringFlag{Name: "fail2ban-db", Usage: "fail2ban's database (/var/lib/fail2ban/fail2ban.sqlite3): with no state, restore the bans fail2ban restores"},
			&ucli.StringFlag{Name: "listen", Value: "127.0.0.1:9539", Usage: "serve Prometheus /metrics and /healthz here (\"\" for none)"},
			&ucli.StringFlag{Name: "prometheus-names", Value: "banscope", Usage: "metric names on /metrics: banscope, f2b-exporter (the fail2ban-prometheus-exporter's f2b_* names, for its dashboards and alerts) or both"},
			&ucli.StringFlag{Name: "web-config", Usage: "Prometheus exporter-toolkit web configuration (TLS, basic auth) for --listen"},
			&ucli.StringFlag{Name: "influx-url", Usage: "push points to this InfluxDB-compatible server (http://host:8086)"},
			&ucli.StringFlag{Name: "influx-db", Usage: "InfluxDB 1.x database (/write)"},
			&ucli.StringFlag{Name: "influx-rp", Usage: "InfluxDB 1.x retention policy"},
			&ucli.StringFlag{Name: "influx-user", Usage: "InfluxDB 1.x user (the password comes from INFLUX_PASSWORD or --influx-token-file)"},
			&ucli.StringFlag{Name: "influx-org", Usage: "InfluxDB 2 organisation (/api/v2/write)"},
			&ucli.StringFlag{Name: "influx-bucket", Usage: "InfluxDB 2 bucket (/api/v2/write); the token comes from INFLUX_TOKEN or --influx-token-file"},
			&ucli.StringFlag{Name: "influx-token-file", Usage: "file holding the InfluxDB 2 token or the 1.x password"},
			&ucli.BoolFlag{Name: "influx-skip-database-creation", Usage: "do not create a missing InfluxDB 1.x database (by default it is created at the first push)"},
			&ucli.StringFlag{Name: "spool", Usage: "directory where points wait while the server is unreachable (sent in order when it returns)"},
			&ucli.BoolFlag{Name: "journal", Usage: "read sshd's entries from the systemd journal (journalctl) instead of --auth-log"},
			&ucli.StringFlag{Name: "journal-file", Usage: "with --journal: read this journal file (journalctl --file)"},
		),
		Action: func(ctx context.Context, c *ucli.Command) error {
			ps, err := readParseFlags(c)
			if err != nil {
				return err
			}
			switch c.String("prometheus-names") {
			case "banscope", "f2b-exporter", "both":
			default:
				return usage(c, fmt.Errorf("--prometheus-names: want banscope, f2b-exporter or both, not %q", c.String("prometheus-names")))
			}
			setup, err := newJailSetup(c, ps)
			if err != nil {
				return err
			}
			jails, purgeAge := setup.jails, setup.purgeAge
			var out io.Writer = c.Root().Writer
			if o := c.String("output"); o != "" {
				f, err := os.OpenFile(o, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
				if err != nil {
					return fmt.Errorf("--output: %w", err)
				}
				defer f.Close()
				out = f
			}
			var sink events.Sink
			if name := c.String("events"); name != "" {
				f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
				if err != nil {
					return fmt.Errorf("--events: %w", err)
				}
				defer f.Close()
				sink = events.NewJSONLines(f)
			}
			influx, err := influxConfig(c)
			if err != nil {
				return err
			}
			g, err := openGeo(c)
			if err != nil {
				return err
			}
			if g != nil {
				defer g.Close()
			}
			ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			reload := make(chan struct{}, 1)
			go func() {
				for range hup {
					select {
					case reload <- struct{}{}:
					default:
					}
				}
			}()
			src := chooseSource(c, setup.specs, ps.f2b.Version, fileExists)
			notice(setup.log, src.why)
			return live.Run(ctx, live.Config{
				AuthLog: src.authLog, JournalMatch: src.match, State: c.String("state"), Interval: c.Duration("interval"),
				Host: c.String("host"), Jails: jails, Location: ps.loc, Year: ps.year, MaxLine: ps.maxLine,
				Hosts: ps.hosts, DBPurgeAge: purgeAge, Out: out, Events: sink, ForcePoll: c.Bool("poll"),
				Journal: src.journal, JournalArgs: journalArgs(c.String("journal-file")),
				Fail2banLog: fail2banLog(c), Fail2banDB: c.String("fail2ban-db"), Influx: influx, Geo: g, Listen: c.String("listen"), WebConfig: c.String("web-config"),
				PrometheusNames: c.String("prometheus-names"), Version: shortVersion(), Fail2ban: ps.f2b,
				Reload: reload, Settings: func() ([]engine.Jail, error) {
					s, err := newJailSetup(c, ps)
					if err != nil {
						return nil, err
					}
					return s.jails, nil
				},
				Notice: func(m string) { notice(setup.log, m) },
			})
		},
	}
}

func journalArgs(file string) []string {
	if file == "" {
		return nil
	}
	return []string{"--file", file}
}

// fail2banLog is --fail2ban-log; its default is used only when readable.
func fail2banLog(c *ucli.Command) string {
	p := c.String("fail2ban-log")
	if p == "" || c.IsSet("fail2ban-log") {
		return p
	}
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	f.Close()
	return p
}

// influxConfig reads the push settings; secrets come from the environment
// or a file, never only from the command line.
func influxConfig(c *ucli.Command) (influxpush.Config, error) {
	in := influxpush.Config{URL: c.String("influx-url"), DB: c.String("influx-db"), RP: c.String("influx-rp"),
		User: c.String("influx-user"), Org: c.String("influx-org"), Bucket: c.String("influx-bucket"), Spool: c.String("spool"),
		SkipDatabaseCreation: c.Bool("influx-skip-database-creation")}
	if in.URL == "" {
		return in, nil
	}
	secret := ""
	if f := c.String("influx-token-file"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return in, fmt.Errorf("--influx-token-file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if in.Bucket != "" {
		in.Token = secret
		if in.Token == "" {
			in.Token = os.Getenv("INFLUX_TOKEN")
		}
	} else {
		in.Password = secret
		if in.Password == "" {
			in.Password = os.Getenv("INFLUX_PASSWORD")
		}
	}
	return in, nil
}

// runSource is what `run` follows, and why.
type runSource struct {
	journal bool
	authLog string   // the file, when not the journal
	match   []string // the journal match, nil for the filter's default
	why     string
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// chooseSource picks the log `run` follows the way the simulated fail2ban
// picks the sshd jail's backend (server/jail.py, client/jailreader.py):
// `backend = systemd` reads the journal, with the jail's journalmatch
// when it has one; any other backend reads the jail's logpath, or
// --auth-log — and 1.1.1's `auto` reads the journal when that path does
// not exist. --auth-log, --journal and --journal-file given on the
// command line decide instead. Never a silent wait for a file the
// configuration does not use.
func chooseSource(c *ucli.Command, specs []jailsim.JailSpec, v f2bversion.Version, exists func(string) bool) runSource {
	authLog := c.String("auth-log")
	var j *jailsim.JailSpec
	for k := range specs {
		if specs[k].Filter == "sshd" {
			j = &specs[k]
			break
		}
	}
	switch {
	case c.Bool("journal") || c.IsSet("journal-file"):
		s := runSource{journal: true, why: "following the systemd journal (--journal)"}
		if j != nil {
			s.match = strings.Fields(j.JournalMatch)
		}
		if len(s.match) == 0 {
			s.match = nil
		}
		return s
	case c.IsSet("auth-log"):
		return runSource{authLog: authLog, why: "following " + authLog + " (--auth-log)"}
	}
	if j == nil {
		return runSource{authLog: authLog, why: "following " + authLog + " (the default)"}
	}
	backend, _, _ := strings.Cut(strings.ToLower(j.Backend), "[")
	backend = strings.TrimSpace(backend)
	where := ""
	if o := j.Origin["backend"]; o != "" {
		where = ", " + o
	}
	journal := func(why string) runSource {
		s := runSource{journal: true, why: "following the systemd journal (jail " + j.Name + ": " + why + ")"}
		if m := strings.Fields(j.JournalMatch); len(m) > 0 {
			s.match = m
			s.why += ", journalmatch " + j.JournalMatch
		}
		return s
	}
	if strings.HasPrefix(backend, "systemd") {
		return journal("backend = " + j.Backend + where)
	}
	path, from := authLog, "the default"
	if len(j.LogPath) > 0 {
		if f := strings.Fields(j.LogPath[0]); len(f) > 0 { // "PATH [tail|head]"
			path, from = f[0], "jail "+j.Name+": logpath"
		}
	}
	if (backend == "" || backend == "auto") && v.AtLeast(f2bversion.V1_1_1) && !exists(path) {
		return journal(fmt.Sprintf("backend = auto and %s does not exist: fail2ban %s reads the journal", path, v))
	}
	return runSource{authLog: path, why: "following " + path + " (" + from + ")"}
}
