/* Internal: HKDF-SHA256 (RFC 5869) and the ratchet's KDFs, on libsodium's
 * HMAC-SHA256. */
#ifndef LC_CRYPTO_HKDF_H
#define LC_CRYPTO_HKDF_H

#include <stddef.h>
#include <stdint.h>

/* The largest HKDF-SHA256 output: 255 blocks of 32 bytes. */
#define LC_HKDF_SHA256_MAX (255 * 32)

/* HKDF-Extract then HKDF-Expand into out[0..out_len). An empty salt is
 * the RFC's default (32 zero bytes). Any pointer may be NULL when its
 * length is 0. Returns 0, or LC_ERR_INVALID_ARG when out_len is 0 or above
 * LC_HKDF_SHA256_MAX. */
int lc_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *salt,
		   size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		   const uint8_t *info, size_t info_len);

/* Double Ratchet KDF_CK: mk = HMAC(ck, 0x01), next = HMAC(ck, 0x02).
 * next may equal ck. */
void lc_kdf_ck(const uint8_t *ck, uint8_t *mk, uint8_t *next);

/* Double Ratchet KDF_RK: HKDF(salt = rk, ikm = dh_out, info) -> 32-byte
 * root key then 32-byte chain key. rk_out may equal rk. */
void lc_kdf_rk(const uint8_t *rk, const uint8_t *dh_out, uint8_t *rk_out,
	       uint8_t *ck_out);

#endif
