//go:build unix

package main

import (
	"os"
	"syscall"
)

// reexec replaces the process's program with itself, same arguments,
// environment env. It returns only on failure.
func reexec(env []string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return syscall.Exec(exe, os.Args, env)
}
