/* Sender keys (in the style of Signal's): per (group, sender) a chain key
 * stepped like the Double Ratchet's KDF_CK and an Ed25519 signing key.
 * Each group message is encrypted once with ChaCha20-Poly1305-IETF under
 * its message key (constant nonce: one key, one message) and signed. */
#include <string.h>

#include <sodium.h>

#include <libchat/error.h>

#include "hkdf.h"
#include "sender_key.h"

static const uint8_t nonce0[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

int lc_sender_key_alloc(lc_sender_key **out, const lc_allocator *mem)
{
	lc_allocator a;
	lc_sender_key *sk;
	int rv;

	*out = NULL;
	if ((rv = lc_alloc_init(&a, mem)) != 0)
		return rv;
	if ((rv = lc_crypto_init()) != 0)
		return rv;
	sk = lc_calloc(&a, 1, sizeof *sk);
	if (sk == NULL)
		return LC_ERR_NOMEM;
	sk->mem = a;
	sk->max_skip = LC_MAX_SKIP_DEFAULT;
	*out = sk;
	return 0;
}

int lc_sender_key_new(lc_sender_key **out, const lc_allocator *mem,
		      const lc_rng *rng)
{
	uint8_t seed[32], id[4];
	lc_sender_key *sk;
	int rv;

	if (out == NULL)
		return LC_ERR_INVALID_ARG;
	if ((rv = lc_sender_key_alloc(&sk, mem)) != 0)
		return rv;
	lc_crypto_random(rng, id, sizeof id);
	lc_crypto_random(rng, sk->ck, sizeof sk->ck);
	lc_crypto_random(rng, seed, sizeof seed);
	crypto_sign_seed_keypair(sk->sign_pk, sk->sign_sk, seed);
	sodium_memzero(seed, sizeof seed);
	sk->key_id = lc_get32(id);
	sk->own = 1;
	*out = sk;
	return 0;
}

void lc_sender_key_free(lc_sender_key *sk)
{
	lc_allocator a;

	if (sk == NULL)
		return;
	a = sk->mem;
	if (sk->sk != NULL) {
		sodium_memzero(sk->sk, sk->cap_sk * sizeof *sk->sk);
		lc_free(&a, sk->sk);
	}
	sodium_memzero(sk, sizeof *sk);
	lc_free(&a, sk);
}

uint32_t lc_sender_key_id(const lc_sender_key *sk)
{
	return sk->key_id;
}

int lc_sender_key_set_max_skip(lc_sender_key *sk, uint32_t max_skip)
{
	if (sk == NULL || max_skip < 1 || max_skip > LC_MAX_SKIP_LIMIT)
		return LC_ERR_INVALID_ARG;
	sk->max_skip = max_skip;
	return 0;
}

int lc_sender_key_distribution(const lc_sender_key *sk, uint8_t *out,
			       size_t cap, size_t *out_len)
{
	if (sk == NULL || out == NULL || out_len == NULL)
		return LC_ERR_INVALID_ARG;
	if (!sk->own || sk->it >= LC_CHAIN_SPENT)
		return LC_ERR_INVALID_ARG;
	if (cap < LC_SENDER_KEY_DISTRIBUTION_LEN)
		return LC_ERR_BUFFER_TOO_SMALL;
	out[0] = LC_MSG_BYTE(LC_MSG_SENDER_KEY_DISTRIBUTION);
	lc_put32(out + 1, sk->key_id);
	lc_put32(out + 5, (uint32_t)sk->it);
	memcpy(out + 9, sk->ck, 32);
	memcpy(out + 41, sk->sign_pk, 32);
	*out_len = LC_SENDER_KEY_DISTRIBUTION_LEN;
	return 0;
}

int lc_sender_key_from_distribution(lc_sender_key **out, const uint8_t *msg,
				    size_t len, const lc_allocator *mem)
{
	lc_sender_key *sk;
	int rv;

	if (out == NULL || (msg == NULL && len > 0))
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((rv = lc_msg_check(msg, len, LC_MSG_SENDER_KEY_DISTRIBUTION)))
		return rv;
	if (len != LC_SENDER_KEY_DISTRIBUTION_LEN)
		return LC_ERR_MALFORMED;
	if ((rv = lc_crypto_init()) != 0)
		return rv;
	if (!crypto_core_ed25519_is_valid_point(msg + 41))
		return LC_ERR_BAD_KEY;
	if ((rv = lc_sender_key_alloc(&sk, mem)) != 0)
		return rv;
	sk->key_id = lc_get32(msg + 1);
	sk->it = lc_get32(msg + 5);
	memcpy(sk->ck, msg + 9, 32);
	memcpy(sk->sign_pk, msg + 41, 32);
	*out = sk;
	return 0;
}

int lc_sender_key_message_id(const uint8_t *msg, size_t len,
			     uint32_t *key_id)
{
	int rv;

	if (key_id == NULL || (msg == NULL && len > 0))
		return LC_ERR_INVALID_ARG;
	if ((rv = lc_msg_check(msg, len, LC_MSG_SENDER_KEY)) != 0)
		return rv;
	if (len < LC_SENDER_KEY_OVERHEAD)
		return LC_ERR_MALFORMED;
	*key_id = lc_get32(msg + 1);
	return 0;
}

int lc_sender_key_encrypt(lc_sender_key *sk, const uint8_t *pt,
			  size_t pt_len, uint8_t *out, size_t cap,
			  size_t *out_len)
{
	size_t need = pt_len + LC_SENDER_KEY_OVERHEAD;
	uint8_t mk[32];

	if (sk == NULL || out == NULL || out_len == NULL ||
	    (pt == NULL && pt_len > 0) || pt_len > ((size_t)1 << 31))
		return LC_ERR_INVALID_ARG;
	if (!sk->own || sk->it >= LC_CHAIN_SPENT)
		return LC_ERR_INVALID_STATE;
	if (cap < need)
		return LC_ERR_BUFFER_TOO_SMALL;
	out[0] = LC_MSG_BYTE(LC_MSG_SENDER_KEY);
	lc_put32(out + 1, sk->key_id);
	lc_put32(out + 5, (uint32_t)sk->it);
	lc_kdf_ck(sk->ck, mk, sk->ck);
	sk->it++;
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(
		out + LC_SK_HEADER_LEN, out + LC_SK_HEADER_LEN + pt_len, NULL,
		pt ? pt : nonce0, pt_len, out, LC_SK_HEADER_LEN, NULL, nonce0,
		mk);
	sodium_memzero(mk, sizeof mk);
	crypto_sign_detached(out + need - LC_SIGNATURE_LEN, NULL, out,
			     need - LC_SIGNATURE_LEN, sk->sign_sk);
	*out_len = need;
	return 0;
}

static int open_body(const uint8_t *mk, const uint8_t *msg, size_t len,
		     uint8_t *pt)
{
	size_t ct = len - LC_SENDER_KEY_OVERHEAD;

	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		    pt, NULL, msg + LC_SK_HEADER_LEN, ct,
		    msg + LC_SK_HEADER_LEN + ct, msg, LC_SK_HEADER_LEN, nonce0,
		    mk) != 0)
		return LC_ERR_DECRYPT;
	return 0;
}

