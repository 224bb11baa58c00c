/*
 * simple_cluster_c: a three-member libgossip cluster driven from C.
 *
 * Each member is a networked node (the built-in hybrid UDP/TCP transport on
 * loopback); they form a full mesh by meeting each other, publish metadata,
 * one member crashes and the others detect it, and one leaves gracefully.
 *
 * Build and run (from the repository root):
 *
 *   bindings/c/build.sh /tmp/lg
 *   gcc -Wall -I/tmp/lg/include examples/simple_cluster_c/main.c \
 *       -L/tmp/lg/lib -lgossip -Wl,-rpath,/tmp/lg/lib -o simple_cluster_c
 *   ./simple_cluster_c
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libgossip.h"

#define N 3

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int failed_seen, left_seen;

static const char *event_name(int type) {
    static const char *names[] = {"?", "join", "update", "suspect", "alive",
                                  "failed", "left", "conflict", "user"};
    return type > 0 && type <= 8 ? names[type] : "?";
}

/* Runs on a library thread; the event is valid only during the call. */
static void on_event(void *user, const gossip_event *ev) {
    const char *observer = user;
    pthread_mutex_lock(&mu);
    printf("  [%s] event %-7s %s (incarnation %llu)\n", observer, event_name(ev->type), ev->id,
           (unsigned long long)ev->incarnation);
    if (ev->type == GOSSIP_EVENT_FAILED) failed_seen++;
    if (ev->type == GOSSIP_EVENT_LEFT) left_seen++;
    pthread_mutex_unlock(&mu);
    fflush(stdout);
}

static void die(const char *what, gossip_status st) {
    fprintf(stderr, "%s: %s: %s\n", what, gossip_status_name(st), gossip_last_error());
    exit(1);
}
#define TRY(call) do { gossip_status st_ = (call); if (st_ != GOSSIP_OK) die(#call, st_); } while (0)

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int live(gossip_node_t n) {
    gossip_view_t *views;
    size_t count;
    TRY(gossip_node_members(n, 1, &views, &count));
    gossip_views_free(views, count);
    return (int)count;
}

static int counter(int *p) {
    pthread_mutex_lock(&mu);
    int v = *p;
    pthread_mutex_unlock(&mu);
    return v;
}

static void print_members(gossip_node_t n, const char *who) {
    static const char *states[] = {"alive", "suspect", "dead", "left"};
    gossip_view_t *views;
    size_t count;
    TRY(gossip_node_members(n, 0, &views, &count));
    printf("members as seen by %s:\n", who);
    for (size_t i = 0; i < count; i++) {
        char *id, *addr, *role = NULL;
        int state;
        TRY(gossip_view_get_id(views[i], &id));
        TRY(gossip_view_get_address(views[i], &addr));
        TRY(gossip_view_get_state(views[i], &state));
        gossip_view_get_meta(views[i], "role", &role); /* GOSSIP_ERR_NOT_FOUND if unset */
        printf("  %-8s %-21s %-7s role=%s\n", id, addr, states[state], role ? role : "-");
        gossip_string_free(id);
        gossip_string_free(addr);
        gossip_string_free(role);
    }
    gossip_views_free(views, count);
}

int main(void) {
    static char *names[N] = {"node-1", "node-2", "node-3"};
    gossip_node_t nodes[N];
    gossip_config cfg = {.preset = "local"}; /* fast probes for one host */
    printf("libgossip %s: starting %d nodes on loopback\n", gossip_version(), N);
    for (int i = 0; i < N; i++) {
        TRY(gossip_node_create(&cfg, names[i], "hybrid://127.0.0.1:0", &nodes[i]));
        TRY(gossip_node_set_event_callback(nodes[i], on_event, names[i]));
        TRY(gossip_node_start(nodes[i]));
        char *addr;
        TRY(gossip_node_address(nodes[i], &addr));
        printf("%s listening on %s\n", names[i], addr);
        gossip_string_free(addr);
    }

    /* full mesh: every node meets every other one */
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            if (i == j) continue;
            gossip_view_t peer;
            TRY(gossip_node_local_node(nodes[j], &peer));
            TRY(gossip_node_meet(nodes[i], peer));
            TRY(gossip_view_destroy(peer));
        }
    }
    for (int t = 0; t < 500; t++) {
        if (live(nodes[0]) == N && live(nodes[1]) == N && live(nodes[2]) == N) break;
        sleep_ms(20);
    }
    printf("cluster formed: %d live members\n", live(nodes[0]));

    const char *keys[] = {"role"};
    const char *vals[] = {"primary"};
    TRY(gossip_node_set_meta(nodes[0], keys, vals, 1));
    sleep_ms(500);
    print_members(nodes[2], "node-3");

    printf("crashing node-3 (stop without leave)\n");
    TRY(gossip_node_stop(nodes[2], 0));
    for (int t = 0; t < 750 && counter(&failed_seen) < 2; t++) sleep_ms(20);
    printf("node-3 failure detected by %d members\n", counter(&failed_seen));

    printf("node-2 leaves gracefully\n");
    TRY(gossip_node_leave(nodes[1], 0));
    for (int t = 0; t < 500 && counter(&left_seen) < 1; t++) sleep_ms(20);
    print_members(nodes[0], "node-1");

    for (int i = 0; i < N; i++) {
        TRY(gossip_node_destroy(nodes[i]));
    }
    int ok = counter(&failed_seen) >= 2 && counter(&left_seen) >= 1;
    printf("%s\n", ok ? "done: formed, failure detected, leave seen" : "FAILED");
    return ok ? 0 : 1;
}
