package node

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/libgossip/libgossip/apps/cache/internal/peer"
	"github.com/libgossip/libgossip/apps/cache/internal/resp"
)

// fanout sends one request to every member of the view (this node's
// answer computed locally) and returns the answers by member id, and the
// first error.
func (n *Node) fanout(ctx context.Context, typ byte, payload []byte) (map[string][]byte, error) {
	v := n.view.Load()
	out := map[string][]byte{}
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for _, id := range v.ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b []byte
			var err error
			if id == n.self {
				b, err = n.Serve(ctx, n.self, typ, payload)
			} else {
				cctx, cancel := context.WithTimeout(ctx, n.cfg.RequestTimeout)
				b, err = n.pool.Call(cctx, v.members[id].peer, typ, payload)
				cancel()
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = fmt.Errorf("member %s: %w", id, err)
				}
				return
			}
			out[id] = b
		}()
	}
	wg.Wait()
	return out, first
}

func (n *Node) clusterCommand(ctx context.Context, proto int, name string, args [][]byte) []byte {
	switch name {
	case "keys":
		if len(args) != 2 {
			return errReply(resp.ErrArity(name))
		}
		return n.keys(ctx, string(args[1]))
	case "scan":
		return n.scan(ctx, args)
	case "dbsize":
		if len(args) != 1 {
			return errReply(resp.ErrArity(name))
		}
		res, err := n.fanout(ctx, reqCount, nil)
		if err != nil {
			return errReply("CLUSTERDOWN " + err.Error())
		}
		var sum int64
		for _, b := range res {
			c, _ := strconv.ParseInt(string(b), 10, 64)
			sum += c
		}
		return resp.AppendInt(nil, sum)
	case "flushall", "flushdb":
		for _, a := range args[1:] {
			if s := strings.ToLower(string(a)); s != "sync" && s != "async" {
				return errReply(resp.ErrSyntax)
			}
		}
		if _, err := n.fanout(ctx, reqFlush, nil); err != nil {
			return errReply("CLUSTERDOWN " + err.Error())
		}
		return resp.OK
	case "info":
		return resp.AppendBulkString(nil, n.info(args[1:]))
	}
	return errReply(resp.ErrUnknown(name, args[1:]))
}

func (n *Node) keys(ctx context.Context, pattern string) []byte {
	limit := n.cfg.KeysLimit
	res, err := n.fanout(ctx, reqKeys, peer.EncodeStrings([]string{pattern, strconv.Itoa(limit)}))
	if err != nil {
		return errReply("CLUSTERDOWN " + err.Error())
	}
	set := map[string]struct{}{}
	for _, b := range res {
		ks, err := peer.DecodeStrings(b)
		if err != nil {
			return errReply("ERR " + err.Error())
		}
		for _, k := range ks {
			set[k] = struct{}{}
		}
		if len(set) > limit {
			return errReply(fmt.Sprintf("ERR KEYS would return more than %d keys; use SCAN", limit))
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := resp.AppendArray(nil, len(keys))
	for _, k := range keys {
		b = resp.AppendBulkString(b, k)
	}
	return b
}

// scan serves SCAN cursor [MATCH pattern] [COUNT n] across the cluster.
// The cursor packs the index of a member (in id order) in its high 24
// bits and an offset in that member's sorted owned keys in the low 40.
// Keys owned by members that change during a scan may be missed or
// repeated.
func (n *Node) scan(ctx context.Context, args [][]byte) []byte {
	if len(args) < 2 {
		return errReply(resp.ErrArity("scan"))
	}
	cur, err := strconv.ParseUint(string(args[1]), 10, 64)
	if err != nil {
		return errReply("ERR invalid cursor")
	}
	pattern, count := "*", 10
	for i := 2; i < len(args); i++ {
		if i+1 >= len(args) {
			return errReply(resp.ErrSyntax)
		}
		switch strings.ToLower(string(args[i])) {
		case "match":
			pattern = string(args[i+1])
		case "count":
			c, err := strconv.Atoi(string(args[i+1]))
			if err != nil {
				return errReply(resp.ErrNotInteger)
			}
			if c < 1 {
				return errReply(resp.ErrSyntax)
			}
			count = min(c, 100000)
		case "type":
			if !strings.EqualFold(string(args[i+1]), "string") {
				pattern = "\x00no-such-type"
			}
		default:
			return errReply(resp.ErrSyntax)
		}
		i++
	}
	v := n.view.Load()
	idx, off := int(cur>>40), int(cur&(1<<40-1))
	var keys []string
	next := uint64(0)
	for idx < len(v.ids) {
		id := v.ids[idx]
		payload := peer.EncodeStrings([]string{strconv.Itoa(off), strconv.Itoa(count), pattern})
		var b []byte
		if id == n.self {
			b, err = n.Serve(ctx, id, reqScan, payload)
		} else {
			cctx, cancel := context.WithTimeout(ctx, n.cfg.RequestTimeout)
			b, err = n.pool.Call(cctx, v.members[id].peer, reqScan, payload)
			cancel()
		}
		if err != nil {
			return errReply("CLUSTERDOWN member " + id + ": " + err.Error())
		}
		a, err := peer.DecodeStrings(b)
		if err != nil || len(a) < 1 {
			return errReply("ERR bad scan answer")
		}
		keys = a[1:]
		nextOff, _ := strconv.Atoi(a[0])
		if nextOff != 0 {
			next = uint64(idx)<<40 | uint64(nextOff)
			break
		}
		idx, off, next = idx+1, 0, 0
		if idx < len(v.ids) {
			next = uint64(idx) << 40
		}
		if len(keys) > 0 {
			break
		}
	}
	b := resp.AppendArray(nil, 2)
	b = resp.AppendBulkString(b, strconv.FormatUint(next, 10))
	b = resp.AppendArray(b, len(keys))
	for _, k := range keys {
		b = resp.AppendBulkString(b, k)
	}
	return b
}
