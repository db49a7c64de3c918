/* Suite "noise", secure channel: a client and a server lc_noise_conn
 * driven through an in-memory pump (no sockets, random split reads), and
 * every kind of bad input ending one connection. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <libchat/frame.h>
#include <libchat/noise.h>

#include "conn.h"
#include "test_noise.h"

/* Payloads one side received, concatenated, with their lengths. */
typedef struct sink {
	uint8_t *buf;
	size_t len, cap;
	size_t lens[64];
	int count;
} sink;

static void sink_add(sink *s, const uint8_t *p, size_t n)
{
	if (s == NULL)
		return;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->buf = realloc(s->buf, s->cap);
		ck_assert_ptr_nonnull(s->buf);
	}
	if (n)
		memcpy(s->buf + s->len, p, n);
	s->len += n;
	ck_assert_int_lt(s->count, 64);
	s->lens[s->count++] = n;
}

/* Feed bytes to a connection in random chunks; 0 or its error. */
static int feed(lc_noise_conn *to, const uint8_t *in, size_t len,
		lc_test_rng *rng, sink *got)
{
	size_t pos = 0;

	while (pos < len) {
		size_t chunk = rng ? 1 + lc_test_rng_below(rng, 3000) : len;
		size_t end = pos + chunk > len ? len : pos + chunk;

		while (pos < end) {
			size_t used;
			const uint8_t *p;
			size_t plen;
			int rv = lc_noise_conn_recv(to, in + pos, end - pos,
						    &used, &p, &plen);
			if (rv < 0)
				return rv;
			ck_assert_uint_le(used, end - pos);
			pos += used;
			if (rv == 1)
				sink_add(got, p, plen);
			else
				ck_assert_uint_eq(pos, end);
		}
	}
	return 0;
}

/* Move everything `from` has to send into `to`; 0 or to's error. The
 * output is taken in random pieces, as partial socket writes. */
static int pump(lc_noise_conn *from, lc_noise_conn *to, lc_test_rng *rng,
		sink *got)
{
	const uint8_t *data;
	size_t n;

	while ((n = lc_noise_conn_output(from, &data)) > 0) {
		size_t take = rng ? 1 + lc_test_rng_below(rng, n) : n;
		uint8_t *copy = malloc(take);
		int rv;

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, data, take);
		ck_assert_int_eq(lc_noise_conn_output_consume(from, take), 0);
		rv = feed(to, copy, take, rng, got);
		free(copy);
		if (rv < 0)
			return rv;
	}
	ck_assert_int_eq(lc_noise_conn_want_write(from), 0);
	return 0;
}

/* Take the pending output of c into a malloc'd buffer. */
static uint8_t *take_output(lc_noise_conn *c, size_t *len)
{
	const uint8_t *data;
	size_t n = lc_noise_conn_output(c, &data);
	uint8_t *copy = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, data, n);
	ck_assert_int_eq(lc_noise_conn_output_consume(c, n), 0);
	*len = n;
	return copy;
}

typedef struct keys {
	uint8_t client[32], client_pub[32], server[32], server_pub[32];
} keys;

static void make_keys(keys *k, uint64_t seed)
{
	lc_test_rng rng;

	lc_test_rng_seed(&rng, seed);
	noise_test_key(&rng, k->client, k->client_pub);
	noise_test_key(&rng, k->server, k->server_pub);
}

/* Run the handshake with random splits; returns 0 or the first error. */
static int handshake(lc_noise_conn *cl, lc_noise_conn *sv, lc_test_rng *rng)
{
	int rv;

	for (int round = 0; round < 4; round++) {
		if ((rv = pump(cl, sv, rng, NULL)) < 0 ||
		    (rv = pump(sv, cl, rng, NULL)) < 0)
			return rv;
	}
	return 0;
}

