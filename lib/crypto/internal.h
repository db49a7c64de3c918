/* Internal: shared helpers and object layouts of the crypto area. */
#ifndef LC_CRYPTO_INTERNAL_H
#define LC_CRYPTO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <libchat/crypto.h>

#include "alloc.h"

/* First byte of every end-to-end message: version << 4 | kind. */
#define LC_MSG_BYTE(kind) ((uint8_t)((LC_CRYPTO_VERSION << 4) | (kind)))

/* Ratchet message header: kind byte, ratchet key, PN, N. */
#define LC_RATCHET_HEADER_LEN 41
#define LC_AEAD_TAG_LEN 16
/* X3DH associated data: IK_A || IK_B (Ed25519 encodings). */
#define LC_X3DH_AD_LEN 64

/* Upper bounds on the tunable limits and on what a stored state holds. */
#define LC_MAX_SKIP_LIMIT 100000u
#define LC_MAX_STORED_LIMIT 1000000u
/* Counter values run 0 .. 2^32 - 1; LC_CHAIN_SPENT marks a used-up chain. */
#define LC_CHAIN_SPENT ((uint64_t)1 << 32)
/* Previous receiving ratchet keys remembered to name replays. */
#define LC_PREV_DHR 4

static inline void lc_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t lc_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void lc_put64(uint8_t *p, uint64_t v)
{
	lc_put32(p, (uint32_t)(v >> 32));
	lc_put32(p + 4, (uint32_t)v);
}

static inline uint64_t lc_get64(const uint8_t *p)
{
	return (uint64_t)lc_get32(p) << 32 | lc_get32(p + 4);
}

/* Fill buf from rng, or from libsodium when rng is NULL or has no hook. */
void lc_crypto_random(const lc_rng *rng, void *buf, size_t len);

/* Copy an optional rng (NULL: libsodium's). */
void lc_crypto_rng_copy(lc_rng *dst, const lc_rng *src);

/* sodium_init(), mapped to LC_ERR_INIT. */
int lc_crypto_init(void);

/* A fresh X25519 key pair from rng. */
void lc_x25519_keypair(const lc_rng *rng, uint8_t *sk, uint8_t *pk);

/* X25519; LC_ERR_BAD_KEY when the output is all zeros (low order). */
int lc_x25519(uint8_t *out, const uint8_t *sk, const uint8_t *pk);

/* Check the first byte of an end-to-end message: 0, LC_ERR_MALFORMED
 * (empty or another kind), LC_ERR_UNSUPPORTED (another version). */
int lc_msg_check(const uint8_t *msg, size_t len, int kind);

/* A bounded byte reader and writer for serialised state. */
typedef struct lc_rd {
	const uint8_t *p;
	size_t left;
	int bad;
} lc_rd;

void lc_rd_bytes(lc_rd *r, void *dst, size_t n);
uint8_t lc_rd_u8(lc_rd *r);
uint32_t lc_rd_u32(lc_rd *r);
uint64_t lc_rd_u64(lc_rd *r);

/* Grow-by-doubling array of secret records: a new block is allocated and
 * the old one wiped before it is freed, so no key is left behind by
 * realloc. Returns 0 or LC_ERR_NOMEM. */
int lc_secure_grow(const lc_allocator *mem, void **arr, size_t *cap,
		   size_t need, size_t elem);

/* Identity layout (identity.c). */
struct lc_identity {
	lc_allocator mem;
	uint8_t ed_pk[32];
	uint8_t ed_sk[64];   /* seed || public key */
	uint8_t x_sk[32];    /* X25519 form of the secret, for X3DH */
};

/* Prekeys layout (prekeys.c). */
struct lc_spk {
	uint32_t id;
	uint8_t sk[32], pk[32], sig[64];
};

struct lc_otpk {
	uint32_t id;
	uint8_t sk[32], pk[32];
};

struct lc_prekeys {
	lc_allocator mem;
	lc_rng rng;
	struct lc_spk cur, prev;
	int has_prev;
	struct lc_otpk *otp;   /* ascending ids */
	size_t n_otp, cap_otp;
	uint32_t next_otp_id;
};

/* Find a signed prekey by id: NULL when unknown. */
const struct lc_spk *lc_prekeys_find_signed(const lc_prekeys *pk,
					    uint32_t id);
/* Find a one-time prekey: its index, LC_ERR_PREKEY_REUSED or
 * LC_ERR_UNKNOWN_PREKEY. */
int lc_prekeys_find_one_time(const lc_prekeys *pk, uint32_t id);
/* Remove the one-time prekey at index (wiped). */
void lc_prekeys_remove(lc_prekeys *pk, size_t index);

#endif
