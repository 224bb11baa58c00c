package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Errors of this package. Callers test them with errors.Is.
var (
	// ErrSeed reports a seed that does not parse.
	ErrSeed = errors.New("bootstrap: bad seed")
	// ErrResolve reports a seed name that resolved to no address.
	ErrResolve = errors.New("bootstrap: seed did not resolve")
	// ErrConfig reports an invalid option.
	ErrConfig = errors.New("bootstrap: invalid config")
	// ErrSnapshot reports a snapshot file that cannot be used.
	ErrSnapshot = errors.New("bootstrap: snapshot")
	// ErrNotRunning reports a call on a Bootstrapper that is not started
	// or already shut down.
	ErrNotRunning = errors.New("bootstrap: not running")
)

// SeedKind is how a seed is turned into addresses.
type SeedKind uint8

// Seed kinds.
const (
	// SeedAddr is a literal "host:port" (host may be a name, resolved by
	// the transport when it dials).
	SeedAddr SeedKind = iota + 1
	// SeedDNS is "dns+name:port": every A and AAAA record of name, with
	// port.
	SeedDNS
	// SeedSRV is "dnssrv+_service._proto.name": every SRV target and port.
	SeedSRV
)

// Seed is one parsed seed.
type Seed struct {
	Kind SeedKind
	// Host is the address host, DNS name or SRV name.
	Host string
	// Port is the port of SeedAddr and SeedDNS seeds.
	Port int
	// Service and Proto are the SRV service and protocol, without the
	// leading underscores.
	Service, Proto string
}

// String returns the seed in the form ParseSeed accepts.
func (s Seed) String() string {
	switch s.Kind {
	case SeedDNS:
		return "dns+" + net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	case SeedSRV:
		return "dnssrv+_" + s.Service + "._" + s.Proto + "." + s.Host
	}
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// ParseSeed parses "host:port", "dns+name:port" or
// "dnssrv+_service._proto.name". Errors wrap ErrSeed.
func ParseSeed(s string) (Seed, error) {
	bad := func(why string) (Seed, error) { return Seed{}, fmt.Errorf("%w: %q: %s", ErrSeed, s, why) }
	switch {
	case strings.HasPrefix(s, "dnssrv+"):
		rest := strings.TrimPrefix(s, "dnssrv+")
		svc, rest, ok1 := strings.Cut(rest, ".")
		proto, name, ok2 := strings.Cut(rest, ".")
		if !ok1 || !ok2 || !strings.HasPrefix(svc, "_") || !strings.HasPrefix(proto, "_") ||
			len(svc) < 2 || len(proto) < 2 || name == "" {
			return bad("want dnssrv+_service._proto.name")
		}
		return Seed{Kind: SeedSRV, Host: name, Service: svc[1:], Proto: proto[1:]}, nil
	case strings.HasPrefix(s, "dns+"):
		host, port, err := splitPort(strings.TrimPrefix(s, "dns+"))
		if err != nil {
			return bad(err.Error())
		}
		return Seed{Kind: SeedDNS, Host: host, Port: port}, nil
	}
	host, port, err := splitPort(s)
	if err != nil {
		return bad(err.Error())
	}
	return Seed{Kind: SeedAddr, Host: host, Port: port}, nil
}

func splitPort(s string) (string, int, error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 || host == "" {
		return "", 0, fmt.Errorf("want host:port with a port in 1..65535")
	}
	return host, port, nil
}

// Resolver answers the DNS questions seeds ask. *net.Resolver satisfies
// it; tests pass their own to control the answers.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
}

// Resolve turns seeds into addresses, asking r afresh (nothing is
// cached, so a seed that moved is followed on the next call). It returns
// every address it found, deduplicated in order, and the errors of the
// seeds that resolved to nothing, joined (each wrapping ErrResolve).
func Resolve(ctx context.Context, r Resolver, seeds []Seed) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	var errs []error
	for _, s := range seeds {
		switch s.Kind {
		case SeedDNS:
			hosts, err := r.LookupHost(ctx, s.Host)
			if err != nil || len(hosts) == 0 {
				errs = append(errs, fmt.Errorf("%w: %s: %v", ErrResolve, s, err))
				continue
			}
			for _, h := range hosts {
				add(net.JoinHostPort(h, strconv.Itoa(s.Port)))
			}
		case SeedSRV:
			_, srvs, err := r.LookupSRV(ctx, s.Service, s.Proto, s.Host)
			if err != nil || len(srvs) == 0 {
				errs = append(errs, fmt.Errorf("%w: %s: %v", ErrResolve, s, err))
				continue
			}
			for _, srv := range srvs {
				add(net.JoinHostPort(strings.TrimSuffix(srv.Target, "."), strconv.Itoa(int(srv.Port))))
			}
		default:
			add(s.String())
		}
	}
	return out, errors.Join(errs...)
}
