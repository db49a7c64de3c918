/* The chat list and chat-level operations: mark read, delete, retention. */
#include <string.h>

#include "result.h"

static void fill_head(const chatrec *c, lc_store_chat *out)
{
	memset(out, 0, sizeof *out);
	out->last_activity_ms = c->activity;
	out->unread = (uint32_t)c->unread;
	out->retention = (uint32_t)c->retention;
	out->message_count = c->count;
}

/* Fill one entry from chat num's record, looking its newest message up. */
static int fill_chat(lc_store *s, MDB_txn *txn, MDB_cursor *mc, uint32_t num,
		     lc_arena *a, lc_store_chat *out)
{
	chatrec c;
	MDB_val k, v;
	int rv = lc_chat_get(s, txn, num, &c);

	if (rv != 0)
		return rv;
	fill_head(&c, out);
	out->chat_id = lc_arena_strdup(a, c.name, c.name_len);
	if (out->chat_id == NULL)
		return LC_ERR_NOMEM;
	rv = lc_chat_edge(mc, num, 1, &k, &v);
	if (rv == LC_ERR_NOT_FOUND)
		return 0;
	if (rv != 0)
		return rv;
	out->has_last = 1;
	rv = lc_msg_load(s, txn, k.mv_data, &v, out->chat_id, a, &out->last);
	return rv == LC_ERR_STORE_CORRUPT ? 0 : rv;
}

/* Fill one entry from its activity entry (which holds the newest message,
 * or its key when the record is long). */
static int fill_listed(lc_store *s, MDB_txn *txn, uint32_t num,
		       const MDB_val *val, lc_arena *a, lc_store_chat *out)
{
	chatrec c;
	MDB_val key, rec;
	int rv = lc_act_decode(val, num, &c, &key, &rec);

	if (rv != 0)
		return rv;
	fill_head(&c, out);
	out->chat_id = lc_arena_strdup(a, c.name, c.name_len);
	if (out->chat_id == NULL)
		return LC_ERR_NOMEM;
	if (key.mv_size == 0)
		return 0;
	out->has_last = 1;
	rv = lc_msg_load(s, txn, key.mv_data, rec.mv_size ? &rec : NULL,
			 out->chat_id, a, &out->last);
	return rv == LC_ERR_STORE_CORRUPT || rv == LC_ERR_NOT_FOUND ? 0 : rv;
}

static int list_walk(lc_store *s, MDB_txn *txn, size_t offset,
		     lc_store_chats *p, size_t limit)
{
	MDB_cursor *ac;
	MDB_val k, v;
	int rc, rv = 0;

	if ((rc = mdb_cursor_open(txn, s->db_act, &ac)) != 0)
		return lc_store_err(rc);
	for (rc = mdb_cursor_get(ac, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(ac, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 12) {
			rv = LC_ERR_STORE_CORRUPT;
			break;
		}
		if (offset > 0) {
			offset--;
			continue;
		}
		if (p->count == limit) {
			p->has_more = 1;
			break;
		}
		rv = fill_listed(s, txn, lc_get_be32((uint8_t *)k.mv_data + 8),
				 &v, p->arena, &p->items[p->count]);
		if (rv != 0)
			break;
		p->count++;
	}
	if (rv == 0 && rc != 0 && rc != MDB_NOTFOUND)
		rv = lc_store_err(rc);
	mdb_cursor_close(ac);
	return rv;
}

int lc_store_chats_list(lc_store *s, size_t offset, size_t limit,
			lc_store_chats **out)
{
	lc_store_chats *p = NULL;
	MDB_txn *txn;
	int rv;

	if (limit == 0)
		limit = LC_STORE_PAGE_DEFAULT;
	if (s == NULL || out == NULL || limit > LC_STORE_PAGE_MAX)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((rv = lc_chats_new(&p, &s->mem, limit)) != 0)
		return rv;
	if ((rv = lc_store_read_begin(s, &txn)) != 0) {
		lc_store_chats_free(p);
		return rv;
	}
	rv = list_walk(s, txn, offset, p, limit);
	lc_store_read_end(s, txn);
	if (rv != 0) {
		lc_store_chats_free(p);
		return rv;
	}
	*out = p;
	return 0;
}

int lc_store_chat_get(lc_store *s, const char *chat_id, lc_store_chats **out)
{
	lc_store_chats *p = NULL;
	MDB_cursor *mc = NULL;
	MDB_txn *txn;
	size_t len;
	uint32_t num;
	int rv;

	if (s == NULL || out == NULL || !lc_store_name_ok(chat_id, &len))
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((rv = lc_chats_new(&p, &s->mem, 1)) != 0)
		return rv;
	if ((rv = lc_store_read_begin(s, &txn)) != 0) {
		lc_store_chats_free(p);
		return rv;
	}
	rv = lc_chat_lookup(s, txn, chat_id, len, &num);
	if (rv == 0)
		rv = lc_store_err(mdb_cursor_open(txn, s->db_msg, &mc));
	if (rv == 0)
		rv = fill_chat(s, txn, mc, num, p->arena, &p->items[0]);
	if (mc)
		mdb_cursor_close(mc);
	lc_store_read_end(s, txn);
	if (rv != 0) {
		lc_store_chats_free(p);
		return rv;
	}
	p->count = 1;
	*out = p;
	return 0;
}

struct chat_op {
	const char *name;
	size_t len;
	uint32_t retention;
};

static int mark_read_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	struct chat_op *a = arg;
	uint32_t num;
	chatrec c;
	int rv = lc_chat_lookup(s, txn, a->name, a->len, &num);

	if (rv == 0)
		rv = lc_chat_get(s, txn, num, &c);
	if (rv != 0)
		return rv;
	if (c.unread == 0 && c.read_upto + 1 >= s->next_msgnum)
		return 0;
	c.unread = 0;
	c.read_upto = s->next_msgnum - 1;
	return lc_chat_put(s, txn, num, &c);
}

