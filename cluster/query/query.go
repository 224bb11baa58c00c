package query

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/libgossip/libgossip/cluster/internal/membermeta"
	"github.com/libgossip/libgossip/cluster/internal/rpc"
	"github.com/libgossip/libgossip/gossip"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Errors of this package. Callers test them with errors.Is.
var (
	// ErrMalformed reports remote input that does not decode.
	ErrMalformed = errors.New("query: malformed input")
	// ErrConfig reports an invalid option or parameter.
	ErrConfig = errors.New("query: invalid config")
	// ErrNotRunning reports a call on a Querier not started or shut down.
	ErrNotRunning = errors.New("query: not running")
	// ErrUnknownQuery reports a reply for a query that is not pending.
	ErrUnknownQuery = errors.New("query: no such pending query")
)

// MetaKey is the member metadata key under which a Querier advertises
// the address responses are sent to.
const MetaKey = "query.rpc"

var broadcastPrefix = []byte("\x00lgc/query\x01")

// Handler answers a query. It runs on its own goroutine under ctx, which
// ends at the query's timeout. The response may be up to MaxResponse
// bytes; a returned error reaches the origin as Response.Err.
type Handler func(ctx context.Context, r Request) ([]byte, error)

// Response is one member's answer.
type Response struct {
	From    string
	Payload []byte
	// Err is the handler's error message, if it failed.
	Err string
}

// Params are a query's parameters.
type Params struct {
	// Filter selects the members that answer (default: all).
	Filter Filter
	// Timeout is how long responses are collected. Default 5s.
	Timeout time.Duration
	// Ack asks every member that receives the query to acknowledge it
	// before its handler runs.
	Ack bool
}

type options struct {
	listen, advertise    string
	serverTLS, clientTLS *tls.Config
	dial                 func(ctx context.Context, network, addr string) (net.Conn, error)
	maxConns, perSource  int
	maxHandlers          int
	log                  *slog.Logger
	onError              func(error)
	meterProvider        metric.MeterProvider
	tracerProvider       trace.TracerProvider
}

// Option configures a Querier.
type Option func(*options)

// WithListenAddr sets the address of the listener responses arrive on.
// Default: the node's host with port 0, or 127.0.0.1:0.
func WithListenAddr(addr string) Option { return func(o *options) { o.listen = addr } }

// WithAdvertiseAddr sets the address responders are told to use.
// Default: the listener's address.
func WithAdvertiseAddr(addr string) Option { return func(o *options) { o.advertise = addr } }

// WithTLS secures the response channel. Default plain TCP.
func WithTLS(server, client *tls.Config) Option {
	return func(o *options) { o.serverTLS, o.clientTLS = server, client }
}

// WithDialer sets how responses are sent. Default a net.Dialer.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dial = dial }
}

// WithMaxConns bounds concurrent inbound response connections in total
// and per source IP (defaults 256 and 32). Responders refused for a
// limit retry with backoff until the query's timeout.
func WithMaxConns(total, perSource int) Option {
	return func(o *options) { o.maxConns, o.perSource = total, perSource }
}

// WithMaxHandlers bounds the handlers running at once on this member;
// queries beyond it are not answered. Default 64.
func WithMaxHandlers(n int) Option { return func(o *options) { o.maxHandlers = n } }

// WithLogger sets the logger. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithErrorHandler receives background errors. Default: log at Debug.
func WithErrorHandler(fn func(error)) Option { return func(o *options) { o.onError = fn } }

// Querier sends queries and answers them, for one member. Methods are
// safe for concurrent use.
type Querier struct {
	node *gossip.Node
	opts options
	id   string

	mu       sync.Mutex
	handlers map[string]Handler
	pending  map[uint64]*Pending
	recent   map[string]time.Time // query ids answered: see firstTime
	running  int
	state    int
	rng      *rand.Rand

	srv    *rpc.Server
	cli    *rpc.Client
	sub    *gossip.Subscription
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	tel    *telemetry
}

