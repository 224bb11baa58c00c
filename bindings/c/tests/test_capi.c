/*
 * Tests of the libgossip C API, compiled with gcc against the installed
 * header and run by test-extra.sh (once linked with the shared library,
 * once with the static one):
 *
 *   - every function with NULL pointers and invalid handles returns an
 *     error code and sets gossip_last_error;
 *   - malformed bytes through gossip_core_handle_message are rejected;
 *   - three cores over an in-process network form a cluster and detect a
 *     crashed member (virtual time, deterministic);
 *   - three networked nodes on loopback form a cluster, see metadata, a
 *     failure and a graceful leave;
 *   - several threads call into the library at once, and each thread sees
 *     its own last error.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libgossip.h"
#include "check.h"

/* ---- NULL and invalid handles ------------------------------------------ */

static void test_invalid(void) {
    const gossip_view_t bad = 987654321;
    char *s = NULL;
    int i = 0;
    uint64_t u = 0;
    int64_t t = 0;
    size_t n = 0;
    char **keys = NULL;
    gossip_view_t *views = NULL;
    gossip_view_t v = 0;
    gossip_core_t c = 0;
    gossip_node_t nd = 0;
    gossip_stats stats;
    const uint8_t byte = 0;
    const char *seeds[] = {"127.0.0.1:1"};
    const char *nullseeds[] = {NULL};

    /* views */
    EXPECT_ERR(gossip_view_create(NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_clone(bad, &v), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_destroy(0), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_destroy(bad), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_set_id(bad, "x"), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_get_id(bad, &s), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_set_address(bad, "x"), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_get_address(bad, &s), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_set_state(bad, 0), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_get_state(bad, &i), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_set_incarnation(bad, 1), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_get_incarnation(bad, &u), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_set_meta(bad, "k", "v"), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_get_meta(bad, "k", &s), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_delete_meta(bad, "k"), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_view_meta_keys(bad, &keys, &n), GOSSIP_ERR_INVALID_HANDLE);

    EXPECT_OK(gossip_view_create(&v));
    EXPECT_ERR(gossip_view_clone(v, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_set_id(v, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_set_id(v, ""), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_get_id(v, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_set_address(v, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_get_address(v, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_set_state(v, 17), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_set_state(v, -1), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_get_state(v, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_get_incarnation(v, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_set_meta(v, NULL, "v"), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_set_meta(v, "k", NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_set_meta(v, "", "v"), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_get_meta(v, NULL, &s), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_get_meta(v, "k", NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_get_meta(v, "absent", &s), GOSSIP_ERR_NOT_FOUND);
    EXPECT_ERR(gossip_view_delete_meta(v, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_meta_keys(v, NULL, &n), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_view_meta_keys(v, &keys, NULL), GOSSIP_ERR_INVALID_ARGUMENT);

    /* a view handle is not a core or node handle, and vice versa */
    EXPECT_ERR(gossip_core_tick(v, GOSSIP_NOW), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_start(v), GOSSIP_ERR_INVALID_HANDLE);

    /* cores */
    EXPECT_ERR(gossip_core_create(NULL, v, NULL, NULL, NULL, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_core_create(NULL, bad, NULL, NULL, NULL, &c), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_create(NULL, v, NULL, NULL, NULL, &c), GOSSIP_ERR_INVALID_ARGUMENT); /* no address */
    gossip_config badcfg = {.preset = "moon"};
    EXPECT_OK(gossip_view_set_address(v, "127.0.0.1:7000"));
    EXPECT_ERR(gossip_core_create(&badcfg, v, NULL, NULL, NULL, &c), GOSSIP_ERR_INVALID_ARGUMENT);
    gossip_config negcfg = {.probe_interval_ms = -5};
    EXPECT_ERR(gossip_core_create(&negcfg, v, NULL, NULL, NULL, &c), GOSSIP_ERR_INVALID_ARGUMENT);
    gossip_config inconsistent = {.probe_interval_ms = 100, .probe_timeout_ms = 500};
    EXPECT_ERR(gossip_core_create(&inconsistent, v, NULL, NULL, NULL, &c), GOSSIP_ERR_INVALID_ARGUMENT);

    EXPECT_ERR(gossip_core_destroy(0), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_destroy(bad), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_tick(bad, 0), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_next_deadline(bad, &t), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_handle_message(bad, 0, "a", &byte, 1), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_meet(bad, 0, v), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_join(bad, 0, seeds, 1), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_leave(bad, 0), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_set_meta(bad, 0, NULL, NULL, 0), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_broadcast(bad, 0, &byte, 1), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_local_node(bad, &v), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_members(bad, &views, &n), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_stats(bad, &stats), GOSSIP_ERR_INVALID_HANDLE);

    EXPECT_OK(gossip_core_create(NULL, v, NULL, NULL, NULL, &c));
    EXPECT_ERR(gossip_core_next_deadline(c, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_core_handle_message(c, 0, NULL, &byte, 1), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_core_handle_message(c, 0, "a", NULL, 5), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_core_handle_message(c, 0, "a", NULL, 0), GOSSIP_ERR_MALFORMED);
    EXPECT_ERR(gossip_core_meet(c, 0, bad), GOSSIP_ERR_INVALID_HANDLE);
    gossip_view_t empty;
    EXPECT_OK(gossip_view_create(&empty));
    EXPECT_ERR(gossip_core_meet(c, 0, empty), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_OK(gossip_view_destroy(empty));
    EXPECT_ERR(gossip_core_join(c, 0, NULL, 1), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_core_join(c, 0, nullseeds, 1), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_core_join(c, 0, NULL, 0), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_core_set_meta(c, 0, NULL, NULL, 2), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_core_broadcast(c, 0, NULL, 3), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_core_local_node(c, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_core_members(c, NULL, &n), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_core_members(c, &views, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_core_stats(c, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_OK(gossip_core_leave(c, 0));
    EXPECT_ERR(gossip_core_broadcast(c, 0, &byte, 1), GOSSIP_ERR_STATE);
    EXPECT_OK(gossip_core_destroy(c));
    EXPECT_ERR(gossip_core_tick(c, 0), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_core_destroy(c), GOSSIP_ERR_INVALID_HANDLE);

    /* nodes */
    EXPECT_ERR(gossip_node_create(NULL, "a", "127.0.0.1:0", NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_node_create(NULL, NULL, "127.0.0.1:0", &nd), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_node_create(NULL, "a", NULL, &nd), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_node_create(NULL, "a", "quic://127.0.0.1:0", &nd), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_node_create(NULL, "a", "no-port", &nd), GOSSIP_ERR_INVALID_ARGUMENT);
    gossip_config badkey = {.key_base64 = "not base64!"};
    EXPECT_ERR(gossip_node_create(&badkey, "a", "127.0.0.1:0", &nd), GOSSIP_ERR_INVALID_ARGUMENT);
    gossip_config badcodec = {.codec = "xml"};
    EXPECT_ERR(gossip_node_create(&badcodec, "a", "127.0.0.1:0", &nd), GOSSIP_ERR_INVALID_ARGUMENT);

    EXPECT_ERR(gossip_node_set_event_callback(bad, NULL, NULL), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_start(bad), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_address(bad, &s), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_join(bad, seeds, 1, 10), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_meet(bad, v), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_members(bad, 0, &views, &n), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_local_node(bad, &v), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_set_meta(bad, NULL, NULL, 0), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_broadcast(bad, &byte, 1), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_stats(bad, &stats), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_leave(bad, 10), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_stop(bad, 10), GOSSIP_ERR_INVALID_HANDLE);
    EXPECT_ERR(gossip_node_destroy(bad), GOSSIP_ERR_INVALID_HANDLE);

    /* a node that is created but not started */
    EXPECT_OK(gossip_node_create(NULL, "idle", "127.0.0.1:0", &nd));
    EXPECT_ERR(gossip_node_address(nd, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_node_join(nd, seeds, 1, 10), GOSSIP_ERR_STATE);
    EXPECT_ERR(gossip_node_join(nd, NULL, 0, 10), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_node_meet(nd, v), GOSSIP_ERR_STATE);
    EXPECT_ERR(gossip_node_members(nd, 0, NULL, &n), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_node_local_node(nd, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_node_set_meta(nd, NULL, NULL, 0), GOSSIP_ERR_STATE);
    EXPECT_ERR(gossip_node_broadcast(nd, NULL, 1), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_node_stats(nd, NULL), GOSSIP_ERR_INVALID_ARGUMENT);
    EXPECT_ERR(gossip_node_leave(nd, 10), GOSSIP_ERR_STATE);
    EXPECT_OK(gossip_node_stop(nd, 0));
    EXPECT_ERR(gossip_node_start(nd), GOSSIP_ERR_STATE);
    EXPECT_OK(gossip_node_destroy(nd));
    EXPECT_ERR(gossip_node_destroy(nd), GOSSIP_ERR_INVALID_HANDLE);

    /* free functions accept NULL */
    gossip_string_free(NULL);
    gossip_strings_free(NULL, 3);
    gossip_views_free(NULL, 3);
    CHECK(strcmp(gossip_status_name(-99), "GOSSIP_ERR_UNKNOWN") == 0, "status name of -99");
    CHECK(gossip_version()[0] != '\0', "empty version");
    EXPECT_OK(gossip_view_destroy(v));
}

/* ---- node views ---------------------------------------------------------- */

static void test_views(void) {
    gossip_view_t v, w;
    char *s;
    int state;
    uint64_t inc;
    char **keys;
    size_t n;
    EXPECT_OK(gossip_view_create(&v));
    EXPECT_OK(gossip_view_set_id(v, "node-a"));
    EXPECT_OK(gossip_view_set_address(v, "10.0.0.1:7946"));
    EXPECT_OK(gossip_view_set_state(v, GOSSIP_STATE_SUSPECT));
    EXPECT_OK(gossip_view_set_incarnation(v, 42));
    EXPECT_OK(gossip_view_set_meta(v, "zone", "eu-1"));
    EXPECT_OK(gossip_view_set_meta(v, "role", "db"));
    EXPECT_OK(gossip_view_clone(v, &w));
    EXPECT_OK(gossip_view_delete_meta(v, "role"));
    EXPECT_OK(gossip_view_delete_meta(v, "absent"));

    EXPECT_OK(gossip_view_get_id(w, &s));
    CHECK(strcmp(s, "node-a") == 0, "id %s", s);
    gossip_string_free(s);
    EXPECT_OK(gossip_view_get_address(w, &s));
    CHECK(strcmp(s, "10.0.0.1:7946") == 0, "address %s", s);
    gossip_string_free(s);
    EXPECT_OK(gossip_view_get_state(w, &state));
    CHECK(state == GOSSIP_STATE_SUSPECT, "state %d", state);
    EXPECT_OK(gossip_view_get_incarnation(w, &inc));
    CHECK(inc == 42, "incarnation %llu", (unsigned long long)inc);
    EXPECT_OK(gossip_view_meta_keys(w, &keys, &n));
    CHECK(n == 2 && strcmp(keys[0], "role") == 0 && strcmp(keys[1], "zone") == 0,
          "clone keys: n=%zu", n);
    gossip_strings_free(keys, n);
    EXPECT_OK(gossip_view_meta_keys(v, &keys, &n));
    CHECK(n == 1, "original keys after delete: %zu", n);
    gossip_strings_free(keys, n);
    EXPECT_OK(gossip_view_get_meta(v, "zone", &s));
    CHECK(strcmp(s, "eu-1") == 0, "zone %s", s);
    gossip_string_free(s);
    EXPECT_OK(gossip_view_destroy(v));
    EXPECT_OK(gossip_view_destroy(w));
}

/* ---- an in-process network of cores ------------------------------------ */

#define NCORES 3
#define MAXQ 65536

typedef struct msg {
    int from, to;
    uint8_t *data;
    size_t len;
} msg;

typedef struct vnet vnet;

typedef struct member {
    vnet *net;
    int idx;
    char addr[32];
    char id[32];
    gossip_core_t core;
    int down;
    int events[9];
    int failed_seen[NCORES];
    int left_seen[NCORES];
} member;

struct vnet {
    member m[NCORES];
    msg q[MAXQ];
    size_t head, tail;
    int64_t now;
    uint8_t *captured; /* one real packet, for the malformed-input test */
    size_t captured_len;
};

static int addr_index(vnet *net, const char *addr) {
    for (int i = 0; i < NCORES; i++) {
        if (strcmp(net->m[i].addr, addr) == 0) {
            return i;
        }
    }
    return -1;
}

static void on_send(void *user, const char *to, const uint8_t *data, size_t len, int reliable) {
    (void)reliable;
    member *m = user;
    vnet *net = m->net;
    int dst = addr_index(net, to);
    if (dst < 0 || net->tail - net->head >= MAXQ) {
        return;
    }
    if (net->captured == NULL && len > 8) {
        net->captured = malloc(len);
        memcpy(net->captured, data, len);
        net->captured_len = len;
    }
    msg *q = &net->q[net->tail++ % MAXQ];
    q->from = m->idx;
    q->to = dst;
    q->data = malloc(len);
    memcpy(q->data, data, len);
    q->len = len;
}

static void on_event(void *user, const gossip_event *ev) {
    member *m = user;
    if (ev->type > 0 && ev->type < 9) {
        m->events[ev->type]++;
    }
    int who = -1;
    for (int i = 0; i < NCORES; i++) {
        if (strcmp(m->net->m[i].id, ev->id) == 0) {
            who = i;
        }
    }
    if (who >= 0 && ev->type == GOSSIP_EVENT_FAILED) {
        m->failed_seen[who] = 1;
    }
    if (who >= 0 && ev->type == GOSSIP_EVENT_LEFT) {
        m->left_seen[who] = 1;
    }
    /* the member view is valid during the callback */
    char *id = NULL;
    CHECK(gossip_view_get_id(ev->member, &id) == GOSSIP_OK && strcmp(id, ev->id) == 0,
          "event view id %s vs %s", id ? id : "(null)", ev->id);
    gossip_string_free(id);
}

static void vnet_deliver(vnet *net) {
    while (net->head < net->tail) {
        msg *q = &net->q[net->head++ % MAXQ];
        member *dst = &net->m[q->to];
        if (!dst->down && !net->m[q->from].down) {
            gossip_status st = gossip_core_handle_message(dst->core, net->now,
                                                          net->m[q->from].addr, q->data, q->len);
            CHECK(st == GOSSIP_OK, "delivery %d->%d: %s", q->from, q->to, gossip_status_name(st));
        }
        free(q->data);
    }
}

static void vnet_step(vnet *net, int64_t dt) {
    net->now += dt;
    for (int i = 0; i < NCORES; i++) {
        if (!net->m[i].down) {
            gossip_core_tick(net->m[i].core, net->now);
        }
    }
    vnet_deliver(net);
}

static int live_count(member *m) {
    gossip_view_t *views;
    size_t n;
    int live = 0;
    if (gossip_core_members(m->core, &views, &n) != GOSSIP_OK) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int st;
        gossip_view_get_state(views[i], &st);
        if (st == GOSSIP_STATE_ALIVE) {
            live++;
        }
    }
    gossip_views_free(views, n);
    return live;
}

/* Malformed input: random bytes, truncations and bit flips of a real packet
 * captured from the cluster, fed to a fresh core. Each is rejected with
 * GOSSIP_ERR_MALFORMED or, if it happens to decode, accepted; the core
 * survives, counts what it rejected and keeps working. */
static void test_malformed(const uint8_t *captured, size_t captured_len) {
    gossip_view_t self;
    gossip_core_t c;
    EXPECT_OK(gossip_view_create(&self));
    EXPECT_OK(gossip_view_set_id(self, "victim"));
    EXPECT_OK(gossip_view_set_address(self, "10.0.0.50:7946"));
    EXPECT_OK(gossip_core_create(NULL, self, NULL, NULL, NULL, &c));
    gossip_view_destroy(self);
    CHECK(captured != NULL, "no packet captured");
    if (captured == NULL) {
        return;
    }
    gossip_stats before, after;
    EXPECT_OK(gossip_core_stats(c, &before));
    srand(1);
    int rejected = 0;
    int64_t now = 5000000;
    for (int k = 0; k < 3000; k++) {
        uint8_t buf[512];
        size_t len;
        if (k % 3 == 0) {
            len = (size_t)(rand() % (int)sizeof buf);
            for (size_t b = 0; b < len; b++) {
                buf[b] = (uint8_t)rand();
            }
        } else {
            len = captured_len < sizeof buf ? captured_len : sizeof buf;
            memcpy(buf, captured, len);
            if (k % 3 == 1) {
                len = (size_t)(rand() % (int)len);
            } else {
                buf[rand() % (int)len] ^= (uint8_t)(1u << (rand() % 8));
            }
        }
        gossip_status st = gossip_core_handle_message(c, now++, "10.9.9.9:1", buf, len);
        CHECK(st == GOSSIP_OK || st == GOSSIP_ERR_MALFORMED, "malformed input %d: %s", k,
              gossip_status_name(st));
        if (st == GOSSIP_ERR_MALFORMED) {
            rejected++;
            CHECK(strstr(gossip_last_error(), "handle_message") != NULL, "message: %s",
                  gossip_last_error());
        }
        EXPECT_OK(gossip_core_tick(c, now));
    }
    EXPECT_OK(gossip_core_stats(c, &after));
    CHECK(rejected > 1500, "only %d of 3000 malformed inputs rejected", rejected);
    CHECK(after.malformed - before.malformed == (uint64_t)rejected, "malformed counter %llu, rejected %d",
          (unsigned long long)(after.malformed - before.malformed), rejected);
    gossip_view_t *views;
    size_t n;
    EXPECT_OK(gossip_core_members(c, &views, &n));
    gossip_views_free(views, n);
    EXPECT_OK(gossip_core_destroy(c));
    printf("malformed: %d of 3000 corrupted packets rejected, core intact\n", rejected);
}

static void test_core_cluster(void) {
    static vnet net; /* large: keep it off the stack */
    memset(&net, 0, sizeof net);
    net.now = 1000000;
    gossip_config cfg = {.preset = "local", .seed = 7};
    for (int i = 0; i < NCORES; i++) {
        member *m = &net.m[i];
        m->net = &net;
        m->idx = i;
        snprintf(m->addr, sizeof m->addr, "10.0.0.%d:7946", i + 1);
        snprintf(m->id, sizeof m->id, "core-%d", i + 1);
        gossip_view_t self;
        EXPECT_OK(gossip_view_create(&self));
        EXPECT_OK(gossip_view_set_id(self, m->id));
        EXPECT_OK(gossip_view_set_address(self, m->addr));
        EXPECT_OK(gossip_view_set_meta(self, "index", i == 0 ? "0" : "n"));
        EXPECT_OK(gossip_core_create(&cfg, self, on_send, on_event, m, &m->core));
        EXPECT_OK(gossip_view_destroy(self));
    }
    /* full mesh: every core meets every other */
    for (int i = 0; i < NCORES; i++) {
        for (int j = 0; j < NCORES; j++) {
            if (i == j) {
                continue;
            }
            gossip_view_t v;
            gossip_view_create(&v);
            gossip_view_set_id(v, net.m[j].id);
            gossip_view_set_address(v, net.m[j].addr);
            EXPECT_OK(gossip_core_meet(net.m[i].core, net.now, v));
            gossip_view_destroy(v);
        }
    }
    vnet_deliver(&net);
    int formed = 0;
    for (int step = 0; step < 500 && !formed; step++) {
        vnet_step(&net, 10);
        formed = 1;
        for (int i = 0; i < NCORES; i++) {
            formed &= live_count(&net.m[i]) == NCORES;
        }
    }
    CHECK(formed, "3 cores did not form a cluster");

    int64_t deadline = 0;
    EXPECT_OK(gossip_core_next_deadline(net.m[0].core, &deadline));
    CHECK(deadline >= net.now, "next deadline %lld before now %lld", (long long)deadline,
          (long long)net.now);

    /* metadata and a broadcast spread */
    const char *k[] = {"role"};
    const char *val[] = {"leader"};
    EXPECT_OK(gossip_core_set_meta(net.m[0].core, net.now, k, val, 1));
    EXPECT_OK(gossip_core_broadcast(net.m[0].core, net.now, (const uint8_t *)"hi", 2));
    for (int step = 0; step < 100; step++) {
        vnet_step(&net, 10);
    }
    CHECK(net.m[1].events[GOSSIP_EVENT_UPDATE] > 0, "no update event at core-2");
    CHECK(net.m[2].events[GOSSIP_EVENT_USER] > 0, "no user event at core-3");

    /* crash core-3: the others declare it failed */
    net.m[2].down = 1;
    int detected = 0;
    for (int step = 0; step < 3000 && !detected; step++) {
        vnet_step(&net, 10);
        detected = net.m[0].failed_seen[2] && net.m[1].failed_seen[2];
    }
    CHECK(detected, "crash of core-3 not detected");
    printf("core cluster: formed, metadata spread, core-3 failure detected after %lld virtual ms\n",
           (long long)(net.now - 1000000));

    /* graceful leave of core-2 */
    EXPECT_OK(gossip_core_leave(net.m[1].core, net.now));
    for (int step = 0; step < 200 && !net.m[0].left_seen[1]; step++) {
        vnet_step(&net, 10);
    }
    CHECK(net.m[0].left_seen[1], "core-1 did not see core-2 leave");

    gossip_view_t local;
    EXPECT_OK(gossip_core_local_node(net.m[1].core, &local));
    int st;
    EXPECT_OK(gossip_view_get_state(local, &st));
    CHECK(st == GOSSIP_STATE_LEFT, "core-2 local state %d", st);
    gossip_view_destroy(local);

    for (int i = 0; i < NCORES; i++) {
        EXPECT_OK(gossip_core_destroy(net.m[i].core));
    }
    vnet_deliver(&net); /* frees queued messages; cores are gone */
    test_malformed(net.captured, net.captured_len);
    free(net.captured);
}

/* ---- networked nodes on loopback ------------------------------------------ */

typedef struct watch {
    pthread_mutex_t mu;
    int joins, failed, left, updates;
    char failed_id[64];
    int failed_origin;          /* of the first failure */
    size_t failed_naccusers;
    char failed_accuser[64];    /* its first accuser */
} watch;

static void on_node_event(void *user, const gossip_event *ev) {
    watch *w = user;
    pthread_mutex_lock(&w->mu);
    switch (ev->type) {
    case GOSSIP_EVENT_JOIN: w->joins++; break;
    case GOSSIP_EVENT_UPDATE: w->updates++; break;
    case GOSSIP_EVENT_LEFT: w->left++; break;
    case GOSSIP_EVENT_FAILED:
        if (w->failed++ == 0) {
            w->failed_origin = ev->origin;
            w->failed_naccusers = ev->accusers_len;
            snprintf(w->failed_accuser, sizeof w->failed_accuser, "%s",
                     ev->accusers_len > 0 ? ev->accusers[0] : "");
        }
        snprintf(w->failed_id, sizeof w->failed_id, "%s", ev->id);
        break;
    }
    pthread_mutex_unlock(&w->mu);
}

static int node_live(gossip_node_t n) {
    gossip_view_t *views;
    size_t count;
    if (gossip_node_members(n, 1, &views, &count) != GOSSIP_OK) {
        return -1;
    }
    gossip_views_free(views, count);
    return (int)count;
}

static int watch_get(watch *w, int *field) {
    pthread_mutex_lock(&w->mu);
    int v = *field;
    pthread_mutex_unlock(&w->mu);
    return v;
}

static void test_node_cluster(const char *scheme) {
    gossip_node_t nodes[3];
    watch w[3];
    char bind[64];
    gossip_config cfg = {.preset = "local"};
    snprintf(bind, sizeof bind, "%s://127.0.0.1:0", scheme);
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "node-%d", i + 1);
        memset(&w[i], 0, sizeof w[i]);
        pthread_mutex_init(&w[i].mu, NULL);
        EXPECT_OK(gossip_node_create(&cfg, id, bind, &nodes[i]));
        EXPECT_OK(gossip_node_set_event_callback(nodes[i], on_node_event, &w[i]));
        EXPECT_OK(gossip_node_start(nodes[i]));
    }
    EXPECT_ERR(gossip_node_start(nodes[0]), GOSSIP_ERR_STATE);
    if (strcmp(scheme, "udp") == 0) {
        /* packets only, no streams: a full mesh through meet */
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                gossip_view_t peer;
                if (i == j) continue;
                EXPECT_OK(gossip_node_local_node(nodes[j], &peer));
                EXPECT_OK(gossip_node_meet(nodes[i], peer));
                gossip_view_destroy(peer);
            }
        }
    } else {
        char *seed;
        EXPECT_OK(gossip_node_address(nodes[0], &seed));
        const char *seeds[] = {seed};
        for (int i = 1; i < 3; i++) {
            EXPECT_OK(gossip_node_join(nodes[i], seeds, 1, 5000));
        }
        gossip_string_free(seed);
    }
    int64_t t0 = mono_ms();
    int formed = 0;
    while (!formed && mono_ms() - t0 < 10000) {
        formed = node_live(nodes[0]) == 3 && node_live(nodes[1]) == 3 && node_live(nodes[2]) == 3;
        if (!formed) sleep_ms(20);
    }
    CHECK(formed, "%s: 3 nodes did not form a cluster", scheme);

    const char *k[] = {"role"};
    const char *v[] = {"db"};
    EXPECT_OK(gossip_node_set_meta(nodes[2], k, v, 1));
    t0 = mono_ms();
    while (watch_get(&w[0], &w[0].updates) == 0 && mono_ms() - t0 < 10000) sleep_ms(20);
    CHECK(watch_get(&w[0], &w[0].updates) > 0, "%s: metadata update not seen", scheme);

    /* node-3 stops without leaving: a failure */
    int64_t crash = mono_ms();
    EXPECT_OK(gossip_node_stop(nodes[2], 0));
    while (watch_get(&w[0], &w[0].failed) == 0 && mono_ms() - crash < 15000) sleep_ms(20);
    CHECK(watch_get(&w[0], &w[0].failed) > 0 && strcmp(w[0].failed_id, "node-3") == 0,
          "%s: failure of node-3 not seen (failed=%d)", scheme, w[0].failed);
    pthread_mutex_lock(&w[0].mu);
    CHECK(w[0].failed_origin == GOSSIP_ORIGIN_LOCAL || w[0].failed_origin == GOSSIP_ORIGIN_GOSSIP,
          "%s: failure origin %d", scheme, w[0].failed_origin);
    CHECK(w[0].failed_naccusers >= 1 && w[0].failed_naccusers <= GOSSIP_MAX_ACCUSERS &&
              (strcmp(w[0].failed_accuser, "node-1") == 0 || strcmp(w[0].failed_accuser, "node-2") == 0),
          "%s: failure accusers %zu, first %s", scheme, w[0].failed_naccusers, w[0].failed_accuser);
    pthread_mutex_unlock(&w[0].mu);
    printf("node cluster (%s): formed, failure of node-3 seen after %lld ms\n", scheme,
           (long long)(mono_ms() - crash));

    /* node-2 leaves gracefully */
    EXPECT_OK(gossip_node_leave(nodes[1], 0));
    t0 = mono_ms();
    while (watch_get(&w[0], &w[0].left) == 0 && mono_ms() - t0 < 10000) sleep_ms(20);
    CHECK(watch_get(&w[0], &w[0].left) > 0, "%s: leave of node-2 not seen", scheme);

    gossip_stats st;
    EXPECT_OK(gossip_node_stats(nodes[0], &st));
    CHECK(st.packets_in > 0 && st.failed >= 1, "%s: stats in=%llu failed=%llu", scheme,
          (unsigned long long)st.packets_in, (unsigned long long)st.failed);
    for (int i = 0; i < 3; i++) {
        EXPECT_OK(gossip_node_stop(nodes[i], 0));
        EXPECT_OK(gossip_node_destroy(nodes[i]));
        pthread_mutex_destroy(&w[i].mu);
    }
}

/* A callback that tries to stop its own node gets GOSSIP_ERR_STATE. */
static atomic_int self_stop_status = 1;
static void stop_self(void *user, const gossip_event *ev) {
    (void)ev;
    gossip_node_t n = *(gossip_node_t *)user;
    atomic_store(&self_stop_status, gossip_node_stop(n, 0));
}

static void test_stop_from_callback(void) {
    gossip_node_t a, b;
    gossip_config cfg = {.preset = "local"};
    EXPECT_OK(gossip_node_create(&cfg, "a", "127.0.0.1:0", &a));
    EXPECT_OK(gossip_node_create(&cfg, "b", "127.0.0.1:0", &b));
    EXPECT_OK(gossip_node_set_event_callback(a, stop_self, &a));
    EXPECT_OK(gossip_node_start(a));
    EXPECT_OK(gossip_node_start(b));
    char *addr;
    EXPECT_OK(gossip_node_address(a, &addr));
    const char *seeds[] = {addr};
    EXPECT_OK(gossip_node_join(b, seeds, 1, 5000));
    gossip_string_free(addr);
    int64_t t0 = mono_ms();
    while (atomic_load(&self_stop_status) == 1 && mono_ms() - t0 < 5000) sleep_ms(10);
    CHECK(atomic_load(&self_stop_status) == GOSSIP_ERR_STATE, "stop from callback returned %d",
          atomic_load(&self_stop_status));
    EXPECT_OK(gossip_node_destroy(a));
    EXPECT_OK(gossip_node_destroy(b));
}

/* ---- many threads at once --------------------------------------------------- */

#define NTHREADS 8
#define ITERS 300

typedef struct tctx {
    int idx;
    gossip_core_t core;
    gossip_node_t node;
    int errors;
} tctx;

static atomic_llong shared_now = 2000000;

static void *hammer(void *arg) {
    tctx *t = arg;
    char marker[64];
    /* a handle no one has: its number appears in this thread's error */
    gossip_core_t mine = 900000000000ULL + (gossip_core_t)t->idx;
    snprintf(marker, sizeof marker, "%llu", (unsigned long long)mine);
    for (int i = 0; i < ITERS; i++) {
        int64_t now = atomic_fetch_add(&shared_now, 1);
        if (gossip_core_tick(t->core, now) != GOSSIP_OK) t->errors++;
        uint8_t junk[16];
        for (size_t b = 0; b < sizeof junk; b++) junk[b] = (uint8_t)(i * 31 + b + t->idx);
        if (gossip_core_handle_message(t->core, now, "10.1.1.1:1", junk, sizeof junk) !=
            GOSSIP_ERR_MALFORMED) t->errors++;
        gossip_view_t v;
        char id[32];
        snprintf(id, sizeof id, "peer-%d-%d", t->idx, i % 10);
        if (gossip_view_create(&v) != GOSSIP_OK) t->errors++;
        gossip_view_set_id(v, id);
        gossip_view_set_address(v, "10.2.2.2:7946");
        gossip_view_set_meta(v, "thread", id);
        if (gossip_core_meet(t->core, now, v) != GOSSIP_OK) t->errors++;
        gossip_view_destroy(v);
        gossip_view_t *views;
        size_t n;
        if (gossip_core_members(t->core, &views, &n) != GOSSIP_OK) t->errors++;
        else gossip_views_free(views, n);
        if (gossip_node_members(t->node, 1, &views, &n) != GOSSIP_OK) t->errors++;
        else gossip_views_free(views, n);
        /* per-thread last error: fail with our own marker, then check that no
         * other thread's failure replaced it */
        if (gossip_core_tick(mine, now) != GOSSIP_ERR_INVALID_HANDLE) t->errors++;
        if (strstr(gossip_last_error(), marker) == NULL) {
            t->errors++;
            fprintf(stderr, "thread %d: last error %s lacks %s\n", t->idx, gossip_last_error(), marker);
        }
    }
    return NULL;
}

static atomic_int sends;
static void count_send(void *user, const char *to, const uint8_t *d, size_t l, int r) {
    (void)user; (void)to; (void)d; (void)l; (void)r;
    atomic_fetch_add(&sends, 1);
}

static void test_threads(void) {
    gossip_view_t self;
    gossip_core_t c;
    gossip_node_t node;
    gossip_config cfg = {.preset = "local"};
    EXPECT_OK(gossip_view_create(&self));
    EXPECT_OK(gossip_view_set_address(self, "10.0.0.100:7946"));
    EXPECT_OK(gossip_core_create(&cfg, self, count_send, NULL, NULL, &c));
    gossip_view_destroy(self);
    EXPECT_OK(gossip_node_create(&cfg, "threads", "127.0.0.1:0", &node));
    EXPECT_OK(gossip_node_start(node));
    pthread_t th[NTHREADS];
    tctx ctx[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        ctx[i] = (tctx){.idx = i, .core = c, .node = node};
        pthread_create(&th[i], NULL, hammer, &ctx[i]);
    }
    int errors = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        errors += ctx[i].errors;
    }
    CHECK(errors == 0, "%d errors across %d threads", errors, NTHREADS);
    CHECK(atomic_load(&sends) > 0, "no packets sent by the shared core");
    gossip_view_t *views;
    size_t n;
    EXPECT_OK(gossip_core_members(c, &views, &n));
    CHECK(n == 1 + NTHREADS * 10, "members %zu, want %d", n, 1 + NTHREADS * 10);
    gossip_views_free(views, n);
    EXPECT_OK(gossip_core_destroy(c));
    EXPECT_OK(gossip_node_destroy(node));
    printf("threads: %d threads x %d iterations on one core and one node\n", NTHREADS, ITERS);
}

int main(void) {
    test_invalid();
    test_views();
    test_core_cluster();
    test_node_cluster("hybrid");
    test_node_cluster("tcp");
    test_node_cluster("udp");
    test_stop_from_callback();
    test_threads();
    return report("test_capi");
}
