package node

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestHTTPAPI(t *testing.T) {
	c := startCluster(t, 2, nil)
	base := "http://" + c.nodes[0].HTTPAddr()
	other := "http://" + c.nodes[1].HTTPAddr()
	do := func(method, url, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	steps := []struct {
		method, url, body string
		code              int
		want              string
	}{
		{"GET", base + "/v1/keys/h", "", 404, "not found\n"},
		{"PUT", base + "/v1/keys/h", "hello", 204, ""},
		{"GET", other + "/v1/keys/h", "", 200, "hello"},
		{"PUT", other + "/v1/keys/t?ttl=100", "v", 204, ""},
		{"PUT", other + "/v1/keys/t?ttl=-1", "v", 400, "ERR invalid expire time in 'set' command\n"},
		{"DELETE", base + "/v1/keys/h", "", 204, ""},
		{"DELETE", base + "/v1/keys/h", "", 404, "not found\n"},
		{"GET", other + "/v1/keys/h", "", 404, "not found\n"},
	}
	for _, s := range steps {
		code, body := do(s.method, s.url, s.body)
		if code != s.code || body != s.want {
			t.Errorf("%s %s: %d %q, want %d %q", s.method, s.url, code, body, s.code, s.want)
		}
	}
	code, body := do("GET", base+"/v1/members", "")
	var m struct {
		Self  string            `json:"self"`
		Owned map[string]string `json:"owned_keys"`
	}
	if err := json.Unmarshal([]byte(body), &m); code != 200 || err != nil || len(m.Owned) != 2 || m.Self != "n0" {
		t.Fatalf("members: %d %q %v", code, body, err)
	}
	code, body = do("GET", base+"/dashboard", "")
	if code != 200 || !strings.Contains(body, `fetch("/v1/members")`) {
		t.Fatalf("dashboard: %d %.80q", code, body)
	}
	code, body = do("GET", base+"/metrics", "")
	if code != 200 || !strings.Contains(body, "libgossip_cache_members 2\n") || !strings.Contains(body, "# TYPE libgossip_cache_commands_total counter") {
		t.Fatalf("metrics: %d %q", code, body)
	}
}
