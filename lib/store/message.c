/* Writing and deleting messages: the record, the id index, the search
 * postings, the chat record and the outbox move together in one
 * transaction. */
#include <sodium.h>
#include <string.h>

#include "store_int.h"

void lc_msgkey(uint8_t out[MSGKEY_LEN], uint32_t chat, uint64_t t,
	       uint32_t num)
{
	lc_be32(out, chat);
	lc_be64(out + 4, t);
	lc_be32(out + 12, num);
}

int lc_msg_find(lc_store *s, MDB_txn *txn, const uint8_t id[LC_STORE_ID_LEN],
		uint8_t key[MSGKEY_LEN])
{
	MDB_val k = { LC_STORE_ID_LEN, (void *)id }, v;
	int rc = mdb_get(txn, s->db_idx, &k, &v);

	if (rc != 0)
		return lc_store_err(rc);
	/* The short form (a posting: time 6 | chat 3 | msgnum 4) since
	 * version 3; the whole key before. */
	if (v.mv_size == POSTING_LEN)
		lc_posting_key(key, v.mv_data);
	else if (v.mv_size == MSGKEY_LEN)
		memcpy(key, v.mv_data, MSGKEY_LEN);
	else
		return LC_ERR_STORE_CORRUPT;
	return 0;
}

static int valid(const lc_store_message *m, size_t *clen, size_t *slen)
{
	if (m == NULL || !lc_store_name_ok(m->chat_id, clen) || *clen == 0)
		return 0;
	*slen = 0;
	if (m->sender_id && !lc_store_name_ok(m->sender_id, slen))
		return 0;
	if ((m->flags & ~LC_STORE_MSG_FLAGS_MASK) != 0 ||
	    m->time_ms > LC_STORE_TIME_MAX ||
	    m->text_len > LC_STORE_TEXT_MAX || m->data_len > LC_STORE_DATA_MAX ||
	    (m->text_len && m->text == NULL) || (m->data_len && !m->data))
		return 0;
	return m->text_len == 0 ||
	       lc_store_utf8_ok((const uint8_t *)m->text, m->text_len);
}

/* Encode (and seal) the record of m into an MDB_val; *owned is set when
 * the value was allocated and must be freed. */
static int make_record(lc_store *s, const msgrec *r,
		       const uint8_t key[MSGKEY_LEN], MDB_val *v,
		       uint8_t **owned)
{
	uint8_t *buf;
	size_t n;
	int rv = lc_store_scratch(s, lc_msgrec_size(r), &buf);

	*owned = NULL;
	if (rv != 0)
		return rv;
	n = lc_msgrec_encode(r, buf);
	if (!s->sealed) {
		v->mv_data = buf;
		v->mv_size = n;
		return 0;
	}
	rv = lc_seal(s, REC_V1, key, MSGKEY_LEN, buf, n, owned, &v->mv_size);
	sodium_memzero(buf, n);
	v->mv_data = *owned;
	return rv;
}

static int put_record(lc_store *s, MDB_txn *txn, const msgrec *r,
		      const uint8_t key[MSGKEY_LEN])
{
	MDB_val k = { MSGKEY_LEN, (void *)key }, v;
	uint8_t *owned;
	int rv = make_record(s, r, key, &v, &owned);

	if (rv == 0)
		rv = lc_store_err(mdb_put(txn, s->db_msg, &k, &v, 0));
	lc_free(&s->mem, owned);
	return rv;
}

