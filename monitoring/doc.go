// Package monitoring turns a libgossip member's counters and events into
// OpenTelemetry metrics and traces, sets up structured logs, serves health
// checks and a live cluster dashboard.
package monitoring
