/* Helpers shared by the crypto area: randomness, X25519 with the
 * low-order check, message kind bytes, bounded readers, secret arrays. */
#include <string.h>

#include <sodium.h>

#include <libchat/error.h>

#include "internal.h"

void lc_crypto_random(const lc_rng *rng, void *buf, size_t len)
{
	if (rng != NULL && rng->fill != NULL)
		rng->fill(buf, len, rng->user_data);
	else
		randombytes_buf(buf, len);
}

void lc_crypto_rng_copy(lc_rng *dst, const lc_rng *src)
{
	if (src != NULL) {
		*dst = *src;
	} else {
		dst->fill = NULL;
		dst->user_data = NULL;
	}
}

int lc_crypto_init(void)
{
	return sodium_init() < 0 ? LC_ERR_INIT : 0;
}

void lc_x25519_keypair(const lc_rng *rng, uint8_t *sk, uint8_t *pk)
{
	lc_crypto_random(rng, sk, 32);
	crypto_scalarmult_base(pk, sk);
}

int lc_x25519(uint8_t *out, const uint8_t *sk, const uint8_t *pk)
{
	/* libsodium refuses an all-zero result: the peer key has low order. */
	if (crypto_scalarmult(out, sk, pk) != 0) {
		sodium_memzero(out, 32);
		return LC_ERR_BAD_KEY;
	}
	return 0;
}

int lc_msg_check(const uint8_t *msg, size_t len, int kind)
{
	if (msg == NULL || len == 0)
		return LC_ERR_MALFORMED;
	if ((msg[0] >> 4) != LC_CRYPTO_VERSION)
		return LC_ERR_UNSUPPORTED;
	if ((msg[0] & 0x0f) != kind)
		return LC_ERR_MALFORMED;
	return 0;
}

int lc_crypto_message_type(const uint8_t *msg, size_t len)
{
	int kind;

	if (msg == NULL || len == 0)
		return LC_ERR_MALFORMED;
	if ((msg[0] >> 4) != LC_CRYPTO_VERSION)
		return LC_ERR_UNSUPPORTED;
	kind = msg[0] & 0x0f;
	if (kind < LC_MSG_PREKEY || kind > LC_MSG_SENDER_KEY_DISTRIBUTION)
		return LC_ERR_MALFORMED;
	return kind;
}

size_t lc_ratchet_overhead(void)
{
	return LC_RATCHET_OVERHEAD;
}

size_t lc_prekey_overhead(void)
{
	return LC_PREKEY_OVERHEAD;
}

size_t lc_sender_key_overhead(void)
{
	return LC_SENDER_KEY_OVERHEAD;
}

void lc_rd_bytes(lc_rd *r, void *dst, size_t n)
{
	if (r->bad || r->left < n) {
		r->bad = 1;
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
}

uint8_t lc_rd_u8(lc_rd *r)
{
	uint8_t v;
	lc_rd_bytes(r, &v, 1);
	return v;
}

uint32_t lc_rd_u32(lc_rd *r)
{
	uint8_t b[4];
	lc_rd_bytes(r, b, 4);
	return lc_get32(b);
}

uint64_t lc_rd_u64(lc_rd *r)
{
	uint8_t b[8];
	lc_rd_bytes(r, b, 8);
	return lc_get64(b);
}

int lc_secure_grow(const lc_allocator *mem, void **arr, size_t *cap,
		   size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *n;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	n = lc_malloc(mem, ncap * elem);
	if (n == NULL)
		return LC_ERR_NOMEM;
	if (*arr != NULL) {
		memcpy(n, *arr, *cap * elem);
		sodium_memzero(*arr, *cap * elem);
		lc_free(mem, *arr);
	}
	*arr = n;
	*cap = ncap;
	return 0;
}
