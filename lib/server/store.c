/* Server records over the backend: users, devices, queue entries. */
#include <string.h>

#include "records.h"
#include "server_int.h"

#define REC_VERSION 1
#define DEV_IK 1u
#define DEV_SPK 2u
#define DEV_TOKEN 4u

static lc_slice uid_key(const char *uid)
{
	return lc_sl(uid, strlen(uid));
}

static int copy_str(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	if (p == NULL || n >= cap || memchr(p, 0, n))
		return LC_ERR_STORE_CORRUPT;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

int lc_st_user_get(lc_server *s, const char *uid, lc_user_rec *u)
{
	lc_slice v;
	lc_rb r;
	const uint8_t *p;
	size_t n;
	int rc = s->be.ops->get(s->be.h, LC_T_USERS, uid_key(uid), &v);

	if (rc)
		return rc;
	memset(u, 0, sizeof *u);
	rb_init(&r, v.p, v.n);
	if (rb_u8(&r) != REC_VERSION)
		return LC_ERR_STORE_CORRUPT;
	p = rb_blob(&r, &n);
	if ((rc = copy_str(u->name, sizeof u->name, p, n)))
		return rc;
	p = rb_blob(&r, &n);
	if (p == NULL || n > sizeof u->avatar)
		return LC_ERR_STORE_CORRUPT;
	memcpy(u->avatar, p, n);
	u->avatar_len = n;
	p = rb_blob(&r, &n);
	if ((rc = copy_str(u->pwhash, sizeof u->pwhash, p, n)))
		return rc;
	u->next_dev = rb_u32(&r);
	u->created = rb_u64(&r);
	return r.err ? LC_ERR_STORE_CORRUPT : 0;
}

int lc_st_user_put(lc_server *s, const char *uid, const lc_user_rec *u)
{
	uint8_t buf[512];
	lc_wb w;

	wb_init(&w, buf, sizeof buf);
	wb_u8(&w, REC_VERSION);
	wb_blob(&w, u->name, strlen(u->name));
	wb_blob(&w, u->avatar, u->avatar_len);
	wb_blob(&w, u->pwhash, strlen(u->pwhash));
	wb_u32(&w, u->next_dev);
	wb_u64(&w, u->created);
	if (w.err)
		return LC_ERR_INTERNAL;
	return s->be.ops->put(s->be.h, LC_T_USERS, uid_key(uid),
			      lc_sl(buf, w.n), 0);
}

size_t lc_st_dev_key(uint8_t *out, const char *uid, uint32_t dev)
{
	size_t n = strlen(uid);

	memcpy(out, uid, n);
	out[n] = 0;
	out[n + 1] = (uint8_t)(dev >> 24);
	out[n + 2] = (uint8_t)(dev >> 16);
	out[n + 3] = (uint8_t)(dev >> 8);
	out[n + 4] = (uint8_t)dev;
	return n + 5;
}

int lc_st_dev_get(lc_server *s, const char *uid, uint32_t dev, lc_dev_rec *d)
{
	uint8_t k[LC_QKEY_MAX];
	lc_slice v;
	lc_rb r;
	const uint8_t *p;
	size_t n;
	uint8_t flags;
	int rc = s->be.ops->get(s->be.h, LC_T_DEVICES,
				lc_sl(k, lc_st_dev_key(k, uid, dev)), &v);

	if (rc)
		return rc;
	memset(d, 0, sizeof *d);
	rb_init(&r, v.p, v.n);
	if (rb_u8(&r) != REC_VERSION)
		return LC_ERR_STORE_CORRUPT;
	if ((p = rb_raw(&r, 32)))
		memcpy(d->key, p, 32);
	flags = rb_u8(&r);
	d->has_ik = !!(flags & DEV_IK);
	d->has_spk = !!(flags & DEV_SPK);
	d->has_token = !!(flags & DEV_TOKEN);
	if ((p = rb_raw(&r, 32)))
		memcpy(d->ik, p, 32);
	d->spk_id = rb_u32(&r);
	if ((p = rb_raw(&r, 32)))
		memcpy(d->spk, p, 32);
	if ((p = rb_raw(&r, 64)))
		memcpy(d->spk_sig, p, 64);
	if ((p = rb_raw(&r, 32)))
		memcpy(d->token_hash, p, 32);
	p = rb_blob(&r, &n);
	if (r.err)
		return LC_ERR_STORE_CORRUPT;
	return copy_str(d->name, sizeof d->name, p, n);
}

int lc_st_dev_put(lc_server *s, const char *uid, uint32_t dev,
		  const lc_dev_rec *d)
{
	uint8_t k[LC_QKEY_MAX], buf[512];
	lc_wb w;

	wb_init(&w, buf, sizeof buf);
	wb_u8(&w, REC_VERSION);
	wb_raw(&w, d->key, 32);
	wb_u8(&w, (d->has_ik ? DEV_IK : 0) | (d->has_spk ? DEV_SPK : 0) |
		  (d->has_token ? DEV_TOKEN : 0));
	wb_raw(&w, d->ik, 32);
	wb_u32(&w, d->spk_id);
	wb_raw(&w, d->spk, 32);
	wb_raw(&w, d->spk_sig, 64);
	wb_raw(&w, d->token_hash, 32);
	wb_blob(&w, d->name, strlen(d->name));
	if (w.err)
		return LC_ERR_INTERNAL;
	return s->be.ops->put(s->be.h, LC_T_DEVICES,
			      lc_sl(k, lc_st_dev_key(k, uid, dev)),
			      lc_sl(buf, w.n), 0);
}

int lc_st_dev_list(lc_server *s, const char *uid, uint32_t *ids, size_t *n)
{
	uint8_t prefix[LC_UID_MAX + 1], after[LC_QKEY_MAX];
	size_t plen = strlen(uid) + 1, alen = 0;
	lc_slice k, v;
	int rc;

	memcpy(prefix, uid, plen); /* with its NUL */
	*n = 0;
	while ((rc = s->be.ops->next(s->be.h, LC_T_DEVICES, lc_sl(prefix, plen),
				     lc_sl(after, alen), &k, &v)) == 0) {
		if (k.n != plen + 4 || *n == LC_MAX_DEVICES)
			return LC_ERR_STORE_CORRUPT;
		ids[(*n)++] = (uint32_t)k.p[plen] << 24 |
			      (uint32_t)k.p[plen + 1] << 16 |
			      (uint32_t)k.p[plen + 2] << 8 | k.p[plen + 3];
		memcpy(after, k.p, k.n);
		alen = k.n;
	}
	return rc == LC_ERR_NOT_FOUND ? 0 : rc;
}

int lc_st_get_u64(lc_server *s, int table, lc_slice key, uint64_t *v)
{
	lc_slice val;
	lc_rb r;
	int rc = s->be.ops->get(s->be.h, table, key, &val);

	if (rc)
		return rc;
	rb_init(&r, val.p, val.n);
	*v = rb_u64(&r);
	return r.err ? LC_ERR_STORE_CORRUPT : 0;
}

int lc_st_put_u64(lc_server *s, int table, lc_slice key, uint64_t v)
{
	uint8_t b[8];
	lc_wb w;

	wb_init(&w, b, sizeof b);
	wb_u64(&w, v);
	return s->be.ops->put(s->be.h, table, key, lc_sl(b, 8), 0);
}

/* Entry: kind(1) sender uid(blob) sender device(4) message id(16), then
 * the push Envelope with request_id 0 (the connection prepends its own). */
int lc_st_queue_push(lc_server *s, const lc_addr *to, const lc_envelope *e,
		     const lc_addr *from, const uint8_t *msg_id)
{
	uint8_t k[LC_QKEY_MAX], *buf;
	static const uint8_t zero[LC_SERVER_ID_LEN];
	size_t klen = lc_st_dev_key(k, to->uid, to->dev);
	size_t elen = lc_envelope_size(e), cap = elen + 96;
	uint64_t seq = 1;
	lc_wb w;
	int rc = lc_st_get_u64(s, LC_T_QSEQ, lc_sl(k, klen), &seq);

	if (rc && rc != LC_ERR_NOT_FOUND)
		return rc;
	if (elen > LC_ENVELOPE_MAX)
		return LC_ERR_FRAME_TOO_LARGE;
	if ((buf = lc_malloc(&s->mem, cap)) == NULL)
		return LC_ERR_NOMEM;
	wb_init(&w, buf, cap);
	wb_u8(&w, msg_id != NULL);
	wb_blob(&w, from ? from->uid : "", from ? strlen(from->uid) : 0);
	wb_u32(&w, from ? from->dev : 0);
	wb_raw(&w, msg_id ? msg_id : zero, LC_SERVER_ID_LEN);
	if (!w.err && lc_envelope_pack(e, buf + w.n, cap - w.n) != (int)elen)
		w.err = 1;
	rc = w.err ? LC_ERR_INTERNAL : lc_st_put_u64(s, LC_T_QSEQ,
						     lc_sl(k, klen), seq + 1);
	if (rc == 0) {
		for (int i = 7; i >= 0; i--)
			k[klen + (size_t)(7 - i)] = (uint8_t)(seq >> (8 * i));
		rc = s->be.ops->put(s->be.h, LC_T_QUEUE, lc_sl(k, klen + 8),
				    lc_sl(buf, w.n + elen), 0);
	}
	lc_free(&s->mem, buf);
	if (rc == 0)
		s->req.depth++;
	if (rc == 0)
		rc = lc_srv_touch(s, to, from, msg_id);
	return rc;
}
