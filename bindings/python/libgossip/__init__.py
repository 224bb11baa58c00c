"""libgossip: SWIM gossip membership for Python, over the libgossip C API.

Two ways to run a member, as in the C API:

* :class:`gossip_core` (alias :class:`GossipCore`) is the protocol as a pure
  state machine. You bring the transport and the clock: call :meth:`tick`
  regularly, feed received packets to :meth:`handle_message`, and deliver
  what the ``send_callback`` is given. Callbacks run on the calling thread,
  during the call that produced the output.

* :class:`gossip_node` (alias :class:`Node`) is a networked member over the
  built-in UDP/TCP transport; the library runs the protocol on its own
  threads and calls ``event_callback`` on a library thread.

Members are described by :class:`node_view` (alias :class:`NodeView`).
Every failure raises :class:`GossipError` (or a subclass) carrying the C
status code and the C library's message.

>>> import libgossip
>>> node = libgossip.node_view()
>>> node.ip = "127.0.0.1"
>>> node.port = 8000
>>> core = libgossip.gossip_core(node)
>>> core.tick()

Every object is safe to use from several threads at once.
"""

import ctypes
import enum
import sys
import threading
import time
import traceback

from . import _capi

__all__ = [
    "GossipError", "InvalidArgumentError", "InvalidHandleError", "MalformedError",
    "StateError", "NetworkError", "TimeoutError", "NotFoundError", "InternalError",
    "State", "EventType", "Event", "Config", "Stats",
    "node_view", "NodeView", "gossip_core", "GossipCore", "gossip_node", "Node",
    "version", "library_path",
]

GOSSIP_NOW = -1

# ---- errors ------------------------------------------------------------------


class GossipError(Exception):
    """A libgossip call failed. ``code`` is the C status (negative),
    ``name`` its symbolic name and ``message`` the C library's
    gossip_last_error() text."""

    code = None

    def __init__(self, code, message):
        self.code = code
        self.name = _status_name(code)
        self.message = message
        super().__init__("%s: %s" % (self.name, message))


class InvalidArgumentError(GossipError, ValueError):
    """GOSSIP_ERR_INVALID_ARGUMENT: a bad value was passed."""


class InvalidHandleError(GossipError):
    """GOSSIP_ERR_INVALID_HANDLE: the object was closed or destroyed."""


class MalformedError(GossipError):
    """GOSSIP_ERR_MALFORMED: handle_message got bytes that are not a packet."""


class StateError(GossipError):
    """GOSSIP_ERR_STATE: wrong state (left, not running, already started)."""


class NetworkError(GossipError, OSError):
    """GOSSIP_ERR_NETWORK: binding failed or no seed could be reached."""


class TimeoutError(GossipError):  # noqa: A001 - mirrors GOSSIP_ERR_TIMEOUT
    """GOSSIP_ERR_TIMEOUT: an operation did not finish in time."""


class NotFoundError(GossipError, KeyError):
    """GOSSIP_ERR_NOT_FOUND: a metadata key is not set."""

    def __str__(self):
        return GossipError.__str__(self)


class InternalError(GossipError):
    """GOSSIP_ERR_INTERNAL: a bug in libgossip, recovered from."""


_ERRORS = {-1: InvalidArgumentError, -2: InvalidHandleError, -3: MalformedError,
           -4: StateError, -5: NetworkError, -6: TimeoutError, -7: NotFoundError,
           -8: InternalError}


def _status_name(code):
    return _capi.lib().gossip_status_name(code).decode()


def _check(status):
    """Raises the exception for status, with this thread's last error."""
    if status != 0:
        msg = _capi.lib().gossip_last_error().decode("utf-8", "replace")
        raise _ERRORS.get(status, GossipError)(status, msg)


def _call(name, *args):
    _check(getattr(_capi.lib(), name)(*args))


def _take_string(ptr):
    """Copies and frees a string the library returned."""
    if not ptr:
        return ""
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        _capi.lib().gossip_string_free(ptr)


def _enc(s):
    return s.encode() if isinstance(s, str) else bytes(s)


def _str_array(items):
    arr = (ctypes.c_char_p * max(1, len(items)))()
    for i, s in enumerate(items):
        arr[i] = _enc(s)
    return arr


