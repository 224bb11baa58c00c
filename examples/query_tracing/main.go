// Command query_tracing follows one request across a cluster: three
// members on loopback each export their spans over OTLP/HTTP (the
// monitoring module's Setup); member node-1 asks every member "whoami"
// with a named query (cluster/query) inside a span of its own; each
// responder's libgossip.query.handle span is a child of the asker's
// libgossip.query span, in one trace, because the trace context travels
// inside the query.
//
//	go run ./query_tracing -otlp http://127.0.0.1:4318
//
// Without -otlp the spans are recorded and exported nowhere; the program
// still prints the trace id and who answered.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/libgossip/libgossip/cluster/query"
	"github.com/libgossip/libgossip/examples/internal/example"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/monitoring"
	lgnet "github.com/libgossip/libgossip/net"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "query_tracing:", err)
		os.Exit(1)
	}
}

// member is one member's node, query service and telemetry.
type member struct {
	id  string
	tel *monitoring.Telemetry
	n   *gossip.Node
	q   *query.Querier
}

func start(ctx context.Context, id, otlp string) (*member, error) {
	tel, _, err := monitoring.Setup(ctx, monitoring.Config{
		ServiceName: "query-tracing", MemberID: id, OTLPEndpoint: otlp, ExportInterval: time.Hour})
	if err != nil {
		return nil, err
	}
	m := &member{id: id, tel: tel}
	tr, err := lgnet.New("hybrid://127.0.0.1:0", lgnet.WithLogger(example.Quiet()))
	if err != nil {
		return m, err
	}
	cfg := gossip.LocalConfig()
	cfg.ID = id
	if m.n, err = gossip.New(cfg, tr, gossip.WithLogger(example.Quiet())); err != nil {
		return m, err
	}
	if err := m.n.Start(ctx); err != nil {
		m.n = nil
		return m, err
	}
	m.q, err = query.New(m.n, query.WithTracerProvider(tel.TracerProvider), query.WithLogger(example.Quiet()),
		query.WithListenAddr("127.0.0.1:0"))
	if err != nil {
		return m, err
	}
	m.q.Handle("whoami", func(context.Context, query.Request) ([]byte, error) { return []byte(id), nil })
	if err := m.q.Start(ctx); err != nil {
		m.q = nil
		return m, err
	}
	return m, nil
}

// stop shuts the member down and flushes its spans to the exporter.
func (m *member) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if m.q != nil {
		errs = append(errs, m.q.Shutdown(ctx))
	}
	if m.n != nil {
		errs = append(errs, m.n.Shutdown(ctx))
	}
	errs = append(errs, m.tel.Shutdown(ctx))
	return errors.Join(errs...)
}

func run(args []string, out io.Writer) (err error) {
	fs := flag.NewFlagSet("query_tracing", flag.ContinueOnError)
	fs.SetOutput(out)
	otlp := fs.String("otlp", "", "base URL of an OTLP/HTTP receiver, e.g. http://127.0.0.1:4318 (default: export nowhere)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	ctx := context.Background()
	var ms []*member
	defer func() {
		for _, m := range ms {
			err = errors.Join(err, m.stop())
		}
	}()
	var nodes []*gossip.Node
	for _, id := range []string{"node-1", "node-2", "node-3"} {
		m, err := start(ctx, id, *otlp)
		if m != nil {
			ms = append(ms, m)
		}
		if err != nil {
			return fmt.Errorf("start %s: %w", id, err)
		}
		nodes = append(nodes, m.n)
		if len(ms) > 1 {
			jctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := m.n.Join(jctx, ms[0].n.LocalNode().Addr)
			cancel()
			if err != nil {
				return err
			}
		}
	}
	if err := example.WaitFor(10*time.Second, example.AllLive(3, nodes...)); err != nil {
		return fmt.Errorf("forming: %w", err)
	}
	// The query service advertises its address in metadata: wait until
	// every member knows every other's.
	if err := example.WaitFor(10*time.Second, func() bool {
		for _, n := range nodes {
			for _, v := range n.LiveMembers() {
				if v.Meta[query.MetaKey] == "" {
					return false
				}
			}
		}
		return true
	}); err != nil {
		return fmt.Errorf("query addresses: %w", err)
	}
	fmt.Fprintln(out, "three members formed")

	asker := ms[0]
	sctx, span := asker.tel.TracerProvider.Tracer("examples/query_tracing").Start(ctx, "ask-the-cluster")
	p, err := asker.q.Query(sctx, "whoami", nil, query.Params{Timeout: 3 * time.Second})
	if err != nil {
		span.End()
		return err
	}
	var who []string
	for r := range p.Responses {
		if r.Err != "" {
			span.End()
			return fmt.Errorf("%s answered with an error: %s", r.From, r.Err)
		}
		who = append(who, string(r.Payload))
		if len(who) == len(ms) {
			p.Close()
		}
	}
	span.End()
	slices.Sort(who)
	fmt.Fprintf(out, "whoami answered by %v in trace %s\n", who, span.SpanContext().TraceID())
	if len(who) != len(ms) {
		return fmt.Errorf("%d of %d members answered", len(who), len(ms))
	}
	return nil
}
