package monitoring

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/net/stats"
)

// Instrument names. Every name is under libgossip.*, with a UCUM unit.
const (
	MetricMembers          = "libgossip.members"                  // {member}, gauge, attribute state
	MetricMemberState      = "libgossip.member.state"             // {member}, gauge 1, attributes member.id and state
	MetricHealthScore      = "libgossip.health.score"             // {1}, gauge: Lifeguard awareness, 0 is healthy
	MetricProbes           = "libgossip.probes"                   // {probe}, counter
	MetricProbesFailed     = "libgossip.probes.failed"            // {probe}, counter
	MetricProbesIndirect   = "libgossip.probes.indirect"          // {probe}, counter
	MetricSuspicions       = "libgossip.suspicions"               // {suspicion}, counter: raised by this member
	MetricRefutations      = "libgossip.refutations"              // {refutation}, counter: of suspicions of this member
	MetricFailures         = "libgossip.failures"                 // {member}, counter: members declared failed
	MetricFailureEvents    = "libgossip.failures.observed"        // {member}, counter, attribute origin
	MetricMessagesSent     = "libgossip.messages.sent"            // {packet}, counter
	MetricMessagesReceived = "libgossip.messages.received"        // {packet}, counter
	MetricBytesSent        = "libgossip.bytes.sent"               // By, counter
	MetricBytesReceived    = "libgossip.bytes.received"           // By, counter
	MetricMalformed        = "libgossip.messages.malformed"       // {packet}, counter
	MetricStale            = "libgossip.messages.stale"           // {message}, counter
	MetricMisdirected      = "libgossip.messages.misdirected"     // {message}, counter
	MetricUnknownAcks      = "libgossip.acks.unknown"             // {message}, counter
	MetricConflicts        = "libgossip.conflicts"                // {conflict}, counter
	MetricDamped           = "libgossip.flaps.damped"             // {update}, counter
	MetricPushPulls        = "libgossip.pushpulls"                // {exchange}, counter
	MetricDigests          = "libgossip.digests"                  // {digest}, counter
	MetricEarlyRounds      = "libgossip.gossip.early_rounds"      // {round}, counter
	MetricSendErrors       = "libgossip.send.errors"              // {error}, counter
	MetricStreamErrors     = "libgossip.stream.errors"            // {error}, counter
	MetricDecodeErrors     = "libgossip.decode.errors"            // {error}, counter
	MetricQueueUpdates     = "libgossip.queue.updates"            // {update}, gauge
	MetricQueueBroadcasts  = "libgossip.queue.broadcasts"         // {broadcast}, gauge
	MetricUpdatesDropped   = "libgossip.updates.dropped"          // {update}, counter
	MetricBroadcastDropped = "libgossip.broadcasts.dropped"       // {broadcast}, counter
	MetricBroadcastDups    = "libgossip.broadcasts.duplicate"     // {broadcast}, counter
	MetricEvents           = "libgossip.events"                   // {event}, counter, attribute type
	MetricEventsDropped    = "libgossip.events.dropped"           // {event}, counter
	MetricTransportPackets = "libgossip.transport.packets"        // {packet}, counter, attribute direction
	MetricTransportBytes   = "libgossip.transport.bytes"          // By, counter, attribute direction
	MetricTransportStreams = "libgossip.transport.streams"        // {stream}, counter, attribute direction
	MetricTransportDrops   = "libgossip.transport.drops"          // {packet}, counter, attribute reason
	MetricAuthFailures     = "libgossip.transport.auth.failures"  // {packet}, counter
	MetricIncRefused       = "libgossip.incarnations.refused"     // {update}, counter
	MetricMembersRefused   = "libgossip.members.refused"          // {member}, counter
	MetricReliableRefused  = "libgossip.pings.reliable_refused"   // {message}, counter
	MetricSendDropped      = "libgossip.send.dropped"             // {message}, counter, attribute reason
	MetricInboundDropped   = "libgossip.messages.inbound_dropped" // {packet}, counter
	MetricProbeRTT         = "libgossip.probe.rtt"                // s, histogram (WithProbeTimer)
	MetricOversize         = "libgossip.messages.oversize"        // {packet}, counter
	MetricStreamsSent      = "libgossip.streams.sent"             // {message}, counter
	MetricDialsSkipped     = "libgossip.dials.skipped"            // {message}, counter
)

type counterDef struct {
	name, unit, desc string
	value            func(gossip.NodeStats) uint64
}

