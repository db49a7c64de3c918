/* The outbox: every message is stored before it is sent, then encrypted
 * to each device of the recipient (and of this account's other devices)
 * and sent until the server acknowledges it. */
#include <string.h>

#include <sodium.h>

#include "client_int.h"

#define MAX_IN_FLIGHT 32
#define LC_CL_MAX_STALE 3

static const lc_rng *rngp(const lc_client *c)
{
	return c->has_rng ? &c->rng : NULL;
}

/* Store a message and queue it in the outbox, then send what can go. */
int lc_cl_queue(lc_client *c, const char *chat, uint32_t kind,
		const char *text, size_t tlen, const uint8_t *data,
		size_t dlen, uint8_t *id, uint64_t now)
{
	lc_store_message m;
	int rc;

	memset(&m, 0, sizeof m);
	lc_cl_random(c, m.id, sizeof m.id);
	m.chat_id = chat;
	m.sender_id = c->uid;
	m.sender_device = c->dev;
	m.time_ms = now;
	m.flags = LC_STORE_MSG_OUTGOING;
	m.state = LC_RECEIPT_PENDING;
	m.kind = kind;
	m.text = text;
	m.text_len = tlen;
	m.data = data;
	m.data_len = dlen;
	if ((rc = lc_store_message_put(c->store, &m, LC_STORE_PUT_OUTBOX)))
		return rc;
	if (id)
		memcpy(id, m.id, LC_CLIENT_ID_LEN);
	lc_cl_outbox_pump(c, now);
	return 0;
}

/* A text a Content can carry: UTF-8, no NUL. */
int lc_cl_text_ok(const char *text, size_t len)
{
	return text != NULL && len > 0 && len <= LC_CLIENT_TEXT_MAX &&
	       memchr(text, 0, len) == NULL &&
	       lc_utf8_valid((const uint8_t *)text, len);
}

int lc_client_send_text(lc_client *c, const char *user_id, const char *text,
			size_t len, uint8_t *id, uint64_t now)
{
	if (c == NULL || !lc_cl_valid_uid(user_id) || !lc_cl_text_ok(text, len) ||
	    strncmp(user_id, "g:", 2) == 0)
		return LC_ERR_INVALID_ARG;
	if (!c->has_account)
		return LC_ERR_NOT_LOGGED_IN;
	return lc_cl_queue(c, user_id, LC_CL_CONTENT_TEXT, text, len, NULL, 0,
			   id, now);
}

int lc_cl_fetch(lc_client *c, const char *uid, uint64_t now)
{
	Libchat__PrekeyFetch f = LIBCHAT__PREKEY_FETCH__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	lc_cl_pending *p;
	int rc;

	for (size_t i = 0; i < LC_CLIENT_MAX_PENDING; i++)
		if (c->pend[i].rid && c->pend[i].kind == LC_CL_REQ_FETCH &&
		    strcmp(c->pend[i].uid, uid) == 0)
			return 0; /* asked already */
	f.user_id = (char *)uid;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PREKEY_FETCH;
	e.prekey_fetch = &f;
	if ((rc = lc_cl_emit(c, &e, LC_CL_REQ_FETCH, now, &p)))
		return rc;
	strcpy(p->uid, uid);
	c->blocked++;
	return 0;
}

void lc_cl_targets_free(lc_targets *t)
{
	for (size_t i = 0; i < t->n; i++)
		lc_ratchet_free(t->s[i]);
	t->n = 0;
}

/* Ask for uid's bundles: 1 (wait for them), or the error. */
static int fetch_wait(lc_client *c, const char *uid, uint64_t now)
{
	int rc = lc_cl_fetch(c, uid, now);

	return rc ? rc : 1;
}

