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
uint64_t lg_in_callback(void);
void lg_call_send(gossip_send_fn fn, uintptr_t user, const char *to, const uint8_t *data,
                  size_t len, int reliable);
void lg_call_event(gossip_event_fn fn, uintptr_t user, const gossip_event *ev, uint64_t node);
#endif
