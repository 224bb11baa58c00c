package node

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/libgossip/libgossip/apps/cache/internal/resp"
)

// metrics are the node's own counters.
type metrics struct {
	forwarded      atomic.Uint64 // commands run by another member
	forwardErrors  atomic.Uint64 // forwards that failed (next replica tried)
	writeFailures  atomic.Uint64 // writes refused for lack of acks
	readRepairs    atomic.Uint64 // copies found stale or missing on reads
	replicaReads   atomic.Uint64 // read requests sent to other replicas (reqRead, reqReadMany)
	applied        atomic.Uint64 // entries received from other members
	hintsDelivered atomic.Uint64 // entries delivered from hints
	moved          atomic.Uint64 // entries pushed by rebalancing
	dropped        atomic.Uint64 // entries dropped after moving away
	rebalances     atomic.Uint64 // rebalancing passes
	rebalancing    atomic.Bool   // a pass is running
}

// Stats is a snapshot of a node's counters.
type Stats struct {
	Keys, Bytes                         int64
	Evictions, Expired                  uint64
	Clients                             int64
	Connections, Rejected, Commands     uint64
	ProtocolErrors                      uint64
	Forwarded, ForwardErrors            uint64
	WriteFailures, ReadRepairs, Applied uint64
	ReplicaReads                        uint64 // read requests sent to other replicas
	HintsPending                        int
	HintsDropped, HintsDelivered        uint64
	Moved, Dropped, Rebalances          uint64
	PeerAccepted, PeerRefused           uint64
	Members                             int
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	st := n.store.Stats()
	s := Stats{Keys: int64(st.Entries), Bytes: st.Bytes, Evictions: st.Evictions, Expired: st.Expired,
		Forwarded: n.m.forwarded.Load(), ForwardErrors: n.m.forwardErrors.Load(),
		WriteFailures: n.m.writeFailures.Load(), ReadRepairs: n.m.readRepairs.Load(), Applied: n.m.applied.Load(),
		ReplicaReads:   n.m.replicaReads.Load(),
		HintsDelivered: n.m.hintsDelivered.Load(), Moved: n.m.moved.Load(), Dropped: n.m.dropped.Load(),
		Rebalances: n.m.rebalances.Load()}
	s.HintsPending, s.HintsDropped = n.hints.pending()
	if n.rsrv != nil {
		rs := n.rsrv.Stats()
		s.Clients, s.Connections, s.Rejected, s.Commands, s.ProtocolErrors = rs.Clients, rs.Connections, rs.Rejected, rs.Commands, rs.ProtocolErrors
	}
	if n.psrv != nil {
		ps := n.psrv.Stats()
		s.PeerAccepted, s.PeerRefused = ps.Accepted, ps.Refused
	}
	if v := n.view.Load(); v != nil {
		s.Members = len(v.ids)
	}
	return s
}

