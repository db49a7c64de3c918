/* Noise ciphers and the CipherState (spec sections 5.1 and 12.3-12.4):
 * ChaChaPoly (IETF ChaCha20-Poly1305, nonce = 4 zero bytes || 64-bit
 * little-endian n) and AESGCM (AES-256-GCM, nonce = 4 zero bytes ||
 * 64-bit big-endian n; only where the CPU has AES-NI, as libsodium
 * requires). */
#include <string.h>

#include "noise_internal.h"

static void nonce_le(uint8_t out[12], uint64_t n)
{
	memset(out, 0, 4);
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(n >> (8 * i));
}

static void nonce_be(uint8_t out[12], uint64_t n)
{
	memset(out, 0, 4);
	for (int i = 0; i < 8; i++)
		out[11 - i] = (uint8_t)(n >> (8 * i));
}

static int chacha_encrypt(uint8_t *out, const uint8_t *k, uint64_t n,
			  const uint8_t *ad, size_t adlen, const uint8_t *in,
			  size_t len)
{
	uint8_t nonce[12];

	nonce_le(nonce, n);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(
		out, out + len, NULL, in, len, ad, adlen, NULL, nonce, k);
	return 0;
}

static int chacha_decrypt(uint8_t *out, const uint8_t *k, uint64_t n,
			  const uint8_t *ad, size_t adlen, const uint8_t *in,
			  size_t len)
{
	uint8_t nonce[12];

	nonce_le(nonce, n);
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		       out, NULL, in, len - NOISE_TAGLEN, in + len - NOISE_TAGLEN,
		       ad, adlen, nonce, k) == 0 ? 0 : -1;
}

static int aes_encrypt(uint8_t *out, const uint8_t *k, uint64_t n,
		       const uint8_t *ad, size_t adlen, const uint8_t *in,
		       size_t len)
{
	uint8_t nonce[12];

	nonce_be(nonce, n);
	crypto_aead_aes256gcm_encrypt_detached(out, out + len, NULL, in, len,
					       ad, adlen, NULL, nonce, k);
	return 0;
}

static int aes_decrypt(uint8_t *out, const uint8_t *k, uint64_t n,
		       const uint8_t *ad, size_t adlen, const uint8_t *in,
		       size_t len)
{
	uint8_t nonce[12];

	nonce_be(nonce, n);
	return crypto_aead_aes256gcm_decrypt_detached(
		       out, NULL, in, len - NOISE_TAGLEN, in + len - NOISE_TAGLEN,
		       ad, adlen, nonce, k) == 0 ? 0 : -1;
}

static const noise_cipher chachapoly = {
	"ChaChaPoly", chacha_encrypt, chacha_decrypt
};
static const noise_cipher aesgcm = { "AESGCM", aes_encrypt, aes_decrypt };

const noise_cipher *noise_cipher_find(const char *name, size_t len)
{
	if (len == 10 && memcmp(name, "ChaChaPoly", 10) == 0)
		return &chachapoly;
	if (len == 6 && memcmp(name, "AESGCM", 6) == 0 &&
	    crypto_aead_aes256gcm_is_available())
		return &aesgcm;
	return NULL;
}

void noise_cs_init(noise_cs *cs, const noise_cipher *c, const uint8_t *k)
{
	cs->cipher = c;
	cs->n = 0;
	cs->has_key = k != NULL;
	if (k != NULL)
		memcpy(cs->k, k, NOISE_KEYLEN);
	else
		sodium_memzero(cs->k, sizeof cs->k);
}

int noise_cs_encrypt(noise_cs *cs, const uint8_t *ad, size_t adlen,
		     const uint8_t *in, size_t len, uint8_t *out)
{
	if (!cs->has_key) {
		if (len > 0)
			memmove(out, in, len);
		return (int)len;
	}
	if (cs->n == NOISE_MAX_NONCE)
		return LC_ERR_NOISE_NONCE_EXHAUSTED;
	cs->cipher->encrypt(out, cs->k, cs->n, ad, adlen, in, len);
	cs->n++;
	return (int)(len + NOISE_TAGLEN);
}

int noise_cs_decrypt(noise_cs *cs, const uint8_t *ad, size_t adlen,
		     const uint8_t *in, size_t len, uint8_t *out)
{
	if (!cs->has_key) {
		if (len > 0)
			memmove(out, in, len);
		return (int)len;
	}
	if (cs->n == NOISE_MAX_NONCE)
		return LC_ERR_NOISE_NONCE_EXHAUSTED;
	if (len < NOISE_TAGLEN)
		return LC_ERR_NOISE_BAD_LENGTH;
	if (cs->cipher->decrypt(out, cs->k, cs->n, ad, adlen, in, len) != 0)
		return LC_ERR_NOISE_DECRYPT;
	cs->n++;
	return (int)(len - NOISE_TAGLEN);
}

/* REKEY(k) = first 32 bytes of ENCRYPT(k, 2^64-1, empty, 32 zero bytes). */
void noise_cs_rekey(noise_cs *cs)
{
	uint8_t zeros[NOISE_KEYLEN] = { 0 };
	uint8_t out[NOISE_KEYLEN + NOISE_TAGLEN];

	cs->cipher->encrypt(out, cs->k, NOISE_MAX_NONCE, NULL, 0, zeros,
			    sizeof zeros);
	memcpy(cs->k, out, NOISE_KEYLEN);
	sodium_memzero(out, sizeof out);
}