def _byte_buf(data):
    data = bytes(data)
    return (ctypes.c_uint8 * max(1, len(data))).from_buffer_copy(data or b"\0"), len(data)


def _now_ms(now):
    if now is None:
        return GOSSIP_NOW
    return int(now * 1000)


def version():
    """Returns the C library's version string."""
    return _capi.lib().gossip_version().decode()


def library_path():
    """Returns the path of the loaded shared library."""
    return _capi.lib()._name

# ---- constants -----------------------------------------------------------------


class State(enum.IntEnum):
    """A member's liveness (GOSSIP_STATE_*)."""
    ALIVE = 0
    SUSPECT = 1
    DEAD = 2
    LEFT = 3


class EventType(enum.IntEnum):
    """The kind of an event (GOSSIP_EVENT_*)."""
    JOIN = 1
    UPDATE = 2
    SUSPECT = 3
    ALIVE = 4
    FAILED = 5
    LEFT = 6
    CONFLICT = 7
    USER = 8


# ---- node views -----------------------------------------------------------------


class node_view:
    """One member: id, address (``ip`` and ``port``), state, incarnation and
    metadata. A plain Python value; it is copied into the library when
    passed to a call.

    When ``id`` is empty, a core uses the address as its id.
    """

    __slots__ = ("id", "ip", "port", "state", "incarnation", "metadata")

    def __init__(self, id="", ip="", port=0, state=State.ALIVE, incarnation=1, metadata=None):
        self.id = id
        self.ip = ip
        self.port = port
        self.state = State(state)
        self.incarnation = incarnation
        self.metadata = dict(metadata or {})

    @property
    def address(self):
        """"ip:port" (IPv6 addresses in brackets); setting it splits it."""
        if not self.ip:
            return ""
        ip = "[%s]" % self.ip if ":" in self.ip else self.ip
        return "%s:%d" % (ip, self.port)

    @address.setter
    def address(self, addr):
        host, _, port = addr.rpartition(":")
        self.ip = host.strip("[]")
        self.port = int(port) if port else 0

    # Names of the original C++ API.
    @property
    def status(self):
        """Alias of state."""
        return self.state

    @status.setter
    def status(self, s):
        self.state = State(s)

    @property
    def node_id(self):
        """Alias of id."""
        return self.id

    def to_c(self):
        """Returns a new C view handle; the caller destroys it."""
        h = _capi.c_handle()
        _call("gossip_view_create", ctypes.byref(h))
        try:
            if self.id:
                _call("gossip_view_set_id", h, _enc(self.id))
            if self.address:
                _call("gossip_view_set_address", h, _enc(self.address))
            _call("gossip_view_set_state", h, int(self.state))
            _call("gossip_view_set_incarnation", h, int(self.incarnation))
            for k, v in self.metadata.items():
                _call("gossip_view_set_meta", h, _enc(k), _enc(v))
        except BaseException:
            _capi.lib().gossip_view_destroy(h)
            raise
        return h

    @classmethod
    def from_c(cls, h):
        """Reads the C view handle h (not destroyed)."""
        lib = _capi.lib()
        p = ctypes.c_void_p()
        _check(lib.gossip_view_get_id(h, ctypes.byref(p)))
        vid = _take_string(p)
        _check(lib.gossip_view_get_address(h, ctypes.byref(p)))
        addr = _take_string(p)
        st = ctypes.c_int()
        _check(lib.gossip_view_get_state(h, ctypes.byref(st)))
        inc = ctypes.c_uint64()
        _check(lib.gossip_view_get_incarnation(h, ctypes.byref(inc)))
        keys = ctypes.POINTER(ctypes.c_void_p)()
        n = ctypes.c_size_t()
        _check(lib.gossip_view_meta_keys(h, ctypes.byref(keys), ctypes.byref(n)))
        meta = {}
        try:
            for i in range(n.value):
                k = ctypes.string_at(keys[i])
                _check(lib.gossip_view_get_meta(h, k, ctypes.byref(p)))
                meta[k.decode()] = _take_string(p)
        finally:
            lib.gossip_strings_free(ctypes.cast(keys, ctypes.c_void_p), n.value)
        v = cls(id=vid, state=st.value, incarnation=inc.value, metadata=meta)
        v.address = addr
        return v

    def __eq__(self, other):
        if not isinstance(other, node_view):
            return NotImplemented
        return (self.id, self.address, self.state, self.incarnation, self.metadata) == \
            (other.id, other.address, other.state, other.incarnation, other.metadata)

    def __repr__(self):
        return "node_view(id=%r, address=%r, state=%s, incarnation=%d, metadata=%r)" % (
            self.id, self.address, self.state.name.lower(), self.incarnation, self.metadata)


