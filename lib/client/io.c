/* The connection: Noise channel, Envelope dispatch, heartbeats, timeouts. */
#include <string.h>

#include <sodium.h>

#include "client_int.h"

static const lc_rng *rngp(const lc_client *c)
{
	return c->has_rng ? &c->rng : NULL;
}

int lc_client_connect(lc_client *c, uint64_t now)
{
	int rc;

	if (c == NULL)
		return LC_ERR_INVALID_ARG;
	if (c->nc)
		return LC_ERR_INVALID_STATE;
	rc = lc_noise_conn_client_new(&c->nc, c->sec->noise_sk,
				      c->has_pin ? c->pin : NULL, 0, &c->mem,
				      rngp(c));
	if (rc)
		return rc;
	c->next_heartbeat = now + c->heartbeat_ms;
	lc_cl_set_state(c, LC_CLIENT_HANDSHAKE, 0);
	return 0;
}

/* Fail every request in flight (the connection is gone). */
static void fail_pending(lc_client *c)
{
	for (size_t i = 0; i < LC_CLIENT_MAX_PENDING; i++) {
		lc_cl_pending p = c->pend[i];

		if (p.rid == 0)
			continue;
		c->pend[i].rid = 0;
		switch (p.kind) {
		case LC_CL_REQ_REGISTER:
			lc_cl_done(c, LC_CLIENT_OP_REGISTER, LC_ERR_NOT_CONNECTED, NULL);
			break;
		case LC_CL_REQ_LOGIN_PW:
		case LC_CL_REQ_LOGIN_TOKEN:
			lc_cl_done(c, LC_CLIENT_OP_LOGIN, LC_ERR_NOT_CONNECTED, NULL);
			break;
		case LC_CL_REQ_LOGOUT:
			lc_cl_done(c, LC_CLIENT_OP_LOGOUT, LC_ERR_NOT_CONNECTED, NULL);
			break;
		case LC_CL_REQ_PROFILE:
			lc_cl_done(c, LC_CLIENT_OP_PROFILE, LC_ERR_NOT_CONNECTED, NULL);
			break;
		case LC_CL_REQ_READ: /* stays queued for the next READY */
			c->reads_busy = 0;
			break;
		case LC_CL_REQ_GROUP:
			lc_cl_done(c, LC_CLIENT_OP_GROUP, LC_ERR_NOT_CONNECTED, NULL);
			break;
		case LC_CL_REQ_PRESENCE:
			lc_cl_done(c, LC_CLIENT_OP_PRESENCE, LC_ERR_NOT_CONNECTED, NULL);
			break;
		case LC_CL_REQ_LOOKUP:
			lc_cl_done(c, LC_CLIENT_OP_LOOKUP, LC_ERR_NOT_CONNECTED, NULL);
			break;
		case LC_CL_REQ_TICKET:
			lc_cl_ticket_answer(c, &p, LC_ERR_NOT_CONNECTED, NULL);
			break;
		case LC_CL_REQ_KEYS:
			if (c->login_op)
				lc_cl_done(c, c->login_op, LC_ERR_NOT_CONNECTED,
					   NULL);
			c->login_op = 0;
			break;
		default: /* sends stay in the outbox */
			break;
		}
	}
	c->blocked = 0;
}

static void drop_conn(lc_client *c, int reason)
{
	lc_noise_conn_free(c->nc);
	c->nc = NULL;
	fail_pending(c);
	lc_cl_set_state(c, LC_CLIENT_DISCONNECTED, reason);
}

void lc_client_disconnected(lc_client *c, uint64_t now)
{
	(void)now;
	if (c == NULL || c->nc == NULL)
		return;
	drop_conn(c, 0);
}

size_t lc_client_send(lc_client *c, const uint8_t **data)
{
	if (c == NULL || data == NULL || c->nc == NULL)
		return 0;
	return lc_noise_conn_output(c->nc, data);
}

