/*
 * libsignal-protocol-c driven as an application would: OpenSSL crypto
 * provider, in-memory stores holding the serialised records the library
 * loads and stores on every message, messages passed as bytes.
 */
#include "bench.h"
#include "signal_glue.h"

#include <openssl/crypto.h>

#include <group_cipher.h>
#include <group_session_builder.h>
#include <key_helper.h>
#include <protocol.h>
#include <session_builder.h>
#include <session_cipher.h>
#include <session_pre_key.h>
#include <signal_protocol.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BENCH_SIGNAL_VERSION
#define BENCH_SIGNAL_VERSION "?"
#endif

#define SPK_ID 1

typedef struct party {
	ratchet_identity_key_pair *id;
	signal_protocol_store_context *sc;
	signal_glue_user *store;
	uint32_t reg_id;
	signal_protocol_address addr;
	session_cipher *cipher;     /* towards the other party */
	group_cipher *gcipher;
} party;

typedef struct sig_ctx {
	signal_context *g;
	party a, b;
	uint32_t next_prekey;
	/* What the server hands out for Bob besides a one-time prekey. */
	uint8_t spk_pub[33], id_pub[33], spk_sig[64];
	signal_protocol_sender_key_name group;
	int established; /* both sides have received: no more prekey messages */
} sig_ctx;

static int buffer_to(uint8_t *dst, size_t cap, signal_buffer *b)
{
	int ok = b != NULL && signal_buffer_len(b) == cap;

	if (ok)
		memcpy(dst, signal_buffer_data(b), cap);
	signal_buffer_free(b);
	return ok ? 0 : -1;
}

static int party_init(sig_ctx *c, party *p, const char *name)
{
	p->addr = (signal_protocol_address){ name, strlen(name), 1 };
	if (signal_protocol_key_helper_generate_identity_key_pair(&p->id,
		c->g) < 0 ||
	    signal_protocol_key_helper_generate_registration_id(&p->reg_id, 0,
		c->g) < 0)
		return -1;
	p->store = signal_glue_user_new(c->g, p->id, p->reg_id, &p->sc);
	return p->store != NULL ? 0 : -1;
}

static void party_fini(party *p)
{
	session_cipher_free(p->cipher);
	group_cipher_free(p->gcipher);
	if (p->sc != NULL)
		signal_protocol_store_context_destroy(p->sc);
	signal_glue_user_free(p->store);
	SIGNAL_UNREF(p->id);
}

static void sig_destroy(void *ctx)
{
	sig_ctx *c = ctx;

	if (c == NULL)
		return;
	party_fini(&c->a);
	party_fini(&c->b);
	if (c->g != NULL)
		signal_context_destroy(c->g);
	signal_glue_provider_release();
	free(c);
}

static void *sig_create(void)
{
	sig_ctx *c = calloc(1, sizeof *c);
	signal_crypto_provider prov;
	session_signed_pre_key *spk = NULL;
	signal_buffer *b = NULL;

	if (c == NULL || signal_glue_provider(&prov) < 0 ||
	    signal_context_create(&c->g, NULL) < 0 ||
	    signal_context_set_crypto_provider(c->g, &prov) < 0 ||
	    party_init(c, &c->a, "alice") < 0 ||
	    party_init(c, &c->b, "bob") < 0)
		goto fail;
	if (signal_protocol_key_helper_generate_signed_pre_key(&spk, c->b.id,
		SPK_ID, 0, c->g) < 0 ||
	    signal_protocol_signed_pre_key_store_key(c->b.sc, spk) < 0 ||
	    session_signed_pre_key_get_signature_len(spk) != sizeof c->spk_sig)
		goto fail;
	memcpy(c->spk_sig, session_signed_pre_key_get_signature(spk),
		sizeof c->spk_sig);
	if (ec_public_key_serialize(&b, ec_key_pair_get_public(
		session_signed_pre_key_get_key_pair(spk))) < 0 ||
	    buffer_to(c->spk_pub, sizeof c->spk_pub, b) < 0)
		goto fail;
	b = NULL;
	if (ec_public_key_serialize(&b,
		ratchet_identity_key_pair_get_public(c->b.id)) < 0 ||
	    buffer_to(c->id_pub, sizeof c->id_pub, b) < 0)
		goto fail;
	SIGNAL_UNREF(spk);
	c->next_prekey = 1;
	c->group = (signal_protocol_sender_key_name){ "group", 5, c->a.addr };
	return c;
fail:
	if (spk != NULL)
		SIGNAL_UNREF(spk);
	sig_destroy(c);
	return NULL;
}

