"""Plain values: member states, event types, node views, events, the
configuration and counters."""

from __future__ import annotations

import ctypes
import enum
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _capi
from ._convert import enc, take_string
from ._errors import call, raise_for

__all__ = ["State", "EventType", "EventOrigin", "node_view", "NodeView", "Event", "Config", "Stats"]


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
    REFUTED = 9
    """This member refuted a suspicion or death of itself (it raised its
    incarnation); ``node`` is its own view after the refutation."""


class EventOrigin(enum.IntEnum):
    """What made this member observe an event (GOSSIP_ORIGIN_*)."""
    UNKNOWN = 0
    """Never produced by the library (an origin this binding does not know)."""
    LOCAL = 1
    """This member's own timers and probes (a failure declared when its own
    suspicion timeout ran out, a suspicion raised after its own probe
    failed) or a call of its owner (meet, set_meta...)."""
    GOSSIP = 2
    """A message from another member (a failure or suspicion learned from
    gossip, an announcement, a broadcast)."""


class node_view:
    """One member: id, address (``ip`` and ``port``), state, incarnation and
    metadata (str to str). A plain Python value; it is copied into the
    library when passed to a call.

    When ``id`` is empty, a core uses the address as its id.
    """

    __slots__ = ("id", "ip", "port", "state", "incarnation", "metadata")

    id: str
    ip: str
    port: int
    state: State
    incarnation: int
    metadata: Dict[str, str]

    def __init__(self, id: str = "", ip: str = "", port: int = 0,
                 state: Union[State, int] = State.ALIVE, incarnation: int = 1,
                 metadata: Optional[Mapping[str, str]] = None) -> None:
        self.id = id
        self.ip = ip
        self.port = port
        self.state = State(state)
        self.incarnation = incarnation
        self.metadata = dict(metadata or {})

    @property
    def address(self) -> str:
        """"ip:port" (IPv6 addresses in brackets); setting it splits it."""
        if not self.ip:
            return ""
        ip = "[%s]" % self.ip if ":" in self.ip else self.ip
        return "%s:%d" % (ip, self.port)

    @address.setter
    def address(self, addr: str) -> None:
        host, _, port = addr.rpartition(":")
        self.ip = host.strip("[]")
        self.port = int(port) if port else 0

    # Names of the original C++ API.
    @property
    def status(self) -> State:
        """Alias of state."""
        return self.state

    @status.setter
    def status(self, s: Union[State, int]) -> None:
        self.state = State(s)

    @property
    def node_id(self) -> str:
        """Alias of id."""
        return self.id

    def to_c(self) -> int:
        """Returns a new C view handle; the caller destroys it. Raises
        TypeError when a metadata key or value is not a str."""
        for k, v in self.metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("metadata %r: %r: keys and values must be str" % (k, v))
        h = _capi.c_handle()
        call("gossip_view_create", ctypes.byref(h))
        try:
            if self.id:
                call("gossip_view_set_id", h, enc(self.id))
            if self.address:
                call("gossip_view_set_address", h, enc(self.address))
            call("gossip_view_set_state", h, int(self.state))
            call("gossip_view_set_incarnation", h, int(self.incarnation))
            for k, v in self.metadata.items():
                call("gossip_view_set_meta", h, enc(k), enc(v))
        except BaseException:
            _capi.lib().gossip_view_destroy(h)
            raise
        return h.value

    @classmethod
    def from_c(cls, h: int) -> "node_view":
        """Reads the C view handle h (not destroyed)."""
        lib = _capi.lib()
        p = ctypes.c_void_p()
        raise_for(lib.gossip_view_get_id(h, ctypes.byref(p)))
        vid = take_string(p.value)
        raise_for(lib.gossip_view_get_address(h, ctypes.byref(p)))
        addr = take_string(p.value)
        st = ctypes.c_int()
        raise_for(lib.gossip_view_get_state(h, ctypes.byref(st)))
        inc = ctypes.c_uint64()
        raise_for(lib.gossip_view_get_incarnation(h, ctypes.byref(inc)))
        keys = ctypes.POINTER(ctypes.c_void_p)()
        n = ctypes.c_size_t()
        raise_for(lib.gossip_view_meta_keys(h, ctypes.byref(keys), ctypes.byref(n)))
        meta = {}
        try:
            for i in range(n.value):
                k = ctypes.string_at(keys[i])
                raise_for(lib.gossip_view_get_meta(h, k, ctypes.byref(p)))
                meta[k.decode()] = take_string(p.value)
        finally:
            lib.gossip_strings_free(ctypes.cast(keys, ctypes.c_void_p), n.value)
        v = cls(id=vid, state=st.value, incarnation=inc.value, metadata=meta)
        v.address = addr
        return v

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, node_view):
            return NotImplemented
        return (self.id, self.address, self.state, self.incarnation, self.metadata) == \
            (other.id, other.address, other.state, other.incarnation, other.metadata)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return "node_view(id=%r, address=%r, state=%s, incarnation=%d, metadata=%r)" % (
            self.id, self.address, self.state.name.lower(), self.incarnation, self.metadata)


