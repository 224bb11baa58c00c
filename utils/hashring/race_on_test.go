//go:build race

package hashring

// raceEnabled is true when the tests run under the race detector. The
// largest single-goroutine property runs gain nothing from it (their
// results are fixed by the hash) and run in the plain pass of make test
// instead (utils/test-extra.sh).
const raceEnabled = true
