package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// runGoRedisSuite drives every command through a go-redis client, each
// step on the client given by its index, so that writes and reads cross
// nodes in a cluster.
func runGoRedisSuite(t *testing.T, clients []*redis.Client, prefix string) {
	ctx := context.Background()
	at := func(i int) *redis.Client { return clients[i%len(clients)] }
	k := func(s string) string { return prefix + s }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	eq := func(got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	for i := range clients {
		eq(at(i).Ping(ctx).Val(), "PONG")
		eq(at(i).Echo(ctx, "hi").Val(), "hi")
	}
	must(at(0).Set(ctx, k("a"), "1", 0).Err())
	eq(at(1).Get(ctx, k("a")).Val(), "1")
	eq(at(2).Incr(ctx, k("a")).Val(), 2)
	eq(at(0).IncrBy(ctx, k("a"), 10).Val(), 12)
	eq(at(1).Decr(ctx, k("a")).Val(), 11)
	eq(at(2).DecrBy(ctx, k("a"), 5).Val(), 6)
	eq(at(0).Append(ctx, k("a"), "x").Val(), 2)
	eq(at(1).StrLen(ctx, k("a")).Val(), 2)
	if err := at(2).Incr(ctx, k("a")).Err(); err == nil || !strings.Contains(err.Error(), "not an integer") {
		t.Fatalf("INCR of a string: %v", err)
	}
	_, err := at(0).Get(ctx, k("missing")).Result()
	if !errors.Is(err, redis.Nil) {
		t.Fatalf("GET missing: %v, want redis.Nil", err)
	}
	must(at(1).Set(ctx, k("t"), "v", 100*time.Second).Err())
	if ttl := at(2).TTL(ctx, k("t")).Val(); ttl < 98*time.Second || ttl > 100*time.Second {
		t.Fatalf("TTL = %v", ttl)
	}
	if pttl := at(0).PTTL(ctx, k("t")).Val(); pttl < 98*time.Second || pttl > 100*time.Second {
		t.Fatalf("PTTL = %v", pttl)
	}
	eq(at(1).Expire(ctx, k("a"), 50*time.Second).Val(), true)
	eq(at(2).PExpire(ctx, k("a"), 40*time.Second).Val(), true)
	if ttl := at(0).TTL(ctx, k("a")).Val(); ttl < 38*time.Second || ttl > 40*time.Second {
		t.Fatalf("TTL after PEXPIRE = %v", ttl)
	}
	eq(at(0).TTL(ctx, k("missing")).Val(), time.Duration(-2))
	must(at(0).Set(ctx, k("short"), "v", 30*time.Millisecond).Err())
	waitFor(t, 5*time.Second, "the short key expires", func() bool {
		return at(1).Exists(ctx, k("short")).Val() == 0
	})
	must(at(2).MSet(ctx, k("x"), "1", k("y"), "2").Err())
	eq(at(0).MGet(ctx, k("x"), k("y"), k("z")).Val(), []any{"1", "2", nil})
	eq(at(1).Exists(ctx, k("x"), k("y"), k("z")).Val(), 2)
	eq(at(2).GetDel(ctx, k("x")).Val(), "1")
	eq(at(0).Exists(ctx, k("x")).Val(), 0)
	eq(at(1).Del(ctx, k("y"), k("z")).Val(), 1)
	eq(at(2).SetNX(ctx, k("nx"), "1", 0).Val(), true)
	eq(at(0).SetNX(ctx, k("nx"), "2", 0).Val(), false)
	eq(at(1).SetXX(ctx, k("nx"), "3", 0).Val(), true)
	eq(at(2).SetXX(ctx, k("nope"), "3", 0).Val(), false)
	eq(at(0).SetArgs(ctx, k("nx"), "4", redis.SetArgs{Get: true}).Val(), "3")
	eq(at(1).SetArgs(ctx, k("nx"), "5", redis.SetArgs{KeepTTL: true}).Val(), "OK")
	eq(at(2).Get(ctx, k("nx")).Val(), "5")

	// Pipelining: many commands in one round trip.
	pipe := at(0).Pipeline()
	for i := range 100 {
		pipe.Set(ctx, k(fmt.Sprintf("p%d", i)), i, 0)
	}
	for i := range 100 {
		pipe.Get(ctx, k(fmt.Sprintf("p%d", i)))
	}
	cmds, err := pipe.Exec(ctx)
	must(err)
	for i := range 100 {
		eq(cmds[100+i].(*redis.StringCmd).Val(), i)
	}
	keys := at(1).Keys(ctx, k("p1*")).Val()
	eq(len(keys), 11)
	var scanned []string
	var cursor uint64
	for {
		ks, next, err := at(2).Scan(ctx, cursor, k("p*"), 7).Result()
		must(err)
		scanned = append(scanned, ks...)
		if cursor = next; cursor == 0 {
			break
		}
	}
	eq(len(scanned), 100)
	if n := at(0).DBSize(ctx).Val(); n < 100 {
		t.Fatalf("DBSIZE = %d, want >= 100", n)
	}
	if info := at(1).Info(ctx, "server").Val(); !strings.Contains(info, "redis_version:") {
		t.Fatalf("INFO server: %q", info)
	}
	must(at(2).Do(ctx, "CLIENT", "SETNAME", "suite").Err())
	eq(at(2).Do(ctx, "CLIENT", "GETNAME").Val(), "suite")
	if err := at(0).Do(ctx, "LPUSH", "q", "1").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR unknown command 'LPUSH'") {
		t.Fatalf("unknown command: %v", err)
	}
	if err := at(0).Do(ctx, "GET").Err(); err == nil || err.Error() != "ERR wrong number of arguments for 'get' command" {
		t.Fatalf("arity: %v", err)
	}
	if err := at(0).Do(ctx, "SET", "k", "v", "EX", "0").Err(); err == nil || err.Error() != "ERR invalid expire time in 'set' command" {
		t.Fatalf("bad expire: %v", err)
	}
	must(at(1).FlushAll(ctx).Err())
	eq(at(2).DBSize(ctx).Val(), 0)
}

func TestGoRedisSingleNode(t *testing.T) {
	c := startCluster(t, 1, nil)
	runGoRedisSuite(t, []*redis.Client{c.client(0)}, "s:")
}

func TestGoRedisCluster(t *testing.T) {
	c := startCluster(t, 3, nil)
	runGoRedisSuite(t, []*redis.Client{c.client(0), c.client(1), c.client(2)}, "c:")
	// RESP3: go-redis speaks HELLO 3 by default; check the null reply.
	cl := redis.NewClient(&redis.Options{Addr: c.nodes[1].RESPAddr(), Protocol: 3})
	defer cl.Close()
	if err := cl.Get(context.Background(), "nothing").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("RESP3 GET missing: %v", err)
	}
}
