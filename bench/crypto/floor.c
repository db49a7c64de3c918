/*
 * The floor: for every row, exactly the libsodium calls that the protocol
 * of lib/crypto prescribes (doc/protocol.md section 11, after Signal's X3DH
 * and Double Ratchet specifications and its sender keys), on the same
 * plaintexts, with nothing else: no parsing, no message framing checks, no
 * stored state beyond the keys, no skipped-key store, no wiping. Keys are
 * real and every decrypt is checked, so the work cannot be skipped.
 *
 * No implementation of this protocol on libsodium 1.0.18 can be faster on
 * this machine, so floor / peer is the largest ratio libchat could show
 * against that peer, and libchat / floor says how much of it libchat
 * reaches. Per operation:
 *
 *   established (each message): sender KDF_CK (HMAC-SHA256 twice, 6
 *     SHA-256 blocks) + AEAD seal with AD = IK_A || IK_B || 41-byte
 *     header; receiver the same with an AEAD open.
 *   ping-pong (each message): the sender's new ratchet key (X25519 base),
 *     DH and KDF_RK (HKDF-SHA256, 10 SHA-256 blocks); the receiver's DH
 *     and KDF_RK; then the established work.
 *   set-up, initiator: the signed prekey's Ed25519 verify, the peer's
 *     identity key to X25519, EK_A, DH1..DH4, HKDF, RatchetInitAlice (a
 *     key pair, DH, KDF_RK), the first message.
 *   set-up, responder: the peer's identity key to X25519, DH1..DH4, HKDF,
 *     the receiving half of the first DH ratchet step, the first message.
 *   group: sender KDF_CK + AEAD (AD = 9-byte header) + Ed25519 sign;
 *     receiver Ed25519 verify + KDF_CK + AEAD open.
 */
#include "bench.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR 41         /* ratchet header: kind, DHs, PN, N */
#define X3DH_HDR 74    /* X3DH initial message in front of the first */
#define SK_HDR 9       /* sender-key header: kind, key id, iteration */
#define TAG crypto_aead_chacha20poly1305_ietf_ABYTES
#define WIRE (X3DH_HDR + HDR + BENCH_MAX_PLAINTEXT + TAG + 64)

static const uint8_t nonce0[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

/* One side of a pairwise session: only the keys. */
typedef struct fl_side {
	uint8_t rk[32], dhs_sk[32], dhs_pk[32], dhr[32], cks[32], ckr[32];
	uint32_t ns, nr;
} fl_side;

typedef struct fl_ctx {
	uint8_t ida_pk[32], ida_sk[64], ida_x[32];
	uint8_t idb_pk[32], idb_sk[64], idb_x[32];
	uint8_t spk_sk[32], spk_pk[32], spk_sig[64];
	uint8_t opk_sk[32], opk_pk[32];
	uint8_t ad[64];
	fl_side side[2];       /* 0: Alice, 1: Bob */
	int last_dir;          /* direction of the last message */
	uint8_t gck_a[32], gck_b[32], g_pk[32], g_sk[64];
	uint32_t g_it;
	uint8_t wire[WIRE], plain[BENCH_MAX_PLAINTEXT];
} fl_ctx;

static void kdf_ck(uint8_t *ck, uint8_t *mk)
{
	static const uint8_t one = 1, two = 2;
	crypto_auth_hmacsha256_state a, b;

	crypto_auth_hmacsha256_init(&a, ck, 32);
	b = a;
	crypto_auth_hmacsha256_update(&a, &one, 1);
	crypto_auth_hmacsha256_final(&a, mk);
	crypto_auth_hmacsha256_update(&b, &two, 1);
	crypto_auth_hmacsha256_final(&b, ck);
}

/* HKDF-SHA256 (RFC 5869), out_len <= 64. */
static void hkdf(uint8_t *out, size_t out_len, const uint8_t *salt,
	size_t salt_len, const uint8_t *ikm, size_t ikm_len, const char *info)
{
	static const uint8_t zero[32];
	crypto_auth_hmacsha256_state st, keyed;
	uint8_t prk[32], t[32];
	uint8_t ctr = 1;

	if (salt_len == 0) {
		salt = zero;
		salt_len = sizeof zero;
	}
	crypto_auth_hmacsha256_init(&st, salt, salt_len);
	crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);
	crypto_auth_hmacsha256_init(&keyed, prk, sizeof prk);
	for (size_t done = 0; done < out_len; done += 32, ctr++) {
		st = keyed;
		if (ctr > 1)
			crypto_auth_hmacsha256_update(&st, t, sizeof t);
		crypto_auth_hmacsha256_update(&st, (const uint8_t *)info,
			strlen(info));
		crypto_auth_hmacsha256_update(&st, &ctr, 1);
		crypto_auth_hmacsha256_final(&st, t);
		memcpy(out + done, t, out_len - done < 32 ? out_len - done : 32);
	}
}

