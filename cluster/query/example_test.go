package query_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/libgossip/libgossip/cluster/query"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/gossip/memnet"
)

// A member asks every member for its id; the answers arrive on the
// Pending's channel until the timeout (or Close).
func Example() {
	cfg := gossip.LocalConfig()
	cfg.ID = "a"
	quiet := slog.New(slog.DiscardHandler)
	node, _ := gossip.New(cfg, memnet.New(1).Transport("a:1"), gossip.WithLogger(quiet))
	ctx := context.Background()
	_ = node.Start(ctx)
	defer node.Shutdown(ctx)

	q, _ := query.New(node, query.WithLogger(quiet))
	q.Handle("whoami", func(ctx context.Context, r query.Request) ([]byte, error) {
		return []byte("I am a, asked by " + r.From), nil
	})
	_ = q.Start(ctx)
	defer q.Shutdown(ctx)

	p, err := q.Query(ctx, "whoami", nil, query.Params{Timeout: 5 * time.Second})
	if err != nil {
		panic(err)
	}
	r := <-p.Responses
	p.Close()
	fmt.Printf("%s: %s\n", r.From, r.Payload)
	// Output: a: I am a, asked by a
}
