/* Internal: the Double Ratchet session layout, shared by X3DH (which
 * creates sessions), the message code and the serialiser. */
#ifndef LC_CRYPTO_RATCHET_H
#define LC_CRYPTO_RATCHET_H

#include "internal.h"

/* A stored skipped message key: (ratchet key, N) -> message key. */
struct lc_skipped {
	uint8_t dh[32];
	uint32_t n;
	uint8_t mk[32];
};

/* The skipped-key store: oldest first. */
struct lc_skipped_store {
	struct lc_skipped *e;
	size_t n, cap;
};

#define LC_ROLE_INITIATOR 0
#define LC_ROLE_RESPONDER 1


struct lc_ratchet {
	lc_allocator mem;
	lc_rng rng;
	uint8_t role;
	uint8_t pending;          /* initiator, no reply yet */
	uint8_t has_dhr, has_cks, has_ckr;
	/* The sending half of the last DH ratchet step is still to do: DHs
	 * and CKs are unset (zero) and RK is the root after the receiving
	 * half. The next encrypt makes the key pair, DH and KDF_RK. */
	uint8_t send_due;
	uint8_t ad[LC_X3DH_AD_LEN];            /* IK_A || IK_B */
	uint8_t x3dh[LC_PREKEY_HEADER_LEN];    /* the X3DH initial message */
	uint8_t rk[32];
	uint8_t dhs_sk[32], dhs_pk[32];
	uint8_t dhr[32];
	uint8_t cks[32], ckr[32];
	uint64_t ns, nr;
	uint32_t pn;
	uint8_t n_prev;                        /* previous receiving keys */
	uint8_t prev_dhr[LC_PREV_DHR][32];     /* newest first */
	struct lc_skipped_store sk;
	uint32_t max_skip, max_stored;
};

/* Allocate a zeroed session with default limits. */
int lc_ratchet_alloc(lc_ratchet **out, const lc_allocator *mem,
		     const lc_rng *rng);

/* Decrypt the ratchet message msg (kind byte first) in s. The errors of
 * lc_ratchet_decrypt(). */
int lc_ratchet_decrypt_inner(lc_ratchet *s, const uint8_t *msg, size_t len,
			     uint8_t *pt, size_t pt_cap, size_t *pt_len);

/* Skipped-key store (skipped.c). */
int lc_skipped_find(const struct lc_skipped_store *st, const uint8_t *dh,
		    uint32_t n);
/* Append a record (may allocate); LC_ERR_NOMEM. */
int lc_skipped_add(const lc_allocator *mem, struct lc_skipped_store *st,
		   const uint8_t *dh, uint32_t n, const uint8_t *mk);
/* Remove the record at index i, keeping order. */
void lc_skipped_remove(struct lc_skipped_store *st, size_t i);
/* Drop (wipe) records from index n on: undo tentative additions. */
void lc_skipped_truncate(struct lc_skipped_store *st, size_t n);
/* Evict the oldest records beyond max. */
void lc_skipped_evict(struct lc_skipped_store *st, size_t max);
void lc_skipped_free(const lc_allocator *mem, struct lc_skipped_store *st);

#endif
