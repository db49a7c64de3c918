/* Group messages under sender keys.
 *
 * Each device has one own sender key per group. Its distribution message
 * goes pairwise (inside the Double Ratchet sessions) to every member
 * device that has not confirmed it, in the same Send as the group body;
 * a device counts as having it once the server acknowledged a Send that
 * carried it. When the member list shrinks, the own key and the record of
 * who has it are deleted, so the next message starts a fresh key that
 * reaches the remaining members only.
 *
 * Blobs:
 *   LOCAL "group" NUL gid: version (8), count (2), each: length (1), user id
 *   LOCAL "skdist" NUL gid: entries of length (1), user id, device (4),
 *         message id (16), confirmed (1)
 *   SENDER_KEY "own" NUL gid: the own sender key
 *   SENDER_KEY "in" NUL gid user id NUL device (4): a member's key
 */
#include <string.h>

#include <sodium.h>

#include "client_int.h"

#define MAX_MEMBERS 256
#define DIST_MAX (LC_STORE_BLOB_MAX)

typedef struct grp {
	uint64_t version;
	size_t n;
	char uid[MAX_MEMBERS][LC_CL_UID_MAX + 1];
} grp;

static const lc_rng *rngp(const lc_client *c)
{
	return c->has_rng ? &c->rng : NULL;
}

static size_t name(const char *prefix, const uint8_t *gid, uint8_t *out)
{
	size_t n = strlen(prefix) + 1;

	memcpy(out, prefix, n);
	memcpy(out + n, gid, 16);
	return n + 16;
}

static int gid_of_chat(const char *chat, uint8_t gid[16])
{
	size_t len = 0;

	if (strncmp(chat, "g:", 2) != 0 || strlen(chat) != 34)
		return LC_ERR_INVALID_ARG;
	if (sodium_hex2bin(gid, 16, chat + 2, 32, NULL, &len, NULL) || len != 16)
		return LC_ERR_INVALID_ARG;
	return 0;
}

static int grp_load(lc_client *c, const uint8_t *gid, grp *g)
{
	uint8_t nm[32], *buf;
	size_t len = 0, off = 10;
	int rc;

	if ((buf = c->mem.malloc(LC_STORE_BLOB_MAX, c->mem.user_data)) == NULL)
		return LC_ERR_NOMEM;
	rc = lc_store_blob_get(c->store, LC_STORE_BLOB_LOCAL, nm,
			       name("group", gid, nm), buf, LC_STORE_BLOB_MAX,
			       &len);
	if (rc == 0 && len < 10)
		rc = LC_ERR_STORE_CORRUPT;
	if (rc == 0) {
		g->version = 0;
		for (int i = 0; i < 8; i++)
			g->version = g->version << 8 | buf[i];
		g->n = (size_t)buf[8] << 8 | buf[9];
		if (g->n > MAX_MEMBERS)
			rc = LC_ERR_STORE_CORRUPT;
	}
	for (size_t i = 0; rc == 0 && i < g->n; i++) {
		size_t l = off < len ? buf[off] : 0;
		if (l == 0 || l > LC_CL_UID_MAX || off + 1 + l > len) {
			rc = LC_ERR_STORE_CORRUPT;
			break;
		}
		memcpy(g->uid[i], buf + off + 1, l);
		g->uid[i][l] = 0;
		off += 1 + l;
	}
	c->mem.free(buf, c->mem.user_data);
	return rc;
}

