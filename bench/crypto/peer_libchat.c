/*
 * libchat (lib/crypto) driven as an application would: a prekey bundle
 * parsed from the bytes the server sends, X3DH, the Double Ratchet and
 * sender keys, messages as bytes in caller buffers. Sessions live in memory;
 * persist() serialises them as an app storing after every message would.
 * Plaintexts are not padded (for no library), so all see the same bytes.
 */
#include "bench.h"

#include <libchat/common.h>
#include <libchat/crypto.h>
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIRE_CAP 4096

typedef struct lcb_ctx {
	lc_identity *ida, *idb;
	lc_prekeys *pkb;
	lc_ratchet *ra, *rb;
	lc_sender_key *ska, *skb;
	uint8_t wire[WIRE_CAP], plain[WIRE_CAP], ser[8192];
	uint8_t bundle[512];
	size_t bundle_len;
	int established;
} lcb_ctx;

static void lcb_destroy(void *ctx)
{
	lcb_ctx *c = ctx;

	if (c == NULL)
		return;
	lc_ratchet_free(c->ra);
	lc_ratchet_free(c->rb);
	lc_sender_key_free(c->ska);
	lc_sender_key_free(c->skb);
	lc_prekeys_free(c->pkb);
	lc_identity_free(c->ida);
	lc_identity_free(c->idb);
	sodium_memzero(c, sizeof *c);
	free(c);
}

static void *lcb_create(void)
{
	lcb_ctx *c = calloc(1, sizeof *c);

	if (c == NULL ||
	    lc_identity_new(&c->ida, NULL, NULL) != 0 ||
	    lc_identity_new(&c->idb, NULL, NULL) != 0 ||
	    lc_prekeys_new(&c->pkb, c->idb, NULL, NULL) != 0) {
		lcb_destroy(c);
		return NULL;
	}
	return c;
}

/* Bob publishes one fresh one-time prekey; the server's bundle bytes. */
static int publish_bundle(lcb_ctx *c)
{
	lc_prekey_bundle b;

	if (lc_prekeys_generate(c->pkb, 1) != 0 ||
	    lc_prekeys_bundle(c->pkb, c->idb, lc_prekeys_count(c->pkb) - 1,
		&b) != 0)
		return -1;
	snprintf(b.user_id, sizeof b.user_id, "bob");
	b.device_id = 1;
	return lc_prekey_bundle_serialize(&b, c->bundle, sizeof c->bundle,
		&c->bundle_len) == 0 ? 0 : -1;
}

static int lcb_setup(void *ctx, const uint8_t *pt, size_t len,
	double *t_init, double *t_resp)
{
	lcb_ctx *c = ctx;
	lc_prekey_bundle b;
	uint8_t remote_id[LC_IDENTITY_KEY_LEN];
	size_t wire_len, pt_len;
	double t0, t1, t2;
	int rc = -1;

	lc_ratchet_free(c->ra);
	lc_ratchet_free(c->rb);
	c->ra = c->rb = NULL;
	c->established = 0;
	if (publish_bundle(c) < 0)
		return -1;

	t0 = bench_now();
	if (lc_prekey_bundle_parse(&b, c->bundle, c->bundle_len, NULL) != 0 ||
	    lc_x3dh_initiate(&c->ra, c->ida, &b, NULL, NULL) != 0 ||
	    lc_ratchet_encrypt(c->ra, pt, len, c->wire, sizeof c->wire,
		&wire_len) != 0)
		return -1;
	t1 = bench_now();
	/* The app reads the sender's identity to check trust first. */
	if (lc_prekey_message_identity(c->wire, wire_len, remote_id) == 0 &&
	    lc_x3dh_respond(&c->rb, c->idb, c->pkb, c->wire, wire_len,
		c->plain, sizeof c->plain, &pt_len, NULL, NULL) == 0)
		rc = pt_len == len && memcmp(c->plain, pt, len) == 0 ? 0 : -1;
	t2 = bench_now();
	*t_init += t1 - t0;
	*t_resp += t2 - t1;
	return rc;
}

