/* Full-text search. The query's words are folded like texts; the longest
 * one drives the walk: its posting list (the word itself up to 3
 * characters, else its 3-character prefix) is read newest first, and each
 * candidate's text is tokenised to check every query word and to place
 * the snippet. */
#include <string.h>

#include "postlist.h"
#include "result.h"

#define QWORDS 16

struct query {
	uint8_t w[QWORDS][TERM_MAX];
	size_t len[QWORDS], ncp[QWORDS];
	size_t n;
};

static int add_qword(const uint8_t *f, size_t flen, size_t ncp, size_t off,
		     size_t len, void *arg)
{
	struct query *q = arg;

	(void)off;
	(void)len;
	if (q->n == QWORDS)
		return 1;
	memcpy(q->w[q->n], f, flen);
	q->len[q->n] = flen;
	q->ncp[q->n] = ncp;
	q->n++;
	return 0;
}

/* Matching a candidate text: which query words were seen, and where the
 * first matching word is. */
struct match {
	const struct query *q;
	unsigned seen;
	size_t off, len;
	int found;
};

static int match_word(const uint8_t *f, size_t flen, size_t ncp, size_t off,
		      size_t len, void *arg)
{
	struct match *m = arg;

	(void)ncp;
	for (size_t i = 0; i < m->q->n; i++) {
		size_t ql = m->q->len[i];
		int hit = m->q->ncp[i] == 1 ? flen == ql : flen >= ql;

		if (hit && memcmp(f, m->q->w[i], ql) == 0) {
			m->seen |= 1u << i;
			if (!m->found) {
				m->found = 1;
				m->off = off;
				m->len = len;
			}
		}
	}
	return 0;
}

static int snippet(lc_arena *a, const char *t, size_t n, size_t off,
		   size_t len, lc_store_hit *h)
{
	const size_t body = LC_STORE_SNIPPET_MAX - 6;
	size_t start = 0, end = n, k = 0;
	char *p;

	if (n > LC_STORE_SNIPPET_MAX) {
		start = off > 40 ? off - 40 : 0;
		while (start < off && ((uint8_t)t[start] & 0xc0) == 0x80)
			start++;
		end = start + body < n ? start + body : n;
		while (end > off && end < n && ((uint8_t)t[end] & 0xc0) == 0x80)
			end--;
	}
	p = lc_arena_alloc(a, LC_STORE_SNIPPET_MAX + 1);
	if (p == NULL)
		return LC_ERR_NOMEM;
	if (start > 0) {
		memcpy(p, "...", 3);
		k = 3;
	}
	memcpy(p + k, t + start, end - start);
	h->match_off = k + off - start;
	h->match_len = off + len <= end ? len : end - off;
	k += end - start;
	if (end < n) {
		memcpy(p + k, "...", 3);
		k += 3;
	}
	p[k] = 0;
	h->snippet = p;
	h->snippet_len = k;
	return 0;
}

struct search {
	lc_store *s;
	MDB_txn *txn;
	const struct query *q;
	int has_chat;
	uint32_t chat;
	uint64_t chat_count;
	lc_store_hits *hits;
	size_t limit;
	const char *name;
	uint32_t name_num;
	/* The other query words' lists, to reject a candidate before it is
	 * read: a matching message is posted under each of them. */
	lc_chk chk[QWORDS];
	size_t nchk;
};

/* Check one posting; appends a hit when the message matches. */
static int candidate(struct search *S, const uint8_t post[POSTING_LEN])
{
	uint8_t key[MSGKEY_LEN];
	lc_store_hit *h = &S->hits->items[S->hits->count];
	struct match m = { S->q, 0, 0, 0, 0 };
	int rv;

	lc_posting_key(key, post);
	if (S->has_chat && lc_get_be32(key) != S->chat)
		return 0;
	for (size_t j = 0; j < S->nchk; j++) {
		int has;

		if ((rv = lc_chk_has(&S->chk[j], post, &has)) != 0)
			return rv;
		if (!has)
			return 0;
	}
	memset(h, 0, sizeof *h);
	rv = lc_load_by_key(S->s, S->txn, key, S->hits->arena, &S->name,
			    &S->name_num, &h->message);
	if (rv == LC_ERR_NOT_FOUND || rv == LC_ERR_STORE_CORRUPT)
		return 0; /* a posting left behind by a corrupt record */
	if (rv != 0)
		return rv;
	(void)lc_tokenize((const uint8_t *)h->message.text,
			  h->message.text_len, match_word, &m);
	if (!m.found || m.seen != (1u << S->q->n) - 1)
		return 0;
	rv = snippet(S->hits->arena, h->message.text, h->message.text_len,
		     m.off, m.len, h);
	if (rv == 0)
		S->hits->count++;
	return rv;
}

