/* Pushes: delivered messages, receipts; read receipts sent. */
#include <string.h>

#include <sodium.h>

#include "client_int.h"

#define MAX_RECORDS LC_CL_MAX_TARGETS

static const lc_rng *rngp(const lc_client *c)
{
	return c->has_rng ? &c->rng : NULL;
}

void lc_cl_ack_push(lc_client *c, uint64_t rid, uint64_t now)
{
	Libchat__Ack a = LIBCHAT__ACK__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	if (rid == 0)
		return;
	e.request_id = rid;
	e.body_case = LIBCHAT__ENVELOPE__BODY_ACK;
	e.ack = &a;
	(void)lc_cl_emit(c, &e, 0, now, NULL);
}

static void notify(lc_client *c, const uint8_t *mid,
		   const lc_store_receipt *r, int aggregate)
{
	if (c->cb.receipt)
		c->cb.receipt(mid, r->user_id, r->device_id,
			      (int)(r->state & LC_RECEIPT_STATE_MASK), aggregate,
			      c->ud);
}

static int receipts_apply(lc_client *c, lc_store_receipt *r,
			  const uint8_t mid[16], const char *uid, uint32_t dev,
			  int event, uint64_t time_ms);

/* Apply an event to one recipient device's receipt (uid NULL: all), store
 * the records and the aggregate, and report each change. */
int lc_cl_receipts_event(lc_client *c, const uint8_t mid[16],
			 const char *uid, uint32_t dev, int event,
			 uint64_t time_ms)
{
	lc_store_receipt *r;
	int rc;

	r = c->mem.calloc(MAX_RECORDS + 1, sizeof *r, c->mem.user_data);
	if (r == NULL)
		return LC_ERR_NOMEM;
	rc = receipts_apply(c, r, mid, uid, dev, event, time_ms);
	c->mem.free(r, c->mem.user_data);
	return rc;
}

static int receipts_apply(lc_client *c, lc_store_receipt *r,
			  const uint8_t mid[16], const char *uid, uint32_t dev,
			  int event, uint64_t time_ms)
{
	uint8_t st[MAX_RECORDS + 1], before[MAX_RECORDS + 1];
	size_t n = 0, idx = LC_RECEIPT_ALL;
	uint32_t agg;
	int rc = lc_store_receipts_get(c->store, mid, r, MAX_RECORDS, &n);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		st[i] = (uint8_t)r[i].state;
		if (!lc_receipt_is_valid(st[i]))
			return LC_ERR_STORE_CORRUPT;
		if (uid && strcmp(r[i].user_id, uid) == 0 &&
		    r[i].device_id == dev)
			idx = i;
	}
	if (uid && idx == LC_RECEIPT_ALL) {
		/* a device that appeared after the first send */
		if (n == MAX_RECORDS || strlen(uid) > LC_CL_UID_MAX)
			return LC_ERR_NOT_FOUND;
		memset(&r[n], 0, sizeof r[n]);
		strcpy(r[n].user_id, uid);
		r[n].device_id = dev;
		st[n] = LC_RECEIPT_SENT;
		idx = n++;
	}
	memcpy(before, st, n);
	rc = lc_receipt_group_apply(st, n, idx, event);
	if (rc <= 0)
		return rc;
	rc = lc_receipt_aggregate(st, n);
	if (rc < 0)
		return rc;
	agg = (uint32_t)rc;
	for (size_t i = 0; i < n; i++) {
		if (st[i] != before[i] && (st[i] & LC_RECEIPT_STATE_MASK) <
		    LC_STORE_RECEIPT_TIMES)
			r[i].times[st[i] & LC_RECEIPT_STATE_MASK] = time_ms;
		r[i].state = st[i];
	}
	if ((rc = lc_store_receipts_put(c->store, mid, r, n, &agg)))
		return rc;
	for (size_t i = 0; i < n; i++)
		if (st[i] != before[i])
			notify(c, mid, &r[i], (int)agg);
	return 0;
}

void lc_cl_on_receipt(lc_client *c, const lc_envelope *e, uint64_t now)
{
	const Libchat__Receipt *r = e->receipt;
	int ev = r->type == LIBCHAT__RECEIPT_TYPE__RECEIPT_READ ?
		 LC_RECEIPT_EV_READ : LC_RECEIPT_EV_DELIVERED;

	if (r->peer && lc_cl_valid_uid(r->peer->user_id) &&
	    strcmp(r->peer->user_id, c->uid) != 0 &&
	    r->type != LIBCHAT__RECEIPT_TYPE__RECEIPT_UNSPECIFIED) {
		for (size_t i = 0; i < r->n_message_ids; i++) {
			int rc;

			if (r->message_ids[i].len != LC_CLIENT_ID_LEN)
				continue;
			rc = lc_cl_receipts_event(c, r->message_ids[i].data,
						  r->peer->user_id,
						  r->peer->device_id, ev,
						  r->time_ms);
			if (rc < 0 && rc != LC_ERR_NOT_FOUND &&
			    rc != LC_ERR_STORE_CORRUPT)
				return; /* not durable: the server sends it again */
		}
	}
	lc_cl_ack_push(c, e->request_id, now);
}

