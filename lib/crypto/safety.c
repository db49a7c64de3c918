/* Safety numbers: Signal's numeric fingerprint of two identities. */
#include <string.h>

#include <sodium.h>

#include <libchat/error.h>

#include "internal.h"

/* One side's 30 digits: h = version || key || id, then 5200 times
 * h = SHA-512(h || key); six 5-byte chunks of h, each mod 100000. */
static void half(const uint8_t *key, const uint8_t *id, size_t id_len,
		 char *out)
{
	crypto_hash_sha512_state st;
	uint8_t h[crypto_hash_sha512_BYTES];
	uint8_t ver[2] = { (uint8_t)(LC_SAFETY_NUMBER_VERSION >> 8),
			   (uint8_t)LC_SAFETY_NUMBER_VERSION };

	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, ver, sizeof ver);
	crypto_hash_sha512_update(&st, key, LC_IDENTITY_KEY_LEN);
	if (id_len > 0)
		crypto_hash_sha512_update(&st, id, id_len);
	crypto_hash_sha512_update(&st, key, LC_IDENTITY_KEY_LEN);
	crypto_hash_sha512_final(&st, h);
	for (int i = 1; i < LC_SAFETY_NUMBER_ITERATIONS; i++) {
		crypto_hash_sha512_init(&st);
		crypto_hash_sha512_update(&st, h, sizeof h);
		crypto_hash_sha512_update(&st, key, LC_IDENTITY_KEY_LEN);
		crypto_hash_sha512_final(&st, h);
	}
	for (int c = 0; c < 6; c++) {
		const uint8_t *p = h + 5 * c;
		uint64_t v = (uint64_t)p[0] << 32 | (uint64_t)p[1] << 24 |
			     (uint64_t)p[2] << 16 | (uint64_t)p[3] << 8 | p[4];
		unsigned d = (unsigned)(v % 100000);

		for (int k = 4; k >= 0; k--) {
			out[5 * c + k] = (char)('0' + d % 10);
			d /= 10;
		}
	}
}

int lc_safety_number(const uint8_t *local_key, const uint8_t *local_id,
		     size_t local_id_len, const uint8_t *remote_key,
		     const uint8_t *remote_id, size_t remote_id_len, char *out)
{
	char a[30], b[30];

	if (local_key == NULL || remote_key == NULL || out == NULL ||
	    (local_id == NULL && local_id_len > 0) ||
	    (remote_id == NULL && remote_id_len > 0))
		return LC_ERR_INVALID_ARG;
	if (lc_crypto_init() != 0)
		return LC_ERR_INIT;
	half(local_key, local_id, local_id_len, a);
	half(remote_key, remote_id, remote_id_len, b);
	if (memcmp(a, b, 30) <= 0) {
		memcpy(out, a, 30);
		memcpy(out + 30, b, 30);
	} else {
		memcpy(out, b, 30);
		memcpy(out + 30, a, 30);
	}
	out[LC_SAFETY_NUMBER_DIGITS] = '\0';
	return 0;
}
