/*
 * libgossip.h — the C API of libgossip, a SWIM gossip membership library.
 *
 * Build the library from bindings/c:
 *
 *     ./build.sh /usr/local          # or any prefix; default ./build
 *
 * which installs include/libgossip.h, lib/libgossip.so (shared) and
 * lib/libgossip.a (static). Link with -lgossip; the static library also
 * needs -lpthread (and -lresolv on some systems).
 *
 * Two ways to use it:
 *
 *  1. gossip_core_*: the protocol as a pure state machine. The program brings
 *     its own transport and clock: it calls gossip_core_tick() when
 *     gossip_core_next_deadline() says so, feeds every received packet to
 *     gossip_core_handle_message(), and delivers the packets the core hands
 *     to its send callback. Nothing runs in the background.
 *
 *  2. gossip_node_*: a networked member over the built-in UDP/TCP transport.
 *     The library runs the protocol on its own threads; events reach an
 *     event callback on a library thread.
 *
 * HANDLES. Every object (core, node, node view) is a 64-bit integer handle;
 * 0 is never a valid handle. C never holds a pointer into Go memory. A handle
 * stays valid until its destroy function is called; after that, and for any
 * value never returned by the library, functions return
 * GOSSIP_ERR_INVALID_HANDLE. Handles of one kind are rejected by functions
 * of another kind.
 *
 * ERRORS. Every function returns a gossip_status (0 on success, negative on
 * failure). On failure, gossip_last_error() returns a message describing it.
 * The message is THREAD-LOCAL: it belongs to the calling thread, is set by
 * every failing call on that thread and is left unchanged by successful calls
 * (like errno). No function aborts or crashes on bad input: NULL pointers,
 * invalid handles and malformed bytes are reported as errors.
 *
 * OWNERSHIP. Pointers passed in are only read during the call and never
 * retained (copy what you need). Every pointer the library returns through an
 * out-parameter is owned by the caller and must be released with the free
 * function named in its documentation: gossip_string_free,
 * gossip_strings_free or gossip_views_free. Pointers passed to callbacks are
 * valid only until the callback returns.
 *
 * THREADS. Every function may be called from any thread, and from several
 * threads at once, on the same or different handles. Calls on one core are
 * serialized by a lock inside the handle; callbacks are never invoked while
 * that lock is held, so a callback may call back into the library (for
 * instance deliver a packet to another core in the same process). A core's
 * callbacks run on the thread that made the call which produced the output.
 * A node's event callback runs on a library thread, one event at a time, in
 * order; it must not call gossip_node_stop or gossip_node_destroy on its own
 * node (those calls return GOSSIP_ERR_STATE from inside the callback).
 *
 * CALLBACK LIFETIME. Once gossip_core_destroy, or gossip_node_stop or
 * gossip_node_destroy, has returned GOSSIP_OK, no callback of that core or
 * node is running or will run: the user pointer given with the callback may
 * be freed. A node's stop or destroy that returns GOSSIP_ERR_TIMEOUT makes
 * no such promise yet (a callback is still running); call it again.
 */
#ifndef LIBGOSSIP_H
#define LIBGOSSIP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes ------------------------------------------------------ */

/** gossip_status is returned by every function: 0 or a negative error. */
typedef int gossip_status;

#define GOSSIP_OK 0
/** A NULL pointer, empty or oversized string, or out-of-range value. */
#define GOSSIP_ERR_INVALID_ARGUMENT (-1)
/** The handle is 0, destroyed, never issued, or of another kind. */
#define GOSSIP_ERR_INVALID_HANDLE (-2)
/** gossip_core_handle_message: the bytes are not a valid packet; the core's
 * state is unchanged and the packet is counted in stats.malformed. */
#define GOSSIP_ERR_MALFORMED (-3)
/** The object is in the wrong state: the member has left, a node is not
 * running or already started, or a call was made from inside a callback
 * where it is not allowed. */
#define GOSSIP_ERR_STATE (-4)
/** A network operation failed: binding, or reaching every join seed. */
#define GOSSIP_ERR_NETWORK (-5)
/** The operation did not finish within its timeout. */
#define GOSSIP_ERR_TIMEOUT (-6)
/** gossip_view_get_meta: the key is not set. */
#define GOSSIP_ERR_NOT_FOUND (-7)
/** A bug in libgossip, recovered from; the message says where. */
#define GOSSIP_ERR_INTERNAL (-8)

