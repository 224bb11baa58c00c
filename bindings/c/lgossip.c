// C half of the libgossip C API: the thread-local error message, the
// callback trampolines (Go cannot call C function pointers) and the free
// functions. The Go side lives in the package's .go files, one per concern.
#include <stdlib.h>
#include <string.h>

#include "lgossip_internal.h"

static __thread char *lg_err;
static __thread uint64_t lg_in_cb;

void lg_set_error(const char *msg) {
	char *c = strdup(msg ? msg : "");
	if (c == NULL) {
		return; /* keep the old message rather than crash */
	}
	free(lg_err);
	lg_err = c;
}

const char *gossip_last_error(void) { return lg_err ? lg_err : ""; }

uint64_t lg_in_callback(void) { return lg_in_cb; }

void lg_call_send(gossip_send_fn fn, uintptr_t user, const char *to, const uint8_t *data,
                  size_t len, int reliable) {
	if (fn != NULL) {
		fn((void *)user, to, data, len, reliable);
	}
}

void lg_call_event(gossip_event_fn fn, uintptr_t user, const gossip_event *ev, uint64_t node) {
	if (fn == NULL) {
		return;
	}
	uint64_t prev = lg_in_cb;
	lg_in_cb = node;
	fn((void *)user, ev);
	lg_in_cb = prev;
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
