package hashring

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/cespare/xxhash/v2"
)

// Errors returned by this package. Callers test them with [errors.Is].
var (
	// ErrNoMembers is returned by lookups on an empty ring.
	ErrNoMembers = errors.New("hashring: no members")
	// ErrEmptyID is returned when a member ID is the empty string.
	ErrEmptyID = errors.New("hashring: empty member id")
	// ErrDuplicateMember is returned when adding a member that is present.
	ErrDuplicateMember = errors.New("hashring: member already present")
	// ErrUnknownMember is returned when removing or releasing a member that
	// is not present.
	ErrUnknownMember = errors.New("hashring: unknown member")
	// ErrInvalidWeight is returned for a weight that is negative, NaN,
	// infinite or so large that the member would need too many virtual nodes.
	ErrInvalidWeight = errors.New("hashring: invalid weight")
	// ErrInvalidConfig is returned by constructors for an invalid Config.
	ErrInvalidConfig = errors.New("hashring: invalid config")
	// ErrInvalidCount is returned by GetN for n < 1.
	ErrInvalidCount = errors.New("hashring: replica count must be at least 1")
	// ErrInvalidBuckets is returned by Jump for a bucket count below 1.
	ErrInvalidBuckets = errors.New("hashring: bucket count out of range [1, MaxInt32]")
	// ErrNotAssigned is returned by Bounded.Release for a member with no
	// outstanding assignment.
	ErrNotAssigned = errors.New("hashring: member has no assigned load")
)

const (
	// DefaultVirtualNodes is the number of virtual nodes per unit of weight
	// used when Config.VirtualNodes is zero.
	DefaultVirtualNodes = 100
	// MaxVirtualNodes bounds the virtual nodes of a single member
	// (VirtualNodes × weight), to bound memory.
	MaxVirtualNodes = 1 << 20
)

// HashKey returns the 64-bit xxhash of key, the position every placement in
// this package uses for it. It is stable across machines and releases.
func HashKey(key string) uint64 { return xxhash.Sum64String(key) }

// vnodeHashes appends to dst the hashes of the count virtual nodes of id.
// Virtual node i of id hashes the bytes id, 0x00, uint32 big-endian i; the
// fixed-width suffix makes the encoding injective across ids.
func vnodeHashes(dst []uint64, id string, count int) []uint64 {
	buf := make([]byte, 0, len(id)+5)
	buf = append(buf, id...)
	buf = append(buf, 0)
	n := len(buf)
	for i := range count {
		buf = binary.BigEndian.AppendUint32(buf[:n], uint32(i))
		dst = append(dst, xxhash.Sum64(buf))
	}
	return dst
}

// mix is the splitmix64 finalizer: a bijection on uint64 with full avalanche.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// checkID validates a member ID.
func checkID(id string) error {
	if id == "" {
		return ErrEmptyID
	}
	return nil
}

// checkWeight validates a weight and returns it with the default applied
// (zero means 1).
func checkWeight(w float64) (float64, error) {
	switch {
	case w == 0:
		return 1, nil
	case math.IsNaN(w) || math.IsInf(w, 0) || w < 0:
		return 0, fmt.Errorf("%w: %v", ErrInvalidWeight, w)
	}
	return w, nil
}
