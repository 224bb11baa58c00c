//go:build !unix

package bench

import "time"

// cpuTime returns 0 where getrusage is not available: reports then show no
// CPU figures.
func cpuTime() time.Duration { return 0 }
