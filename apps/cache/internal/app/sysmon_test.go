package app

import (
	"slices"
	"testing"
)

func TestRuntimeEnv(t *testing.T) {
	set := "GODEBUG=" + SysmonGODEBUG
	for _, tc := range []struct {
		name    string
		args    []string
		environ []string
		want    []string // nil: unchanged, no new start
	}{
		{"no GODEBUG", []string{"-id", "c0"}, []string{"HOME=/h"}, []string{"HOME=/h", set}},
		{"empty GODEBUG", nil, []string{"GODEBUG=", "A=1"}, []string{set, "A=1"}},
		{"other settings kept", nil, []string{"GODEBUG=madvdontneed=1"}, []string{"GODEBUG=madvdontneed=1," + SysmonGODEBUG}},
		{"duplicate GODEBUG: the first counts", nil, []string{"GODEBUG=a=1", "GODEBUG=schedtrace=5"}, []string{"GODEBUG=a=1," + SysmonGODEBUG}},
		{"user's schedtrace", nil, []string{"GODEBUG=gctrace=1,schedtrace=1000"}, nil},
		{"user's schedtrace of 0", nil, []string{"GODEBUG=schedtrace=0"}, nil},
		{"turned off", []string{"-sysmon-awake=false"}, []string{"HOME=/h"}, nil},
		{"bad flags: Run reports them", []string{"-nope"}, []string{"HOME=/h"}, nil},
		{"explicitly on", []string{"-sysmon-awake"}, nil, []string{set}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.environ)
			got, again := RuntimeEnv(tc.args, tc.environ)
			if !slices.Equal(tc.environ, before) {
				t.Fatalf("environ changed: %q", tc.environ)
			}
			if tc.want == nil {
				if again || !slices.Equal(got, tc.environ) {
					t.Fatalf("got %q, again %v; want environ unchanged, no new start", got, again)
				}
				return
			}
			if !again || !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, again %v; want %q, again", got, again, tc.want)
			}
			// Started again with it, the program does not start a third time.
			if env, again := RuntimeEnv(tc.args, got); again || !slices.Equal(env, got) {
				t.Fatalf("second start: got %q, again %v", env, again)
			}
		})
	}
}