NodeView = node_view


def views(arr: Any, n: ctypes.c_size_t) -> List[node_view]:
    """Reads and frees an array of view handles."""
    try:
        return [node_view.from_c(arr[i]) for i in range(n.value)]
    finally:
        _capi.lib().gossip_views_free(ctypes.cast(arr, ctypes.c_void_p), n.value)


class Event:
    """A membership change or user broadcast: ``type`` (EventType),
    ``node`` (node_view after the change), ``payload`` (bytes, for USER),
    ``time`` (seconds since the epoch of the call that produced it),
    ``origin`` (EventOrigin: LOCAL when this member's own timer, probe or
    call produced it, GOSSIP when learned from another member) and
    ``accusers`` (for SUSPECT, FAILED and REFUTED: the ids of the members
    that suspected or declared the member failed, in the order their
    accusations arrived, this member's own id when it accused; at most 16;
    a failure declared by this member's own timer lists every accuser its
    suspicion collected, one learned from gossip the member that declared
    it; empty otherwise)."""

    __slots__ = ("type", "node", "payload", "time", "origin", "accusers")

    type: Union[EventType, int]
    node: node_view
    payload: bytes
    time: float
    origin: EventOrigin
    accusers: Tuple[str, ...]

    def __init__(self, type: Union[EventType, int], node: node_view, payload: bytes = b"",
                 time: float = 0.0, origin: EventOrigin = EventOrigin.UNKNOWN,
                 accusers: Sequence[str] = ()) -> None:
        self.type = type
        self.node = node
        self.payload = payload
        self.time = time
        self.origin = origin
        self.accusers = tuple(accusers)

    @classmethod
    def from_c(cls, ev: Any) -> "Event":
        """Copies the C event ev (a pointer to _capi.CEvent)."""
        e = ev.contents
        payload = ctypes.string_at(e.payload, e.payload_len) if e.payload_len else b""
        t: Union[EventType, int]
        try:
            t = EventType(e.type)
        except ValueError:
            t = e.type
        try:
            origin = EventOrigin(e.origin)
        except ValueError:
            origin = EventOrigin.UNKNOWN
        accusers = tuple(e.accusers[i].decode("utf-8", "replace")
                         for i in range(e.accusers_len) if e.accusers[i] is not None)
        return cls(t, node_view.from_c(e.member), payload, e.time_ms / 1000.0, origin, accusers)

    def __repr__(self) -> str:
        name = self.type.name.lower() if isinstance(self.type, EventType) else self.type
        if self.accusers:
            return "Event(%s %s@%s accused by %s)" % (name, self.node.id, self.node.address,
                                                     ",".join(self.accusers))
        return "Event(%s %s@%s)" % (name, self.node.id, self.node.address)


class Config:
    """Tuning for a core or node. ``preset`` is "lan" (default), "wan" or
    "local"; the intervals (in seconds) override the preset when set.
    ``seed`` seeds the core's randomness. ``codec`` ("binary" or "json"),
    ``key`` (base64 AES key of 16, 24 or 32 bytes) and ``label`` apply to
    networked nodes only."""

    def __init__(self, preset: str = "lan", probe_interval: Optional[float] = None,
                 probe_timeout: Optional[float] = None, gossip_interval: Optional[float] = None,
                 suspicion_mult: int = 0, seed: int = 0, codec: Optional[str] = None,
                 key: Optional[str] = None, label: Optional[str] = None) -> None:
        self.preset = preset
        self.probe_interval = probe_interval
        self.probe_timeout = probe_timeout
        self.gossip_interval = gossip_interval
        self.suspicion_mult = suspicion_mult
        self.seed = seed
        self.codec = codec
        self.key = key
        self.label = label

    def to_c(self) -> _capi.CConfig:
        """Returns the C struct gossip_config."""
        def ms(s: Optional[float]) -> int:
            return int(s * 1000) if s else 0

        def opt(s: Optional[str]) -> Optional[bytes]:
            return enc(s) if s else None
        return _capi.CConfig(opt(self.preset), ms(self.probe_interval), ms(self.probe_timeout),
                             ms(self.gossip_interval), self.suspicion_mult, self.seed,
                             opt(self.codec), opt(self.key), opt(self.label))


def c_config(config: Union[Config, str, None]) -> Any:
    """A pointer to the C config of config (a Config, a preset name or
    None for the LAN defaults)."""
    if config is None:
        return None
    if isinstance(config, str):
        config = Config(preset=config)
    return ctypes.byref(config.to_c())


class Stats(Dict[str, int]):
    """Counters of a core or node, also readable as attributes."""

    def __getattr__(self, name: str) -> int:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def from_c(cls, s: _capi.CStats) -> "Stats":
        """Copies the C struct gossip_stats."""
        return cls({name: getattr(s, name) for name, _ in _capi.CStats._fields_})
