/* Helpers shared by the unit suites: a counting, failing allocator, a
 * seeded generator, and the location of the public test vectors. */
#ifndef LC_TESTUTIL_H
#define LC_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include <libchat/common.h>

/* An allocator that counts live blocks and fails the allocation numbered
 * fail_at (1-based; 0 never fails). */
typedef struct lc_test_alloc {
	lc_allocator hooks;   /* pass &hooks to libchat */
	long allocs;          /* allocations attempted */
	long live;            /* blocks not yet freed */
	long fail_at;
	size_t largest;       /* largest single request */
} lc_test_alloc;

void lc_test_alloc_init(lc_test_alloc *t, long fail_at);

/* A small seeded generator (xorshift64*), deterministic across runs. */
typedef struct lc_test_rng {
	uint64_t s;
} lc_test_rng;

void lc_test_rng_seed(lc_test_rng *r, uint64_t seed);
uint64_t lc_test_rng_next(lc_test_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t lc_test_rng_below(lc_test_rng *r, uint64_t n);
void lc_test_rng_bytes(lc_test_rng *r, uint8_t *out, size_t n);

/* The vectors folder (LC_VECTORS_DIR). When a file under it is missing,
 * lc_test_vector_path() exits 77 (skipped), or fails when
 * LC_REQUIRE_VECTORS=1. Returns a malloc'd path. */
char *lc_test_vector_path(const char *relative);

/* Read a whole file; returns a malloc'd NUL-terminated buffer or NULL. */
char *lc_test_read_file(const char *path, size_t *len);

/* Run a suite; returns the process exit status. */
int lc_test_run(Suite *s);

#endif
