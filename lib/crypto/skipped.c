/* The store of skipped message keys: kept in arrival order so the oldest
 * is evicted first; every removed record is wiped. */
#include <string.h>

#include <sodium.h>

#include <libchat/error.h>

#include "ratchet.h"

int lc_skipped_find(const struct lc_skipped_store *st, const uint8_t *dh,
		    uint32_t n)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->e[i].n == n && memcmp(st->e[i].dh, dh, 32) == 0)
			return (int)i;
	return -1;
}

int lc_skipped_add(const lc_allocator *mem, struct lc_skipped_store *st,
		   const uint8_t *dh, uint32_t n, const uint8_t *mk)
{
	struct lc_skipped *e;
	int rv = lc_secure_grow(mem, (void **)&st->e, &st->cap, st->n + 1,
				sizeof *st->e);

	if (rv != 0)
		return rv;
	e = &st->e[st->n++];
	memcpy(e->dh, dh, 32);
	e->n = n;
	memcpy(e->mk, mk, 32);
	return 0;
}

void lc_skipped_remove(struct lc_skipped_store *st, size_t i)
{
	memmove(&st->e[i], &st->e[i + 1], (st->n - i - 1) * sizeof *st->e);
	st->n--;
	sodium_memzero(&st->e[st->n], sizeof *st->e);
}

void lc_skipped_truncate(struct lc_skipped_store *st, size_t n)
{
	if (n >= st->n)
		return;
	sodium_memzero(&st->e[n], (st->n - n) * sizeof *st->e);
	st->n = n;
}

void lc_skipped_evict(struct lc_skipped_store *st, size_t max)
{
	size_t drop;

	if (st->n <= max)
		return;
	drop = st->n - max;
	sodium_memzero(st->e, drop * sizeof *st->e);
	memmove(st->e, st->e + drop, max * sizeof *st->e);
	sodium_memzero(st->e + max, drop * sizeof *st->e);
	st->n = max;
}

void lc_skipped_free(const lc_allocator *mem, struct lc_skipped_store *st)
{
	if (st->e != NULL) {
		sodium_memzero(st->e, st->cap * sizeof *st->e);
		lc_free(mem, st->e);
	}
	st->e = NULL;
	st->n = st->cap = 0;
}
