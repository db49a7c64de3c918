/* Fill any protobuf-c message with non-default values from its descriptor,
 * so tests and seed generators cover every field of the schema without
 * naming each one: a new field or body is covered the day it is added. */
#ifndef LC_PBFILL_H
#define LC_PBFILL_H

#include <protobuf-c/protobuf-c.h>

/* Every block the filler allocates, freed at once. */
struct lc_test_arena {
	void *blocks[4096];
	size_t n;
};

void *lc_test_arena_alloc(struct lc_test_arena *a, size_t n);
void lc_test_arena_free(struct lc_test_arena *a);

/* Give every field of m a value: repeated fields two elements, each oneof
 * its first member, nested messages recursively. salt varies the values. */
void lc_pb_fill(struct lc_test_arena *a, ProtobufCMessage *m, unsigned salt);

/* Set the message-typed field number id of outer (a oneof member or a
 * plain field) to a freshly filled sub-message. Returns 0, or -1 when outer
 * has no message field of that number. */
int lc_pb_fill_field(struct lc_test_arena *a, ProtobufCMessage *outer, uint32_t id,
		     unsigned salt);

#endif