/**
 * gossip_last_error returns the message of the most recent failed call made
 * by the calling thread, or "" if none has failed. The string is owned by the
 * library and stays valid until the next failing call on the same thread; do
 * not free it.
 */
const char *gossip_last_error(void);

/** gossip_status_name returns a static name for a status ("GOSSIP_OK",
 * "GOSSIP_ERR_MALFORMED", ...). Never NULL; do not free it. */
const char *gossip_status_name(gossip_status status);

/* ---- handles and constants --------------------------------------------- */

/** A protocol core (gossip_core_*). */
typedef uint64_t gossip_core_t;
/** A networked node (gossip_node_*). */
typedef uint64_t gossip_node_t;
/** A node view: one member's id, address, state, incarnation, metadata. */
typedef uint64_t gossip_view_t;

/** Member states (gossip_view_get_state). */
#define GOSSIP_STATE_ALIVE 0
#define GOSSIP_STATE_SUSPECT 1
#define GOSSIP_STATE_DEAD 2 /* declared failed */
#define GOSSIP_STATE_LEFT 3

/** Event types (gossip_event.type). */
#define GOSSIP_EVENT_JOIN 1     /* a member became known and alive */
#define GOSSIP_EVENT_UPDATE 2   /* an alive member changed its metadata */
#define GOSSIP_EVENT_SUSPECT 3  /* a member is suspected of failure */
#define GOSSIP_EVENT_ALIVE 4    /* a suspected member refuted the suspicion */
#define GOSSIP_EVENT_FAILED 5   /* a member was declared failed */
#define GOSSIP_EVENT_LEFT 6     /* a member left gracefully */
#define GOSSIP_EVENT_CONFLICT 7 /* two live members claim one id */
#define GOSSIP_EVENT_USER 8     /* a user broadcast arrived */
#define GOSSIP_EVENT_REFUTED 9  /* this member refuted a suspicion or death
                                   of itself (raised its incarnation) */

/** Event origins (gossip_event.origin): what made this member observe the
 * event. 0 is never produced by the library; it is what a zeroed event
 * holds. */
#define GOSSIP_ORIGIN_UNKNOWN 0
/** This member's own timers and probes (a failure declared when its own
 * suspicion timeout ran out, a suspicion raised after its own probe failed)
 * or a call of its owner (meet, set_meta, ...). */
#define GOSSIP_ORIGIN_LOCAL 1
/** A message from another member (a failure or suspicion learned from
 * gossip, an announcement, a broadcast). */
#define GOSSIP_ORIGIN_GOSSIP 2

/** The most accusers a gossip_event lists. */
#define GOSSIP_MAX_ACCUSERS 16

/** Pass as now_ms to gossip_core_* to use the system clock. */
#define GOSSIP_NOW (-1)

/* ---- configuration ----------------------------------------------------- */

/**
 * gossip_config tunes a core or node. Zero every field (or pass NULL) for
 * the LAN preset. Strings are copied during the create call.
 */
typedef struct gossip_config {
    /** "lan" (default when NULL or ""), "wan" or "local" (one host). */
    const char *preset;
    /** Overrides of the preset in milliseconds; 0 keeps the preset's. */
    int64_t probe_interval_ms;
    int64_t probe_timeout_ms;
    int64_t gossip_interval_ms;
    /** Suspicion timeout multiplier; 0 keeps the preset's. */
    int32_t suspicion_mult;
    /** Seed of the core's random source; 0 derives it from the id. */
    uint64_t seed;
    /* The fields below apply to gossip_node_create only. */
    /** Wire codec: "binary" (default when NULL or "") or "json". */
    const char *codec;
    /** Encryption key, standard base64 of 16, 24 or 32 bytes (AES-GCM);
     * NULL or "" for none. Every member must use the same key. */
    const char *key_base64;
    /** Cluster label; members with different labels never talk. NULL or ""
     * for none. */
    const char *label;
} gossip_config;

