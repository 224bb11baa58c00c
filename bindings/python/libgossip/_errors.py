"""The exceptions of libgossip and the mapping from C status codes."""

from __future__ import annotations

import builtins
from typing import Dict, Optional, Type

from . import _capi

__all__ = [
    "GossipError", "InvalidArgumentError", "InvalidHandleError", "MalformedError",
    "StateError", "NetworkError", "TimeoutError", "NotFoundError", "InternalError",
]


class GossipError(Exception):
    """A libgossip call failed. ``code`` is the C status (negative),
    ``name`` its symbolic name and ``message`` the C library's
    gossip_last_error() text."""

    code: int
    name: str
    message: str

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.name = _status_name(code)
        self.message = message
        super().__init__("%s: %s" % (self.name, message))

    def __str__(self) -> str:
        return "%s: %s" % (self.name, self.message)


class InvalidArgumentError(GossipError, ValueError):
    """GOSSIP_ERR_INVALID_ARGUMENT: a bad value was passed."""


class InvalidHandleError(GossipError):
    """GOSSIP_ERR_INVALID_HANDLE: the object was closed or destroyed."""


class MalformedError(GossipError):
    """GOSSIP_ERR_MALFORMED: handle_message got bytes that are not a packet."""


class StateError(GossipError):
    """GOSSIP_ERR_STATE: wrong state (left, not running, already started or
    stopped, or a call from inside the node's own event callback)."""


class NetworkError(GossipError, OSError):
    """GOSSIP_ERR_NETWORK: binding failed or no seed could be reached."""


class TimeoutError(GossipError, builtins.TimeoutError):  # noqa: A001 - GOSSIP_ERR_TIMEOUT
    """GOSSIP_ERR_TIMEOUT: an operation did not finish in time. It is also a
    builtin :class:`TimeoutError`, so ``except TimeoutError`` catches it
    whether or not the name was imported from libgossip."""


class NotFoundError(GossipError, KeyError):
    """GOSSIP_ERR_NOT_FOUND: a metadata key is not set."""


class InternalError(GossipError):
    """GOSSIP_ERR_INTERNAL: a bug in libgossip, recovered from."""


_ERRORS: Dict[int, Type[GossipError]] = {
    -1: InvalidArgumentError, -2: InvalidHandleError, -3: MalformedError, -4: StateError,
    -5: NetworkError, -6: TimeoutError, -7: NotFoundError, -8: InternalError}


def _status_name(code: int) -> str:
    return _capi.lib().gossip_status_name(code).decode()


def raise_for(status: int, message: Optional[str] = None) -> None:
    """Raises the exception for a non-zero status with message, or with the
    calling thread's gossip_last_error() when message is None."""
    if status == 0:
        return
    if message is None:
        message = last_error()
    raise _ERRORS.get(status, GossipError)(status, message)


def last_error() -> str:
    """Returns the calling thread's gossip_last_error()."""
    return _capi.lib().gossip_last_error().decode("utf-8", "replace")


def call(name: str, *args: object) -> None:
    """Calls the C function name and raises on a non-zero status."""
    raise_for(getattr(_capi.lib(), name)(*args))