static int chat_op(lc_store *s, const char *chat_id, uint32_t retention,
		   lc_store_wfn fn)
{
	struct chat_op a = { chat_id, 0, retention };

	if (s == NULL || !lc_store_name_ok(chat_id, &a.len) || a.len == 0)
		return LC_ERR_INVALID_ARG;
	return lc_store_write(s, fn, &a);
}

int lc_store_chat_mark_read(lc_store *s, const char *chat_id)
{
	return chat_op(s, chat_id, 0, mark_read_fn);
}

static int delete_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	struct chat_op *a = arg;
	MDB_val k = { a->len, (void *)a->name }, v;
	uint8_t kb[12];
	uint32_t num;
	chatrec c;
	int rv = lc_chat_lookup(s, txn, a->name, a->len, &num);

	if (rv == 0)
		rv = lc_chat_get(s, txn, num, &c);
	if (rv != 0)
		return rv;
	/* Remove the messages oldest first, with all their entries. */
	for (;;) {
		MDB_cursor *cur;
		uint8_t key[MSGKEY_LEN];
		int rc = mdb_cursor_open(txn, s->db_msg, &cur);

		if (rc != 0)
			return lc_store_err(rc);
		rv = lc_chat_edge(cur, num, 0, &k, &v);
		if (rv == 0)
			memcpy(key, k.mv_data, MSGKEY_LEN);
		mdb_cursor_close(cur);
		if (rv == LC_ERR_NOT_FOUND)
			break;
		if (rv != 0 || (rv = lc_msg_remove(s, txn, key, NULL, &c)) != 0)
			return rv;
	}
	k.mv_size = a->len;
	k.mv_data = (void *)a->name;
	if ((rv = lc_store_err(mdb_del(txn, s->db_chatname, &k, NULL))) != 0)
		return rv;
	lc_be32(kb, num);
	k.mv_size = 4;
	k.mv_data = kb;
	if ((rv = lc_store_err(mdb_del(txn, s->db_chat, &k, NULL))) != 0)
		return rv;
	lc_be64(kb, ~c.activity);
	lc_be32(kb + 8, num);
	k.mv_size = 12;
	rv = lc_store_err(mdb_del(txn, s->db_act, &k, NULL));
	return rv == LC_ERR_NOT_FOUND ? 0 : rv;
}

int lc_store_chat_delete(lc_store *s, const char *chat_id)
{
	return chat_op(s, chat_id, 0, delete_fn);
}

static int retention_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	struct chat_op *a = arg;
	uint32_t num;
	chatrec c;
	int rv = lc_chat_ensure(s, txn, a->name, a->len, &num, &c);

	if (rv != 0)
		return rv;
	c.retention = a->retention;
	if ((rv = lc_chat_trim(s, txn, num, &c)) != 0)
		return rv;
	return lc_chat_put(s, txn, num, &c);
}

int lc_store_chat_set_retention(lc_store *s, const char *chat_id,
				uint32_t max_messages)
{
	return chat_op(s, chat_id, max_messages, retention_fn);
}