int lc_cl_add_user(lc_client *c, lc_targets *t, const char *uid, int self,
		    uint64_t now)
{
	uint32_t devs[LC_CL_MAX_DEVICES];
	size_t n = 0;
	int rc = lc_cl_devices_get(c, uid, devs, &n);

	if (rc == LC_ERR_NOT_FOUND && self)
		return 0; /* no other device known */
	if (rc == LC_ERR_NOT_FOUND)
		return fetch_wait(c, uid, now);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (self && devs[i] == c->dev)
			continue;
		if (t->n == LC_CL_MAX_TARGETS)
			return LC_ERR_INVALID_ARG;
		rc = lc_cl_session_load(c, uid, devs[i], &t->s[t->n]);
		if (rc == LC_ERR_NO_SESSION)
			return fetch_wait(c, uid, now);
		if (rc)
			return rc;
		t->uid[t->n] = uid;
		t->dev[t->n++] = devs[i];
	}
	return 0;
}

/* Receipt records for the peer's devices, written at the first send. */
int lc_cl_receipts_init(lc_client *c, const uint8_t *mid,
			const lc_targets *t)
{
	lc_store_receipt *r;
	size_t count = 0;
	int rc = lc_store_receipts_get(c->store, mid, NULL, 0, &count);

	if ((rc && rc != LC_ERR_BUFFER_TOO_SMALL) || count || t->n_peer == 0)
		return rc == LC_ERR_BUFFER_TOO_SMALL ? 0 : rc;
	r = c->mem.calloc(t->n_peer, sizeof *r, c->mem.user_data);
	if (r == NULL)
		return LC_ERR_NOMEM;
	for (size_t i = 0; i < t->n_peer; i++) {
		strcpy(r[i].user_id, t->uid[i]);
		r[i].device_id = t->dev[i];
		r[i].state = LC_RECEIPT_PENDING;
	}
	rc = lc_store_receipts_put(c->store, mid, r, t->n_peer, NULL);
	c->mem.free(r, c->mem.user_data);
	return rc;
}

int lc_cl_encrypt_all(lc_client *c, lc_targets *t, const uint8_t *pt,
		       size_t n, Libchat__Ciphertext *ct, Libchat__Address *ad,
		       uint8_t **bodies)
{
	for (size_t i = 0; i < t->n; i++) {
		size_t cap = lc_ratchet_encrypted_size(t->s[i], n), len = 0;
		int rc;

		if ((bodies[i] = c->mem.malloc(cap, c->mem.user_data)) == NULL)
			return LC_ERR_NOMEM;
		rc = lc_ratchet_encrypt(t->s[i], pt, n, bodies[i], cap, &len);
		if (rc == 0)
			rc = lc_cl_session_save(c, t->uid[i], t->dev[i], t->s[i]);
		if (rc)
			return rc;
		libchat__ciphertext__init(&ct[i]);
		libchat__address__init(&ad[i]);
		ad[i].user_id = (char *)t->uid[i];
		ad[i].device_id = t->dev[i];
		ct[i].to = &ad[i];
		ct[i].type = lc_ratchet_is_pending(t->s[i]) ?
			     LIBCHAT__CIPHER_TYPE__CIPHER_PREKEY :
			     LIBCHAT__CIPHER_TYPE__CIPHER_RATCHET;
		ct[i].body.data = bodies[i];
		ct[i].body.len = len;
	}
	return 0;
}

/* Encrypt pt to every target and send it, with a group body when gid is
 * given. The pending request remembers mid and key (a user or chat id). */
