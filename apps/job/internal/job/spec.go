package job

import (
	"fmt"
	"net/url"
	"time"

	"github.com/robfig/cron/v3"
)

// Concurrency says whether a job may have two runs active at once.
type Concurrency string

// Concurrency policies.
const (
	// Allow lets runs overlap (the default).
	Allow Concurrency = "allow"
	// Forbid skips a run (recording it as skipped) while an earlier run of
	// the same job is dispatched or running.
	Forbid Concurrency = "forbid"
)

// CatchUp says what happens to runs whose starting deadline passed while
// no leader could start them.
type CatchUp string

// Catch-up policies.
const (
	// Skip records every missed run as skipped (the default).
	Skip CatchUp = "skip"
	// Once runs the latest missed run and records the others as skipped.
	Once CatchUp = "once"
	// All runs every missed run scheduled within CatchUpWindow of now and
	// records older ones as skipped.
	All CatchUp = "all"
)

// Limits and defaults of a Spec.
const (
	MaxNameLen        = 128
	MaxCommandBytes   = 16 << 10
	MaxRetries        = 100
	DefaultTimeout    = time.Minute
	DefaultDeadline   = time.Minute
	DefaultBackoff    = time.Second
	MaxCatchUpActions = 1000 // missed times considered per job and pass
)

// HTTPCall is a job action that calls a URL. A 2xx answer is success.
type HTTPCall struct {
	Method string `json:"method,omitempty"` // default POST
	URL    string `json:"url"`
	Body   string `json:"body,omitempty"`
}

// Spec describes a job. The zero values of optional fields mean their
// documented default; Validate checks a Spec and Normalize fills defaults.
type Spec struct {
	// Name identifies the job: 1 to MaxNameLen of [A-Za-z0-9._-].
	Name string `json:"name"`
	// Schedule is a cron expression with a seconds field
	// ("*/5 * * * * *") or a descriptor ("@every 1s", "@hourly").
	Schedule string `json:"schedule"`
	// TimeZone is an IANA zone name the schedule is read in; default UTC.
	TimeZone string `json:"time_zone,omitempty"`
	// Command is an argv executed without a shell. Exactly one of Command
	// and HTTP is set.
	Command []string `json:"command,omitempty"`
	// Env is extra "KEY=value" entries for Command.
	Env []string `json:"env,omitempty"`
	// HTTP is a URL to call instead of a command.
	HTTP *HTTPCall `json:"http,omitempty"`
	// Timeout bounds one attempt; default DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Tags select the members that may run the job: a member runs it only
	// if its metadata has every key with the same value.
	Tags map[string]string `json:"tags,omitempty"`
	// Retries is how many more attempts a failed run gets (0..MaxRetries).
	Retries int `json:"retries,omitempty"`
	// Backoff is the wait before the first retry, doubled for each next
	// one; default DefaultBackoff.
	Backoff time.Duration `json:"backoff,omitempty"`
	// Concurrency is Allow (default) or Forbid.
	Concurrency Concurrency `json:"concurrency,omitempty"`
	// Deadline is how late a run may still start normally; a run later
	// than that follows CatchUp. Default DefaultDeadline.
	Deadline time.Duration `json:"deadline,omitempty"`
	// CatchUp is Skip (default), Once or All.
	CatchUp CatchUp `json:"catch_up,omitempty"`
	// CatchUpWindow bounds how old a missed run All may still start;
	// required with All.
	CatchUpWindow time.Duration `json:"catch_up_window,omitempty"`
	// Idempotent says the action may safely run again when an attempt's
	// outcome is unknown (its executor died mid-run). Default false: such a
	// run is recorded as lost, never started again.
	Idempotent bool `json:"idempotent,omitempty"`
	// Disabled stops scheduling (run-now still works).
	Disabled bool `json:"disabled,omitempty"`
}

var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Normalize returns s with defaults filled in.
func (s Spec) Normalize() Spec {
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if s.Backoff == 0 {
		s.Backoff = DefaultBackoff
	}
	if s.Concurrency == "" {
		s.Concurrency = Allow
	}
	if s.Deadline == 0 {
		s.Deadline = DefaultDeadline
	}
	if s.CatchUp == "" {
		s.CatchUp = Skip
	}
	if s.HTTP != nil && s.HTTP.Method == "" {
		h := *s.HTTP
		h.Method = "POST"
		s.HTTP = &h
	}
	return s
}

func validName(n string) bool {
	if n == "" || len(n) > MaxNameLen {
		return false
	}
	for _, c := range n {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// Validate reports the first problem with s (after Normalize), wrapped in
// ErrInvalid.
func (s Spec) Validate() error {
	s = s.Normalize()
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	if !validName(s.Name) {
		return bad("name %q: want 1-%d of [A-Za-z0-9._-]", s.Name, MaxNameLen)
	}
	if _, err := s.schedule(); err != nil {
		return bad("%v", err)
	}
	if (len(s.Command) > 0) == (s.HTTP != nil) {
		return bad("exactly one of command and http must be set")
	}
	n := 0
	for _, a := range append(append([]string(nil), s.Command...), s.Env...) {
		n += len(a)
	}
	if n > MaxCommandBytes {
		return bad("command and env exceed %d bytes", MaxCommandBytes)
	}
	if s.HTTP != nil {
		u, err := url.Parse(s.HTTP.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("http url %q: want an absolute http(s) URL", s.HTTP.URL)
		}
		if len(s.HTTP.Body) > MaxCommandBytes {
			return bad("http body exceeds %d bytes", MaxCommandBytes)
		}
	}
	switch {
	case s.Timeout < 0, s.Backoff < 0, s.Deadline < 0, s.CatchUpWindow < 0:
		return bad("durations must not be negative")
	case s.Retries < 0 || s.Retries > MaxRetries:
		return bad("retries %d: want 0..%d", s.Retries, MaxRetries)
	case s.Concurrency != Allow && s.Concurrency != Forbid:
		return bad("concurrency %q: want allow or forbid", s.Concurrency)
	case s.CatchUp != Skip && s.CatchUp != Once && s.CatchUp != All:
		return bad("catch_up %q: want skip, once or all", s.CatchUp)
	case s.CatchUp == All && s.CatchUpWindow == 0:
		return bad("catch_up all needs catch_up_window")
	}
	return nil
}

// schedule parses the schedule in the spec's time zone.
func (s Spec) schedule() (cron.Schedule, error) {
	s = s.Normalize()
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %v", s.TimeZone, err)
	}
	if s.Schedule == "" {
		return nil, fmt.Errorf("empty schedule")
	}
	sched, err := parser.Parse(s.Schedule)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %v", s.Schedule, err)
	}
	if sp, ok := sched.(*cron.SpecSchedule); ok {
		sp.Location = loc
	}
	return sched, nil
}

// Next returns the first scheduled time strictly after t, or the zero time
// if there is none (or the spec is invalid). It is deterministic: the same
// spec and t give the same answer on every member.
func (s Spec) Next(t time.Time) time.Time {
	sched, err := s.schedule()
	if err != nil {
		return time.Time{}
	}
	return sched.Next(t).UTC()
}