static int grp_save(lc_client *c, const Libchat__GroupInfo *gi)
{
	uint8_t nm[32], *buf;
	size_t off = 10;
	int rc = 0;

	if (gi->n_members > MAX_MEMBERS)
		return LC_ERR_INVALID_ARG;
	if ((buf = c->mem.malloc(LC_STORE_BLOB_MAX, c->mem.user_data)) == NULL)
		return LC_ERR_NOMEM;
	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(gi->version >> (56 - 8 * i));
	buf[8] = (uint8_t)(gi->n_members >> 8);
	buf[9] = (uint8_t)gi->n_members;
	for (size_t i = 0; rc == 0 && i < gi->n_members; i++) {
		const char *u = gi->members[i]->user_id;
		if (!lc_cl_valid_uid(u)) {
			rc = LC_ERR_MALFORMED;
			break;
		}
		buf[off] = (uint8_t)strlen(u);
		memcpy(buf + off + 1, u, buf[off]);
		off += 1 + buf[off];
	}
	if (rc == 0)
		rc = lc_store_blob_put(c->store, LC_STORE_BLOB_LOCAL, nm,
				       name("group", gi->group_id.data, nm), buf,
				       off);
	c->mem.free(buf, c->mem.user_data);
	return rc;
}

static void forget_own_key(lc_client *c, const uint8_t *gid)
{
	uint8_t nm[32];

	(void)lc_store_blob_delete(c->store, LC_STORE_BLOB_SENDER_KEY, nm,
				   name("own", gid, nm));
	(void)lc_store_blob_delete(c->store, LC_STORE_BLOB_LOCAL, nm,
				   name("skdist", gid, nm));
}

static int has_member(const Libchat__GroupInfo *gi, const char *uid)
{
	for (size_t i = 0; i < gi->n_members; i++)
		if (strcmp(gi->members[i]->user_id, uid) == 0)
			return 1;
	return 0;
}

/* A new view of a group: rotate the own key when someone is gone. */
void lc_cl_group_update(lc_client *c, const Libchat__GroupInfo *gi)
{
	uint8_t nm[32];
	grp *old;
	int shrunk = 0;

	if (gi->group_id.len != 16 || (old = c->mem.malloc(sizeof *old,
						       c->mem.user_data)) == NULL)
		return;
	if (grp_load(c, gi->group_id.data, old) == 0) {
		if (gi->version && gi->version < old->version) {
			c->mem.free(old, c->mem.user_data);
			return; /* a stale view */
		}
		for (size_t i = 0; i < old->n; i++)
			shrunk |= !has_member(gi, old->uid[i]);
	}
	c->mem.free(old, c->mem.user_data);
	if (shrunk || !has_member(gi, c->uid))
		forget_own_key(c, gi->group_id.data);
	if (!has_member(gi, c->uid))
		(void)lc_store_blob_delete(c->store, LC_STORE_BLOB_LOCAL, nm,
					   name("group", gi->group_id.data, nm));
	else if (grp_save(c, gi))
		lc_cl_error(c, LC_ERR_STORE_FULL, NULL);
}

int lc_cl_group_held(lc_client *c, const char *chat)
{
	uint8_t gid[16];
	grp *g;
	int rc;

	if (gid_of_chat(chat, gid))
		return 0; /* never sendable: send_one fails it */
	if ((g = c->mem.malloc(sizeof *g, c->mem.user_data)) == NULL)
		return LC_ERR_NOMEM;
	rc = grp_load(c, gid, g);
	if (rc == LC_ERR_NOT_FOUND || rc == LC_ERR_STORE_CORRUPT)
		rc = 0; /* no list: nobody to hold for (a corrupt one fails
			   the message in lc_cl_group_send_one()) */
	for (size_t i = 0; rc == 0 && i < g->n; i++)
		if (strcmp(g->uid[i], c->uid) != 0)
			rc = lc_cl_held(c, g->uid[i]);
	c->mem.free(g, c->mem.user_data);
	return rc;
}

int lc_client_send_group_text(lc_client *c, const uint8_t *group_id,
			      const char *text, size_t len, uint8_t *id,
			      uint64_t now)
{
	char chat[35];

	if (c == NULL || group_id == NULL || !lc_cl_text_ok(text, len))
		return LC_ERR_INVALID_ARG;
	if (!c->has_account)
		return LC_ERR_NOT_LOGGED_IN;
	lc_cl_group_chat_id(group_id, chat);
	return lc_cl_queue(c, chat, LC_CL_CONTENT_TEXT, text, len, NULL, 0, id,
			   now);
}

/* ------------------------------------------------ who has the own key */

