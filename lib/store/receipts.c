/* Receipt records: key = message id | user id | NUL | device (4 bytes,
 * big-endian), value = version, state, timestamps (varints). The store
 * keeps the values; lib/receipts gives them meaning. */
#include <string.h>

#include "store_int.h"

#define RKEY_MAX (LC_STORE_ID_LEN + LC_STORE_NAME_MAX + 1 + 4)

static size_t rkey(uint8_t *out, const uint8_t *id, const char *user,
		   size_t ulen, uint32_t dev)
{
	memcpy(out, id, LC_STORE_ID_LEN);
	memcpy(out + LC_STORE_ID_LEN, user, ulen);
	out[LC_STORE_ID_LEN + ulen] = 0;
	lc_be32(out + LC_STORE_ID_LEN + ulen + 1, dev);
	return LC_STORE_ID_LEN + ulen + 5;
}

struct rput {
	const uint8_t *id;
	const lc_store_receipt *recs;
	size_t n;
	const uint32_t *state;
};

static int put_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	struct rput *a = arg;
	uint8_t key[MSGKEY_LEN];
	int rv = lc_msg_find(s, txn, a->id, key);

	if (rv != 0)
		return rv;
	for (size_t i = 0; i < a->n; i++) {
		uint8_t kb[RKEY_MAX], vb[RCPTREC_MAX];
		size_t ulen = strlen(a->recs[i].user_id);
		MDB_val k = { 0, kb }, v = { 0, vb };

		k.mv_size = rkey(kb, a->id, a->recs[i].user_id, ulen,
				 a->recs[i].device_id);
		v.mv_size = lc_rcptrec_encode(&a->recs[i], vb);
		if ((rv = lc_store_err(mdb_put(txn, s->db_rcpt, &k, &v, 0))))
			return rv;
	}
	if (a->state)
		rv = lc_msg_set_state(s, txn, a->id, *a->state);
	return rv;
}

int lc_store_receipts_put(lc_store *s, const uint8_t id[LC_STORE_ID_LEN],
			  const lc_store_receipt *recs, size_t n,
			  const uint32_t *msg_state)
{
	struct rput a = { id, recs, n, msg_state };

	if (s == NULL || id == NULL || (n && recs == NULL))
		return LC_ERR_INVALID_ARG;
	for (size_t i = 0; i < n; i++) {
		size_t len;

		if (memchr(recs[i].user_id, 0, sizeof recs[i].user_id) == NULL ||
		    !lc_store_name_ok(recs[i].user_id, &len) || len == 0)
			return LC_ERR_INVALID_ARG;
	}
	return lc_store_write(s, put_fn, &a);
}

struct rdel {
	const uint8_t *id;
	const char *user;
	size_t ulen;
	uint32_t dev;
};

static int del_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	struct rdel *a = arg;
	uint8_t kb[RKEY_MAX];
	MDB_val k = { 0, kb };

	k.mv_size = rkey(kb, a->id, a->user, a->ulen, a->dev);
	return lc_store_err(mdb_del(txn, s->db_rcpt, &k, NULL));
}

int lc_store_receipt_delete(lc_store *s, const uint8_t id[LC_STORE_ID_LEN],
			    const char *user_id, uint32_t device_id)
{
	struct rdel a = { id, user_id, 0, device_id };

	if (s == NULL || id == NULL || !lc_store_name_ok(user_id, &a.ulen) ||
	    a.ulen == 0)
		return LC_ERR_INVALID_ARG;
	return lc_store_write(s, del_fn, &a);
}

/* Walk the records of message id; fn is called with each key and value. */
static int walk(lc_store *s, MDB_txn *txn, const uint8_t *id,
		int (*fn)(MDB_cursor *, MDB_val *, MDB_val *, void *),
		void *arg)
{
	MDB_cursor *c;
	MDB_val k = { LC_STORE_ID_LEN, (void *)id }, v;
	int rc = mdb_cursor_open(txn, s->db_rcpt, &c), rv = 0;

	if (rc != 0)
		return lc_store_err(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < LC_STORE_ID_LEN ||
		    memcmp(k.mv_data, id, LC_STORE_ID_LEN) != 0)
			break;
		if ((rv = fn(c, &k, &v, arg)) != 0)
			break;
	}
	mdb_cursor_close(c);
	if (rv == 0 && rc != 0 && rc != MDB_NOTFOUND)
		rv = lc_store_err(rc);
	return rv;
}

static int del_one(MDB_cursor *c, MDB_val *k, MDB_val *v, void *arg)
{
	(void)k;
	(void)v;
	(void)arg;
	return lc_store_err(mdb_cursor_del(c, 0));
}

int lc_rcpt_remove_all(lc_store *s, MDB_txn *txn,
		       const uint8_t id[LC_STORE_ID_LEN])
{
	return walk(s, txn, id, del_one, NULL);
}

struct rget {
	lc_store_receipt *out;
	size_t cap, count;
};

static int get_one(MDB_cursor *c, MDB_val *k, MDB_val *v, void *arg)
{
	struct rget *a = arg;
	const uint8_t *kb = k->mv_data;
	size_t ulen;
	lc_store_receipt r;

	(void)c;
	if (k->mv_size < LC_STORE_ID_LEN + 6 ||
	    k->mv_size > LC_STORE_ID_LEN + LC_STORE_NAME_MAX + 5)
		return LC_ERR_STORE_CORRUPT;
	ulen = k->mv_size - LC_STORE_ID_LEN - 5;
	if (kb[LC_STORE_ID_LEN + ulen] != 0 ||
	    memchr(kb + LC_STORE_ID_LEN, 0, ulen) != NULL ||
	    !lc_utf8_valid(kb + LC_STORE_ID_LEN, ulen) ||
	    lc_rcptrec_decode(v->mv_data, v->mv_size, &r) != 0)
		return LC_ERR_STORE_CORRUPT;
	if (a->count < a->cap) {
		memcpy(r.user_id, kb + LC_STORE_ID_LEN, ulen);
		r.user_id[ulen] = 0;
		r.device_id = lc_get_be32(kb + LC_STORE_ID_LEN + ulen + 1);
		a->out[a->count] = r;
	}
	a->count++;
	return 0;
}

int lc_store_receipts_get(lc_store *s, const uint8_t id[LC_STORE_ID_LEN],
			  lc_store_receipt *out, size_t cap, size_t *count)
{
	struct rget a = { out, cap, 0 };
	MDB_txn *txn;
	int rv;

	if (s == NULL || id == NULL || count == NULL || (cap && out == NULL))
		return LC_ERR_INVALID_ARG;
	*count = 0;
	if ((rv = lc_store_read_begin(s, &txn)) != 0)
		return rv;
	rv = walk(s, txn, id, get_one, &a);
	lc_store_read_end(s, txn);
	if (rv != 0)
		return rv;
	*count = a.count;
	return a.count > cap ? LC_ERR_BUFFER_TOO_SMALL : 0;
}
