/* Shared between the "noise" suite's files. */
#ifndef LC_TEST_NOISE_H
#define LC_TEST_NOISE_H

#include <check.h>
#include <stdint.h>

#include "testutil.h"

/* A private key from rng and, when pub is not NULL, its public key. */
void noise_test_key(lc_test_rng *rng, uint8_t priv[32], uint8_t pub[32]);

/* The secure channel's test case (test_noise_conn.c). */
TCase *noise_conn_tcase(void);

#endif