// New returns a Querier for node. It opens nothing.
func New(node *gossip.Node, opts ...Option) (*Querier, error) {
	if node == nil {
		return nil, fmt.Errorf("%w: nil node", ErrConfig)
	}
	o := options{maxConns: rpc.DefaultMaxConns, perSource: rpc.DefaultMaxConnsPerSource, maxHandlers: 64}
	for _, opt := range opts {
		opt(&o)
	}
	if o.maxHandlers < 1 {
		return nil, fmt.Errorf("%w: max handlers %d", ErrConfig, o.maxHandlers)
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	o.log = o.log.With("component", "cluster/query", "node_id", node.LocalNode().ID)
	if o.onError == nil {
		log := o.log
		o.onError = func(err error) { log.Debug("query background error", "err", err) }
	}
	frame := rpc.WithMaxFrame(MaxResponse + 4096)
	cli, err := rpc.NewClient(frame, rpc.WithTLS(o.clientTLS), rpc.WithDialer(o.dial))
	if err != nil {
		return nil, err
	}
	var seed [16]byte
	_, _ = crand.Read(seed[:])
	q := &Querier{
		node: node, opts: o, cli: cli,
		handlers: map[string]Handler{}, pending: map[uint64]*Pending{}, recent: map[string]time.Time{},
		rng: rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:]))),
	}
	q.srv, err = rpc.NewServer(q.serve, frame, rpc.WithTLS(o.serverTLS), rpc.WithMaxConns(o.maxConns, o.perSource))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if q.tel, err = newTelemetry(o); err != nil {
		return nil, fmt.Errorf("query: instruments: %w", err)
	}
	return q, nil
}

// Handle registers h for queries named name, replacing any earlier one.
func (q *Querier) Handle(name string, h Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if h == nil {
		delete(q.handlers, name)
		return
	}
	q.handlers[name] = h
}

// Start opens the response listener, advertises it under MetaKey and
// starts answering queries. The node must be started.
func (q *Querier) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.state != 0 {
		return fmt.Errorf("%w: already started", ErrNotRunning)
	}
	q.id = q.node.LocalNode().ID
	listen := q.opts.listen
	if listen == "" {
		listen = "127.0.0.1:0"
		if host, _, err := net.SplitHostPort(q.node.LocalNode().Addr); err == nil && net.ParseIP(host) != nil {
			listen = net.JoinHostPort(host, "0")
		}
	}
	if err := q.srv.Start(ctx, listen); err != nil {
		return err
	}
	adv := q.opts.advertise
	if adv == "" {
		adv = q.srv.Addr()
	}
	if err := membermeta.Set(q.node, MetaKey, adv); err != nil {
		_ = q.srv.Shutdown(ctx)
		return fmt.Errorf("query: advertise: %w", err)
	}
	q.opts.advertise = adv
	q.sub = q.node.Subscribe(4096)
	q.ctx, q.cancel = context.WithCancel(context.Background())
	q.state = 1
	q.wg.Add(1)
	go q.loop()
	return nil
}

// Shutdown stops answering, ends pending queries and running handlers,
// and waits for the Querier's goroutines or the end of ctx.
func (q *Querier) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	if q.state != 1 {
		q.state = 2
		q.mu.Unlock()
		return nil
	}
	q.state = 2
	ps := q.pending
	q.pending = map[uint64]*Pending{}
	q.mu.Unlock()
	q.cancel()
	q.sub.Close()
	err := q.srv.Shutdown(ctx)
	for _, p := range ps {
		p.finish()
	}
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return err
}

// Pending is a query in flight. Acks and Responses are closed when the
// timeout passes (or at Close or Shutdown); each member answers at most
// once.
type Pending struct {
	ID uint64
	// Acks delivers the ids of members that acknowledged (with Params.Ack).
	Acks <-chan string
	// Responses delivers the answers as they arrive.
	Responses <-chan Response

	acks  chan string
	resps chan Response
	mu    sync.Mutex
	done  bool
	seen  map[string]bool
	acked map[string]bool
	timer *time.Timer
	q     *Querier
	span  trace.Span
	start time.Time
}

// Close stops collecting before the timeout.
func (p *Pending) Close() {
	p.q.mu.Lock()
	delete(p.q.pending, p.ID)
	p.q.mu.Unlock()
	p.finish()
}

func (p *Pending) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	p.timer.Stop()
	close(p.acks)
	close(p.resps)
	p.end()
}

// deliver hands an ack or a response over without blocking; it reports
// false for a duplicate or a closed query.
func (p *Pending) deliver(r reply) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return false
	}
	if r.Ack {
		if p.acked[r.From] {
			return false
		}
		p.acked[r.From] = true
		select {
		case p.acks <- r.From:
		default:
		}
		return true
	}
	if p.seen[r.From] {
		return false
	}
	p.seen[r.From] = true
	if r.Err != "" {
		p.q.tel.responses.Add(context.Background(), 1, respError)
	} else {
		p.q.tel.responses.Add(context.Background(), 1, respOK)
	}
	select {
	case p.resps <- Response{From: r.From, Payload: bytes.Clone(r.Payload), Err: r.Err}:
		return true
	default:
		return false
	}
}

