package agent

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrConfig marks an invalid configuration (file or flags).
var ErrConfig = errors.New("agent: invalid config")

// Duration is a time.Duration written as a Go duration string ("1.5s") in
// configuration files.
type Duration time.Duration

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// HandlerConfig is one event handler script: Command (a program and its
// arguments, run without a shell) runs for every event whose type is in
// Events ("member-join", "member-leave", "member-failed", "member-update",
// "user", "user:NAME"; empty means every event).
type HandlerConfig struct {
	Events  []string `json:"events" yaml:"events"`
	Command []string `json:"command" yaml:"command"`
}

// Config is the agent's configuration: from defaults, then a JSON or YAML
// file, then flags (flags win). Zero fields take the documented defaults.
type Config struct {
	NodeName  string            `json:"node_name" yaml:"node_name"`             // default: the host name
	Bind      string            `json:"bind" yaml:"bind"`                       // gossip address, default 0.0.0.0:7946
	Advertise string            `json:"advertise" yaml:"advertise"`             // host other members reach this one at
	Seeds     []string          `json:"seeds" yaml:"seeds"`                     // host:port, dns+name:port, dnssrv+name
	Preset    string            `json:"preset" yaml:"preset"`                   // lan (default), wan or local
	Tags      map[string]string `json:"tags" yaml:"tags"`                       // member metadata
	KeyFile   string            `json:"key_file" yaml:"key_file"`               // base64 keys, one per line, first is primary
	Label     string            `json:"label" yaml:"label"`                     // cluster label
	TLSCert   string            `json:"tls_cert" yaml:"tls_cert"`               // PEM certificate for mutual TLS streams
	TLSKey    string            `json:"tls_key" yaml:"tls_key"`                 // PEM key
	TLSCA     string            `json:"tls_ca" yaml:"tls_ca"`                   // PEM CA bundle
	Snapshot  string            `json:"snapshot" yaml:"snapshot"`               // snapshot file for rejoin after restart
	Rejoin    Duration          `json:"rejoin_interval" yaml:"rejoin_interval"` // default 30s
	Expect    int               `json:"expect" yaml:"expect"`                   // live members before ready, default 1

	Handlers           []HandlerConfig `json:"event_handlers" yaml:"event_handlers"`
	HandlerConcurrency int             `json:"handler_concurrency" yaml:"handler_concurrency"` // default 4
	HandlerTimeout     Duration        `json:"handler_timeout" yaml:"handler_timeout"`         // default 30s
	HandlerQueue       int             `json:"handler_queue" yaml:"handler_queue"`             // default 1024

	LogLevel  string `json:"log_level" yaml:"log_level"`   // debug, info (default), warn, error
	LogFormat string `json:"log_format" yaml:"log_format"` // text (default) or json

	HTTPAddr     string   `json:"http_addr" yaml:"http_addr"`               // default 127.0.0.1:8946
	HTTPToken    string   `json:"http_token" yaml:"http_token"`             // bearer token; empty: none
	HTTPMaxConns int      `json:"http_max_conns" yaml:"http_max_conns"`     // default 64
	HTTPMaxBody  int64    `json:"http_max_body" yaml:"http_max_body"`       // bytes, default 1 MiB
	HTTPStreams  int      `json:"http_max_streams" yaml:"http_max_streams"` // SSE streams, default 16
	HTTPTimeout  Duration `json:"http_timeout" yaml:"http_timeout"`         // per request (not streams), default 30s

	LeaveOnTerm  *bool    `json:"leave_on_terminate" yaml:"leave_on_terminate"` // default true
	LeaveTimeout Duration `json:"leave_timeout" yaml:"leave_timeout"`           // default 5s
	Election     string   `json:"election" yaml:"election"`                     // election name, default "agent"
	Rank         int      `json:"election_rank" yaml:"election_rank"`
	Observer     bool     `json:"election_observer" yaml:"election_observer"`

	// File is the configuration file the config was read from ("" if none);
	// SIGHUP reads it again.
	File string `json:"-" yaml:"-"`
}

