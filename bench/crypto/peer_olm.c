/*
 * libolm driven as an application would: Olm accounts and sessions for
 * pairs (one-time keys signed by the account's Ed25519 key and checked by
 * the initiator, as Matrix clients do), Megolm for groups, randomness from
 * libsodium's randombytes_buf, messages passed as the base64 text libolm
 * produces. libolm keeps sessions in memory; persist() pickles them.
 */
#include "bench.h"

#include <olm/inbound_group_session.h>
#include <olm/olm.h>
#include <olm/outbound_group_session.h>
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIRE_CAP 4096
#define KEY_B64 43     /* unpadded base64 of a 32-byte key */
#define SIG_B64 86     /* unpadded base64 of a 64-byte signature */

static const uint8_t pickle_key[32] = { 1 };

typedef struct po_ctx {
	OlmAccount *acc_a, *acc_b;
	OlmSession *sa, *sb;
	OlmUtility *util;
	OlmOutboundGroupSession *gout;
	OlmInboundGroupSession *gin;
	char b_curve[KEY_B64 + 1], b_ed[KEY_B64 + 1];
	uint8_t rnd[256];
	uint8_t wire[WIRE_CAP], copy[WIRE_CAP], plain[WIRE_CAP];
	uint8_t pickle[8192];
	int established; /* both sides have received: no more pre-key messages */
} po_ctx;

static int failed(size_t r)
{
	return r == olm_error();
}

/* Copy the base64 value that follows @p field's colon and quote in a JSON
 * object produced by libolm (its output is fixed-form). */
static int json_key(const char *json, const char *field, char *out,
	size_t want)
{
	const char *p = strstr(json, field);

	if (p == NULL)
		return -1;
	p += strlen(field);
	while (*p == '"' || *p == ':')
		p++;
	if (strlen(p) < want)
		return -1;
	memcpy(out, p, want);
	out[want] = 0;
	return 0;
}

static OlmAccount *account_new(void)
{
	OlmAccount *a = olm_account(malloc(olm_account_size()));
	size_t n = olm_create_account_random_length(a);
	uint8_t *r = malloc(n);

	randombytes_buf(r, n);
	if (failed(olm_create_account(a, r, n))) {
		free(r);
		return NULL;
	}
	free(r);
	return a;
}

static void po_destroy(void *ctx)
{
	po_ctx *c = ctx;

	if (c == NULL)
		return;
	if (c->acc_a) { olm_clear_account(c->acc_a); free(c->acc_a); }
	if (c->acc_b) { olm_clear_account(c->acc_b); free(c->acc_b); }
	if (c->sa) { olm_clear_session(c->sa); free(c->sa); }
	if (c->sb) { olm_clear_session(c->sb); free(c->sb); }
	if (c->util) { olm_clear_utility(c->util); free(c->util); }
	if (c->gout) { olm_clear_outbound_group_session(c->gout); free(c->gout); }
	if (c->gin) { olm_clear_inbound_group_session(c->gin); free(c->gin); }
	sodium_memzero(c, sizeof *c);
	free(c);
}

static void *po_create(void)
{
	po_ctx *c = calloc(1, sizeof *c);
	char ids[512];
	size_t n;

	if (c == NULL || sodium_init() < 0)
		goto fail;
	c->acc_a = account_new();
	c->acc_b = account_new();
	c->sa = olm_session(malloc(olm_session_size()));
	c->sb = olm_session(malloc(olm_session_size()));
	c->util = olm_utility(malloc(olm_utility_size()));
	c->gout = olm_outbound_group_session(
		malloc(olm_outbound_group_session_size()));
	c->gin = olm_inbound_group_session(
		malloc(olm_inbound_group_session_size()));
	if (!c->acc_a || !c->acc_b || !c->sa || !c->sb || !c->util ||
	    !c->gout || !c->gin)
		goto fail;
	n = olm_account_identity_keys(c->acc_b, ids, sizeof ids - 1);
	if (failed(n))
		goto fail;
	ids[n] = 0;
	if (json_key(ids, "\"curve25519\"", c->b_curve, KEY_B64) < 0 ||
	    json_key(ids, "\"ed25519\"", c->b_ed, KEY_B64) < 0)
		goto fail;
	return c;
fail:
	po_destroy(c);
	return NULL;
}