/* Bob publishes one fresh one-time prekey; its public key as bytes. */
static int publish_prekey(sig_ctx *c, uint32_t *id, uint8_t pub[33])
{
	signal_protocol_key_helper_pre_key_list_node *head = NULL;
	session_pre_key *pk;
	signal_buffer *b = NULL;
	int rc = -1;

	*id = c->next_prekey++;
	if (c->next_prekey > PRE_KEY_MEDIUM_MAX_VALUE)
		c->next_prekey = 1;
	if (signal_protocol_key_helper_generate_pre_keys(&head, *id, 1,
		c->g) < 0)
		return -1;
	pk = signal_protocol_key_helper_key_list_element(head);
	if (signal_protocol_pre_key_store_key(c->b.sc, pk) >= 0 &&
	    ec_public_key_serialize(&b,
		ec_key_pair_get_public(session_pre_key_get_key_pair(pk))) >= 0)
		rc = buffer_to(pub, 33, b);
	signal_protocol_key_helper_key_list_free(head);
	return rc;
}

/* Alice: bundle bytes -> session -> first message bytes. */
static int initiate(sig_ctx *c, uint32_t pk_id, const uint8_t pk_pub[33],
	const uint8_t *pt, size_t len, signal_buffer **wire)
{
	ec_public_key *pk = NULL, *spk = NULL, *idk = NULL;
	session_pre_key_bundle *bundle = NULL;
	session_builder *builder = NULL;
	session_cipher *cipher = NULL;
	ciphertext_message *msg = NULL;
	int rc = -1;

	if (curve_decode_point(&pk, pk_pub, 33, c->g) < 0 ||
	    curve_decode_point(&spk, c->spk_pub, 33, c->g) < 0 ||
	    curve_decode_point(&idk, c->id_pub, 33, c->g) < 0 ||
	    session_pre_key_bundle_create(&bundle, c->b.reg_id, 1, pk_id, pk,
		SPK_ID, spk, c->spk_sig, sizeof c->spk_sig, idk) < 0 ||
	    session_builder_create(&builder, c->a.sc, &c->b.addr, c->g) < 0 ||
	    session_builder_process_pre_key_bundle(builder, bundle) < 0 ||
	    session_cipher_create(&cipher, c->a.sc, &c->b.addr, c->g) < 0 ||
	    session_cipher_encrypt(cipher, pt, len, &msg) < 0)
		goto out;
	*wire = signal_buffer_copy(ciphertext_message_get_serialized(msg));
	rc = *wire != NULL ? 0 : -1;
out:
	if (msg != NULL)
		SIGNAL_UNREF(msg);
	session_cipher_free(cipher);
	session_builder_free(builder);
	if (bundle != NULL)
		SIGNAL_UNREF(bundle);
	if (pk != NULL)
		SIGNAL_UNREF(pk);
	if (spk != NULL)
		SIGNAL_UNREF(spk);
	if (idk != NULL)
		SIGNAL_UNREF(idk);
	return rc;
}

/* Decrypt @p wire (of message @p type, which travels beside the bytes as
 * in every app) with @p cipher and compare with @p pt. */
