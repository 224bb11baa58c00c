module github.com/libgossip/libgossip/cluster

go 1.26

require (
	github.com/libgossip/libgossip/gossip v0.1.0
	github.com/libgossip/libgossip/net v0.1.0
	github.com/libgossip/libgossip/utils v0.1.0
)

replace (
	github.com/libgossip/libgossip/gossip => ../gossip
	github.com/libgossip/libgossip/net => ../net
	github.com/libgossip/libgossip/utils => ../utils
)
