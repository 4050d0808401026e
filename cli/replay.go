package cli

import (
	"context"
	"fmt"

	ucli "github.com/urfave/cli/v3"
)

func replayCommand() *ucli.Command {
	return &ucli.Command{
		Name:      "replay",
		Usage:     "replay historical logs through fail2ban's jail arithmetic",
		ArgsUsage: "FILE...",
		Action: func(ctx context.Context, c *ucli.Command) error {
			return fmt.Errorf("replay: not built yet")
		},
	}
}
