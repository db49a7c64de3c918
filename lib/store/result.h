/* The result objects' layout, private to lib/store. */
#ifndef LC_STORE_RESULT_H
#define LC_STORE_RESULT_H

#include "store_int.h"

struct lc_store_page {
	lc_arena *arena; /* holds this header too */
	lc_store_message *items;
	size_t count;
	int has_more;
};

struct lc_store_chats {
	lc_arena *arena; /* holds this header too */
	lc_store_chat *items;
	size_t count;
	int has_more;
};

struct lc_store_hits {
	lc_arena *arena; /* holds this header too */
	lc_store_hit *items;
	size_t count;
	int has_more;
};

int lc_page_new(lc_store_page **out, const lc_allocator *mem, size_t cap);
int lc_chats_new(lc_store_chats **out, const lc_allocator *mem, size_t cap);
int lc_hits_new(lc_store_hits **out, const lc_allocator *mem, size_t cap);

#endif
