/* Signed and one-time prekeys: the secrets behind a device's bundle. */
#include <string.h>

#include <sodium.h>

#include <libchat/error.h>

#include "internal.h"

static void make_signed(lc_prekeys *pk, const lc_identity *id, uint32_t kid)
{
	pk->cur.id = kid;
	lc_x25519_keypair(&pk->rng, pk->cur.sk, pk->cur.pk);
	lc_identity_sign(id, pk->cur.pk, sizeof pk->cur.pk, pk->cur.sig);
}

int lc_prekeys_new(lc_prekeys **out, const lc_identity *id,
		   const lc_allocator *mem, const lc_rng *rng)
{
	lc_allocator a;
	lc_prekeys *pk;
	int rv;

	if (out == NULL || id == NULL)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((rv = lc_alloc_init(&a, mem)) != 0)
		return rv;
	if ((rv = lc_crypto_init()) != 0)
		return rv;
	pk = lc_calloc(&a, 1, sizeof *pk);
	if (pk == NULL)
		return LC_ERR_NOMEM;
	pk->mem = a;
	lc_crypto_rng_copy(&pk->rng, rng);
	pk->next_otp_id = 1;
	make_signed(pk, id, 1);
	*out = pk;
	return 0;
}

void lc_prekeys_free(lc_prekeys *pk)
{
	lc_allocator a;

	if (pk == NULL)
		return;
	a = pk->mem;
	if (pk->otp != NULL) {
		sodium_memzero(pk->otp, pk->cap_otp * sizeof *pk->otp);
		lc_free(&a, pk->otp);
	}
	sodium_memzero(pk, sizeof *pk);
	lc_free(&a, pk);
}

int lc_prekeys_rotate_signed(lc_prekeys *pk, const lc_identity *id)
{
	uint32_t next;

	if (pk == NULL || id == NULL)
		return LC_ERR_INVALID_ARG;
	next = pk->cur.id == UINT32_MAX ? 1 : pk->cur.id + 1;
	pk->prev = pk->cur;
	pk->has_prev = 1;
	make_signed(pk, id, next);
	return 0;
}

void lc_prekeys_drop_previous_signed(lc_prekeys *pk)
{
	sodium_memzero(&pk->prev, sizeof pk->prev);
	pk->has_prev = 0;
}

void lc_prekeys_signed(const lc_prekeys *pk, uint32_t *key_id,
		       uint8_t *public_key, uint8_t *signature)
{
	if (key_id)
		*key_id = pk->cur.id;
	if (public_key)
		memcpy(public_key, pk->cur.pk, sizeof pk->cur.pk);
	if (signature)
		memcpy(signature, pk->cur.sig, sizeof pk->cur.sig);
}

int lc_prekeys_generate(lc_prekeys *pk, size_t count)
{
	int rv;

	if (pk == NULL || count == 0 ||
	    count > LC_PREKEYS_MAX_ONE_TIME - pk->n_otp ||
	    count > (size_t)(UINT32_MAX - pk->next_otp_id))
		return LC_ERR_INVALID_ARG;
	rv = lc_secure_grow(&pk->mem, (void **)&pk->otp, &pk->cap_otp,
			    pk->n_otp + count, sizeof *pk->otp);
	if (rv != 0)
		return rv;
	for (size_t i = 0; i < count; i++) {
		struct lc_otpk *k = &pk->otp[pk->n_otp++];

		k->id = pk->next_otp_id++;
		lc_x25519_keypair(&pk->rng, k->sk, k->pk);
	}
	return 0;
}

size_t lc_prekeys_count(const lc_prekeys *pk)
{
	return pk->n_otp;
}

int lc_prekeys_one_time(const lc_prekeys *pk, size_t index, uint32_t *key_id,
			uint8_t *public_key)
{
	if (pk == NULL || index >= pk->n_otp || key_id == NULL ||
	    public_key == NULL)
		return LC_ERR_INVALID_ARG;
	*key_id = pk->otp[index].id;
	memcpy(public_key, pk->otp[index].pk, 32);
	return 0;
}

int lc_prekeys_bundle(const lc_prekeys *pk, const lc_identity *id,
		      size_t one_time_index, lc_prekey_bundle *out)
{
	if (pk == NULL || id == NULL || out == NULL ||
	    (one_time_index != LC_BUNDLE_NO_ONE_TIME &&
	     one_time_index >= pk->n_otp))
		return LC_ERR_INVALID_ARG;
	memset(out, 0, sizeof *out);
	memcpy(out->identity_key, id->ed_pk, 32);
	lc_prekeys_signed(pk, &out->signed_prekey_id, out->signed_prekey,
			  out->signed_prekey_signature);
	if (one_time_index != LC_BUNDLE_NO_ONE_TIME) {
		out->has_one_time_prekey = 1;
		out->one_time_prekey_id = pk->otp[one_time_index].id;
		memcpy(out->one_time_prekey, pk->otp[one_time_index].pk, 32);
	}
	return 0;
}

const struct lc_spk *lc_prekeys_find_signed(const lc_prekeys *pk, uint32_t id)
{
	if (pk->cur.id == id)
		return &pk->cur;
	if (pk->has_prev && pk->prev.id == id)
		return &pk->prev;
	return NULL;
}

int lc_prekeys_find_one_time(const lc_prekeys *pk, uint32_t id)
{
	size_t lo = 0, hi = pk->n_otp;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pk->otp[mid].id == id)
			return (int)mid;
		if (pk->otp[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Ids are handed out in order and never again: one below the next
	 * id that is not in the pool was used. */
	return id != 0 && id < pk->next_otp_id ? LC_ERR_PREKEY_REUSED
					       : LC_ERR_UNKNOWN_PREKEY;
}

void lc_prekeys_remove(lc_prekeys *pk, size_t index)
{
	memmove(&pk->otp[index], &pk->otp[index + 1],
		(pk->n_otp - index - 1) * sizeof *pk->otp);
	pk->n_otp--;
	sodium_memzero(&pk->otp[pk->n_otp], sizeof *pk->otp);
}
