package frame

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	for _, m := range [][]byte{nil, []byte("a"), bytes.Repeat([]byte("x"), 1000)} {
		if err := Write(&buf, m); err != nil {
			t.Fatal(err)
		}
		got, err := Read(&buf, 1000)
		if err != nil || !bytes.Equal(got, m) {
			t.Fatalf("Read = %q, %v; want %q", got, err, m)
		}
	}
	Write(&buf, []byte("too long"))
	if _, err := Read(&buf, 3); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	if _, err := Read(bytes.NewReader([]byte{0, 0, 0, 5, 1}), 10); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := Read(bytes.NewReader([]byte{0, 0}), 10); err == nil {
		t.Fatal("short header accepted")
	}
}

// FuzzRead: reading frames from any bytes never panics and never allocates
// more than the limit.
func FuzzRead(f *testing.F) {
	f.Add(Append(nil, []byte("hello")))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for {
			m, err := Read(r, 4096)
			if err != nil {
				return
			}
			if len(m) > 4096 {
				t.Fatalf("frame of %d bytes over the limit", len(m))
			}
		}
	})
}
