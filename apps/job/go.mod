module github.com/libgossip/libgossip/apps/job

go 1.26.0

require github.com/robfig/cron/v3 v3.0.1

replace (
	github.com/libgossip/libgossip/cluster => ../../cluster
	github.com/libgossip/libgossip/gossip => ../../gossip
	github.com/libgossip/libgossip/net => ../../net
	github.com/libgossip/libgossip/utils => ../../utils
)
