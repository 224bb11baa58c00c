//go:build !unix

package main

import "errors"

// reexec is not available here: the process runs as it is.
func reexec([]string) error { return errors.New("cannot execute itself again on this system") }
