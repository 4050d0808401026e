// Command authgen writes deterministic, realistic auth.log traffic.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/banscope/banscope/internal/authgen"
	"github.com/urfave/cli/v3"
)

func main() {
	cmd := &cli.Command{
		Name:  "authgen",
		Usage: "write realistic, deterministic auth.log traffic to stdout",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "lines", Aliases: []string{"n"}, Value: 10000, Usage: "number of lines"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "random seed"},
			&cli.StringFlag{Name: "start", Value: "2026-11-27T00:00:00Z", Usage: "time of the first line (RFC 3339)"},
			&cli.StringFlag{Name: "style", Value: "rfc3164", Usage: "timestamps: rfc3164, rfc3339 or mixed"},
			&cli.StringFlag{Name: "host", Value: "web1", Usage: "syslog host name"},
			&cli.FloatFlag{Name: "rate", Value: 5, Usage: "mean lines per second of log time"},
			&cli.FloatFlag{Name: "hostile", Value: 0, Usage: "share of sessions with hostile content (0..1)"},
			&cli.BoolFlag{Name: "huge", Usage: "include ~1 MiB lines among hostile ones"},
			&cli.BoolFlag{Name: "sshd-session", Usage: "log per-connection lines as sshd-session (OpenSSH >= 9.8)"},
			&cli.StringFlag{Name: "openssh", Value: "9.2", Usage: "generation of sshd's messages: 9.2 (bookworm), 9.8 (sshd-session, listener drops, new Timeout form) or 10 (also kex lines without error: and rate-limited drop summaries)"},
		},
		Action: func(ctx context.Context, c *cli.Command) error {
			start, err := time.Parse(time.RFC3339, c.String("start"))
			if err != nil {
				return fmt.Errorf("--start: %w", err)
			}
			var style authgen.Style
			switch c.String("style") {
			case "rfc3164":
				style = authgen.RFC3164
			case "rfc3339":
				style = authgen.RFC3339
			case "mixed":
				style = authgen.Mixed
			default:
				return fmt.Errorf("--style: want rfc3164, rfc3339 or mixed, not %q", c.String("style"))
			}
			gen, err := authgen.ParseGeneration(c.String("openssh"))
			if err != nil {
				return fmt.Errorf("--openssh: %w", err)
			}
			return authgen.Generate(os.Stdout, authgen.Config{OpenSSH: gen,
				Seed: c.Uint64("seed"), Lines: int(c.Int("lines")), Start: start, Style: style,
				Host: c.String("host"), Rate: c.Float("rate"), Hostile: c.Float("hostile"),
				HugeLines: c.Bool("huge"), SessionProc: c.Bool("sshd-session"),
			})
		},
	}
	if err := cmd.Run(context.Background(), os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "authgen:", err)
		os.Exit(1)
	}
}
