// Package query sends named queries to the members of a cluster and
// collects their answers, in the manner of serf's queries.
//
// A query (name, payload up to MaxPayload, a filter on member ids and
// metadata tags, a timeout) is spread to every member by gossip
// broadcast. A member that matches the filter and has a Handler for the
// name runs it and sends the response (up to MaxResponse, 1 MiB) straight
// back to the origin over the cluster's RPC channel, whose address the
// origin advertises in its metadata under MetaKey. The origin collects
// acks and responses on the Pending's channels until the timeout.
//
// A broadcast is best effort, so a quarter of the timeout after it (at
// most a second) the origin asks the members that should answer and have
// neither acked nor responded directly over the RPC channel; a member
// answers a query once, however it arrives. A member that joins after
// the query, or whose response cannot reach the origin before the
// timeout, does not answer.
// Each member answers a query at most once; the origin counts each member
// once. The origin's listener bounds what an unauthenticated sender can
// cost (frame size, connections per source and in total, deadlines); a
// responder refused for a connection limit retries with jittered backoff
// until the query's timeout. Without WithTLS anyone who reaches the
// listener can forge a response for a pending query id (ids are random
// 64-bit numbers, so they must first learn one).
//
// Telemetry (OpenTelemetry; WithMeterProvider and WithTracerProvider,
// default the global providers, no-ops unless the program sets them):
//
//   - libgossip.query.sent ({query}, counter): queries this member sent.
//   - libgossip.query.responses ({response}, counter, attribute result =
//     ok or error): responses its queries received, each member once.
//   - libgossip.query.duration (s, histogram): how long a query collected
//     responses, from send to timeout, Close or Shutdown.
//   - Span libgossip.query (client) on the origin, from Query to the end
//     of collection, child of the span in Query's context; span
//     libgossip.query.handle (server) on each responder around its
//     handler and reply. The origin's span context travels inside the
//     query as a W3C traceparent (and tracestate) after the payload,
//     marked by a flag bit, so the handle span is its child. A query
//     without it decodes as before; a member built before this field
//     refuses a traced query as malformed, so upgrade every member before
//     installing a tracer provider.
package query
