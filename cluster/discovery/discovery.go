package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Errors of this package. Callers test them with errors.Is.
var (
	// ErrInvalid reports a service with a bad name, port or tag.
	ErrInvalid = errors.New("discovery: invalid service")
	// ErrTooLarge reports registrations that no longer fit in the
	// member's metadata.
	ErrTooLarge = errors.New("discovery: services exceed the metadata limit")
	// ErrNotFound reports a deregistration of an unknown service.
	ErrNotFound = errors.New("discovery: no such service")
	// ErrMalformed reports remote service metadata that does not decode.
	ErrMalformed = errors.New("discovery: malformed service metadata")
)

// Health is a service instance's health status.
type Health uint8

// Health statuses. Lookup returns only HealthPassing instances.
const (
	HealthPassing Health = iota + 1
	HealthWarning
	HealthCritical
)

var healthNames = [...]string{"", "passing", "warning", "critical"}

// String returns the status's lower-case name.
func (h Health) String() string {
	if int(h) < len(healthNames) && h != 0 {
		return healthNames[h]
	}
	return "health(" + strconv.Itoa(int(h)) + ")"
}

// Service is one service a member offers.
type Service struct {
	// Name is 1 to 63 characters of [A-Za-z0-9._-].
	Name string
	// Port is 1..65535.
	Port int
	// Tags are labels in the same alphabet as Name.
	Tags []string
	// Health is the status; zero means HealthPassing.
	Health Health
}

// Instance is a service offered by one member.
type Instance struct {
	Service
	// Member is the offering member's id.
	Member string
	// Host is the host to reach it at.
	Host string
}

// Addr returns "host:port".
func (i Instance) Addr() string { return net.JoinHostPort(i.Host, strconv.Itoa(i.Port)) }

// Filter narrows a lookup. The zero Filter matches every instance.
type Filter struct {
	// Tags must all be present on the instance.
	Tags []string
	// Member, if set, keeps only that member's instances.
	Member string
}

// Backend looks services up. Implementations are safe for concurrent
// use.
type Backend interface {
	// Lookup returns the healthy instances of name that pass f, sorted
	// by member and address.
	Lookup(ctx context.Context, name string, f Filter) ([]Instance, error)
	// Watch delivers the result of Lookup now and again after every
	// change, until ctx ends (then the channel is closed). A slow reader
	// gets the latest result, not every intermediate one.
	Watch(ctx context.Context, name string, f Filter) (<-chan []Instance, error)
}

// Select returns the instances of name that are healthy and pass f,
// sorted by member then address. Backends share it.
func Select(all []Instance, name string, f Filter) []Instance {
	var out []Instance
	for _, in := range all {
		if in.Name != name || (in.Health != HealthPassing && in.Health != 0) {
			continue
		}
		if f.Member != "" && in.Member != f.Member {
			continue
		}
		ok := true
		for _, t := range f.Tags {
			if !slices.Contains(in.Tags, t) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, in)
		}
	}
	slices.SortFunc(out, func(a, b Instance) int {
		if c := strings.Compare(a.Member, b.Member); c != 0 {
			return c
		}
		return strings.Compare(a.Addr(), b.Addr())
	})
	return out
}

func validWord(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Validate checks s, returning an error wrapping ErrInvalid.
func (s Service) Validate() error {
	if !validWord(s.Name) {
		return fmt.Errorf("%w: name %q", ErrInvalid, s.Name)
	}
	if s.Port < 1 || s.Port > 65535 {
		return fmt.Errorf("%w: %s port %d", ErrInvalid, s.Name, s.Port)
	}
	if s.Health > HealthCritical {
		return fmt.Errorf("%w: %s health %d", ErrInvalid, s.Name, s.Health)
	}
	for _, t := range s.Tags {
		if !validWord(t) {
			return fmt.Errorf("%w: %s tag %q", ErrInvalid, s.Name, t)
		}
	}
	return nil
}

// EncodeServices is the metadata form of a member's services:
// "name:port:health:tag,tag" entries separated by ';'. The services
// must be valid.
func EncodeServices(ss []Service) string {
	var b strings.Builder
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(';')
		}
		h := s.Health
		if h == 0 {
			h = HealthPassing
		}
		fmt.Fprintf(&b, "%s:%d:%d:%s", s.Name, s.Port, h, strings.Join(s.Tags, ","))
	}
	return b.String()
}

// DecodeServices parses what EncodeServices wrote. Input from other
// members is untrusted: anything that does not parse into valid services
// returns an error wrapping ErrMalformed.
func DecodeServices(v string) ([]Service, error) {
	if v == "" {
		return nil, nil
	}
	var out []Service
	for _, part := range strings.Split(v, ";") {
		f := strings.Split(part, ":")
		if len(f) != 4 {
			return nil, fmt.Errorf("%w: %q", ErrMalformed, part)
		}
		port, err1 := strconv.Atoi(f[1])
		h, err2 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || h < 1 || h > 3 {
			return nil, fmt.Errorf("%w: %q", ErrMalformed, part)
		}
		s := Service{Name: f[0], Port: port, Health: Health(h)}
		if f[3] != "" {
			s.Tags = strings.Split(f[3], ",")
		}
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		out = append(out, s)
	}
	return out, nil
}