static int skipped_find(const lc_sender_key *sk, uint32_t it)
{
	for (size_t i = 0; i < sk->n_sk; i++)
		if (sk->sk[i].it == it)
			return (int)i;
	return -1;
}

static void skipped_remove(lc_sender_key *sk, size_t i)
{
	memmove(&sk->sk[i], &sk->sk[i + 1], (sk->n_sk - i - 1) * sizeof *sk->sk);
	sk->n_sk--;
	sodium_memzero(&sk->sk[sk->n_sk], sizeof *sk->sk);
}

/* Step from sk->it to it, storing the skipped keys tentatively. */
static int advance(lc_sender_key *sk, uint32_t it, uint8_t *ck, uint8_t *mk)
{
	uint64_t i = sk->it;
	int rv;

	memcpy(ck, sk->ck, 32);
	for (; i < it; i++) {
		struct lc_sk_skipped *e;

		rv = lc_secure_grow(&sk->mem, (void **)&sk->sk, &sk->cap_sk,
				    sk->n_sk + 1, sizeof *sk->sk);
		if (rv != 0)
			return rv;
		e = &sk->sk[sk->n_sk++];
		e->it = (uint32_t)i;
		lc_kdf_ck(ck, e->mk, ck);
	}
	lc_kdf_ck(ck, mk, ck);
	return 0;
}

