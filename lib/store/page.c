/* Reading messages: by id, a chat's page by offset, and a chat's page
 * before a message (the stable cursor). */
#include <string.h>

#include "result.h"

static size_t page_limit(size_t limit)
{
	return limit == 0 ? LC_STORE_PAGE_DEFAULT : limit;
}

/* The chat's name as stored, copied into the arena. */
static int chat_name(lc_store *s, MDB_txn *txn, uint32_t num, lc_arena *a,
		     const char **out)
{
	chatrec c;
	int rv = lc_chat_get(s, txn, num, &c);

	if (rv != 0)
		return rv;
	*out = lc_arena_strdup(a, c.name, c.name_len);
	return *out ? 0 : LC_ERR_NOMEM;
}

int lc_load_by_key(lc_store *s, MDB_txn *txn, const uint8_t key[MSGKEY_LEN],
		   lc_arena *a, const char **name_cache, uint32_t *cache_num,
		   lc_store_message *m)
{
	uint32_t num = lc_get_be32(key);
	int rv;

	if (*name_cache == NULL || *cache_num != num) {
		if ((rv = chat_name(s, txn, num, a, name_cache)) != 0)
			return rv;
		*cache_num = num;
	}
	return lc_msg_load(s, txn, key, NULL, *name_cache, a, m);
}

int lc_store_message_get(lc_store *s, const uint8_t id[LC_STORE_ID_LEN],
			 lc_store_page **out)
{
	MDB_txn *txn;
	lc_store_page *p = NULL;
	uint8_t key[MSGKEY_LEN];
	const char *name = NULL;
	uint32_t cn = 0;
	int rv;

	if (s == NULL || id == NULL || out == NULL)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((rv = lc_store_read_begin(s, &txn)) != 0)
		return rv;
	rv = lc_msg_find(s, txn, id, key);
	if (rv == 0)
		rv = lc_page_new(&p, &s->mem, 1);
	if (rv == 0)
		rv = lc_load_by_key(s, txn, key, p->arena, &name, &cn,
				    &p->items[0]);
	lc_store_read_end(s, txn);
	if (rv != 0) {
		lc_store_page_free(p);
		return rv == LC_ERR_NOT_FOUND && p ? LC_ERR_STORE_CORRUPT : rv;
	}
	p->count = 1;
	*out = p;
	return 0;
}

/* Walk back from the cursor's current message (already positioned on
 * one of chat num, or rc != 0), skipping `skip` and taking `limit`. */
static int walk_back(lc_store *s, MDB_txn *txn, MDB_cursor *cur, int rc,
		     MDB_val *k, MDB_val *v, uint32_t num, size_t skip,
		     const char *name, lc_store_page *p, size_t limit)
{
	for (;;) {
		if (rc == MDB_NOTFOUND)
			return 0;
		if (rc != 0)
			return lc_store_err(rc);
		if (k->mv_size != MSGKEY_LEN || lc_get_be32(k->mv_data) != num)
			return 0;
		if (skip > 0) {
			skip--;
		} else if (p->count == limit) {
			p->has_more = 1;
			return 0;
		} else {
			int rv = lc_msg_load(s, txn, k->mv_data, v, name,
					     p->arena, &p->items[p->count]);

			if (rv != 0 && rv != LC_ERR_STORE_CORRUPT)
				return rv;
			p->count++;
		}
		rc = mdb_cursor_get(cur, k, v, MDB_PREV);
	}
}

struct page_args {
	const char *chat_id;
	const uint8_t *before;
	size_t offset, limit;
};

static int read_page(lc_store *s, const struct page_args *a,
		     lc_store_page **out)
{
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	lc_store_page *p = NULL;
	MDB_val k, v;
	size_t clen, limit = page_limit(a->limit);
	uint32_t num;
	int rv, rc;
	const char *name;

	if (s == NULL || out == NULL || !lc_store_name_ok(a->chat_id, &clen) ||
	    limit > LC_STORE_PAGE_MAX)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((rv = lc_page_new(&p, &s->mem, limit)) != 0)
		return rv;
	name = lc_arena_strdup(p->arena, a->chat_id, clen);
	if (name == NULL) {
		lc_store_page_free(p);
		return LC_ERR_NOMEM;
	}
	if ((rv = lc_store_read_begin(s, &txn)) != 0) {
		lc_store_page_free(p);
		return rv;
	}
	rv = lc_chat_lookup(s, txn, a->chat_id, clen, &num);
	if (rv == LC_ERR_NOT_FOUND && a->before == NULL) {
		rv = 0; /* an unknown chat: an empty page */
		goto done;
	}
	if (rv != 0)
		goto done;
	if ((rv = lc_store_read_cursor(s, txn, &cur)) != 0)
		goto done;
	if (a->before) {
		uint8_t key[MSGKEY_LEN];

		rv = lc_msg_find(s, txn, a->before, key);
		if (rv == 0 && lc_get_be32(key) != num)
			rv = LC_ERR_NOT_FOUND;
		if (rv != 0)
			goto done;
		k.mv_size = MSGKEY_LEN;
		k.mv_data = key;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
		if (rc == 0)
			rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	} else {
		rv = lc_chat_edge(cur, num, 1, &k, &v);
		if (rv == LC_ERR_NOT_FOUND) {
			rv = 0;
			goto done;
		}
		if (rv != 0)
			goto done;
		rc = 0;
	}
	rv = walk_back(s, txn, cur, rc, &k, &v, num, a->offset, name, p,
		       limit);
done:
	if (cur)
		lc_store_read_cursor_end(s, cur);
	lc_store_read_end(s, txn);
	if (rv != 0) {
		lc_store_page_free(p);
		return rv;
	}
	*out = p;
	return 0;
}

int lc_store_messages_page(lc_store *s, const char *chat_id, size_t offset,
			   size_t limit, lc_store_page **out)
{
	struct page_args a = { chat_id, NULL, offset, limit };

	return read_page(s, &a, out);
}

int lc_store_messages_before(lc_store *s, const char *chat_id,
			     const uint8_t *before_id, size_t limit,
			     lc_store_page **out)
{
	struct page_args a = { chat_id, before_id, 0, limit };

	return read_page(s, &a, out);
}
