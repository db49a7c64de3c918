/* Device keys: identity key (set once), signed prekey (replaced), the
 * one-time prekey pool (appended; each handed out once). */
#include <string.h>

#include "records.h"
#include "server_int.h"

static size_t otk_key(uint8_t *k, const char *uid, uint32_t dev, uint32_t id)
{
	lc_wb w;

	wb_init(&w, k, LC_QKEY_MAX);
	w.n = lc_st_dev_key(k, uid, dev);
	wb_u32(&w, id);
	return w.n;
}

/* The pool size, counted up to limit. */
static int otk_count(lc_server *s, const char *uid, uint32_t dev,
		     size_t limit, size_t *n)
{
	uint8_t prefix[LC_QKEY_MAX], after[LC_QKEY_MAX];
	size_t plen = lc_st_dev_key(prefix, uid, dev), alen = 0;
	lc_slice k, v;
	int rc;

	*n = 0;
	while (*n < limit &&
	       (rc = s->be.ops->next(s->be.h, LC_T_OTKS, lc_sl(prefix, plen),
				     lc_sl(after, alen), &k, &v)) == 0) {
		(*n)++;
		memcpy(after, k.p, k.n);
		alen = k.n;
	}
	return *n == limit || rc == LC_ERR_NOT_FOUND ? 0 : rc;
}

static int check_upload(const Libchat__KeysUpload *k, const lc_dev_rec *d)
{
	if (k->identity_key.len != 0 && k->identity_key.len != 32)
		return LC_ERR_INVALID_ARG;
	if (k->identity_key.len && d->has_ik &&
	    sodium_memcmp(k->identity_key.data, d->ik, 32) != 0)
		return LC_ERR_FORBIDDEN;
	if (!d->has_ik && k->identity_key.len == 0 &&
	    (k->signed_prekey || k->n_one_time_prekeys))
		return LC_ERR_INVALID_STATE;
	if (k->n_one_time_prekeys > LC_MAX_OTK_UPLOAD)
		return LC_ERR_INVALID_ARG;
	for (size_t i = 0; i < k->n_one_time_prekeys; i++)
		if (k->one_time_prekeys[i] == NULL ||
		    k->one_time_prekeys[i]->public_key.len != 32)
			return LC_ERR_INVALID_ARG;
	if (k->signed_prekey) {
		const Libchat__SignedPrekey *sp = k->signed_prekey;
		const uint8_t *ik = k->identity_key.len ?
				    k->identity_key.data : d->ik;
		if (sp->public_key.len != 32 || sp->signature.len != 64 ||
		    crypto_sign_verify_detached(sp->signature.data,
						sp->public_key.data, 32, ik))
			return LC_ERR_INVALID_ARG;
	}
	return 0;
}

int lc_h_keys_upload(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		     uint64_t now)
{
	const Libchat__KeysUpload *k = e->keys_upload;
	const char *uid = c->user->uid;
	uint8_t key[LC_QKEY_MAX];
	lc_dev_rec d;
	size_t pool;
	int rc = lc_st_dev_get(s, uid, c->dev, &d);

	if (rc == 0)
		rc = check_upload(k, &d);
	if (rc == 0)
		rc = otk_count(s, uid, c->dev, LC_MAX_OTK_POOL, &pool);
	if (rc == 0 && pool + k->n_one_time_prekeys > LC_MAX_OTK_POOL)
		rc = LC_ERR_INVALID_ARG;
	if (rc)
		return rc;
	if (k->identity_key.len) {
		memcpy(d.ik, k->identity_key.data, 32);
		d.has_ik = 1;
	}
	if (k->signed_prekey) {
		d.spk_id = k->signed_prekey->id;
		memcpy(d.spk, k->signed_prekey->public_key.data, 32);
		memcpy(d.spk_sig, k->signed_prekey->signature.data, 64);
		d.has_spk = 1;
	}
	rc = lc_st_dev_put(s, uid, c->dev, &d);
	for (size_t i = 0; rc == 0 && i < k->n_one_time_prekeys; i++) {
		const Libchat__OneTimePrekey *o = k->one_time_prekeys[i];
		rc = s->be.ops->put(s->be.h, LC_T_OTKS,
				    lc_sl(key, otk_key(key, uid, c->dev, o->id)),
				    lc_sl(o->public_key.data, 32), 0);
	}
	return rc ? rc : lc_srv_ack(s, c, e->request_id, NULL, now);
}

static int prekeys_low(lc_server *s, const char *uid, uint32_t dev,
		       size_t remaining)
{
	Libchat__PrekeysLow pl = LIBCHAT__PREKEYS_LOW__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	lc_addr to;

	pl.remaining = (uint32_t)remaining;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PREKEYS_LOW;
	e.prekeys_low = &pl;
	strcpy(to.uid, uid);
	to.dev = dev;
	return lc_st_queue_push(s, &to, &e, NULL, NULL);
}

/* Take (read and delete, in this transaction) the first one-time prekey
 * of a device; tell the owner once the pool falls below the threshold. */
