/* Maintaining the search index: a message's words become terms (its
 * one-character words, the 2- and 3-character prefixes of longer words and
 * whole words of 4 or more characters), each posted once per message in
 * the "post" database: key = term (folded UTF-8 and a NUL, or a keyed hash
 * in a sealed store), duplicate data = time | chat | msgnum, so new
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
	if (ncp == 1)
		return add_term(s, f, flen);
	rv = add_term(s, f, lc_utf8_prefix(f, flen, 2));
	if (rv == 0 && ncp >= 3)
		rv = add_term(s, f, lc_utf8_prefix(f, flen, 3));
	if (rv == 0 && ncp >= 4)
		rv = add_term(s, f, flen);
	return rv;
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

void lc_posting(uint8_t out[POSTING_LEN], const uint8_t key[MSGKEY_LEN])
{
	memcpy(out, key + 4, 8);
	memcpy(out + 8, key, 4);
	memcpy(out + 12, key + 12, 4);
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
		if (add) {
			/* Messages mostly arrive in time order: appending
			 * fills the posting pages instead of splitting them
			 * in halves. An older message is inserted. */
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
