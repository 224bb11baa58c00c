package monitoring_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/libgossip/libgossip/monitoring"
)

// syncBuffer is a bytes.Buffer safe for the exporters' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSetupStdout(t *testing.T) {
	var out syncBuffer
	tel, shutdown, err := monitoring.Setup(context.Background(), monitoring.Config{Stdout: &out, MemberID: "node-1", ServiceName: "stdout-test"})
	if err != nil {
		t.Fatal(err)
	}
	if tel.MetricsHandler != nil {
		t.Error("a metrics handler without Prometheus")
	}
	c := newCluster(t, 2, clusterOpts{monOpts: func(i int) []monitoring.Option {
		return []monitoring.Option{monitoring.WithMeterProvider(tel.MeterProvider), monitoring.WithTracerProvider(tel.TracerProvider)}
	}})
	if err := c.members[0].mon.Broadcast(context.Background(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
	got := out.String()
	for _, want := range []string{`"Name":"libgossip.broadcast"`, `"libgossip.members"`, `"stdout-test"`} {
		if !strings.Contains(got, want) {
			t.Errorf("stdout lacks %s", want)
		}
	}
}

func TestSetupConfigErrors(t *testing.T) {
	for _, cfg := range []monitoring.Config{
		{ExportInterval: -1},
		{SampleRatio: 1.5},
		{SampleRatio: -0.1},
		{OTLPEndpoint: "127.0.0.1:4318"},
		{OTLPEndpoint: "ftp://127.0.0.1"},
		{OTLPEndpoint: "http://"},
	} {
		if _, _, err := monitoring.Setup(context.Background(), cfg); !errors.Is(err, monitoring.ErrConfig) {
			t.Errorf("Setup(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}
