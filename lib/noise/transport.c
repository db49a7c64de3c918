/* Transport ciphers: the public face of a CipherState after Split. */
#include <string.h>

#include "handshake.h"

int lc_noise_cipher_encrypt(lc_noise_cipher *c, const uint8_t *ad,
			    size_t ad_len, const uint8_t *in, size_t len,
			    uint8_t *out, size_t out_cap)
{
	if (c == NULL || out == NULL || (in == NULL && len > 0) ||
	    (ad == NULL && ad_len > 0))
		return LC_ERR_INVALID_ARG;
	if (len > LC_NOISE_MAX_PAYLOAD)
		return LC_ERR_NOISE_BAD_LENGTH;
	if (out_cap < len + NOISE_TAGLEN)
		return LC_ERR_BUFFER_TOO_SMALL;
	return noise_cs_encrypt(&c->cs, ad, ad_len, in, len, out);
}

int lc_noise_cipher_decrypt(lc_noise_cipher *c, const uint8_t *ad,
			    size_t ad_len, const uint8_t *in, size_t len,
			    uint8_t *out, size_t out_cap)
{
	if (c == NULL || out == NULL || in == NULL ||
	    (ad == NULL && ad_len > 0))
		return LC_ERR_INVALID_ARG;
	if (len < NOISE_TAGLEN || len > LC_NOISE_MAX_MESSAGE)
		return LC_ERR_NOISE_BAD_LENGTH;
	if (out_cap < len - NOISE_TAGLEN)
		return LC_ERR_BUFFER_TOO_SMALL;
	return noise_cs_decrypt(&c->cs, ad, ad_len, in, len, out);
}

void lc_noise_cipher_rekey(lc_noise_cipher *c)
{
	if (c != NULL)
		noise_cs_rekey(&c->cs);
}

uint64_t lc_noise_cipher_nonce(const lc_noise_cipher *c)
{
	return c ? c->cs.n : 0;
}

void lc_noise_cipher_set_nonce(lc_noise_cipher *c, uint64_t n)
{
	if (c != NULL)
		c->cs.n = n;
}

void lc_noise_cipher_free(lc_noise_cipher *c)
{
	lc_allocator a;

	if (c == NULL)
		return;
	a = c->mem;
	sodium_memzero(c, sizeof *c);
	lc_free(&a, c);
}
