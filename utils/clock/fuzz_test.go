package clock

import (
	"errors"
	"testing"
	"time"
)

// FuzzUnmarshal: decoding any bytes never panics; a decoded timestamp
// re-encodes to the same bytes, and merging it into a clock keeps the clock
// monotonic or refuses it with ErrSkew.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []Timestamp{{}, ts(1, 1), ts(epoch.UnixNano(), 3), ts(epoch.Add(time.Hour).UnixNano(), 0)} {
		b, _ := s.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var got Timestamp
		if err := got.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrInvalidEncoding) {
				t.Fatalf("error %v does not match ErrInvalidEncoding", err)
			}
			return
		}
		b, err := got.MarshalBinary()
		if err != nil || string(b) != string(data) {
			t.Fatalf("round trip %x -> %v -> %x, %v", data, got, b, err)
		}
		fc := &fakeClock{now: epoch}
		c := newHLC(t, fc, time.Second)
		before := c.Now()
		after, err := c.Update(got)
		switch {
		case errors.Is(err, ErrSkew):
			if c.Last() != before {
				t.Fatalf("refused %v but clock moved to %v", got, c.Last())
			}
		case err != nil:
			t.Fatalf("Update(%v): %v", got, err)
		case !before.Before(after) || !got.Before(after):
			t.Fatalf("Update(%v) = %v, not after %v", got, after, before)
		}
	})
}