static void connect_pair(const keys *k, const uint8_t *pin, unsigned flags,
			 lc_noise_conn **cl, lc_noise_conn **sv,
			 lc_test_rng *rng)
{
	ck_assert_int_eq(lc_noise_conn_client_new(cl, k->client, pin, flags,
						  NULL, NULL), 0);
	ck_assert_int_eq(lc_noise_conn_server_new(sv, k->server, NULL, NULL), 0);
	ck_assert_int_eq(handshake(*cl, *sv, rng), 0);
	ck_assert(lc_noise_conn_is_established(*cl));
	ck_assert(lc_noise_conn_is_established(*sv));
}

/* Send a set of payloads each way and check they arrive intact. */
static void exchange(lc_noise_conn *a, lc_noise_conn *b, lc_test_rng *rng)
{
	static const size_t sizes[] = { 0, 1, 100, 1500, LC_ENVELOPE_MAX, 7 };
	enum { N = sizeof sizes / sizeof sizes[0] };
	lc_noise_conn *ends[2] = { a, b };

	for (int dir = 0; dir < 2; dir++) {
		sink got = { 0 };
		uint8_t *sent = malloc(LC_ENVELOPE_MAX * 2 + 2000);
		size_t total = 0;

		ck_assert_ptr_nonnull(sent);
		for (int i = 0; i < N; i++) {
			lc_test_rng_bytes(rng, sent + total, sizes[i]);
			ck_assert_int_eq(lc_noise_conn_send(ends[dir],
					 sent + total, sizes[i]), 0);
			total += sizes[i];
		}
		ck_assert(lc_noise_conn_want_write(ends[dir]));
		ck_assert_int_eq(pump(ends[dir], ends[1 - dir], rng, &got), 0);
		ck_assert_int_eq(got.count, N);
		for (int i = 0; i < N; i++)
			ck_assert_uint_eq(got.lens[i], sizes[i]);
		ck_assert_uint_eq(got.len, total);
		ck_assert_mem_eq(got.buf, sent, total);
		free(got.buf);
		free(sent);
	}
}

static void check_identities(const keys *k, lc_noise_conn *cl,
			     lc_noise_conn *sv)
{
	uint8_t key[32], h1[64], h2[64];

	ck_assert_int_eq(lc_noise_conn_remote_static(cl, key), 0);
	ck_assert_mem_eq(key, k->server_pub, 32);
	ck_assert_int_eq(lc_noise_conn_remote_static(sv, key), 0);
	ck_assert_mem_eq(key, k->client_pub, 32);
	ck_assert_int_eq(lc_noise_conn_handshake_hash(cl, h1, sizeof h1), 64);
	ck_assert_int_eq(lc_noise_conn_handshake_hash(sv, h2, sizeof h2), 64);
	ck_assert_mem_eq(h1, h2, 64);
	ck_assert_int_eq(lc_noise_conn_handshake_hash(sv, h2, 63),
			 LC_ERR_BUFFER_TOO_SMALL);
}

START_TEST(conn_xx_then_ik)
{
	lc_test_rng rng;
	lc_noise_conn *cl, *sv;
	keys k;
	uint8_t learned[32];

	lc_test_rng_seed(&rng, 100 + (uint64_t)_i);
	make_keys(&k, 1);
	/* First contact: XX; the client learns the key to pin. */
	connect_pair(&k, NULL, 0, &cl, &sv, &rng);
	ck_assert_int_eq(lc_noise_conn_pattern(cl), LC_NOISE_CONN_XX);
	ck_assert_int_eq(lc_noise_conn_pattern(sv), LC_NOISE_CONN_XX);
	check_identities(&k, cl, sv);
	ck_assert_int_eq(lc_noise_conn_remote_static(cl, learned), 0);
	exchange(cl, sv, &rng);
	ck_assert_int_eq(lc_noise_conn_finish(sv), 0);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);

	/* Next connection: IK with the pinned key. */
	connect_pair(&k, learned, 0, &cl, &sv, &rng);
	ck_assert_int_eq(lc_noise_conn_pattern(cl), LC_NOISE_CONN_IK);
	ck_assert_int_eq(lc_noise_conn_pattern(sv), LC_NOISE_CONN_IK);
	check_identities(&k, cl, sv);
	exchange(sv, cl, &rng);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);

	/* XX under a pin that matches. */
	connect_pair(&k, learned, LC_NOISE_CONN_FORCE_XX, &cl, &sv, &rng);
	ck_assert_int_eq(lc_noise_conn_pattern(sv), LC_NOISE_CONN_XX);
	exchange(cl, sv, &rng);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);
}
END_TEST