static int otk_take(lc_server *s, const char *uid, uint32_t dev,
		    Libchat__OneTimePrekey *o, uint8_t pub[32], int *got)
{
	uint8_t prefix[LC_QKEY_MAX], key[LC_QKEY_MAX];
	size_t plen = lc_st_dev_key(prefix, uid, dev), left;
	lc_slice k, v;
	int rc = s->be.ops->next(s->be.h, LC_T_OTKS, lc_sl(prefix, plen),
				 lc_sl(NULL, 0), &k, &v);

	*got = 0;
	if (rc == LC_ERR_NOT_FOUND)
		return 0;
	if (rc == 0 && (k.n != plen + 4 || v.n != 32))
		rc = LC_ERR_STORE_CORRUPT;
	if (rc)
		return rc;
	o->id = (uint32_t)k.p[plen] << 24 | (uint32_t)k.p[plen + 1] << 16 |
		(uint32_t)k.p[plen + 2] << 8 | k.p[plen + 3];
	memcpy(pub, v.p, 32);
	memcpy(key, k.p, k.n);
	o->public_key.data = pub;
	o->public_key.len = 32;
	*got = 1;
	rc = s->be.ops->del(s->be.h, LC_T_OTKS, lc_sl(key, plen + 4));
	if (rc == 0)
		rc = otk_count(s, uid, dev, s->cfg.prekey_low, &left);
	if (rc == 0 && left + 1 == s->cfg.prekey_low)
		rc = prekeys_low(s, uid, dev, left);
	return rc;
}

struct bundle {
	Libchat__PrekeyBundle b;
	Libchat__Address addr;
	Libchat__SignedPrekey spk;
	Libchat__OneTimePrekey otk;
	lc_dev_rec d;
	uint8_t otk_pub[32];
};

static int fill_bundle(lc_server *s, const char *uid, uint32_t dev,
		       struct bundle *b, int *ok)
{
	int rc = lc_st_dev_get(s, uid, dev, &b->d), got;

	*ok = 0;
	if (rc || !b->d.has_ik || !b->d.has_spk)
		return rc;
	libchat__prekey_bundle__init(&b->b);
	libchat__address__init(&b->addr);
	libchat__signed_prekey__init(&b->spk);
	libchat__one_time_prekey__init(&b->otk);
	b->addr.user_id = (char *)uid;
	b->addr.device_id = dev;
	b->spk.id = b->d.spk_id;
	b->spk.public_key.data = b->d.spk;
	b->spk.public_key.len = 32;
	b->spk.signature.data = b->d.spk_sig;
	b->spk.signature.len = 64;
	b->b.device = &b->addr;
	b->b.identity_key.data = b->d.ik;
	b->b.identity_key.len = 32;
	b->b.signed_prekey = &b->spk;
	rc = otk_take(s, uid, dev, &b->otk, b->otk_pub, &got);
	b->b.one_time_prekey = got ? &b->otk : NULL;
	*ok = rc == 0;
	return rc;
}

int lc_h_prekey_fetch(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		      uint64_t now)
{
	const Libchat__PrekeyFetch *f = e->prekey_fetch;
	Libchat__Ack ack = LIBCHAT__ACK__INIT;
	Libchat__PrekeyBundles pb = LIBCHAT__PREKEY_BUNDLES__INIT;
	Libchat__PrekeyBundle *ptrs[LC_MAX_DEVICES];
	struct bundle *bs;
	uint32_t ids[LC_MAX_DEVICES];
	size_t n = 0, used = 0;
	int rc;

	if (!lc_valid_uid(f->user_id))
		return LC_ERR_NO_SUCH_USER;
	rc = lc_st_dev_list(s, f->user_id, ids, &n);
	if (rc == 0 && n == 0)
		return LC_ERR_NO_SUCH_USER;
	if (rc == 0 && f->device_id) {
		size_t i;
		for (i = 0; i < n && ids[i] != f->device_id; i++)
			;
		if (i == n)
			return LC_ERR_NO_SUCH_DEVICE;
		ids[0] = f->device_id;
		n = 1;
	}
	if (rc)
		return rc;
	if ((bs = lc_calloc(&s->mem, n, sizeof *bs)) == NULL)
		return LC_ERR_NOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		int ok;
		rc = fill_bundle(s, f->user_id, ids[i], &bs[used], &ok);
		if (ok)
			ptrs[used] = &bs[used].b, used++;
	}
	if (rc == 0 && used == 0)
		rc = LC_ERR_NO_SUCH_DEVICE; /* none published its keys */
	pb.bundles = ptrs;
	pb.n_bundles = used;
	ack.result_case = LIBCHAT__ACK__RESULT_BUNDLES;
	ack.bundles = &pb;
	if (rc == 0)
		rc = lc_srv_ack(s, c, e->request_id, &ack, now);
	sodium_memzero(bs, n * sizeof *bs);
	lc_free(&s->mem, bs);
	return rc;
}
