/*
 * Tests of the event fields that say where an event came from
 * (gossip_event.origin, .accusers, .accusers_len) and of
 * GOSSIP_EVENT_REFUTED, over three cores on an in-process network in
 * virtual time (deterministic), run by test-extra.sh:
 *
 *   - a member whose outgoing packets are lost is suspected by the others
 *     (origin local, the suspecting core among the accusers) and, learning
 *     of the suspicion, refutes it: GOSSIP_EVENT_REFUTED with its own id,
 *     a raised incarnation and the accuser;
 *   - a crashed member is declared failed: by a core's own timer (origin
 *     local, its accusers) and, where learned from the other core, origin
 *     gossip naming the one that declared it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libgossip.h"
#include "check.h"

#define NCORES 3
#define MAXQ 65536
#define MAXREC 256

typedef struct msg {
    int from, to;
    uint8_t *data;
    size_t len;
} msg;

/* rec is a copy of one event's fields, taken during the callback. */
typedef struct rec {
    int type, origin;
    char id[32];
    uint64_t incarnation;
    size_t naccusers;
    char accusers[GOSSIP_MAX_ACCUSERS][32];
} rec;

typedef struct vnet vnet;

typedef struct member {
    vnet *net;
    int idx;
    char addr[32];
    char id[32];
    gossip_core_t core;
    int down;  /* crashed: sends and receives nothing */
    int muted; /* receives, but everything it sends is lost */
    rec recs[MAXREC];
    int nrecs;
} member;

