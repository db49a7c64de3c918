#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static void *t_malloc(size_t n, void *ud)
{
	lc_test_alloc *t = ud;
	void *p;

	t->allocs++;
	if (t->fail_at && t->allocs == t->fail_at)
		return NULL;
	p = malloc(n ? n : 1);
	if (p) {
		t->live++;
		if (n > t->largest)
			t->largest = n;
	}
	return p;
}

static void t_free(void *p, void *ud)
{
	lc_test_alloc *t = ud;

	if (p) {
		t->live--;
		free(p);
	}
}

static void *t_calloc(size_t nmemb, size_t n, void *ud)
{
	void *p;

	if (n && nmemb > SIZE_MAX / n)
		return NULL;
	p = t_malloc(nmemb * n, ud);
	if (p)
		memset(p, 0, nmemb * n);
	return p;
}

static void *t_realloc(void *old, size_t n, void *ud)
{
	lc_test_alloc *t = ud;
	void *p;

	if (old == NULL)
		return t_malloc(n, ud);
	t->allocs++;
	if (t->fail_at && t->allocs == t->fail_at)
		return NULL;
	p = realloc(old, n ? n : 1);
	if (p && n > t->largest)
		t->largest = n;
	return p;
}

void lc_test_alloc_init(lc_test_alloc *t, long fail_at)
{
	memset(t, 0, sizeof *t);
	t->hooks.malloc = t_malloc;
	t->hooks.free = t_free;
	t->hooks.calloc = t_calloc;
	t->hooks.realloc = t_realloc;
	t->hooks.user_data = t;
	t->fail_at = fail_at;
}

void lc_test_rng_seed(lc_test_rng *r, uint64_t seed)
{
	r->s = seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t lc_test_rng_next(lc_test_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

uint64_t lc_test_rng_below(lc_test_rng *r, uint64_t n)
{
	return lc_test_rng_next(r) % n;
}

void lc_test_rng_bytes(lc_test_rng *r, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(lc_test_rng_next(r) >> 56);
}

char *lc_test_vector_path(const char *relative)
{
	const char *dir = getenv("LC_VECTORS_DIR");
	const char *req = getenv("LC_REQUIRE_VECTORS");
	size_t n;
	char *path;
	FILE *f;

	if (dir == NULL || *dir == '\0')
		dir = "../shared/vectors";
	n = strlen(dir) + strlen(relative) + 2;
	path = malloc(n);
	if (path == NULL)
		abort();
	snprintf(path, n, "%s/%s", dir, relative);
	f = fopen(path, "rb");
	if (f == NULL) {
		if (req && strcmp(req, "1") == 0) {
			fprintf(stderr, "FAIL: required vector file %s is missing\n", path);
			exit(1);
		}
		fprintf(stderr, "SKIP: vector file %s is missing\n", path);
		exit(77);
	}
	fclose(f);
	return path;
}

char *lc_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)n + 1);
	if (buf == NULL)
		goto out;
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
out:
	fclose(f);
	return buf;
}

int lc_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
