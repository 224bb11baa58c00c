"""EventStream: a node's events as an iterator, beside the callback."""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterator, Optional

from ._view import Event

__all__ = ["EventStream"]

_END = object()  # put by end(): the node stopped


class EventStream:
    """A queue of a node's events, made by :meth:`gossip_node.events`.

    Iterating yields each :class:`Event` in order and stops when the node
    stops or is closed, when :meth:`close` is called, or when no event
    arrives within ``timeout`` seconds (None: wait as long as the node
    runs). Waiting is interruptible by Ctrl-C. The queue holds at most
    ``maxsize`` events; when the reader falls further behind, new events are
    dropped and counted in :attr:`dropped` (the library never waits for a
    reader). Safe to use from several threads at once.
    """

    def __init__(self, timeout: Optional[float], maxsize: int,
                 on_close: Callable[["EventStream"], None]) -> None:
        self.timeout = timeout
        self._q: "queue.Queue[object]" = queue.Queue(maxsize + 1)  # + room for the end mark
        self._maxsize = maxsize
        self._lock = threading.Lock()
        self._dropped = 0
        self._ended = False
        self._on_close = on_close

    @property
    def dropped(self) -> int:
        """The number of events dropped because the queue was full."""
        with self._lock:
            return self._dropped

    def put(self, ev: Event) -> None:
        """Queues ev, or counts it as dropped when the queue is full."""
        with self._lock:
            if self._ended:
                return
            if self._q.qsize() >= self._maxsize:
                self._dropped += 1
                return
            self._q.put_nowait(ev)

    def end(self) -> None:
        """Ends the stream: readers get the queued events, then stop."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
            self._q.put_nowait(_END)

    def get(self, timeout: Optional[float] = None) -> Optional[Event]:
        """Returns the next event, or None when the stream has ended or no
        event arrived within timeout seconds (None: wait until one does)."""
        try:
            item = self._q.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _END:
            self._q.put_nowait(_END)  # every later get ends too
            return None
        assert isinstance(item, Event)
        return item

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        ev = self.get(self.timeout)
        if ev is None:
            raise StopIteration
        return ev

    def close(self) -> None:
        """Stops receiving events; iteration ends after the queued ones."""
        self._on_close(self)
        self.end()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