// Query sends a query named name with payload to the members that match
// p.Filter (this one included) and collects their acks and responses
// until p.Timeout. It returns at once; read the Pending's channels. The
// channels are buffered for the members live when the query is sent; a
// response that finds the buffer full is dropped.
func (q *Querier) Query(ctx context.Context, name string, payload []byte, p Params) (*Pending, error) {
	if p.Timeout == 0 {
		p.Timeout = 5 * time.Second
	}
	if name == "" || len(name) > maxName || len(payload) > MaxPayload || p.Timeout < 0 ||
		len(p.Filter.IDs) > maxFilter || len(p.Filter.Tags) > maxFilter {
		return nil, fmt.Errorf("%w: name of %d bytes, payload of %d (limit %d), timeout %v, filter of %d ids and %d tags",
			ErrConfig, len(name), len(payload), MaxPayload, p.Timeout, len(p.Filter.IDs), len(p.Filter.Tags))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := len(q.node.LiveMembers()) + 16
	acks, resps := make(chan string, n), make(chan Response, n)
	q.mu.Lock()
	if q.state != 1 {
		q.mu.Unlock()
		return nil, ErrNotRunning
	}
	id := q.rng.Uint64()
	r := Request{ID: id, Name: name, Payload: bytes.Clone(payload), From: q.id, Filter: p.Filter, Timeout: p.Timeout, Ack: p.Ack, replyTo: q.opts.advertise}
	sctx, span := q.tel.tracer.Start(ctx, "libgossip.query", trace.WithSpanKind(trace.SpanKindClient), queryAttrs(r))
	inject(sctx, &r)
	pd := &Pending{ID: id, acks: acks, resps: resps, q: q, seen: map[string]bool{}, acked: map[string]bool{}, span: span, start: time.Now()}
	pd.Acks, pd.Responses = acks, resps
	q.pending[id] = pd
	pd.timer = time.AfterFunc(p.Timeout, pd.Close)
	q.mu.Unlock()
	q.tel.sent.Add(ctx, 1)
	if err := q.node.Broadcast(append(bytes.Clone(broadcastPrefix), encodeRequest(r)...)); err != nil {
		pd.Close()
		return nil, fmt.Errorf("query: broadcast: %w", err)
	}
	q.receive(r) // this member answers too, if it matches
	q.wg.Add(1)
	go q.followUp(pd, r, time.Now().Add(p.Timeout))
	return pd, nil
}

// followUp asks the members that should answer but have not (neither
// acked nor responded) a short while after the broadcast, directly over
// the RPC channel: a broadcast is best effort and may miss a member.
func (q *Querier) followUp(pd *Pending, r Request, deadline time.Time) {
	defer q.wg.Done()
	t := time.NewTimer(min(r.Timeout/4, followUpDelay))
	select {
	case <-q.ctx.Done():
		t.Stop()
		return
	case <-t.C:
	}
	var missing []string
	pd.mu.Lock()
	done := pd.done
	for _, v := range q.node.LiveMembers() {
		addr := v.Meta[MetaKey]
		if v.ID != q.id && addr != "" && !pd.seen[v.ID] && !pd.acked[v.ID] && r.Filter.Matches(v.ID, v.Meta) {
			missing = append(missing, addr)
		}
	}
	pd.mu.Unlock()
	if done || len(missing) == 0 {
		return
	}
	r.Timeout = time.Until(deadline)
	if r.Timeout <= 0 {
		return
	}
	body := encodeRequest(r)
	ctx, cancel := context.WithDeadline(q.ctx, deadline)
	defer cancel()
	var wg sync.WaitGroup
	sem := make(chan struct{}, followUpParallel)
	for _, addr := range missing {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := q.cli.Call(ctx, addr, "query.ask", body); err != nil {
				q.opts.onError(fmt.Errorf("query: ask %s: %w", addr, err))
			}
		})
	}
	wg.Wait()
}

// Follow-up of a query: how long after the broadcast (at most; a quarter
// of the timeout when that is shorter), and how many direct asks at once.
const (
	followUpDelay    = time.Second
	followUpParallel = 16
)

