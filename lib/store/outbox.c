/* The outbox: key = sequence number (8 bytes, big-endian, appended in
 * order), value = message id. Entries leave only on the server's ack. The
 * outbox is short (messages not yet acknowledged), so finding an id is a
 * scan. */
#include <string.h>

#include "result.h"

static int find(lc_store *s, MDB_txn *txn, const uint8_t *id,
		uint8_t seq[8])
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, s->db_outbox, &c);

	if (rc != 0)
		return lc_store_err(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size == 8 && v.mv_size == LC_STORE_ID_LEN &&
		    memcmp(v.mv_data, id, LC_STORE_ID_LEN) == 0) {
			memcpy(seq, k.mv_data, 8);
			break;
		}
	}
	mdb_cursor_close(c);
	return lc_store_err(rc);
}

int lc_outbox_push(lc_store *s, MDB_txn *txn, const uint8_t *id)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t kb[8];
	uint64_t seq = 1;
	int rc = mdb_cursor_open(txn, s->db_outbox, &c);

	if (rc != 0)
		return lc_store_err(rc);
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 8)
		seq = lc_get_be64(k.mv_data) + 1;
	else if (rc == 0)
		rc = MDB_CORRUPTED;
	if (rc == 0 || rc == MDB_NOTFOUND) {
		lc_be64(kb, seq);
		k.mv_size = 8;
		k.mv_data = kb;
		v.mv_size = LC_STORE_ID_LEN;
		v.mv_data = (void *)id;
		rc = mdb_cursor_put(c, &k, &v, MDB_APPEND);
	}
	mdb_cursor_close(c);
	return lc_store_err(rc);
}

int lc_outbox_remove(lc_store *s, MDB_txn *txn, const uint8_t *id)
{
	uint8_t seq[8];
	MDB_val k = { 8, seq };
	int rv = find(s, txn, id, seq);

	if (rv != 0)
		return rv;
	return lc_store_err(mdb_del(txn, s->db_outbox, &k, NULL));
}

static int add_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	uint8_t key[MSGKEY_LEN], seq[8];
	int rv = lc_msg_find(s, txn, arg, key);

	if (rv != 0)
		return rv;
	rv = find(s, txn, arg, seq);
	if (rv == 0)
		return 0;
	return rv == LC_ERR_NOT_FOUND ? lc_outbox_push(s, txn, arg) : rv;
}

int lc_store_outbox_add(lc_store *s, const uint8_t id[LC_STORE_ID_LEN])
{
	if (s == NULL || id == NULL)
		return LC_ERR_INVALID_ARG;
	return lc_store_write(s, add_fn, (void *)id);
}

static int ack_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	return lc_outbox_remove(s, txn, arg);
}

int lc_store_outbox_ack(lc_store *s, const uint8_t id[LC_STORE_ID_LEN])
{
	if (s == NULL || id == NULL)
		return LC_ERR_INVALID_ARG;
	return lc_store_write(s, ack_fn, (void *)id);
}

static int list(lc_store *s, MDB_txn *txn, lc_store_page *p, size_t limit)
{
	MDB_cursor *c;
	MDB_val k, v;
	const char *name = NULL;
	uint32_t cn = 0;
	int rc = mdb_cursor_open(txn, s->db_outbox, &c), rv = 0;

	if (rc != 0)
		return lc_store_err(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint8_t key[MSGKEY_LEN];

		if (p->count == limit) {
			p->has_more = 1;
			break;
		}
		if (v.mv_size != LC_STORE_ID_LEN) {
			rv = LC_ERR_STORE_CORRUPT;
			break;
		}
		memset(&p->items[p->count], 0, sizeof p->items[0]);
		rv = lc_msg_find(s, txn, v.mv_data, key);
		if (rv == 0)
			rv = lc_load_by_key(s, txn, key, p->arena, &name, &cn,
					    &p->items[p->count]);
		if (rv == LC_ERR_STORE_CORRUPT || rv == LC_ERR_NOT_FOUND) {
			lc_store_message *m = &p->items[p->count];

			memcpy(m->id, v.mv_data, LC_STORE_ID_LEN);
			m->flags = LC_STORE_MSG_CORRUPT;
			m->chat_id = m->chat_id ? m->chat_id : "";
			m->sender_id = "";
			m->text = "";
		} else if (rv != 0)
			break;
		rv = 0;
		p->count++;
	}
	mdb_cursor_close(c);
	if (rv == 0 && rc != 0 && rc != MDB_NOTFOUND)
		rv = lc_store_err(rc);
	return rv;
}

int lc_store_outbox_list(lc_store *s, size_t limit, lc_store_page **out)
{
	lc_store_page *p = NULL;
	MDB_txn *txn;
	int rv;

	if (limit == 0)
		limit = LC_STORE_PAGE_DEFAULT;
	if (s == NULL || out == NULL || limit > LC_STORE_PAGE_MAX)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((rv = lc_page_new(&p, &s->mem, limit)) != 0)
		return rv;
	if ((rv = lc_store_read_begin(s, &txn)) != 0) {
		lc_store_page_free(p);
		return rv;
	}
	rv = list(s, txn, p, limit);
	lc_store_read_end(s, txn);
	if (rv != 0) {
		lc_store_page_free(p);
		return rv;
	}
	*out = p;
	return 0;
}
