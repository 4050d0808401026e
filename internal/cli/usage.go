package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v3"
)

// UsageError is a command line a command does not accept (an unknown
// flag or command, a bad flag value, missing arguments). main prints it
// as one line with a hint and exits with status 2, as gh, restic and age
// do; other errors exit 1.
type UsageError struct {
	Command string // the command's full name, e.g. "banscope replay"
	Err     error
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Hint says where the command's usage is.
func (e *UsageError) Hint() string { return fmt.Sprintf("see '%s --help'", e.Command) }

// usage wraps err as a usage error of c (nil stays nil).
func usage(c *ucli.Command, err error) error {
	if err == nil {
		return nil
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return err
	}
	return &UsageError{Command: c.FullName(), Err: err}
}

// onUsageError turns the flag parser's complaints into usage errors, with
// the flag as the user typed it (--bogus, not -bogus).
func onUsageError(_ context.Context, c *ucli.Command, err error, _ bool) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		dash := "-"
		if len(strings.TrimLeft(name, "-")) > 1 {
			dash = "--"
		}
		err = fmt.Errorf("unknown flag %s%s", dash, strings.TrimLeft(name, "-"))
	}
	return usage(c, err)
}

// withUsage gives a command tree the project's usage conventions.
func withUsage(c *ucli.Command) *ucli.Command {
	c.OnUsageError = onUsageError
	for _, sub := range c.Commands {
		withUsage(sub)
	}
	return c
}