START_TEST(conn_before_established)
{
	keys k;
	lc_noise_conn *cl, *sv;
	uint8_t key[32];
	const uint8_t *data;

	make_keys(&k, 2);
	ck_assert_int_eq(lc_noise_conn_client_new(&cl, k.client, NULL, 0, NULL,
						  NULL), 0);
	ck_assert_int_eq(lc_noise_conn_server_new(&sv, k.server, NULL, NULL), 0);
	/* Prologue and message 1 are queued at once: 6 + 2 + 32 bytes. */
	ck_assert_uint_eq(lc_noise_conn_output(cl, &data), 6 + 2 + 32);
	ck_assert_mem_eq(data, "LCHAT\x01\x00\x20", 8);
	ck_assert_uint_eq(lc_noise_conn_output(sv, &data), 6);
	ck_assert(lc_noise_conn_want_read(cl) && lc_noise_conn_want_write(cl));
	ck_assert_int_eq(lc_noise_conn_output_consume(sv, 7), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_noise_conn_send(cl, key, 1), LC_ERR_NOISE_STATE);
	ck_assert_int_eq(lc_noise_conn_remote_static(cl, key),
			 LC_ERR_NOISE_STATE);
	ck_assert_int_eq(lc_noise_conn_handshake_hash(cl, key, 64),
			 LC_ERR_NOISE_STATE);
	ck_assert_int_eq(lc_noise_conn_pattern(sv), LC_NOISE_CONN_UNKNOWN);
	ck_assert_int_eq(lc_noise_conn_finish(sv), LC_ERR_TRUNCATED);
	ck_assert_int_eq(lc_noise_conn_error(cl), 0);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);
	ck_assert_int_eq(lc_noise_conn_client_new(&cl, k.client, NULL, 2, NULL,
						  NULL), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_noise_conn_client_new(NULL, k.client, NULL, 0, NULL,
						  NULL), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_noise_conn_server_new(&sv, NULL, NULL, NULL),
			 LC_ERR_INVALID_ARG);
	lc_noise_conn_free(NULL);
}
END_TEST

START_TEST(conn_send_limits)
{
	lc_test_rng rng;
	keys k;
	lc_noise_conn *cl, *sv;
	static uint8_t big[LC_ENVELOPE_MAX + 1];

	lc_test_rng_seed(&rng, 5);
	make_keys(&k, 3);
	connect_pair(&k, NULL, 0, &cl, &sv, &rng);
	ck_assert_int_eq(lc_noise_conn_send(cl, big, LC_ENVELOPE_MAX + 1),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_noise_conn_send(cl, NULL, 1), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_noise_conn_send(cl, NULL, 0), 0);
	ck_assert_int_eq(lc_noise_conn_send(cl, big, LC_ENVELOPE_MAX), 0);
	ck_assert_int_eq(pump(cl, sv, &rng, NULL), 0);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);
}
END_TEST

/* A connection that failed: the same error forever, nothing to do. */
static void check_dead(lc_noise_conn *c, int error)
{
	size_t used;
	const uint8_t *p, *data;
	size_t plen;
	uint8_t x = 0;

	ck_assert_int_eq(lc_noise_conn_error(c), error);
	ck_assert_int_eq(lc_err_is_fatal(error), 1);
	ck_assert_int_eq(lc_noise_conn_recv(c, &x, 1, &used, &p, &plen), error);
	ck_assert_int_eq(lc_noise_conn_send(c, &x, 1), error);
	ck_assert_int_eq(lc_noise_conn_want_read(c), 0);
	ck_assert_int_eq(lc_noise_conn_want_write(c), 0);
	ck_assert_uint_eq(lc_noise_conn_output(c, &data), 0);
	ck_assert_int_eq(lc_noise_conn_finish(c), error);
}