/* Decrypt a pairwise message; on success *s holds the session to save and
 * *pk_used tells whether a one-time prekey was spent. */
static int decrypt(lc_client *c, const Libchat__Deliver *d, lc_ratchet **s,
		   int *pk_used, uint8_t *pt, size_t cap, size_t *pt_len)
{
	const char *uid = d->from->user_id;
	uint32_t dev = d->from->device_id;
	int rc = lc_cl_session_load(c, uid, dev, s);

	*pk_used = 0;
	if (rc && rc != LC_ERR_NO_SESSION)
		return rc;
	if (rc == 0) {
		rc = lc_ratchet_decrypt(*s, d->body.data, d->body.len, pt, cap,
					pt_len);
		if (rc != LC_ERR_NO_SESSION || d->type !=
		    LIBCHAT__CIPHER_TYPE__CIPHER_PREKEY)
			return rc;
		lc_ratchet_free(*s);
		*s = NULL;
	}
	if (d->type != LIBCHAT__CIPHER_TYPE__CIPHER_PREKEY)
		return LC_ERR_NO_SESSION;
	rc = lc_x3dh_respond(s, c->id, c->pk, d->body.data, d->body.len, pt,
			     cap, pt_len, &c->mem, rngp(c));
	*pk_used = rc == 0;
	return rc;
}

static int transient(int rc)
{
	return rc == LC_ERR_NOMEM || rc == LC_ERR_IO ||
	       rc == LC_ERR_STORE_FULL || rc == LC_ERR_STORE_BUSY;
}

typedef struct rx {
	lc_ratchet *s;       /* pairwise session to save */
	lc_sender_key *sk;   /* sender key to save */
	int pk_used;         /* a one-time prekey was spent */
	int delivered;       /* a message to report */
	Libchat__Content *content;  /* the parsed plaintext */
	lc_client_media *media;     /* sodium memory: holds a file key */
	char *text;                 /* a file's stored text */
	uint8_t *data;              /* a file's stored Content */
	char chat[LC_CL_UID_MAX + 36];
	lc_client_message msg;
} rx;

/* A file's stored text (name and caption, for history and search) and
 * its Content without the hint (the pointer, key included). */
static int media_record(lc_client *c, rx *x, lc_store_message *m)
{
	lc_cl_content ct;
	size_t n = 0;
	int rc;

	x->text = c->mem.malloc(LC_CL_MEDIA_TEXT_SIZE, c->mem.user_data);
	x->data = sodium_malloc(LC_CL_CONTENT_MAX);
	if (x->text == NULL || x->data == NULL)
		return LC_ERR_NOMEM;
	rc = lc_cl_media_text(x->media, x->text, LC_CL_MEDIA_TEXT_SIZE, &n);
	memset(&ct, 0, sizeof ct);
	ct.kind = LC_CL_CONTENT_MEDIA;
	ct.media = x->media;
	m->text = x->text;
	m->text_len = n;
	if (rc == 0)
		rc = lc_cl_content_encode(&ct, x->data, LC_CL_CONTENT_MAX,
					  &m->data_len);
	m->data = x->data;
	return rc;
}

/* Store a parsed content; 0 stored, or LC_ERR_EXISTS. */
static int commit(lc_client *c, const Libchat__Deliver *d,
		  const lc_cl_content *ct, rx *x)
{
	lc_client_message *out = &x->msg;
	lc_store_message m;
	size_t hl = strlen(ct->hint);
	int rc;

	memset(&m, 0, sizeof m);
	memcpy(m.id, d->message_id.data, LC_CLIENT_ID_LEN);
	out->outgoing = strcmp(d->from->user_id, c->uid) == 0;
	if (d->group_id.len) {
		lc_cl_group_chat_id(d->group_id.data, x->chat);
	} else if (out->outgoing) {
		if (hl == 0 || !lc_cl_valid_uid(ct->hint))
			return LC_ERR_MALFORMED;
		memcpy(x->chat, ct->hint, hl + 1);
	} else {
		strcpy(x->chat, d->from->user_id);
	}
	m.chat_id = x->chat;
	m.sender_id = d->from->user_id;
	m.sender_device = d->from->device_id;
	m.time_ms = d->server_time_ms;
	m.flags = out->outgoing ? LC_STORE_MSG_OUTGOING : 0;
	m.state = out->outgoing ? LC_RECEIPT_SENT : 0;
	m.kind = (uint32_t)ct->kind;
	m.text = ct->text;
	m.text_len = ct->text_len;
	if (ct->kind == LC_CL_CONTENT_MEDIA &&
	    (rc = media_record(c, x, &m)))
		return rc;
	rc = lc_store_message_put(c->store, &m, 0);
	out->id = d->message_id.data;
	out->chat_id = m.chat_id;
	out->sender_id = m.sender_id;
	out->sender_device = m.sender_device;
	out->time_ms = m.time_ms;
	out->text = m.text ? m.text : "";
	out->text_len = m.text_len;
	out->kind = ct->kind;
	out->media = ct->kind == LC_CL_CONTENT_MEDIA ? x->media : NULL;
	return rc;
}

