/* Maintaining the search index: a message's words become terms (words of
 * one or two characters, the 3-character prefixes of longer words and
 * their 2-character prefixes in a sealed store), each posted once per
 * message. A posting is time 6 | chat 3 | msgnum 4, so byte order is time
 * order. A write transaction collects its postings and appends them, sorted
 * by term, to the posting log ("plog": key = log sequence 8 | term key,
 * value = the term's postings of that transaction): a few adjacent pages
 * per commit instead of one page per term. When the log holds
 * LOG_SEQ_MAX transactions or LOG_ENTRIES_MAX entries it is merged into
 * the terms' blocks ("pblock", block.c) in one pass and emptied. Deleting
 * merges the log first, then removes the postings from their blocks. */
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
		   uint8_t out[TERMKEY_MAX])
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

/* LMDB's order: bytes, then length; then the posting. */
static int pend_cmp(const void *pa, const void *pb)
{
	const struct lc_pending *a = pa, *b = pb;
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, n);

	if (c == 0)
		c = (int)a->klen - (int)b->klen;
	return c ? c : memcmp(a->post, b->post, POSTING_LEN);
}

static int same_term(const struct lc_pending *a, const struct lc_pending *b)
{
	return a->klen == b->klen && memcmp(a->key, b->key, a->klen) == 0;
}

/* The postings of one term, gathered from sorted pending entries. */
static size_t term_run(const lc_store *s, size_t i, uint8_t (*out)[POSTING_LEN])
{
	size_t j = i, k = 0;

	for (; j < s->npend && same_term(&s->pend[i], &s->pend[j]); j++)
		if (k == 0 || memcmp(out[k - 1], s->pend[j].post,
				     POSTING_LEN) != 0)
			memcpy(out[k++], s->pend[j].post, POSTING_LEN);
	return k;
}

static size_t run_end(const lc_store *s, size_t i)
{
	size_t j = i;

	while (j < s->npend && same_term(&s->pend[i], &s->pend[j]))
		j++;
	return j;
}

/* Merge the pending postings into the blocks. */
static int pend_to_blocks(lc_store *s, MDB_txn *txn)
{
	uint8_t (*run)[POSTING_LEN];
	MDB_cursor *c;
	int rv = 0, rc;

	if (s->npend == 0)
		return 0;
	qsort(s->pend, s->npend, sizeof *s->pend, pend_cmp);
	if ((run = lc_malloc(&s->mem, s->npend * POSTING_LEN)) == NULL)
		return LC_ERR_NOMEM;
	if ((rc = mdb_cursor_open(txn, s->db_pblk, &c)) != 0) {
		lc_free(&s->mem, run);
		return lc_store_err(rc);
	}
	for (size_t i = 0; i < s->npend && rv == 0; i = run_end(s, i)) {
		size_t n = term_run(s, i, run);

		rv = lc_blocks_add(s, c, s->pend[i].key, s->pend[i].klen,
				   (const uint8_t (*)[POSTING_LEN])run, n);
	}
	mdb_cursor_close(c);
	lc_free(&s->mem, run);
	s->npend = 0;
	return rv;
}

/* Read the whole log into the pending entries (after those there). */
static int log_to_pend(lc_store *s, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, s->db_plog, &c), rv = 0;

	if (rc != 0)
		return lc_store_err(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && rv == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *val = v.mv_data;

		if (k.mv_size <= LOG_SEQ_LEN ||
		    k.mv_size > LOG_SEQ_LEN + TERMKEY_MAX ||
		    v.mv_size == 0 || v.mv_size % POSTING_LEN != 0) {
			rv = LC_ERR_STORE_CORRUPT;
			break;
		}
		for (size_t off = 0; off < v.mv_size && rv == 0;
		     off += POSTING_LEN)
			rv = defer(s, (const uint8_t *)k.mv_data + LOG_SEQ_LEN,
				   k.mv_size - LOG_SEQ_LEN, val + off);
	}
	mdb_cursor_close(c);
	if (rv == 0 && rc != MDB_NOTFOUND)
		rv = lc_store_err(rc);
	return rv;
}

/* Move the log (and anything pending) into the blocks and empty it. */
int lc_index_merge(lc_store *s, MDB_txn *txn)
{
	MDB_stat st;
	int rv, rc = mdb_stat(txn, s->db_plog, &st);

	if (rc != 0)
		return lc_store_err(rc);
	if (st.ms_entries == 0)
		return pend_to_blocks(s, txn);
	if ((rv = log_to_pend(s, txn)) != 0)
		return rv;
	if ((rv = pend_to_blocks(s, txn)) != 0)
		return rv;
	return lc_store_err(mdb_drop(txn, s->db_plog, 0));
}