typedef struct dist {
	uint8_t *buf;
	size_t len;
} dist;

static int dist_load(lc_client *c, const uint8_t *gid, dist *d)
{
	uint8_t nm[32];
	int rc;

	d->len = 0;
	if ((d->buf = c->mem.malloc(DIST_MAX, c->mem.user_data)) == NULL)
		return LC_ERR_NOMEM;
	rc = lc_store_blob_get(c->store, LC_STORE_BLOB_LOCAL, nm,
			       name("skdist", gid, nm), d->buf, DIST_MAX,
			       &d->len);
	return rc == LC_ERR_NOT_FOUND ? 0 : rc;
}

static int dist_save(lc_client *c, const uint8_t *gid, const dist *d)
{
	uint8_t nm[32];

	return lc_store_blob_put(c->store, LC_STORE_BLOB_LOCAL, nm,
				 name("skdist", gid, nm), d->buf, d->len);
}

/* The entry of (uid, dev): its offset, or -1. */
static long dist_find(const dist *d, const char *uid, uint32_t dev)
{
	size_t off = 0, ul = strlen(uid);

	while (off < d->len) {
		size_t l = d->buf[off];
		const uint8_t *e = d->buf + off;
		if (off + 1 + l + 21 > d->len)
			return -1;
		if (l == ul && memcmp(e + 1, uid, l) == 0 &&
		    ((uint32_t)e[1 + l] << 24 | (uint32_t)e[2 + l] << 16 |
		     (uint32_t)e[3 + l] << 8 | e[4 + l]) == dev)
			return (long)off;
		off += 1 + l + 21;
	}
	return -1;
}

static int dist_confirmed(const dist *d, const char *uid, uint32_t dev)
{
	long off = dist_find(d, uid, dev);

	return off >= 0 && d->buf[off + 1 + d->buf[off] + 20];
}

static int dist_mark(dist *d, const char *uid, uint32_t dev,
		     const uint8_t *mid)
{
	long off = dist_find(d, uid, dev);
	size_t l = strlen(uid);
	uint8_t *e;

	if (off < 0) {
		if (d->len + 1 + l + 21 > DIST_MAX)
			return LC_ERR_STORE_FULL;
		off = (long)d->len;
		d->len += 1 + l + 21;
		e = d->buf + off;
		e[0] = (uint8_t)l;
		memcpy(e + 1, uid, l);
		e[1 + l] = (uint8_t)(dev >> 24);
		e[2 + l] = (uint8_t)(dev >> 16);
		e[3 + l] = (uint8_t)(dev >> 8);
		e[4 + l] = (uint8_t)dev;
	}
	e = d->buf + off;
	memcpy(e + 5 + l, mid, 16);
	e[21 + l] = 0;
	return 0;
}

/* Ack{sent} of a group message: the devices it carried the key to have it. */
void lc_cl_group_confirm(lc_client *c, const char *chat, const uint8_t *mid)
{
	uint8_t gid[16];
	dist d;
	size_t off = 0;
	int changed = 0;

	if (gid_of_chat(chat, gid) || dist_load(c, gid, &d)) {
		if (gid_of_chat(chat, gid) == 0)
			c->mem.free(d.buf, c->mem.user_data);
		return;
	}
	while (off < d.len) {
		size_t l = d.buf[off];
		uint8_t *e = d.buf + off;
		if (off + 1 + l + 21 > d.len)
			break;
		if (memcmp(e + 5 + l, mid, 16) == 0 && !e[21 + l]) {
			e[21 + l] = 1;
			changed = 1;
		}
		off += 1 + l + 21;
	}
	if (changed)
		(void)dist_save(c, gid, &d);
	c->mem.free(d.buf, c->mem.user_data);
}

/* ------------------------------------------------------------- sending */

