//go:build race

package sim

// raceEnabled is true when the tests run under the race detector. The
// simulator is single-threaded, so its largest runs gain nothing from it and
// run in the plain pass of make test instead (gossip/test-extra.sh).
const raceEnabled = true

// seedsUnderRace returns how many seeds a multi-seed simulation test runs:
// few under the race detector, all of them in the plain pass, which runs
// those tests again (gossip/test-extra.sh).
func seedsUnderRace(all, race int) int { return race }
