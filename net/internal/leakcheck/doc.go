// Package leakcheck is a test helper that fails a test whose goroutines
// outlive it. It compares runtime goroutine stacks before and after,
// polling with a deadline so goroutines that are already stopping get time
// to exit.
package leakcheck
