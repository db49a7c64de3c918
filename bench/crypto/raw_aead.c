/*
 * The physical limit: libsodium's AEAD alone (the one lib/crypto uses,
 * ChaCha20-Poly1305-IETF) on the same plaintexts, one key, a fresh nonce
 * per message, every decrypt checked. No ratchet, no header, no state.
 */
#include "bench.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct raw_ctx {
	uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t ct[BENCH_MAX_PLAINTEXT + crypto_aead_chacha20poly1305_ietf_ABYTES];
	uint8_t out[BENCH_MAX_PLAINTEXT];
} raw_ctx;

static void *raw_create(void)
{
	raw_ctx *c = calloc(1, sizeof *c);

	if (c != NULL)
		crypto_aead_chacha20poly1305_ietf_keygen(c->key);
	return c;
}

static void raw_destroy(void *ctx)
{
	if (ctx != NULL)
		sodium_memzero(ctx, sizeof(raw_ctx));
	free(ctx);
}

static int raw_establish(void *ctx)
{
	(void)ctx;
	return 0;
}

static int raw_send(void *ctx, int dir, const uint8_t *pt, size_t len)
{
	raw_ctx *c = ctx;
	unsigned long long ct_len, out_len;

	(void)dir;
	if (len > BENCH_MAX_PLAINTEXT)
		return -1;
	sodium_increment(c->nonce, sizeof c->nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt(c->ct, &ct_len, pt, len,
		NULL, 0, NULL, c->nonce, c->key);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(c->out, &out_len, NULL,
		c->ct, ct_len, NULL, 0, c->nonce, c->key) != 0)
		return -1;
	return out_len == len && memcmp(c->out, pt, len) == 0 ? 0 : -1;
}

static const char *raw_describe(void)
{
	static char buf[120];

	snprintf(buf, sizeof buf, "libsodium %s "
		"crypto_aead_chacha20poly1305_ietf, no ratchet",
		sodium_version_string());
	return buf;
}

const bench_lib bench_raw = {
	.name = "raw-aead",
	.create = raw_create,
	.destroy = raw_destroy,
	.establish = raw_establish,
	.send = raw_send,
	.describe = raw_describe,
};