/* Newest first over every list; a posting in several lists counts once. */
static int merge(struct search *S, lc_src *src, size_t n)
{
	for (;;) {
		const uint8_t *best = NULL;
		uint8_t post[POSTING_LEN];
		int rv;

		for (size_t i = 0; i < n; i++)
			if (src[i].cur && (best == NULL ||
					   memcmp(src[i].cur, best,
						  POSTING_LEN) > 0))
				best = src[i].cur;
		if (best == NULL)
			return 0;
		if (S->hits->count == S->limit) {
			S->hits->has_more = 1;
			return 0;
		}
		memcpy(post, best, POSTING_LEN);
		if ((rv = candidate(S, post)) != 0)
			return rv;
		for (size_t i = 0; i < n; i++)
			if (src[i].cur &&
			    memcmp(src[i].cur, post, POSTING_LEN) == 0 &&
			    (rv = lc_src_advance(&src[i])) != 0)
				return rv;
	}
}

/* The lists of one query word: a block source per term, and one array
 * of the log's postings. */
struct srcs {
	lc_src *v;
	size_t n, cap;
	lc_plist log;
	uint64_t blocks_count;
};

static int add_src(struct search *S, struct srcs *a, const uint8_t *tk,
		   size_t tlen)
{
	lc_src *src;
	int rc;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		lc_src *p = lc_realloc(&S->s->mem, a->v, cap * sizeof *p);

		if (p == NULL)
			return LC_ERR_NOMEM;
		a->v = p;
		a->cap = cap;
	}
	src = &a->v[a->n];
	memset(src, 0, sizeof *src);
	if (tk == NULL) {
		src->arr = &a->log;
		a->n++;
		return 0;
	}
	memcpy(src->tk, tk, tlen);
	src->tlen = tlen;
	if ((src->b = lc_malloc(&S->s->mem, sizeof *src->b)) == NULL)
		return LC_ERR_NOMEM;
	a->n++;
	if ((rc = mdb_cursor_open(S->txn, S->s->db_pblk, &src->c)) != 0) {
		src->c = NULL;
		return lc_store_err(rc);
	}
	return 0;
}

static void free_srcs(struct search *S, struct srcs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i].c)
			mdb_cursor_close(a->v[i].c);
		lc_free(&S->s->mem, a->v[i].b);
	}
	lc_free(&S->s->mem, a->v);
	lc_plist_free(S->s, &a->log);
}

/* A block source for every term of a plain store that belongs to the
 * 2-character word q (q itself and each 3-character term extending it). */
static int extensions(struct search *S, struct srcs *a, const uint8_t *q,
		      size_t qlen)
{
	uint8_t kb[TERMKEY_MAX + POSTING_LEN];
	MDB_cursor *c;
	MDB_val k = { qlen, (void *)q }, v;
	int rc = mdb_cursor_open(S->txn, S->s->db_pblk, &c), rv = 0;

	if (rc != 0)
		return lc_store_err(rc);
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && rv == 0) {
		const uint8_t *t = k.mv_data;
		size_t tl = k.mv_size > POSTING_LEN ? k.mv_size - POSTING_LEN
						    : 0;

		if (k.mv_size < qlen || memcmp(t, q, qlen) != 0)
			break;
		if (tl == 0 || tl > TERMKEY_MAX) {
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
			continue;
		}
		if (lc_term_extends(t, tl, q, qlen))
			rv = add_src(S, a, t, tl);
		/* On to the next term. */
		memcpy(kb, t, tl);
		memset(kb + tl, 0xff, POSTING_LEN);
		k.mv_size = tl + POSTING_LEN;
		k.mv_data = kb;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	}
	mdb_cursor_close(c);
	if (rv == 0 && rc != 0 && rc != MDB_NOTFOUND)
		rv = lc_store_err(rc);
	return rv;
}