// Defaults fills zero fields with their defaults.
func (c *Config) Defaults() {
	if c.NodeName == "" {
		c.NodeName, _ = os.Hostname()
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Bind, "0.0.0.0:7946")
	def(&c.Preset, "lan")
	def(&c.LogLevel, "info")
	def(&c.LogFormat, "text")
	def(&c.HTTPAddr, "127.0.0.1:8946")
	def(&c.Election, "agent")
	if c.Rejoin == 0 {
		c.Rejoin = Duration(30 * time.Second)
	}
	if c.Expect == 0 {
		c.Expect = 1
	}
	if c.HandlerConcurrency == 0 {
		c.HandlerConcurrency = 4
	}
	if c.HandlerTimeout == 0 {
		c.HandlerTimeout = Duration(30 * time.Second)
	}
	if c.HandlerQueue == 0 {
		c.HandlerQueue = 1024
	}
	if c.HTTPMaxConns == 0 {
		c.HTTPMaxConns = 64
	}
	if c.HTTPMaxBody == 0 {
		c.HTTPMaxBody = 1 << 20
	}
	if c.HTTPStreams == 0 {
		c.HTTPStreams = 16
	}
	if c.HTTPTimeout == 0 {
		c.HTTPTimeout = Duration(30 * time.Second)
	}
	if c.LeaveOnTerm == nil {
		t := true
		c.LeaveOnTerm = &t
	}
	if c.LeaveTimeout == 0 {
		c.LeaveTimeout = Duration(5 * time.Second)
	}
}

// Validate reports the first invalid field, wrapped in ErrConfig.
func (c *Config) Validate() error {
	switch {
	case c.NodeName == "":
		return fmt.Errorf("%w: node_name is empty", ErrConfig)
	case c.Expect < 1 || c.HandlerConcurrency < 1 || c.HandlerQueue < 1:
		return fmt.Errorf("%w: expect, handler_concurrency and handler_queue must be positive", ErrConfig)
	case c.HTTPMaxConns < 1 || c.HTTPMaxBody < 1 || c.HTTPStreams < 1:
		return fmt.Errorf("%w: http limits must be positive", ErrConfig)
	case c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("%w: log_format %q: want text or json", ErrConfig, c.LogFormat)
	case (c.TLSCert == "") != (c.TLSKey == "") || (c.TLSCert != "" && c.TLSCA == ""):
		return fmt.Errorf("%w: tls_cert, tls_key and tls_ca go together", ErrConfig)
	}
	for _, h := range c.Handlers {
		if len(h.Command) == 0 {
			return fmt.Errorf("%w: event handler without a command", ErrConfig)
		}
		for _, e := range h.Events {
			if !validEventFilter(e) {
				return fmt.Errorf("%w: event handler: unknown event %q", ErrConfig, e)
			}
		}
	}
	return nil
}

// LoadFile reads a JSON (.json) or YAML (any other extension) configuration
// file onto c; unknown fields are an error.
func LoadFile(path string, c *Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.DisallowUnknownFields()
		err = d.Decode(c)
	} else {
		d := yaml.NewDecoder(strings.NewReader(string(b)))
		d.KnownFields(true)
		err = d.Decode(c)
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrConfig, path, err)
	}
	c.File = path
	return nil
}

