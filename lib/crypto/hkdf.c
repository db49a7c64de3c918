/* HKDF-SHA256 (RFC 5869) and the Double Ratchet's chain KDFs. libsodium
 * 1.0.18 has HMAC-SHA256 but no HKDF, so both steps are written here on
 * crypto_auth_hmacsha256_{init,update,final}. */
#include <string.h>

#include <sodium.h>

#include <libchat/error.h>

#include "hkdf.h"

static const uint8_t zero_salt[crypto_auth_hmacsha256_BYTES];

int lc_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *salt,
		   size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		   const uint8_t *info, size_t info_len)
{
	crypto_auth_hmacsha256_state st, keyed;
	uint8_t prk[crypto_auth_hmacsha256_BYTES];
	uint8_t t[crypto_auth_hmacsha256_BYTES];
	size_t done = 0;
	uint8_t ctr = 1;

	if (out == NULL || out_len == 0 || out_len > LC_HKDF_SHA256_MAX)
		return LC_ERR_INVALID_ARG;
	if (salt_len == 0) {
		salt = zero_salt;
		salt_len = sizeof zero_salt;
	}
	/* Extract: PRK = HMAC(salt, IKM). */
	crypto_auth_hmacsha256_init(&st, salt, salt_len);
	if (ikm_len > 0)
		crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);

	/* Expand: T(i) = HMAC(PRK, T(i-1) || info || i). The PRK-keyed state
	 * is computed once and copied for every block. */
	crypto_auth_hmacsha256_init(&keyed, prk, sizeof prk);
	while (done < out_len) {
		size_t n = out_len - done < sizeof t ? out_len - done : sizeof t;

		st = keyed;
		if (ctr > 1)
			crypto_auth_hmacsha256_update(&st, t, sizeof t);
		if (info_len > 0)
			crypto_auth_hmacsha256_update(&st, info, info_len);
		crypto_auth_hmacsha256_update(&st, &ctr, 1);
		crypto_auth_hmacsha256_final(&st, t);
		memcpy(out + done, t, n);
		done += n;
		ctr++;
	}
	sodium_memzero(prk, sizeof prk);
	sodium_memzero(t, sizeof t);
	sodium_memzero(&st, sizeof st);
	sodium_memzero(&keyed, sizeof keyed);
	return 0;
}

void lc_kdf_ck(const uint8_t *ck, uint8_t *mk, uint8_t *next)
{
	static const uint8_t one = 0x01, two = 0x02;
	crypto_auth_hmacsha256_state a, b;

	/* Both HMACs use the key ck: hash its pads once, copy the state. */
	crypto_auth_hmacsha256_init(&a, ck, 32);
	b = a;
	crypto_auth_hmacsha256_update(&a, &one, 1);
	crypto_auth_hmacsha256_final(&a, mk);
	crypto_auth_hmacsha256_update(&b, &two, 1);
	crypto_auth_hmacsha256_final(&b, next);
	sodium_memzero(&a, sizeof a);
	sodium_memzero(&b, sizeof b);
}

void lc_kdf_rk(const uint8_t *rk, const uint8_t *dh_out, uint8_t *rk_out,
	       uint8_t *ck_out)
{
	static const uint8_t info[] = "libchat ratchet v1";
	uint8_t okm[64];

	(void)lc_hkdf_sha256(okm, sizeof okm, rk, 32, dh_out, 32, info,
			     sizeof info - 1);
	memcpy(rk_out, okm, 32);
	memcpy(ck_out, okm + 32, 32);
	sodium_memzero(okm, sizeof okm);
}
