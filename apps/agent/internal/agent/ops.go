package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/libgossip/libgossip/cluster/election"
	"github.com/libgossip/libgossip/cluster/kv"
	"github.com/libgossip/libgossip/cluster/query"
	"github.com/libgossip/libgossip/gossip"
	"github.com/libgossip/libgossip/net/security"
)

// Errors the API maps to HTTP statuses.
var (
	ErrNotFound    = errors.New("agent: not found")
	ErrBadRequest  = errors.New("agent: bad request")
	ErrNoKeyring   = errors.New("agent: encryption is not enabled (no key_file)")
	ErrReservedTag = errors.New("agent: tag is reserved for cluster services")
)

// Queries the agents answer among themselves.
const (
	queryPing       = "ping"
	queryForceLeave = "agent.force-leave"
	queryKeys       = "agent.keys"
)

// forcedSet holds the members a force-leave marked: shown as "left", or
// hidden when pruned, until they are seen alive again. The gossip Node has
// no API to change another member's state, so the override lives in the
// agents' view (every agent applies it, through a cluster query).
type forcedSet struct {
	mu sync.Mutex
	m  map[string]bool // name -> pruned
}

func (f *forcedSet) set(name string, prune bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]bool{}
	}
	f.m[name] = f.m[name] || prune
}

func (f *forcedSet) clear(name string) {
	f.mu.Lock()
	delete(f.m, name)
	f.mu.Unlock()
}

func (f *forcedSet) get(name string) (forced, pruned bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pruned, forced = f.m[name]
	return forced, pruned
}

// MemberFilter selects members: by status, by tags (every key=value must
// match; a value is a regular expression anchored at both ends) and by a
// name regular expression. Zero fields select everything.
type MemberFilter struct {
	Status string
	Name   string
	Tags   map[string]string
}

