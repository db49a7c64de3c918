/* Internal: one field of a packed protobuf message, found without
 * unpacking it. */
#ifndef LC_SERVER_PBSCAN_H
#define LC_SERVER_PBSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

/* Deliver.server_time_ms of a packed Envelope carrying a Deliver (when
 * its Send came in): 0 with *t set, or -1 when the bytes do not hold it
 * (the first occurrence of each field counts). */
int lc_pb_deliver_time(const uint8_t *p, size_t n, uint64_t *t);

#endif
