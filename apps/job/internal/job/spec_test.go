package job

import (
	"errors"
	"testing"
	"time"
)

func cmdSpec(name, sched string) Spec {
	return Spec{Name: name, Schedule: sched, Command: []string{"true"}}
}

func TestValidate(t *testing.T) {
	ok := cmdSpec("a", "@every 1s")
	tests := []struct {
		name string
		mod  func(*Spec)
		ok   bool
	}{
		{"command", func(*Spec) {}, true},
		{"http", func(s *Spec) { s.Command = nil; s.HTTP = &HTTPCall{URL: "http://127.0.0.1:1/x"} }, true},
		{"cron with seconds", func(s *Spec) { s.Schedule = "*/5 * * * * *" }, true},
		{"cron without seconds", func(s *Spec) { s.Schedule = "0 * * * *" }, true},
		{"time zone", func(s *Spec) { s.TimeZone = "Europe/Paris" }, true},
		{"catch-up all with window", func(s *Spec) { s.CatchUp, s.CatchUpWindow = All, time.Minute }, true},
		{"empty name", func(s *Spec) { s.Name = "" }, false},
		{"bad name", func(s *Spec) { s.Name = "a b" }, false},
		{"empty schedule", func(s *Spec) { s.Schedule = "" }, false},
		{"bad schedule", func(s *Spec) { s.Schedule = "every second" }, false},
		{"bad zone", func(s *Spec) { s.TimeZone = "Mars/Olympus" }, false},
		{"no action", func(s *Spec) { s.Command = nil }, false},
		{"two actions", func(s *Spec) { s.HTTP = &HTTPCall{URL: "http://x/"} }, false},
		{"bad url", func(s *Spec) { s.Command = nil; s.HTTP = &HTTPCall{URL: "ftp://x/"} }, false},
		{"negative timeout", func(s *Spec) { s.Timeout = -1 }, false},
		{"too many retries", func(s *Spec) { s.Retries = MaxRetries + 1 }, false},
		{"bad concurrency", func(s *Spec) { s.Concurrency = "maybe" }, false},
		{"bad catch-up", func(s *Spec) { s.CatchUp = "later" }, false},
		{"all without window", func(s *Spec) { s.CatchUp = All }, false},
		{"huge command", func(s *Spec) { s.Command = []string{string(make([]byte, MaxCommandBytes+1))} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.mod(&s)
			err := s.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%+v) = %v, want ok=%v", s, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestNext(t *testing.T) {
	base := time.Date(2026, 3, 29, 0, 59, 58, 500_000_000, time.UTC)
	tests := []struct {
		sched, tz string
		from      time.Time
		want      time.Time
	}{
		{"@every 1s", "", base, time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC)},
		{"@every 1s", "", time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC), time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		{"*/10 * * * * *", "", base, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		{"0 0 2 * * *", "", base, time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC)},
		// 02:00 Paris on 29 March 2026 does not exist (DST): 3:00 CEST is 01:00 UTC,
		// so the next 02:00 Paris is the 30th at 00:00 UTC.
		{"0 0 2 * * *", "Europe/Paris", base, time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)},
		{"@daily", "Asia/Tokyo", base, time.Date(2026, 3, 29, 15, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		s := cmdSpec("a", tt.sched)
		s.TimeZone = tt.tz
		if got := s.Next(tt.from); !got.Equal(tt.want) {
			t.Errorf("Next(%q in %q, %v) = %v, want %v", tt.sched, tt.tz, tt.from, got, tt.want)
		}
	}
	if got := cmdSpec("a", "bad").Next(base); !got.IsZero() {
		t.Errorf("Next of a bad schedule = %v, want zero", got)
	}
}

func TestRunID(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	id := RunID("job-1", at.In(time.FixedZone("x", 3600)))
	j, got, err := ParseRunID(id)
	if err != nil || j != "job-1" || !got.Equal(at) {
		t.Fatalf("ParseRunID(%q) = %q, %v, %v", id, j, got, err)
	}
	for _, bad := range []string{"", "@2026-01-02T03:04:05Z", "a@b", "a b@2026-01-02T03:04:05Z"} {
		if _, _, err := ParseRunID(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRunID(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