static int own_key(lc_client *c, const uint8_t *gid, lc_sender_key **sk)
{
	uint8_t nm[32], *buf;
	size_t len = 0;
	int rc;

	if ((buf = sodium_malloc(LC_STORE_BLOB_MAX)) == NULL)
		return LC_ERR_NOMEM;
	rc = lc_store_blob_get(c->store, LC_STORE_BLOB_SENDER_KEY, nm,
			       name("own", gid, nm), buf, LC_STORE_BLOB_MAX,
			       &len);
	if (rc == 0)
		rc = lc_sender_key_parse(sk, buf, len, &c->mem);
	sodium_free(buf);
	if (rc == LC_ERR_NOT_FOUND) {
		/* a fresh key: nobody has it yet */
		(void)lc_store_blob_delete(c->store, LC_STORE_BLOB_LOCAL, nm,
					   name("skdist", gid, nm));
		rc = lc_sender_key_new(sk, &c->mem, rngp(c));
	}
	return rc;
}

static int key_save(lc_client *c, const uint8_t *nm, size_t nl,
		    const lc_sender_key *sk)
{
	size_t n = lc_sender_key_serialized_size(sk), len = 0;
	uint8_t *buf;
	int rc;

	if (n > LC_STORE_BLOB_MAX)
		return LC_ERR_STORE_FULL;
	if ((buf = sodium_malloc(n)) == NULL)
		return LC_ERR_NOMEM;
	rc = lc_sender_key_serialize(sk, buf, n, &len);
	if (rc == 0)
		rc = lc_store_blob_put(c->store, LC_STORE_BLOB_SENDER_KEY, nm, nl,
				       buf, len);
	sodium_free(buf);
	return rc;
}

/* The devices of every member (then this account's other devices). */
static int group_targets(lc_client *c, const grp *g, lc_targets *t,
			 uint64_t now)
{
	int wait = 0, rc;

	for (size_t i = 0; i < g->n; i++) {
		if (strcmp(g->uid[i], c->uid) == 0)
			continue;
		rc = lc_cl_add_user(c, t, g->uid[i], 0, now);
		if (rc < 0)
			return rc;
		wait |= rc;
	}
	t->n_peer = t->n;
	rc = wait ? 0 : lc_cl_add_user(c, t, c->uid, 1, now);
	return rc < 0 ? rc : (wait | rc);
}

/* Move the targets still lacking the own key from t to d. */
static int pick_missing(lc_client *c, lc_targets *t, lc_targets *d,
			dist *ds, const uint8_t *mid)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < t->n; i++) {
		if (dist_confirmed(ds, t->uid[i], t->dev[i]))
			continue;
		d->uid[d->n] = t->uid[i];
		d->dev[d->n] = t->dev[i];
		d->s[d->n++] = t->s[i];
		t->s[i] = NULL;
		rc = dist_mark(ds, t->uid[i], t->dev[i], mid);
	}
	(void)c;
	return rc;
}

/* The own key's distribution message as a padded Content, in sodium
 * memory (free it). */
static uint8_t *skd_content(const uint8_t *dm, size_t dlen, size_t *plen,
			    int *rc)
{
	lc_cl_content ct;
	size_t n = 0, cap = lc_padded_size(LC_CL_SKD_MAX + 16);
	uint8_t *p = sodium_malloc(cap);

	*rc = LC_ERR_NOMEM;
	if (p == NULL)
		return NULL;
	memset(&ct, 0, sizeof ct);
	ct.kind = LC_CL_CONTENT_SENDER_KEY;
	ct.skd = dm;
	ct.skd_len = dlen;
	*rc = lc_cl_content_encode(&ct, p, LC_CL_SKD_MAX + 16, &n);
	if (*rc == 0)
		*rc = lc_pad(p, n, p, cap, plen);
	if (*rc) {
		sodium_free(p);
		return NULL;
	}
	return p;
}

