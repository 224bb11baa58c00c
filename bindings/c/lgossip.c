// C half of the libgossip C API: the thread-local error message, the
// callback trampolines (Go cannot call C function pointers) and the free
// functions. The Go side lives in the package's .go files, one per concern.
#include <stdlib.h>
#include <string.h>

#include "lgossip_internal.h"

static __thread char *lg_err;

/* The handles whose callbacks the calling thread is inside, innermost last:
 * a callback may call into the library, whose callbacks may nest. Deeper
 * nesting than LG_CB_DEPTH is still called, just not recorded. */
#define LG_CB_DEPTH 32
static __thread uint64_t lg_cb_stack[LG_CB_DEPTH];
static __thread int lg_cb_depth;

void lg_set_error(const char *msg) {
	char *c = strdup(msg ? msg : "");
	if (c == NULL) {
		return; /* keep the old message rather than crash */
	}
	free(lg_err);
	lg_err = c;
}

const char *gossip_last_error(void) { return lg_err ? lg_err : ""; }

int lg_in_callback(uint64_t h) {
	int n = lg_cb_depth < LG_CB_DEPTH ? lg_cb_depth : LG_CB_DEPTH;
	for (int i = 0; i < n; i++) {
		if (lg_cb_stack[i] == h) {
			return 1;
		}
	}
	return 0;
}

static void lg_cb_push(uint64_t h) {
	if (lg_cb_depth < LG_CB_DEPTH) {
		lg_cb_stack[lg_cb_depth] = h;
	}
	lg_cb_depth++;
}

static void lg_cb_pop(void) { lg_cb_depth--; }

void lg_call_send(gossip_send_fn fn, uintptr_t user, const char *to, const uint8_t *data,
                  size_t len, int reliable, uint64_t h) {
	if (fn == NULL) {
		return;
	}
	lg_cb_push(h);
	fn((void *)user, to, data, len, reliable);
	lg_cb_pop();
}

void lg_call_event(gossip_event_fn fn, uintptr_t user, const gossip_event *ev, uint64_t h) {
	if (fn == NULL) {
		return;
	}
	lg_cb_push(h);
	fn((void *)user, ev);
	lg_cb_pop();
}

const char *gossip_status_name(gossip_status s) {
	switch (s) {
	case GOSSIP_OK: return "GOSSIP_OK";
	case GOSSIP_ERR_INVALID_ARGUMENT: return "GOSSIP_ERR_INVALID_ARGUMENT";
	case GOSSIP_ERR_INVALID_HANDLE: return "GOSSIP_ERR_INVALID_HANDLE";
	case GOSSIP_ERR_MALFORMED: return "GOSSIP_ERR_MALFORMED";
	case GOSSIP_ERR_STATE: return "GOSSIP_ERR_STATE";
	case GOSSIP_ERR_NETWORK: return "GOSSIP_ERR_NETWORK";
	case GOSSIP_ERR_TIMEOUT: return "GOSSIP_ERR_TIMEOUT";
	case GOSSIP_ERR_NOT_FOUND: return "GOSSIP_ERR_NOT_FOUND";
	case GOSSIP_ERR_INTERNAL: return "GOSSIP_ERR_INTERNAL";
	}
	return "GOSSIP_ERR_UNKNOWN";
}

void gossip_string_free(char *s) { free(s); }

void gossip_strings_free(char **strs, size_t n) {
	if (strs == NULL) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		free(strs[i]);
	}
	free(strs);
}

void gossip_views_free(gossip_view_t *views, size_t n) {
	if (views == NULL) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		gossip_view_destroy(views[i]);
	}
	free(views);
}
