package node

import (
	"math"
	"strconv"
	"strings"

	"github.com/libgossip/libgossip/apps/cache/internal/resp"
	"github.com/libgossip/libgossip/apps/cache/internal/store"
)

// op is one single-key command's meaning, independent of where the key
// lives: given the key's current entry (live reports whether it holds an
// unexpired value) it returns the reply and, for a write, the key's next
// entry (its version is set by the caller).
type op struct {
	arity int  // Redis arity: exact, or at least -arity
	reads bool // needs the current entry (and the key's lock if it writes)
	fn    func(c *call) ([]byte, *store.Entry)
}

// call is one execution of an op.
type call struct {
	args  [][]byte
	proto int
	nowMS int64
	cur   store.Entry
	live  bool
	dst   []byte      // the reply is appended to dst
	next  store.Entry // a write's next entry (returned by pointer)
}

func errReply(msg string) []byte { return resp.AppendError(nil, msg) }

// err appends an error reply to c.dst.
func (c *call) err(msg string) []byte { return resp.AppendError(c.dst, msg) }

// entry records e as the key's next entry.
func (c *call) entry(e store.Entry) *store.Entry {
	c.next = e
	return &c.next
}

// ops are the single-key commands, by lower-case name.
var ops = map[string]*op{
	"get":     {2, true, opGet},
	"set":     {-3, false, opSet}, // reads when given NX, XX, GET or KEEPTTL
	"setnx":   {3, true, opSetNX},
	"setex":   {4, false, opSetEX},
	"psetex":  {4, false, opSetEX},
	"getdel":  {2, true, opGetDel},
	"del":     {2, true, opDel},
	"exists":  {2, true, opExists},
	"expire":  {-3, true, opExpire},
	"pexpire": {-3, true, opExpire},
	"ttl":     {2, true, opTTL},
	"pttl":    {2, true, opTTL},
	"incr":    {2, true, opIncr},
	"decr":    {2, true, opIncr},
	"incrby":  {3, true, opIncr},
	"decrby":  {3, true, opIncr},
	"append":  {3, true, opAppend},
	"strlen":  {2, true, opStrlen},
}

// getOp and setOp are the commands redis-benchmark and most caches
// send most, looked up without hashing their names.
var getOp, setOp = ops["get"], ops["set"]

// lookupOp returns the op named name (lower-case), as ops[name].
func lookupOp(name string) (*op, bool) {
	switch name {
	case "get":
		return getOp, true
	case "set":
		return setOp, true
	}
	o, ok := ops[name]
	return o, ok
}

func arityOK(arity, n int) bool {
	if arity < 0 {
		return n >= -arity
	}
	return n == arity
}

func opGet(c *call) ([]byte, *store.Entry) {
	if !c.live {
		return resp.AppendNull(c.dst, c.proto), nil
	}
	return resp.AppendBulk(c.dst, c.cur.Value), nil
}

// setOptions are SET's parsed options.
type setOptions struct {
	nx, xx, get, keepTTL bool
	expireAt             int64
}

func parseSet(args [][]byte, nowMS int64) (setOptions, string) {
	var o setOptions
	expiry := false
	for i := 3; i < len(args); i++ {
		a := strings.ToUpper(string(args[i]))
		switch a {
		case "NX":
			o.nx = true
		case "XX":
			o.xx = true
		case "GET":
			o.get = true
		case "KEEPTTL":
			if expiry {
				return o, resp.ErrSyntax
			}
			o.keepTTL = true
		case "EX", "PX", "EXAT", "PXAT":
			if expiry || o.keepTTL || i+1 >= len(args) {
				return o, resp.ErrSyntax
			}
			i++
			n, err := strconv.ParseInt(string(args[i]), 10, 64)
			if err != nil {
				return o, resp.ErrNotInteger
			}
			at, ok := expireAt(a, n, nowMS)
			if !ok {
				return o, "ERR invalid expire time in 'set' command"
			}
			o.expireAt, expiry = at, true
		default:
			return o, resp.ErrSyntax
		}
	}
	if o.nx && o.xx {
		return o, resp.ErrSyntax
	}
	return o, ""
}

// expireAt turns an EX/PX/EXAT/PXAT amount into Unix milliseconds.
func expireAt(unit string, n, nowMS int64) (int64, bool) {
	if n <= 0 {
		return 0, false
	}
	switch unit {
	case "EX":
		if n > math.MaxInt64/1000-nowMS/1000 {
			return 0, false
		}
		return nowMS + n*1000, true
	case "PX":
		if n > math.MaxInt64-nowMS {
			return 0, false
		}
		return nowMS + n, true
	case "EXAT":
		if n > math.MaxInt64/1000 {
			return 0, false
		}
		return n * 1000, true
	}
	return n, true
}

// setReads reports whether a SET needs the current entry.
func setReads(args [][]byte) bool {
	for _, a := range args[3:] {
		switch strings.ToUpper(string(a)) {
		case "NX", "XX", "GET", "KEEPTTL":
			return true
		}
	}
	return false
}

func opSet(c *call) ([]byte, *store.Entry) {
	o, bad := parseSet(c.args, c.nowMS)
	if bad != "" {
		return c.err(bad), nil
	}
	var reply []byte
	if o.get {
		reply = opGetReply(c)
	}
	if (o.nx && c.live) || (o.xx && !c.live) {
		if o.get {
			return reply, nil
		}
		return resp.AppendNull(c.dst, c.proto), nil
	}
	next := c.entry(store.Entry{Value: c.args[2], ExpireAt: o.expireAt})
	if o.keepTTL && c.live {
		next.ExpireAt = c.cur.ExpireAt
	}
	if !o.get {
		reply = append(c.dst, resp.OK...)
	}
	return reply, next
}

