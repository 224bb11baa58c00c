package hashring

import (
	"slices"
	"testing"
)

// FuzzGet: any key, as a string or raw bytes, is placed on a present member
// by every placement, without panic.
func FuzzGet(f *testing.F) {
	for _, s := range []string{"", "a", "key-1", "\x00\xff", "日本語"} {
		f.Add(s, 3)
	}
	ids := memberIDs(7)
	r := newRing(f, Config{VirtualNodes: 16})
	hr := NewRendezvous()
	b, _ := NewBounded(BoundedConfig{})
	addAll(f, r, ids)
	addAll(f, hr, ids)
	addAll(f, b, ids)
	f.Fuzz(func(t *testing.T, key string, n int) {
		for _, p := range []placer{r, hr} {
			m, err := p.Get(key)
			if err != nil || !slices.Contains(ids, m) {
				t.Fatalf("Get(%q) = %q, %v", key, m, err)
			}
			ms, err := p.GetN(key, n)
			if n < 1 {
				if err == nil {
					t.Fatalf("GetN(%q, %d) accepted n < 1", key, n)
				}
				continue
			}
			if err != nil || len(ms) != min(n, len(ids)) || ms[0] != m {
				t.Fatalf("GetN(%q, %d) = %v, %v; Get = %q", key, n, ms, err, m)
			}
		}
		m, err := b.Assign(key)
		if err != nil || !slices.Contains(ids, m) {
			t.Fatalf("Assign(%q) = %q, %v", key, m, err)
		}
		if err := b.Release(m); err != nil {
			t.Fatal(err)
		}
		j, err := JumpString(key, len(ids))
		if err != nil || j < 0 || j >= len(ids) {
			t.Fatalf("JumpString(%q) = %d, %v", key, j, err)
		}
	})
}