var nodeCounters = []counterDef{
	{MetricProbes, "{probe}", "Direct probes started by this member.", func(s gossip.NodeStats) uint64 { return s.Probes }},
	{MetricProbesFailed, "{probe}", "Probes that ended with no acknowledgement.", func(s gossip.NodeStats) uint64 { return s.ProbesFailed }},
	{MetricProbesIndirect, "{probe}", "Indirect probes (ping-req) sent through other members.", func(s gossip.NodeStats) uint64 { return s.IndirectProbes }},
	{MetricSuspicions, "{suspicion}", "Members this member started suspecting.", func(s gossip.NodeStats) uint64 { return s.Suspicions }},
	{MetricRefutations, "{refutation}", "Times this member refuted a suspicion or death of itself.", func(s gossip.NodeStats) uint64 { return s.Refutations }},
	{MetricFailures, "{member}", "Members declared failed, by this member's timer or learned from gossip.", func(s gossip.NodeStats) uint64 { return s.Failed }},
	{MetricMessagesSent, "{packet}", "Protocol packets produced, reliable ones included.", func(s gossip.NodeStats) uint64 { return s.PacketsOut }},
	{MetricMessagesReceived, "{packet}", "Protocol packets handled.", func(s gossip.NodeStats) uint64 { return s.PacketsIn }},
	{MetricBytesSent, "By", "Bytes of protocol packets produced.", func(s gossip.NodeStats) uint64 { return s.BytesOut }},
	{MetricBytesReceived, "By", "Bytes of protocol packets handled.", func(s gossip.NodeStats) uint64 { return s.BytesIn }},
	{MetricMalformed, "{packet}", "Inputs that failed to decode and were dropped whole.", func(s gossip.NodeStats) uint64 { return s.Malformed }},
	{MetricStale, "{message}", "Updates older than what this member knows.", func(s gossip.NodeStats) uint64 { return s.Stale }},
	{MetricMisdirected, "{message}", "Pings meant for another member id.", func(s gossip.NodeStats) uint64 { return s.Misdirected }},
	{MetricUnknownAcks, "{message}", "Acks and nacks matching no pending probe.", func(s gossip.NodeStats) uint64 { return s.UnknownAcks }},
	{MetricConflicts, "{conflict}", "Two live members seen claiming one id.", func(s gossip.NodeStats) uint64 { return s.Conflicts }},
	{MetricDamped, "{update}", "Refutations and rejoins of flapping members ignored.", func(s gossip.NodeStats) uint64 { return s.Damped }},
	{MetricPushPulls, "{exchange}", "Full-state exchanges (push-pull) started.", func(s gossip.NodeStats) uint64 { return s.PushPulls }},
	{MetricDigests, "{digest}", "Table digests sent (periodic anti-entropy; a differing table answers with a full-state exchange).", func(s gossip.NodeStats) uint64 { return s.Digests }},
	{MetricEarlyRounds, "{round}", "Gossip rounds run before the gossip interval had elapsed, to spread news at once.", func(s gossip.NodeStats) uint64 { return s.EarlyRounds }},
	{MetricSendErrors, "{error}", "Packets or streams that could not be sent.", func(s gossip.NodeStats) uint64 { return s.SendErrors }},
	{MetricStreamErrors, "{error}", "Streams that failed to connect, write or read.", func(s gossip.NodeStats) uint64 { return s.StreamErrors }},
	{MetricDecodeErrors, "{error}", "Inputs the codec or the protocol rejected.", func(s gossip.NodeStats) uint64 { return s.DecodeErrors }},
	{MetricUpdatesDropped, "{update}", "Membership updates dropped because the queue was full.", func(s gossip.NodeStats) uint64 { return s.UpdatesDropped }},
	{MetricBroadcastDropped, "{broadcast}", "User broadcasts dropped because the queue was full.", func(s gossip.NodeStats) uint64 { return s.UserDropped }},
	{MetricBroadcastDups, "{broadcast}", "User broadcasts received again and ignored.", func(s gossip.NodeStats) uint64 { return s.UserDuplicates }},
	{MetricIncRefused, "{update}", "Updates refused for an implausible incarnation jump.", func(s gossip.NodeStats) uint64 { return s.IncarnationRefused }},
	{MetricMembersRefused, "{member}", "New members refused by the per-message and table limits.", func(s gossip.NodeStats) uint64 { return s.MembersRefused }},
	{MetricReliableRefused, "{message}", "Reliable pings that arrived as packets from unknown members, dropped.", func(s gossip.NodeStats) uint64 { return s.ReliableRefused }},
	{MetricInboundDropped, "{packet}", "Received packets dropped because the protocol goroutine was behind.", func(s gossip.NodeStats) uint64 { return s.InboundDropped }},
	{MetricOversize, "{packet}", "Packets over the transport's packet size once encoded (split or sent over streams).", func(s gossip.NodeStats) uint64 { return s.Oversize }},
	{MetricStreamsSent, "{message}", "Protocol messages sent over streams, one dial each: reliable pings and acks, full-state exchanges.", func(s gossip.NodeStats) uint64 { return s.StreamsOut }},
	{MetricDialsSkipped, "{message}", "Stream pings not sent because the target's earlier ones went unanswered (dial back-off).", func(s gossip.NodeStats) uint64 { return s.DialsSkipped }},
}