int lc_client_consume(lc_client *c, size_t n)
{
	if (c == NULL || c->nc == NULL)
		return LC_ERR_INVALID_ARG;
	return lc_noise_conn_output_consume(c->nc, n);
}

/* The channel is up: pin a first-contact key, log in by token. */
static int on_established(lc_client *c, uint64_t now)
{
	Libchat__TokenCredential t = LIBCHAT__TOKEN_CREDENTIAL__INIT;
	Libchat__Login l = LIBCHAT__LOGIN__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	uint8_t key[32];
	int rc;

	if (!c->has_pin && lc_noise_conn_remote_static(c->nc, key) == 0) {
		if ((rc = lc_cl_pin_save(c, key)))
			return rc;
	}
	lc_cl_set_state(c, LC_CLIENT_CONNECTED, 0);
	if (!c->has_account)
		return 0;
	t.user_id = c->uid;
	t.device_id = c->dev;
	t.token.data = c->sec->token;
	t.token.len = 32;
	l.credential_case = LIBCHAT__LOGIN__CREDENTIAL_TOKEN;
	l.token = &t;
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGIN;
	e.login = &l;
	rc = lc_cl_emit(c, &e, LC_CL_REQ_LOGIN_TOKEN, now, NULL);
	if (rc == 0)
		lc_cl_set_state(c, LC_CLIENT_LOGGING_IN, 0);
	return rc;
}

static void on_error_answer(lc_client *c, lc_cl_pending *p, int code,
			    const lc_envelope *e, uint64_t now)
{
	switch (p->kind) {
	case LC_CL_REQ_REGISTER:
	case LC_CL_REQ_LOGIN_PW:
		lc_cl_set_state(c, LC_CLIENT_CONNECTED, 0);
		lc_cl_done(c, p->kind == LC_CL_REQ_REGISTER ?
			   LC_CLIENT_OP_REGISTER : LC_CLIENT_OP_LOGIN, code, NULL);
		break;
	case LC_CL_REQ_LOGIN_TOKEN:
		lc_cl_set_state(c, LC_CLIENT_CONNECTED, 0);
		lc_cl_done(c, LC_CLIENT_OP_LOGIN, code, NULL);
		break;
	case LC_CL_REQ_LOGOUT:
		lc_cl_done(c, LC_CLIENT_OP_LOGOUT, code, NULL);
		break;
	case LC_CL_REQ_PROFILE:
		lc_cl_done(c, LC_CLIENT_OP_PROFILE, code, NULL);
		break;
	case LC_CL_REQ_KEYS:
		lc_cl_done(c, LC_CLIENT_OP_KEYS, code, NULL);
		if (c->login_op) {
			int op = c->login_op;

			c->login_op = 0;
			lc_cl_set_state(c, LC_CLIENT_CONNECTED, 0);
			lc_cl_done(c, op, code, NULL);
		}
		break;
	case LC_CL_REQ_FETCH:
	case LC_CL_REQ_SEND:
		lc_cl_on_send_answer(c, p, e, now);
		break;
	case LC_CL_REQ_READ:
		lc_cl_reads_answer(c, code, now);
		break;
	case LC_CL_REQ_GROUP:
		lc_cl_done(c, LC_CLIENT_OP_GROUP, code, NULL);
		break;
	case LC_CL_REQ_PRESENCE:
		lc_cl_done(c, LC_CLIENT_OP_PRESENCE, code, NULL);
		break;
	case LC_CL_REQ_PRESENCE_RENEW:
		lc_cl_presence_renew_failed(c, code);
		break;
	case LC_CL_REQ_LOOKUP:
		lc_cl_done(c, LC_CLIENT_OP_LOOKUP, code, NULL);
		break;
	case LC_CL_REQ_TICKET:
		lc_cl_ticket_answer(c, p, code, NULL);
		break;
	default:
		break;
	}
}

