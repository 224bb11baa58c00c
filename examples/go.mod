module github.com/libgossip/libgossip/examples

go 1.26

require github.com/libgossip/libgossip/gossip v0.0.0

replace github.com/libgossip/libgossip/gossip => ../gossip
