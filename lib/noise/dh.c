/* Noise DH functions: X25519 (spec section 12.1). */
#include "noise_internal.h"

int noise_dh(uint8_t out[NOISE_DHLEN], const uint8_t priv[NOISE_DHLEN],
	     const uint8_t pub[NOISE_DHLEN])
{
	/* libsodium refuses an all-zero result (a low-order point). */
	if (crypto_scalarmult(out, priv, pub) != 0) {
		sodium_memzero(out, NOISE_DHLEN);
		return LC_ERR_NOISE_BAD_KEY;
	}
	return 0;
}

void noise_dh_public(uint8_t pub[NOISE_DHLEN], const uint8_t priv[NOISE_DHLEN])
{
	crypto_scalarmult_base(pub, priv);
}