/* Search one chat by reading its messages newest first: cheaper than a
 * long posting list when the chat is small. */
static int chat_walk(struct search *S, const uint8_t *after)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t key[MSGKEY_LEN], post[POSTING_LEN];
	int rc = mdb_cursor_open(S->txn, S->s->db_msg, &c), rv = 0;

	if (rc != 0)
		return lc_store_err(rc);
	if (after) {
		lc_posting_key(key, after);
		k.mv_size = MSGKEY_LEN;
		k.mv_data = key;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		rc = rc == 0 ? mdb_cursor_get(c, &k, &v, MDB_PREV)
			     : mdb_cursor_get(c, &k, &v, MDB_LAST);
		rv = rc == 0 || rc == MDB_NOTFOUND ? 0 : lc_store_err(rc);
	} else {
		rv = lc_chat_edge(c, S->chat, 1, &k, &v);
		rc = rv == 0 ? 0 : MDB_NOTFOUND;
		rv = rv == LC_ERR_NOT_FOUND ? 0 : rv;
	}
	for (; rv == 0 && rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
		if (k.mv_size != MSGKEY_LEN ||
		    lc_get_be32(k.mv_data) != S->chat)
			break;
		if (S->hits->count == S->limit) {
			S->hits->has_more = 1;
			break;
		}
		lc_posting(post, k.mv_data);
		rv = candidate(S, post);
	}
	mdb_cursor_close(c);
	if (rv == 0 && rc != 0 && rc != MDB_NOTFOUND)
		rv = lc_store_err(rc);
	return rv;
}

/* Are the lists longer than limit postings? */
static int longer(struct search *S, struct srcs *a, uint64_t limit,
		  int *above)
{
	uint64_t count = a->log.n;
	int rv = 0;

	for (size_t i = 0; i < a->n && rv == 0 && count <= limit; i++)
		if (a->v[i].arr == NULL)
			rv = lc_src_count_above(S->s, S->txn, a->v[i].tk,
						a->v[i].tlen, limit, &count);
	*above = count > limit;
	return rv;
}

static int walk(struct search *S, const uint8_t *w, size_t wlen, size_t ncp,
		const uint8_t *after)
{
	uint8_t tk[TERMKEY_MAX];
	struct srcs a;
	int rv, above = 0, ext = ncp == 2 && !S->s->sealed;
	size_t tlen = 0;

	memset(&a, 0, sizeof a);
	if (ext) {
		rv = extensions(S, &a, w, wlen);
		if (rv == 0)
			rv = lc_plist_log(S->s, S->txn, w, wlen, 1, &a.log);
	} else {
		tlen = ncp <= 3 ? wlen : lc_utf8_prefix(w, wlen, 3);
		tlen = lc_term_key(S->s, w, tlen, tk);
		rv = add_src(S, &a, tk, tlen);
		if (rv == 0)
			rv = lc_plist_log(S->s, S->txn, tk, tlen, 0, &a.log);
	}
	if (rv == 0)
		rv = add_src(S, &a, NULL, 0);
	/* Reading a chat costs a few times more per message than a posting:
	 * walk the chat when its messages are much fewer. */
	if (rv == 0 && S->has_chat)
		rv = longer(S, &a, S->chat_count * 4, &above);
	if (rv == 0 && above) {
		rv = chat_walk(S, after);
	} else {
		for (size_t i = 0; i < a.n && rv == 0; i++)
			rv = lc_src_position(&a.v[i], after);
		if (rv == 0)
			rv = merge(S, a.v, a.n);
	}
	free_srcs(S, &a);
	return rv;
}

/* A membership check on the list of each query word other than the
 * driving one (not for 2-character words of a plain store, which have no
 * list of their own). */
