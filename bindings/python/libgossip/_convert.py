"""Conversions between Python values and the C API's arguments."""

from __future__ import annotations

import ctypes
from collections.abc import Mapping
from typing import Any, List, Optional, Sequence, Tuple, Union

from . import _capi

GOSSIP_NOW = -1

Bytes = Union[bytes, bytearray, memoryview]


def enc(s: Union[str, bytes]) -> bytes:
    """UTF-8 bytes of s (bytes pass through)."""
    return s.encode() if isinstance(s, str) else bytes(s)


def str_array(items: Sequence[Union[str, bytes]]) -> Any:
    """A C array of char* holding items (kept alive by the returned object)."""
    arr = (ctypes.c_char_p * max(1, len(items)))()
    for i, s in enumerate(items):
        arr[i] = enc(s)
    return arr


def meta_arrays(metadata: Mapping[str, str]) -> Tuple[Any, Any, int]:
    """C key and value arrays of metadata. Keys and values must be str:
    anything else raises TypeError naming the key (metadata is text on the
    wire; convert numbers yourself, e.g. ``{"port": str(8080)}``)."""
    if not isinstance(metadata, Mapping):
        raise TypeError("metadata must be a mapping of str to str, not %s" % type(metadata).__name__)
    keys, vals = [], []
    for k, v in metadata.items():
        if not isinstance(k, str):
            raise TypeError("metadata key %r: must be str, not %s" % (k, type(k).__name__))
        if not isinstance(v, str):
            raise TypeError("metadata value of %r: must be str, not %s (use str(value))"
                            % (k, type(v).__name__))
        keys.append(k)
        vals.append(v)
    return str_array(keys), str_array(vals), len(keys)


def byte_buf(data: Bytes) -> Tuple[Any, int]:
    """A C byte buffer holding a copy of data, and its length."""
    b = bytes(data)
    return (ctypes.c_uint8 * max(1, len(b))).from_buffer_copy(b or b"\0"), len(b)


def take_string(ptr: Optional[int]) -> str:
    """Copies and frees a string the library returned."""
    if not ptr:
        return ""
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        _capi.lib().gossip_string_free(ptr)


def now_ms(now: Optional[float]) -> int:
    """Milliseconds of now (seconds), or GOSSIP_NOW for None."""
    if now is None:
        return GOSSIP_NOW
    return int(now * 1000)


def addresses(seeds: Any) -> List[str]:
    """The addresses of seeds: a string, a node_view, or a list of either."""
    from ._view import node_view
    if isinstance(seeds, (str, node_view)):
        seeds = [seeds]
    return [s.address if isinstance(s, node_view) else s for s in seeds]