/* A fresh server fed the client's prologue and then `frame`. */
static int server_gets(const keys *k, const uint8_t *frame, size_t len,
		       lc_noise_conn **sv)
{
	uint8_t buf[300];

	ck_assert_int_eq(lc_noise_conn_server_new(sv, k->server, NULL, NULL), 0);
	lc_frame_prologue(buf);
	ck_assert_int_eq(lc_frame_encode(buf + 6, sizeof buf - 6, frame, len),
			 (int)len + 2);
	return feed(*sv, buf, len + 8, NULL, NULL);
}

START_TEST(conn_bad_handshake_length)
{
	keys k;
	lc_noise_conn *sv, *cl;
	uint8_t msg[200] = { 1 };
	lc_test_rng rng;
	uint8_t *out;
	size_t n;

	make_keys(&k, 4);
	/* Message 1 neither 32 (XX) nor 96 (IK) bytes. */
	ck_assert_int_eq(server_gets(&k, msg, 33, &sv), LC_ERR_NOISE_BAD_LENGTH);
	check_dead(sv, LC_ERR_NOISE_BAD_LENGTH);
	lc_noise_conn_free(sv);

	/* A message 2 one byte too long, to the client. */
	lc_test_rng_seed(&rng, 6);
	ck_assert_int_eq(lc_noise_conn_client_new(&cl, k.client, NULL, 0, NULL,
						  NULL), 0);
	ck_assert_int_eq(lc_noise_conn_server_new(&sv, k.server, NULL, NULL), 0);
	ck_assert_int_eq(pump(cl, sv, &rng, NULL), 0);
	out = take_output(sv, &n);
	ck_assert_uint_eq(n, 6 + 2 + 96);
	out[6 + 1] = 97;
	out = realloc(out, n + 1);
	out[n] = 0;
	ck_assert_int_eq(feed(cl, out, n + 1, NULL, NULL),
			 LC_ERR_NOISE_BAD_LENGTH);
	check_dead(cl, LC_ERR_NOISE_BAD_LENGTH);
	free(out);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);
}
END_TEST

START_TEST(conn_bad_handshake_tag)
{
	keys k;
	lc_noise_conn *sv, *cl;
	uint8_t *out;
	size_t n;
	lc_test_rng rng;

	make_keys(&k, 5);
	lc_test_rng_seed(&rng, 7);
	/* IK message 1 with a flipped bit in its encrypted static key. */
	ck_assert_int_eq(lc_noise_conn_client_new(&cl, k.client, k.server_pub,
						  0, NULL, NULL), 0);
	out = take_output(cl, &n);
	ck_assert_uint_eq(n, 6 + 2 + 96);
	out[6 + 2 + 40] ^= 4;
	ck_assert_int_eq(lc_noise_conn_server_new(&sv, k.server, NULL, NULL), 0);
	ck_assert_int_eq(feed(sv, out, n, &rng, NULL), LC_ERR_NOISE_DECRYPT);
	check_dead(sv, LC_ERR_NOISE_DECRYPT);
	free(out);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);

	/* A low-order ephemeral key in XX message 1. */
	uint8_t zero[32] = { 0 };
	ck_assert_int_eq(server_gets(&k, zero, 32, &sv), LC_ERR_NOISE_BAD_KEY);
	check_dead(sv, LC_ERR_NOISE_BAD_KEY);
	lc_noise_conn_free(sv);
}
END_TEST

