package monitoring

import (
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/libgossip/libgossip/gossip"
)

//go:embed web
var webFiles embed.FS

// Dashboard is the live cluster dashboard: an http.Handler serving one page
// (embedded, no external resources) that follows the cluster over
// Server-Sent Events. It shows the membership as seen by its observer (the
// first of its monitors whose node is still running): members coloured by
// state, their metadata, recent events, and for members whose monitor it
// holds (members in this process) message rates, probes and health score.
//
// Routes, relative to where it is mounted: "/" the page, "/static/" its
// script and style, "/api/state" one View as JSON, "/api/events" a stream of
// Views (event "state") sent on every membership event and at least once per
// refresh interval. Use http.StripPrefix to mount it below a path.
// A Dashboard is safe for concurrent use; Close ends open streams.
//
// It shows member addresses and metadata and has no authentication of its
// own: serve it on a loopback or otherwise trusted address, or behind an
// authenticating proxy. Open streams are capped (WithMaxStreams).
type Dashboard struct {
	mons    []*Monitor
	title   string
	refresh time.Duration
	static  http.Handler
	done    chan struct{}
	once    sync.Once
	streams chan struct{} // one token per open event stream
	max     int           // members listed in a View

	mu    sync.Mutex
	prev  map[*Monitor]sample
	rates map[*Monitor]Rates
}

type sample struct {
	at time.Time
	st gossip.NodeStats
}

// DashboardOption configures NewDashboard.
type DashboardOption func(*Dashboard)

// WithTitle sets the page title. Default "libgossip cluster".
func WithTitle(s string) DashboardOption { return func(d *Dashboard) { d.title = s } }

// WithMaxStreams caps the event streams open at once (browser tabs); more
// are refused with 503. Default 32.
func WithMaxStreams(n int) DashboardOption {
	return func(d *Dashboard) {
		if n > 0 {
			d.streams = make(chan struct{}, n)
		}
	}
}

// WithMaxMembers caps the members listed in a View (the counts by state
// still cover every member); the page stays usable and the stream small for
// large clusters. Default 512.
func WithMaxMembers(n int) DashboardOption {
	return func(d *Dashboard) {
		if n > 0 {
			d.max = n
		}
	}
}

// WithRefresh sets how often an open page gets a new View when nothing
// happens. Default 500ms.
func WithRefresh(p time.Duration) DashboardOption {
	return func(d *Dashboard) {
		if p > 0 {
			d.refresh = p
		}
	}
}

// NewDashboard returns a dashboard over the given monitors (at least one).
// The first running monitor is the observer whose view of the membership is
// shown; the others add their own rates.
func NewDashboard(mons []*Monitor, opts ...DashboardOption) (*Dashboard, error) {
	if len(mons) == 0 {
		return nil, errors.New("monitoring: dashboard needs at least one monitor")
	}
	sub, err := fs.Sub(webFiles, "web")
	if err != nil {
		return nil, err
	}
	d := &Dashboard{
		mons:    append([]*Monitor(nil), mons...),
		title:   "libgossip cluster",
		refresh: 500 * time.Millisecond,
		static:  http.StripPrefix("/static/", http.FileServer(http.FS(sub))),
		done:    make(chan struct{}),
		prev:    map[*Monitor]sample{},
		rates:   map[*Monitor]Rates{},
		streams: make(chan struct{}, 32),
		max:     512,
	}
	for _, o := range opts {
		o(d)
	}
	now := time.Now()
	for _, m := range d.mons {
		d.ratesOf(m, now) // the first sample: rates show a second from now
	}
	return d, nil
}

// Close ends every open event stream; later streams end at once. The page
// itself keeps being served. Close after Close is a no-op.
func (d *Dashboard) Close() { d.once.Do(func() { close(d.done) }) }

// View is one picture of the cluster, as the page receives it.
type View struct {
	Title    string         `json:"title"`
	Observer string         `json:"observer"` // id of the member whose view this is
	Time     time.Time      `json:"time"`
	Counts   map[string]int `json:"counts"` // members by state name
	Members  []MemberView   `json:"members"`
	Omitted  int            `json:"omitted"` // members not listed (over WithMaxMembers)
	Events   []EventRecord  `json:"events"`  // the observer's recent events, oldest first
}

// MemberView is one member on the dashboard.
type MemberView struct {
	ID          string            `json:"id"`
	Addr        string            `json:"addr"`
	State       string            `json:"state"`
	Incarnation uint64            `json:"incarnation"`
	Meta        map[string]string `json:"meta,omitempty"`
	Observer    bool              `json:"observer,omitempty"`
	RTT         float64           `json:"rtt_ms,omitempty"` // the observer's smoothed probe round trip to it, in ms (WithProbeTimer)
	Rates       *Rates            `json:"rates,omitempty"`  // only for members monitored in this process
}

// Rates are a local member's activity, per second over the last second or
// so, and its current health.
type Rates struct {
	PacketsIn    float64 `json:"packets_in"`
	PacketsOut   float64 `json:"packets_out"`
	BytesIn      float64 `json:"bytes_in"`
	BytesOut     float64 `json:"bytes_out"`
	Probes       float64 `json:"probes"`
	ProbesFailed float64 `json:"probes_failed"`
	Indirect     float64 `json:"indirect"`
	HealthScore  int     `json:"health_score"`
	Queued       int     `json:"queued"`
	PushPulls    uint64  `json:"pushpulls"`
}