int lc_cl_emit_send(lc_client *c, const uint8_t *mid, const char *key,
		    lc_targets *t, const uint8_t *pt, size_t plen,
		    const uint8_t *gid, const uint8_t *gbody, size_t glen,
		    const lc_targets *kh, uint64_t now)
{
	Libchat__Send s = LIBCHAT__SEND__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	Libchat__Ciphertext *ct, **cp;
	Libchat__Address *ad, *ha = NULL, **hp = NULL;
	uint8_t **bodies;
	lc_cl_pending *p;
	size_t n = t->n ? t->n : 1;
	int rc = LC_ERR_NOMEM;

	ct = c->mem.calloc(n, sizeof *ct, c->mem.user_data);
	cp = c->mem.calloc(n, sizeof *cp, c->mem.user_data);
	ad = c->mem.calloc(n, sizeof *ad, c->mem.user_data);
	bodies = c->mem.calloc(n, sizeof *bodies, c->mem.user_data);
	if (kh && kh->n) {
		ha = c->mem.calloc(kh->n, sizeof *ha, c->mem.user_data);
		hp = c->mem.calloc(kh->n, sizeof *hp, c->mem.user_data);
	}
	for (size_t i = 0; ha && hp && i < kh->n; i++) {
		if (kh->s[i] == NULL)
			continue; /* given the key in this Send */
		libchat__address__init(&ha[s.n_key_holders]);
		ha[s.n_key_holders].user_id = (char *)kh->uid[i];
		ha[s.n_key_holders].device_id = kh->dev[i];
		hp[s.n_key_holders] = &ha[s.n_key_holders];
		s.n_key_holders++;
	}
	s.key_holders = hp;
	if (ct && cp && ad && bodies && (!(kh && kh->n) || (ha && hp)))
		rc = lc_cl_encrypt_all(c, t, pt, plen, ct, ad, bodies);
	for (size_t i = 0; rc == 0 && i < t->n; i++)
		cp[i] = &ct[i];
	s.message_id.data = (uint8_t *)mid;
	s.message_id.len = LC_CLIENT_ID_LEN;
	s.copies = cp;
	s.n_copies = t->n;
	if (gid) {
		s.group_id.data = (uint8_t *)gid;
		s.group_id.len = LC_CLIENT_GROUP_ID_LEN;
		s.group_body.data = (uint8_t *)gbody;
		s.group_body.len = glen;
	}
	e.body_case = LIBCHAT__ENVELOPE__BODY_SEND;
	e.send = &s;
	if (rc == 0 && (rc = lc_cl_emit(c, &e, LC_CL_REQ_SEND, now, &p)) == 0) {
		memcpy(p->mid, mid, LC_CLIENT_ID_LEN);
		strcpy(p->uid, key);
	}
	for (size_t i = 0; bodies && i < t->n; i++)
		c->mem.free(bodies[i], c->mem.user_data);
	c->mem.free(ct, c->mem.user_data);
	c->mem.free(cp, c->mem.user_data);
	c->mem.free(ad, c->mem.user_data);
	c->mem.free(bodies, c->mem.user_data);
	c->mem.free(ha, c->mem.user_data);
	c->mem.free(hp, c->mem.user_data);
	return rc;
}

/* The Content of a stored message with the chat hint, into pt. */
static int content_of(lc_client *c, const lc_store_message *m,
		      const char *hint, uint8_t *pt, size_t cap, size_t *n)
{
	lc_cl_content ct;
	lc_client_media *media = NULL;
	Libchat__Content *own = NULL;
	char *text = NULL;
	int rc;

	if (m->kind == LC_CL_CONTENT_MEDIA) {
		if ((media = sodium_malloc(sizeof *media)) == NULL)
			return LC_ERR_NOMEM;
		rc = lc_cl_content_parse(m->data, m->data_len, &c->mem, &ct,
					 media, &own);
		if (rc != LC_ERR_NOMEM && (rc || ct.kind != LC_CL_CONTENT_MEDIA))
			rc = LC_ERR_STORE_CORRUPT;
	} else {
		memset(&ct, 0, sizeof ct);
		ct.kind = LC_CL_CONTENT_TEXT;
		ct.text_len = m->text_len;
		/* a C string for protobuf-c */
		text = c->mem.malloc(m->text_len + 1, c->mem.user_data);
		rc = text ? 0 : LC_ERR_NOMEM;
		if (text) {
			memcpy(text, m->text, m->text_len);
			text[m->text_len] = 0;
		}
		ct.text = text;
	}
	ct.hint = hint;
	if (rc == 0)
		rc = lc_cl_content_encode(&ct, pt, cap, n);
	if (text)
		c->mem.free(text, c->mem.user_data);
	lc_cl_content_free(own, &c->mem);
	if (media)
		sodium_free(media);
	return rc;
}