/* Bob publishes one fresh one-time key with his signature over it. */
static int publish_otk(po_ctx *c, char otk[KEY_B64 + 1],
	char sig[SIG_B64 + 1])
{
	char json[256];
	size_t n = olm_account_generate_one_time_keys_random_length(c->acc_b, 1);

	if (n > sizeof c->rnd)
		return -1;
	randombytes_buf(c->rnd, n);
	if (failed(olm_account_generate_one_time_keys(c->acc_b, 1, c->rnd, n)))
		return -1;
	n = olm_account_one_time_keys(c->acc_b, json, sizeof json - 1);
	if (failed(n))
		return -1;
	json[n] = 0;
	/* {"curve25519":{"AAAAAQ":"<key>"}}: the key is the last string. */
	{
		const char *end = strrchr(json, '"');
		const char *p;

		if (end == NULL || end - json < KEY_B64)
			return -1;
		p = end - KEY_B64;
		memcpy(otk, p, KEY_B64);
		otk[KEY_B64] = 0;
	}
	olm_account_mark_keys_as_published(c->acc_b);
	n = olm_account_sign(c->acc_b, otk, KEY_B64, sig, SIG_B64);
	if (failed(n) || n != SIG_B64)
		return -1;
	sig[SIG_B64] = 0;
	return 0;
}

/* Encrypt @p pt with @p s into c->wire; its length and type. */
static int encrypt(po_ctx *c, OlmSession *s, const uint8_t *pt, size_t len,
	size_t *wire_len, size_t *type)
{
	size_t rn = olm_encrypt_random_length(s);
	size_t mn = olm_encrypt_message_length(s, len);

	if (rn > sizeof c->rnd || mn > sizeof c->wire)
		return -1;
	*type = olm_encrypt_message_type(s);
	randombytes_buf(c->rnd, rn);
	if (failed(olm_encrypt(s, pt, len, c->rnd, rn, c->wire, mn)))
		return -1;
	*wire_len = mn;
	return 0;
}

/* Decrypt c->wire (which libolm overwrites, so a copy) with @p s. */
static int decrypt(po_ctx *c, OlmSession *s, size_t type, size_t wire_len,
	const uint8_t *pt, size_t len)
{
	size_t n;

	memcpy(c->copy, c->wire, wire_len);
	n = olm_decrypt(s, type, c->copy, wire_len, c->plain, sizeof c->plain);
	return !failed(n) && n == len && memcmp(c->plain, pt, len) == 0 ? 0 : -1;
}

static int po_setup(void *ctx, const uint8_t *pt, size_t len,
	double *t_init, double *t_resp)
{
	po_ctx *c = ctx;
	char otk[KEY_B64 + 1], sig[SIG_B64 + 1], sigcopy[SIG_B64 + 1];
	size_t wire_len, type, rn;
	double t0, t1, t2;
	int rc = -1;

	c->established = 0;
	olm_clear_session(c->sa);
	olm_clear_session(c->sb);
	c->sa = olm_session(c->sa);
	c->sb = olm_session(c->sb);
	if (publish_otk(c, otk, sig) < 0)
		return -1;

	t0 = bench_now();
	memcpy(sigcopy, sig, sizeof sig);
	if (failed(olm_ed25519_verify(c->util, c->b_ed, KEY_B64, otk, KEY_B64,
		sigcopy, SIG_B64)))
		return -1;
	rn = olm_create_outbound_session_random_length(c->sa);
	if (rn > sizeof c->rnd)
		return -1;
	randombytes_buf(c->rnd, rn);
	if (failed(olm_create_outbound_session(c->sa, c->acc_a, c->b_curve,
		KEY_B64, otk, KEY_B64, c->rnd, rn)) ||
	    encrypt(c, c->sa, pt, len, &wire_len, &type) < 0 ||
	    type != OLM_MESSAGE_TYPE_PRE_KEY)
		return -1;
	t1 = bench_now();
	memcpy(c->copy, c->wire, wire_len);
	if (!failed(olm_create_inbound_session(c->sb, c->acc_b, c->copy,
		wire_len)) &&
	    !failed(olm_remove_one_time_keys(c->acc_b, c->sb)))
		rc = decrypt(c, c->sb, type, wire_len, pt, len);
	t2 = bench_now();
	*t_init += t1 - t0;
	*t_resp += t2 - t1;
	return rc;
}

static int po_send(void *ctx, int dir, const uint8_t *pt, size_t len)
{
	po_ctx *c = ctx;
	OlmSession *from = dir == BENCH_A_TO_B ? c->sa : c->sb;
	OlmSession *to = dir == BENCH_A_TO_B ? c->sb : c->sa;
	size_t wire_len, type;

	if (encrypt(c, from, pt, len, &wire_len, &type) < 0 ||
	    (c->established && type != OLM_MESSAGE_TYPE_MESSAGE))
		return -1;
	return decrypt(c, to, type, wire_len, pt, len);
}