START_TEST(conn_key_pinning)
{
	keys k, other;
	lc_noise_conn *cl, *sv;
	lc_test_rng rng;

	make_keys(&k, 8);
	make_keys(&other, 9);
	lc_test_rng_seed(&rng, 10);
	/* XX under a pin the server's key does not match: the client stops
	 * before it reveals its own static key. */
	ck_assert_int_eq(lc_noise_conn_client_new(&cl, k.client,
			 other.server_pub, LC_NOISE_CONN_FORCE_XX, NULL, NULL), 0);
	ck_assert_int_eq(lc_noise_conn_server_new(&sv, k.server, NULL, NULL), 0);
	ck_assert_int_eq(pump(cl, sv, &rng, NULL), 0);
	ck_assert_int_eq(pump(sv, cl, &rng, NULL), LC_ERR_NOISE_KEY_MISMATCH);
	check_dead(cl, LC_ERR_NOISE_KEY_MISMATCH);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);

	/* IK under a stale pin: the server cannot open message 1. */
	ck_assert_int_eq(lc_noise_conn_client_new(&cl, k.client,
			 other.server_pub, 0, NULL, NULL), 0);
	ck_assert_int_eq(lc_noise_conn_server_new(&sv, k.server, NULL, NULL), 0);
	ck_assert_int_eq(pump(cl, sv, &rng, NULL), LC_ERR_NOISE_DECRYPT);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);

	/* A low-order pin is refused up front. */
	uint8_t zero[32] = { 0 };
	ck_assert_int_eq(lc_noise_conn_client_new(&cl, k.client, zero, 0,
						  NULL, NULL),
			 LC_ERR_NOISE_BAD_KEY);
	ck_assert_ptr_null(cl);
}
END_TEST

/* An established pair and n transport frames from client to server,
 * captured whole: frames[i] has length lens[i]. */
static void capture(lc_noise_conn **cl, lc_noise_conn **sv, keys *k,
		    uint8_t frames[][64], size_t *lens, int n)
{
	lc_test_rng rng;

	lc_test_rng_seed(&rng, 11);
	make_keys(k, 12);
	connect_pair(k, NULL, 0, cl, sv, &rng);
	for (int i = 0; i < n; i++) {
		uint8_t *out;
		uint8_t msg[8];

		memset(msg, 'a' + i, sizeof msg);
		ck_assert_int_eq(lc_noise_conn_send(*cl, msg, sizeof msg), 0);
		out = take_output(*cl, &lens[i]);
		ck_assert_uint_eq(lens[i], 2 + 8 + 16);
		memcpy(frames[i], out, lens[i]);
		free(out);
	}
}

START_TEST(conn_bad_transport_tag)
{
	lc_noise_conn *cl, *sv;
	keys k;
	uint8_t frames[2][64];
	size_t lens[2];
	sink got = { 0 };

	capture(&cl, &sv, &k, frames, lens, 2);
	ck_assert_int_eq(feed(sv, frames[0], lens[0], NULL, &got), 0);
	frames[1][lens[1] - 1] ^= 1;
	ck_assert_int_eq(feed(sv, frames[1], lens[1], NULL, &got),
			 LC_ERR_NOISE_DECRYPT);
	check_dead(sv, LC_ERR_NOISE_DECRYPT);
	ck_assert_int_eq(got.count, 1);
	free(got.buf);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);
}
END_TEST

START_TEST(conn_short_transport)
{
	lc_noise_conn *cl, *sv;
	keys k;
	uint8_t frames[1][64], f[17] = { 0, 15 };
	size_t lens[1];

	capture(&cl, &sv, &k, frames, lens, 1);
	ck_assert_int_eq(feed(sv, f, sizeof f, NULL, NULL),
			 LC_ERR_NOISE_BAD_LENGTH);
	check_dead(sv, LC_ERR_NOISE_BAD_LENGTH);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);
}
END_TEST