/* ---- memory ------------------------------------------------------------ */

/** Frees a string returned by the library. NULL is ignored. */
void gossip_string_free(char *s);
/** Frees an array of n strings returned by the library and the strings.
 * NULL is ignored. */
void gossip_strings_free(char **strs, size_t n);
/** Destroys the n view handles in views and frees the array, as returned
 * by gossip_core_members / gossip_node_members. NULL is ignored. */
void gossip_views_free(gossip_view_t *views, size_t n);

/* ---- node views -------------------------------------------------------- */

/** Creates an empty view (state alive, incarnation 1, no metadata). The
 * caller owns *out and releases it with gossip_view_destroy. */
gossip_status gossip_view_create(gossip_view_t *out);
/** Creates a copy of v owned by the caller. */
gossip_status gossip_view_clone(gossip_view_t v, gossip_view_t *out);
/** Destroys v. */
gossip_status gossip_view_destroy(gossip_view_t v);

/** Sets the member id (at most 255 bytes, not empty). */
gossip_status gossip_view_set_id(gossip_view_t v, const char *id);
/** *out = a copy of the id; free with gossip_string_free. */
gossip_status gossip_view_get_id(gossip_view_t v, char **out);
/** Sets the address other members send to, "host:port". */
gossip_status gossip_view_set_address(gossip_view_t v, const char *addr);
/** *out = a copy of the address; free with gossip_string_free. */
gossip_status gossip_view_get_address(gossip_view_t v, char **out);
/** Sets the state (GOSSIP_STATE_*). */
gossip_status gossip_view_set_state(gossip_view_t v, int state);
gossip_status gossip_view_get_state(gossip_view_t v, int *out);
/** Sets the incarnation number (higher wins). */
gossip_status gossip_view_set_incarnation(gossip_view_t v, uint64_t inc);
gossip_status gossip_view_get_incarnation(gossip_view_t v, uint64_t *out);
/** Sets metadata key to value (both copied; key not empty). */
gossip_status gossip_view_set_meta(gossip_view_t v, const char *key, const char *value);
/** *out = a copy of the value of key; free with gossip_string_free.
 * Returns GOSSIP_ERR_NOT_FOUND when the key is not set. */
gossip_status gossip_view_get_meta(gossip_view_t v, const char *key, char **out);
/** Removes key (no error if absent). */
gossip_status gossip_view_delete_meta(gossip_view_t v, const char *key);
/** *keys = the metadata keys in sorted order, *n = their count; free with
 * gossip_strings_free(*keys, *n). */
gossip_status gossip_view_meta_keys(gossip_view_t v, char ***keys, size_t *n);

/* ---- events ------------------------------------------------------------ */

/**
 * gossip_event describes one membership change or user broadcast. It and
 * every pointer and handle in it (the accusers array and its strings
 * included) are valid only during the callback; copy what you keep
 * (gossip_view_clone for the member).
 *
 * ABI: the library allocates every gossip_event and only passes a pointer
 * to callbacks; programs never allocate one or take its size. New fields are
 * therefore only ever appended at the end, and a program compiled against
 * an older header (which reads only the fields it knows) keeps working
 * unchanged with a newer library. origin, accusers and accusers_len were
 * appended in version 0.2.0 (gossip_version()).
 */
typedef struct gossip_event {
    int type;             /* GOSSIP_EVENT_* */
    const char *id;       /* the member's id */
    const char *address;  /* the member's address */
    int state;            /* the member's state after the change */
    uint64_t incarnation; /* the member's incarnation after the change */
    gossip_view_t member; /* full view, including metadata */
    const uint8_t *payload; /* GOSSIP_EVENT_USER: the broadcast's bytes */
    size_t payload_len;
    int64_t time_ms;      /* the now of the call that produced the event */
    int origin;           /* GOSSIP_ORIGIN_*: own timer/call or gossip */
    /* The ids of the members that suspected or declared the member failed,
     * for GOSSIP_EVENT_SUSPECT, _FAILED and _REFUTED, in the order their
     * accusations arrived (this member's own id when it accused); at most
     * GOSSIP_MAX_ACCUSERS. A failure declared by this member's own timer
     * (origin GOSSIP_ORIGIN_LOCAL) lists every accuser its suspicion
     * collected; one learned from gossip lists the member that declared it.
     * accusers is NULL when accusers_len is 0. The array and its strings are
     * owned by the library and valid only during the callback: copy them,
     * never free them. */
    const char *const *accusers;
    size_t accusers_len;
} gossip_event;

