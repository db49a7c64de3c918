/* lc_store_open / lc_store_close: the environment, its sub-databases, the
 * schema version and the at-rest key check. */
#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "store_int.h"

#define KDF_CTX "lcstore1"
#define CHECK_PLAIN "libchat store key check v1"
#define MAP_INITIAL ((uint64_t)4 << 20)
#define MAP_INITIAL_SIZE(max) ((max) < MAP_INITIAL ? (max) : MAP_INITIAL)

void lc_store_options_init(lc_store_options *o)
{
	if (o == NULL)
		return;
	memset(o, 0, sizeof *o);
	o->struct_version = LC_STORE_OPTIONS_VERSION;
	o->sync = LC_STORE_SYNC_FULL;
}

static uint64_t default_max(void)
{
	return SIZE_MAX > 0xffffffffu ? (uint64_t)64 << 30 : (uint64_t)1 << 30;
}

static int open_dbis(lc_store *s, MDB_txn *txn)
{
	static const char *const blob_names[4] = {
		"session", "senderkey", "prekey", "local"
	};
	struct { const char *name; MDB_dbi *dbi; unsigned flags; } t[] = {
		{ "meta", &s->db_meta, 0 },
		{ "msg", &s->db_msg, 0 },
		{ "msgid", &s->db_idx, 0 },
		{ "chat", &s->db_chat, 0 },
		{ "chatname", &s->db_chatname, 0 },
		{ "activity", &s->db_act, 0 },
		{ "receipt", &s->db_rcpt, 0 },
		{ "outbox", &s->db_outbox, 0 },
		{ "identity", &s->db_ident, 0 },
		{ "pblock", &s->db_pblk, 0 },
		{ "plog", &s->db_plog, 0 },
	};
	int rc;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		rc = mdb_dbi_open(txn, t[i].name, MDB_CREATE | t[i].flags,
				  t[i].dbi);
		if (rc != 0)
			return lc_store_err(rc);
	}
	for (int i = 0; i < 4; i++) {
		rc = mdb_dbi_open(txn, blob_names[i], MDB_CREATE,
				  &s->db_blob[i]);
		if (rc != 0)
			return lc_store_err(rc);
	}
	return 0;
}

static int put_version(lc_store *s, MDB_txn *txn)
{
	MDB_val k = { 7, "version" }, v;
	uint8_t buf[4];

	lc_be32(buf, LC_STORE_SCHEMA_VERSION);
	v.mv_size = 4;
	v.mv_data = buf;
	return lc_store_err(mdb_put(txn, s->db_meta, &k, &v, 0));
}

/* Schema version: refuse newer, write it on a new store; *ver is the
 * version found (the current one for a new store). Older versions are
 * migrated once the key is checked (setup()). */
static int check_version(lc_store *s, MDB_txn *txn, uint32_t *ver)
{
	MDB_val k = { 7, "version" }, v;
	int rc = mdb_get(txn, s->db_meta, &k, &v);

	*ver = LC_STORE_SCHEMA_VERSION;
	if (rc == MDB_NOTFOUND)
		return put_version(s, txn);
	if (rc != 0)
		return lc_store_err(rc);
	if (v.mv_size != 4)
		return LC_ERR_STORE_CORRUPT;
	*ver = lc_get_be32(v.mv_data);
	if (*ver > LC_STORE_SCHEMA_VERSION)
		return LC_ERR_STORE_VERSION;
	return *ver < 1 ? LC_ERR_STORE_CORRUPT : 0;
}

static int check_key(lc_store *s, MDB_txn *txn)
{
	MDB_val k = { 5, "check" }, v;
	int rc = mdb_get(txn, s->db_meta, &k, &v);
	uint8_t *pt;
	size_t n;

	if (rc != 0 && rc != MDB_NOTFOUND)
		return lc_store_err(rc);
	if (rc == MDB_NOTFOUND) {
		MDB_cursor *c;
		MDB_val k2, v2;
		int empty;
		uint8_t *rec;

		if (!s->sealed)
			return 0;
		/* Sealing is chosen when the store is created. */
		if ((rc = mdb_cursor_open(txn, s->db_msg, &c)) != 0)
			return lc_store_err(rc);
		empty = mdb_cursor_get(c, &k2, &v2, MDB_FIRST) == MDB_NOTFOUND;
		mdb_cursor_close(c);
		if (!empty)
			return LC_ERR_STORE_KEY;
		rc = lc_seal(s, REC_V1, k.mv_data, k.mv_size,
			     (const uint8_t *)CHECK_PLAIN,
			     sizeof CHECK_PLAIN - 1, &rec, &n);
		if (rc != 0)
			return rc;
		v.mv_data = rec;
		v.mv_size = n;
		rc = mdb_put(txn, s->db_meta, &k, &v, 0);
		lc_free(&s->mem, rec);
		return lc_store_err(rc);
	}
	if (!s->sealed)
		return LC_ERR_STORE_KEY;
	rc = lc_unseal(s, k.mv_data, k.mv_size, v.mv_data, v.mv_size, &pt, &n);
	if (rc == LC_ERR_STORE_CORRUPT)
		return LC_ERR_STORE_KEY;
	if (rc != 0)
		return rc;
	rc = n == sizeof CHECK_PLAIN - 1 &&
	     memcmp(pt, CHECK_PLAIN, n) == 0 ? 0 : LC_ERR_STORE_KEY;
	lc_unseal_free(s, pt, n);
	return rc;
}