NodeView = node_view


def _views(arr, n):
    """Reads and frees an array of view handles."""
    try:
        return [node_view.from_c(arr[i]) for i in range(n.value)]
    finally:
        _capi.lib().gossip_views_free(ctypes.cast(arr, ctypes.c_void_p), n.value)


class Event:
    """A membership change or user broadcast: ``type`` (EventType),
    ``node`` (node_view after the change), ``payload`` (bytes, for USER)
    and ``time`` (seconds since the epoch of the call that produced it)."""

    __slots__ = ("type", "node", "payload", "time")

    def __init__(self, type, node, payload=b"", time=0.0):
        self.type = type
        self.node = node
        self.payload = payload
        self.time = time

    @classmethod
    def _from_c(cls, ev):
        e = ev.contents
        payload = ctypes.string_at(e.payload, e.payload_len) if e.payload_len else b""
        try:
            t = EventType(e.type)
        except ValueError:
            t = e.type
        return cls(t, node_view.from_c(e.member), payload, e.time_ms / 1000.0)

    def __repr__(self):
        name = self.type.name.lower() if isinstance(self.type, EventType) else self.type
        return "Event(%s %s@%s)" % (name, self.node.id, self.node.address)


class Config:
    """Tuning for a core or node. ``preset`` is "lan" (default), "wan" or
    "local"; the intervals (in seconds) override the preset when set.
    ``seed`` seeds the core's randomness. ``codec`` ("binary" or "json"),
    ``key`` (base64 AES key of 16, 24 or 32 bytes) and ``label`` apply to
    networked nodes only."""

    def __init__(self, preset="lan", probe_interval=None, probe_timeout=None,
                 gossip_interval=None, suspicion_mult=0, seed=0, codec=None, key=None, label=None):
        self.preset = preset
        self.probe_interval = probe_interval
        self.probe_timeout = probe_timeout
        self.gossip_interval = gossip_interval
        self.suspicion_mult = suspicion_mult
        self.seed = seed
        self.codec = codec
        self.key = key
        self.label = label

    def _to_c(self):
        ms = lambda s: int(s * 1000) if s else 0  # noqa: E731
        opt = lambda s: _enc(s) if s else None  # noqa: E731
        return _capi.CConfig(opt(self.preset), ms(self.probe_interval), ms(self.probe_timeout),
                             ms(self.gossip_interval), self.suspicion_mult, self.seed,
                             opt(self.codec), opt(self.key), opt(self.label))


def _config(config):
    if config is None:
        return None
    if isinstance(config, str):
        config = Config(preset=config)
    return ctypes.byref(config._to_c())


class Stats(dict):
    """Counters of a core or node, also readable as attributes."""

    __getattr__ = dict.__getitem__

    @classmethod
    def _from_c(cls, s):
        return cls({name: getattr(s, name) for name, _ in _capi.CStats._fields_})


# ---- the protocol core ---------------------------------------------------------------