START_TEST(conn_replay)
{
	lc_noise_conn *cl, *sv;
	keys k;
	uint8_t frames[2][64];
	size_t lens[2];
	sink got = { 0 };

	capture(&cl, &sv, &k, frames, lens, 2);
	ck_assert_int_eq(feed(sv, frames[0], lens[0], NULL, &got), 0);
	ck_assert_int_eq(feed(sv, frames[1], lens[1], NULL, &got), 0);
	ck_assert_int_eq(feed(sv, frames[0], lens[0], NULL, &got),
			 LC_ERR_NOISE_REPLAY);
	check_dead(sv, LC_ERR_NOISE_REPLAY);
	ck_assert_int_eq(got.count, 2);
	ck_assert_mem_eq(got.buf, "aaaaaaaabbbbbbbb", 16);
	free(got.buf);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);
}
END_TEST

START_TEST(conn_reorder)
{
	lc_noise_conn *cl, *sv;
	keys k;
	uint8_t frames[3][64];
	size_t lens[3];
	sink got = { 0 };

	capture(&cl, &sv, &k, frames, lens, 3);
	ck_assert_int_eq(feed(sv, frames[0], lens[0], NULL, &got), 0);
	ck_assert_int_eq(feed(sv, frames[2], lens[2], NULL, &got),
			 LC_ERR_NOISE_REPLAY);
	check_dead(sv, LC_ERR_NOISE_REPLAY);
	ck_assert_int_eq(got.count, 1);
	free(got.buf);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);
}
END_TEST

START_TEST(conn_nonce_limit)
{
	lc_noise_conn *cl, *sv;
	keys k;
	uint8_t frames[1][64];
	size_t lens[1];
	lc_test_rng rng;
	sink got = { 0 };

	/* The receiving side: a message after its nonce reached 2^64-1. */
	capture(&cl, &sv, &k, frames, lens, 1);
	noise_conn_test_set_nonces(sv, 0, UINT64_MAX);
	ck_assert_int_eq(feed(sv, frames[0], lens[0], NULL, NULL),
			 LC_ERR_NOISE_NONCE_EXHAUSTED);
	check_dead(sv, LC_ERR_NOISE_NONCE_EXHAUSTED);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);

	/* The sending side: nonce 2^64-2 is the last one used. */
	lc_test_rng_seed(&rng, 13);
	make_keys(&k, 14);
	connect_pair(&k, NULL, 0, &cl, &sv, &rng);
	noise_conn_test_set_nonces(cl, UINT64_MAX - 1, 0);
	noise_conn_test_set_nonces(sv, 0, UINT64_MAX - 1);
	ck_assert_int_eq(lc_noise_conn_send(cl, (const uint8_t *)"last", 4), 0);
	ck_assert_int_eq(pump(cl, sv, &rng, &got), 0);
	ck_assert_int_eq(got.count, 1);
	ck_assert_int_eq(lc_noise_conn_send(cl, (const uint8_t *)"more", 4),
			 LC_ERR_NOISE_NONCE_EXHAUSTED);
	check_dead(cl, LC_ERR_NOISE_NONCE_EXHAUSTED);
	/* The other direction of the server is unaffected. */
	ck_assert_int_eq(lc_noise_conn_send(sv, (const uint8_t *)"x", 1), 0);
	free(got.buf);
	lc_noise_conn_free(cl);
	lc_noise_conn_free(sv);
}
END_TEST

/* One connection failing leaves another untouched. */
START_TEST(conn_failure_is_local)
{
	lc_test_rng rng;
	keys k;
	lc_noise_conn *cl1, *sv1, *cl2, *sv2;
	uint8_t junk[40];

	lc_test_rng_seed(&rng, 15);
	make_keys(&k, 16);
	connect_pair(&k, NULL, 0, &cl1, &sv1, &rng);
	connect_pair(&k, NULL, 0, &cl2, &sv2, &rng);
	memset(junk, 0, sizeof junk);
	junk[1] = 30;
	ck_assert_int_eq(feed(sv1, junk, 32, NULL, NULL), LC_ERR_NOISE_DECRYPT);
	exchange(cl2, sv2, &rng);
	lc_noise_conn_free(cl1);
	lc_noise_conn_free(sv1);
	lc_noise_conn_free(cl2);
	lc_noise_conn_free(sv2);
}
END_TEST

