/*
 * The checks shared by the C test programs: CHECK, EXPECT_OK, EXPECT_ERR,
 * a monotonic clock and a sleep for polling loops. Each test program is one
 * translation unit that includes this header once.
 */
#ifndef LIBGOSSIP_TESTS_CHECK_H
#define LIBGOSSIP_TESTS_CHECK_H

#include <stdio.h>
#include <time.h>

#include "libgossip.h"

static int failures;
static int checks;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        checks++;                                                         \
        if (!(cond)) {                                                    \
            failures++;                                                   \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                 \
            fprintf(stderr, " (last error: %s)\n", gossip_last_error());  \
        }                                                                 \
    } while (0)

#define EXPECT_ERR(call, code)                                                  \
    do {                                                                        \
        gossip_status st_ = (call);                                             \
        CHECK(st_ == (code), "%s returned %s, want %s", #call,                  \
              gossip_status_name(st_), gossip_status_name(code));               \
        CHECK(st_ == GOSSIP_OK || gossip_last_error()[0] != '\0',               \
              "%s: empty gossip_last_error", #call);                            \
    } while (0)

#define EXPECT_OK(call)                                                         \
    do {                                                                        \
        gossip_status st_ = (call);                                             \
        CHECK(st_ == GOSSIP_OK, "%s returned %s", #call, gossip_status_name(st_)); \
    } while (0)

static inline int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* report prints the result and returns main's exit status. */
static int report(const char *name) {
    if (failures) {
        fprintf(stderr, "%s: %d of %d checks failed\n", name, failures, checks);
        return 1;
    }
    printf("%s: PASS: %d checks\n", name, checks);
    return 0;
}

#endif