static int lcb_send(void *ctx, int dir, const uint8_t *pt, size_t len)
{
	lcb_ctx *c = ctx;
	lc_ratchet *from = dir == BENCH_A_TO_B ? c->ra : c->rb;
	lc_ratchet *to = dir == BENCH_A_TO_B ? c->rb : c->ra;
	size_t wire_len, pt_len;

	/* Once both sides have received, no prekey message may be sent. */
	if (c->established && lc_ratchet_is_pending(from))
		return -1;
	if (lc_ratchet_encrypt(from, pt, len, c->wire, sizeof c->wire,
		&wire_len) != 0 ||
	    lc_ratchet_decrypt(to, c->wire, wire_len, c->plain,
		sizeof c->plain, &pt_len) != 0)
		return -1;
	return pt_len == len && memcmp(c->plain, pt, len) == 0 ? 0 : -1;
}

static int lcb_establish(void *ctx)
{
	uint8_t pt[16] = "hello";
	double t0 = 0, t1 = 0;

	lcb_ctx *c = ctx;

	if (lcb_setup(ctx, pt, sizeof pt, &t0, &t1) < 0 ||
	    lcb_send(ctx, BENCH_B_TO_A, pt, sizeof pt) < 0)
		return -1;
	c->established = 1;
	return 0;
}

static long lcb_session_size(void *ctx)
{
	lcb_ctx *c = ctx;

	return (long)lc_ratchet_serialized_size(c->rb);
}

static int lcb_persist(void *ctx)
{
	lcb_ctx *c = ctx;
	size_t n;

	return lc_ratchet_serialize(c->ra, c->ser, sizeof c->ser, &n) == 0 &&
		lc_ratchet_serialize(c->rb, c->ser, sizeof c->ser, &n) == 0 ?
		0 : -1;
}

static int lcb_group_establish(void *ctx)
{
	lcb_ctx *c = ctx;
	uint8_t dist[LC_SENDER_KEY_DISTRIBUTION_LEN];
	size_t n;
	int rc;

	lc_sender_key_free(c->ska);
	lc_sender_key_free(c->skb);
	c->ska = c->skb = NULL;
	if (lc_sender_key_new(&c->ska, NULL, NULL) != 0 ||
	    lc_sender_key_distribution(c->ska, dist, sizeof dist, &n) != 0)
		return -1;
	/* The distribution message travels to Bob over the pairwise session;
	 * here it is handed over as bytes. */
	rc = lc_sender_key_from_distribution(&c->skb, dist, n, NULL);
	sodium_memzero(dist, sizeof dist);
	return rc == 0 ? 0 : -1;
}

static int lcb_group_send(void *ctx, const uint8_t *pt, size_t len)
{
	lcb_ctx *c = ctx;
	size_t wire_len, pt_len;

	if (lc_sender_key_encrypt(c->ska, pt, len, c->wire, sizeof c->wire,
		&wire_len) != 0 ||
	    lc_sender_key_decrypt(c->skb, c->wire, wire_len, c->plain,
		sizeof c->plain, &pt_len) != 0)
		return -1;
	return pt_len == len && memcmp(c->plain, pt, len) == 0 ? 0 : -1;
}

/* Serialise a sender key and load it back in its place. */
static int sk_round_trip(lcb_ctx *c, lc_sender_key **sk)
{
	lc_sender_key *t;
	size_t n;

	if (lc_sender_key_serialize(*sk, c->ser, sizeof c->ser, &n) != 0 ||
	    lc_sender_key_parse(&t, c->ser, n, NULL) != 0)
		return -1;
	lc_sender_key_free(*sk);
	*sk = t;
	return 0;
}

static int lcb_group_persist(void *ctx)
{
	lcb_ctx *c = ctx;

	return sk_round_trip(c, &c->ska) == 0 &&
		sk_round_trip(c, &c->skb) == 0 ? 0 : -1;
}

static long lcb_group_session_size(void *ctx)
{
	lcb_ctx *c = ctx;

	return (long)lc_sender_key_serialized_size(c->skb);
}

static const char *lcb_describe(void)
{
	static char buf[200];

	snprintf(buf, sizeof buf, "libchat %s lib/crypto on libsodium %s "
		"(X25519, Ed25519, ChaCha20-Poly1305-IETF, HMAC-SHA-256); "
		"sessions in memory", lc_version(), sodium_version_string());
	return buf;
}

const bench_lib bench_libchat = {
	.name = "libchat",
	.create = lcb_create,
	.destroy = lcb_destroy,
	.setup = lcb_setup,
	.establish = lcb_establish,
	.send = lcb_send,
	.session_size = lcb_session_size,
	.persist = lcb_persist,
	.group_establish = lcb_group_establish,
	.group_send = lcb_group_send,
	.group_persist = lcb_group_persist,
	.group_session_size = lcb_group_session_size,
	.describe = lcb_describe,
	.notes = NULL,
};
