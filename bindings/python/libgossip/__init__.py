"""libgossip: SWIM gossip membership for Python, over the libgossip C API.

Two ways to run a member, as in the C API:

* :class:`gossip_core` (alias :class:`GossipCore`) is the protocol as a pure
  state machine. You bring the transport and the clock: call :meth:`tick`
  regularly, feed received packets to :meth:`handle_message`, and deliver
  what the ``send_callback`` is given. Callbacks run on the calling thread,
  during the call that produced the output.

* :class:`gossip_node` (alias :class:`Node`) is a networked member over the
  built-in UDP/TCP transport; the library runs the protocol on its own
  threads. Its events reach an ``event_callback`` on a library thread and
  every iterator made by :meth:`gossip_node.events`::

      with libgossip.Node("a", config="local") as node:
          node.start()
          for ev in node.events(timeout=5):
              print(ev)

Members are described by :class:`node_view` (alias :class:`NodeView`);
metadata is a mapping of str to str (other types raise TypeError). Every
failure raises :class:`GossipError` (or a subclass) carrying the C status
code and the C library's message; :class:`TimeoutError` is also the builtin
TimeoutError.

>>> import libgossip
>>> node = libgossip.node_view()
>>> node.ip = "127.0.0.1"
>>> node.port = 8000
>>> core = libgossip.gossip_core(node)
>>> core.tick()

Every object is safe to use from several threads at once. The package is
typed (PEP 561).
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from . import _capi
from ._convert import GOSSIP_NOW
from ._core import GossipCore, gossip_core
from ._errors import (GossipError, InternalError, InvalidArgumentError, InvalidHandleError,
                      MalformedError, NetworkError, NotFoundError, StateError, TimeoutError)
from ._events import EventStream
from ._node import Node, gossip_node
from ._view import Config, Event, EventOrigin, EventType, NodeView, State, Stats, node_view

__all__ = [
    "GossipError", "InvalidArgumentError", "InvalidHandleError", "MalformedError",
    "StateError", "NetworkError", "TimeoutError", "NotFoundError", "InternalError",
    "State", "EventType", "EventOrigin", "Event", "EventStream", "Config", "Stats",
    "node_view", "NodeView", "gossip_core", "GossipCore", "gossip_node", "Node",
    "version", "library_path", "wait_for", "GOSSIP_NOW",
]


def version() -> str:
    """Returns the C library's version string."""
    return _capi.lib().gossip_version().decode()


def library_path() -> str:
    """Returns the path of the loaded shared library."""
    return str(_capi.lib()._name)


T = TypeVar("T")


def wait_for(cond: Callable[[], T], timeout: float = 10.0, interval: float = 0.02) -> T:
    """Polls cond() until it is true or timeout seconds pass; returns its
    last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)
