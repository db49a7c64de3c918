/* The SymmetricState (Noise spec section 5.2). */
#include <string.h>

#include "noise_internal.h"

void noise_ss_init(noise_ss *ss, const noise_hash *h, const noise_cipher *c,
		   const char *protocol_name)
{
	size_t len = strlen(protocol_name);

	ss->hash = h;
	memset(ss->h, 0, sizeof ss->h);
	if (len <= h->hashlen)
		memcpy(ss->h, protocol_name, len);
	else
		noise_hash2(h, ss->h, (const uint8_t *)protocol_name, len,
			    NULL, 0);
	memcpy(ss->ck, ss->h, h->hashlen);
	noise_cs_init(&ss->cs, c, NULL);
}

void noise_ss_mix_key(noise_ss *ss, const uint8_t *ikm, size_t len)
{
	uint8_t tk[NOISE_MAXHASH];

	/* A 64-byte hash output is truncated to the 32-byte key. */
	noise_hkdf(ss->hash, ss->ck, ikm, len, ss->ck, tk, NULL);
	noise_cs_init(&ss->cs, ss->cs.cipher, tk);
	sodium_memzero(tk, sizeof tk);
}

void noise_ss_mix_hash(noise_ss *ss, const uint8_t *data, size_t len)
{
	noise_hash2(ss->hash, ss->h, ss->h, ss->hash->hashlen, data, len);
}

void noise_ss_mix_key_and_hash(noise_ss *ss, const uint8_t *ikm, size_t len)
{
	uint8_t th[NOISE_MAXHASH], tk[NOISE_MAXHASH];

	noise_hkdf(ss->hash, ss->ck, ikm, len, ss->ck, th, tk);
	noise_ss_mix_hash(ss, th, ss->hash->hashlen);
	noise_cs_init(&ss->cs, ss->cs.cipher, tk);
	sodium_memzero(th, sizeof th);
	sodium_memzero(tk, sizeof tk);
}

int noise_ss_encrypt_and_hash(noise_ss *ss, const uint8_t *in, size_t len,
			      uint8_t *out)
{
	int n = noise_cs_encrypt(&ss->cs, ss->h, ss->hash->hashlen, in, len,
				 out);

	if (n >= 0)
		noise_ss_mix_hash(ss, out, (size_t)n);
	return n;
}

/* The ciphertext is hashed before it is decrypted, so in may equal out. */
int noise_ss_decrypt_and_hash(noise_ss *ss, const uint8_t *in, size_t len,
			      uint8_t *out)
{
	uint8_t h[NOISE_MAXHASH];
	int n;

	memcpy(h, ss->h, ss->hash->hashlen);
	noise_hash2(ss->hash, h, ss->h, ss->hash->hashlen, in, len);
	n = noise_cs_decrypt(&ss->cs, ss->h, ss->hash->hashlen, in, len, out);
	if (n >= 0)
		memcpy(ss->h, h, ss->hash->hashlen);
	return n;
}

void noise_ss_split(noise_ss *ss, noise_cs *c1, noise_cs *c2)
{
	uint8_t k1[NOISE_MAXHASH], k2[NOISE_MAXHASH];

	noise_hkdf(ss->hash, ss->ck, NULL, 0, k1, k2, NULL);
	noise_cs_init(c1, ss->cs.cipher, k1);
	noise_cs_init(c2, ss->cs.cipher, k2);
	sodium_memzero(k1, sizeof k1);
	sodium_memzero(k2, sizeof k2);
}
