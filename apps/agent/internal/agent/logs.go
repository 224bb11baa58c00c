package agent

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// logHandler filters records by a level that SIGHUP can change and copies
// each written record to the event stream (type "log").
type logHandler struct {
	inner slog.Handler
	level *slog.LevelVar
	b     *broker
	attrs string
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.b.count() > 0 {
		var sb strings.Builder
		sb.WriteString(r.Message)
		sb.WriteString(h.attrs)
		r.Attrs(func(a slog.Attr) bool {
			sb.WriteString(" " + a.String())
			return true
		})
		h.b.publish(Event{Type: KindLog, Time: r.Time, Level: r.Level.String(), Message: sb.String()})
	}
	return h.inner.Handle(ctx, r)
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.inner = h.inner.WithAttrs(as)
	var sb strings.Builder
	sb.WriteString(h.attrs)
	for _, a := range as {
		sb.WriteString(" " + a.String())
	}
	c.attrs = sb.String()
	return &c
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.inner = h.inner.WithGroup(name)
	return &c
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("%w: log_level %q", ErrConfig, s)
	}
	return l, nil
}
