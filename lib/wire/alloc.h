/* Internal allocation helpers over the public lc_allocator hooks. */
#ifndef LC_WIRE_ALLOC_H
#define LC_WIRE_ALLOC_H

#include <libchat/common.h>

/* Fill *dst from mem, or the default allocator when mem is NULL. Returns 0,
 * or LC_ERR_INVALID_ARG when mem lacks a hook. */
int lc_alloc_init(lc_allocator *dst, const lc_allocator *mem);

static inline void *lc_malloc(const lc_allocator *a, size_t n)
{
	return a->malloc(n, a->user_data);
}

static inline void *lc_calloc(const lc_allocator *a, size_t nmemb, size_t n)
{
	return a->calloc(nmemb, n, a->user_data);
}

static inline void *lc_realloc(const lc_allocator *a, void *p, size_t n)
{
	return a->realloc(p, n, a->user_data);
}

static inline void lc_free(const lc_allocator *a, void *p)
{
	if (p)
		a->free(p, a->user_data);
}

#endif