static int receive(sig_ctx *c, session_cipher *cipher, int type,
	signal_buffer *wire, const uint8_t *pt, size_t len)
{
	signal_buffer *out = NULL;
	int rc = -1;

	if (type == CIPHERTEXT_PREKEY_TYPE) {
		pre_key_signal_message *m = NULL;

		if (pre_key_signal_message_deserialize(&m,
			signal_buffer_data(wire), signal_buffer_len(wire),
			c->g) < 0)
			return -1;
		rc = session_cipher_decrypt_pre_key_signal_message(cipher, m,
			NULL, &out);
		SIGNAL_UNREF(m);
	} else if (type == CIPHERTEXT_SIGNAL_TYPE) {
		signal_message *m = NULL;

		if (signal_message_deserialize(&m, signal_buffer_data(wire),
			signal_buffer_len(wire), c->g) < 0)
			return -1;
		rc = session_cipher_decrypt_signal_message(cipher, m, NULL,
			&out);
		SIGNAL_UNREF(m);
	}
	if (rc >= 0)
		rc = signal_buffer_len(out) == len &&
			memcmp(signal_buffer_data(out), pt, len) == 0 ? 0 : -1;
	else
		rc = -1;
	signal_buffer_bzero_free(out);
	return rc;
}

static void drop_sessions(sig_ctx *c)
{
	signal_protocol_session_delete_session(c->a.sc, &c->b.addr);
	signal_protocol_session_delete_session(c->b.sc, &c->a.addr);
}

static int sig_setup(void *ctx, const uint8_t *pt, size_t len,
	double *t_init, double *t_resp)
{
	sig_ctx *c = ctx;
	uint8_t pk_pub[33];
	uint32_t pk_id;
	signal_buffer *wire = NULL;
	session_cipher *cipher = NULL;
	double t0, t1, t2;
	int rc = -1;

	drop_sessions(c);
	c->established = 0;
	if (publish_prekey(c, &pk_id, pk_pub) < 0)
		return -1;
	t0 = bench_now();
	if (initiate(c, pk_id, pk_pub, pt, len, &wire) < 0)
		return -1;
	t1 = bench_now();
	if (session_cipher_create(&cipher, c->b.sc, &c->a.addr, c->g) >= 0)
		rc = receive(c, cipher, CIPHERTEXT_PREKEY_TYPE, wire, pt, len);
	session_cipher_free(cipher);
	t2 = bench_now();
	signal_buffer_free(wire);
	*t_init += t1 - t0;
	*t_resp += t2 - t1;
	return rc;
}

static int sig_send(void *ctx, int dir, const uint8_t *pt, size_t len)
{
	sig_ctx *c = ctx;
	party *from = dir == BENCH_A_TO_B ? &c->a : &c->b;
	party *to = dir == BENCH_A_TO_B ? &c->b : &c->a;
	ciphertext_message *msg = NULL;
	signal_buffer *wire;
	int type, rc;

	if (session_cipher_encrypt(from->cipher, pt, len, &msg) < 0)
		return -1;
	type = ciphertext_message_get_type(msg);
	if (c->established && type != CIPHERTEXT_SIGNAL_TYPE) {
		SIGNAL_UNREF(msg);
		return -1;
	}
	wire = signal_buffer_copy(ciphertext_message_get_serialized(msg));
	SIGNAL_UNREF(msg);
	if (wire == NULL)
		return -1;
	rc = receive(c, to->cipher, type, wire, pt, len);
	signal_buffer_free(wire);
	return rc;
}

static int sig_establish(void *ctx)
{
	sig_ctx *c = ctx;
	uint8_t pt[16] = "hello";
	double t0 = 0, t1 = 0;

	if (sig_setup(c, pt, sizeof pt, &t0, &t1) < 0)
		return -1;
	session_cipher_free(c->a.cipher);
	session_cipher_free(c->b.cipher);
	c->a.cipher = c->b.cipher = NULL;
	if (session_cipher_create(&c->a.cipher, c->a.sc, &c->b.addr, c->g) < 0 ||
	    session_cipher_create(&c->b.cipher, c->b.sc, &c->a.addr, c->g) < 0)
		return -1;
	if (sig_send(c, BENCH_B_TO_A, pt, sizeof pt) < 0)
		return -1;
	c->established = 1;
	return 0;
}

static long sig_session_size(void *ctx)
{
	sig_ctx *c = ctx;

	return signal_glue_session_size(c->b.store, &c->a.addr);
}

