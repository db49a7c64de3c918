/* Suite "wire": error codes, the frame codec and the Envelope schema. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libchat/error.h>
#include <libchat/frame.h>

#include "envelope.h"
#include "pbfill.h"
#include "testutil.h"

/* ------------------------------------------------------------ errors */

/* Every code that travels on the wire, by its name in both enums. */
#define WIRE_CODES(X)                                                     \
	X(NOMEM) X(INVALID_ARG) X(INVALID_STATE) X(NOT_FOUND) X(EXISTS)    \
	X(INTERNAL) X(UNAVAILABLE) X(FRAME_TOO_LARGE) X(MALFORMED)         \
	X(VERSION) X(BAD_PROLOGUE) X(TRUNCATED) X(UNSUPPORTED)             \
	X(AUTH_REQUIRED) X(AUTH_FAILED) X(FORBIDDEN) X(RATE_LIMITED)       \
	X(ACCOUNT_EXISTS) X(NO_SUCH_USER) X(NO_SUCH_GROUP) X(NOT_MEMBER)   \
	X(NOT_ADMIN) X(TOKEN_EXPIRED) X(INVALID_PHONE) X(INVALID_EMAIL)    \
	X(WEAK_PASSWORD) X(THROTTLED) X(MEDIA_TOO_LARGE) X(TIMEOUT)        \
	X(NO_SUCH_DEVICE) X(STALE_DEVICES)