static int open_checks(struct search *S, size_t best)
{
	for (size_t i = 0; i < S->q->n; i++) {
		size_t ncp = S->q->ncp[i], tl;
		lc_chk *chk = &S->chk[S->nchk];
		int rc;

		if (i == best || (ncp == 2 && !S->s->sealed))
			continue;
		memset(chk, 0, sizeof *chk);
		S->nchk++;
		tl = ncp <= 3 ? S->q->len[i]
			      : lc_utf8_prefix(S->q->w[i], S->q->len[i], 3);
		chk->tlen = lc_term_key(S->s, S->q->w[i], tl, chk->tk);
		if ((chk->b = lc_malloc(&S->s->mem, sizeof *chk->b)) == NULL)
			return LC_ERR_NOMEM;
		rc = mdb_cursor_open(S->txn, S->s->db_pblk, &chk->c);
		if (rc != 0) {
			chk->c = NULL;
			return lc_store_err(rc);
		}
		rc = lc_plist_log(S->s, S->txn, chk->tk, chk->tlen, 0,
				  &chk->log);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void close_checks(struct search *S)
{
	for (size_t j = 0; j < S->nchk; j++) {
		if (S->chk[j].c)
			mdb_cursor_close(S->chk[j].c);
		lc_free(&S->s->mem, S->chk[j].b);
		lc_plist_free(S->s, &S->chk[j].log);
	}
}

static int run(struct search *S, const char *chat_id, size_t clen,
	       const uint8_t *before_id)
{
	uint8_t after[POSTING_LEN];
	size_t best = 0;
	chatrec c;
	int rv;

	if (chat_id) {
		rv = lc_chat_lookup(S->s, S->txn, chat_id, clen, &S->chat);
		if (rv == LC_ERR_NOT_FOUND && before_id == NULL)
			return 0;
		if (rv == 0)
			rv = lc_chat_get(S->s, S->txn, S->chat, &c);
		if (rv != 0)
			return rv;
		S->has_chat = 1;
		S->chat_count = c.count;
	}
	if (before_id) {
		uint8_t key[MSGKEY_LEN];

		if ((rv = lc_msg_find(S->s, S->txn, before_id, key)) != 0)
			return rv;
		lc_posting(after, key);
	}
	for (size_t i = 1; i < S->q->n; i++)
		if (S->q->ncp[i] > S->q->ncp[best])
			best = i;
	rv = open_checks(S, best);
	if (rv == 0)
		rv = walk(S, S->q->w[best], S->q->len[best], S->q->ncp[best],
			  before_id ? after : NULL);
	close_checks(S);
	return rv;
}

int lc_store_search(lc_store *s, const char *query, const char *chat_id,
		    const uint8_t *before_id, size_t limit,
		    lc_store_hits **out)
{
	struct query q;
	struct search S;
	lc_store_hits *h = NULL;
	size_t qlen, clen = 0;
	int rv;

	if (limit == 0)
		limit = LC_STORE_PAGE_DEFAULT;
	if (s == NULL || out == NULL || query == NULL ||
	    limit > LC_STORE_PAGE_MAX ||
	    (chat_id && !lc_store_name_ok(chat_id, &clen)))
		return LC_ERR_INVALID_ARG;
	qlen = strnlen(query, LC_STORE_QUERY_MAX + 1);
	if (qlen > LC_STORE_QUERY_MAX ||
	    !lc_utf8_valid((const uint8_t *)query, qlen))
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	q.n = 0;
	(void)lc_tokenize((const uint8_t *)query, qlen, add_qword, &q);
	if ((rv = lc_hits_new(&h, &s->mem, limit)) != 0)
		return rv;
	if (q.n > 0) {
		memset(&S, 0, sizeof S);
		S.s = s;
		S.q = &q;
		S.hits = h;
		S.limit = limit;
		if ((rv = lc_store_read_begin(s, &S.txn)) == 0) {
			rv = run(&S, chat_id, clen, before_id);
			lc_store_read_end(s, S.txn);
		}
	}
	if (rv != 0) {
		lc_store_hits_free(h);
		return rv;
	}
	*out = h;
	return 0;
}