// Members returns the members this agent sees, filtered, sorted by name.
func (a *Agent) Members(f MemberFilter) ([]Member, error) {
	var nameRE *regexp.Regexp
	var err error
	if f.Name != "" {
		if nameRE, err = regexp.Compile("^(?:" + f.Name + ")$"); err != nil {
			return nil, fmt.Errorf("%w: name: %w", ErrBadRequest, err)
		}
	}
	tagRE := map[string]*regexp.Regexp{}
	for k, v := range f.Tags {
		if tagRE[k], err = regexp.Compile("^(?:" + v + ")$"); err != nil {
			return nil, fmt.Errorf("%w: tag %s: %w", ErrBadRequest, k, err)
		}
	}
	var out []Member
	for _, v := range a.node.Members() {
		m := memberOf(v)
		if forced, pruned := a.forced.get(m.Name); forced && v.State != gossip.StateAlive {
			if pruned {
				continue
			}
			m.Status = "left"
		}
		if f.Status != "" && m.Status != f.Status {
			continue
		}
		if nameRE != nil && !nameRE.MatchString(m.Name) {
			continue
		}
		ok := true
		for k, re := range tagRE {
			tv, has := m.Tags[k]
			ok = ok && has && re.MatchString(tv)
		}
		if ok {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(x, y Member) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// Join joins the cluster through the given addresses now.
func (a *Agent) Join(ctx context.Context, addrs []string) error {
	if len(addrs) == 0 {
		return fmt.Errorf("%w: no address to join", ErrBadRequest)
	}
	return a.node.Join(ctx, addrs...)
}

// reservedTag reports whether a metadata key belongs to a cluster service.
func reservedTag(k string) bool {
	return k == kv.MetaKey || k == query.MetaKey || strings.HasPrefix(k, election.TagPrefix) || strings.HasPrefix(k, "otel.")
}

// SetTags sets and deletes tags of this member and spreads them. Keys that
// belong to cluster services are refused.
func (a *Agent) SetTags(set map[string]string, del []string) (map[string]string, error) {
	if err := checkTags(set, del); err != nil {
		return nil, err
	}
	return a.updateTags(func(meta map[string]string) {
		maps.Copy(meta, set)
		for _, k := range del {
			delete(meta, k)
		}
	})
}

// replaceTags makes the user tags exactly tags, keeping the services' keys
// (SIGHUP).
func (a *Agent) replaceTags(tags map[string]string) error {
	if err := checkTags(tags, nil); err != nil {
		return err
	}
	_, err := a.updateTags(func(meta map[string]string) {
		maps.DeleteFunc(meta, func(k, _ string) bool { return !reservedTag(k) })
		maps.Copy(meta, tags)
	})
	return err
}

// checkTags refuses the cluster services' keys and empty keys.
func checkTags(set map[string]string, del []string) error {
	for k := range set {
		if reservedTag(k) || k == "" {
			return fmt.Errorf("%w: %q", ErrReservedTag, k)
		}
	}
	for _, k := range del {
		if reservedTag(k) {
			return fmt.Errorf("%w: %q", ErrReservedTag, k)
		}
	}
	return nil
}

// updateTags applies change to the member's metadata as one step on the
// node (the cluster services write their keys the same way, so neither
// loses the other's) and returns the user tags that result.
func (a *Agent) updateTags(change func(meta map[string]string)) (map[string]string, error) {
	var m map[string]string
	err := a.node.UpdateMeta(func(meta map[string]string) error {
		change(meta)
		m = maps.Clone(meta)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	maps.DeleteFunc(m, func(k, _ string) bool { return reservedTag(k) })
	return m, nil
}

// UserEvent broadcasts a named user event to every member.
func (a *Agent) UserEvent(name, payload string) error {
	if name == "" {
		return fmt.Errorf("%w: event name is empty", ErrBadRequest)
	}
	e := encodeUserEvent(userEvent{Name: name, Payload: payload, From: a.cfg.NodeName})
	if err := a.node.Broadcast(e); err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	// The sender's own node does not deliver its broadcast back: publish here.
	ev := Event{Type: KindUser, Time: time.Now(), Name: name, Payload: payload, From: a.cfg.NodeName, Origin: "local"}
	a.broker.publish(ev)
	a.runner.submit(ev)
	return nil
}

// QueryResult is one member's answer to a query.
type QueryResult struct {
	From    string `json:"from"`
	Payload string `json:"payload,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Query sends a query to the members that match filter and collects their
// answers until timeout.
func (a *Agent) Query(ctx context.Context, name, payload string, filter query.Filter, timeout time.Duration) ([]QueryResult, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: query name is empty", ErrBadRequest)
	}
	p, err := a.query.Query(ctx, name, []byte(payload), query.Params{Filter: filter, Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	defer p.Close()
	out := []QueryResult{}
	for {
		select {
		case r, ok := <-p.Responses:
			if !ok {
				slices.SortFunc(out, func(x, y QueryResult) int { return strings.Compare(x.From, y.From) })
				return out, nil
			}
			out = append(out, QueryResult{From: r.From, Payload: string(r.Payload), Error: r.Err})
		case <-ctx.Done():
			return out, ctx.Err()
		}
	}
}

type forceLeaveReq struct {
	Node  string `json:"node"`
	Prune bool   `json:"prune"`
}

type keysReq struct {
	Op  string `json:"op"`
	Key string `json:"key"`
}

func (a *Agent) registerQueries() {
	a.query.Handle(queryPing, func(context.Context, query.Request) ([]byte, error) {
		return []byte(a.cfg.NodeName), nil
	})
	a.query.Handle(queryForceLeave, func(_ context.Context, r query.Request) ([]byte, error) {
		var fl forceLeaveReq
		if err := json.Unmarshal(r.Payload, &fl); err != nil || fl.Node == "" {
			return nil, ErrBadRequest
		}
		return nil, a.applyForceLeave(fl)
	})
	a.query.Handle(queryKeys, func(_ context.Context, r query.Request) ([]byte, error) {
		var kr keysReq
		if err := json.Unmarshal(r.Payload, &kr); err != nil {
			return nil, ErrBadRequest
		}
		return a.localKeys(kr)
	})
}

func (a *Agent) applyForceLeave(fl forceLeaveReq) error {
	for _, v := range a.node.Members() {
		if v.ID == fl.Node {
			if v.State == gossip.StateAlive {
				return fmt.Errorf("%w: %s is alive", ErrBadRequest, fl.Node)
			}
			a.forced.set(fl.Node, fl.Prune)
			a.log.Info("member forced to leave", "member", fl.Node, "prune", fl.Prune)
			return nil
		}
	}
	return fmt.Errorf("%w: member %s", ErrNotFound, fl.Node)
}

// ForceLeave marks a failed member as left on every reachable agent (and,
// with prune, hides it). It fails if the member is unknown or alive here.
func (a *Agent) ForceLeave(ctx context.Context, node string, prune bool) error {
	fl := forceLeaveReq{Node: node, Prune: prune}
	if err := a.applyForceLeave(fl); err != nil {
		return err
	}
	b, _ := json.Marshal(fl)
	_, err := a.Query(ctx, queryForceLeave, string(b), query.Filter{}, 2*time.Second)
	return err
}

// KeysResult is the outcome of a cluster-wide key operation.
type KeysResult struct {
	Members int               `json:"members"`           // members that answered
	Failed  map[string]string `json:"failed,omitempty"`  // member -> error
	Keys    map[string]int    `json:"keys,omitempty"`    // fingerprint -> members holding it
	Primary map[string]int    `json:"primary,omitempty"` // fingerprint -> members using it
}

type keysAnswer struct {
	Keys    []string `json:"keys"`
	Primary string   `json:"primary"`
}

// localKeys runs one key operation on this agent's keyring.
func (a *Agent) localKeys(r keysReq) ([]byte, error) {
	if a.keyring == nil {
		return nil, ErrNoKeyring
	}
	if r.Op != "list" {
		k, err := security.ParseKey(r.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		switch r.Op {
		case "install":
			err = a.keyring.Install(k)
		case "use":
			err = a.keyring.UseKey(k)
		case "remove":
			err = a.keyring.Remove(k)
		default:
			err = fmt.Errorf("%w: op %q", ErrBadRequest, r.Op)
		}
		if err != nil {
			return nil, err
		}
	}
	var ans keysAnswer
	for _, k := range a.keyring.Keys() {
		ans.Keys = append(ans.Keys, k.Fingerprint())
	}
	ans.Primary = a.keyring.Primary().Fingerprint()
	return json.Marshal(ans)
}

// Keys runs a key operation (install, use, remove, list) on every member
// that answers within timeout, this one included.
func (a *Agent) Keys(ctx context.Context, op, key string, timeout time.Duration) (KeysResult, error) {
	switch op {
	case "install", "use", "remove", "list":
	default:
		return KeysResult{}, fmt.Errorf("%w: op %q", ErrBadRequest, op)
	}
	if a.keyring == nil {
		return KeysResult{}, ErrNoKeyring
	}
	req := keysReq{Op: op, Key: key}
	if op != "list" {
		if _, err := security.ParseKey(key); err != nil { // fail fast on a bad key
			return KeysResult{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
	}
	b, _ := json.Marshal(req)
	rs, err := a.Query(ctx, queryKeys, string(b), query.Filter{}, timeout)
	if err != nil {
		return KeysResult{}, err
	}
	res := KeysResult{Keys: map[string]int{}, Primary: map[string]int{}}
	for _, r := range rs {
		var ans keysAnswer
		if r.Error != "" {
			if res.Failed == nil {
				res.Failed = map[string]string{}
			}
			res.Failed[r.From] = r.Error
			continue
		}
		if json.Unmarshal([]byte(r.Payload), &ans) != nil {
			continue
		}
		res.Members++
		for _, k := range ans.Keys {
			res.Keys[k]++
		}
		res.Primary[ans.Primary]++
	}
	return res, nil
}

// Leader is the agent's view of its election.
type Leader struct {
	Election string `json:"election"`
	Leader   string `json:"leader"`
	Token    uint64 `json:"token"`
	Self     bool   `json:"self"`
}

// LeaderInfo returns this agent's view of the election.
func (a *Agent) LeaderInfo() Leader {
	l := a.elect.Leader()
	return Leader{Election: a.cfg.Election, Leader: l.Leader, Token: l.Token, Self: l.Self}
}

// KVEntry is one key of the replicated store.
type KVEntry struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Version string `json:"version"`
	Origin  string `json:"origin,omitempty"`
}

// KVGet reads one key.
func (a *Agent) KVGet(key string) (KVEntry, error) {
	v, ver, ok := a.kv.Get(key)
	if !ok {
		return KVEntry{}, fmt.Errorf("%w: key %q", ErrNotFound, key)
	}
	return KVEntry{Key: key, Value: string(v), Version: fmt.Sprint(ver)}, nil
}

// KVPut writes one key.
func (a *Agent) KVPut(key string, value []byte) (KVEntry, error) {
	ver, err := a.kv.Put(key, value)
	if err != nil {
		return KVEntry{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return KVEntry{Key: key, Value: string(value), Version: fmt.Sprint(ver), Origin: a.cfg.NodeName}, nil
}

// KVDelete deletes one key.
func (a *Agent) KVDelete(key string) error {
	if _, _, ok := a.kv.Get(key); !ok {
		return fmt.Errorf("%w: key %q", ErrNotFound, key)
	}
	_, err := a.kv.Delete(key)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	return nil
}

// KVList lists the live keys under prefix.
func (a *Agent) KVList(prefix string) []KVEntry {
	out := []KVEntry{}
	for _, e := range a.kv.List(prefix) {
		if !e.Deleted {
			out = append(out, KVEntry{Key: e.Key, Value: string(e.Value), Version: fmt.Sprint(e.Version), Origin: e.Origin})
		}
	}
	slices.SortFunc(out, func(x, y KVEntry) int { return strings.Compare(x.Key, y.Key) })
	return out
}

// Info describes this agent.
type Info struct {
	Self      Member            `json:"self"`
	HTTP      string            `json:"http"`
	Preset    string            `json:"preset"`
	Members   map[string]int    `json:"members"` // status -> count
	Encrypted bool              `json:"encrypted"`
	Stats     map[string]uint64 `json:"stats"`
	Handlers  map[string]uint64 `json:"handlers"`
}

// Info returns this agent's description and counters.
func (a *Agent) Info() Info {
	st := a.node.Stats()
	counts := map[string]int{}
	ms, _ := a.Members(MemberFilter{})
	for _, m := range ms {
		counts[m.Status]++
	}
	return Info{
		Self: a.self(), HTTP: a.HTTPAddr(), Preset: a.cfg.Preset, Members: counts, Encrypted: a.keyring != nil,
		Stats: map[string]uint64{
			"send_errors": st.SendErrors, "stream_errors": st.StreamErrors, "decode_errors": st.DecodeErrors,
			"send_dropped": st.SendDropped, "inbound_dropped": st.InboundDropped,
		},
		Handlers: map[string]uint64{"ran": a.runner.ran.Load(), "failed": a.runner.failed.Load(), "dropped": a.runner.dropped.Load()},
	}
}

// Reload reads the configuration file again (if any) and the key file, and
// applies what can change at runtime: tags, log level and keys. Other
// changes are ignored (logged).
func (a *Agent) Reload() error {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	cfg := a.cfg
	if cfg.File != "" {
		var fresh Config
		if err := LoadFile(cfg.File, &fresh); err != nil {
			return err
		}
		fresh.Defaults()
		if err := fresh.Validate(); err != nil {
			return err
		}
		cfg.Tags, cfg.LogLevel, cfg.KeyFile = fresh.Tags, fresh.LogLevel, fresh.KeyFile
	}
	lv, err := parseLevel(cfg.LogLevel)
	if err != nil {
		return err
	}
	if err := a.replaceTags(cfg.Tags); err != nil {
		return err
	}
	a.level.Set(lv)
	if cfg.KeyFile != "" && a.keyring != nil {
		keys, err := readKeyFile(cfg.KeyFile)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := a.keyring.Install(k); err != nil {
				return err
			}
		}
		if err := a.keyring.UseKey(keys[0]); err != nil {
			return err
		}
		for _, k := range a.keyring.Keys() {
			if !slices.ContainsFunc(keys, k.Equal) {
				if err := a.keyring.Remove(k); err != nil {
					return err
				}
			}
		}
	}
	a.cfg = cfg
	a.log.Info("configuration reloaded", "log_level", cfg.LogLevel, "tags", len(cfg.Tags))
	return nil
}
