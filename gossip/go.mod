module github.com/libgossip/libgossip/gossip

go 1.26