/* The padded content of a stored message, in sodium memory (free it). */
uint8_t *lc_cl_padded_content(lc_client *c, const lc_store_message *m,
			      const char *hint, size_t *plen, int *rc)
{
	size_t cap = lc_padded_size(LC_CL_CONTENT_MAX), n = 0;
	uint8_t *pt = sodium_malloc(cap);

	*rc = LC_ERR_NOMEM;
	if (pt == NULL)
		return NULL;
	*rc = content_of(c, m, hint, pt, LC_CL_CONTENT_MAX, &n);
	if (*rc == 0)
		*rc = lc_pad(pt, n, pt, cap, plen);
	if (*rc) {
		sodium_free(pt);
		return NULL;
	}
	return pt;
}

lc_targets *lc_cl_targets_new(lc_client *c)
{
	return c->mem.calloc(1, sizeof(lc_targets), c->mem.user_data);
}

/* Send one outbox message: 0 sent, 1 waiting for bundles, < 0 error. */
static int send_one(lc_client *c, const lc_store_message *m, uint64_t now)
{
	lc_targets *t = lc_cl_targets_new(c);
	uint8_t *pt = NULL;
	size_t plen = 0;
	int rc;

	if (t == NULL)
		return LC_ERR_NOMEM;
	rc = lc_cl_add_user(c, t, m->chat_id, 0, now);
	t->n_peer = t->n;
	if (rc == 0)
		rc = lc_cl_add_user(c, t, c->uid, 1, now);
	if (rc == 0)
		rc = lc_cl_receipts_init(c, m->id, t);
	if (rc == 0)
		pt = lc_cl_padded_content(c, m, m->chat_id, &plen, &rc);
	if (rc == 0)
		rc = lc_cl_emit_send(c, m->id, m->chat_id, t, pt, plen, NULL,
				     NULL, 0, NULL, now);
	if (pt)
		sodium_free(pt);
	lc_cl_targets_free(t);
	c->mem.free(t, c->mem.user_data);
	return rc;
}

static int in_flight(const lc_client *c, const uint8_t *mid, size_t *count)
{
	int found = 0;

	*count = 0;
	for (size_t i = 0; i < LC_CLIENT_MAX_PENDING; i++)
		if (c->pend[i].rid && c->pend[i].kind == LC_CL_REQ_SEND) {
			(*count)++;
			found |= memcmp(c->pend[i].mid, mid, 16) == 0;
		}
	return found;
}

/* A message that can never be sent leaves the outbox as failed. */
void lc_cl_fail(lc_client *c, const uint8_t *mid, int code, uint64_t now)
{
	(void)lc_store_outbox_ack(c->store, mid);
	(void)lc_cl_receipts_event(c, mid, NULL, 0, LC_RECEIPT_EV_FAILED, now);
	lc_cl_done(c, LC_CLIENT_OP_SEND, code, mid);
}

/* Every queued message to uid fails (the user or its devices are gone). */
static void fail_chat(lc_client *c, const char *uid, int code, uint64_t now)
{
	lc_store_page *page = NULL;

	if (lc_store_outbox_list(c->store, LC_STORE_PAGE_MAX, &page))
		return;
	for (size_t i = 0; i < lc_store_page_count(page); i++) {
		const lc_store_message *m = lc_store_page_get(page, i);
		if (strcmp(m->chat_id, uid) == 0)
			lc_cl_fail(c, m->id, code, now);
	}
	lc_store_page_free(page);
}

