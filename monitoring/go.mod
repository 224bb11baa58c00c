module github.com/libgossip/libgossip/monitoring

go 1.26

require github.com/libgossip/libgossip/gossip v0.1.0

replace github.com/libgossip/libgossip/gossip => ../gossip
