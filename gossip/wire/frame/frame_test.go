package frame_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/libgossip/libgossip/gossip/wire/frame"
)

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	for _, m := range [][]byte{{}, []byte("a"), bytes.Repeat([]byte("x"), 100_000)} {
		if err := frame.Write(&buf, m); err != nil {
			t.Fatal(err)
		}
		// One byte per Read: the body is assembled across many reads.
		got, err := frame.Read(iotest.OneByteReader(&buf), 1<<20)
		if err != nil || !bytes.Equal(got, m) {
			t.Fatalf("Read = %d bytes, %v; want %d", len(got), err, len(m))
		}
	}
	if _, err := frame.Read(&buf, 0); !errors.Is(err, io.EOF) {
		t.Fatalf("clean end: %v, want EOF", err)
	}
}

func TestErrors(t *testing.T) {
	var buf bytes.Buffer
	frame.Write(&buf, []byte("too long"))
	if _, err := frame.Read(&buf, 3); !errors.Is(err, frame.ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	if _, err := frame.Read(bytes.NewReader([]byte{0, 0, 0, 5, 1}), 10); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := frame.Read(bytes.NewReader([]byte{0, 0}), 10); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short header: %v", err)
	}
	// A header just over the default limit, with limit 0 meaning MaxSize.
	over := frame.Append(nil, nil)
	over[0], over[1], over[2], over[3] = 0x02, 0, 0, 1
	if _, err := frame.Read(bytes.NewReader(over), 0); !errors.Is(err, frame.ErrTooLarge) {
		t.Fatalf("over MaxSize: %v", err)
	}
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader([]byte{0, 0, 0, 9, 1, 2}), iotest.ErrReader(boom))
	if _, err := frame.Read(r, 10); !errors.Is(err, boom) {
		t.Fatalf("read error: %v", err)
	}
	// Data and EOF in the same Read still complete the frame.
	if got, err := frame.Read(iotest.DataErrReader(bytes.NewReader(frame.Append(nil, []byte("ok")))), 10); err != nil || string(got) != "ok" {
		t.Fatalf("data with EOF: %q, %v", got, err)
	}
}

// TestClaimCostsNothing: a header that claims the maximum allocates only
// for the bytes that follow it.
func TestClaimCostsNothing(t *testing.T) {
	claim := frame.Append(nil, nil)
	claim[0], claim[1] = 0x02, 0 // 32 MiB
	r := io.MultiReader(bytes.NewReader(claim), bytes.NewReader([]byte("only this")))
	allocs := testing.AllocsPerRun(10, func() {
		_, _ = frame.Read(io.MultiReader(bytes.NewReader(claim), bytes.NewReader([]byte("x"))), 0)
	})
	if allocs > 10 {
		t.Fatalf("%v allocations for a 1-byte body", allocs)
	}
	if _, err := frame.Read(r, 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated claim: %v", err)
	}
}

// FuzzRead: reading frames from any bytes never panics, never returns a
// frame over the limit, and never holds more than twice the input (plus
// the first chunk) for a frame.
func FuzzRead(f *testing.F) {
	f.Add(frame.Append(nil, []byte("hello")))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x00, 0x00, 0x10, 0x00, 1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for {
			m, err := frame.Read(r, 4096)
			if err != nil {
				return
			}
			if len(m) > 4096 {
				t.Fatalf("frame of %d bytes over the limit", len(m))
			}
			if cap(m) > 2*len(b)+4096 {
				t.Fatalf("frame buffer of %d bytes from %d input bytes", cap(m), len(b))
			}
		}
	})
}
