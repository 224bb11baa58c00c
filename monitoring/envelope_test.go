package monitoring_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/libgossip/libgossip/monitoring"
)

func spanCtx(t testing.TB) context.Context {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
	return trace.ContextWithSpanContext(context.Background(), sc)
}

func TestEnvelopeRoundTrip(t *testing.T) {
	traced := spanCtx(t)
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		payload []byte
		wrapped bool
	}{
		{"traced", traced, []byte("hello"), true},
		{"traced empty", traced, nil, true},
		{"untraced", context.Background(), []byte("hello"), false},
		{"untraced magic", context.Background(), []byte("\x00LGT\x01abc"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := monitoring.Wrap(tc.ctx, tc.payload)
			if got := !bytes.Equal(b, tc.payload); got != tc.wrapped {
				t.Fatalf("Wrap changed the payload: %v, want %v (%q)", got, tc.wrapped, b)
			}
			sc, p, err := monitoring.Unwrap(b)
			if err != nil {
				t.Fatalf("Unwrap(%q): %v", b, err)
			}
			if !bytes.Equal(p, tc.payload) {
				t.Errorf("payload %q, want %q", p, tc.payload)
			}
			want := trace.SpanContextFromContext(tc.ctx)
			if sc.TraceID() != want.TraceID() || sc.SpanID() != want.SpanID() || !sc.Equal(want.WithRemote(sc.IsRemote())) {
				t.Errorf("span context %v, want %v", sc, want)
			}
			ctx, p2, err := monitoring.Open(context.Background(), b)
			if err != nil || !bytes.Equal(p2, tc.payload) {
				t.Fatalf("Open: %q, %v", p2, err)
			}
			if got := trace.SpanContextFromContext(ctx); got.IsValid() != want.IsValid() || (got.IsValid() && !got.IsRemote()) {
				t.Errorf("Open's context: %v (remote %v)", got, got.IsRemote())
			}
		})
	}
}

func TestEnvelopeMalformed(t *testing.T) {
	good := monitoring.Wrap(spanCtx(t), []byte("x"))
	for _, b := range [][]byte{
		[]byte("\x00LGT"),                 // no version
		[]byte("\x00LGT\x02"),             // unknown version
		[]byte("\x00LGT\x01"),             // no traceparent length
		[]byte("\x00LGT\x01\xff\xff\xff"), // bad varint
		[]byte("\x00LGT\x01\x80\x01"),     // traceparent over the limit
		[]byte("\x00LGT\x01\x05abc"),      // traceparent past the end
		[]byte("\x00LGT\x01\x03abc"),      // no tracestate length
		[]byte("\x00LGT\x01\x03abc\x00"),  // invalid traceparent
		good[:20],
	} {
		sc, p, err := monitoring.Unwrap(b)
		if !errors.Is(err, monitoring.ErrEnvelope) || sc.IsValid() || p != nil {
			t.Errorf("Unwrap(%q) = %v, %q, %v; want ErrEnvelope", b, sc, p, err)
		}
		if _, _, err := monitoring.Open(context.Background(), b); !errors.Is(err, monitoring.ErrEnvelope) {
			t.Errorf("Open(%q): %v", b, err)
		}
	}
}

// FuzzUnwrap: any input either parses (and then re-wraps to an equivalent
// envelope) or fails with ErrEnvelope; never a panic.
func FuzzUnwrap(f *testing.F) {
	f.Add([]byte("plain payload"))
	f.Add(monitoring.Wrap(spanCtx(f), []byte("hello")))
	f.Add(monitoring.Wrap(context.Background(), []byte("\x00LGT\x01")))
	f.Add([]byte("\x00LGT\x01\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, p, err := monitoring.Unwrap(b)
		if err != nil {
			if !errors.Is(err, monitoring.ErrEnvelope) {
				t.Fatalf("error %v does not wrap ErrEnvelope", err)
			}
			return
		}
		ctx := context.Background()
		if sc.IsValid() {
			ctx = trace.ContextWithSpanContext(ctx, sc)
		}
		sc2, p2, err := monitoring.Unwrap(monitoring.Wrap(ctx, p))
		if err != nil || !bytes.Equal(p, p2) || sc2.TraceID() != sc.TraceID() || sc2.SpanID() != sc.SpanID() {
			t.Fatalf("re-wrap of %q: %v %q %v", b, sc2, p2, err)
		}
	})
}

func ExampleWrap() {
	// The sender's span context travels in front of the payload...
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	b := monitoring.Wrap(ctx, []byte("deploy v2"))
	// ... and a receiver takes it off again.
	sc, payload, err := monitoring.Unwrap(b)
	fmt.Println(string(payload), sc.TraceID(), sc.SpanID(), err)
	// Output: deploy v2 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 <nil>
}
