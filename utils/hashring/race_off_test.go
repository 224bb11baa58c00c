//go:build !race

package hashring

const raceEnabled = false