static int group_emit(lc_client *c, const lc_store_message *m,
		      const uint8_t *gid, lc_targets *t, uint64_t now)
{
	uint8_t dm[LC_SENDER_KEY_DISTRIBUTION_LEN], *dpt = NULL, *pt, *body;
	size_t dlen = 0, dplen = 0, plen = 0, blen = 0, nl;
	uint8_t nm[32];
	lc_sender_key *sk = NULL;
	lc_targets *d = lc_cl_targets_new(c);
	dist ds = {0};
	int rc = d ? own_key(c, gid, &sk) : LC_ERR_NOMEM;

	if (rc == 0)
		rc = dist_load(c, gid, &ds);
	if (rc == 0)
		rc = pick_missing(c, t, d, &ds, m->id);
	if (rc == 0)
		rc = lc_sender_key_distribution(sk, dm, sizeof dm, &dlen);
	if (rc == 0)
		dpt = skd_content(dm, dlen, &dplen, &rc);
	sodium_memzero(dm, sizeof dm);
	pt = rc ? NULL : lc_cl_padded_content(c, m, "", &plen, &rc);
	body = rc ? NULL : c->mem.malloc(plen + LC_SENDER_KEY_OVERHEAD,
					 c->mem.user_data);
	if (rc == 0 && body == NULL)
		rc = LC_ERR_NOMEM;
	if (rc == 0)
		rc = lc_sender_key_encrypt(sk, pt, plen, body,
					   plen + LC_SENDER_KEY_OVERHEAD, &blen);
	nl = name("own", gid, nm);
	if (rc == 0)
		rc = key_save(c, nm, nl, sk);
	if (rc == 0)
		rc = lc_cl_emit_send(c, m->id, m->chat_id, d, dpt, dplen, gid,
				     body, blen, t, now);
	if (rc == 0)
		rc = dist_save(c, gid, &ds);
	if (pt)
		sodium_free(pt);
	if (dpt)
		sodium_free(dpt);
	if (body)
		c->mem.free(body, c->mem.user_data);
	if (ds.buf)
		c->mem.free(ds.buf, c->mem.user_data);
	if (d) {
		lc_cl_targets_free(d);
		c->mem.free(d, c->mem.user_data);
	}
	lc_sender_key_free(sk);
	return rc;
}

/* Send one group message of the outbox: 0 sent, 1 waiting, < 0 error
 * (::LC_ERR_NOT_MEMBER: the group is not known or was left). */
int lc_cl_group_send_one(lc_client *c, const lc_store_message *m,
			 uint64_t now)
{
	uint8_t gid[16];
	lc_targets *t;
	grp *g;
	int rc;

	if (gid_of_chat(m->chat_id, gid))
		return LC_ERR_NOT_MEMBER;
	g = c->mem.malloc(sizeof *g, c->mem.user_data);
	t = lc_cl_targets_new(c);
	rc = g && t ? grp_load(c, gid, g) : LC_ERR_NOMEM;
	if (rc == LC_ERR_NOT_FOUND || rc == LC_ERR_STORE_CORRUPT)
		rc = LC_ERR_NOT_MEMBER;
	if (rc == 0)
		rc = group_targets(c, g, t, now);
	if (rc == 0)
		rc = lc_cl_receipts_init(c, m->id, t);
	if (rc == 0)
		rc = group_emit(c, m, gid, t, now);
	if (t) {
		lc_cl_targets_free(t);
		c->mem.free(t, c->mem.user_data);
	}
	c->mem.free(g, c->mem.user_data);
	return rc;
}

/* STALE_DEVICES to a group message: fetch the bundles of every user the
 * server named (of every member when it named none), which starts sessions
 * with new devices and drops gone ones from the device lists, and ask for
 * the member list again when a named device is not a current member's.
 * The fetch answers send the message again, its key going pairwise to
 * exactly the devices lacking it. */