static void on_ack(lc_client *c, lc_cl_pending *p, const lc_envelope *e,
		   uint64_t now)
{
	const Libchat__Ack *a = e->ack;

	switch (p->kind) {
	case LC_CL_REQ_REGISTER:
	case LC_CL_REQ_LOGIN_PW:
	case LC_CL_REQ_LOGIN_TOKEN:
		lc_cl_on_login(c, a, p->kind, now);
		break;
	case LC_CL_REQ_LOGOUT:
		lc_cl_account_forget(c);
		lc_cl_presence_clear(c); /* nothing to renew without an account */
		lc_cl_set_state(c, LC_CLIENT_CONNECTED, 0);
		lc_cl_done(c, LC_CLIENT_OP_LOGOUT, 0, NULL);
		break;
	case LC_CL_REQ_PROFILE:
		lc_cl_done(c, LC_CLIENT_OP_PROFILE, 0, NULL);
		break;
	case LC_CL_REQ_KEYS:
		if (!c->keys_done) {
			c->keys_done = 1;
			if (c->has_account)
				(void)lc_cl_account_save(c);
		}
		lc_cl_done(c, LC_CLIENT_OP_KEYS, 0, NULL);
		if (c->login_op && c->state == LC_CLIENT_LOGGING_IN) {
			int op = c->login_op;

			c->login_op = 0;
			lc_cl_set_state(c, LC_CLIENT_READY, 0);
			lc_cl_done(c, op, 0, NULL);
			lc_cl_on_ready(c, now);
		}
		lc_cl_outbox_pump(c, now);
		break;
	case LC_CL_REQ_FETCH:
		lc_cl_on_bundles(c, p, e, now);
		break;
	case LC_CL_REQ_SEND:
		lc_cl_on_send_answer(c, p, e, now);
		break;
	case LC_CL_REQ_READ:
		lc_cl_reads_answer(c, 0, now);
		break;
	case LC_CL_REQ_GROUP:
		if (a->result_case == LIBCHAT__ACK__RESULT_GROUP)
			lc_cl_on_group(c, a->group, LC_CLIENT_GROUP_INFO, NULL);
		lc_cl_done(c, LC_CLIENT_OP_GROUP, 0, NULL);
		break;
	case LC_CL_REQ_PRESENCE:
		lc_cl_on_presence_list(c, a);
		lc_cl_done(c, LC_CLIENT_OP_PRESENCE, 0, NULL);
		break;
	case LC_CL_REQ_PRESENCE_RENEW:
		lc_cl_on_presence_list(c, a);
		break;
	case LC_CL_REQ_LOOKUP:
		lc_cl_on_user(c, a);
		break;
	case LC_CL_REQ_TICKET:
		lc_cl_ticket_answer(c, p, 0, a);
		break;
	default:
		break;
	}
}

static void on_answer(lc_client *c, const lc_envelope *e, uint64_t now)
{
	lc_cl_pending *pp = lc_cl_pending_take(c, e->request_id);
	lc_cl_pending p;

	if (pp == NULL)
		return; /* late answer to a request that timed out */
	p = *pp;
	if (e->body_case == LIBCHAT__ENVELOPE__BODY_ACK)
		on_ack(c, &p, e, now);
	else
		on_error_answer(c, &p, e->error->code ?
				-(int)e->error->code : LC_ERR_INTERNAL, e, now);
}

static void on_push(lc_client *c, const lc_envelope *e, uint64_t now)
{
	switch (e->body_case) {
	case LIBCHAT__ENVELOPE__BODY_DELIVER:
		lc_cl_on_deliver(c, e, now);
		break;
	case LIBCHAT__ENVELOPE__BODY_RECEIPT:
		lc_cl_on_receipt(c, e, now);
		break;
	case LIBCHAT__ENVELOPE__BODY_GROUP_EVENT:
		if (e->group_event->group)
			lc_cl_on_group(c, e->group_event->group,
				       (int)e->group_event->change,
				       e->group_event->actor_user_id);
		lc_cl_ack_push(c, e->request_id, now);
		break;
	case LIBCHAT__ENVELOPE__BODY_PRESENCE_UPDATE:
		lc_cl_on_presence(c, e->presence_update);
		break;
	case LIBCHAT__ENVELOPE__BODY_PREKEYS_LOW:
		if (lc_prekeys_generate(c->pk, c->prekey_batch) == 0 &&
		    lc_cl_prekeys_save(c) == 0 &&
		    lc_cl_keys_upload(c, 0, now) == 0)
			lc_cl_ack_push(c, e->request_id, now);
		break;
	default:
		break;
	}
}