struct vnet {
    member m[NCORES];
    msg q[MAXQ];
    size_t head, tail;
    int64_t now;
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
    if (dst < 0 || m->muted || net->tail - net->head >= MAXQ) {
        return;
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
    CHECK(ev->accusers_len <= GOSSIP_MAX_ACCUSERS, "%zu accusers", ev->accusers_len);
    CHECK((ev->accusers == NULL) == (ev->accusers_len == 0), "accusers %p with length %zu",
          (const void *)ev->accusers, ev->accusers_len);
    CHECK(ev->origin == GOSSIP_ORIGIN_LOCAL || ev->origin == GOSSIP_ORIGIN_GOSSIP,
          "event %d of %s: origin %d", ev->type, ev->id, ev->origin);
    if (m->nrecs >= MAXREC) {
        return;
    }
    rec *r = &m->recs[m->nrecs++];
    r->type = ev->type;
    r->origin = ev->origin;
    snprintf(r->id, sizeof r->id, "%s", ev->id);
    r->incarnation = ev->incarnation;
    r->naccusers = 0;
    for (size_t i = 0; i < ev->accusers_len && i < GOSSIP_MAX_ACCUSERS; i++) {
        CHECK(ev->accusers[i] != NULL, "accuser %zu is NULL", i);
        if (ev->accusers[i] != NULL) {
            snprintf(r->accusers[r->naccusers++], sizeof r->accusers[0], "%s", ev->accusers[i]);
        }
    }
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

static int all_alive(vnet *net) {
    for (int i = 0; i < NCORES; i++) {
        gossip_view_t *views;
        size_t n;
        int live = 0;
        if (gossip_core_members(net->m[i].core, &views, &n) != GOSSIP_OK) {
            return 0;
        }
        for (size_t k = 0; k < n; k++) {
            int st;
            gossip_view_get_state(views[k], &st);
            live += st == GOSSIP_STATE_ALIVE;
        }
        gossip_views_free(views, n);
        if (live != NCORES) {
            return 0;
        }
    }
    return 1;
}

/* find returns the first record at m of type about id, or NULL. */
static const rec *find(const member *m, int type, const char *id) {
    for (int i = 0; i < m->nrecs; i++) {
        if (m->recs[i].type == type && strcmp(m->recs[i].id, id) == 0) {
            return &m->recs[i];
        }
    }
    return NULL;
}

static int has_accuser(const rec *r, const char *id) {
    for (size_t i = 0; i < r->naccusers; i++) {
        if (strcmp(r->accusers[i], id) == 0) {
            return 1;
        }
    }
    return 0;
}

/* accusers_among_observers checks that every accuser of r is core-1 or core-2. */
static int accusers_among_observers(vnet *net, const rec *r) {
    for (size_t i = 0; i < r->naccusers; i++) {
        if (strcmp(r->accusers[i], net->m[0].id) != 0 && strcmp(r->accusers[i], net->m[1].id) != 0) {
            return 0;
        }
    }
    return 1;
}

static void test_refute_and_fail(void) {
    static vnet net; /* large: keep it off the stack */
    memset(&net, 0, sizeof net);
    net.now = 1000000;
    gossip_config cfg = {.preset = "local", .seed = 11};
    for (int i = 0; i < NCORES; i++) {
        member *m = &net.m[i];
        m->net = &net;
        m->idx = i;
        snprintf(m->addr, sizeof m->addr, "10.0.1.%d:7946", i + 1);
        snprintf(m->id, sizeof m->id, "core-%d", i + 1);
        gossip_view_t self;
        EXPECT_OK(gossip_view_create(&self));
        EXPECT_OK(gossip_view_set_id(self, m->id));
        EXPECT_OK(gossip_view_set_address(self, m->addr));
        EXPECT_OK(gossip_core_create(&cfg, self, on_send, on_event, m, &m->core));
        EXPECT_OK(gossip_view_destroy(self));
    }
    for (int i = 0; i < NCORES; i++) {
        for (int j = 0; j < NCORES; j++) {
            if (i == j) {
                continue;
            }
            gossip_view_t v;
            EXPECT_OK(gossip_view_create(&v));
            EXPECT_OK(gossip_view_set_id(v, net.m[j].id));
            EXPECT_OK(gossip_view_set_address(v, net.m[j].addr));
            EXPECT_OK(gossip_core_meet(net.m[i].core, net.now, v));
            EXPECT_OK(gossip_view_destroy(v));
        }
    }
    vnet_deliver(&net);
    int formed = 0;
    for (int step = 0; step < 500 && !formed; step++) {
        vnet_step(&net, 10);
        formed = all_alive(&net);
    }
    CHECK(formed, "3 cores did not form a cluster");
    const rec *join = find(&net.m[0], GOSSIP_EVENT_JOIN, net.m[1].id);
    CHECK(join != NULL && join->naccusers == 0, "join of core-2 at core-1: %p, %zu accusers",
          (const void *)join, join ? join->naccusers : 0);

    /* core-3's packets are lost: the others suspect it, it hears of the
     * suspicion and refutes it. */
    member *c3 = &net.m[2];
    c3->muted = 1;
    const rec *refuted = NULL;
    for (int step = 0; step < 3000 && refuted == NULL; step++) {
        vnet_step(&net, 10);
        refuted = find(c3, GOSSIP_EVENT_REFUTED, c3->id);
    }
    CHECK(refuted != NULL, "core-3 never refuted a suspicion");
    if (refuted != NULL) {
        CHECK(refuted->incarnation > 1, "refuted at incarnation %llu",
              (unsigned long long)refuted->incarnation);
        CHECK(refuted->origin == GOSSIP_ORIGIN_GOSSIP, "refutation origin %d", refuted->origin);
        CHECK(refuted->naccusers == 1 && accusers_among_observers(&net, refuted),
              "refutation accusers: %zu, first %s", refuted->naccusers,
              refuted->naccusers ? refuted->accusers[0] : "-");
    }
    char refuter[32] = "-";
    if (refuted != NULL && refuted->naccusers > 0) {
        snprintf(refuter, sizeof refuter, "%s", refuted->accusers[0]);
    }
    int local_suspect = 0;
    for (int i = 0; i < 2; i++) {
        const rec *s = find(&net.m[i], GOSSIP_EVENT_SUSPECT, c3->id);
        if (s == NULL) {
            continue;
        }
        CHECK(s->naccusers >= 1 && accusers_among_observers(&net, s), "suspect at %s: %zu accusers",
              net.m[i].id, s->naccusers);
        if (s->origin == GOSSIP_ORIGIN_LOCAL) {
            local_suspect = 1;
            CHECK(has_accuser(s, net.m[i].id), "%s suspected core-3 itself but is no accuser",
                  net.m[i].id);
        }
    }
    CHECK(local_suspect, "no core suspected core-3 through its own probe");

    /* core-3 is heard again; then it crashes and is declared failed. */
    c3->muted = 0;
    int healed = 0;
    for (int step = 0; step < 3000 && !healed; step++) {
        vnet_step(&net, 10);
        healed = all_alive(&net);
    }
    CHECK(healed, "core-3 not alive again everywhere after it was heard");
    for (int i = 0; i < NCORES; i++) {
        net.m[i].nrecs = 0;
    }
    c3->down = 1;
    const rec *f1 = NULL, *f2 = NULL;
    for (int step = 0; step < 3000 && (f1 == NULL || f2 == NULL); step++) {
        vnet_step(&net, 10);
        f1 = find(&net.m[0], GOSSIP_EVENT_FAILED, c3->id);
        f2 = find(&net.m[1], GOSSIP_EVENT_FAILED, c3->id);
    }
    CHECK(f1 != NULL && f2 != NULL, "crash of core-3 not detected by both");
    if (f1 != NULL && f2 != NULL) {
        CHECK(f1->origin == GOSSIP_ORIGIN_LOCAL || f2->origin == GOSSIP_ORIGIN_LOCAL,
              "no failure declared by a core's own timer (origins %d, %d)", f1->origin, f2->origin);
        const rec *fs[2] = {f1, f2};
        for (int i = 0; i < 2; i++) {
            const rec *f = fs[i];
            CHECK(f->naccusers >= 1 && accusers_among_observers(&net, f),
                  "failure at %s: %zu accusers", net.m[i].id, f->naccusers);
            if (f->origin == GOSSIP_ORIGIN_GOSSIP) {
                /* learned from the other core, which declared it */
                CHECK(f->naccusers == 1 && strcmp(f->accusers[0], net.m[1 - i].id) == 0,
                      "gossiped failure at %s names %s", net.m[i].id,
                      f->naccusers ? f->accusers[0] : "-");
            }
        }
        printf("events: refutation by core-3 (accused by %s); failure at core-1 origin %s, at "
               "core-2 origin %s\n",
               refuter,
               f1->origin == GOSSIP_ORIGIN_LOCAL ? "local" : "gossip",
               f2->origin == GOSSIP_ORIGIN_LOCAL ? "local" : "gossip");
    }

    for (int i = 0; i < NCORES; i++) {
        EXPECT_OK(gossip_core_destroy(net.m[i].core));
    }
    vnet_deliver(&net); /* frees queued messages; cores are gone */
}

int main(void) {
    CHECK(strcmp(gossip_version(), "0.2.0") >= 0, "version %s predates the event origin fields",
          gossip_version());
    test_refute_and_fail();
    return report("test_events");
}
