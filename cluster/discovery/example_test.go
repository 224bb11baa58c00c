package discovery_test

import (
	"context"
	"fmt"

	"github.com/libgossip/libgossip/cluster/discovery"
	"github.com/libgossip/libgossip/cluster/discovery/static"
)

// Lookups return only healthy instances, whatever the backend.
func Example() {
	var backend discovery.Backend = static.New(
		discovery.Instance{Service: discovery.Service{Name: "api", Port: 8080, Tags: []string{"v2"}}, Member: "a", Host: "10.0.0.1"},
		discovery.Instance{Service: discovery.Service{Name: "api", Port: 8080, Health: discovery.HealthCritical}, Member: "b", Host: "10.0.0.2"},
		discovery.Instance{Service: discovery.Service{Name: "db", Port: 5432}, Member: "c", Host: "10.0.0.3"},
	)
	is, _ := backend.Lookup(context.Background(), "api", discovery.Filter{})
	for _, i := range is {
		fmt.Println(i.Member, i.Addr(), i.Tags)
	}
	// Output: a 10.0.0.1:8080 [v2]
}