// writeMetrics writes the counters in the Prometheus text format.
func (n *Node) writeMetrics(w io.Writer) {
	s := n.Stats()
	type m struct {
		name, help, kind string
		v                float64
	}
	list := []m{
		{"libgossip_cache_keys", "Entries in the local store, tombstones included.", "gauge", float64(s.Keys)},
		{"libgossip_cache_bytes", "Bytes counted against the store's bound.", "gauge", float64(s.Bytes)},
		{"libgossip_cache_evictions_total", "Entries evicted for room.", "counter", float64(s.Evictions)},
		{"libgossip_cache_expired_total", "Entries removed by TTL.", "counter", float64(s.Expired)},
		{"libgossip_cache_clients", "Connected RESP clients.", "gauge", float64(s.Clients)},
		{"libgossip_cache_connections_total", "RESP connections accepted.", "counter", float64(s.Connections)},
		{"libgossip_cache_rejected_connections_total", "RESP connections refused at the client limit.", "counter", float64(s.Rejected)},
		{"libgossip_cache_commands_total", "RESP commands processed.", "counter", float64(s.Commands)},
		{"libgossip_cache_protocol_errors_total", "Clients closed for input beyond the limits.", "counter", float64(s.ProtocolErrors)},
		{"libgossip_cache_forwarded_total", "Commands run by another member.", "counter", float64(s.Forwarded)},
		{"libgossip_cache_forward_errors_total", "Forwards that failed.", "counter", float64(s.ForwardErrors)},
		{"libgossip_cache_write_failures_total", "Writes refused for lack of replica acks.", "counter", float64(s.WriteFailures)},
		{"libgossip_cache_read_repairs_total", "Stale or missing copies found by reads.", "counter", float64(s.ReadRepairs)},
		{"libgossip_cache_replica_reads_total", "Read requests sent to other replicas (a key missing here, or settling); a batch's reads go as one request per replica.", "counter", float64(s.ReplicaReads)},
		{"libgossip_cache_hints_pending", "Keys waiting for a replica that missed them.", "gauge", float64(s.HintsPending)},
		{"libgossip_cache_hints_delivered_total", "Entries delivered from hints.", "counter", float64(s.HintsDelivered)},
		{"libgossip_cache_rebalance_moved_total", "Entries pushed by rebalancing.", "counter", float64(s.Moved)},
		{"libgossip_cache_rebalance_dropped_total", "Entries dropped after moving away.", "counter", float64(s.Dropped)},
		{"libgossip_cache_peer_refused_total", "Internal connections refused.", "counter", float64(s.PeerRefused)},
		{"libgossip_cache_members", "Members in the ring.", "gauge", float64(s.Members)},
	}
	for _, x := range list {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %g\n", x.name, x.help, x.name, x.kind, x.name, x.v)
	}
}

// info renders INFO's sections (all when none are asked for).
func (n *Node) info(sections [][]byte) string {
	want := map[string]bool{}
	for _, s := range sections {
		want[strings.ToLower(string(s))] = true
	}
	all := len(want) == 0 || want["all"] || want["everything"] || want["default"]
	s := n.Stats()
	var b strings.Builder
	sec := func(name string, kv ...any) {
		if !all && !want[strings.ToLower(name)] {
			return
		}
		fmt.Fprintf(&b, "# %s\r\n", name)
		for i := 0; i+1 < len(kv); i += 2 {
			fmt.Fprintf(&b, "%v:%v\r\n", kv[i], kv[i+1])
		}
		b.WriteString("\r\n")
	}
	sec("Server", "redis_version", resp.Version, "redis_mode", "standalone", "server_name", "libgossip-cache",
		"process_id", 0, "tcp_port", portOf(n.respAddr), "uptime_in_seconds", int(time.Since(n.started).Seconds()))
	sec("Clients", "connected_clients", s.Clients, "maxclients", n.cfg.Limits.MaxClients)
	sec("Memory", "used_memory", s.Bytes, "maxmemory", n.storeMax(), "maxmemory_policy", "allkeys-lru")
	sec("Stats", "total_connections_received", s.Connections, "total_commands_processed", s.Commands,
		"rejected_connections", s.Rejected, "evicted_keys", s.Evictions, "expired_keys", s.Expired)
	v := n.view.Load()
	ids := append([]string(nil), v.ids...)
	sort.Strings(ids)
	sec("Cluster", "cluster_enabled", 0, "libgossip_node_id", n.self, "libgossip_members", strings.Join(ids, ","),
		"libgossip_replicas", n.cfg.Replicas, "libgossip_write_acks", n.cfg.WriteAcks,
		"libgossip_forwarded", s.Forwarded, "libgossip_hints_pending", s.HintsPending,
		"libgossip_rebalance_moved", s.Moved, "libgossip_settling", boolInt(n.settling()))
	sec("Keyspace", "db0", fmt.Sprintf("keys=%d,expires=0,avg_ttl=0", s.Keys))
	return b.String()
}

func (n *Node) storeMax() int64 {
	if n.cfg.MaxBytes == 0 {
		return 256 << 20
	}
	return n.cfg.MaxBytes
}

func portOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
