#include <stdlib.h>

#include "alloc.h"
#include <libchat/error.h>

static void *std_malloc(size_t n, void *ud)
{
	(void)ud;
	return malloc(n);
}

static void std_free(void *p, void *ud)
{
	(void)ud;
	free(p);
}

static void *std_calloc(size_t nmemb, size_t n, void *ud)
{
	(void)ud;
	return calloc(nmemb, n);
}

static void *std_realloc(void *p, size_t n, void *ud)
{
	(void)ud;
	return realloc(p, n);
}

static const lc_allocator default_allocator = {
	std_malloc, std_free, std_calloc, std_realloc, NULL,
};

const lc_allocator *lc_allocator_default(void)
{
	return &default_allocator;
}

int lc_alloc_init(lc_allocator *dst, const lc_allocator *mem)
{
	if (mem == NULL) {
		*dst = default_allocator;
		return 0;
	}
	if (!mem->malloc || !mem->free || !mem->calloc || !mem->realloc)
		return LC_ERR_INVALID_ARG;
	*dst = *mem;
	return 0;
}