START_TEST(wire_error_codes_match_proto)
{
	const ProtobufCEnumDescriptor *d = &libchat__error_code__descriptor;
	unsigned listed = 0;

#define CHECK_CODE(name)                                                  \
	do {                                                              \
		const ProtobufCEnumValue *v =                             \
			protobuf_c_enum_descriptor_get_value_by_name(     \
				d, "ERROR_" #name);                       \
		ck_assert_msg(v != NULL, "ERROR_%s missing in proto", #name); \
		ck_assert_int_eq(v->value, -LC_ERR_##name);               \
		listed++;                                                 \
	} while (0);
	WIRE_CODES(CHECK_CODE)
#undef CHECK_CODE
	/* ... and the proto has no code this table does not name. */
	ck_assert_uint_eq(d->n_values, listed + 1 /* UNSPECIFIED */);
	for (unsigned i = 0; i < d->n_values; i++) {
		if (d->values[i].value == 0)
			continue;
		ck_assert_str_ne(lc_strerror(-d->values[i].value),
				 "unknown error");
	}
}
END_TEST

START_TEST(wire_strerror_and_fatal)
{
	ck_assert_str_eq(lc_strerror(0), "success");
	ck_assert_str_eq(lc_strerror(-1), "unknown error");
	ck_assert_str_eq(lc_strerror(12345), "unknown error");
	for (int c = -1999; c <= -1000; c++) {
		const char *s = lc_strerror(c);
		ck_assert_ptr_nonnull(s);
		if (strcmp(s, "unknown error") == 0)
			ck_assert_int_eq(lc_err_is_fatal(c), 0);
	}
	ck_assert_int_eq(lc_err_is_fatal(LC_ERR_NOMEM), 1);
	ck_assert_int_eq(lc_err_is_fatal(LC_ERR_FRAME_TOO_LARGE), 1);
	ck_assert_int_eq(lc_err_is_fatal(LC_ERR_MALFORMED), 1);
	ck_assert_int_eq(lc_err_is_fatal(LC_ERR_INVALID_ARG), 0);
	ck_assert_int_eq(lc_err_is_fatal(LC_ERR_TRUNCATED), 0);
	ck_assert_int_eq(lc_err_is_fatal(0), 0);
}
END_TEST

/* ------------------------------------------------------------ frames */

/* Decode everything in buf, feeding chunks of sizes chosen by rng (or one
 * byte at a time when rng is NULL). Appends each frame's payload to out
 * and its length to lens. Returns the number of frames, or the error. */
static int decode_all(lc_frame_decoder *d, const uint8_t *buf, size_t len,
		      lc_test_rng *rng, uint8_t *out, size_t *lens)
{
	size_t pos = 0, outpos = 0;
	int frames = 0;

	while (pos < len) {
		size_t chunk = rng ? 1 + lc_test_rng_below(rng, 700) : 1;
		size_t end = pos + chunk > len ? len : pos + chunk;

		while (pos < end) {
			size_t used;
			const uint8_t *f;
			size_t flen;
			int rv = lc_frame_decode(d, buf + pos, end - pos, &used,
						 &f, &flen);
			if (rv < 0)
				return rv;
			ck_assert_uint_le(used, end - pos);
			pos += used;
			if (rv == 1) {
				memcpy(out + outpos, f, flen);
				outpos += flen;
				lens[frames++] = flen;
			} else {
				ck_assert_uint_eq(pos, end);
			}
		}
	}
	return frames;
}

enum { NFRAMES = 64 };

/* A stream: prologue then NFRAMES frames of assorted sizes (1 .. 65535). */
static size_t make_stream(lc_test_rng *rng, uint8_t *stream, uint8_t *payloads,
			  size_t *lens)
{
	size_t pos = LC_FRAME_PROLOGUE_LEN, ppos = 0;

	lc_frame_prologue(stream);
	for (int i = 0; i < NFRAMES; i++) {
		size_t n;
		switch (i % 4) {
		case 0: n = 1 + lc_test_rng_below(rng, 16); break;
		case 1: n = 1 + lc_test_rng_below(rng, 1500); break;
		case 2: n = 1 + lc_test_rng_below(rng, 9000); break;
		default: n = i == 3 ? LC_FRAME_MAX : 1 + lc_test_rng_below(rng, LC_FRAME_MAX); break;
		}
		lc_test_rng_bytes(rng, payloads + ppos, n);
		int w = lc_frame_encode(stream + pos, (size_t)-1 - pos,
					payloads + ppos, n);
		ck_assert_int_eq(w, (int)n + 2);
		pos += (size_t)w;
		ppos += n;
		lens[i] = n;
	}
	return pos;
}

static void check_stream(uint64_t seed, int bytewise)
{
	size_t cap = NFRAMES * (LC_FRAME_MAX + 2) + LC_FRAME_PROLOGUE_LEN;
	uint8_t *stream = malloc(cap), *payloads = malloc(cap), *got = malloc(cap);
	size_t lens[NFRAMES], got_lens[NFRAMES], total = 0;
	lc_test_rng rng;
	lc_frame_decoder *d;
	size_t len;

	ck_assert_ptr_nonnull(stream);
	ck_assert_ptr_nonnull(payloads);
	ck_assert_ptr_nonnull(got);
	lc_test_rng_seed(&rng, seed);
	len = make_stream(&rng, stream, payloads, lens);
	ck_assert_int_eq(lc_frame_decoder_new(&d, LC_FRAME_EXPECT_PROLOGUE, NULL), 0);
	ck_assert_int_eq(lc_frame_decoder_finish(d), LC_ERR_TRUNCATED);
	ck_assert_int_eq(decode_all(d, stream, len, bytewise ? NULL : &rng,
				    got, got_lens), NFRAMES);
	for (int i = 0; i < NFRAMES; i++) {
		ck_assert_uint_eq(got_lens[i], lens[i]);
		total += lens[i];
	}
	ck_assert_mem_eq(got, payloads, total);
	ck_assert_int_eq(lc_frame_decoder_peer_version(d), LC_PROTOCOL_VERSION);
	ck_assert_int_eq(lc_frame_decoder_finish(d), 0);
	lc_frame_decoder_free(d);
	free(stream);
	free(payloads);
	free(got);
}

START_TEST(wire_frame_one_byte_at_a_time)
{
	check_stream(1, 1);
}
END_TEST

START_TEST(wire_frame_random_splits)
{
	for (uint64_t seed = 1; seed <= 20; seed++)
		check_stream(seed * 7919, 0);
}
END_TEST

START_TEST(wire_frame_whole_input_is_zero_copy)
{
	uint8_t buf[2 + 5] = { 0, 5, 'h', 'e', 'l', 'l', 'o' };
	lc_frame_decoder *d;
	const uint8_t *f;
	size_t used, flen;

	ck_assert_int_eq(lc_frame_decoder_new(&d, 0, NULL), 0);
	ck_assert_int_eq(lc_frame_decode(d, buf, sizeof buf, &used, &f, &flen), 1);
	ck_assert_ptr_eq(f, buf + 2);
	ck_assert_uint_eq(flen, 5);
	ck_assert_uint_eq(used, sizeof buf);
	ck_assert_int_eq(lc_frame_decoder_peer_version(d), 0);
	lc_frame_decoder_free(d);
}
END_TEST

START_TEST(wire_frame_two_frames_in_one_read)
{
	uint8_t buf[] = { 0, 1, 'a', 0, 2, 'b', 'c', 0 };
	lc_frame_decoder *d;
	const uint8_t *f;
	size_t used, flen;

	ck_assert_int_eq(lc_frame_decoder_new(&d, 0, NULL), 0);
	ck_assert_int_eq(lc_frame_decode(d, buf, sizeof buf, &used, &f, &flen), 1);
	ck_assert_uint_eq(used, 3);
	ck_assert_int_eq(f[0], 'a');
	ck_assert_int_eq(lc_frame_decode(d, buf + 3, sizeof buf - 3, &used, &f, &flen), 1);
	ck_assert_uint_eq(used, 4);
	ck_assert_uint_eq(flen, 2);
	ck_assert_mem_eq(f, "bc", 2);
	/* One byte of the next length prefix: truncated if the stream ends. */
	ck_assert_int_eq(lc_frame_decode(d, buf + 7, 1, &used, &f, &flen), 0);
	ck_assert_uint_eq(used, 1);
	ck_assert_int_eq(lc_frame_decoder_finish(d), LC_ERR_TRUNCATED);
	lc_frame_decoder_free(d);
}
END_TEST

/* Feed bytes one at a time until an error; returns it (or 0). */
static int feed_bytewise(lc_frame_decoder *d, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t used;
		const uint8_t *f;
		size_t flen;
		int rv = lc_frame_decode(d, buf + i, 1, &used, &f, &flen);
		if (rv < 0)
			return rv;
	}
	return 0;
}

START_TEST(wire_frame_bad_prologue)
{
	const uint8_t bad[] = "LCHAX\x01";
	const uint8_t http[] = "GET / HTTP/1.1\r\n";
	lc_frame_decoder *d;

	ck_assert_int_eq(lc_frame_decoder_new(&d, LC_FRAME_EXPECT_PROLOGUE, NULL), 0);
	ck_assert_int_eq(feed_bytewise(d, bad, 6), LC_ERR_BAD_PROLOGUE);
	/* Dead: the same error again, whatever comes. */
	ck_assert_int_eq(feed_bytewise(d, (const uint8_t *)"\0\1a", 3),
			 LC_ERR_BAD_PROLOGUE);
	ck_assert_int_eq(lc_frame_decoder_finish(d), LC_ERR_BAD_PROLOGUE);
	lc_frame_decoder_free(d);

	ck_assert_int_eq(lc_frame_decoder_new(&d, LC_FRAME_EXPECT_PROLOGUE, NULL), 0);
	ck_assert_int_eq(feed_bytewise(d, http, sizeof http - 1), LC_ERR_BAD_PROLOGUE);
	lc_frame_decoder_free(d);
}
END_TEST

START_TEST(wire_frame_wrong_version)
{
	uint8_t p[LC_FRAME_PROLOGUE_LEN];
	lc_frame_decoder *d;

	lc_frame_prologue(p);
	ck_assert_mem_eq(p, "LCHAT", 5);
	ck_assert_int_eq(p[5], LC_PROTOCOL_VERSION);
	p[5] = LC_PROTOCOL_VERSION + 1;
	ck_assert_int_eq(lc_frame_decoder_new(&d, LC_FRAME_EXPECT_PROLOGUE, NULL), 0);
	ck_assert_int_eq(feed_bytewise(d, p, sizeof p), LC_ERR_VERSION);
	ck_assert_int_eq(lc_frame_decoder_peer_version(d), LC_PROTOCOL_VERSION + 1);
	lc_frame_decoder_free(d);

	p[5] = 0;
	ck_assert_int_eq(lc_frame_decoder_new(&d, LC_FRAME_EXPECT_PROLOGUE, NULL), 0);
	ck_assert_int_eq(feed_bytewise(d, p, sizeof p), LC_ERR_VERSION);
	lc_frame_decoder_free(d);
}
END_TEST

START_TEST(wire_frame_oversize_refused_before_allocation)
{
	lc_test_alloc ta;
	lc_frame_decoder *d;
	const uint8_t prefix[2] = { 0x04, 0x01 }; /* 1025 */
	const uint8_t *f;
	size_t used, flen;

	lc_test_alloc_init(&ta, 0);
	ck_assert_int_eq(lc_frame_decoder_new(&d, 0, &ta.hooks), 0);
	ck_assert_int_eq(lc_frame_decoder_set_max(d, 1024), 0);
	long before = ta.allocs;
	ck_assert_int_eq(lc_frame_decode(d, prefix, 2, &used, &f, &flen),
			 LC_ERR_FRAME_TOO_LARGE);
	ck_assert_int_eq(ta.allocs, before); /* refused from the prefix alone */
	ck_assert_int_eq(lc_frame_decode(d, prefix, 2, &used, &f, &flen),
			 LC_ERR_FRAME_TOO_LARGE);
	lc_frame_decoder_free(d);
	ck_assert_int_eq(ta.live, 0);

	/* At the limit is fine. */
	uint8_t ok[2 + 1024] = { 0x04, 0x00 };
	ck_assert_int_eq(lc_frame_decoder_new(&d, 0, &ta.hooks), 0);
	ck_assert_int_eq(lc_frame_decoder_set_max(d, 1024), 0);
	ck_assert_int_eq(feed_bytewise(d, ok, sizeof ok), 0);
	ck_assert_uint_le(ta.largest, 1024 + sizeof(void *) * 32);
	lc_frame_decoder_free(d);
	ck_assert_int_eq(ta.live, 0);
}
END_TEST

START_TEST(wire_frame_limits)
{
	lc_frame_decoder *d;

	ck_assert_int_eq(lc_frame_decoder_new(&d, 0, NULL), 0);
	ck_assert_int_eq(lc_frame_decoder_set_max(d, 0), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_frame_decoder_set_max(d, LC_FRAME_MAX + 1), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_frame_decoder_set_max(d, LC_FRAME_MAX), 0);
	ck_assert_int_eq(lc_frame_decoder_set_max(d, 1), 0);
	lc_frame_decoder_free(d);
	ck_assert_int_eq(lc_frame_decoder_new(&d, 0x80, NULL), LC_ERR_INVALID_ARG);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(lc_frame_decoder_new(NULL, 0, NULL), LC_ERR_INVALID_ARG);
	ck_assert_uint_eq(lc_frame_max(), 65535);
	ck_assert_uint_eq(lc_envelope_max(), 65519);
	lc_frame_decoder_free(NULL);
}
END_TEST

START_TEST(wire_frame_zero_length_is_malformed)
{
	uint8_t buf[] = { 0, 0 };
	lc_frame_decoder *d;

	ck_assert_int_eq(lc_frame_decoder_new(&d, 0, NULL), 0);
	ck_assert_int_eq(feed_bytewise(d, buf, 2), LC_ERR_MALFORMED);
	ck_assert_int_eq(lc_frame_decoder_finish(d), LC_ERR_MALFORMED);
	lc_frame_decoder_free(d);
}
END_TEST

START_TEST(wire_frame_truncated)
{
	uint8_t buf[2 + 100] = { 0, 100 };
	lc_frame_decoder *d;

	/* Ends inside the payload. */
	ck_assert_int_eq(lc_frame_decoder_new(&d, 0, NULL), 0);
	ck_assert_int_eq(feed_bytewise(d, buf, 50), 0);
	ck_assert_int_eq(lc_frame_decoder_finish(d), LC_ERR_TRUNCATED);
	ck_assert_int_eq(feed_bytewise(d, buf + 50, sizeof buf - 50), 0);
	ck_assert_int_eq(lc_frame_decoder_finish(d), 0);
	lc_frame_decoder_free(d);

	/* Ends inside the prologue. */
	ck_assert_int_eq(lc_frame_decoder_new(&d, LC_FRAME_EXPECT_PROLOGUE, NULL), 0);
	ck_assert_int_eq(feed_bytewise(d, (const uint8_t *)"LCH", 3), 0);
	ck_assert_int_eq(lc_frame_decoder_finish(d), LC_ERR_TRUNCATED);
	lc_frame_decoder_free(d);
}
END_TEST

START_TEST(wire_frame_encode_errors)
{
	uint8_t out[8], p[4] = { 1, 2, 3, 4 };
	uint8_t h[2];

	ck_assert_int_eq(lc_frame_encode(out, sizeof out, p, 0), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_frame_encode(out, 5, p, 4), LC_ERR_BUFFER_TOO_SMALL);
	ck_assert_int_eq(lc_frame_encode(NULL, 8, p, 4), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_frame_encode(out, sizeof out, p, LC_FRAME_MAX + 1),
			 LC_ERR_FRAME_TOO_LARGE);
	ck_assert_int_eq(lc_frame_encode(out, 6, p, 4), 6);
	ck_assert_mem_eq(out, "\x00\x04\x01\x02\x03\x04", 6);
	/* In place: the payload already sits after the prefix. */
	memcpy(out + 2, "abc", 3);
	ck_assert_int_eq(lc_frame_encode(out, sizeof out, out + 2, 3), 5);
	ck_assert_mem_eq(out, "\x00\x03" "abc", 5);
	ck_assert_int_eq(lc_frame_header(h, 0x1234), 0);
	ck_assert_int_eq(h[0], 0x12);
	ck_assert_int_eq(h[1], 0x34);
	ck_assert_int_eq(lc_frame_header(h, 0), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_frame_header(h, 65536), LC_ERR_FRAME_TOO_LARGE);
}
END_TEST

START_TEST(wire_frame_failing_allocator)
{
	/* Walk every allocation of a split-frame decode; each failure is
	 * NOMEM, fatal, and leaks nothing. */
	uint8_t buf[2 + 300];
	int saw_success = 0;

	buf[0] = 1;
	buf[1] = 44;
	memset(buf + 2, 0xab, 300);
	for (long fail = 1; fail < 20 && !saw_success; fail++) {
		lc_test_alloc ta;
		lc_frame_decoder *d = NULL;
		int rv;

		lc_test_alloc_init(&ta, fail);
		rv = lc_frame_decoder_new(&d, 0, &ta.hooks);
		if (rv == 0) {
			rv = feed_bytewise(d, buf, sizeof buf);
			lc_frame_decoder_free(d);
		}
		if (rv == 0)
			saw_success = 1;
		else
			ck_assert_int_eq(rv, LC_ERR_NOMEM);
		ck_assert_int_eq(ta.live, 0);
	}
	ck_assert(saw_success);
}
END_TEST

/* ------------------------------------------------------------ envelopes */

START_TEST(wire_envelope_every_body_round_trips)
{
	const ProtobufCMessageDescriptor *d = &libchat__envelope__descriptor;
	unsigned bodies = 0;

	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		struct lc_test_arena a = { .n = 0 };
		lc_envelope env, *back = NULL;
		uint8_t buf[LC_ENVELOPE_MAX], buf2[LC_ENVELOPE_MAX];
		int n, n2;

		if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			continue;
		bodies++;
		libchat__envelope__init(&env);
		env.request_id = 0x0102030405060708ull + f->id;
		ck_assert_int_eq(lc_pb_fill_field(&a, &env.base, f->id, f->id), 0);
		n = lc_envelope_pack(&env, buf, sizeof buf);
		ck_assert_int_gt(n, 10); /* request id and a non-empty body */
		ck_assert_int_eq((size_t)n, lc_envelope_size(&env));
		ck_assert_int_eq(lc_envelope_unpack(buf, (size_t)n, NULL, &back), 0);
		ck_assert_ptr_nonnull(back);
		ck_assert_int_eq(back->body_case, (int)f->id);
		ck_assert_uint_eq(back->request_id, env.request_id);
		/* Re-encoding what was decoded gives the same bytes: nothing
		 * was lost or changed on the way. */
		n2 = lc_envelope_pack(back, buf2, sizeof buf2);
		ck_assert_int_eq(n2, n);
		ck_assert_mem_eq(buf, buf2, (size_t)n);
		lc_envelope_free(back, NULL);
		lc_test_arena_free(&a);
	}
	/* Every operation of the protocol is a body. */
	/* 5 account, 3 key, 3 message, 6 group, 3 presence, 1 media, ack,
	 * error. */
	ck_assert_uint_eq(bodies, 23);
}
END_TEST

START_TEST(wire_envelope_send_fields)
{
	uint8_t mid[16], body[40], buf[256];
	Libchat__Address to = LIBCHAT__ADDRESS__INIT;
	Libchat__Ciphertext ct = LIBCHAT__CIPHERTEXT__INIT, *cts[1] = { &ct };
	Libchat__Send send = LIBCHAT__SEND__INIT;
	lc_envelope env = LIBCHAT__ENVELOPE__INIT, *back;
	int n;

	memset(mid, 0x5a, sizeof mid);
	memset(body, 0xc3, sizeof body);
	to.user_id = (char *)"u-bob";
	to.device_id = 3;
	ct.to = &to;
	ct.type = LIBCHAT__CIPHER_TYPE__CIPHER_PREKEY;
	ct.body.data = body;
	ct.body.len = sizeof body;
	send.message_id.data = mid;
	send.message_id.len = sizeof mid;
	send.n_copies = 1;
	send.copies = cts;
	env.request_id = 7;
	env.body_case = LIBCHAT__ENVELOPE__BODY_SEND;
	env.send = &send;
	n = lc_envelope_pack(&env, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(lc_envelope_unpack(buf, (size_t)n, NULL, &back), 0);
	ck_assert_uint_eq(back->request_id, 7);
	ck_assert_uint_eq(back->send->message_id.len, 16);
	ck_assert_mem_eq(back->send->message_id.data, mid, 16);
	ck_assert_uint_eq(back->send->n_copies, 1);
	ck_assert_str_eq(back->send->copies[0]->to->user_id, "u-bob");
	ck_assert_uint_eq(back->send->copies[0]->to->device_id, 3);
	ck_assert_int_eq(back->send->copies[0]->type, LIBCHAT__CIPHER_TYPE__CIPHER_PREKEY);
	ck_assert_mem_eq(back->send->copies[0]->body.data, body, sizeof body);
	lc_envelope_free(back, NULL);

	/* Too small an output buffer. */
	ck_assert_int_eq(lc_envelope_pack(&env, buf, 10), LC_ERR_BUFFER_TOO_SMALL);
}
END_TEST

START_TEST(wire_envelope_bad_input)
{
	lc_envelope *env;
	uint8_t garbage[64];
	lc_test_rng rng;
	/* request_id 5, then field 999 (varint 1): a body from the future. */
	const uint8_t future[] = { 0x08, 0x05, 0xb8, 0x3e, 0x01 };
	/* request_id 9 and nothing else. */
	const uint8_t nobody[] = { 0x08, 0x09 };
	/* heartbeat (52) with a length running past the end. */
	const uint8_t truncated[] = { 0xa2, 0x03, 0x10, 0x08 };
	/* user_lookup (14) { phone (1): "\xff" } — not UTF-8. */
	const uint8_t bad_utf8[] = { 0x72, 0x03, 0x0a, 0x01, 0xff };
	/* heartbeat (52) { field 0 as a 2-byte tag, fixed64 }: field 0 is
	 * never valid. */
	const uint8_t field_zero[] = { 0xa2, 0x03, 0x0a, 0x81, 0x00,
				       1, 2, 3, 4, 5, 6, 7, 8 };
	/* user_lookup (14) { phone (1): "+1" } — fine. */
	const uint8_t good_utf8[] = { 0x72, 0x04, 0x0a, 0x02, '+', '1' };

	ck_assert_int_eq(lc_envelope_unpack(future, sizeof future, NULL, &env),
			 LC_ERR_UNSUPPORTED);
	ck_assert_ptr_nonnull(env);
	ck_assert_uint_eq(env->request_id, 5);
	lc_envelope_free(env, NULL);

	ck_assert_int_eq(lc_envelope_unpack(nobody, sizeof nobody, NULL, &env),
			 LC_ERR_UNSUPPORTED);
	ck_assert_uint_eq(env->request_id, 9);
	lc_envelope_free(env, NULL);

	ck_assert_int_eq(lc_envelope_unpack(truncated, sizeof truncated, NULL, &env),
			 LC_ERR_MALFORMED);
	ck_assert_ptr_null(env);
	ck_assert_int_eq(lc_envelope_unpack(bad_utf8, sizeof bad_utf8, NULL, &env),
			 LC_ERR_MALFORMED);
	ck_assert_ptr_null(env);
	ck_assert_int_eq(lc_envelope_unpack(field_zero, sizeof field_zero, NULL, &env),
			 LC_ERR_MALFORMED);
	ck_assert_ptr_null(env);
	ck_assert_int_eq(lc_envelope_unpack(good_utf8, sizeof good_utf8, NULL, &env), 0);
	ck_assert_str_eq(env->user_lookup->phone, "+1");
	lc_envelope_free(env, NULL);

	/* Random garbage never crashes; mostly malformed. */
	lc_test_rng_seed(&rng, 42);
	for (int i = 0; i < 20000; i++) {
		size_t n = lc_test_rng_below(&rng, sizeof garbage);
		int rv;

		lc_test_rng_bytes(&rng, garbage, n);
		rv = lc_envelope_unpack(garbage, n, NULL, &env);
		ck_assert(rv == 0 || rv == LC_ERR_MALFORMED || rv == LC_ERR_UNSUPPORTED);
		if (rv == LC_ERR_MALFORMED)
			ck_assert_ptr_null(env);
		lc_envelope_free(env, NULL);
	}
}
END_TEST

START_TEST(wire_envelope_size_limits)
{
	static uint8_t big[LC_ENVELOPE_MAX + 100];
	Libchat__Deliver del = LIBCHAT__DELIVER__INIT;
	lc_envelope env = LIBCHAT__ENVELOPE__INIT, *back;
	int n;

	ck_assert_int_eq(lc_envelope_unpack(big, LC_ENVELOPE_MAX + 1, NULL, &back),
			 LC_ERR_FRAME_TOO_LARGE);
	ck_assert_ptr_null(back);

	env.body_case = LIBCHAT__ENVELOPE__BODY_DELIVER;
	env.deliver = &del;
	del.body.data = big;
	del.body.len = LC_ENVELOPE_MAX; /* plus tags: over the limit */
	ck_assert_int_eq(lc_envelope_pack(&env, big, sizeof big), LC_ERR_FRAME_TOO_LARGE);

	/* The largest body that fits exactly. */
	/* Envelope: tag of field 31 (2 bytes) + length (3); Deliver: tag of
	 * field 5 (1) + length (3). */
	del.body.len = LC_ENVELOPE_MAX - 9;
	static uint8_t out[LC_ENVELOPE_MAX];
	n = lc_envelope_pack(&env, out, sizeof out);
	ck_assert_int_eq(n, LC_ENVELOPE_MAX);
	ck_assert_int_eq(lc_envelope_unpack(out, (size_t)n, NULL, &back), 0);
	ck_assert_uint_eq(back->deliver->body.len, LC_ENVELOPE_MAX - 9);
	lc_envelope_free(back, NULL);

	/* No body: refused at encode. */
	lc_envelope empty = LIBCHAT__ENVELOPE__INIT;
	ck_assert_int_eq(lc_envelope_pack(&empty, out, sizeof out), LC_ERR_INVALID_ARG);
}
END_TEST

START_TEST(wire_envelope_failing_allocator)
{
	struct lc_test_arena a = { .n = 0 };
	lc_envelope env;
	uint8_t buf[LC_ENVELOPE_MAX];
	int n, saw_success = 0;

	libchat__envelope__init(&env);
	ck_assert_int_eq(lc_pb_fill_field(&a, &env.base,
					  LIBCHAT__ENVELOPE__BODY_GROUP_EVENT, 1), 0);
	n = lc_envelope_pack(&env, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	for (long fail = 1; fail < 200 && !saw_success; fail++) {
		lc_test_alloc ta;
		lc_envelope *back = NULL;
		int rv;

		lc_test_alloc_init(&ta, fail);
		rv = lc_envelope_unpack(buf, (size_t)n, &ta.hooks, &back);
		if (rv == 0) {
			saw_success = 1;
			lc_envelope_free(back, &ta.hooks);
		} else {
			ck_assert_int_eq(rv, LC_ERR_NOMEM);
			ck_assert_ptr_null(back);
		}
		ck_assert_int_eq(ta.live, 0);
	}
	ck_assert(saw_success);
	lc_test_arena_free(&a);
}
END_TEST

START_TEST(wire_utf8)
{
	ck_assert(lc_utf8_valid((const uint8_t *)"", 0));
	ck_assert(lc_utf8_valid((const uint8_t *)"plain", 5));
	ck_assert(lc_utf8_valid((const uint8_t *)"caf\xc3\xa9", 5));
	ck_assert(lc_utf8_valid((const uint8_t *)"\xe2\x82\xac", 3));       /* € */
	ck_assert(lc_utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80", 4));   /* 😀 */
	ck_assert(lc_utf8_valid((const uint8_t *)"\xf4\x8f\xbf\xbf", 4));   /* U+10FFFF */
	ck_assert(!lc_utf8_valid((const uint8_t *)"\xc0\xaf", 2));          /* overlong */
	ck_assert(!lc_utf8_valid((const uint8_t *)"\xe0\x80\xaf", 3));      /* overlong */
	ck_assert(!lc_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));      /* surrogate */
	ck_assert(!lc_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
	ck_assert(!lc_utf8_valid((const uint8_t *)"\xc3", 1));              /* truncated */
	ck_assert(!lc_utf8_valid((const uint8_t *)"\x80", 1));              /* stray */
	ck_assert(!lc_utf8_valid((const uint8_t *)"\xff", 1));
	ck_assert(!lc_utf8_valid((const uint8_t *)"a\xe2\x82", 3));
}
END_TEST

static Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *t = tcase_create("errors");

	tcase_add_test(t, wire_error_codes_match_proto);
	tcase_add_test(t, wire_strerror_and_fatal);
	suite_add_tcase(s, t);

	t = tcase_create("frame");
	tcase_add_test(t, wire_frame_one_byte_at_a_time);
	tcase_add_test(t, wire_frame_random_splits);
	tcase_add_test(t, wire_frame_whole_input_is_zero_copy);
	tcase_add_test(t, wire_frame_two_frames_in_one_read);
	tcase_add_test(t, wire_frame_bad_prologue);
	tcase_add_test(t, wire_frame_wrong_version);
	tcase_add_test(t, wire_frame_oversize_refused_before_allocation);
	tcase_add_test(t, wire_frame_limits);
	tcase_add_test(t, wire_frame_zero_length_is_malformed);
	tcase_add_test(t, wire_frame_truncated);
	tcase_add_test(t, wire_frame_encode_errors);
	tcase_add_test(t, wire_frame_failing_allocator);
	suite_add_tcase(s, t);

	t = tcase_create("envelope");
	tcase_add_test(t, wire_envelope_every_body_round_trips);
	tcase_add_test(t, wire_envelope_send_fields);
	tcase_add_test(t, wire_envelope_bad_input);
	tcase_add_test(t, wire_envelope_size_limits);
	tcase_add_test(t, wire_envelope_failing_allocator);
	tcase_add_test(t, wire_utf8);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return lc_test_run(wire_suite());
}
