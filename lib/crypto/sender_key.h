/* Internal: the sender-key layout, shared with its serialiser. */
#ifndef LC_CRYPTO_SENDER_KEY_H
#define LC_CRYPTO_SENDER_KEY_H

#include "internal.h"

#define LC_SK_HEADER_LEN 9

struct lc_sk_skipped {
	uint32_t it;
	uint8_t mk[32];
};

struct lc_sender_key {
	lc_allocator mem;
	uint32_t key_id;
	uint64_t it;              /* next iteration; 2^32 when spent */
	uint8_t ck[32];
	uint8_t sign_pk[32];
	uint8_t sign_sk[64];
	uint8_t own;              /* holds the signing secret */
	struct lc_sk_skipped *sk; /* oldest first */
	size_t n_sk, cap_sk;
	uint32_t max_skip;
};

int lc_sender_key_alloc(lc_sender_key **out, const lc_allocator *mem);

#endif
