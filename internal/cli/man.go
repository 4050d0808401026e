package cli

import (
	"fmt"
	"io"
	"strings"

	ucli "github.com/urfave/cli/v3"
)

// WriteMan writes banscope(1) in roff from the command tree itself, so the
// page cannot drift from the flags (docs/banscope.1 is checked against it).
func WriteMan(w io.Writer) error {
	root := Command()
	var b strings.Builder
	b.WriteString(".TH BANSCOPE 1 \"\" \"banscope\" \"User Commands\"\n")
	b.WriteString(".SH NAME\nbanscope \\- " + roff(root.Usage) + "\n")
	b.WriteString(".SH SYNOPSIS\n.B banscope\n[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIcommand options\\fR] [\\fIarguments\\fR]\n")
	b.WriteString(".SH DESCRIPTION\n" + roff("banscope reads sshd's log (auth.log or the systemd journal) and fail2ban.log, "+
		"gives every line the verdict fail2ban's own sshd filter gives it, replays the failures through fail2ban's jail "+
		"arithmetic, and reports the numbers fail2ban would: failed and banned per jail, as InfluxDB line protocol, "+
		"Prometheus metrics and reports. It needs read access to the logs only.") + "\n")
	b.WriteString(".SH GLOBAL OPTIONS\n")
	manFlags(&b, root.VisibleFlags())
	b.WriteString(".SH COMMANDS\n")
	for _, c := range root.VisibleCommands() {
		if c.Name == "help" {
			continue
		}
		fmt.Fprintf(&b, ".SS %s\n", roff(strings.TrimSpace(c.Name+" "+c.ArgsUsage)))
		b.WriteString(roff(c.Usage) + "\n")
		if fs := c.VisibleFlags(); len(fs) > 0 {
			b.WriteString(".PP\nOptions:\n")
			manFlags(&b, fs)
		}
	}
	b.WriteString(".SH EXIT STATUS\n0 on success, 1 on a failure, 2 for a command line banscope does not accept.\n")
	b.WriteString(".SH SEE ALSO\n.BR fail2ban-client (1),\n.BR fail2ban-regex (1),\n.BR jail.conf (5)\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func manFlags(b *strings.Builder, flags []ucli.Flag) {
	for _, f := range flags {
		df, ok := f.(ucli.DocGenerationFlag)
		if !ok {
			continue
		}
		var names []string
		for _, n := range f.Names() {
			if len(n) == 1 {
				names = append(names, "\\fB\\-"+n+"\\fR")
			} else {
				names = append(names, "\\fB\\-\\-"+roff(n)+"\\fR")
			}
		}
		head := strings.Join(names, ", ")
		if df.TakesValue() {
			head += " \\fI" + roff(strings.ToLower(df.TypeName())) + "\\fR"
		}
		usage := strings.ReplaceAll(df.GetUsage(), "`", "")
		v := df.GetDefaultText()
		if v == "" {
			v = strings.Trim(df.GetValue(), `"`)
		}
		if df.TakesValue() && v != "" && df.IsDefaultVisible() {
			usage += " (default: " + v + ")"
		}
		fmt.Fprintf(b, ".TP\n%s\n%s\n", head, roff(usage))
	}
}

// roff escapes text for a man page: backslashes, and a leading dot or
// quote that roff would read as a request.
func roff(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\e")
	s = strings.ReplaceAll(s, "-", "\\-")
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = "\\&" + s
	}
	return s
}
