/* Maintaining the search index: a message's words become terms (words of
 * one or two characters, the 3-character prefixes of longer words and
 * their 2-character prefixes in a sealed store), each posted once per
 * message in
 * the "post" database: key = term (folded UTF-8 and a NUL, or a keyed hash
 * in a sealed store), duplicate data = time 6 | chat 3 | msgnum 4, so new
 * postings append and a backward walk of a term's duplicates is newest
 * first. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static int add_term(lc_store *s, const uint8_t *t, size_t n)
{
	uint8_t *slot;

	if (s->nterms == s->terms_cap) {
		size_t cap = s->terms_cap ? s->terms_cap * 2 : 64;
		uint8_t *p = lc_realloc(&s->mem, s->terms, cap * TERM_SLOT);

		if (p == NULL)
			return LC_ERR_NOMEM;
		s->terms = p;
		s->terms_cap = cap;
	}
	slot = s->terms + s->nterms++ * TERM_SLOT;
	memset(slot, 0, TERM_SLOT);
	slot[0] = (uint8_t)n;
	memcpy(slot + 1, t, n);
	return 0;
}

static int collect(const uint8_t *f, size_t flen, size_t ncp, size_t off,
		   size_t len, void *arg)
{
	lc_store *s = arg;
	int rv = 0;

	(void)off;
	(void)len;
	if (ncp <= 2)
		return add_term(s, f, flen);
	/* 2-character prefixes only where terms are hashed: a plain store
	 * finds them by merging the 3-character terms that extend them. */
	if (s->sealed)
		rv = add_term(s, f, lc_utf8_prefix(f, flen, 2));
	/* No whole-word terms: every query word is a prefix, so a search
	 * reads a 3-character list and checks the candidates' texts. */
	return rv == 0 ? add_term(s, f, lc_utf8_prefix(f, flen, 3)) : rv;
}

static int slot_cmp(const void *a, const void *b)
{
	return memcmp(a, b, TERM_SLOT);
}

/* The database key of a term: the term and a NUL, or its keyed hash. */
size_t lc_term_key(const lc_store *s, const uint8_t *t, size_t n,
		   uint8_t out[TERM_MAX + 1])
{
	if (s->sealed) {
		lc_term_hash(s, t, n, out);
		return TERM_HASH_LEN;
	}
	memcpy(out, t, n);
	out[n] = 0;
	return n + 1;
}

/* The message key's time (below 2^48) and chat number (below 2^24)
 * without their zero high bytes, and its msgnum. */
void lc_posting(uint8_t out[POSTING_LEN], const uint8_t key[MSGKEY_LEN])
{
	memcpy(out, key + 6, 6);
	memcpy(out + 6, key + 1, 3);
	memcpy(out + 9, key + 12, 4);
}

void lc_posting_key(uint8_t key[MSGKEY_LEN], const uint8_t post[POSTING_LEN])
{
	key[0] = 0;
	memcpy(key + 1, post + 6, 3);
	key[4] = key[5] = 0;
	memcpy(key + 6, post, 6);
	memcpy(key + 12, post + 9, 4);
}

static int post_put(MDB_cursor *c, MDB_val *k, MDB_val *v)
{
	/* Messages mostly arrive in time order: appending fills the posting
	 * pages instead of splitting them in halves. An older message is
	 * inserted. */
	int rc = mdb_cursor_put(c, k, v, MDB_NODUPDATA | MDB_APPENDDUP);

	if (rc == MDB_KEYEXIST)
		rc = mdb_cursor_put(c, k, v, MDB_NODUPDATA);
	return rc == MDB_KEYEXIST ? 0 : rc;
}

static int defer(lc_store *s, const uint8_t *tk, size_t tlen,
		 const uint8_t post[POSTING_LEN])
{
	struct lc_pending *e;

	if (s->npend == s->pend_cap) {
		size_t cap = s->pend_cap ? s->pend_cap * 2 : 1024;
		struct lc_pending *p = lc_realloc(&s->mem, s->pend,
						  cap * sizeof *p);

		if (p == NULL)
			return LC_ERR_NOMEM;
		s->pend = p;
		s->pend_cap = cap;
	}
	e = &s->pend[s->npend++];
	e->klen = (uint8_t)tlen;
	memcpy(e->key, tk, tlen);
	memcpy(e->post, post, POSTING_LEN);
	return 0;
}

/* LMDB's order: bytes, then length; then the posting. Sorts pointers, so
 * the 80-byte entries do not move. */
static int pend_cmp(const void *pa, const void *pb)
{
	const struct lc_pending *a = *(const struct lc_pending *const *)pa;
	const struct lc_pending *b = *(const struct lc_pending *const *)pb;
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, n);

	if (c == 0)
		c = (int)a->klen - (int)b->klen;
	return c ? c : memcmp(a->post, b->post, POSTING_LEN);
}

int lc_index_flush(lc_store *s, MDB_txn *txn)
{
	struct lc_pending **order;
	MDB_cursor *c = NULL;
	int rc = 0;

	if (s->npend == 0)
		return 0;
	order = lc_malloc(&s->mem, s->npend * sizeof *order);
	if (order == NULL)
		return LC_ERR_NOMEM;
	for (size_t i = 0; i < s->npend; i++)
		order[i] = &s->pend[i];
	qsort(order, s->npend, sizeof *order, pend_cmp);
	rc = mdb_cursor_open(txn, s->db_post, &c);
	if (rc != 0)
		c = NULL;
	for (size_t i = 0; i < s->npend && rc == 0; i++) {
		MDB_val k = { order[i]->klen, order[i]->key };
		MDB_val v = { POSTING_LEN, order[i]->post };

		rc = post_put(c, &k, &v);
	}
	if (c != NULL)
		mdb_cursor_close(c);
	lc_free(&s->mem, order);
	s->npend = 0;
	return lc_store_err(rc);
}

int lc_index_message(lc_store *s, MDB_txn *txn, const uint8_t key[MSGKEY_LEN],
		     const char *text, size_t len, int add)
{
	uint8_t post[POSTING_LEN], tk[TERM_MAX + 1];
	int rv;

	s->nterms = 0;
	rv = lc_tokenize((const uint8_t *)text, len, collect, s);
	if (rv != 0)
		return rv;
	if (s->nterms > 1)
		qsort(s->terms, s->nterms, TERM_SLOT, slot_cmp);
	lc_posting(post, key);
	for (size_t i = 0; i < s->nterms; i++) {
		const uint8_t *slot = s->terms + i * TERM_SLOT;
		MDB_val k, v = { POSTING_LEN, post };
		int rc;

		if (i > 0 && memcmp(slot, slot - TERM_SLOT, TERM_SLOT) == 0)
			continue;
		k.mv_data = tk;
		k.mv_size = lc_term_key(s, slot + 1, slot[0], tk);
		if (add && s->deferring) {
			if ((rc = defer(s, tk, k.mv_size, post)) != 0)
				return rc;
			continue;
		} else if (add) {
			rc = mdb_put(txn, s->db_post, &k, &v,
				     MDB_NODUPDATA | MDB_APPENDDUP);
			if (rc == MDB_KEYEXIST)
				rc = mdb_put(txn, s->db_post, &k, &v,
					     MDB_NODUPDATA);
			if (rc == MDB_KEYEXIST)
				rc = 0;
		} else {
			rc = mdb_del(txn, s->db_post, &k, &v);
			if (rc == MDB_NOTFOUND)
				rc = 0;
		}
		if (rc != 0)
			return lc_store_err(rc);
	}
	return 0;
}
