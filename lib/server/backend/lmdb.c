/* The LMDB backend: one environment in one directory, one named database
 * per table, one write transaction open from the first call of an
 * event-loop turn until commit(). */
#include <errno.h>
#include <string.h>

#include <lmdb.h>

#include <libchat/error.h>

#include "alloc.h"
#include "backend.h"

static const char *const table_names[LC_T_COUNT] = {
	"users", "idents", "devices", "tokens", "otks", "queue", "dedupe",
	"dedupe_exp", "groups", "members", "contacts", "lastseen",
	"throttle", "media", "qseq", "addrlimit",
};

struct lmdb_backend {
	lc_allocator mem;
	MDB_env *env;
	MDB_txn *txn;     /* the innermost open write transaction, or NULL */
	MDB_txn *top;     /* the outer transaction while a savepoint is open */
	MDB_dbi dbi[LC_T_COUNT];
	size_t max_key;
};

static int map_err(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return LC_ERR_NOT_FOUND;
	case MDB_KEYEXIST:
		return LC_ERR_EXISTS;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return LC_ERR_STORE_FULL;
	case MDB_READERS_FULL:
		return LC_ERR_STORE_BUSY;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
		return LC_ERR_STORE_CORRUPT;
	case MDB_VERSION_MISMATCH:
		return LC_ERR_STORE_VERSION;
	case ENOMEM:
		return LC_ERR_NOMEM;
	default:
		return LC_ERR_IO;
	}
}

static int txn(struct lmdb_backend *b)
{
	if (b->txn)
		return 0;
	return map_err(mdb_txn_begin(b->env, NULL, 0, &b->txn));
}

static int check(struct lmdb_backend *b, int table, lc_slice key)
{
	if (table < 0 || table >= LC_T_COUNT || key.n > b->max_key)
		return LC_ERR_INVALID_ARG;
	return txn(b);
}

static int be_get(void *h, int table, lc_slice key, lc_slice *val)
{
	struct lmdb_backend *b = h;
	MDB_val k = { key.n, (void *)key.p }, v;
	int rc = check(b, table, key);

	if (rc == 0 && key.n == 0)
		return LC_ERR_NOT_FOUND;
	if (rc)
		return rc;
	rc = map_err(mdb_get(b->txn, b->dbi[table], &k, &v));
	if (rc == 0)
		*val = lc_sl(v.mv_data, v.mv_size);
	return rc;
}

static int be_put(void *h, int table, lc_slice key, lc_slice val,
		  unsigned flags)
{
	struct lmdb_backend *b = h;
	MDB_val k = { key.n, (void *)key.p }, v = { val.n, (void *)val.p };
	int rc = check(b, table, key);

	if (rc == 0 && key.n == 0)
		return LC_ERR_INVALID_ARG;
	if (rc)
		return rc;
	return map_err(mdb_put(b->txn, b->dbi[table], &k, &v,
			       (flags & LC_BACKEND_NOOVERWRITE) ?
			       MDB_NOOVERWRITE : 0));
}

static int be_del(void *h, int table, lc_slice key)
{
	struct lmdb_backend *b = h;
	MDB_val k = { key.n, (void *)key.p };
	int rc = check(b, table, key);

	if (rc == 0 && key.n == 0)
		return LC_ERR_NOT_FOUND;
	if (rc)
		return rc;
	return map_err(mdb_del(b->txn, b->dbi[table], &k, NULL));
}

static int has_prefix(const MDB_val *k, lc_slice prefix)
{
	return prefix.n == 0 || (k->mv_size >= prefix.n &&
				 memcmp(k->mv_data, prefix.p, prefix.n) == 0);
}

/* Position c on the first key >= start, stepping past an exact match of
 * `after` when skip is set. */
static int seek(MDB_cursor *c, MDB_val *k, MDB_val *v, int skip)
{
	MDB_val want = *k;
	int rc = mdb_cursor_get(c, k, v, MDB_SET_RANGE);

	if (rc == 0 && skip && k->mv_size == want.mv_size &&
	    memcmp(k->mv_data, want.mv_data, want.mv_size) == 0)
		rc = mdb_cursor_get(c, k, v, MDB_NEXT);
	return rc;
}

static int be_next(void *h, int table, lc_slice prefix, lc_slice after,
		   lc_slice *key, lc_slice *val)
{
	struct lmdb_backend *b = h;
	MDB_cursor *c;
	MDB_val k, v;
	int rc = check(b, table, prefix), skip = after.n > 0;

	if (rc == 0 && after.n > b->max_key)
		rc = LC_ERR_INVALID_ARG;
	if (rc)
		return rc;
	if (after.n == 0)
		after = prefix; /* callers pass an `after` under the prefix */
	rc = mdb_cursor_open(b->txn, b->dbi[table], &c);
	if (rc)
		return map_err(rc);
	k.mv_size = after.n;
	k.mv_data = (void *)after.p;
	if (k.mv_size == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	else
		rc = seek(c, &k, &v, skip);
	if (rc == 0 && !has_prefix(&k, prefix))
		rc = MDB_NOTFOUND;
	mdb_cursor_close(c);
	if (rc)
		return map_err(rc);
	*key = lc_sl(k.mv_data, k.mv_size);
	*val = lc_sl(v.mv_data, v.mv_size);
	return 0;
}

/* The last key with the prefix: seek just past every key that starts
 * with it (the prefix followed by 0xff... bytes), then step back. */
static int be_last(void *h, int table, lc_slice prefix, lc_slice *key,
		   lc_slice *val)
{
	struct lmdb_backend *b = h;
	uint8_t end[512];
	MDB_cursor *c;
	MDB_val k, v;
	int rc = check(b, table, prefix);

	if (rc)
		return rc;
	if (prefix.n >= b->max_key || prefix.n >= sizeof end)
		return LC_ERR_INVALID_ARG;
	memcpy(end, prefix.p, prefix.n);
	memset(end + prefix.n, 0xff, b->max_key - prefix.n);
	rc = mdb_cursor_open(b->txn, b->dbi[table], &c);
	if (rc)
		return map_err(rc);
	k.mv_size = b->max_key;
	k.mv_data = end;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && !has_prefix(&k, prefix))
		rc = MDB_NOTFOUND;
	mdb_cursor_close(c);
	if (rc)
		return map_err(rc);
	*key = lc_sl(k.mv_data, k.mv_size);
	*val = lc_sl(v.mv_data, v.mv_size);
	return 0;
}