static int sig_group_establish(void *ctx)
{
	sig_ctx *c = ctx;
	group_session_builder *ga = NULL, *gb = NULL;
	sender_key_distribution_message *dist = NULL, *recv = NULL;
	signal_buffer *wire;
	int rc = -1;

	if (group_session_builder_create(&ga, c->a.sc, c->g) < 0 ||
	    group_session_builder_create(&gb, c->b.sc, c->g) < 0 ||
	    group_session_builder_create_session(ga, &dist, &c->group) < 0)
		goto out;
	/* The distribution message travels to Bob over the pairwise session;
	 * here it is handed over as bytes. */
	wire = ciphertext_message_get_serialized((ciphertext_message *)dist);
	if (sender_key_distribution_message_deserialize(&recv,
		signal_buffer_data(wire), signal_buffer_len(wire), c->g) < 0 ||
	    group_session_builder_process_session(gb, &c->group, recv) < 0)
		goto out;
	group_cipher_free(c->a.gcipher);
	group_cipher_free(c->b.gcipher);
	c->a.gcipher = c->b.gcipher = NULL;
	if (group_cipher_create(&c->a.gcipher, c->a.sc, &c->group, c->g) < 0 ||
	    group_cipher_create(&c->b.gcipher, c->b.sc, &c->group, c->g) < 0)
		goto out;
	rc = 0;
out:
	if (dist != NULL)
		SIGNAL_UNREF(dist);
	if (recv != NULL)
		SIGNAL_UNREF(recv);
	group_session_builder_free(ga);
	group_session_builder_free(gb);
	return rc;
}

static int sig_group_send(void *ctx, const uint8_t *pt, size_t len)
{
	sig_ctx *c = ctx;
	ciphertext_message *msg = NULL;
	sender_key_message *m = NULL;
	signal_buffer *wire, *out = NULL;
	int rc = -1;

	if (group_cipher_encrypt(c->a.gcipher, pt, len, &msg) < 0)
		return -1;
	wire = ciphertext_message_get_serialized(msg);
	if (sender_key_message_deserialize(&m, signal_buffer_data(wire),
		signal_buffer_len(wire), c->g) >= 0 &&
	    group_cipher_decrypt(c->b.gcipher, m, NULL, &out) >= 0)
		rc = signal_buffer_len(out) == len &&
			memcmp(signal_buffer_data(out), pt, len) == 0 ? 0 : -1;
	signal_buffer_bzero_free(out);
	if (m != NULL)
		SIGNAL_UNREF(m);
	SIGNAL_UNREF(msg);
	return rc;
}

static long sig_group_session_size(void *ctx)
{
	sig_ctx *c = ctx;

	return signal_glue_sender_key_size(c->b.store, &c->group);
}

static const char *sig_describe(void)
{
	static char buf[200];

	snprintf(buf, sizeof buf, "libsignal-protocol-c %s, crypto provider "
		"bench/crypto/signal_provider.c on %s; in-memory stores "
		"(session record loaded+stored on every message)",
		BENCH_SIGNAL_VERSION, OpenSSL_version(OPENSSL_VERSION));
	return buf;
}

/* How many store loads and stores one established message costs. */
static const char *sig_notes(void *ctx)
{
	static char buf[160];
	sig_ctx *c = ctx;
	uint8_t pt[100] = { 0 };
	unsigned long a0 = signal_glue_round_trips(c->a.store);
	unsigned long b0 = signal_glue_round_trips(c->b.store);

	if (sig_send(c, BENCH_A_TO_B, pt, sizeof pt) < 0)
		return "established message failed";
	snprintf(buf, sizeof buf, "libsignal store round trips per established "
		"message: %lu at the sender, %lu at the receiver",
		signal_glue_round_trips(c->a.store) - a0,
		signal_glue_round_trips(c->b.store) - b0);
	return buf;
}

const bench_lib bench_signal = {
	.name = "libsignal",
	.create = sig_create,
	.destroy = sig_destroy,
	.setup = sig_setup,
	.establish = sig_establish,
	.send = sig_send,
	.session_size = sig_session_size,
	.persist = NULL,
	.group_establish = sig_group_establish,
	.group_send = sig_group_send,
	.group_session_size = sig_group_session_size,
	.describe = sig_describe,
	.notes = sig_notes,
};
