/* Reading posting lists for search: a term's postings are its blocks
 * ("pblock", read newest first block by block) and its entries in the
 * posting log ("plog", gathered into one sorted array). */
#include <stdlib.h>
#include <string.h>

#include "postlist.h"

static const uint8_t POST_END[POSTING_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};

static int post_cmp(const void *a, const void *b)
{
	return memcmp(a, b, POSTING_LEN);
}

static int arr_push(lc_store *s, lc_plist *l, const uint8_t *p, size_t n)
{
	if (l->n + n > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint8_t (*q)[POSTING_LEN];

		while (cap < l->n + n)
			cap *= 2;
		q = lc_realloc(&s->mem, l->v, cap * POSTING_LEN);
		if (q == NULL)
			return LC_ERR_NOMEM;
		l->v = q;
		l->cap = cap;
	}
	memcpy(l->v[l->n], p, n * POSTING_LEN);
	l->n += n;
	return 0;
}

static int log_value(lc_store *s, const MDB_val *v, lc_plist *out)
{
	if (v->mv_size == 0 || v->mv_size % POSTING_LEN != 0)
		return LC_ERR_STORE_CORRUPT;
	return arr_push(s, out, v->mv_data, v->mv_size / POSTING_LEN);
}

/* Does term key t (of a plain store) belong to the 2-character word q:
 * q itself, or a 3-character term that extends it? */
int lc_term_extends(const uint8_t *t, size_t tl, const uint8_t *q,
		    size_t qlen)
{
	if (tl < qlen + 1 || memcmp(t, q, qlen) != 0 || t[tl - 1] != 0)
		return 0;
	return tl == qlen + 1 || lc_utf8_prefix(t, tl - 1, 3) == tl - 1;
}

int lc_plist_log(lc_store *s, MDB_txn *txn, const uint8_t *tk, size_t tlen,
		 int extend, lc_plist *out)
{
	uint8_t kb[LOG_SEQ_LEN + TERMKEY_MAX];
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t first = 1, last;
	int rc = mdb_cursor_open(txn, s->db_plog, &c), rv = 0;

	if (rc != 0)
		return lc_store_err(rc);
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	if (rc == 0 && k.mv_size > LOG_SEQ_LEN) {
		first = lc_get_be64(k.mv_data);
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	}
	if (rc == 0 && k.mv_size <= LOG_SEQ_LEN)
		rc = MDB_CORRUPTED;
	last = rc == 0 ? lc_get_be64(k.mv_data) : 0;
	rv = rc == MDB_NOTFOUND ? 0 : lc_store_err(rc);
	memcpy(kb + LOG_SEQ_LEN, tk, tlen);
	for (uint64_t seq = first; rc == 0 && rv == 0 && seq <= last; seq++) {
		lc_be64(kb, seq);
		k.mv_size = LOG_SEQ_LEN + tlen;
		k.mv_data = kb;
		if (!extend) {
			rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
			if (rc == 0)
				rv = log_value(s, &v, out);
			rv = rv ? rv : rc == MDB_NOTFOUND ? 0 : lc_store_err(rc);
			rc = 0;
			continue;
		}
		for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		     rc == 0 && rv == 0 && k.mv_size > LOG_SEQ_LEN &&
		     memcmp(k.mv_data, kb, LOG_SEQ_LEN) == 0 &&
		     memcmp((uint8_t *)k.mv_data + LOG_SEQ_LEN, tk, tlen) == 0;
		     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
			if (lc_term_extends((uint8_t *)k.mv_data + LOG_SEQ_LEN,
					    k.mv_size - LOG_SEQ_LEN, tk, tlen))
				rv = log_value(s, &v, out);
		rv = rv ? rv : rc == MDB_NOTFOUND ? 0 : lc_store_err(rc);
		rc = 0;
	}
	mdb_cursor_close(c);
	if (rv == 0 && out->n > 1) {
		size_t k2 = 1;

		qsort(out->v, out->n, POSTING_LEN, post_cmp);
		for (size_t i = 1; i < out->n; i++)
			if (memcmp(out->v[i], out->v[k2 - 1], POSTING_LEN) != 0)
				memcpy(out->v[k2++], out->v[i], POSTING_LEN);
		out->n = k2;
	}
	return rv;
}

int lc_plist_has(const lc_plist *l, const uint8_t post[POSTING_LEN])
{
	return l->n > 0 &&
	       bsearch(post, l->v, l->n, POSTING_LEN, post_cmp) != NULL;
}

