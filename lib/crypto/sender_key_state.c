/* Sender keys to and from a versioned byte string (doc/protocol.md). */
#include <string.h>

#include <libchat/error.h>

#include "sender_key.h"

#define SENDER_KEY_VERSION 1
#define SK_SKIPPED_LEN 36

size_t lc_sender_key_serialized_size(const lc_sender_key *sk)
{
	return 2 + 4 + 8 + 32 + 32 + (sk->own ? 64 : 0) + 4 +
	       SK_SKIPPED_LEN * sk->n_sk;
}

int lc_sender_key_serialize(const lc_sender_key *sk, uint8_t *out,
			    size_t cap, size_t *out_len)
{
	size_t need;
	uint8_t *p = out;

	if (sk == NULL || out == NULL || out_len == NULL)
		return LC_ERR_INVALID_ARG;
	need = lc_sender_key_serialized_size(sk);
	if (cap < need)
		return LC_ERR_BUFFER_TOO_SMALL;
	*p++ = SENDER_KEY_VERSION;
	*p++ = sk->own;
	lc_put32(p, sk->key_id);
	lc_put64(p + 4, sk->it);
	memcpy(p + 12, sk->ck, 32);
	memcpy(p + 44, sk->sign_pk, 32);
	p += 76;
	if (sk->own) {
		memcpy(p, sk->sign_sk, 64);
		p += 64;
	}
	lc_put32(p, (uint32_t)sk->n_sk);
	p += 4;
	for (size_t i = 0; i < sk->n_sk; i++) {
		lc_put32(p, sk->sk[i].it);
		memcpy(p + 4, sk->sk[i].mk, 32);
		p += SK_SKIPPED_LEN;
	}
	*out_len = need;
	return 0;
}

static int parse_body(lc_sender_key *sk, lc_rd *r)
{
	uint32_t n;
	int rv;

	sk->own = lc_rd_u8(r);
	sk->key_id = lc_rd_u32(r);
	sk->it = lc_rd_u64(r);
	lc_rd_bytes(r, sk->ck, 32);
	lc_rd_bytes(r, sk->sign_pk, 32);
	if (sk->own == 1)
		lc_rd_bytes(r, sk->sign_sk, 64);
	n = lc_rd_u32(r);
	/* The signing key is not validated as a point again: it was when it
	 * arrived (lc_sender_key_from_distribution) or was made, and a key
	 * damaged on disk fails every verify (libsodium refuses a
	 * non-canonical, small-order or undecodable key), so the state fails
	 * closed. The check (a scalar multiplication, as costly as the
	 * message's own verify) would otherwise be paid on every load. */
	if (r->bad || sk->own > 1 || sk->it > LC_CHAIN_SPENT ||
	    n > LC_MAX_SKIP_LIMIT || r->left != (size_t)n * SK_SKIPPED_LEN ||
	    (sk->own && memcmp(sk->sign_sk + 32, sk->sign_pk, 32) != 0))
		return LC_ERR_MALFORMED;
	if (n > 0 && (rv = lc_secure_grow(&sk->mem, (void **)&sk->sk,
					  &sk->cap_sk, n, sizeof *sk->sk)))
		return rv;
	for (uint32_t i = 0; i < n; i++) {
		sk->sk[i].it = lc_rd_u32(r);
		lc_rd_bytes(r, sk->sk[i].mk, 32);
	}
	sk->n_sk = n;
	if (n > sk->max_skip)
		sk->max_skip = n;
	return 0;
}

int lc_sender_key_parse(lc_sender_key **out, const uint8_t *buf, size_t len,
			const lc_allocator *mem)
{
	lc_rd r = { buf, len, 0 };
	lc_sender_key *sk;
	int rv;

	if (out == NULL || (buf == NULL && len > 0))
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if (len < 1)
		return LC_ERR_MALFORMED;
	if (buf[0] != SENDER_KEY_VERSION)
		return LC_ERR_SESSION_VERSION;
	r.p++;
	r.left--;
	if ((rv = lc_sender_key_alloc(&sk, mem)) != 0)
		return rv;
	if ((rv = parse_body(sk, &r)) != 0) {
		lc_sender_key_free(sk);
		return rv;
	}
	*out = sk;
	return 0;
}
