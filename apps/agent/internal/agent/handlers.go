package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxHandlerOutput bounds what a handler's output the agent keeps for its log
// (bytes).
const maxHandlerOutput = 8 << 10

// runner runs event handler scripts: a bounded queue, at most concurrency
// scripts at once, each killed after timeout. Events that find the queue
// full are dropped and counted.
type runner struct {
	handlers []HandlerConfig
	timeout  time.Duration
	self     func() Member
	log      *slog.Logger
	queue    chan Event
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc

	ran, failed, dropped atomic.Uint64
}

func newRunner(cfg Config, self func() Member, log *slog.Logger) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{handlers: cfg.Handlers, timeout: time.Duration(cfg.HandlerTimeout), self: self, log: log,
		queue: make(chan Event, cfg.HandlerQueue), ctx: ctx, cancel: cancel}
	if len(r.handlers) == 0 {
		return r
	}
	for range cfg.HandlerConcurrency {
		r.wg.Go(r.work)
	}
	return r
}

// submit queues e for every handler it matches; it never blocks.
func (r *runner) submit(e Event) {
	if len(r.handlers) == 0 || e.Type == KindLog {
		return
	}
	select {
	case r.queue <- e:
	default:
		r.dropped.Add(1)
		r.log.Warn("event handler queue full, event dropped", "type", e.Type)
	}
}

func (r *runner) work() {
	for {
		select {
		case <-r.ctx.Done():
			return
		case e := <-r.queue:
			for _, h := range r.handlers {
				if matches(h.Events, e) {
					r.run(h, e)
				}
			}
		}
	}
}

// run starts one handler with the event as JSON on stdin and the
// documented environment, and waits for it (at most the timeout).
func (r *runner) run(h HandlerConfig, e Event) {
	ctx, cancel := context.WithTimeout(r.ctx, r.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.Command[0], h.Command[1:]...)
	cmd.WaitDelay = time.Second
	in, _ := json.Marshal(e)
	cmd.Stdin = bytes.NewReader(append(in, '\n'))
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), handlerEnv(r.self(), e)...)
	err := cmd.Run()
	r.ran.Add(1)
	if err != nil || ctx.Err() != nil {
		r.failed.Add(1)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = errors.New("timed out")
		}
		r.log.Warn("event handler failed", "command", h.Command[0], "event", e.Type, "error", err, "output", out.String())
		return
	}
	r.log.Debug("event handler ran", "command", h.Command[0], "event", e.Type, "output", out.String())
}

func (r *runner) close() {
	r.cancel()
	r.wg.Wait()
}

// handlerEnv is the environment a handler sees besides the agent's own.
func handlerEnv(self Member, e Event) []string {
	env := []string{
		"LIBGOSSIP_EVENT=" + e.Type,
		"LIBGOSSIP_SELF_NAME=" + self.Name,
		"LIBGOSSIP_SELF_ADDR=" + self.Addr,
	}
	keys := make([]string, 0, len(self.Tags))
	for k := range self.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, "LIBGOSSIP_TAG_"+envName(k)+"="+self.Tags[k])
	}
	if e.Member != nil {
		env = append(env, "LIBGOSSIP_MEMBER_NAME="+e.Member.Name, "LIBGOSSIP_MEMBER_ADDR="+e.Member.Addr,
			"LIBGOSSIP_MEMBER_STATUS="+e.Member.Status)
	}
	if e.Type == KindUser {
		env = append(env, "LIBGOSSIP_USER_EVENT="+e.Name, "LIBGOSSIP_USER_FROM="+e.From)
	}
	return env
}

// envName upper-cases a tag key and replaces what is not a letter, digit or
// underscore by an underscore.
func envName(k string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			return r
		}
		return '_'
	}, k)
}

type limitedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := maxHandlerOutput - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.TrimSpace(l.b.String())
}
