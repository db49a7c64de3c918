/* Chat records: the name -> number index, the chat record (activity,
 * unread count, read mark, retention, message count) and the activity
 * index (~time | chat -> the same record) that orders the chat list. */
#include <string.h>

#include "store_int.h"

int lc_chat_lookup(lc_store *s, MDB_txn *txn, const char *name, size_t len,
		   uint32_t *num)
{
	MDB_val k = { len, (void *)name }, v;
	int rc = mdb_get(txn, s->db_chatname, &k, &v);

	if (rc != 0)
		return lc_store_err(rc);
	if (v.mv_size != 4)
		return LC_ERR_STORE_CORRUPT;
	*num = lc_get_be32(v.mv_data);
	return 0;
}

int lc_chat_get(lc_store *s, MDB_txn *txn, uint32_t num, chatrec *c)
{
	uint8_t kb[4];
	MDB_val k = { 4, kb }, v;
	int rc;

	lc_be32(kb, num);
	rc = mdb_get(txn, s->db_chat, &k, &v);
	if (rc != 0)
		return rc == MDB_NOTFOUND ? LC_ERR_STORE_CORRUPT
					  : lc_store_err(rc);
	return lc_chatrec_decode(v.mv_data, v.mv_size, c);
}

static void act_key(uint8_t out[12], uint64_t t, uint32_t num)
{
	lc_be64(out, ~t);
	lc_be32(out + 8, num);
}

/* The activity entry's value: varint length | chat record | the chat's
 * newest message key (16) | that message's record as stored (sealed or
 * not), the key alone when the record is longer than ACT_COPY_MAX, or
 * neither for a chat without messages. The chat list then reads no other
 * record. */
static int act_value(lc_store *s, MDB_txn *txn, uint32_t num,
		     const uint8_t *rec, size_t rlen, MDB_val *out)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t *buf;
	size_t n, need;
	int rv, rc = mdb_cursor_open(txn, s->db_msg, &c);

	if (rc != 0)
		return lc_store_err(rc);
	rv = lc_chat_edge(c, num, 1, &k, &v);
	if (rv == LC_ERR_NOT_FOUND) {
		k.mv_size = v.mv_size = 0;
		rv = 0;
	} else if (rv == 0 && v.mv_size > ACT_COPY_MAX) {
		v.mv_size = 0;
	}
	need = 10 + rlen + k.mv_size + v.mv_size;
	if (rv == 0)
		rv = lc_store_scratch(s, need, &buf);
	if (rv == 0) {
		n = lc_varint_put(buf, rlen);
		memcpy(buf + n, rec, rlen);
		n += rlen;
		if (k.mv_size) {
			memcpy(buf + n, k.mv_data, MSGKEY_LEN);
			n += MSGKEY_LEN;
		}
		if (v.mv_size) {
			memcpy(buf + n, v.mv_data, v.mv_size);
			n += v.mv_size;
		}
		out->mv_data = buf;
		out->mv_size = n;
	}
	mdb_cursor_close(c);
	return rv;
}

int lc_act_decode(const MDB_val *v, uint32_t num, chatrec *c, MDB_val *key,
		  MDB_val *rec)
{
	const uint8_t *p = v->mv_data;
	uint64_t rlen;
	size_t pos = 0;
	int rv;

	if (lc_varint_get(p, v->mv_size, &pos, &rlen) ||
	    rlen > v->mv_size - pos)
		return LC_ERR_STORE_CORRUPT;
	if ((rv = lc_chatrec_decode(p + pos, (size_t)rlen, c)) != 0)
		return rv;
	pos += (size_t)rlen;
	key->mv_size = rec->mv_size = 0;
	if (pos == v->mv_size)
		return 0;
	if (v->mv_size - pos < MSGKEY_LEN || lc_get_be32(p + pos) != num)
		return LC_ERR_STORE_CORRUPT;
	key->mv_data = (void *)(p + pos);
	key->mv_size = MSGKEY_LEN;
	rec->mv_data = (void *)(p + pos + MSGKEY_LEN);
	rec->mv_size = v->mv_size - pos - MSGKEY_LEN;
	return 0;
}

