// Private declarations shared by the Go files and lgossip.c.
#ifndef LGOSSIP_INTERNAL_H
#define LGOSSIP_INTERNAL_H
#include "include/libgossip.h"

// const-qualified types, so that the prototypes cgo generates for exported
// Go functions match the hand-written header exactly.
typedef const char lg_cchar;
typedef const char *const lg_cstr;
typedef const uint8_t lg_cbyte;
typedef const gossip_config lg_cconfig;

void lg_set_error(const char *msg);
// lg_in_callback reports whether the calling thread is inside a callback
// of handle h (possibly nested in callbacks of other handles).
int lg_in_callback(uint64_t h);
// The trampolines call fn and record h as a handle whose callback the
// thread is in, for the duration of the call.
void lg_call_send(gossip_send_fn fn, uintptr_t user, const char *to, const uint8_t *data,
                  size_t len, int reliable, uint64_t h);
void lg_call_event(gossip_event_fn fn, uintptr_t user, const gossip_event *ev, uint64_t h);
#endif
