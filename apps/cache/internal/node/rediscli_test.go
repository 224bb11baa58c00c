package node

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// redisCLI returns the path of redis-cli. Without it the test is skipped,
// unless LIBGOSSIP_CI is set: CI installs it, so there it must be found.
func redisCLI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("redis-cli")
	if err != nil {
		if os.Getenv("LIBGOSSIP_CI") != "" {
			t.Fatalf("redis-cli not found but LIBGOSSIP_CI is set: %v", err)
		}
		t.Skip("redis-cli not installed (apt-get install redis-tools); set LIBGOSSIP_CI=1 to make this a failure")
	}
	return p
}

// TestRedisCLICluster runs the real redis-cli against a 3-node cluster
// for every command, spreading the steps over the nodes. A want of "*"
// takes any answer but an error; "~N" a TTL of at most N seconds that may
// have counted down since it was set.
func TestRedisCLICluster(t *testing.T) {
	cli := redisCLI(t)
	c := startCluster(t, 3, nil)
	steps := []struct {
		node int
		args string
		want string
	}{
		{0, "PING", "PONG"},
		{1, "PING hello", "hello"},
		{2, "ECHO hi", "hi"},
		{0, "SET a 1", "OK"},
		{1, "GET a", "1"},
		{2, "INCR a", "2"},
		{0, "INCRBY a 10", "12"},
		{1, "DECR a", "11"},
		{2, "DECRBY a 4", "7"},
		{0, "APPEND a x", "2"},
		{1, "STRLEN a", "2"},
		{2, "INCR a", "ERR value is not an integer or out of range"},
		{0, "GET missing", ""},
		{1, "SET t v EX 100", "OK"},
		{2, "TTL t", "~100"},
		{0, "EXPIRE a 50", "1"},
		{1, "TTL a", "~50"},
		{2, "PEXPIRE a 100000", "1"},
		{0, "TTL missing", "-2"},
		{1, "SET p v PX 100000", "OK"},
		{2, "SET n 1 NX", "OK"},
		{0, "SET n 2 NX", ""},
		{1, "SET n 3 XX GET", "1"},
		{2, "GET n", "3"},
		{0, "MSET x 1 y 2", "OK"},
		{1, "MGET x y z", "1\n2\n"},
		{2, "EXISTS x y z", "2"},
		{0, "GETDEL x", "1"},
		{1, "DEL x y z", "1"},
		{2, "KEYS [an]", "a\nn"},
		{0, "DBSIZE", "4"},
		{1, "--scan --pattern n", "n"},
		{2, "SCAN 0 COUNT 1000", "*"},
		{2, "CLIENT SETNAME cli", "OK"},
		{0, "CLIENT ID", "*"},
		{1, "CLIENT INFO", "*"},
		{2, "HELLO 2", "*"},
		{0, "COMMAND COUNT", strconv.Itoa(34)},
		{1, "INFO server", "*"},
		{2, "GET", "ERR wrong number of arguments for 'get' command"},
		{0, "NOSUCH x", "ERR unknown command 'NOSUCH', with args beginning with: 'x' "},
		{1, "SET k v EX -1", "ERR invalid expire time in 'set' command"},
		{2, "SET k v NX XX", "ERR syntax error"},
		{0, "FLUSHALL", "OK"},
		{1, "DBSIZE", "0"},
		{2, "QUIT", "OK"},
	}
	for _, s := range steps {
		args := append([]string{"-p", portOf(c.nodes[s.node].RESPAddr())}, strings.Fields(s.args)...)
		out, err := exec.Command(cli, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %s on node %d: %v\n%s", s.args, s.node, err, out)
		}
		got := strings.TrimRight(string(out), "\n")
		if s.want == "*" {
			if got == "" || strings.HasPrefix(got, "ERR") {
				t.Errorf("redis-cli %s on node %d: %q", s.args, s.node, got)
			}
			continue
		}
		if n, ok := strings.CutPrefix(s.want, "~"); ok {
			// A TTL set n seconds ago by an earlier step: it counts down
			// while the steps run (a redis-cli process each, slow on a
			// loaded machine), and rounds to the nearest second as
			// Redis's does.
			top, _ := strconv.Atoi(n)
			if ttl, err := strconv.Atoi(got); err != nil || ttl > top || ttl <= top-10 {
				t.Errorf("redis-cli %s on node %d: %q, want a TTL in (%d, %d]", s.args, s.node, got, top-10, top)
			}
			continue
		}
		if got != strings.TrimRight(s.want, "\n") {
			t.Errorf("redis-cli %s on node %d:\ngot  %q\nwant %q", s.args, s.node, got, s.want)
		}
	}
}