void lc_plist_free(lc_store *s, lc_plist *l)
{
	lc_free(&s->mem, l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* ------------------------------------------------------------ sources */

static int load_here(lc_src *src, const MDB_val *k, const MDB_val *v,
		     const uint8_t *below)
{
	int rv = lc_block_load(src->tk, src->tlen, k, v, src->b);

	if (rv != 0)
		return rv;
	src->bi = src->b->n;
	while (below && src->bi > 0 &&
	       memcmp(src->b->p[src->bi - 1], below, POSTING_LEN) >= 0)
		src->bi--;
	src->cur = src->bi ? src->b->p[src->bi - 1] : NULL;
	return 0;
}

int lc_src_position(lc_src *src, const uint8_t *after)
{
	uint8_t kb[TERMKEY_MAX + POSTING_LEN];
	MDB_val k = { src->tlen + POSTING_LEN, kb }, v;
	int rc;

	src->cur = NULL;
	if (src->arr) {
		size_t lo = 0, hi = src->arr->n;

		while (after && lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (memcmp(src->arr->v[mid], after, POSTING_LEN) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		src->li = after ? lo : src->arr->n;
		src->cur = src->li ? src->arr->v[src->li - 1] : NULL;
		return 0;
	}
	memcpy(kb, src->tk, src->tlen);
	memcpy(kb + src->tlen, after ? after : POST_END, POSTING_LEN);
	rc = mdb_cursor_get(src->c, &k, &v, MDB_SET_RANGE);
	if (rc == 0)
		rc = mdb_cursor_get(src->c, &k, &v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(src->c, &k, &v, MDB_LAST);
	if (rc == MDB_NOTFOUND || (rc == 0 && !lc_block_of(src->tk, src->tlen,
							  &k)))
		return 0;
	if (rc != 0)
		return lc_store_err(rc);
	return load_here(src, &k, &v, after);
}

int lc_src_advance(lc_src *src)
{
	MDB_val k, v;
	int rc;

	if (src->arr) {
		src->li--;
		src->cur = src->li ? src->arr->v[src->li - 1] : NULL;
		return 0;
	}
	if (--src->bi > 0) {
		src->cur = src->b->p[src->bi - 1];
		return 0;
	}
	src->cur = NULL;
	rc = mdb_cursor_get(src->c, &k, &v, MDB_PREV);
	if (rc == MDB_NOTFOUND ||
	    (rc == 0 && !lc_block_of(src->tk, src->tlen, &k)))
		return 0;
	if (rc != 0)
		return lc_store_err(rc);
	return load_here(src, &k, &v, NULL);
}

/* Count the postings of a term's blocks, newest first, stopping once
 * above limit. */
int lc_src_count_above(lc_store *s, MDB_txn *txn, const uint8_t *tk,
		       size_t tlen, uint64_t limit, uint64_t *count)
{
	uint8_t kb[TERMKEY_MAX + POSTING_LEN];
	MDB_val k = { tlen + POSTING_LEN, kb }, v;
	MDB_cursor *c;
	int rc = mdb_cursor_open(txn, s->db_pblk, &c);

	if (rc != 0)
		return lc_store_err(rc);
	memcpy(kb, tk, tlen);
	memcpy(kb + tlen, POST_END, POSTING_LEN);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	rc = rc == 0 ? mdb_cursor_get(c, &k, &v, MDB_PREV)
		     : rc == MDB_NOTFOUND ? mdb_cursor_get(c, &k, &v, MDB_LAST)
					  : rc;
	for (; rc == 0 && *count <= limit && lc_block_of(tk, tlen, &k);
	     rc = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
		uint64_t n = 0;
		size_t pos = 0;

		(void)lc_varint_get(v.mv_data, v.mv_size, &pos, &n);
		*count += n + 1;
	}
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : lc_store_err(rc);
}

/* ------------------------------------------------------------ checks */

int lc_chk_has(lc_chk *chk, const uint8_t post[POSTING_LEN], int *has)
{
	MDB_val k, v;
	int before, rv;

	*has = 1;
	if (lc_plist_has(&chk->log, post))
		return 0;
	*has = 0;
	rv = lc_block_seek(chk->c, chk->tk, chk->tlen, post, &k, &v, &before);
	if (rv == LC_ERR_NOT_FOUND || (rv == 0 && !before))
		return 0;
	if (rv != 0)
		return rv;
	if (!chk->cached || memcmp(chk->bkey, k.mv_data, k.mv_size) != 0) {
		chk->cached = 0;
		if ((rv = lc_block_load(chk->tk, chk->tlen, &k, &v, chk->b)))
			return rv;
		memcpy(chk->bkey, k.mv_data, k.mv_size);
		chk->cached = 1;
	}
	*has = bsearch(post, chk->b->p, chk->b->n, POSTING_LEN,
		       post_cmp) != NULL;
	return 0;
}
