"""gossip_node: a networked member over the built-in UDP/TCP transport."""

from __future__ import annotations

import ctypes
import sys
import threading
import traceback
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from . import _capi
from ._convert import Bytes, addresses, byte_buf, enc, meta_arrays, str_array, take_string
from ._errors import GossipError, call, raise_for
from ._events import EventStream
from ._view import Config, Event, Stats, c_config, node_view, views

__all__ = ["gossip_node", "Node"]

EventCallback = Callable[[Event], None]


def _blocking(name: str, *args: Any) -> None:
    """Calls the C function name on a worker thread and waits for it in a
    way Ctrl-C interrupts: the calling thread is never stuck inside C, so a
    KeyboardInterrupt is raised at once (the C call then finishes in the
    background, its result discarded). The C error message is read on the
    worker, where gossip_last_error is set."""
    lib = _capi.lib()
    result: Dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            st = getattr(lib, name)(*args)
            result["status"] = st
            if st != 0:
                result["message"] = lib.gossip_last_error().decode("utf-8", "replace")
        finally:
            done.set()

    threading.Thread(target=run, name="libgossip " + name, daemon=True).start()
    done.wait()
    raise_for(result.get("status", -8), result.get("message", "no status from " + name))


class gossip_node:
    """A member on the network over the built-in transport.

    ``bind`` is "scheme://host:port" with scheme udp, tcp or hybrid (the
    default); port 0 picks a free port. ``config`` is a :class:`Config` or a
    preset name.

    Events reach ``event_callback(event)`` on a library thread, one at a
    time (exceptions it raises are printed and ignored), and every open
    :meth:`events` stream. The calls that wait on the network (start, join,
    leave, stop, close) run on a worker thread, so Ctrl-C interrupts them at
    once.

    As a context manager, the node leaves gracefully on exit (peers see it
    LEFT, not FAILED), then stops and is destroyed. Safe to use from several
    threads at once.
    """

    leave_timeout: float = 5.0
    """Seconds the with block's exit waits for the leave to be sent."""

    def __init__(self, id: str, bind: str = "hybrid://127.0.0.1:0",
                 config: Union[Config, str, None] = None,
                 event_callback: Optional[EventCallback] = None) -> None:
        self._h = 0
        self._lock = threading.Lock()
        self._streams: List[EventStream] = []
        self._event = event_callback
        self._started = False
        self._stopped = False
        h = _capi.c_handle()
        call("gossip_node_create", c_config(config), enc(id), enc(bind), ctypes.byref(h))
        self._h = h.value
        # One C callback for the node's life, feeding the Python callback
        # and the streams; the C library guarantees it is not called once
        # stop or destroy has returned.
        self._c_event = _capi.EVENT_FN(self._on_event)
        self._run("gossip_node_set_event_callback", self._c_event, None)

    def _on_event(self, _user: Any, ev: Any) -> None:
        with self._lock:
            cb, streams = self._event, list(self._streams)
        if cb is None and not streams:
            return
        e = Event.from_c(ev)
        for s in streams:
            s.put(e)
        if cb is not None:
            try:
                cb(e)
            except Exception:
                traceback.print_exc(file=sys.stderr)

    def _run(self, name: str, *args: Any) -> None:
        raise_for(getattr(_capi.lib(), name)(self._h, *args))

    def set_event_callback(self, fn: Optional[EventCallback]) -> None:
        """Sets (or clears, with None) the event callback."""
        with self._lock:
            self._event = fn

    def events(self, timeout: Optional[float] = None, maxsize: int = 4096) -> EventStream:
        """Returns a new :class:`EventStream` of this node's events from now
        on; ``for ev in node.events(timeout=5): ...`` reads them until the
        node stops or no event comes for 5 s. Open it before :meth:`start`
        to see every event."""
        s = EventStream(timeout, maxsize, self._forget)
        with self._lock:
            if self._stopped:
                s.end()
            else:
                self._streams.append(s)
        return s

    def _forget(self, s: EventStream) -> None:
        with self._lock:
            if s in self._streams:
                self._streams.remove(s)

    def _end_streams(self) -> None:
        with self._lock:
            streams, self._streams = self._streams, []
        for s in streams:
            s.end()

    def start(self) -> "gossip_node":
        """Binds the sockets and starts the protocol; returns self."""
        _blocking("gossip_node_start", self._h)
        self._started = True
        return self

    @property
    def address(self) -> str:
        """The address other members use, "host:port"."""
        p = ctypes.c_void_p()
        self._run("gossip_node_address", ctypes.byref(p))
        return take_string(p.value)

    def join(self, seeds: Union[str, node_view, List[Union[str, node_view]]],
             timeout: float = 10.0) -> None:
        """Joins through seed addresses (a string, node_view, or list),
        waiting up to timeout seconds for a seed to answer."""
        addrs = addresses(seeds)
        _blocking("gossip_node_join", self._h, str_array(addrs), len(addrs), int(timeout * 1000))

    def meet(self, node: node_view) -> None:
        """Adds member node (a node_view with id and address) as alive."""
        v = node.to_c()
        try:
            self._run("gossip_node_meet", v)
        finally:
            _capi.lib().gossip_view_destroy(v)

    def members(self, live_only: bool = False) -> List[node_view]:
        """Returns the known members (alive and suspect ones only with
        live_only), this one included, sorted by id."""
        arr = ctypes.POINTER(_capi.c_handle)()
        n = ctypes.c_size_t()
        self._run("gossip_node_members", 1 if live_only else 0, ctypes.byref(arr), ctypes.byref(n))
        return views(arr, n)

    def live_members(self) -> List[node_view]:
        """Returns the alive and suspect members."""
        return self.members(live_only=True)

    get_nodes = members

    def local_node(self) -> node_view:
        """Returns this member's node_view."""
        h = _capi.c_handle()
        self._run("gossip_node_local_node", ctypes.byref(h))
        try:
            return node_view.from_c(h.value)
        finally:
            _capi.lib().gossip_view_destroy(h)

    def set_metadata(self, metadata: Mapping[str, str]) -> None:
        """Replaces this member's metadata with metadata, a mapping of str to
        str. A key or value of another type raises TypeError (nothing is
        converted: write ``str(8080)`` for a number)."""
        keys, vals, n = meta_arrays(metadata)
        self._run("gossip_node_set_meta", keys, vals, n)

    set_meta = set_metadata

    def broadcast(self, payload: Bytes) -> None:
        """Spreads payload (bytes) to every other member."""
        buf, n = byte_buf(payload)
        self._run("gossip_node_broadcast", buf, n)

    def stats(self) -> Stats:
        """Returns the node's counters as a Stats dict."""
        s = _capi.CStats()
        self._run("gossip_node_stats", ctypes.byref(s))
        return Stats.from_c(s)

    @property
    def events_dropped(self) -> int:
        """Events the library dropped because this node's event delivery
        (the callback and the streams together) fell more than 4096 events
        behind. A stream's own drops are in its ``dropped``."""
        out = ctypes.c_uint64()
        self._run("gossip_node_events_dropped", ctypes.byref(out))
        return out.value

    def leave(self, timeout: float = 5.0) -> None:
        """Announces a graceful departure; the node keeps answering until
        stop."""
        _blocking("gossip_node_leave", self._h, int(timeout * 1000))

    def stop(self, timeout: float = 5.0) -> None:
        """Stops the protocol and closes the sockets. Once it returns, no
        event callback runs and every stream ends. Raises TimeoutError while
        an event callback is still running after timeout seconds: call stop
        (or close) again to wait for it. Must not be called from this node's
        own event callback (StateError)."""
        _blocking("gossip_node_stop", self._h, int(timeout * 1000))
        self._stopped = True
        self._end_streams()

    shutdown = stop

    def close(self) -> None:
        """Stops the node if needed (waiting up to 5 s for a running event
        callback) and destroys it. Raises TimeoutError, keeping the node,
        while a callback still runs: call close again."""
        if self._h:
            _blocking("gossip_node_destroy", self._h)
            self._h = 0
            self._stopped = True
            self._end_streams()

    destroy = close

    def __enter__(self) -> "gossip_node":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._h and self._started and not self._stopped:
            try:
                self.leave(self.leave_timeout)
            except GossipError:
                pass  # not running or already left: nothing to announce
        self.close()

    def __del__(self) -> None:
        try:
            if self._h:
                _capi.lib().gossip_node_destroy(self._h)
        except Exception:
            pass


Node = gossip_node