void lc_cl_outbox_pump(lc_client *c, uint64_t now)
{
	lc_store_page *page = NULL;

	if (c->state != LC_CLIENT_READY || c->blocked || now < c->retry_at)
		return;
	if (lc_store_outbox_list(c->store, 0, &page))
		return;
	for (size_t i = 0; i < lc_store_page_count(page) && !c->blocked; i++) {
		const lc_store_message *m = lc_store_page_get(page, i);
		size_t busy;
		int rc;

		if (in_flight(c, m->id, &busy))
			continue;
		if (busy >= MAX_IN_FLIGHT)
			break;
		if (m->flags & LC_STORE_MSG_CORRUPT) {
			lc_cl_fail(c, m->id, LC_ERR_STORE_CORRUPT, now);
			continue;
		}
		/* waits for lc_client_trust_identity(): a group's message
		 * while any member's key is held (its sender key would
		 * reach the new key) */
		if (c->hold && (strncmp(m->chat_id, "g:", 2) == 0 ?
				lc_cl_group_held(c, m->chat_id) :
				lc_cl_held(c, m->chat_id)) != 0)
			continue;
		rc = strncmp(m->chat_id, "g:", 2) == 0 ?
		     lc_cl_group_send_one(c, m, now) : send_one(c, m, now);
		if (rc == LC_ERR_BAD_SIGNATURE || rc == LC_ERR_BAD_KEY ||
		    rc == LC_ERR_MALFORMED || rc == LC_ERR_SESSION_VERSION ||
		    rc == LC_ERR_NOT_MEMBER || rc == LC_ERR_INVALID_ARG ||
		    rc == LC_ERR_STORE_CORRUPT) {
			lc_cl_fail(c, m->id, rc, now);
			continue;
		}
		if (rc)
			break; /* waiting (1) or a transient failure */
	}
	lc_store_page_free(page);
}

/* Ack{bundles}: start a session with every new device; remember the
 * user's device list. */
void lc_cl_on_bundles(lc_client *c, lc_cl_pending *p, const lc_envelope *e,
		      uint64_t now)
{
	const Libchat__Ack *a = e->ack;
	uint32_t devs[LC_CL_MAX_DEVICES] = {0};
	size_t n = 0;

	if (c->blocked)
		c->blocked--;
	if (a->result_case != LIBCHAT__ACK__RESULT_BUNDLES) {
		lc_cl_error(c, LC_ERR_MALFORMED, NULL);
		return;
	}
	for (size_t i = 0; i < a->bundles->n_bundles; i++) {
		const Libchat__PrekeyBundle *b = a->bundles->bundles[i];
		lc_prekey_bundle pb;
		lc_ratchet *s = NULL;
		int rc;

		if (b->device == NULL || b->device->user_id == NULL ||
		    strcmp(b->device->user_id, p->uid) != 0 ||
		    b->device->device_id == 0 || n == LC_CL_MAX_DEVICES ||
		    b->identity_key.len != 32 || b->signed_prekey == NULL ||
		    b->signed_prekey->public_key.len != 32 ||
		    b->signed_prekey->signature.len != 64 ||
		    (b->one_time_prekey &&
		     b->one_time_prekey->public_key.len != 32))
			continue;
		devs[n++] = b->device->device_id;
		if (strcmp(p->uid, c->uid) == 0 &&
		    b->device->device_id == c->dev)
			continue;
		memset(&pb, 0, sizeof pb);
		strcpy(pb.user_id, p->uid);
		pb.device_id = b->device->device_id;
		memcpy(pb.identity_key, b->identity_key.data, 32);
		pb.signed_prekey_id = b->signed_prekey->id;
		memcpy(pb.signed_prekey, b->signed_prekey->public_key.data, 32);
		memcpy(pb.signed_prekey_signature,
		       b->signed_prekey->signature.data, 64);
		if (b->one_time_prekey) {
			pb.has_one_time_prekey = 1;
			pb.one_time_prekey_id = b->one_time_prekey->id;
			memcpy(pb.one_time_prekey,
			       b->one_time_prekey->public_key.data, 32);
		}
		if (lc_cl_session_load(c, p->uid, pb.device_id, &s) == 0 &&
		    memcmp(lc_ratchet_remote_identity(s), pb.identity_key,
			   32) == 0) {
			lc_ratchet_free(s);
			continue; /* keep the running session */
		}
		lc_ratchet_free(s);
		s = NULL;
		rc = lc_x3dh_initiate(&s, c->id, &pb, &c->mem, rngp(c));
		if (rc == 0)
			rc = lc_cl_session_save(c, p->uid, pb.device_id, s);
		if (rc == 0)
			rc = lc_cl_identity_seen(c, p->uid, pb.device_id,
						 pb.identity_key, now);
		lc_ratchet_free(s);
		if (rc) {
			n--;
			lc_cl_error(c, rc, NULL);
		}
	}
	if (strcmp(p->uid, c->uid) == 0 || n > 0)
		(void)lc_cl_devices_put(c, p->uid, devs, n);
	if (n == 0 && strcmp(p->uid, c->uid) != 0)
		/* no device to send to: every queued message to it fails */
		fail_chat(c, p->uid, LC_ERR_NO_SUCH_DEVICE, now);
	lc_cl_outbox_pump(c, now);
}

