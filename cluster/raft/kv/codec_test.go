package kv

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"github.com/libgossip/libgossip/cluster/raft"
)

func TestCommandRoundTrip(t *testing.T) {
	for _, c := range []command{
		{Op: opPut, Key: "k", Value: []byte("v")},
		{Op: opPut, Key: "k", Value: []byte{}},
		{Op: opDelete, Key: "key"},
		{Op: opCAS, Key: "k", Value: []byte("v"), Expected: 1 << 40},
	} {
		got, err := decodeCommand(c.encode())
		if err != nil || got.Op != c.Op || got.Key != c.Key || !bytes.Equal(got.Value, c.Value) || got.Expected != c.Expected {
			t.Errorf("round trip %+v: %+v, %v", c, got, err)
		}
	}
	for _, bad := range [][]byte{nil, {0}, {9}, {opPut}, {opPut, 5, 'k'}, {opPut, 1, 'k', 0, 7}, {opDelete, 0xff}, {opCAS, 1, 'k', 0}} {
		if _, err := decodeCommand(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("decode %v: %v, want ErrCorrupt", bad, err)
		}
	}
	// A corrupt command in the log is answered with an error, not a panic.
	f := newFSM()
	if r, ok := f.Apply(raft.Entry{Index: 1, Data: []byte{9}}).(error); !ok || !errors.Is(r, ErrCorrupt) {
		t.Errorf("Apply(corrupt) = %v", r)
	}
}

func FuzzDecodeCommand(f *testing.F) {
	f.Add(command{Op: opPut, Key: "k", Value: []byte("v")}.encode())
	f.Add(command{Op: opDelete, Key: "k"}.encode())
	f.Add(command{Op: opCAS, Key: "k", Value: []byte("v"), Expected: 7}.encode())
	f.Add([]byte{opPut, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCommand(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := decodeCommand(c.encode())
		if err != nil || again.Op != c.Op || again.Key != c.Key || !bytes.Equal(again.Value, c.Value) || again.Expected != c.Expected {
			t.Fatalf("round trip of %+v: %+v, %v", c, again, err)
		}
	})
}

func snapshotBytes(t testing.TB, items map[string]item) []byte {
	var buf bytes.Buffer
	if err := (fsmSnapshot{items}).Persist(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func FuzzDecodeSnapshot(f *testing.F) {
	f.Add(snapshotBytes(f, map[string]item{}))
	f.Add(snapshotBytes(f, map[string]item{"a": {value: []byte("1"), version: 3}, "b": {version: 9}}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{1, 0xff, 0xff, 0x03})
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := decodeSnapshot(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := decodeSnapshot(bufio.NewReader(bytes.NewReader(snapshotBytes(t, items))))
		if err != nil || len(again) != len(items) {
			t.Fatalf("re-decoding: %d items, %v; want %d", len(again), err, len(items))
		}
	})
}

func TestRestoreRejectsCorrupt(t *testing.T) {
	f := newFSM()
	f.items["keep"] = item{value: []byte("x"), version: 1}
	if err := f.Restore(bytes.NewReader([]byte{2, 1, 'a'})); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Restore: %v", err)
	}
	if _, ok := f.get("keep"); !ok {
		t.Fatal("a failed restore changed the state")
	}
}
