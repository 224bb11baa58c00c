//go:build race

package sim

// raceEnabled is true when the tests run under the race detector. The
// simulator is single-threaded, so its largest runs gain nothing from it and
// run in the plain pass of make test instead (gossip/test-extra.sh).
const raceEnabled = true
