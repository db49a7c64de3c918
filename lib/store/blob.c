/* Key blobs for the cryptography layer (sessions, sender keys, prekeys,
 * local secrets) and contact identities (trust on first use). A blob
 * record is a version byte and the blob, or a sealed record whose
 * associated data is the kind and the name. */
#include <sodium.h>
#include <string.h>

#include "store_int.h"

struct blob_args {
	lc_store_blob_kind kind;
	const uint8_t *name;
	size_t name_len;
	const uint8_t *blob;
	size_t blob_len;
};

static int kind_ok(lc_store_blob_kind k)
{
	return k >= LC_STORE_BLOB_SESSION && k <= LC_STORE_BLOB_LOCAL;
}

static void blob_ad(uint8_t *ad, const struct blob_args *a)
{
	ad[0] = (uint8_t)a->kind;
	memcpy(ad + 1, a->name, a->name_len);
}

static int put_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	struct blob_args *a = arg;
	MDB_val k = { a->name_len, (void *)a->name }, v;
	uint8_t ad[1 + LC_STORE_BLOB_NAME_MAX], *rec = NULL, *buf;
	int rv;

	if ((rv = lc_store_scratch(s, a->blob_len + 1, &buf)) != 0)
		return rv;
	buf[0] = REC_V1;
	if (a->blob_len)
		memcpy(buf + 1, a->blob, a->blob_len);
	v.mv_data = buf;
	v.mv_size = a->blob_len + 1;
	if (s->sealed) {
		blob_ad(ad, a);
		rv = lc_seal(s, REC_V1, ad, a->name_len + 1, buf + 1,
			     a->blob_len, &rec, &v.mv_size);
		sodium_memzero(buf, a->blob_len + 1);
		if (rv != 0)
			return rv;
		v.mv_data = rec;
	}
	rv = lc_store_err(mdb_put(txn, s->db_blob[a->kind - 1], &k, &v, 0));
	lc_free(&s->mem, rec);
	if (!s->sealed)
		sodium_memzero(buf, a->blob_len + 1);
	return rv;
}

static int args_ok(lc_store *s, lc_store_blob_kind kind, const uint8_t *name,
		   size_t name_len)
{
	return s != NULL && kind_ok(kind) && name != NULL && name_len > 0 &&
	       name_len <= LC_STORE_BLOB_NAME_MAX;
}

int lc_store_blob_put(lc_store *s, lc_store_blob_kind kind,
		      const uint8_t *name, size_t name_len,
		      const uint8_t *blob, size_t blob_len)
{
	struct blob_args a = { kind, name, name_len, blob, blob_len };

	if (!args_ok(s, kind, name, name_len) ||
	    blob_len > LC_STORE_BLOB_MAX || (blob_len && blob == NULL))
		return LC_ERR_INVALID_ARG;
	return lc_store_write(s, put_fn, &a);
}

static int get_val(lc_store *s, MDB_txn *txn, const struct blob_args *a,
		   uint8_t *out, size_t cap, size_t *len)
{
	MDB_val k = { a->name_len, (void *)a->name }, v;
	uint8_t ad[1 + LC_STORE_BLOB_NAME_MAX], *pt;
	size_t n;
	int rc = mdb_get(txn, s->db_blob[a->kind - 1], &k, &v), rv;
	const uint8_t *p = v.mv_data;

	if (rc != 0)
		return lc_store_err(rc);
	if (v.mv_size < 1 || (p[0] & ~REC_SEALED) != REC_V1 ||
	    !!(p[0] & REC_SEALED) != !!s->sealed)
		return LC_ERR_STORE_CORRUPT;
	if (!s->sealed) {
		*len = v.mv_size - 1;
		if (*len > cap)
			return LC_ERR_BUFFER_TOO_SMALL;
		if (*len)
			memcpy(out, p + 1, *len);
		return 0;
	}
	blob_ad(ad, a);
	rv = lc_unseal(s, ad, a->name_len + 1, p, v.mv_size, &pt, &n);
	if (rv != 0)
		return rv;
	*len = n;
	if (n > cap)
		rv = LC_ERR_BUFFER_TOO_SMALL;
	else if (n)
		memcpy(out, pt, n);
	lc_unseal_free(s, pt, n);
	return rv;
}

