"""gossip_core: the protocol as a state machine; the caller brings the
transport and the clock."""

from __future__ import annotations

import ctypes
import threading
from typing import Any, Callable, List, Mapping, Optional, Union

from . import _capi
from ._convert import Bytes, addresses, byte_buf, enc, meta_arrays, now_ms, str_array
from ._errors import call, raise_for
from ._view import Config, Event, Stats, c_config, node_view, views

__all__ = ["gossip_core", "GossipCore"]

SendCallback = Callable[[str, bytes, bool], None]
EventCallback = Callable[[Event], None]


class gossip_core:
    """The SWIM protocol as a state machine; you bring the transport.

    ``send_callback(to, data, reliable)`` receives each packet to deliver
    (``reliable`` asks for a stream). ``event_callback(event)`` receives
    each :class:`Event`. Both run on the calling thread during the call that
    produced them; an exception they raise is re-raised from that call.
    ``now`` arguments are seconds since the epoch (any consistent origin);
    None means the system clock. ``config`` is a :class:`Config` or a
    preset name. Safe to use from several threads at once; no call blocks
    on the network.
    """

    def __init__(self, self_node: node_view, send_callback: Optional[SendCallback] = None,
                 event_callback: Optional[EventCallback] = None,
                 config: Union[Config, str, None] = None) -> None:
        self._send = send_callback
        self._event = event_callback
        self._pending = threading.local()
        self._c_send = _capi.SEND_FN(self._on_send)
        self._c_event = _capi.EVENT_FN(self._on_event)
        self._h = 0
        v = self_node.to_c()
        try:
            h = _capi.c_handle()
            call("gossip_core_create", c_config(config), v, self._c_send, self._c_event, None,
                 ctypes.byref(h))
            self._h = h.value
        finally:
            _capi.lib().gossip_view_destroy(v)

    def _on_send(self, _user: Any, to: bytes, data: Any, length: int, reliable: int) -> None:
        if self._send is None:
            return
        try:
            self._send(to.decode(), ctypes.string_at(data, length), bool(reliable))
        except BaseException as e:  # re-raised by _run on this thread
            self._pending.exc = getattr(self._pending, "exc", None) or e

    def _on_event(self, _user: Any, ev: Any) -> None:
        if self._event is None:
            return
        try:
            self._event(Event.from_c(ev))
        except BaseException as e:
            self._pending.exc = getattr(self._pending, "exc", None) or e

    def _run(self, name: str, *args: Any) -> None:
        self._pending.exc = None
        status = getattr(_capi.lib(), name)(self._h, *args)
        exc, self._pending.exc = self._pending.exc, None
        raise_for(status)
        if exc is not None:
            raise exc

    def tick(self, now: Optional[float] = None) -> None:
        """Advances the core to now: due probes, gossip rounds, timeouts."""
        self._run("gossip_core_tick", now_ms(now))

    def next_deadline(self) -> float:
        """Returns when tick next has work to do (seconds since the epoch)."""
        out = ctypes.c_int64()
        self._run("gossip_core_next_deadline", ctypes.byref(out))
        return out.value / 1000.0

    def handle_message(self, data: Bytes, sender: str, now: Optional[float] = None) -> None:
        """Processes one packet received from address sender. Raises
        MalformedError for bytes that are not a valid packet."""
        buf, n = byte_buf(data)
        self._run("gossip_core_handle_message", now_ms(now), enc(sender), buf, n)

    def meet(self, node: node_view, now: Optional[float] = None) -> None:
        """Adds member node (a node_view with id and address) as alive."""
        v = node.to_c()
        try:
            self._run("gossip_core_meet", now_ms(now), v)
        finally:
            _capi.lib().gossip_view_destroy(v)

    def join(self, seeds: Union[str, node_view, List[Union[str, node_view]]],
             now: Optional[float] = None) -> None:
        """Joins through seed addresses: a string, a node_view, or a list of
        either."""
        addrs = addresses(seeds)
        self._run("gossip_core_join", now_ms(now), str_array(addrs), len(addrs))

    def leave(self, now: Optional[float] = None) -> None:
        """Announces a graceful departure; keep ticking so it spreads."""
        self._run("gossip_core_leave", now_ms(now))

    def set_metadata(self, metadata: Mapping[str, str], now: Optional[float] = None) -> None:
        """Replaces the local member's metadata with metadata, a mapping of
        str to str. A key or value of another type raises TypeError (nothing
        is converted: write ``str(8080)`` for a number)."""
        keys, vals, n = meta_arrays(metadata)
        self._run("gossip_core_set_meta", now_ms(now), keys, vals, n)

    set_meta = set_metadata

    def broadcast(self, payload: Bytes, now: Optional[float] = None) -> None:
        """Spreads payload (bytes) to every other member."""
        buf, n = byte_buf(payload)
        self._run("gossip_core_broadcast", now_ms(now), buf, n)

    def local_node(self) -> node_view:
        """Returns this member's node_view."""
        h = _capi.c_handle()
        self._run("gossip_core_local_node", ctypes.byref(h))
        try:
            return node_view.from_c(h.value)
        finally:
            _capi.lib().gossip_view_destroy(h)

    def members(self) -> List[node_view]:
        """Returns every known member (this one included) sorted by id."""
        arr = ctypes.POINTER(_capi.c_handle)()
        n = ctypes.c_size_t()
        self._run("gossip_core_members", ctypes.byref(arr), ctypes.byref(n))
        return views(arr, n)

    def find_node(self, node_id: str) -> Optional[node_view]:
        """Returns the member with id node_id, or None."""
        for v in self.members():
            if v.id == node_id:
                return v
        return None

    def size(self) -> int:
        """Returns the number of known members, this one included."""
        return len(self.members())

    get_nodes = members  # the original's name
    self_node = local_node

    def stats(self) -> Stats:
        """Returns the core's counters as a Stats dict."""
        s = _capi.CStats()
        self._run("gossip_core_stats", ctypes.byref(s))
        return Stats.from_c(s)

    def close(self) -> None:
        """Destroys the core; later calls raise InvalidHandleError. Once it
        returns no callback of this core runs."""
        if self._h:
            h, self._h = self._h, 0
            call("gossip_core_destroy", h)

    destroy = close

    def __enter__(self) -> "gossip_core":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if self._h:
                _capi.lib().gossip_core_destroy(self._h)
        except Exception:
            pass


GossipCore = gossip_core
