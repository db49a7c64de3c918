/* Sealing records at rest (XChaCha20-Poly1305) and keyed hashes of index
 * terms. A sealed record is: version byte with REC_SEALED set, a 24-byte
 * random nonce, then the ciphertext and its 16-byte tag. The associated
 * data is the version byte and the record's key, so a record moved to
 * another key does not open. */
#include <sodium.h>
#include <string.h>

#include "store_int.h"

#define AD_MAX 512

static int make_ad(uint8_t *buf, uint8_t ver, const uint8_t *ad, size_t n)
{
	if (n > AD_MAX - 1)
		return LC_ERR_INTERNAL;
	buf[0] = ver;
	if (n)
		memcpy(buf + 1, ad, n);
	return 0;
}

int lc_seal(lc_store *s, uint8_t ver, const uint8_t *ad, size_t ad_len,
	    const uint8_t *pt, size_t pt_len, uint8_t **out, size_t *out_len)
{
	uint8_t adb[AD_MAX];
	uint8_t *p;
	int rv;
	size_t n = 1 + SEAL_NONCE + pt_len + SEAL_TAG;
	unsigned long long clen;

	if ((rv = make_ad(adb, ver | REC_SEALED, ad, ad_len)) != 0)
		return rv;
	p = lc_malloc(&s->mem, n);
	if (p == NULL)
		return LC_ERR_NOMEM;
	p[0] = ver | REC_SEALED;
	if (s->has_rng)
		s->rng.fill(p + 1, SEAL_NONCE, s->rng.user_data);
	else
		randombytes_buf(p + 1, SEAL_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		p + 1 + SEAL_NONCE, &clen, pt, pt_len, adb, ad_len + 1, NULL,
		p + 1, s->keys);
	*out = p;
	*out_len = n;
	return 0;
}

int lc_unseal(lc_store *s, const uint8_t *ad, size_t ad_len,
	      const uint8_t *rec, size_t rec_len, uint8_t **pt, size_t *pt_len)
{
	uint8_t adb[AD_MAX];
	uint8_t *p;
	size_t n;
	unsigned long long plen;

	if (rec_len < 1 + SEAL_NONCE + SEAL_TAG || !(rec[0] & REC_SEALED) ||
	    make_ad(adb, rec[0], ad, ad_len) != 0)
		return LC_ERR_STORE_CORRUPT;
	n = rec_len - 1 - SEAL_NONCE - SEAL_TAG;
	p = lc_malloc(&s->mem, n ? n : 1);
	if (p == NULL)
		return LC_ERR_NOMEM;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    p, &plen, NULL, rec + 1 + SEAL_NONCE,
		    rec_len - 1 - SEAL_NONCE, adb, ad_len + 1, rec + 1,
		    s->keys) != 0) {
		lc_free(&s->mem, p);
		return LC_ERR_STORE_CORRUPT;
	}
	*pt = p;
	*pt_len = n;
	return 0;
}

void lc_unseal_free(lc_store *s, uint8_t *pt, size_t len)
{
	if (pt == NULL)
		return;
	sodium_memzero(pt, len);
	lc_free(&s->mem, pt);
}

void lc_term_hash(const lc_store *s, const uint8_t *term, size_t len,
		  uint8_t out[TERM_HASH_LEN])
{
	crypto_generichash(out, TERM_HASH_LEN, term, len, s->keys + 32, 32);
}