static int put_one(lc_store *s, MDB_txn *txn, const lc_store_message *m,
		   size_t clen, size_t slen, unsigned flags)
{
	MDB_val k = { LC_STORE_ID_LEN, (void *)m->id }, v;
	uint8_t key[MSGKEY_LEN], post[POSTING_LEN];
	uint32_t cnum, num;
	chatrec c;
	msgrec r;
	int rc = mdb_get(txn, s->db_idx, &k, &v), rv;

	if (rc == 0)
		return LC_ERR_EXISTS;
	if (rc != MDB_NOTFOUND)
		return lc_store_err(rc);
	if ((rv = lc_chat_ensure(s, txn, m->chat_id, clen, &cnum, &c)) != 0)
		return rv;
	if (s->next_msgnum == UINT32_MAX)
		return LC_ERR_STORE_FULL;
	num = s->next_msgnum++;
	s->counters_dirty = 1;
	lc_msgkey(key, cnum, m->time_ms, num);
	r = (msgrec){ m->flags, m->state, m->kind, m->sender_device, m->id,
		      m->sender_id ? m->sender_id : "", slen, m->text,
		      m->text_len, m->data, m->data_len };
	if ((rv = put_record(s, txn, &r, key)) != 0)
		return rv;
	lc_posting(post, key);
	v.mv_size = POSTING_LEN;
	v.mv_data = post;
	if ((rv = lc_store_err(mdb_put(txn, s->db_idx, &k, &v, 0))) != 0)
		return rv;
	if (m->text_len &&
	    (rv = lc_index_message(s, txn, key, m->text, m->text_len, 1)) != 0)
		return rv;
	c.count++;
	if (!(m->flags & (LC_STORE_MSG_OUTGOING | LC_STORE_MSG_READ)))
		c.unread++;
	if (m->time_ms > c.activity &&
	    (rv = lc_chat_set_activity(s, txn, cnum, &c, m->time_ms)) != 0)
		return rv;
	if ((flags & LC_STORE_PUT_OUTBOX) &&
	    (rv = lc_outbox_push(s, txn, m->id)) != 0)
		return rv;
	/* Trimming deletes postings: write the deferred ones first. */
	if (c.retention && c.count > c.retention &&
	    ((rv = lc_index_flush(s, txn)) != 0 ||
	     (rv = lc_chat_trim(s, txn, cnum, &c)) != 0))
		return rv;
	return lc_chat_put(s, txn, cnum, &c);
}

struct batch {
	const lc_store_message *msgs;
	size_t n;
	unsigned flags;
	int *results;
};

static int put_batch(lc_store *s, MDB_txn *txn, void *arg)
{
	struct batch *b = arg;
	int stored = 0, rv = 0;

	s->npend = 0;
	s->deferring = 1;
	for (size_t i = 0; i < b->n; i++) {
		size_t clen, slen;

		(void)valid(&b->msgs[i], &clen, &slen);
		rv = put_one(s, txn, &b->msgs[i], clen, slen, b->flags);
		if (rv != 0 && rv != LC_ERR_EXISTS)
			break;
		if (b->results)
			b->results[i] = rv;
		stored += rv == 0;
		rv = 0;
	}
	if (rv == 0)
		rv = lc_index_flush(s, txn);
	s->deferring = 0;
	s->npend = 0;
	return rv != 0 ? rv : stored;
}

int lc_store_messages_put(lc_store *s, const lc_store_message *msgs,
			  size_t n, unsigned flags, int *results)
{
	struct batch b = { msgs, n, flags, results };
	int bad = 0;

	if (s == NULL || (n && msgs == NULL) || (flags & ~LC_STORE_PUT_OUTBOX) ||
	    n > INT32_MAX)
		return LC_ERR_INVALID_ARG;
	for (size_t i = 0; i < n; i++) {
		size_t clen, slen;
		int ok = valid(&msgs[i], &clen, &slen);

		if (results)
			results[i] = ok ? 0 : LC_ERR_INVALID_ARG;
		bad |= !ok;
	}
	if (bad)
		return LC_ERR_INVALID_ARG;
	if (n == 0)
		return 0;
	return lc_store_write(s, put_batch, &b);
}

int lc_store_message_put(lc_store *s, const lc_store_message *msg,
			 unsigned flags)
{
	int res = 0;
	int rv = lc_store_messages_put(s, msg, msg ? 1 : 0, flags, &res);

	if (msg == NULL)
		return LC_ERR_INVALID_ARG;
	return rv < 0 ? rv : res;
}

