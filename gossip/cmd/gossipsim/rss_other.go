//go:build !unix

package main

// maxRSSMB returns 0: the peak resident set size is not known here.
func maxRSSMB() float64 { return 0 }
