package clock

import (
	"testing"
	"time"
)

func BenchmarkHLCNow(b *testing.B) {
	c, _ := New(Config{})
	b.ReportAllocs()
	for b.Loop() {
		c.Now()
	}
}

func BenchmarkHLCUpdate(b *testing.B) {
	c, _ := New(Config{})
	remote := c.Now()
	b.ReportAllocs()
	for b.Loop() {
		remote.Logical++
		if _, err := c.Update(remote); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTimestampUnmarshal(b *testing.B) {
	data, _ := Timestamp{Wall: time.Now().UnixNano(), Logical: 3}.MarshalBinary()
	var ts Timestamp
	b.ReportAllocs()
	for b.Loop() {
		if err := ts.UnmarshalBinary(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEstimatorAdd(b *testing.B) {
	e, _ := NewEstimator(EstimatorConfig{})
	s := trip(epoch, time.Millisecond, time.Millisecond, time.Millisecond, 0)
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Add("peer", s); err != nil {
			b.Fatal(err)
		}
	}
}
