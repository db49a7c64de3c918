/* Device identity: an Ed25519 key pair, with its X25519 form cached for
 * X3DH. */
#include <string.h>

#include <sodium.h>

#include <libchat/error.h>

#include "internal.h"

static int identity_make(lc_identity **out, const uint8_t *seed,
			 const lc_allocator *mem)
{
	lc_allocator a;
	lc_identity *id;
	int rv;

	if (out == NULL || seed == NULL)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((rv = lc_alloc_init(&a, mem)) != 0)
		return rv;
	if ((rv = lc_crypto_init()) != 0)
		return rv;
	id = lc_malloc(&a, sizeof *id);
	if (id == NULL)
		return LC_ERR_NOMEM;
	id->mem = a;
	crypto_sign_seed_keypair(id->ed_pk, id->ed_sk, seed);
	crypto_sign_ed25519_sk_to_curve25519(id->x_sk, id->ed_sk);
	*out = id;
	return 0;
}

int lc_identity_new(lc_identity **out, const lc_allocator *mem,
		    const lc_rng *rng)
{
	uint8_t seed[LC_IDENTITY_SEED_LEN];
	int rv;

	if (out == NULL)
		return LC_ERR_INVALID_ARG;
	if ((rv = lc_crypto_init()) != 0)
		return rv;
	lc_crypto_random(rng, seed, sizeof seed);
	rv = identity_make(out, seed, mem);
	sodium_memzero(seed, sizeof seed);
	return rv;
}

int lc_identity_from_seed(lc_identity **out, const uint8_t *seed,
			  const lc_allocator *mem)
{
	return identity_make(out, seed, mem);
}

void lc_identity_free(lc_identity *id)
{
	lc_allocator a;

	if (id == NULL)
		return;
	a = id->mem;
	sodium_memzero(id, sizeof *id);
	lc_free(&a, id);
}

void lc_identity_seed(const lc_identity *id, uint8_t *seed)
{
	memcpy(seed, id->ed_sk, LC_IDENTITY_SEED_LEN);
}

const uint8_t *lc_identity_public_key(const lc_identity *id)
{
	return id->ed_pk;
}

void lc_identity_sign(const lc_identity *id, const uint8_t *msg, size_t len,
		      uint8_t *sig)
{
	static const uint8_t empty[1];

	crypto_sign_detached(sig, NULL, msg ? msg : empty, len, id->ed_sk);
}

int lc_identity_verify(const uint8_t *identity_key, const uint8_t *msg,
		       size_t len, const uint8_t *sig)
{
	static const uint8_t empty[1];

	if (identity_key == NULL || sig == NULL || (msg == NULL && len > 0))
		return LC_ERR_INVALID_ARG;
	if (lc_crypto_init() != 0)
		return LC_ERR_INIT;
	if (crypto_sign_verify_detached(sig, msg ? msg : empty, len,
					identity_key) != 0)
		return LC_ERR_BAD_SIGNATURE;
	return 0;
}