class gossip_core:
    """The SWIM protocol as a state machine; you bring the transport.

    ``send_callback(to, data, reliable)`` receives each packet to deliver
    (``reliable`` asks for a stream). ``event_callback(event)`` receives
    each :class:`Event`. Both run on the calling thread during the call that
    produced them; an exception they raise is re-raised from that call.
    ``now`` arguments are seconds since the epoch (any consistent origin);
    None means the system clock. ``config`` is a :class:`Config` or a
    preset name.
    """

    def __init__(self, self_node, send_callback=None, event_callback=None, config=None):
        self._send = send_callback
        self._event = event_callback
        self._pending = threading.local()
        self._c_send = _capi.SEND_FN(self._on_send)
        self._c_event = _capi.EVENT_FN(self._on_event)
        self._h = 0
        v = self_node.to_c()
        try:
            h = _capi.c_handle()
            _call("gossip_core_create", _config(config), v, self._c_send, self._c_event, None,
                  ctypes.byref(h))
            self._h = h.value
        finally:
            _capi.lib().gossip_view_destroy(v)

    def _on_send(self, _user, to, data, length, reliable):
        if self._send is None:
            return
        try:
            self._send(to.decode(), ctypes.string_at(data, length), bool(reliable))
        except BaseException as e:  # re-raised by _run on this thread
            self._pending.exc = getattr(self._pending, "exc", None) or e

    def _on_event(self, _user, ev):
        if self._event is None:
            return
        try:
            self._event(Event._from_c(ev))
        except BaseException as e:
            self._pending.exc = getattr(self._pending, "exc", None) or e

    def _run(self, name, *args):
        self._pending.exc = None
        status = getattr(_capi.lib(), name)(self._h, *args)
        exc, self._pending.exc = self._pending.exc, None
        _check(status)
        if exc is not None:
            raise exc

    def tick(self, now=None):
        """Advances the core to now: due probes, gossip rounds, timeouts."""
        self._run("gossip_core_tick", _now_ms(now))

    def next_deadline(self):
        """Returns when tick next has work to do (seconds since the epoch)."""
        out = ctypes.c_int64()
        self._run("gossip_core_next_deadline", ctypes.byref(out))
        return out.value / 1000.0

    def handle_message(self, data, sender, now=None):
        """Processes one packet received from address sender. Raises
        MalformedError for bytes that are not a valid packet."""
        buf, n = _byte_buf(data)
        self._run("gossip_core_handle_message", _now_ms(now), _enc(sender), buf, n)

    def meet(self, node, now=None):
        """Adds member node (a node_view with id and address) as alive."""
        v = node.to_c()
        try:
            self._run("gossip_core_meet", _now_ms(now), v)
        finally:
            _capi.lib().gossip_view_destroy(v)

    def join(self, seeds, now=None):
        """Joins through seed addresses: a string, a node_view, or a list of
        either."""
        if isinstance(seeds, (str, node_view)):
            seeds = [seeds]
        addrs = [s.address if isinstance(s, node_view) else s for s in seeds]
        self._run("gossip_core_join", _now_ms(now), _str_array(addrs), len(addrs))

    def leave(self, now=None):
        """Announces a graceful departure; keep ticking so it spreads."""
        self._run("gossip_core_leave", _now_ms(now))

    def set_metadata(self, metadata, now=None):
        """Replaces the local member's metadata with the dict metadata."""
        keys, vals = list(metadata.keys()), list(metadata.values())
        self._run("gossip_core_set_meta", _now_ms(now), _str_array(keys), _str_array(vals),
                  len(keys))

    set_meta = set_metadata

    def broadcast(self, payload, now=None):
        """Spreads payload (bytes) to every other member."""
        buf, n = _byte_buf(payload)
        self._run("gossip_core_broadcast", _now_ms(now), buf, n)

    def local_node(self):
        """Returns this member's node_view."""
        h = _capi.c_handle()
        self._run("gossip_core_local_node", ctypes.byref(h))
        try:
            return node_view.from_c(h)
        finally:
            _capi.lib().gossip_view_destroy(h)

    def members(self):
        """Returns every known member (this one included) sorted by id."""
        arr = ctypes.POINTER(_capi.c_handle)()
        n = ctypes.c_size_t()
        self._run("gossip_core_members", ctypes.byref(arr), ctypes.byref(n))
        return _views(arr, n)

    def find_node(self, node_id):
        """Returns the member with id node_id, or None."""
        for v in self.members():
            if v.id == node_id:
                return v
        return None

    def size(self):
        """Returns the number of known members, this one included."""
        return len(self.members())

    get_nodes = members  # the original's name
    self_node = local_node

    def stats(self):
        """Returns the core's counters as a Stats dict."""
        s = _capi.CStats()
        self._run("gossip_core_stats", ctypes.byref(s))
        return Stats._from_c(s)

    def close(self):
        """Destroys the core; later calls raise InvalidHandleError."""
        if self._h:
            h, self._h = self._h, 0
            _call("gossip_core_destroy", h)

    destroy = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            if self._h:
                _capi.lib().gossip_core_destroy(self._h)
        except Exception:
            pass


GossipCore = gossip_core

# ---- the networked node ------------------------------------------------------------------


