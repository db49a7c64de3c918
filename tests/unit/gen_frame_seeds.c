/* Write the seed corpus of fuzz_frame: one stream per Envelope body, a
 * stream of every body, and the bad inputs the wire tests name. Each file
 * is the harness's control byte followed by the stream bytes. */
#include <stdio.h>
#include <string.h>

#include <libchat/frame.h>

#include "envelope.h"
#include "pbfill.h"

static int write_seed(const char *dir, const char *name, uint8_t ctl,
		      const uint8_t *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(&ctl, 1, 1, f) != 1 ||
	    fwrite(data, 1, len, f) != len) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

/* Append one framed Envelope with body field id to stream. */
static size_t put_body(uint8_t *stream, size_t pos, size_t cap, uint32_t id)
{
	struct lc_test_arena a = { .n = 0 };
	lc_envelope env;
	uint8_t buf[LC_ENVELOPE_MAX];
	int n, w;

	libchat__envelope__init(&env);
	env.request_id = id;
	if (lc_pb_fill_field(&a, &env.base, id, id) != 0)
		return pos;
	n = lc_envelope_pack(&env, buf, sizeof buf);
	lc_test_arena_free(&a);
	if (n < 0)
		return pos;
	w = lc_frame_encode(stream + pos, cap - pos, buf, (size_t)n);
	return w < 0 ? pos : pos + (size_t)w;
}

int main(int argc, char **argv)
{
	static uint8_t all[1 << 20], one[1 << 16];
	const ProtobufCMessageDescriptor *d = &libchat__envelope__descriptor;
	size_t all_len = LC_FRAME_PROLOGUE_LEN;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	lc_frame_prologue(all);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		char name[64];
		size_t len;

		if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			continue;
		lc_frame_prologue(one);
		len = put_body(one, LC_FRAME_PROLOGUE_LEN, sizeof one, f->id);
		snprintf(name, sizeof name, "body-%s", f->name);
		rc |= write_seed(argv[1], name, 1, one, len);
		all_len = put_body(all, all_len, sizeof all, f->id);
	}
	rc |= write_seed(argv[1], "stream-all-bodies", 1, all, all_len);
	/* The same stream without prologue, with a lowered limit. */
	rc |= write_seed(argv[1], "stream-no-prologue-limit", 2 | (8 << 2),
			 all + LC_FRAME_PROLOGUE_LEN, all_len - LC_FRAME_PROLOGUE_LEN);
	rc |= write_seed(argv[1], "bad-magic", 1, (const uint8_t *)"LCHAX\x01\x00\x01\x08", 9);
	rc |= write_seed(argv[1], "bad-version", 1, (const uint8_t *)"LCHAT\x02\x00\x01\x08", 9);
	rc |= write_seed(argv[1], "zero-length", 0, (const uint8_t *)"\x00\x00", 2);
	rc |= write_seed(argv[1], "oversize", 2, (const uint8_t *)"\xff\xff\x01", 3);
	rc |= write_seed(argv[1], "truncated", 1, all, 40);
	rc |= write_seed(argv[1], "bad-utf8", 0,
			 (const uint8_t *)"\x00\x05\x72\x03\x0a\x01\xff", 7);
	rc |= write_seed(argv[1], "future-body", 0,
			 (const uint8_t *)"\x00\x05\x08\x05\xb8\x3e\x01", 7);
	return rc ? 1 : 0;
}