// stateNames are the values of the state attribute, indexed by gossip.State.
var stateNames = map[gossip.State]string{
	gossip.StateAlive:   "alive",
	gossip.StateSuspect: "suspect",
	gossip.StateDead:    "failed",
	gossip.StateLeft:    "left",
}

// StateName returns the name monitoring uses for s in attributes and on the
// dashboard: "alive", "suspect", "failed", "left" (or "unknown").
func StateName(s gossip.State) string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return "unknown"
}

var allStates = []gossip.State{gossip.StateAlive, gossip.StateSuspect, gossip.StateDead, gossip.StateLeft}

// instruments are a Monitor's OpenTelemetry instruments.
type instruments struct {
	events      metric.Int64Counter
	failures    metric.Int64Counter
	counters    []metric.Int64ObservableCounter
	members     metric.Int64ObservableGauge
	memberState metric.Int64ObservableGauge
	health      metric.Int64ObservableGauge
	qUpdates    metric.Int64ObservableGauge
	qUser       metric.Int64ObservableGauge
	evDropped   metric.Int64ObservableCounter
	trPackets   metric.Int64ObservableCounter
	trBytes     metric.Int64ObservableCounter
	trStreams   metric.Int64ObservableCounter
	trDrops     metric.Int64ObservableCounter
	trAuth      metric.Int64ObservableCounter
	sendDropped metric.Int64ObservableCounter
	probeRTT    metric.Float64Histogram
}