START_TEST(conn_prologue_errors)
{
	keys k;
	lc_noise_conn *sv, *cl;
	uint8_t *out;
	size_t n;

	make_keys(&k, 17);
	ck_assert_int_eq(lc_noise_conn_client_new(&cl, k.client, NULL, 0, NULL,
						  NULL), 0);
	out = take_output(cl, &n);
	/* A rewritten version byte: refused by the frame layer (and, for a
	 * version both sides spoke, by the Noise prologue binding). */
	out[5] = 2;
	ck_assert_int_eq(lc_noise_conn_server_new(&sv, k.server, NULL, NULL), 0);
	ck_assert_int_eq(feed(sv, out, n, NULL, NULL), LC_ERR_VERSION);
	check_dead(sv, LC_ERR_VERSION);
	lc_noise_conn_free(sv);
	out[0] = 'X';
	ck_assert_int_eq(lc_noise_conn_server_new(&sv, k.server, NULL, NULL), 0);
	ck_assert_int_eq(feed(sv, out, n, NULL, NULL), LC_ERR_BAD_PROLOGUE);
	lc_noise_conn_free(sv);
	free(out);
	lc_noise_conn_free(cl);
}
END_TEST

/* Every allocation of both sides, through a handshake and a large
 * message each way, fails cleanly and leaks nothing. */
START_TEST(conn_failing_allocator)
{
	keys k;
	int done = 0;
	long fail_at;

	make_keys(&k, 18);
	for (fail_at = 1; !done; fail_at++) {
		for (int side = 0; side < 2; side++) {
			lc_test_alloc ta;
			lc_test_rng rng;
			lc_noise_conn *cl = NULL, *sv = NULL;
			const lc_allocator *mc = side == 0 ? &ta.hooks : NULL;
			const lc_allocator *ms = side == 1 ? &ta.hooks : NULL;
			static uint8_t big[5000];
			int rv;

			lc_test_alloc_init(&ta, fail_at);
			lc_test_rng_seed(&rng, 19);
			rv = lc_noise_conn_client_new(&cl, k.client, NULL, 0,
						      mc, NULL);
			if (rv == 0)
				rv = lc_noise_conn_server_new(&sv, k.server, ms,
							      NULL);
			if (rv == 0)
				rv = handshake(cl, sv, &rng);
			if (rv == 0)
				rv = lc_noise_conn_send(cl, big, sizeof big);
			if (rv == 0)
				rv = pump(cl, sv, &rng, NULL);
			if (rv == 0)
				rv = lc_noise_conn_send(sv, big, sizeof big);
			if (rv == 0)
				rv = pump(sv, cl, &rng, NULL);
			ck_assert_msg(rv == 0 || rv == LC_ERR_NOMEM,
				      "fail_at %ld: %d", fail_at, rv);
			lc_noise_conn_free(cl);
			lc_noise_conn_free(sv);
			ck_assert_int_eq(ta.live, 0);
			if (rv == 0 && side == 1)
				done = 1;
		}
	}
	/* conn, decoder, output, handshake, ciphers, buffers: all walked. */
	ck_assert_int_ge(fail_at, 8);
}
END_TEST

TCase *noise_conn_tcase(void)
{
	TCase *t = tcase_create("conn");

	tcase_add_loop_test(t, conn_xx_then_ik, 0, 4);
	tcase_add_test(t, conn_before_established);
	tcase_add_test(t, conn_send_limits);
	tcase_add_test(t, conn_bad_handshake_length);
	tcase_add_test(t, conn_bad_handshake_tag);
	tcase_add_test(t, conn_key_pinning);
	tcase_add_test(t, conn_bad_transport_tag);
	tcase_add_test(t, conn_short_transport);
	tcase_add_test(t, conn_replay);
	tcase_add_test(t, conn_reorder);
	tcase_add_test(t, conn_nonce_limit);
	tcase_add_test(t, conn_failure_is_local);
	tcase_add_test(t, conn_prologue_errors);
	tcase_add_test(t, conn_failing_allocator);
	return t;
}