/** Receives events. user is the pointer given at registration. */
typedef void (*gossip_event_fn)(void *user, const gossip_event *event);

/**
 * Delivers one packet produced by a core to the member at address to.
 * reliable != 0 asks for a stream (ordered, retried) delivery, as used for
 * full-state exchange; a program without streams may send it as a packet of
 * any size. data is valid only during the call.
 */
typedef void (*gossip_send_fn)(void *user, const char *to, const uint8_t *data,
                               size_t len, int reliable);

/* ---- the protocol core (bring your own transport) ---------------------- */

/**
 * Creates a core for the member self (its id and address are required; when
 * the id is empty the address is used as id; its metadata is the initial
 * metadata). send and on_event may be NULL (output is then discarded). They
 * are called with user during gossip_core_* calls, after the core's lock is
 * released, on the calling thread. The caller owns *out and releases it with
 * gossip_core_destroy.
 */
gossip_status gossip_core_create(const gossip_config *cfg, gossip_view_t self,
                                 gossip_send_fn send, gossip_event_fn on_event,
                                 void *user, gossip_core_t *out);
/** Destroys the core. No callback of the core starts after it returns, and
 * callbacks already running on other threads (for calls made before the
 * destroy) are waited for, so the user pointer may be freed once it returns.
 * Called from inside one of this core's own callbacks, it does not wait for
 * the callback it is called from. */
gossip_status gossip_core_destroy(gossip_core_t c);

/** Advances the core to now_ms (milliseconds since the Unix epoch, or any
 * monotonic origin used consistently; GOSSIP_NOW for the system clock):
 * starts due probes, gossip rounds and timeouts. */
gossip_status gossip_core_tick(gossip_core_t c, int64_t now_ms);
/** *out_ms = the earliest time at which gossip_core_tick has work to do. */
gossip_status gossip_core_next_deadline(gossip_core_t c, int64_t *out_ms);
/** Processes one packet of len bytes received from address from. Invalid
 * bytes return GOSSIP_ERR_MALFORMED and leave the core unchanged. */
gossip_status gossip_core_handle_message(gossip_core_t c, int64_t now_ms, const char *from,
                                         const uint8_t *data, size_t len);
/** Adds the member v (id and address required) as alive and introduces this
 * member to it. */
gossip_status gossip_core_meet(gossip_core_t c, int64_t now_ms, gossip_view_t v);
/** Starts joining through n seed addresses (a full-state exchange with
 * each, sent as reliable messages). */
gossip_status gossip_core_join(gossip_core_t c, int64_t now_ms, const char *const *seeds,
                               size_t n);
/** Announces a graceful departure. Keep ticking for a few gossip intervals
 * so that the announcement spreads. */
gossip_status gossip_core_leave(gossip_core_t c, int64_t now_ms);
/** Replaces the local member's metadata with n key/value pairs. */
gossip_status gossip_core_set_meta(gossip_core_t c, int64_t now_ms, const char *const *keys,
                                   const char *const *values, size_t n);
/** Spreads len bytes to every other member (GOSSIP_EVENT_USER there). */
gossip_status gossip_core_broadcast(gossip_core_t c, int64_t now_ms, const uint8_t *data,
                                    size_t len);
/** *out = a new view of the local member, owned by the caller. */
gossip_status gossip_core_local_node(gossip_core_t c, gossip_view_t *out);
/** *views = new views of every known member (this one included, sorted by
 * id), *n = their count; free with gossip_views_free(*views, *n). */
gossip_status gossip_core_members(gossip_core_t c, gossip_view_t **views, size_t *n);

/** Counters of a core or node since it was created. */
typedef struct gossip_stats {
    uint64_t packets_in, packets_out, bytes_in, bytes_out;
    uint64_t malformed; /* inputs rejected as malformed */
    uint64_t probes, probes_failed, suspicions, failed;
    int64_t members, live_members; /* records held and alive/suspect, self excluded */
} gossip_stats;