func opGetReply(c *call) []byte {
	r, _ := opGet(c)
	return r
}

func opSetNX(c *call) ([]byte, *store.Entry) {
	if c.live {
		return resp.AppendInt(c.dst, 0), nil
	}
	return resp.AppendInt(c.dst, 1), c.entry(store.Entry{Value: c.args[2]})
}

func opSetEX(c *call) ([]byte, *store.Entry) {
	name := strings.ToLower(string(c.args[0]))
	n, err := strconv.ParseInt(string(c.args[2]), 10, 64)
	if err != nil {
		return c.err(resp.ErrNotInteger), nil
	}
	unit := "EX"
	if name == "psetex" {
		unit = "PX"
	}
	at, ok := expireAt(unit, n, c.nowMS)
	if !ok {
		return c.err("ERR invalid expire time in '" + name + "' command"), nil
	}
	return append(c.dst, resp.OK...), c.entry(store.Entry{Value: c.args[3], ExpireAt: at})
}

func opGetDel(c *call) ([]byte, *store.Entry) {
	if !c.live {
		return resp.AppendNull(c.dst, c.proto), nil
	}
	return resp.AppendBulk(c.dst, c.cur.Value), c.entry(store.Entry{Deleted: true})
}

func opDel(c *call) ([]byte, *store.Entry) {
	if !c.live {
		return resp.AppendInt(c.dst, 0), nil
	}
	return resp.AppendInt(c.dst, 1), c.entry(store.Entry{Deleted: true})
}

func opExists(c *call) ([]byte, *store.Entry) {
	if c.live {
		return resp.AppendInt(c.dst, 1), nil
	}
	return resp.AppendInt(c.dst, 0), nil
}

func opExpire(c *call) ([]byte, *store.Entry) {
	name := strings.ToLower(string(c.args[0]))
	n, err := strconv.ParseInt(string(c.args[2]), 10, 64)
	if err != nil {
		return c.err(resp.ErrNotInteger), nil
	}
	var nx, xx, gt, lt bool
	for _, a := range c.args[3:] {
		switch strings.ToUpper(string(a)) {
		case "NX":
			nx = true
		case "XX":
			xx = true
		case "GT":
			gt = true
		case "LT":
			lt = true
		default:
			return c.err("ERR Unsupported option " + string(a)), nil
		}
	}
	if (nx && (xx || gt || lt)) || (gt && lt) {
		return c.err("ERR NX and XX, GT or LT options at the same time are not compatible"), nil
	}
	if !c.live {
		return resp.AppendInt(c.dst, 0), nil
	}
	unit := "EX"
	if name == "pexpire" {
		unit = "PX"
	}
	var at int64
	if n <= 0 {
		at = c.nowMS // Redis deletes the key for a non-positive TTL
	} else {
		var ok bool
		if at, ok = expireAt(unit, n, c.nowMS); !ok {
			return c.err("ERR invalid expire time in '" + name + "' command"), nil
		}
	}
	cur := c.cur.ExpireAt
	switch {
	case nx && cur != 0, xx && cur == 0, gt && (cur == 0 || at <= cur), lt && cur != 0 && at >= cur:
		return resp.AppendInt(c.dst, 0), nil
	}
	if at <= c.nowMS {
		return resp.AppendInt(c.dst, 1), c.entry(store.Entry{Deleted: true})
	}
	return resp.AppendInt(c.dst, 1), c.entry(store.Entry{Value: c.cur.Value, ExpireAt: at})
}

func opTTL(c *call) ([]byte, *store.Entry) {
	if !c.live {
		return resp.AppendInt(c.dst, -2), nil
	}
	if c.cur.ExpireAt == 0 {
		return resp.AppendInt(c.dst, -1), nil
	}
	ms := c.cur.ExpireAt - c.nowMS
	if strings.EqualFold(string(c.args[0]), "ttl") {
		return resp.AppendInt(c.dst, (ms+500)/1000), nil
	}
	return resp.AppendInt(c.dst, ms), nil
}

func opIncr(c *call) ([]byte, *store.Entry) {
	name := strings.ToLower(string(c.args[0]))
	by := int64(1)
	if len(c.args) == 3 {
		n, err := strconv.ParseInt(string(c.args[2]), 10, 64)
		if err != nil {
			return c.err(resp.ErrNotInteger), nil
		}
		by = n
	}
	if name == "decr" || name == "decrby" {
		if by == math.MinInt64 {
			return c.err("ERR decrement would overflow"), nil
		}
		by = -by
	}
	var v int64
	if c.live {
		n, err := strconv.ParseInt(string(c.cur.Value), 10, 64)
		if err != nil || len(c.cur.Value) > 20 {
			return c.err(resp.ErrNotInteger), nil
		}
		v = n
	}
	if (by > 0 && v > math.MaxInt64-by) || (by < 0 && v < math.MinInt64-by) {
		return c.err(resp.ErrOverflow), nil
	}
	v += by
	next := c.entry(store.Entry{Value: strconv.AppendInt(nil, v, 10)})
	if c.live {
		next.ExpireAt = c.cur.ExpireAt
	}
	return resp.AppendInt(c.dst, v), next
}

func opAppend(c *call) ([]byte, *store.Entry) {
	var v []byte
	next := c.entry(store.Entry{})
	if c.live {
		v = append(v, c.cur.Value...)
		next.ExpireAt = c.cur.ExpireAt
	}
	v = append(v, c.args[2]...)
	next.Value = v
	return resp.AppendInt(c.dst, int64(len(v))), next
}

func opStrlen(c *call) ([]byte, *store.Entry) {
	if !c.live {
		return resp.AppendInt(c.dst, 0), nil
	}
	return resp.AppendInt(c.dst, int64(len(c.cur.Value))), nil
}
