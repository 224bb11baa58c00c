module github.com/libgossip/libgossip/net

go 1.26.0

require (
	github.com/libgossip/libgossip/gossip v0.1.0
	golang.org/x/time v0.16.0
)

replace github.com/libgossip/libgossip/gossip => ../gossip
