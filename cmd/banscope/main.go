// Command banscope rebuilds fail2ban's metrics from the logs themselves.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/banscope/banscope/internal/cli"
)

func main() { os.Exit(run()) }

func run() int {
	if err := cli.Command().Run(context.Background(), os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "banscope:", err)
		return 1
	}
	return 0
}