static int po_establish(void *ctx)
{
	uint8_t pt[16] = "hello";
	double t0 = 0, t1 = 0;

	po_ctx *c = ctx;

	if (po_setup(ctx, pt, sizeof pt, &t0, &t1) < 0 ||
	    po_send(ctx, BENCH_B_TO_A, pt, sizeof pt) < 0)
		return -1;
	c->established = 1;
	return 0;
}

static long po_session_size(void *ctx)
{
	po_ctx *c = ctx;

	return (long)olm_pickle_session_length(c->sb);
}

static int po_persist(void *ctx)
{
	po_ctx *c = ctx;

	if (failed(olm_pickle_session(c->sa, pickle_key, sizeof pickle_key,
		c->pickle, sizeof c->pickle)) ||
	    failed(olm_pickle_session(c->sb, pickle_key, sizeof pickle_key,
		c->pickle, sizeof c->pickle)))
		return -1;
	return 0;
}

static int po_group_establish(void *ctx)
{
	po_ctx *c = ctx;
	uint8_t key[512];
	size_t rn, kn;

	olm_clear_outbound_group_session(c->gout);
	olm_clear_inbound_group_session(c->gin);
	c->gout = olm_outbound_group_session(c->gout);
	c->gin = olm_inbound_group_session(c->gin);
	rn = olm_init_outbound_group_session_random_length(c->gout);
	if (rn > sizeof c->rnd)
		return -1;
	randombytes_buf(c->rnd, rn);
	if (failed(olm_init_outbound_group_session(c->gout, c->rnd, rn)))
		return -1;
	kn = olm_outbound_group_session_key(c->gout, key, sizeof key);
	if (failed(kn) || failed(olm_init_inbound_group_session(c->gin, key, kn)))
		return -1;
	return 0;
}

static int po_group_send(void *ctx, const uint8_t *pt, size_t len)
{
	po_ctx *c = ctx;
	size_t mn = olm_group_encrypt_message_length(c->gout, len), n;
	uint32_t index;

	if (mn > sizeof c->wire ||
	    failed(olm_group_encrypt(c->gout, pt, len, c->wire, mn)))
		return -1;
	memcpy(c->copy, c->wire, mn);
	n = olm_group_decrypt(c->gin, c->copy, mn, c->plain, sizeof c->plain,
		&index);
	return !failed(n) && n == len && memcmp(c->plain, pt, len) == 0 ? 0 : -1;
}

/* Pickle both Megolm sessions and unpickle them in place (unpickling
 * decodes the buffer in place, so it is pickled again for each). */
static int po_group_persist(void *ctx)
{
	po_ctx *c = ctx;
	size_t n;

	n = olm_pickle_outbound_group_session(c->gout, pickle_key,
		sizeof pickle_key, c->pickle, sizeof c->pickle);
	if (failed(n) || failed(olm_unpickle_outbound_group_session(c->gout,
		pickle_key, sizeof pickle_key, c->pickle, n)))
		return -1;
	n = olm_pickle_inbound_group_session(c->gin, pickle_key,
		sizeof pickle_key, c->pickle, sizeof c->pickle);
	if (failed(n) || failed(olm_unpickle_inbound_group_session(c->gin,
		pickle_key, sizeof pickle_key, c->pickle, n)))
		return -1;
	return 0;
}

static long po_group_session_size(void *ctx)
{
	po_ctx *c = ctx;

	return (long)olm_pickle_inbound_group_session_length(c->gin);
}

static const char *po_describe(void)
{
	static char buf[200];
	uint8_t ma, mi, pa;

	olm_get_library_version(&ma, &mi, &pa);
	snprintf(buf, sizeof buf, "libolm %u.%u.%u, its own bundled crypto "
		"(curve25519-donna, ed25519, AES-256-CBC, HMAC-SHA-256); "
		"randomness from libsodium; sizes are pickles (base64)",
		ma, mi, pa);
	return buf;
}

const bench_lib bench_olm = {
	.name = "olm",
	.create = po_create,
	.destroy = po_destroy,
	.setup = po_setup,
	.establish = po_establish,
	.send = po_send,
	.session_size = po_session_size,
	.persist = po_persist,
	.group_establish = po_group_establish,
	.group_send = po_group_send,
	.group_persist = po_group_persist,
	.group_session_size = po_group_session_size,
	.describe = po_describe,
};