/** Fills *out with the core's counters. */
gossip_status gossip_core_stats(gossip_core_t c, gossip_stats *out);

/* ---- the networked node (built-in UDP/TCP transport) ------------------- */

/**
 * Creates a node with the given id (not empty) that will listen on bind,
 * "scheme://host:port" with scheme udp, tcp or hybrid (UDP packets and TCP
 * streams on one port; the default when the scheme is omitted). Port 0 picks
 * a free port. Nothing is opened until gossip_node_start. The caller owns
 * *out and releases it with gossip_node_destroy.
 */
gossip_status gossip_node_create(const gossip_config *cfg, const char *id, const char *bind,
                                 gossip_node_t *out);
/** Sets (or clears, with NULL) the event callback. Events are delivered on
 * a library thread, one at a time, in order. Set it before start to see
 * every event. Up to 4096 events wait for a slow callback; beyond that new
 * events are dropped and counted (gossip_node_events_dropped): the protocol
 * never waits for the callback. */
gossip_status gossip_node_set_event_callback(gossip_node_t n, gossip_event_fn fn, void *user);
/** Binds the sockets and starts the protocol. */
gossip_status gossip_node_start(gossip_node_t n);
/** *out = the address other members use; free with gossip_string_free. */
gossip_status gossip_node_address(gossip_node_t n, char **out);
/** Joins through n seed addresses, waiting at most timeout_ms (0: 10 s)
 * until one of them answered. */
gossip_status gossip_node_join(gossip_node_t n, const char *const *seeds, size_t count,
                               int64_t timeout_ms);
/** Adds a member known by other means (full mesh without seeds). */
gossip_status gossip_node_meet(gossip_node_t n, gossip_view_t v);
/** *views = every known member, *count = their number; free with
 * gossip_views_free. live_only != 0 keeps alive and suspect members only. */
gossip_status gossip_node_members(gossip_node_t n, int live_only, gossip_view_t **views,
                                  size_t *count);
/** *out = a new view of this member, owned by the caller. */
gossip_status gossip_node_local_node(gossip_node_t n, gossip_view_t *out);
/** Replaces this member's metadata with count key/value pairs. */
gossip_status gossip_node_set_meta(gossip_node_t n, const char *const *keys,
                                   const char *const *values, size_t count);
/** Spreads len bytes to every other member. */
gossip_status gossip_node_broadcast(gossip_node_t n, const uint8_t *data, size_t len);
/** Fills *out with the node's counters. */
gossip_status gossip_node_stats(gossip_node_t n, gossip_stats *out);
/** Announces a graceful departure and waits up to timeout_ms (0: 5 s) for
 * it to be sent. The node keeps answering until stopped. */
gossip_status gossip_node_leave(gossip_node_t n, int64_t timeout_ms);
/**
 * Stops the protocol and closes the sockets, waiting up to timeout_ms
 * (0: 5 s). From the moment it is called no new event callback starts.
 * GOSSIP_OK means no event callback is running either, now or later: the
 * user pointer may be freed. GOSSIP_ERR_TIMEOUT means a callback that was
 * already running had not returned after timeout_ms; it may still be
 * running, so keep the user pointer alive and call gossip_node_stop again
 * (it waits for that callback again) or gossip_node_destroy. Stop after a
 * stop that returned GOSSIP_OK returns GOSSIP_OK at once. A stopped node
 * cannot be started again.
 */
gossip_status gossip_node_stop(gossip_node_t n, int64_t timeout_ms);
/**
 * Stops the node like gossip_node_stop with a 5 s timeout, then destroys the
 * handle. On GOSSIP_ERR_TIMEOUT (an event callback is still running) the
 * handle stays valid and nothing is freed: call gossip_node_destroy again.
 */
gossip_status gossip_node_destroy(gossip_node_t n);
/** *out = the number of events dropped because the event callback fell more
 * than 4096 events behind, since the node was created. */
gossip_status gossip_node_events_dropped(gossip_node_t n, uint64_t *out);

/** Returns the library version string (static; do not free). */
const char *gossip_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBGOSSIP_H */