static int be_savepoint(void *h)
{
	struct lmdb_backend *b = h;
	MDB_txn *child;
	int rc = txn(b);

	if (rc)
		return rc;
	if (b->top)
		return LC_ERR_INVALID_STATE;
	rc = mdb_txn_begin(b->env, b->txn, 0, &child);
	if (rc)
		return map_err(rc);
	b->top = b->txn;
	b->txn = child;
	return 0;
}

static int be_release(void *h)
{
	struct lmdb_backend *b = h;
	int rc;

	if (b->top == NULL)
		return LC_ERR_INVALID_STATE;
	rc = mdb_txn_commit(b->txn);
	b->txn = b->top;
	b->top = NULL;
	return map_err(rc);
}

static void be_rollback(void *h)
{
	struct lmdb_backend *b = h;

	if (b->top == NULL)
		return;
	mdb_txn_abort(b->txn);
	b->txn = b->top;
	b->top = NULL;
}

static int be_commit(void *h)
{
	struct lmdb_backend *b = h;
	int rc;

	be_rollback(b); /* an unreleased savepoint never reaches the disk */
	if (b->txn == NULL)
		return 0;
	rc = mdb_txn_commit(b->txn);
	b->txn = NULL;
	return map_err(rc);
}

static void be_abort(void *h)
{
	struct lmdb_backend *b = h;

	be_rollback(b);
	if (b->txn)
		mdb_txn_abort(b->txn);
	b->txn = NULL;
}

static void be_close(void *h)
{
	struct lmdb_backend *b = h;

	if (b == NULL)
		return;
	be_abort(b);
	if (b->env)
		mdb_env_close(b->env);
	lc_free(&b->mem, b);
}

/* mdb_stat() is O(1): the entry count is kept in the database's root.
 * MDB_NOTLS lets a read-only snapshot coexist with nothing else open. */
static int be_count(void *h, int table, uint64_t *n)
{
	struct lmdb_backend *b = h;
	MDB_txn *t = b->txn;
	MDB_stat st;
	int rc;

	if (table < 0 || table >= LC_T_COUNT || n == NULL)
		return LC_ERR_INVALID_ARG;
	if (t == NULL && (rc = mdb_txn_begin(b->env, NULL, MDB_RDONLY, &t)))
		return map_err(rc);
	rc = mdb_stat(t, b->dbi[table], &st);
	if (b->txn == NULL)
		mdb_txn_abort(t);
	if (rc == 0)
		*n = (uint64_t)st.ms_entries;
	return map_err(rc);
}

static const lc_backend_ops lmdb_ops = {
	be_get, be_put, be_del, be_next, be_last, be_savepoint, be_release,
	be_rollback, be_commit, be_abort, be_close, be_count,
};

static int open_tables(struct lmdb_backend *b)
{
	MDB_txn *t;
	int rc = mdb_txn_begin(b->env, NULL, 0, &t);

	for (int i = 0; rc == 0 && i < LC_T_COUNT; i++)
		rc = mdb_dbi_open(t, table_names[i], MDB_CREATE, &b->dbi[i]);
	if (rc) {
		if (t)
			mdb_txn_abort(t);
		return map_err(rc);
	}
	return map_err(mdb_txn_commit(t));
}

int lc_backend_lmdb_open(lc_backend *out, const char *dir, uint64_t map_size,
			 const lc_allocator *mem)
{
	lc_allocator a;
	struct lmdb_backend *b;
	int rc;

	if (out == NULL || dir == NULL || lc_alloc_init(&a, mem))
		return LC_ERR_INVALID_ARG;
	b = lc_calloc(&a, 1, sizeof *b);
	if (b == NULL)
		return LC_ERR_NOMEM;
	b->mem = a;
	rc = mdb_env_create(&b->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(b->env, LC_T_COUNT);
	if (rc == 0)
		rc = mdb_env_set_mapsize(b->env, map_size ? (size_t)map_size :
					 (size_t)1 << 30);
	if (rc == 0)
		rc = mdb_env_open(b->env, dir, MDB_NOTLS, 0600);
	rc = map_err(rc);
	if (rc == 0) {
		b->max_key = (size_t)mdb_env_get_maxkeysize(b->env);
		rc = open_tables(b);
	}
	if (rc) {
		be_close(b);
		return rc;
	}
	out->ops = &lmdb_ops;
	out->h = b;
	return 0;
}
