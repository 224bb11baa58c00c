module github.com/libgossip/libgossip/utils

go 1.26.0

require (
	github.com/cespare/xxhash/v2 v2.3.0
	golang.org/x/time v0.16.0
)
