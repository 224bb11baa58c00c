package monitoring

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/libgossip/libgossip/gossip"
)

// TraceMetaKey is the metadata key under which Monitor.Join publishes the
// join's W3C traceparent, so that the members that learn of the join record
// their side of it in the same trace. It stays in the metadata afterwards.
const TraceMetaKey = "otel.traceparent"

// Span names.
const (
	SpanJoin             = "libgossip.join"
	SpanJoinSeen         = "libgossip.join.seen"
	SpanLeave            = "libgossip.leave"
	SpanBroadcast        = "libgossip.broadcast"
	SpanBroadcastReceive = "libgossip.broadcast.receive"
)

func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// Join joins the node's cluster through seeds (see gossip.Node.Join) inside
// a "libgossip.join" span. Before joining it publishes the span's
// traceparent in the node's metadata under TraceMetaKey; every instrumented
// member that learns of the join records a "libgossip.join.seen" span as its
// child (when the metadata has no room for it, the join goes on without).
// It blocks like gossip.Node.Join.
func (mon *Monitor) Join(ctx context.Context, seeds ...string) error {
	ctx, span := mon.tracer.Start(ctx, SpanJoin, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("member.id", mon.node.LocalNode().ID), attribute.Int("seeds", len(seeds))))
	carrier := propagation.MapCarrier{}
	propagator.Inject(ctx, carrier)
	if tp := carrier["traceparent"]; tp != "" {
		err := mon.node.UpdateMeta(func(meta map[string]string) error {
			meta[TraceMetaKey] = tp
			return nil
		})
		if err != nil {
			// The metadata is full or refused: join untraced on the
			// other side rather than not at all.
			span.AddEvent("traceparent not published", trace.WithAttributes(attribute.String("error", err.Error())))
		}
	}
	err := mon.node.Join(ctx, seeds...)
	if err == nil {
		span.SetAttributes(attribute.Int("members", len(mon.node.LiveMembers())))
	}
	endSpan(span, err)
	return err
}

// Leave announces the node's departure (see gossip.Node.Leave) inside a
// "libgossip.leave" span. It blocks like gossip.Node.Leave.
func (mon *Monitor) Leave(ctx context.Context) error {
	ctx, span := mon.tracer.Start(ctx, SpanLeave, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("member.id", mon.node.LocalNode().ID)))
	err := mon.node.Leave(ctx)
	endSpan(span, err)
	return err
}

// Broadcast sends a user broadcast inside a "libgossip.broadcast" producer
// span whose context travels in the payload (see Wrap). Each instrumented
// receiver records a "libgossip.broadcast.receive" child span; plain
// receivers get the payload through Unwrap or Open. It does not block.
func (mon *Monitor) Broadcast(ctx context.Context, payload []byte) error {
	ctx, span := mon.tracer.Start(ctx, SpanBroadcast, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("member.id", mon.node.LocalNode().ID), attribute.Int("payload.size", len(payload))))
	err := Broadcast(ctx, mon.node, payload)
	endSpan(span, err)
	return err
}

// traceReceived records the receiving side of a traced broadcast and returns
// a note for the event list.
func (mon *Monitor) traceReceived(ev gossip.Event) string {
	sc, payload, err := Unwrap(ev.Payload)
	if err != nil {
		return "bad trace envelope"
	}
	if !sc.IsValid() {
		return fmt.Sprintf("%d bytes", len(payload))
	}
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), sc)
	_, span := mon.tracer.Start(ctx, SpanBroadcastReceive, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithTimestamp(ev.Time),
		trace.WithAttributes(attribute.String("member.id", mon.node.LocalNode().ID),
			attribute.String("origin.id", ev.Member.ID), attribute.Int("payload.size", len(payload))))
	span.End()
	return fmt.Sprintf("%d bytes, trace %s", len(payload), sc.TraceID())
}

// traceJoinSeen records this member's side of a traced join.
func (mon *Monitor) traceJoinSeen(ev gossip.Event) {
	tp := ev.Member.Meta[TraceMetaKey]
	if tp == "" || len(tp) > maxTraceparent {
		return
	}
	sc := parseTraceparent(tp, "")
	if !sc.IsValid() {
		return
	}
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), sc)
	_, span := mon.tracer.Start(ctx, SpanJoinSeen, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithTimestamp(ev.Time),
		trace.WithAttributes(attribute.String("member.id", mon.node.LocalNode().ID),
			attribute.String("joiner.id", ev.Member.ID)))
	span.End()
}
