"""Loading the libgossip shared library and declaring its C prototypes.

The library is looked up, in order:

1. the path in the environment variable ``LIBGOSSIP_LIBRARY``;
2. ``libgossip.so`` (``.dylib`` on macOS) inside this package, where
   ``make python`` puts it before ``pip install ./bindings/python``;
3. ``bindings/c/build/lib/libgossip.so`` of the source checkout this package
   sits in (what ``bindings/c/build.sh`` produces);
4. the system's library path (``ctypes.util.find_library("gossip")``).
"""

import ctypes
import ctypes.util
import os
import sys
import threading

# The oldest C library whose struct gossip_event matches CEvent: an older
# one lacks the origin and accuser fields, so it is refused at load time
# rather than read past the end of its events.
MIN_VERSION = (0, 2, 0)

c_status = ctypes.c_int
c_handle = ctypes.c_uint64

SEND_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p,
                           ctypes.POINTER(ctypes.c_uint8), ctypes.c_size_t, ctypes.c_int)


class CEvent(ctypes.Structure):
    """struct gossip_event."""
    _fields_ = [
        ("type", ctypes.c_int),
        ("id", ctypes.c_char_p),
        ("address", ctypes.c_char_p),
        ("state", ctypes.c_int),
        ("incarnation", ctypes.c_uint64),
        ("member", c_handle),
        ("payload", ctypes.POINTER(ctypes.c_uint8)),
        ("payload_len", ctypes.c_size_t),
        ("time_ms", ctypes.c_int64),
        # appended in libgossip 0.2.0 (see MIN_VERSION)
        ("origin", ctypes.c_int),
        ("accusers", ctypes.POINTER(ctypes.c_char_p)),
        ("accusers_len", ctypes.c_size_t),
    ]


EVENT_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(CEvent))


class CConfig(ctypes.Structure):
    """struct gossip_config."""
    _fields_ = [
        ("preset", ctypes.c_char_p),
        ("probe_interval_ms", ctypes.c_int64),
        ("probe_timeout_ms", ctypes.c_int64),
        ("gossip_interval_ms", ctypes.c_int64),
        ("suspicion_mult", ctypes.c_int32),
        ("seed", ctypes.c_uint64),
        ("codec", ctypes.c_char_p),
        ("key_base64", ctypes.c_char_p),
        ("label", ctypes.c_char_p),
    ]


class CStats(ctypes.Structure):
    """struct gossip_stats."""
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "packets_in", "packets_out", "bytes_in", "bytes_out", "malformed",
        "probes", "probes_failed", "suspicions", "failed")] + [
        ("members", ctypes.c_int64), ("live_members", ctypes.c_int64)]


P = ctypes.POINTER
_vp = ctypes.c_void_p
_cp = ctypes.c_char_p
_i64 = ctypes.c_int64
_sz = ctypes.c_size_t
_bytes = P(ctypes.c_uint8)
_strs = P(ctypes.c_char_p)