void lc_cl_group_stale(lc_client *c, const char *chat,
		       const Libchat__Error *err, uint64_t now)
{
	Libchat__Address **lists[2] = { err->missing_devices,
					err->extra_devices };
	size_t counts[2] = { err->n_missing_devices, err->n_extra_devices };
	int asked = c->blocked;
	uint8_t gid[16];
	grp *g;

	if (gid_of_chat(chat, gid))
		return;
	if (err->n_extra_devices || err->n_missing_devices == 0)
		(void)lc_client_group_info(c, gid, now);
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < counts[l]; i++)
			if (lists[l][i] && lc_cl_valid_uid(lists[l][i]->user_id))
				(void)lc_cl_fetch(c, lists[l][i]->user_id, now);
	if (err->n_missing_devices == 0 && err->n_extra_devices == 0 &&
	    (g = c->mem.malloc(sizeof *g, c->mem.user_data)) != NULL) {
		if (grp_load(c, gid, g) == 0)
			for (size_t i = 0; i < g->n; i++)
				(void)lc_cl_fetch(c, g->uid[i], now);
		c->mem.free(g, c->mem.user_data);
		(void)lc_cl_fetch(c, c->uid, now);
	}
	if (c->blocked == asked)
		lc_cl_outbox_pump(c, now); /* nothing to wait for */
}

/* ------------------------------------------------------------ receiving */

static size_t in_name(const uint8_t *gid, const char *uid, uint32_t dev,
		      uint8_t *out)
{
	size_t n = name("in", gid, out);

	return n + lc_cl_session_name(uid, dev, out + n);
}

/* A member's distribution message, received pairwise: keep the key unless
 * one with the same id is kept already (it may have advanced). */
int lc_cl_group_take_key(lc_client *c, const uint8_t *gid, const char *uid,
			 uint32_t dev, const uint8_t *msg, size_t len)
{
	uint8_t nm[32 + LC_CL_UID_MAX + 5];
	size_t nl = in_name(gid, uid, dev, nm);
	lc_sender_key *sk = NULL, *old = NULL;
	uint8_t *buf;
	size_t bl = 0;
	int rc = lc_sender_key_from_distribution(&sk, msg, len, &c->mem);

	if (rc)
		return rc;
	if ((buf = sodium_malloc(LC_STORE_BLOB_MAX)) == NULL) {
		lc_sender_key_free(sk);
		return LC_ERR_NOMEM;
	}
	if (lc_store_blob_get(c->store, LC_STORE_BLOB_SENDER_KEY, nm, nl, buf,
			      LC_STORE_BLOB_MAX, &bl) == 0 &&
	    lc_sender_key_parse(&old, buf, bl, &c->mem) == 0 &&
	    lc_sender_key_id(old) == lc_sender_key_id(sk))
		rc = 0; /* known: keep its progress */
	else
		rc = key_save(c, nm, nl, sk);
	sodium_free(buf);
	lc_sender_key_free(old);
	lc_sender_key_free(sk);
	return rc;
}

/* Decrypt a group body with the sender's key; *out is the advanced key,
 * saved by the caller once the message is committed. */
int lc_cl_group_decrypt(lc_client *c, const uint8_t *gid, const char *uid,
			uint32_t dev, const uint8_t *msg, size_t len,
			uint8_t *pt, size_t cap, size_t *pt_len,
			lc_sender_key **out)
{
	uint8_t nm[32 + LC_CL_UID_MAX + 5], *buf;
	size_t nl = in_name(gid, uid, dev, nm), bl = 0;
	int rc;

	*out = NULL;
	if ((buf = sodium_malloc(LC_STORE_BLOB_MAX)) == NULL)
		return LC_ERR_NOMEM;
	rc = lc_store_blob_get(c->store, LC_STORE_BLOB_SENDER_KEY, nm, nl, buf,
			       LC_STORE_BLOB_MAX, &bl);
	if (rc == LC_ERR_NOT_FOUND)
		rc = LC_ERR_NO_SESSION;
	if (rc == 0)
		rc = lc_sender_key_parse(out, buf, bl, &c->mem);
	sodium_free(buf);
	if (rc == 0)
		rc = lc_sender_key_decrypt(*out, msg, len, pt, cap, pt_len);
	if (rc) {
		lc_sender_key_free(*out);
		*out = NULL;
	}
	return rc;
}

int lc_cl_group_key_save(lc_client *c, const uint8_t *gid, const char *uid,
			 uint32_t dev, const lc_sender_key *sk)
{
	uint8_t nm[32 + LC_CL_UID_MAX + 5];

	return key_save(c, nm, in_name(gid, uid, dev, nm), sk);
}
