/* Noise hash functions (BLAKE2b, SHA256, SHA512) with HMAC and HKDF as
 * defined in the Noise specification, section 4.3. libsodium has no
 * HMAC-BLAKE2b, so HMAC is built here from the hash and its block length
 * for every hash alike (RFC 2104). */
#include <string.h>

#include "noise_internal.h"

static void b2b_init(noise_hash_ctx *c)
{
	crypto_generichash_blake2b_init(&c->b2b, NULL, 0, 64);
}

static void b2b_update(noise_hash_ctx *c, const uint8_t *in, size_t len)
{
	crypto_generichash_blake2b_update(&c->b2b, in, len);
}

static void b2b_final(noise_hash_ctx *c, uint8_t *out)
{
	crypto_generichash_blake2b_final(&c->b2b, out, 64);
}

static void s256_init(noise_hash_ctx *c)
{
	crypto_hash_sha256_init(&c->s256);
}

static void s256_update(noise_hash_ctx *c, const uint8_t *in, size_t len)
{
	crypto_hash_sha256_update(&c->s256, in, len);
}

static void s256_final(noise_hash_ctx *c, uint8_t *out)
{
	crypto_hash_sha256_final(&c->s256, out);
}

static void s512_init(noise_hash_ctx *c)
{
	crypto_hash_sha512_init(&c->s512);
}

static void s512_update(noise_hash_ctx *c, const uint8_t *in, size_t len)
{
	crypto_hash_sha512_update(&c->s512, in, len);
}

static void s512_final(noise_hash_ctx *c, uint8_t *out)
{
	crypto_hash_sha512_final(&c->s512, out);
}

static const noise_hash hashes[] = {
	{ "BLAKE2b", 64, 128, b2b_init, b2b_update, b2b_final },
	{ "SHA256", 32, 64, s256_init, s256_update, s256_final },
	{ "SHA512", 64, 128, s512_init, s512_update, s512_final },
};

const noise_hash *noise_hash_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
		if (strlen(hashes[i].name) == len &&
		    memcmp(hashes[i].name, name, len) == 0)
			return &hashes[i];
	return NULL;
}

void noise_hash2(const noise_hash *h, uint8_t *out, const uint8_t *a,
		 size_t alen, const uint8_t *b, size_t blen)
{
	noise_hash_ctx ctx;

	h->init(&ctx);
	if (alen)
		h->update(&ctx, a, alen);
	if (blen)
		h->update(&ctx, b, blen);
	h->final(&ctx, out);
	sodium_memzero(&ctx, sizeof ctx);
}

void noise_hmac(const noise_hash *h, uint8_t *out, const uint8_t *key,
		size_t keylen, const uint8_t *a, size_t alen, const uint8_t *b,
		size_t blen)
{
	uint8_t k[NOISE_MAXBLOCK], pad[NOISE_MAXBLOCK], inner[NOISE_MAXHASH];
	noise_hash_ctx ctx;
	size_t i;

	memset(k, 0, sizeof k);
	if (keylen > h->blocklen)
		noise_hash2(h, k, key, keylen, NULL, 0);
	else if (keylen)
		memcpy(k, key, keylen);

	for (i = 0; i < h->blocklen; i++)
		pad[i] = k[i] ^ 0x36;
	h->init(&ctx);
	h->update(&ctx, pad, h->blocklen);
	if (alen)
		h->update(&ctx, a, alen);
	if (blen)
		h->update(&ctx, b, blen);
	h->final(&ctx, inner);

	for (i = 0; i < h->blocklen; i++)
		pad[i] = k[i] ^ 0x5c;
	h->init(&ctx);
	h->update(&ctx, pad, h->blocklen);
	h->update(&ctx, inner, h->hashlen);
	h->final(&ctx, out);

	sodium_memzero(k, sizeof k);
	sodium_memzero(pad, sizeof pad);
	sodium_memzero(inner, sizeof inner);
	sodium_memzero(&ctx, sizeof ctx);
}

void noise_hkdf(const noise_hash *h, const uint8_t *ck, const uint8_t *ikm,
		size_t ikmlen, uint8_t *o1, uint8_t *o2, uint8_t *o3)
{
	uint8_t tk[NOISE_MAXHASH];
	const uint8_t one = 1, two = 2, three = 3;

	noise_hmac(h, tk, ck, h->hashlen, ikm, ikmlen, NULL, 0);
	noise_hmac(h, o1, tk, h->hashlen, &one, 1, NULL, 0);
	noise_hmac(h, o2, tk, h->hashlen, o1, h->hashlen, &two, 1);
	if (o3 != NULL)
		noise_hmac(h, o3, tk, h->hashlen, o2, h->hashlen, &three, 1);
	sodium_memzero(tk, sizeof tk);
}
