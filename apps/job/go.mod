module github.com/libgossip/libgossip/apps/job

go 1.26.0

require (
	github.com/libgossip/libgossip/cluster v0.1.0
	github.com/libgossip/libgossip/gossip v0.1.0
	github.com/libgossip/libgossip/net v0.1.0
	github.com/libgossip/libgossip/utils v0.1.0
	github.com/robfig/cron/v3 v3.0.1
)

require (
	github.com/armon/go-metrics v0.4.1 // indirect
	github.com/boltdb/bolt v1.3.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/fatih/color v1.13.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/hashicorp/go-hclog v1.6.3 // indirect
	github.com/hashicorp/go-immutable-radix v1.3.1 // indirect
	github.com/hashicorp/go-metrics v0.7.0 // indirect
	github.com/hashicorp/go-msgpack/v2 v2.1.5 // indirect
	github.com/hashicorp/golang-lru v1.0.2 // indirect
	github.com/hashicorp/raft v1.8.0 // indirect
	github.com/hashicorp/raft-boltdb/v2 v2.3.1 // indirect
	github.com/mattn/go-colorable v0.1.12 // indirect
	github.com/mattn/go-isatty v0.0.14 // indirect
	go.etcd.io/bbolt v1.4.3 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel v1.47.0 // indirect
	go.opentelemetry.io/otel/log v1.47.0 // indirect
	go.opentelemetry.io/otel/metric v1.47.0 // indirect
	go.opentelemetry.io/otel/trace v1.47.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace (
	github.com/libgossip/libgossip/cluster => ../../cluster
	github.com/libgossip/libgossip/gossip => ../../gossip
	github.com/libgossip/libgossip/net => ../../net
	github.com/libgossip/libgossip/utils => ../../utils
)

// See cluster/go.mod: raft-boltdb/v2 needs go-metrics/compat, gone in v0.7.0.
replace github.com/hashicorp/go-metrics => github.com/hashicorp/go-metrics v0.6.1
