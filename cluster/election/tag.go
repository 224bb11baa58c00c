package election

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrTag wraps the reasons a member's election metadata did not parse.
var ErrTag = errors.New("election: bad tag")

// TagPrefix starts the metadata key of every election: a candidate of
// election "name" publishes TagPrefix+"name" = "<rank>:<token>".
const TagPrefix = "elect:"

// maxTag bounds a tag value, in bytes.
const maxTag = 48

func formatTag(rank int, token uint64) string {
	return strconv.Itoa(rank) + ":" + strconv.FormatUint(token, 10)
}

// parseTag reads "<rank>:<token>".
func parseTag(v string) (rank int, token uint64, err error) {
	if len(v) > maxTag {
		return 0, 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTag, len(v), maxTag)
	}
	r, t, ok := strings.Cut(v, ":")
	if !ok {
		return 0, 0, fmt.Errorf("%w: %q has no ':'", ErrTag, v)
	}
	rank64, err := strconv.ParseInt(r, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: rank %q: %w", ErrTag, r, err)
	}
	token, err = strconv.ParseUint(t, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: token %q: %w", ErrTag, t, err)
	}
	return int(rank64), token, nil
}
