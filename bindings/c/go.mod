module github.com/libgossip/libgossip/bindings/c

go 1.26.0

require (
	github.com/libgossip/libgossip/gossip v0.1.0
	github.com/libgossip/libgossip/net v0.1.0
)

require golang.org/x/time v0.16.0 // indirect

replace (
	github.com/libgossip/libgossip/gossip => ../../gossip
	github.com/libgossip/libgossip/net => ../../net
)