// Snapshot builds the current View.
func (d *Dashboard) Snapshot() View {
	now := time.Now()
	v := View{Title: d.title, Time: now, Counts: map[string]int{}}
	var obs *Monitor
	local := map[string]*Monitor{}
	for _, m := range d.mons {
		if !m.Running() {
			continue
		}
		if obs == nil {
			obs = m
		}
		local[m.node.LocalNode().ID] = m
	}
	if obs == nil {
		return v
	}
	v.Observer = obs.node.LocalNode().ID
	for _, s := range allStates {
		v.Counts[StateName(s)] = 0
	}
	for _, nv := range obs.node.Members() {
		v.Counts[StateName(nv.State)]++
		if len(v.Members) >= d.max && nv.ID != v.Observer && local[nv.ID] == nil {
			v.Omitted++
			continue
		}
		mv := MemberView{ID: nv.ID, Addr: nv.Addr, State: StateName(nv.State), Incarnation: nv.Incarnation,
			Meta: nv.Meta, Observer: nv.ID == v.Observer}
		if d, ok := obs.ProbeRTT(nv.ID); ok {
			mv.RTT = float64(d.Microseconds()) / 1000
		}
		if m := local[nv.ID]; m != nil {
			r := d.ratesOf(m, now)
			mv.Rates = &r
		}
		v.Members = append(v.Members, mv)
	}
	sort.Slice(v.Members, func(i, j int) bool { return v.Members[i].ID < v.Members[j].ID })
	v.Events = obs.Recent(60)
	return v
}

// rateWindow is the shortest interval rates are computed over; shorter ones
// are too noisy to read (a probe every 200ms).
const rateWindow = time.Second

// ratesOf returns m's rates, sampling its stats when the last sample is at
// least rateWindow old.
func (d *Dashboard) ratesOf(m *Monitor, now time.Time) Rates {
	st := m.node.Stats()
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.prev[m]
	r := d.rates[m]
	if !ok {
		d.prev[m] = sample{now, st}
	} else if dt := now.Sub(p.at).Seconds(); dt >= rateWindow.Seconds() {
		per := func(a, b uint64) float64 { return float64(a-b) / dt }
		r = Rates{
			PacketsIn: per(st.PacketsIn, p.st.PacketsIn), PacketsOut: per(st.PacketsOut, p.st.PacketsOut),
			BytesIn: per(st.BytesIn, p.st.BytesIn), BytesOut: per(st.BytesOut, p.st.BytesOut),
			Probes: per(st.Probes, p.st.Probes), ProbesFailed: per(st.ProbesFailed, p.st.ProbesFailed),
			Indirect: per(st.IndirectProbes, p.st.IndirectProbes),
		}
		d.prev[m] = sample{now, st}
	}
	r.HealthScore = st.Awareness
	r.Queued = st.QueuedUpdates + st.QueuedUser
	r.PushPulls = st.PushPulls
	d.rates[m] = r
	return r
}

// ServeHTTP serves the page, its files, and the state API.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/" || p == "" || p == "/index.html":
		d.serveFile(w, r, "web/index.html", "text/html; charset=utf-8")
	case p == "/api/state":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(d.Snapshot())
	case p == "/api/events":
		d.stream(w, r)
	case len(p) > len("/static/") && p[:len("/static/")] == "/static/":
		d.static.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (d *Dashboard) serveFile(w http.ResponseWriter, r *http.Request, name, ctype string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	b, err := webFiles.ReadFile(name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:")
	_, _ = w.Write(b)
}

// minGap is the least time between two Views on one stream: a burst of
// events becomes one update.
const minGap = 100 * time.Millisecond

// stream sends Views as Server-Sent Events until the client goes away or
// the dashboard is closed.
func (d *Dashboard) stream(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	select {
	case d.streams <- struct{}{}:
		defer func() { <-d.streams }()
	default:
		http.Error(w, "too many open dashboards", http.StatusServiceUnavailable)
		return
	}
	gap := time.NewTimer(0)
	defer gap.Stop()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	tick := time.NewTicker(d.refresh)
	defer tick.Stop()
	for {
		var changed <-chan struct{}
		for _, m := range d.mons {
			if m.Running() {
				changed = m.Changed()
				break
			}
		}
		b, err := json.Marshal(d.Snapshot())
		if err != nil {
			return
		}
		if _, err := w.Write([]byte("event: state\ndata: ")); err != nil {
			return
		}
		_, _ = w.Write(b)
		if _, err := w.Write([]byte("\n\n")); err != nil {
			return
		}
		fl.Flush()
		gap.Reset(minGap)
		select {
		case <-r.Context().Done():
			return
		case <-d.done:
			return
		case <-gap.C:
		}
		select {
		case <-r.Context().Done():
			return
		case <-d.done:
			return
		case <-tick.C:
		case <-changed:
		}
	}
}
