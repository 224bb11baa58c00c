module github.com/libgossip/libgossip/cluster

go 1.26.0

require (
	github.com/libgossip/libgossip/gossip v0.1.0
	github.com/libgossip/libgossip/net v0.1.0
	github.com/libgossip/libgossip/utils v0.1.0
)

require (
	github.com/hashicorp/go-hclog v1.6.3
	github.com/hashicorp/raft v1.8.0
	github.com/hashicorp/raft-boltdb/v2 v2.3.1
	go.etcd.io/bbolt v1.4.3
)

require (
	github.com/armon/go-metrics v0.4.1 // indirect
	github.com/boltdb/bolt v1.3.1 // indirect
	github.com/fatih/color v1.13.0 // indirect
	github.com/hashicorp/go-immutable-radix v1.3.1 // indirect
	github.com/hashicorp/go-metrics v0.7.0 // indirect
	github.com/hashicorp/go-msgpack/v2 v2.1.5 // indirect
	github.com/hashicorp/golang-lru v1.0.2 // indirect
	github.com/mattn/go-colorable v0.1.12 // indirect
	github.com/mattn/go-isatty v0.0.14 // indirect
	golang.org/x/sys v0.48.0 // indirect
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/google/uuid v1.6.0 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel v1.47.0 // indirect
	go.opentelemetry.io/otel/log v1.47.0 // indirect
	go.opentelemetry.io/otel/metric v1.47.0 // indirect
	go.opentelemetry.io/otel/sdk v1.47.0 // indirect
	go.opentelemetry.io/otel/sdk/metric v1.47.0 // indirect
	go.opentelemetry.io/otel/trace v1.47.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace (
	github.com/libgossip/libgossip/gossip => ../gossip
	github.com/libgossip/libgossip/net => ../net
	github.com/libgossip/libgossip/utils => ../utils
)

// raft-boltdb/v2 v2.3.1 imports github.com/hashicorp/go-metrics/compat,
// which go-metrics v0.7.0 (required by raft v1.8.0) no longer has; v0.6.1
// has both that package and everything raft uses. Modules that import
// cluster/raft and build outside the workspace need the same replace.
replace github.com/hashicorp/go-metrics => github.com/hashicorp/go-metrics v0.6.1
