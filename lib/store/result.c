/* Result objects: pages of messages, chat lists and search hits. Each owns
 * an arena that holds every string and byte its items point to. */
#include <string.h>

#include "result.h"

struct block {
	struct block *next;
	size_t used, cap;
	/* data follows, aligned for any type */
	max_align_t data[];
};

struct lc_arena {
	lc_allocator mem;
	struct block *head;
};

#define ARENA_BLOCK 8192
/* The arena's header, rounded up so that a block can follow it. */
#define ARENA_HEAD \
	((sizeof(lc_arena) + sizeof(max_align_t) - 1) / sizeof(max_align_t) * \
	 sizeof(max_align_t))

/* The arena and its first block (of at least first bytes) are one
 * allocation: a result of the usual size costs no further one. */
int lc_arena_new(lc_arena **out, const lc_allocator *mem, size_t first)
{
	const size_t al = sizeof(max_align_t);
	lc_arena *a;
	struct block *b;

	if (first > SIZE_MAX / 2)
		return LC_ERR_NOMEM;
	first = (first + al - 1) / al * al;
	if (first < ARENA_BLOCK)
		first = ARENA_BLOCK;
	a = lc_malloc(mem, ARENA_HEAD + sizeof *b + first);
	if (a == NULL)
		return LC_ERR_NOMEM;
	b = (struct block *)((uint8_t *)a + ARENA_HEAD);
	b->next = NULL;
	b->used = 0;
	b->cap = first;
	a->mem = *mem;
	a->head = b;
	*out = a;
	return 0;
}

void *lc_arena_alloc(lc_arena *a, size_t n)
{
	struct block *b = a->head;
	const size_t al = sizeof(max_align_t);
	uint8_t *p;

	n = (n + al - 1) / al * al;
	if (n == 0)
		n = al;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;

		b = lc_malloc(&a->mem, sizeof *b + cap);
		if (b == NULL)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = (uint8_t *)b->data + b->used;
	b->used += n;
	return p;
}

char *lc_arena_strdup(lc_arena *a, const char *s, size_t n)
{
	char *p = lc_arena_alloc(a, n + 1);

	if (p == NULL)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void lc_arena_free(lc_arena *a)
{
	if (a == NULL)
		return;
	/* The last block is the first one, inside the arena's allocation. */
	while (a->head && a->head->next) {
		struct block *b = a->head;

		a->head = b->next;
		lc_free(&a->mem, b);
	}
	lc_free(&a->mem, a);
}

/* ------------------------------------------------------- shared parts */

/* A result of hsize bytes whose header, cap items and (at the usual
 * sizes) their strings all live in one arena allocation: freeing the
 * arena frees the result. Returns the zeroed header with its arena and
 * items set through *arena and *items, or NULL. */
static void *result_new(size_t hsize, const lc_allocator *mem, size_t cap,
			size_t item_size, lc_arena **arena, void **items)
{
	size_t n = (cap ? cap : 1) * item_size;
	lc_arena *a;
	void *h;

	if (lc_arena_new(&a, mem, hsize + n + ARENA_BLOCK) != 0)
		return NULL;
	/* Both fit the first block. */
	h = lc_arena_alloc(a, hsize);
	*items = lc_arena_alloc(a, n);
	memset(h, 0, hsize);
	*arena = a;
	return h;
}

/* ---------------------------------------------------------------- pages */

int lc_page_new(lc_store_page **out, const lc_allocator *mem, size_t cap)
{
	lc_arena *a;
	void *items;
	lc_store_page *p = result_new(sizeof *p, mem, cap, sizeof *p->items, &a,
				&items);

	if (p == NULL)
		return LC_ERR_NOMEM;
	p->arena = a;
	p->items = items;
	*out = p;
	return 0;
}

size_t lc_store_page_count(const lc_store_page *p)
{
	return p ? p->count : 0;
}

const lc_store_message *lc_store_page_get(const lc_store_page *p, size_t i)
{
	return p && i < p->count ? &p->items[i] : NULL;
}

int lc_store_page_has_more(const lc_store_page *p)
{
	return p ? p->has_more : 0;
}

void lc_store_page_free(lc_store_page *p)
{
	if (p)
		lc_arena_free(p->arena);
}

/* ---------------------------------------------------------------- chats */

int lc_chats_new(lc_store_chats **out, const lc_allocator *mem, size_t cap)
{
	lc_arena *a;
	void *items;
	lc_store_chats *p = result_new(sizeof *p, mem, cap, sizeof *p->items, &a,
				&items);

	if (p == NULL)
		return LC_ERR_NOMEM;
	p->arena = a;
	p->items = items;
	*out = p;
	return 0;
}

size_t lc_store_chats_count(const lc_store_chats *p)
{
	return p ? p->count : 0;
}

const lc_store_chat *lc_store_chats_get(const lc_store_chats *p, size_t i)
{
	return p && i < p->count ? &p->items[i] : NULL;
}

int lc_store_chats_has_more(const lc_store_chats *p)
{
	return p ? p->has_more : 0;
}

void lc_store_chats_free(lc_store_chats *p)
{
	if (p)
		lc_arena_free(p->arena);
}

/* ---------------------------------------------------------------- hits */

int lc_hits_new(lc_store_hits **out, const lc_allocator *mem, size_t cap)
{
	lc_arena *a;
	void *items;
	lc_store_hits *p = result_new(sizeof *p, mem, cap, sizeof *p->items, &a,
				&items);

	if (p == NULL)
		return LC_ERR_NOMEM;
	p->arena = a;
	p->items = items;
	*out = p;
	return 0;
}

size_t lc_store_hits_count(const lc_store_hits *p)
{
	return p ? p->count : 0;
}

const lc_store_hit *lc_store_hits_get(const lc_store_hits *p, size_t i)
{
	return p && i < p->count ? &p->items[i] : NULL;
}

int lc_store_hits_has_more(const lc_store_hits *p)
{
	return p ? p->has_more : 0;
}

void lc_store_hits_free(lc_store_hits *p)
{
	if (p)
		lc_arena_free(p->arena);
}
