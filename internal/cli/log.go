package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	ucli "github.com/urfave/cli/v3"
)

func logFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "log-level", Value: "info", Usage: "notices shown on standard error: debug, info, warn or error (warn keeps Telegraf's execd log quiet)"},
		&ucli.StringFlag{Name: "log-format", Value: "plain", Usage: "notices as plain lines (banscope: …), or log/slog's text or json records"},
	}
}

// notices is where a command's notices go: the root's --log-level and
// --log-format, on the command's standard error.
func notices(c *ucli.Command) (*slog.Logger, error) {
	root := c.Root()
	var level slog.Level
	if err := level.UnmarshalText([]byte(root.String("log-level"))); err != nil {
		return nil, usage(c, fmt.Errorf("--log-level: want debug, info, warn or error, not %q", root.String("log-level")))
	}
	opts := &slog.HandlerOptions{Level: level}
	w := errWriter(c)
	switch f := root.String("log-format"); f {
	case "plain":
		return slog.New(&plainHandler{w: w, level: level, mu: &sync.Mutex{}}), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, usage(c, fmt.Errorf("--log-format: want plain, text or json, not %q", f))
	}
}

// notice logs a message of the library's Notice callbacks: a warning when
// it says so, information otherwise.
func notice(l *slog.Logger, msg string) {
	if rest, ok := strings.CutPrefix(msg, "WARNING: "); ok {
		l.Warn(rest)
		return
	}
	l.Info(msg)
}

// plainHandler writes "banscope: message" lines (and "WARNING: " before
// warnings), as banscope always has.
type plainHandler struct {
	w     io.Writer
	level slog.Level
	mu    *sync.Mutex
	attrs []slog.Attr
}

func (h *plainHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *plainHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("banscope: ")
	if r.Level >= slog.LevelWarn {
		b.WriteString("WARNING: ")
	}
	b.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *plainHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *plainHandler) WithGroup(string) slog.Handler { return h }
