// Command banscope rebuilds fail2ban's metrics from the logs themselves.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/banscope/banscope/internal/cli"
	ucli "github.com/urfave/cli/v3"
)

func main() { os.Exit(run()) }

// run returns the exit status: 0, 1 for a failure, 2 for a command line
// banscope does not accept.
func run() int {
	err := cli.Command().Run(context.Background(), os.Args)
	if err == nil {
		return 0
	}
	var ue *cli.UsageError
	var ec ucli.ExitCoder
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "banscope: %v\n%s\n", err, ue.Hint())
		return 2
	case errors.As(err, &ec) && ec.ExitCode() != 1:
		fmt.Fprintln(os.Stderr, "banscope:", err)
		return 2 // the library's own usage errors (an unknown help topic)
	}
	fmt.Fprintln(os.Stderr, "banscope:", err)
	return 1
}