void lc_cl_on_send_answer(lc_client *c, lc_cl_pending *p,
			  const lc_envelope *e, uint64_t now)
{
	int code;

	if (p->kind == LC_CL_REQ_FETCH) { /* an Error to a fetch */
		if (c->blocked)
			c->blocked--;
		code = e->error->code ? -(int)e->error->code : LC_ERR_INTERNAL;
		lc_cl_error(c, code, NULL);
		if (code == LC_ERR_NO_SUCH_USER || code == LC_ERR_FORBIDDEN ||
		    code == LC_ERR_INVALID_ARG || code == LC_ERR_NOT_FOUND ||
		    code == LC_ERR_NO_SUCH_DEVICE) {
			fail_chat(c, p->uid, code, now);
			lc_cl_outbox_pump(c, now);
		} else {
			c->retry_at = now + (e->error->retry_after_ms ?
					     e->error->retry_after_ms : 1000);
		}
		return;
	}
	if (e->body_case == LIBCHAT__ENVELOPE__BODY_ACK) {
		(void)lc_store_outbox_ack(c->store, p->mid);
		if (strncmp(p->uid, "g:", 2) == 0)
			lc_cl_group_confirm(c, p->uid, p->mid);
		(void)lc_cl_receipts_event(c, p->mid, NULL, 0,
					   LC_RECEIPT_EV_SENT, now);
		lc_cl_outbox_pump(c, now);
		return;
	}
	code = e->error->code ? -(int)e->error->code : LC_ERR_INTERNAL;
	switch (code) {
	case LC_ERR_STALE_DEVICES:
		/* devices changed: learn them again and resend, same id */
		if (memcmp(c->stale_mid, p->mid, LC_CLIENT_ID_LEN) != 0) {
			memcpy(c->stale_mid, p->mid, LC_CLIENT_ID_LEN);
			c->stale_count = 0;
		}
		if (++c->stale_count > LC_CL_MAX_STALE) {
			/* the device lists do not settle: give up */
			lc_cl_fail(c, p->mid, code, now);
			lc_cl_outbox_pump(c, now);
			break;
		}
		if (strncmp(p->uid, "g:", 2) == 0) {
			lc_cl_group_stale(c, p->uid, e->error, now);
			break;
		}
		(void)lc_cl_fetch(c, p->uid, now);
		(void)lc_cl_fetch(c, c->uid, now);
		break;
	case LC_ERR_RATE_LIMITED:
	case LC_ERR_INTERNAL:
	case LC_ERR_UNAVAILABLE:
	case LC_ERR_NOMEM:
		c->retry_at = now + (e->error->retry_after_ms ?
				     e->error->retry_after_ms : 1000);
		break;
	default:
		lc_cl_fail(c, p->mid, code, now);
		lc_cl_outbox_pump(c, now);
		break;
	}
}