static void kdf_rk(uint8_t *rk, const uint8_t *dh, uint8_t *ck)
{
	uint8_t okm[64];

	hkdf(okm, sizeof okm, rk, 32, dh, 32, "libchat ratchet v1");
	memcpy(rk, okm, 32);
	memcpy(ck, okm + 32, 32);
}

static int dh(uint8_t *out, const uint8_t *sk, const uint8_t *pk)
{
	return crypto_scalarmult(out, sk, pk);
}

/* The sender's half of a message: KDF_CK, header, AEAD over AD || header. */
static size_t seal(fl_ctx *c, fl_side *s, uint8_t *h, const uint8_t *pt,
	size_t len)
{
	uint8_t ad[64 + HDR], mk[32];

	h[0] = 0x12;
	memcpy(h + 1, s->dhs_pk, 32);
	memset(h + 33, 0, 4);
	h[37] = (uint8_t)(s->ns >> 24);
	h[38] = (uint8_t)(s->ns >> 16);
	h[39] = (uint8_t)(s->ns >> 8);
	h[40] = (uint8_t)s->ns;
	s->ns++;
	memcpy(ad, c->ad, 64);
	memcpy(ad + 64, h, HDR);
	kdf_ck(s->cks, mk);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(h + HDR,
		h + HDR + len, NULL, pt, len, ad, sizeof ad, NULL, nonce0, mk);
	return HDR + len + TAG;
}

/* The receiver's half: KDF_CK, AEAD open, compare. */
static int open_msg(fl_ctx *c, fl_side *r, const uint8_t *h, size_t n,
	const uint8_t *pt, size_t len)
{
	uint8_t ad[64 + HDR], mk[32];

	memcpy(ad, c->ad, 64);
	memcpy(ad + 64, h, HDR);
	kdf_ck(r->ckr, mk);
	r->nr++;
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(c->plain,
		NULL, h + HDR, n - HDR - TAG, h + n - TAG, ad, sizeof ad,
		nonce0, mk) != 0)
		return -1;
	return memcmp(c->plain, pt, len) == 0 ? 0 : -1;
}

static void fl_destroy(void *ctx)
{
	if (ctx != NULL)
		sodium_memzero(ctx, sizeof(fl_ctx));
	free(ctx);
}

static void *fl_create(void)
{
	fl_ctx *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	crypto_sign_keypair(c->ida_pk, c->ida_sk);
	crypto_sign_ed25519_sk_to_curve25519(c->ida_x, c->ida_sk);
	crypto_sign_keypair(c->idb_pk, c->idb_sk);
	crypto_sign_ed25519_sk_to_curve25519(c->idb_x, c->idb_sk);
	randombytes_buf(c->spk_sk, 32);
	crypto_scalarmult_base(c->spk_pk, c->spk_sk);
	crypto_sign_detached(c->spk_sig, NULL, c->spk_pk, 32, c->idb_sk);
	memcpy(c->ad, c->ida_pk, 32);
	memcpy(c->ad + 32, c->idb_pk, 32);
	return c;
}