/* The record is written twice: by number, and in the value of its entry
 * in the activity index (with the newest message), so listing chats reads
 * no other record. */
int lc_chat_put(lc_store *s, MDB_txn *txn, uint32_t num, const chatrec *c)
{
	uint8_t kb[12], buf[CHATREC_MAX];
	MDB_val k = { 4, kb }, v = { 0, buf };
	int rv;

	lc_be32(kb, num);
	v.mv_size = lc_chatrec_encode(c, buf);
	rv = lc_store_err(mdb_put(txn, s->db_chat, &k, &v, 0));
	if (rv == 0)
		rv = act_value(s, txn, num, buf, v.mv_size, &v);
	if (rv != 0)
		return rv;
	act_key(kb, c->activity, num);
	k.mv_size = 12;
	return lc_store_err(mdb_put(txn, s->db_act, &k, &v, 0));
}

int lc_chat_set_activity(lc_store *s, MDB_txn *txn, uint32_t num,
			 chatrec *c, uint64_t t)
{
	uint8_t kb[12];
	MDB_val k = { 12, kb };
	int rc;

	/* The new entry is written by lc_chat_put(). */
	act_key(kb, c->activity, num);
	rc = mdb_del(txn, s->db_act, &k, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return lc_store_err(rc);
	c->activity = t;
	return 0;
}

int lc_chat_ensure(lc_store *s, MDB_txn *txn, const char *name, size_t len,
		   uint32_t *num, chatrec *c)
{
	MDB_val k = { len, (void *)name }, v;
	uint8_t nb[4];
	int rv = lc_chat_lookup(s, txn, name, len, num);

	if (rv != LC_ERR_NOT_FOUND)
		return rv == 0 ? lc_chat_get(s, txn, *num, c) : rv;
	if (s->next_chatnum > CHATNUM_MAX)
		return LC_ERR_STORE_FULL;
	*num = s->next_chatnum++;
	s->counters_dirty = 1;
	memset(c, 0, sizeof *c);
	memcpy(c->name, name, len);
	c->name_len = len;
	lc_be32(nb, *num);
	v.mv_size = 4;
	v.mv_data = nb;
	if ((rv = lc_store_err(mdb_put(txn, s->db_chatname, &k, &v, 0))) != 0)
		return rv;
	return lc_chat_put(s, txn, *num, c);
}

/* Position c at the first (oldest) or last (newest) message of chat num.
 * Returns 0, LC_ERR_NOT_FOUND for an empty chat, or an error. */
int lc_chat_edge(MDB_cursor *cur, uint32_t num, int newest, MDB_val *k,
		 MDB_val *v)
{
	uint8_t kb[MSGKEY_LEN];
	int rc;

	memset(kb, 0, sizeof kb);
	lc_be32(kb, newest ? num + 1 : num);
	k->mv_size = MSGKEY_LEN;
	k->mv_data = kb;
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (newest) {
		if (rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(cur, k, v, MDB_LAST);
		else if (rc == 0)
			rc = mdb_cursor_get(cur, k, v, MDB_PREV);
	}
	if (rc != 0)
		return lc_store_err(rc);
	if (k->mv_size != MSGKEY_LEN || lc_get_be32(k->mv_data) != num)
		return LC_ERR_NOT_FOUND;
	return 0;
}

int lc_chat_trim(lc_store *s, MDB_txn *txn, uint32_t num, chatrec *c)
{
	MDB_cursor *cur;
	int rv = 0, rc;

	if (c->retention == 0)
		return 0;
	if ((rc = mdb_cursor_open(txn, s->db_msg, &cur)) != 0)
		return lc_store_err(rc);
	while (rv == 0 && c->count > c->retention) {
		MDB_val k, v;
		uint8_t key[MSGKEY_LEN];

		rv = lc_chat_edge(cur, num, 0, &k, &v);
		if (rv == LC_ERR_NOT_FOUND) {
			c->count = 0; /* the count was wrong: repair it */
			rv = 0;
			break;
		}
		if (rv == 0) {
			memcpy(key, k.mv_data, MSGKEY_LEN);
			rv = lc_msg_remove(s, txn, key, NULL, c);
		}
	}
	mdb_cursor_close(cur);
	return rv;
}