static int setup(lc_store *s, void *unused, MDB_txn *txn)
{
	uint32_t ver;
	int rv;

	(void)unused;
	if ((rv = open_dbis(s, txn)) != 0)
		return rv;
	if ((rv = check_version(s, txn, &ver)) != 0)
		return rv;
	if ((rv = check_key(s, txn)) != 0 || ver == LC_STORE_SCHEMA_VERSION)
		return rv;
	for (; ver < LC_STORE_SCHEMA_VERSION && rv == 0; ver++)
		rv = lc_store_migrate(s, txn, ver);
	return rv == 0 ? put_version(s, txn) : rv;
}

static int setup_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	return setup(s, arg, txn);
}

static int env_open(lc_store *s, const char *dir, lc_store_sync_mode sync)
{
	unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
	MDB_envinfo info;
	int rc;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return LC_ERR_IO;
	if (sync == LC_STORE_SYNC_META)
		flags |= MDB_NOMETASYNC;
	else if (sync == LC_STORE_SYNC_NONE)
		flags |= MDB_NOSYNC;
	if ((rc = mdb_env_create(&s->env)) != 0)
		return lc_store_err(rc);
	s->map_size = MAP_INITIAL_SIZE(s->max_size);
	if ((rc = mdb_env_set_maxdbs(s->env, 20)) != 0 ||
	    (rc = mdb_env_set_mapsize(s->env, (size_t)s->map_size)) != 0)
		return lc_store_err(rc);
	rc = mdb_env_open(s->env, dir, flags, 0600);
	if (rc != 0)
		return rc == ENOENT || rc == EACCES ? LC_ERR_IO
						     : lc_store_err(rc);
	mdb_env_info(s->env, &info);
	s->map_size = info.me_mapsize;
	if (s->map_size > s->max_size)
		return LC_ERR_STORE_FULL;
	return 0;
}

static int derive_keys(lc_store *s, const uint8_t *key)
{
	s->keys = sodium_malloc(64);
	if (s->keys == NULL)
		return LC_ERR_NOMEM;
	crypto_kdf_derive_from_key(s->keys, 32, 1, KDF_CTX, key);
	crypto_kdf_derive_from_key(s->keys + 32, 32, 2, KDF_CTX, key);
	s->sealed = 1;
	return 0;
}

int lc_store_open(lc_store **out, const char *dir, const uint8_t *key,
		  const lc_store_options *opts)
{
	lc_store_options def;
	lc_allocator mem;
	lc_store *s;
	int rv;

	lc_store_options_init(&def);
	if (opts == NULL)
		opts = &def;
	if (out == NULL || dir == NULL ||
	    opts->struct_version != LC_STORE_OPTIONS_VERSION ||
	    (unsigned)opts->sync > LC_STORE_SYNC_NONE ||
	    (opts->rng != NULL && opts->rng->fill == NULL) ||
	    lc_alloc_init(&mem, opts->mem) != 0)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if (sodium_init() < 0)
		return LC_ERR_INIT;
	s = lc_calloc(&mem, 1, sizeof *s);
	if (s == NULL)
		return LC_ERR_NOMEM;
	s->mem = mem;
	if (opts->rng) {
		s->rng = *opts->rng;
		s->has_rng = 1;
	}
	s->max_size = opts->max_size ? opts->max_size : default_max();
	if (key != NULL && (rv = derive_keys(s, key)) != 0)
		goto fail;
	if ((rv = env_open(s, dir, opts->sync)) != 0)
		goto fail;
	if ((rv = lc_store_write(s, setup_fn, NULL)) != 0)
		goto fail;
	s->opened = 1;
	*out = s;
	return 0;
fail:
	lc_store_close(s);
	return rv;
}

void lc_store_close(lc_store *s)
{
	if (s == NULL)
		return;
	lc_store_read_drop(s);
	if (s->env)
		mdb_env_close(s->env);
	if (s->keys)
		sodium_free(s->keys);
	if (s->buf) {
		sodium_memzero(s->buf, s->buf_cap);
		lc_free(&s->mem, s->buf);
	}
	if (s->pend) {
		sodium_memzero(s->pend, s->pend_cap * sizeof *s->pend);
		lc_free(&s->mem, s->pend);
	}
	if (s->terms) {
		sodium_memzero(s->terms, s->terms_cap * TERM_SLOT);
		lc_free(&s->mem, s->terms);
	}
	lc_free(&s->mem, s);
}

int lc_store_sync(lc_store *s)
{
	if (s == NULL)
		return LC_ERR_INVALID_ARG;
	return mdb_env_sync(s->env, 1) == 0 ? 0 : LC_ERR_IO;
}

int lc_store_is_sealed(const lc_store *s)
{
	return s != NULL && s->sealed;
}

size_t lc_store_key_len(void) { return LC_STORE_KEY_LEN; }
size_t lc_store_id_len(void) { return LC_STORE_ID_LEN; }
size_t lc_store_name_max(void) { return LC_STORE_NAME_MAX; }
size_t lc_store_text_max(void) { return LC_STORE_TEXT_MAX; }
size_t lc_store_data_max(void) { return LC_STORE_DATA_MAX; }
size_t lc_store_blob_max(void) { return LC_STORE_BLOB_MAX; }
size_t lc_store_page_max(void) { return LC_STORE_PAGE_MAX; }
unsigned lc_store_schema_version(void) { return LC_STORE_SCHEMA_VERSION; }
