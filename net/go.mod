module github.com/libgossip/libgossip/net

go 1.26.0

require (
	github.com/libgossip/libgossip/gossip v0.1.0
	github.com/libgossip/libgossip/utils v0.1.0
	golang.org/x/time v0.16.0
)

require github.com/cespare/xxhash/v2 v2.3.0 // indirect

replace github.com/libgossip/libgossip/gossip => ../gossip

replace github.com/libgossip/libgossip/utils => ../utils