int lc_msg_remove(lc_store *s, MDB_txn *txn, const uint8_t key[MSGKEY_LEN],
		  const uint8_t *id, chatrec *c)
{
	MDB_val k = { MSGKEY_LEN, (void *)key }, v;
	msgplain mp;
	uint8_t *copy = NULL, idb[LC_STORE_ID_LEN];
	int rc = mdb_get(txn, s->db_msg, &k, &v), rv, ok;

	if (rc != 0)
		return lc_store_err(rc);
	/* Values in a write transaction may move on the next update: work
	 * on a copy. */
	copy = lc_malloc(&s->mem, v.mv_size ? v.mv_size : 1);
	if (copy == NULL)
		return LC_ERR_NOMEM;
	memcpy(copy, v.mv_data, v.mv_size);
	v.mv_data = copy;
	rv = lc_msg_open(s, key, &v, &mp);
	ok = rv == 0;
	if (rv != 0 && rv != LC_ERR_STORE_CORRUPT)
		goto out;
	rv = 0;
	if (ok) {
		memcpy(idb, mp.rec.id, LC_STORE_ID_LEN);
		id = idb;
		if (!(mp.rec.flags & (LC_STORE_MSG_OUTGOING |
				      LC_STORE_MSG_READ)) &&
		    lc_get_be32(key + 12) > c->read_upto && c->unread > 0)
			c->unread--;
		if (mp.rec.text_len)
			rv = lc_index_message(s, txn, key, mp.rec.text,
					      mp.rec.text_len, 0);
		lc_msg_release(s, &mp);
	}
	if (rv == 0 && id != NULL) {
		MDB_val ik = { LC_STORE_ID_LEN, (void *)id };

		rc = mdb_del(txn, s->db_idx, &ik, NULL);
		rv = rc == MDB_NOTFOUND ? 0 : lc_store_err(rc);
		if (rv == 0)
			rv = lc_rcpt_remove_all(s, txn, id);
		if (rv == 0)
			rv = lc_outbox_remove(s, txn, id);
		if (rv == LC_ERR_NOT_FOUND)
			rv = 0;
	}
	if (rv == 0)
		rv = lc_store_err(mdb_del(txn, s->db_msg, &k, NULL));
	if (rv == 0 && c->count > 0)
		c->count--;
out:
	if (s->sealed)
		sodium_memzero(copy, v.mv_size);
	lc_free(&s->mem, copy);
	return rv;
}

struct by_id {
	const uint8_t *id;
	uint32_t state;
};

static int delete_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	struct by_id *a = arg;
	uint8_t key[MSGKEY_LEN];
	uint32_t cnum;
	chatrec c;
	int rv = lc_msg_find(s, txn, a->id, key);

	if (rv != 0)
		return rv;
	cnum = lc_get_be32(key);
	if ((rv = lc_chat_get(s, txn, cnum, &c)) != 0)
		return rv;
	if ((rv = lc_msg_remove(s, txn, key, a->id, &c)) != 0)
		return rv;
	return lc_chat_put(s, txn, cnum, &c);
}

int lc_store_message_delete(lc_store *s, const uint8_t id[LC_STORE_ID_LEN])
{
	struct by_id a = { id, 0 };

	if (s == NULL || id == NULL)
		return LC_ERR_INVALID_ARG;
	return lc_store_write(s, delete_fn, &a);
}

/* The record at key was rewritten: when it is its chat's newest, the
 * copy in the chat's activity entry follows. */
static int newest_changed(lc_store *s, MDB_txn *txn,
			  const uint8_t key[MSGKEY_LEN])
{
	uint32_t cnum = lc_get_be32(key);
	MDB_cursor *c;
	MDB_val k, v;
	chatrec cr;
	int newest, rv, rc = mdb_cursor_open(txn, s->db_msg, &c);

	if (rc != 0)
		return lc_store_err(rc);
	rv = lc_chat_edge(c, cnum, 1, &k, &v);
	newest = rv == 0 && memcmp(k.mv_data, key, MSGKEY_LEN) == 0;
	mdb_cursor_close(c);
	if (rv != 0 && rv != LC_ERR_NOT_FOUND)
		return rv;
	if (!newest)
		return 0;
	if ((rv = lc_chat_get(s, txn, cnum, &cr)) != 0)
		return rv;
	return lc_chat_put(s, txn, cnum, &cr);
}

int lc_msg_set_state(lc_store *s, MDB_txn *txn, const uint8_t *id,
		     uint32_t state)
{
	uint8_t key[MSGKEY_LEN];
	MDB_val k = { MSGKEY_LEN, key }, v;
	msgplain mp;
	int rv = lc_msg_find(s, txn, id, key), rc;

	if (rv != 0)
		return rv;
	if ((rc = mdb_get(txn, s->db_msg, &k, &v)) != 0)
		return rc == MDB_NOTFOUND ? LC_ERR_STORE_CORRUPT
					  : lc_store_err(rc);
	if ((rv = lc_msg_open(s, key, &v, &mp)) != 0)
		return rv;
	mp.rec.state = state;
	rv = put_record(s, txn, &mp.rec, key);
	lc_msg_release(s, &mp);
	return rv == 0 ? newest_changed(s, txn, key) : rv;
}

static int state_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	struct by_id *a = arg;

	return lc_msg_set_state(s, txn, a->id, a->state);
}

int lc_store_message_set_state(lc_store *s, const uint8_t id[LC_STORE_ID_LEN],
			       uint32_t state)
{
	struct by_id a = { id, state };

	if (s == NULL || id == NULL)
		return LC_ERR_INVALID_ARG;
	return lc_store_write(s, state_fn, &a);
}
