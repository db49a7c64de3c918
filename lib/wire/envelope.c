#include <string.h>

#include <libchat/error.h>
#include <libchat/frame.h>

#include "alloc.h"
#include "envelope.h"

/* protobuf-c reports a failed allocation and bad input alike (NULL); the
 * bridge remembers a failure so unpack can tell NOMEM from MALFORMED. */
struct pb_bridge {
	lc_allocator a;
	int failed;
};

static void *pb_alloc(void *ud, size_t n)
{
	struct pb_bridge *b = ud;
	void *p = lc_malloc(&b->a, n);

	if (p == NULL)
		b->failed = 1;
	return p;
}

static void pb_free(void *ud, void *p)
{
	struct pb_bridge *b = ud;
	lc_free(&b->a, p);
}

static int fields_valid(const ProtobufCMessage *m);

/* Check one field's value at p (not repeated). */
static int value_valid(const ProtobufCFieldDescriptor *f, const void *p)
{
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		const char *s = *(char *const *)p;
		return s == NULL ||
		       lc_utf8_valid((const uint8_t *)s, strlen(s));
	}
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
		return sub == NULL || fields_valid(sub);
	}
	return 1;
}

/* Walk a decoded message and the messages nested in it (the schema has no
 * recursive types, so its depth bounds the walk): every string must be
 * UTF-8, and no unknown field may carry number 0, which protobuf-c accepts
 * when the tag is a non-minimal varint but can never encode back. */
static int fields_valid(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;

	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0)
			return 0;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if (f->type != PROTOBUF_C_TYPE_STRING &&
		    f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which;
			memcpy(&which, base + f->quantifier_offset, sizeof which);
			if (which != f->id)
				continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n;
			void *const *v;
			memcpy(&n, base + f->quantifier_offset, sizeof n);
			memcpy(&v, base + f->offset, sizeof v);
			for (size_t k = 0; k < n; k++)
				if (!value_valid(f, &v[k]))
					return 0;
		} else if (!value_valid(f, base + f->offset)) {
			return 0;
		}
	}
	return 1;
}

static int body_known(const lc_envelope *env)
{
	return env->body_case != LIBCHAT__ENVELOPE__BODY__NOT_SET;
}

int lc_envelope_unpack(const uint8_t *buf, size_t len,
		       const lc_allocator *mem, lc_envelope **out)
{
	struct pb_bridge b = { .failed = 0 };
	ProtobufCAllocator pa = { pb_alloc, pb_free, &b };
	lc_envelope *env;

	if (out == NULL || (buf == NULL && len > 0))
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if (lc_alloc_init(&b.a, mem) != 0)
		return LC_ERR_INVALID_ARG;
	if (len > LC_ENVELOPE_MAX)
		return LC_ERR_FRAME_TOO_LARGE;
	env = libchat__envelope__unpack(&pa, len, buf);
	if (env == NULL)
		return b.failed ? LC_ERR_NOMEM : LC_ERR_MALFORMED;
	if (!fields_valid(&env->base)) {
		libchat__envelope__free_unpacked(env, &pa);
		return LC_ERR_MALFORMED;
	}
	*out = env;
	return body_known(env) ? 0 : LC_ERR_UNSUPPORTED;
}

void lc_envelope_free(lc_envelope *env, const lc_allocator *mem)
{
	struct pb_bridge b = { .failed = 0 };
	ProtobufCAllocator pa = { pb_alloc, pb_free, &b };

	if (env == NULL || lc_alloc_init(&b.a, mem) != 0)
		return;
	libchat__envelope__free_unpacked(env, &pa);
}

size_t lc_envelope_size(const lc_envelope *env)
{
	return libchat__envelope__get_packed_size(env);
}

int lc_envelope_pack(const lc_envelope *env, uint8_t *out, size_t out_len)
{
	size_t n;

	if (env == NULL || out == NULL || !body_known(env))
		return LC_ERR_INVALID_ARG;
	n = libchat__envelope__get_packed_size(env);
	if (n > LC_ENVELOPE_MAX)
		return LC_ERR_FRAME_TOO_LARGE;
	if (n > out_len)
		return LC_ERR_BUFFER_TOO_SMALL;
	return (int)libchat__envelope__pack(env, out);
}
