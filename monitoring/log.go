package monitoring

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// LogFormat is the output format of NewLogger.
type LogFormat string

// Log formats.
const (
	LogText LogFormat = "text" // key=value lines (slog.TextHandler)
	LogJSON LogFormat = "json" // one JSON object per line (slog.JSONHandler)
)

// LogConfig configures NewLogger.
type LogConfig struct {
	// Level is the lowest level written. Default slog.LevelInfo (the zero
	// value).
	Level slog.Level
	// Format is LogText or LogJSON. Default LogText.
	Format LogFormat
	// MemberID, when set, is attached to every record as node_id (the key
	// the libraries use); a node_id the libraries attach again is not
	// repeated.
	MemberID string
	// AddSource adds the source file and line to every record.
	AddSource bool
}

// ParseLevel parses "debug", "info", "warn" or "error" (any case, or a
// level with an offset such as "info+2").
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return 0, fmt.Errorf("%w: log level %q", ErrConfig, s)
	}
	return l, nil
}

// NewLogger returns a logger writing to w as cfg says. Hand it to the
// libraries (gossip.WithLogger, net.WithLogger, WithLogger here). Writes to
// w are serialized by the handler.
func NewLogger(w io.Writer, cfg LogConfig) (*slog.Logger, error) {
	ho := &slog.HandlerOptions{Level: cfg.Level, AddSource: cfg.AddSource}
	var h slog.Handler
	switch cfg.Format {
	case LogText, "":
		h = slog.NewTextHandler(w, ho)
	case LogJSON:
		h = slog.NewJSONHandler(w, ho)
	default:
		return nil, fmt.Errorf("%w: log format %q (want text or json)", ErrConfig, cfg.Format)
	}
	if cfg.MemberID != "" {
		h = memberHandler{Handler: h.WithAttrs([]slog.Attr{slog.String("node_id", cfg.MemberID)}), id: cfg.MemberID}
	}
	return slog.New(h), nil
}

// memberHandler carries node_id already and drops the same node_id when a
// library attaches it again.
type memberHandler struct {
	slog.Handler
	id      string
	grouped bool
}

func (h memberHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if !h.grouped {
		kept := attrs[:0:0]
		for _, a := range attrs {
			if a.Key == "node_id" && a.Value.String() == h.id {
				continue
			}
			kept = append(kept, a)
		}
		attrs = kept
	}
	return memberHandler{Handler: h.Handler.WithAttrs(attrs), id: h.id, grouped: h.grouped}
}

func (h memberHandler) WithGroup(name string) slog.Handler {
	return memberHandler{Handler: h.Handler.WithGroup(name), id: h.id, grouped: h.grouped || name != ""}
}

func (h memberHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.Handler.Handle(ctx, r)
}