class gossip_node:
    """A member on the network over the built-in transport.

    ``bind`` is "scheme://host:port" with scheme udp, tcp or hybrid (the
    default); port 0 picks a free port. ``event_callback(event)`` runs on a
    library thread, one event at a time; exceptions it raises are printed
    and ignored. ``config`` is a :class:`Config` or a preset name.
    """

    def __init__(self, id, bind="hybrid://127.0.0.1:0", config=None, event_callback=None):
        self._h = 0
        h = _capi.c_handle()
        _call("gossip_node_create", _config(config), _enc(id), _enc(bind), ctypes.byref(h))
        self._h = h.value
        self._c_event = _capi.EVENT_FN(self._on_event)
        self._event = None
        if event_callback is not None:
            self.set_event_callback(event_callback)

    def _on_event(self, _user, ev):
        cb = self._event
        if cb is None:
            return
        try:
            cb(Event._from_c(ev))
        except Exception:
            traceback.print_exc(file=sys.stderr)

    def _run(self, name, *args):
        _check(getattr(_capi.lib(), name)(self._h, *args))

    def set_event_callback(self, fn):
        """Sets (or clears, with None) the event callback."""
        self._event = fn
        self._run("gossip_node_set_event_callback", self._c_event, None)

    def start(self):
        """Binds the sockets and starts the protocol."""
        self._run("gossip_node_start")
        return self

    @property
    def address(self):
        """The address other members use, "host:port"."""
        p = ctypes.c_void_p()
        self._run("gossip_node_address", ctypes.byref(p))
        return _take_string(p)

    def join(self, seeds, timeout=10.0):
        """Joins through seed addresses (a string, node_view, or list),
        waiting up to timeout seconds for a seed to answer."""
        if isinstance(seeds, (str, node_view)):
            seeds = [seeds]
        addrs = [s.address if isinstance(s, node_view) else s for s in seeds]
        self._run("gossip_node_join", _str_array(addrs), len(addrs), int(timeout * 1000))

    def meet(self, node):
        """Adds member node (a node_view with id and address) as alive."""
        v = node.to_c()
        try:
            self._run("gossip_node_meet", v)
        finally:
            _capi.lib().gossip_view_destroy(v)

    def members(self, live_only=False):
        """Returns the known members (alive and suspect ones only with
        live_only), this one included, sorted by id."""
        arr = ctypes.POINTER(_capi.c_handle)()
        n = ctypes.c_size_t()
        self._run("gossip_node_members", 1 if live_only else 0, ctypes.byref(arr), ctypes.byref(n))
        return _views(arr, n)

    def live_members(self):
        """Returns the alive and suspect members."""
        return self.members(live_only=True)

    get_nodes = members

    def local_node(self):
        """Returns this member's node_view."""
        h = _capi.c_handle()
        self._run("gossip_node_local_node", ctypes.byref(h))
        try:
            return node_view.from_c(h)
        finally:
            _capi.lib().gossip_view_destroy(h)

    def set_metadata(self, metadata):
        """Replaces this member's metadata with the dict metadata."""
        keys, vals = list(metadata.keys()), list(metadata.values())
        self._run("gossip_node_set_meta", _str_array(keys), _str_array(vals), len(keys))

    set_meta = set_metadata

    def broadcast(self, payload):
        """Spreads payload (bytes) to every other member."""
        buf, n = _byte_buf(payload)
        self._run("gossip_node_broadcast", buf, n)

    def stats(self):
        """Returns the node's counters as a Stats dict."""
        s = _capi.CStats()
        self._run("gossip_node_stats", ctypes.byref(s))
        return Stats._from_c(s)

    def leave(self, timeout=5.0):
        """Announces a graceful departure; the node keeps answering until
        stop."""
        self._run("gossip_node_leave", int(timeout * 1000))

    def stop(self, timeout=5.0):
        """Stops the protocol and closes the sockets. Must not be called
        from this node's own event callback."""
        self._run("gossip_node_stop", int(timeout * 1000))

    shutdown = stop

    def close(self):
        """Stops the node if needed and destroys it."""
        if self._h:
            h, self._h = self._h, 0
            _call("gossip_node_destroy", h)

    destroy = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            if self._h:
                _capi.lib().gossip_node_destroy(self._h)
        except Exception:
            pass


Node = gossip_node


def wait_for(cond, timeout=10.0, interval=0.02):
    """Polls cond() until it is true or timeout seconds pass; returns its
    last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


__all__.append("wait_for")
