/* Reading posting lists for search (postlist.c). */
#ifndef LC_STORE_POSTLIST_H
#define LC_STORE_POSTLIST_H

#include "store_int.h"

/* A sorted array of postings, without repeats. */
typedef struct lc_plist {
	uint8_t (*v)[POSTING_LEN];
	size_t n, cap;
} lc_plist;

/* Append the log's postings of term tk (extend: of every term of a plain
 * store that belongs to the 2-character word tk, see lc_term_extends)
 * to out, then sort it and drop repeats. */
int lc_plist_log(lc_store *s, MDB_txn *txn, const uint8_t *tk, size_t tlen,
		 int extend, lc_plist *out);
int lc_plist_has(const lc_plist *l, const uint8_t post[POSTING_LEN]);
void lc_plist_free(lc_store *s, lc_plist *l);
int lc_term_extends(const uint8_t *t, size_t tl, const uint8_t *q,
		    size_t qlen);

/* One list in a newest-first merge: a term's blocks, or an array. */
typedef struct lc_src {
	MDB_cursor *c;        /* on "pblock" (blocks) */
	uint8_t tk[TERMKEY_MAX];
	size_t tlen;
	lc_block *b;          /* the current block */
	size_t bi;            /* postings of b below the current one + 1 */
	const lc_plist *arr;  /* or: an array */
	size_t li;
	const uint8_t *cur;   /* the current posting, NULL when used up */
} lc_src;

/* Position on the newest posting older than after (NULL: the newest). */
int lc_src_position(lc_src *src, const uint8_t *after);
int lc_src_advance(lc_src *src);
/* Add the postings of term tk's blocks to *count, newest block first,
 * stopping once *count is above limit. */
int lc_src_count_above(lc_store *s, MDB_txn *txn, const uint8_t *tk,
		       size_t tlen, uint64_t limit, uint64_t *count);

/* Membership of postings in another query word's list. */
typedef struct lc_chk {
	MDB_cursor *c;
	uint8_t tk[TERMKEY_MAX];
	size_t tlen;
	lc_plist log;
	lc_block *b;
	uint8_t bkey[TERMKEY_MAX + POSTING_LEN];
	int cached;
} lc_chk;

int lc_chk_has(lc_chk *chk, const uint8_t post[POSTING_LEN], int *has);

#endif
