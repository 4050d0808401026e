package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/banscope/banscope/internal/f2bversion"
	ucli "github.com/urfave/cli/v3"
)

// version is the release's version, set with
// -ldflags "-X github.com/banscope/banscope/internal/cli.version=v1.2.3";
// without it the module's version from the build info is used.
var version = ""

// shortVersion is banscope's version as one word.
func shortVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// writeVersion writes what `banscope version` says: the version and
// commit, the Go toolchain, the fail2ban releases simulated, and the
// embedded country data.
func writeVersion(w io.Writer) {
	v, commit, data := version, "", "github.com/phuslu/iploc"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		var rev, when, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = ", modified"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			commit = fmt.Sprintf(" (commit %s, %s%s)", rev, when, dirty)
		}
		for _, d := range bi.Deps {
			if d.Path == "github.com/phuslu/iploc" {
				data += " " + d.Version
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	fmt.Fprintf(w, "banscope %s%s\n", v, commit)
	fmt.Fprintf(w, "built with %s for %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	var rel []string
	for _, r := range f2bversion.All() {
		rel = append(rel, fmt.Sprintf("%s (Debian %s)", r, r.Debian()))
	}
	fmt.Fprintf(w, "simulates fail2ban %s and their filter.d/sshd.conf (--fail2ban)\n", strings.Join(rel, ", "))
	fmt.Fprintf(w, "country data: IP2Location LITE, embedded through %s (CC BY-SA 4.0, https://lite.ip2location.com)\n", data)
}

func versionCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "version",
		Usage: "print banscope's version, its build and the data it embeds",
		Action: func(ctx context.Context, c *ucli.Command) error {
			if c.Args().Present() {
				return usage(c, fmt.Errorf("version takes no arguments"))
			}
			writeVersion(c.Root().Writer)
			return nil
		},
	}
}
