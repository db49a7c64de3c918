/* Shared helpers of the crypto suite's files. */
#ifndef LC_TEST_CRYPTO_H
#define LC_TEST_CRYPTO_H

#include <libchat/crypto.h>

#include "testutil.h"

/* A seeded lc_rng over lc_test_rng. */
typedef struct test_rng {
	lc_rng rng;
	lc_test_rng state;
} test_rng;

void test_rng_init(test_rng *r, uint64_t seed);

/* Two devices with an established session: Alice started it from Bob's
 * bundle (with a one-time prekey when opk), Bob accepted the first
 * message; Bob's reply has not been sent unless answered. */
typedef struct pair {
	test_rng ra, rb;
	lc_identity *ida, *idb;
	lc_prekeys *pkb;
	lc_ratchet *a, *b;
} pair;

void pair_make(pair *p, uint64_t seed, int opk, int answered);
void pair_free(pair *p);

/* Encrypt pt from s into a malloc'd message. */
uint8_t *seal(lc_ratchet *s, const void *pt, size_t len, size_t *out_len);
/* Decrypt and return the result code; on success compare with want. */
int open_check(lc_ratchet *s, const uint8_t *msg, size_t len,
	       const void *want, size_t want_len);
/* Serialise a session into a malloc'd buffer. */
uint8_t *snap(const lc_ratchet *s, size_t *len);
/* Replace *s with its serialise/parse round trip (checks equality). */
void resume(lc_ratchet **s, const lc_rng *rng);

void add_ratchet_tests(Suite *s);
void add_group_tests(Suite *s);
void add_deferred_tests(Suite *s);

#endif
