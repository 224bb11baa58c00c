// Package wiregen generates protocol messages for tests, fuzz seeds and
// benchmarks: one fixed sample per message type, and random valid messages
// from a seeded source.
package wiregen