int lc_store_blob_get(lc_store *s, lc_store_blob_kind kind,
		      const uint8_t *name, size_t name_len, uint8_t *out,
		      size_t cap, size_t *len)
{
	struct blob_args a = { kind, name, name_len, NULL, 0 };
	MDB_txn *txn;
	int rv;

	if (!args_ok(s, kind, name, name_len) || len == NULL ||
	    (cap && out == NULL))
		return LC_ERR_INVALID_ARG;
	*len = 0;
	if ((rv = lc_store_read_begin(s, &txn)) != 0)
		return rv;
	rv = get_val(s, txn, &a, out, cap, len);
	lc_store_read_end(s, txn);
	return rv;
}

static int del_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	struct blob_args *a = arg;
	MDB_val k = { a->name_len, (void *)a->name };

	return lc_store_err(mdb_del(txn, s->db_blob[a->kind - 1], &k, NULL));
}

int lc_store_blob_delete(lc_store *s, lc_store_blob_kind kind,
			 const uint8_t *name, size_t name_len)
{
	struct blob_args a = { kind, name, name_len, NULL, 0 };

	if (!args_ok(s, kind, name, name_len))
		return LC_ERR_INVALID_ARG;
	return lc_store_write(s, del_fn, &a);
}

/* ------------------------------------------------------------ identities */

struct ident_args {
	const char *user;
	size_t ulen;
	uint32_t dev;
	const uint8_t *key;
	size_t key_len;
	uint64_t now;
};

static size_t ident_key(uint8_t *out, const struct ident_args *a)
{
	memcpy(out, a->user, a->ulen);
	out[a->ulen] = 0;
	lc_be32(out + a->ulen + 1, a->dev);
	return a->ulen + 5;
}

static int save_fn(lc_store *s, MDB_txn *txn, void *arg)
{
	struct ident_args *a = arg;
	uint8_t kb[LC_STORE_NAME_MAX + 5], vb[IDENTREC_MAX];
	MDB_val k = { 0, kb }, v;
	lc_store_identity r;
	int rc, result;

	k.mv_size = ident_key(kb, a);
	rc = mdb_get(txn, s->db_ident, &k, &v);
	if (rc == MDB_NOTFOUND) {
		memset(&r, 0, sizeof r);
		r.first_seen_ms = a->now;
		result = LC_STORE_IDENTITY_NEW;
	} else if (rc != 0) {
		return lc_store_err(rc);
	} else if (lc_identrec_decode(v.mv_data, v.mv_size, &r) != 0) {
		return LC_ERR_STORE_CORRUPT;
	} else if (r.key_len == a->key_len &&
		   memcmp(r.key, a->key, a->key_len) == 0) {
		return LC_STORE_IDENTITY_SAME;
	} else {
		memcpy(r.prev_key, r.key, r.key_len);
		r.prev_key_len = r.key_len;
		r.changed_ms = a->now;
		r.changes++;
		result = LC_STORE_IDENTITY_CHANGED;
	}
	memcpy(r.key, a->key, a->key_len);
	r.key_len = a->key_len;
	v.mv_data = vb;
	v.mv_size = lc_identrec_encode(&r, vb);
	rc = mdb_put(txn, s->db_ident, &k, &v, 0);
	return rc == 0 ? result : lc_store_err(rc);
}

int lc_store_identity_save(lc_store *s, const char *user_id,
			   uint32_t device_id, const uint8_t *key,
			   size_t key_len, uint64_t now_ms)
{
	struct ident_args a = { user_id, 0, device_id, key, key_len, now_ms };

	if (s == NULL || !lc_store_name_ok(user_id, &a.ulen) || a.ulen == 0 ||
	    key == NULL || key_len == 0 || key_len > LC_STORE_IDENTITY_KEY_MAX)
		return LC_ERR_INVALID_ARG;
	return lc_store_write(s, save_fn, &a);
}

int lc_store_identity_get(lc_store *s, const char *user_id,
			  uint32_t device_id, lc_store_identity *out)
{
	struct ident_args a = { user_id, 0, device_id, NULL, 0, 0 };
	uint8_t kb[LC_STORE_NAME_MAX + 5];
	MDB_val k = { 0, kb }, v;
	MDB_txn *txn;
	int rv;

	if (s == NULL || out == NULL || !lc_store_name_ok(user_id, &a.ulen) ||
	    a.ulen == 0)
		return LC_ERR_INVALID_ARG;
	k.mv_size = ident_key(kb, &a);
	if ((rv = lc_store_read_begin(s, &txn)) != 0)
		return rv;
	rv = lc_store_err(mdb_get(txn, s->db_ident, &k, &v));
	if (rv == 0)
		rv = lc_identrec_decode(v.mv_data, v.mv_size, out);
	lc_store_read_end(s, txn);
	return rv;
}