/* Parse the plaintext and act on it: a sender key is kept, a message
 * stored. LC_ERR_UNSUPPORTED: a kind of a later version (dropped). */
static int take(lc_client *c, const Libchat__Deliver *d, const uint8_t *pt,
		size_t n, rx *x)
{
	const uint8_t *gid = d->group_id.len ? d->group_id.data : NULL;
	lc_cl_content ct;
	int rc;

	if ((x->media = sodium_malloc(sizeof *x->media)) == NULL)
		return LC_ERR_NOMEM;
	rc = lc_cl_content_parse(pt, n, &c->mem, &ct, x->media, &x->content);
	if (rc)
		return rc;
	if (ct.kind == LC_CL_CONTENT_SENDER_KEY)
		/* only pairwise, with the group's id */
		return gid && x->s ? lc_cl_group_take_key(c, gid,
							  d->from->user_id,
							  d->from->device_id,
							  ct.skd, ct.skd_len) :
				     LC_ERR_MALFORMED;
	rc = commit(c, d, &ct, x);
	x->delivered = rc == 0;
	return rc == LC_ERR_EXISTS ? 0 : rc;
}

/* Decrypt, commit and save the keys; 0 when done (ack it). */
static int receive(lc_client *c, const Libchat__Deliver *d, uint8_t *pt,
		   rx *x, uint64_t now)
{
	const char *uid = d->from->user_id;
	uint32_t dev = d->from->device_id;
	const uint8_t *gid = d->group_id.len ? d->group_id.data : NULL;
	size_t n = 0;
	int rc, unknown = 0;

	if (gid && d->type == LIBCHAT__CIPHER_TYPE__CIPHER_SENDER_KEY)
		rc = lc_cl_group_decrypt(c, gid, uid, dev, d->body.data,
					 d->body.len, pt, d->body.len, &n, &x->sk);
	else
		rc = decrypt(c, d, &x->s, &x->pk_used, pt, d->body.len, &n);
	if (rc == 0)
		rc = lc_unpad(pt, n, &n);
	if (rc == 0)
		rc = take(c, d, pt, n, x);
	if (rc == LC_ERR_UNSUPPORTED) {
		unknown = 1; /* the keys moved on all the same: keep them */
		rc = 0;
	}
	if (rc == 0 && x->s &&
	    (rc = lc_cl_session_save(c, uid, dev, x->s)) == 0 && x->pk_used)
		rc = lc_cl_prekeys_save(c);
	if (rc == 0 && x->sk)
		rc = lc_cl_group_key_save(c, gid, uid, dev, x->sk);
	if (rc == 0 && x->s)
		rc = lc_cl_identity_seen(c, uid, dev,
					 lc_ratchet_remote_identity(x->s), now);
	if (rc == 0 && x->s && (strcmp(uid, c->uid) || dev != c->dev))
		rc = lc_cl_device_seen(c, uid, dev);
	return rc == 0 && unknown ? LC_ERR_UNSUPPORTED : rc;
}

static void rx_free(lc_client *c, rx *x)
{
	lc_ratchet_free(x->s);
	lc_sender_key_free(x->sk);
	lc_cl_content_free(x->content, &c->mem);
	if (x->media)
		sodium_free(x->media);
	if (x->data)
		sodium_free(x->data);
	c->mem.free(x->text, c->mem.user_data);
}

void lc_cl_on_deliver(lc_client *c, const lc_envelope *e, uint64_t now)
{
	const Libchat__Deliver *d = e->deliver;
	lc_store_page *pg = NULL;
	uint8_t *pt;
	rx x;
	int rc;

	if (d->message_id.len != LC_CLIENT_ID_LEN || d->from == NULL ||
	    !lc_cl_valid_uid(d->from->user_id) || d->from->device_id == 0 ||
	    (d->group_id.len != 0 && d->group_id.len != 16)) {
		lc_cl_error(c, LC_ERR_MALFORMED, NULL); /* unreadable: drop */
		lc_cl_ack_push(c, e->request_id, now);
		return;
	}
	rc = lc_store_message_get(c->store, d->message_id.data, &pg);
	lc_store_page_free(pg);
	if (rc == 0) { /* a duplicate: stored already */
		lc_cl_ack_push(c, e->request_id, now);
		return;
	}
	if ((pt = sodium_malloc(d->body.len + 1)) == NULL)
		return;
	memset(&x, 0, sizeof x);
	rc = receive(c, d, pt, &x, now);
	if (rc == 0 && x.delivered && c->cb.message)
		c->cb.message(&x.msg, c->ud);
	rx_free(c, &x);
	sodium_free(pt);
	if (rc && transient(rc)) {
		lc_cl_error(c, rc, d->message_id.data);
		return; /* not acked: delivered again later */
	}
	if (rc && rc != LC_ERR_DUPLICATE_MESSAGE)
		lc_cl_error(c, rc, d->message_id.data);
	lc_cl_ack_push(c, e->request_id, now);
}