static void evict(lc_sender_key *sk)
{
	size_t drop;

	if (sk->n_sk <= sk->max_skip)
		return;
	drop = sk->n_sk - sk->max_skip;
	sodium_memzero(sk->sk, drop * sizeof *sk->sk);
	memmove(sk->sk, sk->sk + drop, sk->max_skip * sizeof *sk->sk);
	sodium_memzero(sk->sk + sk->max_skip, drop * sizeof *sk->sk);
	sk->n_sk = sk->max_skip;
}

static int decrypt_new(lc_sender_key *sk, uint32_t it, const uint8_t *msg,
		       size_t len, uint8_t *pt)
{
	size_t mark = sk->n_sk;
	uint8_t ck[32], mk[32];
	int rv;

	if (it - sk->it > sk->max_skip)
		return LC_ERR_TOO_MANY_SKIPPED;
	rv = advance(sk, it, ck, mk);
	if (rv == 0)
		rv = open_body(mk, msg, len, pt);
	if (rv == 0) {
		memcpy(sk->ck, ck, 32);
		sk->it = (uint64_t)it + 1;
		evict(sk);
	} else {
		sodium_memzero(sk->sk + mark, (sk->n_sk - mark) * sizeof *sk->sk);
		sk->n_sk = mark;
	}
	sodium_memzero(ck, sizeof ck);
	sodium_memzero(mk, sizeof mk);
	return rv;
}

int lc_sender_key_decrypt(lc_sender_key *sk, const uint8_t *msg, size_t len,
			  uint8_t *pt, size_t cap, size_t *pt_len)
{
	uint32_t it;
	int rv, i;

	if (sk == NULL || pt_len == NULL || (msg == NULL && len > 0) ||
	    (pt == NULL && cap > 0))
		return LC_ERR_INVALID_ARG;
	if (len == 0)
		return LC_ERR_DECRYPT;
	rv = lc_msg_check(msg, len, LC_MSG_SENDER_KEY);
	if (rv != 0)
		return LC_ERR_UNSUPPORTED;
	if (len < LC_SENDER_KEY_OVERHEAD)
		return LC_ERR_DECRYPT;
	if (cap < len - LC_SENDER_KEY_OVERHEAD)
		return LC_ERR_BUFFER_TOO_SMALL;
	if (lc_get32(msg + 1) != sk->key_id)
		return LC_ERR_NO_SESSION;
	if (crypto_sign_verify_detached(msg + len - LC_SIGNATURE_LEN, msg,
					len - LC_SIGNATURE_LEN,
					sk->sign_pk) != 0)
		return LC_ERR_BAD_SIGNATURE;
	it = lc_get32(msg + 5);
	if (it < sk->it) {
		if ((i = skipped_find(sk, it)) < 0)
			return LC_ERR_DUPLICATE_MESSAGE;
		rv = open_body(sk->sk[i].mk, msg, len, pt);
		if (rv == 0)
			skipped_remove(sk, (size_t)i);
	} else {
		rv = decrypt_new(sk, it, msg, len, pt);
	}
	if (rv == 0)
		*pt_len = len - LC_SENDER_KEY_OVERHEAD;
	return rv;
}