/* The sequence the next log entry gets, and how many transactions the
 * log holds. */
static int log_next(MDB_cursor *c, uint64_t *next, uint64_t *held)
{
	MDB_val k, v;
	uint64_t first;
	int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);

	*next = 1;
	*held = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return lc_store_err(rc);
	if (k.mv_size <= LOG_SEQ_LEN)
		return LC_ERR_STORE_CORRUPT;
	first = lc_get_be64(k.mv_data);
	if ((rc = mdb_cursor_get(c, &k, &v, MDB_LAST)) != 0)
		return lc_store_err(rc);
	if (k.mv_size <= LOG_SEQ_LEN)
		return LC_ERR_STORE_CORRUPT;
	*next = lc_get_be64(k.mv_data) + 1;
	*held = *next - first;
	return *next > first ? 0 : LC_ERR_STORE_CORRUPT;
}

/* Append the pending postings to the log as one sequence number. */
static int pend_to_log(lc_store *s, MDB_txn *txn, uint64_t *held)
{
	uint8_t kb[LOG_SEQ_LEN + TERMKEY_MAX], (*run)[POSTING_LEN];
	MDB_cursor *c;
	uint64_t seq;
	int rv, rc = mdb_cursor_open(txn, s->db_plog, &c);

	if (rc != 0)
		return lc_store_err(rc);
	if ((rv = log_next(c, &seq, held)) != 0)
		goto out;
	if ((run = lc_malloc(&s->mem, s->npend * POSTING_LEN)) == NULL) {
		rv = LC_ERR_NOMEM;
		goto out;
	}
	qsort(s->pend, s->npend, sizeof *s->pend, pend_cmp);
	lc_be64(kb, seq);
	for (size_t i = 0; i < s->npend && rv == 0; i = run_end(s, i)) {
		MDB_val k = { LOG_SEQ_LEN + s->pend[i].klen, kb }, v;

		v.mv_size = term_run(s, i, run) * POSTING_LEN;
		v.mv_data = run;
		memcpy(kb + LOG_SEQ_LEN, s->pend[i].key, s->pend[i].klen);
		rv = lc_store_err(mdb_cursor_put(c, &k, &v, MDB_APPEND));
	}
	lc_free(&s->mem, run);
	(*held)++;
	s->npend = 0;
out:
	mdb_cursor_close(c);
	return rv;
}

int lc_index_flush(lc_store *s, MDB_txn *txn)
{
	MDB_stat st;
	uint64_t held = 0;
	int rv, rc;

	if (s->npend == 0)
		return 0;
	/* A large batch goes straight to the blocks. */
	if (s->npend >= LOG_ENTRIES_MAX)
		return lc_index_merge(s, txn);
	if ((rv = pend_to_log(s, txn, &held)) != 0)
		return rv;
	if ((rc = mdb_stat(txn, s->db_plog, &st)) != 0)
		return lc_store_err(rc);
	if (held >= LOG_SEQ_MAX || st.ms_entries >= LOG_ENTRIES_MAX)
		return lc_index_merge(s, txn);
	return 0;
}

int lc_index_message(lc_store *s, MDB_txn *txn, const uint8_t key[MSGKEY_LEN],
		     const char *text, size_t len, int add)
{
	uint8_t post[POSTING_LEN], tk[TERMKEY_MAX];
	MDB_cursor *c = NULL;
	int rv;

	/* A deletion finds every posting in the blocks. */
	if (!add && (rv = lc_index_merge(s, txn)) != 0)
		return rv;
	s->nterms = 0;
	rv = lc_tokenize((const uint8_t *)text, len, collect, s);
	if (rv != 0)
		return rv;
	if (s->nterms > 1)
		qsort(s->terms, s->nterms, TERM_SLOT, slot_cmp);
	lc_posting(post, key);
	if (!add && (rv = mdb_cursor_open(txn, s->db_pblk, &c)) != 0)
		return lc_store_err(rv);
	for (size_t i = 0; i < s->nterms && rv == 0; i++) {
		const uint8_t *slot = s->terms + i * TERM_SLOT;
		size_t tl;

		if (i > 0 && memcmp(slot, slot - TERM_SLOT, TERM_SLOT) == 0)
			continue;
		tl = lc_term_key(s, slot + 1, slot[0], tk);
		rv = add ? defer(s, tk, tl, post)
			 : lc_blocks_remove(s, c, tk, tl, post);
	}
	if (c != NULL)
		mdb_cursor_close(c);
	/* A single write (outside a batch) logs its postings now. */
	if (rv == 0 && add && !s->deferring)
		rv = lc_index_flush(s, txn);
	return rv;
}