// maxRecent bounds the remembered query ids that make a member answer a
// query once even when it arrives both by broadcast and directly.
const maxRecent = 4096

// firstTime reports whether r is new here, and remembers it until its
// timeout has passed.
func (q *Querier) firstTime(r Request) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := r.From + "/" + strconv.FormatUint(r.ID, 16)
	now := time.Now()
	if until, ok := q.recent[key]; ok && now.Before(until) {
		return false
	}
	if len(q.recent) >= maxRecent {
		for k, until := range q.recent {
			if !now.Before(until) {
				delete(q.recent, k)
			}
		}
		if len(q.recent) >= maxRecent {
			return false // flooded: answer nothing new until entries expire
		}
	}
	q.recent[key] = now.Add(r.Timeout)
	return true
}

func (q *Querier) loop() {
	defer q.wg.Done()
	for ev := range q.sub.C {
		if ev.Type != gossip.EventUser || !bytes.HasPrefix(ev.Payload, broadcastPrefix) {
			continue
		}
		r, err := decodeRequest(ev.Payload[len(broadcastPrefix):])
		if err != nil {
			q.opts.onError(fmt.Errorf("query: from %s: %w", ev.Member.ID, err))
			continue
		}
		q.receive(r)
	}
}

// receive answers a query if this member matches its filter and has a
// handler for it, within the handler limit.
func (q *Querier) receive(r Request) {
	self := q.node.LocalNode()
	if !r.Filter.Matches(self.ID, self.Meta) || !q.firstTime(r) {
		return
	}
	q.mu.Lock()
	h := q.handlers[r.Name]
	if h == nil || q.state != 1 || q.running >= q.opts.maxHandlers {
		q.mu.Unlock()
		return
	}
	q.running++
	q.wg.Add(1)
	q.mu.Unlock()
	go func() {
		defer q.wg.Done()
		defer func() {
			q.mu.Lock()
			q.running--
			q.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(q.ctx, r.Timeout)
		defer cancel()
		ctx, span := q.tel.tracer.Start(extract(ctx, r), "libgossip.query.handle", trace.WithSpanKind(trace.SpanKindServer), queryAttrs(r))
		var herr error
		defer func() { handled(span, herr) }()
		if r.Ack {
			q.send(ctx, r.replyTo, reply{ID: r.ID, From: q.id, Ack: true})
		}
		out, err := h(ctx, r)
		herr = err
		rp := reply{ID: r.ID, From: q.id, Payload: out}
		if err != nil {
			rp.Err, rp.Payload = truncate(err.Error(), 1024), nil
		} else if len(out) > MaxResponse {
			rp.Err, rp.Payload = fmt.Sprintf("query: response of %d bytes over the limit of %d", len(out), MaxResponse), nil
		}
		q.send(ctx, r.replyTo, rp)
	}()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// send delivers a reply to the origin, retrying with jittered backoff
// while its server is busy or unreachable, until ctx ends.
func (q *Querier) send(ctx context.Context, addr string, rp reply) {
	if addr == q.opts.advertise {
		q.accept(rp)
		return
	}
	body := encodeReply(rp)
	delay := 20 * time.Millisecond
	for {
		_, err := q.cli.Call(ctx, addr, "query.reply", body)
		if err == nil || errors.Is(err, rpc.ErrRemote) {
			if err != nil {
				q.opts.onError(err)
			}
			return
		}
		q.mu.Lock()
		d := delay/2 + time.Duration(q.rng.Int64N(int64(delay/2)+1))
		q.mu.Unlock()
		delay = min(2*delay, time.Second)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			q.opts.onError(fmt.Errorf("query: reply to %s: %w", addr, err))
			return
		case <-t.C:
		}
	}
}

func (q *Querier) accept(rp reply) error {
	q.mu.Lock()
	p := q.pending[rp.ID]
	q.mu.Unlock()
	if p == nil {
		return ErrUnknownQuery
	}
	p.deliver(rp)
	return nil
}

func (q *Querier) serve(ctx context.Context, from, method string, body []byte) ([]byte, error) {
	if method == "query.ask" {
		r, err := decodeRequest(body)
		if err != nil {
			return nil, err
		}
		q.receive(r)
		return nil, nil
	}
	if method != "query.reply" {
		return nil, errors.New("query: unknown method")
	}
	rp, err := decodeReply(body)
	if err != nil {
		return nil, err
	}
	return nil, q.accept(rp)
}