# name: (argtypes, restype); restype None means gossip_status.
PROTOTYPES = {
    "gossip_last_error": ([], _cp),
    "gossip_status_name": ([c_status], _cp),
    "gossip_version": ([], _cp),
    "gossip_string_free": ([_vp], None),
    "gossip_strings_free": ([_vp, _sz], None),
    "gossip_views_free": ([_vp, _sz], None),
    "gossip_view_create": ([P(c_handle)], c_status),
    "gossip_view_clone": ([c_handle, P(c_handle)], c_status),
    "gossip_view_destroy": ([c_handle], c_status),
    "gossip_view_set_id": ([c_handle, _cp], c_status),
    "gossip_view_get_id": ([c_handle, P(_vp)], c_status),
    "gossip_view_set_address": ([c_handle, _cp], c_status),
    "gossip_view_get_address": ([c_handle, P(_vp)], c_status),
    "gossip_view_set_state": ([c_handle, ctypes.c_int], c_status),
    "gossip_view_get_state": ([c_handle, P(ctypes.c_int)], c_status),
    "gossip_view_set_incarnation": ([c_handle, ctypes.c_uint64], c_status),
    "gossip_view_get_incarnation": ([c_handle, P(ctypes.c_uint64)], c_status),
    "gossip_view_set_meta": ([c_handle, _cp, _cp], c_status),
    "gossip_view_get_meta": ([c_handle, _cp, P(_vp)], c_status),
    "gossip_view_delete_meta": ([c_handle, _cp], c_status),
    "gossip_view_meta_keys": ([c_handle, P(P(_vp)), P(_sz)], c_status),
    "gossip_core_create": ([P(CConfig), c_handle, SEND_FN, EVENT_FN, _vp, P(c_handle)], c_status),
    "gossip_core_destroy": ([c_handle], c_status),
    "gossip_core_tick": ([c_handle, _i64], c_status),
    "gossip_core_next_deadline": ([c_handle, P(_i64)], c_status),
    "gossip_core_handle_message": ([c_handle, _i64, _cp, _bytes, _sz], c_status),
    "gossip_core_meet": ([c_handle, _i64, c_handle], c_status),
    "gossip_core_join": ([c_handle, _i64, _strs, _sz], c_status),
    "gossip_core_leave": ([c_handle, _i64], c_status),
    "gossip_core_set_meta": ([c_handle, _i64, _strs, _strs, _sz], c_status),
    "gossip_core_broadcast": ([c_handle, _i64, _bytes, _sz], c_status),
    "gossip_core_local_node": ([c_handle, P(c_handle)], c_status),
    "gossip_core_members": ([c_handle, P(P(c_handle)), P(_sz)], c_status),
    "gossip_core_stats": ([c_handle, P(CStats)], c_status),
    "gossip_node_create": ([P(CConfig), _cp, _cp, P(c_handle)], c_status),
    "gossip_node_set_event_callback": ([c_handle, EVENT_FN, _vp], c_status),
    "gossip_node_start": ([c_handle], c_status),
    "gossip_node_address": ([c_handle, P(_vp)], c_status),
    "gossip_node_join": ([c_handle, _strs, _sz, _i64], c_status),
    "gossip_node_meet": ([c_handle, c_handle], c_status),
    "gossip_node_members": ([c_handle, ctypes.c_int, P(P(c_handle)), P(_sz)], c_status),
    "gossip_node_local_node": ([c_handle, P(c_handle)], c_status),
    "gossip_node_set_meta": ([c_handle, _strs, _strs, _sz], c_status),
    "gossip_node_broadcast": ([c_handle, _bytes, _sz], c_status),
    "gossip_node_stats": ([c_handle, P(CStats)], c_status),
    "gossip_node_leave": ([c_handle, _i64], c_status),
    "gossip_node_stop": ([c_handle, _i64], c_status),
    "gossip_node_destroy": ([c_handle], c_status),
    "gossip_node_events_dropped": ([c_handle, P(ctypes.c_uint64)], c_status),
}

_lock = threading.Lock()
_lib = None


def _library_name():
    if sys.platform == "darwin":
        return "libgossip.dylib"
    return "libgossip.so"


def candidates():
    """Returns the paths tried when loading the library, in order."""
    name = _library_name()
    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    env = os.environ.get("LIBGOSSIP_LIBRARY")
    if env:
        out.append(env)
    out.append(os.path.join(here, name))
    out.append(os.path.normpath(os.path.join(here, "..", "..", "c", "build", "lib", name)))
    found = ctypes.util.find_library("gossip")
    if found:
        out.append(found)
    return out


def _version_tuple(v):
    """Parses "1.2.3" into (1, 2, 3); unparsable parts count as 0."""
    out = []
    for part in v.split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


def lib():
    """Returns the loaded library, loading it on first use."""
    global _lib
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is None:
            errors = []
            for path in candidates():
                if os.sep in path and not os.path.exists(path):
                    errors.append("%s: not found" % path)
                    continue
                try:
                    dll = ctypes.CDLL(path)
                except OSError as e:
                    errors.append("%s: %s" % (path, e))
                    continue
                for fname, (args, res) in PROTOTYPES.items():
                    fn = getattr(dll, fname)
                    fn.argtypes = args
                    fn.restype = res
                ver = dll.gossip_version().decode()
                if _version_tuple(ver) < MIN_VERSION:
                    errors.append("%s: version %s, need %s or newer" % (
                        path, ver, ".".join(map(str, MIN_VERSION))))
                    continue
                _lib = dll
                break
            else:
                raise ImportError(
                    "libgossip: cannot load the shared library; build it with "
                    "`make python` (or bindings/c/build.sh) or set LIBGOSSIP_LIBRARY. Tried:\n  "
                    + "\n  ".join(errors))
    return _lib