// ParseFlags builds the configuration from args: the file named by -config
// first, then every flag given (flags win over the file), then defaults.
func ParseFlags(fs *flag.FlagSet, args []string) (Config, error) {
	var c Config
	if p := findConfigFlag(args); p != "" {
		if err := LoadFile(p, &c); err != nil {
			return c, err
		}
	}
	var cfgPath string
	fs.StringVar(&cfgPath, "config", c.File, "configuration file (JSON if it ends in .json, else YAML)")
	fs.StringVar(&c.NodeName, "node", c.NodeName, "member name (default: host name)")
	fs.StringVar(&c.Bind, "bind", c.Bind, "gossip bind address host:port (default 0.0.0.0:7946)")
	fs.StringVar(&c.Advertise, "advertise", c.Advertise, "host other members reach this one at")
	fs.Var(&listFlag{&c.Seeds, false}, "join", "seed: host:port, dns+name:port or dnssrv+name (repeatable, or comma-separated)")
	fs.StringVar(&c.Preset, "preset", c.Preset, "gossip preset: lan, wan or local")
	fs.Var(&tagFlag{&c.Tags, false}, "tag", "tag key=value (repeatable)")
	fs.StringVar(&c.KeyFile, "keyfile", c.KeyFile, "file of base64 encryption keys, one per line, the first is primary")
	fs.StringVar(&c.Label, "label", c.Label, "cluster label")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "PEM certificate for mutual TLS")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "PEM private key for mutual TLS")
	fs.StringVar(&c.TLSCA, "tls-ca", c.TLSCA, "PEM CA bundle for mutual TLS")
	fs.StringVar(&c.Snapshot, "snapshot", c.Snapshot, "snapshot file (rejoin known peers after a restart)")
	fs.Var((*durFlag)(&c.Rejoin), "rejoin-interval", "interval of rejoin rounds (default 30s)")
	fs.IntVar(&c.Expect, "expect", c.Expect, "live members needed before ready (default 1)")
	fs.Var(&handlerFlag{&c.Handlers, false}, "event-handler", "EVENTS=PROGRAM: run PROGRAM on events (comma-separated types; repeatable)")
	fs.IntVar(&c.HandlerConcurrency, "handler-concurrency", c.HandlerConcurrency, "handlers run at once (default 4)")
	fs.Var((*durFlag)(&c.HandlerTimeout), "handler-timeout", "handler run time limit (default 30s)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json")
	fs.StringVar(&c.HTTPAddr, "http-addr", c.HTTPAddr, "HTTP API address (default 127.0.0.1:8946)")
	fs.StringVar(&c.HTTPToken, "http-token", c.HTTPToken, "bearer token the HTTP API requires (or env LIBGOSSIP_HTTP_TOKEN)")
	fs.Func("leave-on-terminate", "leave the cluster gracefully on SIGTERM (default true)", func(s string) error {
		v := s == "true" || s == "1"
		if !v && s != "false" && s != "0" {
			return fmt.Errorf("want true or false")
		}
		c.LeaveOnTerm = &v
		return nil
	})
	fs.StringVar(&c.Election, "election", c.Election, "leader election name (default agent)")
	fs.IntVar(&c.Rank, "election-rank", c.Rank, "rank in the election (lower leads)")
	fs.BoolVar(&c.Observer, "election-observer", c.Observer, "follow the election without standing")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected argument %q", ErrConfig, fs.Arg(0))
	}
	if c.HTTPToken == "" {
		c.HTTPToken = os.Getenv("LIBGOSSIP_HTTP_TOKEN")
	}
	c.Defaults()
	return c, c.Validate()
}

func findConfigFlag(args []string) string {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == "config" && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "config="); ok {
			return v
		}
	}
	return ""
}

type listFlag struct {
	dst *[]string
	set bool
}

func (f *listFlag) String() string {
	if f == nil || f.dst == nil {
		return ""
	}
	return strings.Join(*f.dst, ",")
}

func (f *listFlag) Set(s string) error {
	if !f.set { // flags replace the file's list
		*f.dst = nil
		f.set = true
	}
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*f.dst = append(*f.dst, p)
		}
	}
	return nil
}

type tagFlag struct {
	dst *map[string]string
	set bool
}

func (f *tagFlag) String() string { return "" }

func (f *tagFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value")
	}
	if !f.set || *f.dst == nil {
		*f.dst = map[string]string{}
		f.set = true
	}
	(*f.dst)[k] = v
	return nil
}

type handlerFlag struct {
	dst *[]HandlerConfig
	set bool
}

func (f *handlerFlag) String() string { return "" }

func (f *handlerFlag) Set(s string) error {
	ev, prog, ok := strings.Cut(s, "=")
	if !ok {
		ev, prog = "", s
	}
	if prog == "" {
		return fmt.Errorf("want EVENTS=PROGRAM")
	}
	if !f.set {
		*f.dst = nil
		f.set = true
	}
	var evs []string
	for e := range strings.SplitSeq(ev, ",") {
		if e = strings.TrimSpace(e); e != "" {
			evs = append(evs, e)
		}
	}
	*f.dst = append(*f.dst, HandlerConfig{Events: evs, Command: strings.Fields(prog)})
	return nil
}

type durFlag time.Duration

func (d *durFlag) String() string {
	if d == nil {
		return "0s"
	}
	return time.Duration(*d).String()
}

func (d *durFlag) Set(s string) error {
	v, err := time.ParseDuration(s)
	*d = durFlag(v)
	return err
}