void lc_cl_payload(lc_client *c, const uint8_t *p, size_t n, uint64_t now)
{
	lc_envelope *e = NULL;
	int rc = lc_envelope_unpack(p, n, &c->mem, &e);

	if (rc == 0) {
		if (e->body_case == LIBCHAT__ENVELOPE__BODY_ACK ||
		    e->body_case == LIBCHAT__ENVELOPE__BODY_ERROR)
			on_answer(c, e, now);
		else
			on_push(c, e, now);
	}
	/* A body this version does not know is ignored; the server never
	 * sends requests to clients. */
	lc_envelope_free(e, &c->mem);
}

int lc_client_recv(lc_client *c, const uint8_t *in, size_t len,
		   uint64_t now)
{
	if (c == NULL || (in == NULL && len))
		return LC_ERR_INVALID_ARG;
	if (c->nc == NULL)
		return LC_ERR_NOT_CONNECTED;
	while (len > 0) {
		const uint8_t *p;
		size_t used = 0, n;
		int rc = lc_noise_conn_recv(c->nc, in, len, &used, &p, &n);

		if (rc < 0) {
			drop_conn(c, rc);
			return rc;
		}
		in += used;
		len -= used;
		if (c->state == LC_CLIENT_HANDSHAKE &&
		    lc_noise_conn_is_established(c->nc)) {
			int r = on_established(c, now);
			if (r) {
				drop_conn(c, r);
				return r;
			}
		}
		if (rc == 1) {
			lc_cl_payload(c, p, n, now);
			if (c->nc == NULL)
				return LC_ERR_NOT_CONNECTED;
		} else if (used == 0) {
			break;
		}
	}
	return 0;
}

uint64_t lc_client_get_expiry(const lc_client *c)
{
	uint64_t t = UINT64_MAX;

	if (c == NULL || c->nc == NULL)
		return t;
	if (c->state >= LC_CLIENT_CONNECTED)
		t = c->next_heartbeat;
	if (c->state == LC_CLIENT_READY && c->retry_at && c->retry_at < t)
		t = c->retry_at;
	for (size_t i = 0; i < LC_CLIENT_MAX_PENDING; i++)
		if (c->pend[i].rid && c->pend[i].deadline < t)
			t = c->pend[i].deadline;
	return t;
}

int lc_client_handle_expiry(lc_client *c, uint64_t now)
{
	if (c == NULL)
		return LC_ERR_INVALID_ARG;
	if (c->nc == NULL)
		return 0;
	for (size_t i = 0; i < LC_CLIENT_MAX_PENDING; i++)
		if (c->pend[i].rid && c->pend[i].deadline <= now) {
			drop_conn(c, LC_ERR_TIMEOUT);
			return LC_ERR_TIMEOUT;
		}
	if (c->state >= LC_CLIENT_CONNECTED && c->next_heartbeat <= now) {
		Libchat__Heartbeat hb = LIBCHAT__HEARTBEAT__INIT;
		lc_envelope e = LIBCHAT__ENVELOPE__INIT;

		hb.client_time_ms = now;
		e.body_case = LIBCHAT__ENVELOPE__BODY_HEARTBEAT;
		e.heartbeat = &hb;
		(void)lc_cl_emit(c, &e, LC_CL_REQ_HEARTBEAT, now, NULL);
		c->next_heartbeat = now + c->heartbeat_ms;
	}
	if (c->retry_at && c->retry_at <= now) {
		c->retry_at = 0;
		lc_cl_outbox_pump(c, now);
	}
	return 0;
}
