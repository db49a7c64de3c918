/* Opening and closing the LMDB environment, error mapping, and the write
 * transaction runner that grows the map when it fills. */
#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "store_int.h"



int lc_store_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return LC_ERR_NOT_FOUND;
	case MDB_KEYEXIST:
		return LC_ERR_EXISTS;
	case MDB_MAP_FULL:
		return LC_STORE_EGROW;
	case MDB_TXN_FULL:
	case ENOSPC:
		return LC_ERR_STORE_FULL;
	case MDB_READERS_FULL:
	case MDB_TLS_FULL:
	case EAGAIN:
	case EBUSY:
		return LC_ERR_STORE_BUSY;
	case MDB_VERSION_MISMATCH:
		return LC_ERR_STORE_VERSION;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_INCOMPATIBLE:
	case MDB_BAD_VALSIZE:
		return LC_ERR_STORE_CORRUPT;
	case ENOMEM:
		return LC_ERR_NOMEM;
	default:
		return LC_ERR_IO;
	}
}

/* Drop the kept read transaction (before the map changes, and on
 * close). */
void lc_store_read_drop(lc_store *s)
{
	if (s->rcur != NULL) {
		mdb_cursor_close(s->rcur);
		s->rcur = NULL;
	}
	if (s->rtxn != NULL) {
		mdb_txn_abort(s->rtxn);
		s->rtxn = NULL;
	}
}

static int grow(lc_store *s)
{
	uint64_t n = s->map_size * 2;

	lc_store_read_drop(s);
	if (s->map_size >= s->max_size)
		return LC_ERR_STORE_FULL;
	if (n > s->max_size)
		n = s->max_size;
	if (mdb_env_set_mapsize(s->env, (size_t)n) != 0)
		return LC_ERR_STORE_FULL;
	s->map_size = n;
	return 0;
}

static int txn_begin(lc_store *s, unsigned flags, MDB_txn **txn)
{
	int rc = mdb_txn_begin(s->env, NULL, flags, txn);

	if (rc == MDB_MAP_RESIZED) {
		/* Another process grew the map: adopt its size. */
		MDB_envinfo info;

		lc_store_read_drop(s);
		if (mdb_env_set_mapsize(s->env, 0) != 0)
			return LC_ERR_IO;
		mdb_env_info(s->env, &info);
		s->map_size = info.me_mapsize;
		rc = mdb_txn_begin(s->env, NULL, flags, txn);
	}
	return rc == 0 ? 0 : lc_store_err(rc);
}

/* Read transactions are renewed from the one kept by the last read
 * (mdb_txn_reset keeps its reader slot): no allocation and no reader
 * table search per call. */
int lc_store_read_begin(lc_store *s, MDB_txn **txn)
{
	if (s->rtxn != NULL) {
		MDB_txn *t = s->rtxn;

		s->rtxn = NULL;
		if (mdb_txn_renew(t) == 0) {
			*txn = t;
			return 0;
		}
		mdb_txn_abort(t);
	}
	return txn_begin(s, MDB_RDONLY, txn);
}

void lc_store_read_end(lc_store *s, MDB_txn *txn)
{
	if (s->rtxn == NULL) {
		mdb_txn_reset(txn);
		s->rtxn = txn;
	} else {
		mdb_txn_abort(txn);
	}
}

/* Read-only cursors outlive their transaction until closed, and
 * mdb_cursor_renew rebinds one without allocating. */
int lc_store_read_cursor(lc_store *s, MDB_txn *txn, MDB_cursor **cur)
{
	int rc;

	if (s->rcur != NULL) {
		MDB_cursor *c = s->rcur;

		s->rcur = NULL;
		if (mdb_cursor_renew(txn, c) == 0) {
			*cur = c;
			return 0;
		}
		mdb_cursor_close(c);
	}
	rc = mdb_cursor_open(txn, s->db_msg, cur);
	return rc == 0 ? 0 : lc_store_err(rc);
}

void lc_store_read_cursor_end(lc_store *s, MDB_cursor *cur)
{
	if (s->rcur == NULL)
		s->rcur = cur;
	else
		mdb_cursor_close(cur);
}

static int counters_load(lc_store *s, MDB_txn *txn)
{
	MDB_val k = { 8, "counters" }, v;
	/* Opening: the sub-databases are not open yet (handles opened by an
	 * aborted opening transaction are not valid either). */
	int rc = s->opened ? mdb_get(txn, s->db_meta, &k, &v) : MDB_NOTFOUND;
	uint64_t a, b;
	size_t pos = 1;

	s->counters_dirty = 0;
	if (rc == MDB_NOTFOUND) {
		s->next_msgnum = 1;
		s->next_chatnum = 1;
		return 0;
	}
	if (rc != 0)
		return lc_store_err(rc);
	if (v.mv_size < 1 || ((uint8_t *)v.mv_data)[0] != REC_V1 ||
	    lc_varint_get(v.mv_data, v.mv_size, &pos, &a) ||
	    lc_varint_get(v.mv_data, v.mv_size, &pos, &b) ||
	    pos != v.mv_size || a > UINT32_MAX || b > UINT32_MAX ||
	    a == 0 || b == 0)
		return LC_ERR_STORE_CORRUPT;
	s->next_msgnum = (uint32_t)a;
	s->next_chatnum = (uint32_t)b;
	return 0;
}

static int counters_save(lc_store *s, MDB_txn *txn)
{
	uint8_t buf[1 + 20];
	size_t n = 1;
	MDB_val k = { 8, "counters" }, v;

	if (!s->counters_dirty)
		return 0;
	buf[0] = REC_V1;
	n += lc_varint_put(buf + n, s->next_msgnum);
	n += lc_varint_put(buf + n, s->next_chatnum);
	v.mv_size = n;
	v.mv_data = buf;
	return lc_store_err(mdb_put(txn, s->db_meta, &k, &v, 0));
}

int lc_store_write(lc_store *s, lc_store_wfn fn, void *arg)
{
	for (;;) {
		MDB_txn *txn;
		int rv = txn_begin(s, 0, &txn);

		if (rv != 0)
			return rv;
		/* Nothing deferred by an aborted attempt carries over. */
		s->npend = 0;
		s->deferring = 0;
		rv = counters_load(s, txn);
		if (rv == 0)
			rv = fn(s, txn, arg);
		if (rv >= 0) {
			int r2 = counters_save(s, txn);

			if (r2 == 0)
				r2 = lc_store_err(mdb_txn_commit(txn));
			else
				mdb_txn_abort(txn);
			if (r2 == 0)
				return rv;
			rv = r2;
		} else {
			mdb_txn_abort(txn);
		}
		if (rv != LC_STORE_EGROW)
			return rv;
		if ((rv = grow(s)) != 0)
			return rv;
	}
}

int lc_store_scratch(lc_store *s, size_t n, uint8_t **out)
{
	if (n > s->buf_cap) {
		size_t cap = n < 4096 ? 4096 : n;
		uint8_t *p = lc_realloc(&s->mem, s->buf, cap);

		if (p == NULL)
			return LC_ERR_NOMEM;
		s->buf = p;
		s->buf_cap = cap;
	}
	*out = s->buf;
	return 0;
}
