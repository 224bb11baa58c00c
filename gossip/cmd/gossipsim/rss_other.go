//go:build !unix

package main

// maxRSSMB returns 0: the peak resident set size is not known here.
func maxRSSMB() float64 { return 0 }

// cpuSeconds returns 0: the process's CPU time is not known here.
func cpuSeconds() float64 { return 0 }