static int initiator(fl_ctx *c, const uint8_t *pt, size_t len, size_t *n)
{
	fl_side *a = &c->side[0];
	uint8_t ik_b[32], ek_sk[32], ek_pk[32], km[32 * 5], sk[32], out[32];

	if (crypto_sign_verify_detached(c->spk_sig, c->spk_pk, 32,
		c->idb_pk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(ik_b, c->idb_pk) != 0)
		return -1;
	randombytes_buf(ek_sk, 32);
	crypto_scalarmult_base(ek_pk, ek_sk);
	memset(km, 0xff, 32);
	if (dh(km + 32, c->ida_x, c->spk_pk) != 0 ||
	    dh(km + 64, ek_sk, ik_b) != 0 ||
	    dh(km + 96, ek_sk, c->spk_pk) != 0 ||
	    dh(km + 128, ek_sk, c->opk_pk) != 0)
		return -1;
	hkdf(sk, 32, NULL, 0, km, sizeof km, "libchat X3DH v1");
	/* RatchetInitAlice. */
	memset(a, 0, sizeof *a);
	randombytes_buf(a->dhs_sk, 32);
	crypto_scalarmult_base(a->dhs_pk, a->dhs_sk);
	memcpy(a->dhr, c->spk_pk, 32);
	if (dh(out, a->dhs_sk, a->dhr) != 0)
		return -1;
	memcpy(a->rk, sk, 32);
	kdf_rk(a->rk, out, a->cks);
	c->wire[0] = 0x11;
	memcpy(c->wire + 1, c->ida_pk, 32);
	memcpy(c->wire + 33, ek_pk, 32);
	memset(c->wire + 65, 0, 9);
	*n = X3DH_HDR + seal(c, a, c->wire + X3DH_HDR, pt, len);
	return 0;
}

static int responder(fl_ctx *c, const uint8_t *pt, size_t len, size_t n)
{
	fl_side *b = &c->side[1];
	const uint8_t *ek = c->wire + 33, *h = c->wire + X3DH_HDR;
	uint8_t ik_a[32], km[32 * 5], out[32];

	if (crypto_sign_ed25519_pk_to_curve25519(ik_a, c->wire + 1) != 0)
		return -1;
	memset(km, 0xff, 32);
	if (dh(km + 32, c->spk_sk, ik_a) != 0 ||
	    dh(km + 64, c->idb_x, ek) != 0 ||
	    dh(km + 96, c->spk_sk, ek) != 0 ||
	    dh(km + 128, c->opk_sk, ek) != 0)
		return -1;
	/* RatchetInitBob, then the receiving half of the first step. */
	memset(b, 0, sizeof *b);
	hkdf(b->rk, 32, NULL, 0, km, sizeof km, "libchat X3DH v1");
	memcpy(b->dhs_sk, c->spk_sk, 32);
	memcpy(b->dhs_pk, c->spk_pk, 32);
	memcpy(b->dhr, h + 1, 32);
	if (dh(out, b->dhs_sk, b->dhr) != 0)
		return -1;
	kdf_rk(b->rk, out, b->ckr);
	return open_msg(c, b, h, n - X3DH_HDR, pt, len);
}

static int fl_setup(void *ctx, const uint8_t *pt, size_t len,
	double *t_init, double *t_resp)
{
	fl_ctx *c = ctx;
	double t0, t1, t2;
	size_t n;
	int rc;

	/* A fresh one-time prekey, as the server would hand out. */
	randombytes_buf(c->opk_sk, 32);
	crypto_scalarmult_base(c->opk_pk, c->opk_sk);
	t0 = bench_now();
	if (initiator(c, pt, len, &n) < 0)
		return -1;
	t1 = bench_now();
	rc = responder(c, pt, len, n);
	t2 = bench_now();
	*t_init += t1 - t0;
	*t_resp += t2 - t1;
	c->last_dir = BENCH_A_TO_B;
	return rc;
}

static int fl_send(void *ctx, int dir, const uint8_t *pt, size_t len)
{
	fl_ctx *c = ctx;
	fl_side *s = &c->side[dir == BENCH_A_TO_B ? 0 : 1];
	fl_side *r = &c->side[dir == BENCH_A_TO_B ? 1 : 0];
	uint8_t out[32];
	size_t n;

	if (dir != c->last_dir) {
		/* A new DH ratchet step: the sender's half (a new key pair,
		 * DH, KDF_RK), then the receiver's (DH, KDF_RK). */
		randombytes_buf(s->dhs_sk, 32);
		crypto_scalarmult_base(s->dhs_pk, s->dhs_sk);
		if (dh(out, s->dhs_sk, s->dhr) != 0)
			return -1;
		kdf_rk(s->rk, out, s->cks);
		s->ns = 0;
		c->last_dir = dir;
		n = seal(c, s, c->wire, pt, len);
		memcpy(r->dhr, c->wire + 1, 32);
		if (dh(out, r->dhs_sk, r->dhr) != 0)
			return -1;
		kdf_rk(r->rk, out, r->ckr);
		r->nr = 0;
		return open_msg(c, r, c->wire, n, pt, len);
	}
	n = seal(c, s, c->wire, pt, len);
	return open_msg(c, r, c->wire, n, pt, len);
}

static int fl_establish(void *ctx)
{
	uint8_t pt[16] = "hello";
	double t0 = 0, t1 = 0;

	if (fl_setup(ctx, pt, sizeof pt, &t0, &t1) < 0)
		return -1;
	return fl_send(ctx, BENCH_B_TO_A, pt, sizeof pt);
}

static int fl_group_establish(void *ctx)
{
	fl_ctx *c = ctx;

	randombytes_buf(c->gck_a, 32);
	memcpy(c->gck_b, c->gck_a, 32);
	crypto_sign_keypair(c->g_pk, c->g_sk);
	c->g_it = 0;
	return 0;
}

static int fl_group_send(void *ctx, const uint8_t *pt, size_t len)
{
	fl_ctx *c = ctx;
	uint8_t *w = c->wire, mk[32];
	size_t n = SK_HDR + len + TAG;

	w[0] = 0x13;
	memset(w + 1, 0, 4);
	w[5] = (uint8_t)(c->g_it >> 24);
	w[6] = (uint8_t)(c->g_it >> 16);
	w[7] = (uint8_t)(c->g_it >> 8);
	w[8] = (uint8_t)c->g_it;
	c->g_it++;
	kdf_ck(c->gck_a, mk);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(w + SK_HDR,
		w + SK_HDR + len, NULL, pt, len, w, SK_HDR, NULL, nonce0, mk);
	crypto_sign_detached(w + n, NULL, w, n, c->g_sk);

	if (crypto_sign_verify_detached(w + n, w, n, c->g_pk) != 0)
		return -1;
	kdf_ck(c->gck_b, mk);
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(c->plain,
		NULL, w + SK_HDR, len, w + SK_HDR + len, w, SK_HDR, nonce0,
		mk) != 0)
		return -1;
	return memcmp(c->plain, pt, len) == 0 ? 0 : -1;
}

static long fl_size(void *ctx)
{
	(void)ctx;
	return -1; /* nothing stored: no size column */
}

static const char *fl_describe(void)
{
	static char buf[200];

	snprintf(buf, sizeof buf, "libsodium %s: only the primitive calls "
		"the protocol prescribes per operation (bench/crypto/floor.c); "
		"not a library, the limit for any on these primitives",
		sodium_version_string());
	return buf;
}

const bench_lib bench_floor = {
	.name = "floor",
	.reference = 1,
	.create = fl_create,
	.destroy = fl_destroy,
	.setup = fl_setup,
	.establish = fl_establish,
	.send = fl_send,
	.session_size = fl_size,
	.persist = NULL,
	.group_establish = fl_group_establish,
	.group_send = fl_group_send,
	.group_session_size = fl_size,
	.describe = fl_describe,
	.notes = NULL,
};