func newInstruments(m metric.Meter, withTransport bool) (*instruments, []metric.Observable, error) {
	var (
		in   instruments
		errs []error
		obs  []metric.Observable
	)
	add := func(err error) { errs = append(errs, err) }
	var err error
	in.events, err = m.Int64Counter(MetricEvents, metric.WithUnit("{event}"),
		metric.WithDescription("Membership events and user broadcasts seen by this member, by type."))
	add(err)
	in.failures, err = m.Int64Counter(MetricFailureEvents, metric.WithUnit("{member}"),
		metric.WithDescription("Failures observed as events, by origin: local (this member's own suspicion timer) or gossip (learned from another member)."))
	add(err)
	for _, d := range nodeCounters {
		c, err := m.Int64ObservableCounter(d.name, metric.WithUnit(d.unit), metric.WithDescription(d.desc))
		add(err)
		in.counters = append(in.counters, c)
		obs = append(obs, c)
	}
	in.members, err = m.Int64ObservableGauge(MetricMembers, metric.WithUnit("{member}"),
		metric.WithDescription("Members known to this member, itself included, by state."))
	add(err)
	in.memberState, err = m.Int64ObservableGauge(MetricMemberState, metric.WithUnit("{member}"),
		metric.WithDescription("1 for each known member, with its id and current state as attributes."))
	add(err)
	in.health, err = m.Int64ObservableGauge(MetricHealthScore, metric.WithUnit("{1}"),
		metric.WithDescription("Local health (Lifeguard awareness) score: 0 is healthy, higher means this member is slow to answer."))
	add(err)
	in.qUpdates, err = m.Int64ObservableGauge(MetricQueueUpdates, metric.WithUnit("{update}"),
		metric.WithDescription("Membership updates waiting to be gossiped."))
	add(err)
	in.qUser, err = m.Int64ObservableGauge(MetricQueueBroadcasts, metric.WithUnit("{broadcast}"),
		metric.WithDescription("User broadcasts waiting to be gossiped."))
	add(err)
	in.evDropped, err = m.Int64ObservableCounter(MetricEventsDropped, metric.WithUnit("{event}"),
		metric.WithDescription("Events the monitor lost because its subscription buffer was full."))
	add(err)
	in.probeRTT, err = m.Float64Histogram(MetricProbeRTT, metric.WithUnit("s"),
		metric.WithDescription("Round-trip time of this member's direct probes, from ping sent to ack received."),
		metric.WithExplicitBucketBoundaries(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
	add(err)
	in.sendDropped, err = m.Int64ObservableCounter(MetricSendDropped, metric.WithUnit("{message}"),
		metric.WithDescription("Outbound messages dropped by the send queues, by reason: full (queue full) or stale (waited too long)."))
	add(err)
	obs = append(obs, in.sendDropped, in.members, in.memberState, in.health, in.qUpdates, in.qUser, in.evDropped)
	if withTransport {
		in.trPackets, err = m.Int64ObservableCounter(MetricTransportPackets, metric.WithUnit("{packet}"),
			metric.WithDescription("Packets on the network, by direction (in, out)."))
		add(err)
		in.trBytes, err = m.Int64ObservableCounter(MetricTransportBytes, metric.WithUnit("By"),
			metric.WithDescription("Bytes on the network as sent or read, by direction (in, out)."))
		add(err)
		in.trStreams, err = m.Int64ObservableCounter(MetricTransportStreams, metric.WithUnit("{stream}"),
			metric.WithDescription("Streams dialed (out) and accepted (in)."))
		add(err)
		in.trDrops, err = m.Int64ObservableCounter(MetricTransportDrops, metric.WithUnit("{packet}"),
			metric.WithDescription("Packets and streams the transport dropped, by reason."))
		add(err)
		in.trAuth, err = m.Int64ObservableCounter(MetricAuthFailures, metric.WithUnit("{packet}"),
			metric.WithDescription("Packets and streams that failed authentication (key, label, TLS)."))
		add(err)
		obs = append(obs, in.trPackets, in.trBytes, in.trStreams, in.trDrops, in.trAuth)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return &in, obs, nil
}

// with returns the measurement option for the monitor's own attributes
// plus kv.
func (mon *Monitor) with(kv ...attribute.KeyValue) metric.MeasurementOption {
	if len(mon.o.attrs) == 0 {
		return metric.WithAttributes(kv...)
	}
	all := make([]attribute.KeyValue, 0, len(mon.o.attrs)+len(kv))
	all = append(all, mon.o.attrs...)
	return metric.WithAttributes(append(all, kv...)...)
}

// observe reports every observable instrument from one Stats snapshot, one
// Members call and one transport snapshot.
func (mon *Monitor) observe(_ context.Context, o metric.Observer) error {
	in := mon.inst
	st := mon.node.Stats()
	base := mon.with()
	for i, d := range nodeCounters {
		o.ObserveInt64(in.counters[i], int64(d.value(st)), base)
	}
	members := mon.node.Members()
	var counts [4]int64
	for _, v := range members {
		if int(v.State) < len(counts) {
			counts[v.State]++
		}
	}
	for _, s := range allStates {
		o.ObserveInt64(in.members, counts[s], mon.stateOpts[s])
	}
	if mon.o.memberLimit <= 0 || len(members) <= mon.o.memberLimit {
		for _, v := range members {
			o.ObserveInt64(in.memberState, 1, mon.with(
				attribute.String("member.id", v.ID), attribute.String("state", StateName(v.State))))
		}
	}
	o.ObserveInt64(in.sendDropped, int64(st.SendDropped), mon.with(attribute.String("reason", "full")))
	o.ObserveInt64(in.sendDropped, int64(st.SendStale), mon.with(attribute.String("reason", "stale")))
	o.ObserveInt64(in.health, int64(st.Awareness), base)
	o.ObserveInt64(in.qUpdates, int64(st.QueuedUpdates), base)
	o.ObserveInt64(in.qUser, int64(st.QueuedUser), base)
	o.ObserveInt64(in.evDropped, int64(mon.sub.Dropped()), base)
	if mon.o.transport != nil {
		ts := mon.o.transport.Stats()
		in, out := mon.with(attribute.String("direction", "in")), mon.with(attribute.String("direction", "out"))
		o.ObserveInt64(mon.inst.trPackets, int64(ts.PacketsIn), in)
		o.ObserveInt64(mon.inst.trPackets, int64(ts.PacketsOut), out)
		o.ObserveInt64(mon.inst.trBytes, int64(ts.BytesIn), in)
		o.ObserveInt64(mon.inst.trBytes, int64(ts.BytesOut), out)
		o.ObserveInt64(mon.inst.trStreams, int64(ts.StreamsIn), in)
		o.ObserveInt64(mon.inst.trStreams, int64(ts.StreamsOut), out)
		for _, r := range stats.Reasons() {
			o.ObserveInt64(mon.inst.trDrops, int64(ts.Dropped(r)), mon.with(attribute.String("reason", r.String())))
		}
		o.ObserveInt64(mon.inst.trAuth, int64(ts.Dropped(stats.Auth)), base)
	}
	return nil
}
