module github.com/libgossip/libgossip/utils

go 1.26
