#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbfill.h"

void *lc_test_arena_alloc(struct lc_test_arena *a, size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (p == NULL || a->n == sizeof a->blocks / sizeof a->blocks[0])
		abort();
	a->blocks[a->n++] = p;
	return p;
}

void lc_test_arena_free(struct lc_test_arena *a)
{
	while (a->n)
		free(a->blocks[--a->n]);
}

static size_t elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	default:
		return 8;
	}
}

static ProtobufCMessage *new_message(struct lc_test_arena *a,
				     const ProtobufCMessageDescriptor *md,
				     unsigned salt)
{
	ProtobufCMessage *sub = lc_test_arena_alloc(a, md->sizeof_message);

	md->message_init(sub);
	lc_pb_fill(a, sub, salt);
	return sub;
}

/* Store a non-default value of f's type at p. */
static void fill_value(struct lc_test_arena *a, const ProtobufCFieldDescriptor *f,
		       void *p, unsigned salt)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL: {
		protobuf_c_boolean b = 1;
		memcpy(p, &b, sizeof b);
		break;
	}
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *e = f->descriptor;
		int32_t v = e->values[e->n_values - 1].value;
		memcpy(p, &v, sizeof v);
		break;
	}
	case PROTOBUF_C_TYPE_STRING: {
		char *s = lc_test_arena_alloc(a, 48);
		snprintf(s, 48, "%s-%u-\xc3\xa9", f->name, salt);
		memcpy(p, &s, sizeof s);
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData b;
		b.len = 16 + salt % 17;
		b.data = lc_test_arena_alloc(a, b.len);
		for (size_t i = 0; i < b.len; i++)
			b.data[i] = (uint8_t)(salt * 31 + i);
		memcpy(p, &b, sizeof b);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		ProtobufCMessage *sub = new_message(a, f->descriptor, salt + 1);
		memcpy(p, &sub, sizeof sub);
		break;
	}
	default: {
		uint64_t v = 1000u + salt * 7u + f->id;
		if (elem_size(f) == 4) {
			uint32_t v32 = (uint32_t)v;
			memcpy(p, &v32, sizeof v32);
		} else {
			memcpy(p, &v, sizeof v);
		}
		break;
	}
	}
}

void lc_pb_fill(struct lc_test_arena *a, ProtobufCMessage *m, unsigned salt)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	char *base = (char *)m;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which;
			memcpy(&which, base + f->quantifier_offset, sizeof which);
			if (which != 0)
				continue;
			memcpy(base + f->quantifier_offset, &f->id, sizeof f->id);
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = 2, es = elem_size(f);
			char *arr = lc_test_arena_alloc(a, n * es);
			for (size_t k = 0; k < n; k++)
				fill_value(a, f, arr + k * es, salt + (unsigned)k);
			memcpy(base + f->quantifier_offset, &n, sizeof n);
			memcpy(base + f->offset, &arr, sizeof arr);
		} else {
			fill_value(a, f, base + f->offset, salt);
		}
	}
}

int lc_pb_fill_field(struct lc_test_arena *a, ProtobufCMessage *outer, uint32_t id,
		     unsigned salt)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(outer->descriptor, id);
	ProtobufCMessage *sub;

	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE ||
	    f->label == PROTOBUF_C_LABEL_REPEATED)
		return -1;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		memcpy((char *)outer + f->quantifier_offset, &id, sizeof id);
	sub = new_message(a, f->descriptor, salt);
	memcpy((char *)outer + f->offset, &sub, sizeof sub);
	return 0;
}
