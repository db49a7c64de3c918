/* Prekeys to and from a versioned byte string (doc/protocol.md). */
#include <string.h>

#include <sodium.h>

#include <libchat/error.h>

#include "internal.h"

#define PREKEYS_VERSION 1
#define SPK_LEN (4 + 32 + 32 + 64)
#define OTP_LEN (4 + 32 + 32)

size_t lc_prekeys_serialized_size(const lc_prekeys *pk)
{
	return 1 + SPK_LEN + 1 + (pk->has_prev ? SPK_LEN : 0) + 4 + 4 +
	       pk->n_otp * OTP_LEN;
}

static uint8_t *put_spk(uint8_t *p, const struct lc_spk *k)
{
	lc_put32(p, k->id);
	memcpy(p + 4, k->sk, 32);
	memcpy(p + 36, k->pk, 32);
	memcpy(p + 68, k->sig, 64);
	return p + SPK_LEN;
}

int lc_prekeys_serialize(const lc_prekeys *pk, uint8_t *out, size_t cap,
			 size_t *out_len)
{
	size_t need;
	uint8_t *p = out;

	if (pk == NULL || out == NULL || out_len == NULL)
		return LC_ERR_INVALID_ARG;
	need = lc_prekeys_serialized_size(pk);
	if (cap < need)
		return LC_ERR_BUFFER_TOO_SMALL;
	*p++ = PREKEYS_VERSION;
	p = put_spk(p, &pk->cur);
	*p++ = (uint8_t)pk->has_prev;
	if (pk->has_prev)
		p = put_spk(p, &pk->prev);
	lc_put32(p, pk->next_otp_id);
	lc_put32(p + 4, (uint32_t)pk->n_otp);
	p += 8;
	for (size_t i = 0; i < pk->n_otp; i++) {
		lc_put32(p, pk->otp[i].id);
		memcpy(p + 4, pk->otp[i].sk, 32);
		memcpy(p + 36, pk->otp[i].pk, 32);
		p += OTP_LEN;
	}
	*out_len = need;
	return 0;
}

static void rd_spk(lc_rd *r, struct lc_spk *k)
{
	k->id = lc_rd_u32(r);
	lc_rd_bytes(r, k->sk, 32);
	lc_rd_bytes(r, k->pk, 32);
	lc_rd_bytes(r, k->sig, 64);
}

static int parse_body(lc_prekeys *pk, lc_rd *r)
{
	uint32_t n, prev_id = 0;
	uint8_t has_prev;
	int rv;

	rd_spk(r, &pk->cur);
	has_prev = lc_rd_u8(r);
	if (has_prev > 1)
		return LC_ERR_MALFORMED;
	pk->has_prev = has_prev;
	if (has_prev)
		rd_spk(r, &pk->prev);
	pk->next_otp_id = lc_rd_u32(r);
	n = lc_rd_u32(r);
	if (r->bad || n > LC_PREKEYS_MAX_ONE_TIME || pk->next_otp_id == 0 ||
	    r->left != (size_t)n * OTP_LEN)
		return LC_ERR_MALFORMED;
	if (n > 0 && (rv = lc_secure_grow(&pk->mem, (void **)&pk->otp,
					  &pk->cap_otp, n, sizeof *pk->otp)))
		return rv;
	for (uint32_t i = 0; i < n; i++) {
		struct lc_otpk *k = &pk->otp[i];

		k->id = lc_rd_u32(r);
		lc_rd_bytes(r, k->sk, 32);
		lc_rd_bytes(r, k->pk, 32);
		pk->n_otp = i + 1;
		/* Ascending, nonzero and below the next id to hand out. */
		if (k->id <= prev_id || k->id >= pk->next_otp_id)
			return LC_ERR_MALFORMED;
		prev_id = k->id;
	}
	return r->bad || r->left != 0 ? LC_ERR_MALFORMED : 0;
}

int lc_prekeys_parse(lc_prekeys **out, const uint8_t *buf, size_t len,
		     const lc_allocator *mem, const lc_rng *rng)
{
	lc_allocator a;
	lc_prekeys *pk;
	lc_rd r = { buf, len, 0 };
	int rv;

	if (out == NULL || (buf == NULL && len > 0))
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((rv = lc_alloc_init(&a, mem)) != 0)
		return rv;
	if ((rv = lc_crypto_init()) != 0)
		return rv;
	if (len < 1)
		return LC_ERR_MALFORMED;
	if (buf[0] != PREKEYS_VERSION)
		return LC_ERR_SESSION_VERSION;
	r.p++;
	r.left--;
	pk = lc_calloc(&a, 1, sizeof *pk);
	if (pk == NULL)
		return LC_ERR_NOMEM;
	pk->mem = a;
	lc_crypto_rng_copy(&pk->rng, rng);
	if ((rv = parse_body(pk, &r)) != 0) {
		lc_prekeys_free(pk);
		return rv;
	}
	*out = pk;
	return 0;
}
