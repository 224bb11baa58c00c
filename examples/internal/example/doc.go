// Package example holds what the example programs share, so that each
// program shows only its own use case: polling for a condition with a
// deadline (WaitFor, WaitForTimed), the "every node sees n live members"
// condition (AllLive), and a logger that keeps library logs out of the
// programs' output (Quiet).
//
// It is internal to the examples module: a helper for readable examples,
// not an API.
package example
