/* The dispatcher: one decoded Envelope in, its answer held for flush.
 * Each request runs in a savepoint, so a failed one leaves no writes. */
#include <string.h>

#include "server_int.h"

static lc_handler *const handlers[] = {
	[LIBCHAT__ENVELOPE__BODY_REGISTER] = lc_h_register,
	[LIBCHAT__ENVELOPE__BODY_LOGIN] = lc_h_login,
	[LIBCHAT__ENVELOPE__BODY_LOGOUT] = lc_h_logout,
	[LIBCHAT__ENVELOPE__BODY_PROFILE_UPDATE] = lc_h_profile,
	[LIBCHAT__ENVELOPE__BODY_USER_LOOKUP] = lc_h_lookup,
	[LIBCHAT__ENVELOPE__BODY_KEYS_UPLOAD] = lc_h_keys_upload,
	[LIBCHAT__ENVELOPE__BODY_PREKEY_FETCH] = lc_h_prekey_fetch,
	[LIBCHAT__ENVELOPE__BODY_SEND] = lc_h_send,
	[LIBCHAT__ENVELOPE__BODY_RECEIPT] = lc_h_receipt,
	[LIBCHAT__ENVELOPE__BODY_GROUP_CREATE] = lc_h_group_create,
	[LIBCHAT__ENVELOPE__BODY_GROUP_ADD] = lc_h_group_add,
	[LIBCHAT__ENVELOPE__BODY_GROUP_REMOVE] = lc_h_group_remove,
	[LIBCHAT__ENVELOPE__BODY_GROUP_LEAVE] = lc_h_group_leave,
	[LIBCHAT__ENVELOPE__BODY_GROUP_INFO] = lc_h_group_info,
	[LIBCHAT__ENVELOPE__BODY_PRESENCE_SUBSCRIBE] = lc_h_presence_sub,
	[LIBCHAT__ENVELOPE__BODY_HEARTBEAT] = lc_h_heartbeat,
	[LIBCHAT__ENVELOPE__BODY_MEDIA_UPLOAD] = lc_h_media,
};

/* The client's Ack of a push. */
static lc_handler on_ack;
static int on_ack(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		  uint64_t now)
{
	if (c->user == NULL)
		return 0; /* no pushes before login */
	return lc_push_acked(s, c, e->request_id, now);
}

/* Drop whatever a failed request appended after `mark`. */
static void truncate_held(lc_server *s, struct lc_out *mark)
{
	struct lc_out *o = mark ? mark->next : s->held, *next;

	for (; o; o = next) {
		next = o->next;
		lc_free(&s->mem, o);
	}
	if (mark)
		mark->next = NULL;
	else
		s->held = NULL;
	s->held_tail = mark;
}

static lc_handler *pick(const lc_server_conn *c, const lc_envelope *e,
			int *err)
{
	unsigned body = (unsigned)e->body_case;
	lc_handler *h = NULL;

	*err = LC_ERR_UNSUPPORTED; /* server pushes and unknown bodies */
	if (body == LIBCHAT__ENVELOPE__BODY_ACK)
		return on_ack;
	if (body < sizeof handlers / sizeof handlers[0])
		h = handlers[body];
	if (h && c->user == NULL && body != LIBCHAT__ENVELOPE__BODY_REGISTER &&
	    body != LIBCHAT__ENVELOPE__BODY_LOGIN &&
	    body != LIBCHAT__ENVELOPE__BODY_HEARTBEAT) {
		*err = LC_ERR_AUTH_REQUIRED;
		return NULL;
	}
	return h;
}

int lc_srv_handle_envelope(lc_server *s, lc_server_conn *c,
			   const lc_envelope *e, uint64_t now)
{
	struct lc_out *mark = s->held_tail;
	size_t lat_mark = s->n_lat[LC_LAT_SENT];
	lc_handler *h;
	int rc;

	if (c->closing)
		return LC_ERR_CLOSED;
	c->last_rx = now;
	if (e->body_case == LIBCHAT__ENVELOPE__BODY_ERROR)
		return 0; /* a client refusing a push: it stays queued */
	if ((h = pick(c, e, &rc)) == NULL) {
		lc_srv_error(s, c, e->request_id, rc, 0);
		return 0;
	}
	s->retry_after = 0;
	s->n_stale = 0;
	s->n_touched = 0;
	if ((rc = lc_addrlimit_pre(s, c, e, now)) != 0) {
		lc_srv_error(s, c, e->request_id, rc, s->retry_after);
		return 0;
	}
	rc = s->be.ops->savepoint(s->be.h);
	if (rc == 0) {
		rc = h(s, c, e, now);
		if (rc == 0)
			rc = s->be.ops->release(s->be.h);
		else
			s->be.ops->rollback(s->be.h);
	}
	lc_stats_request_end(s, rc == 0);
	if (rc == 0)
		return lc_srv_settle(s);
	truncate_held(s, mark);
	s->n_lat[LC_LAT_SENT] = lat_mark;
	s->n_touched = 0;
	if (e->body_case != LIBCHAT__ENVELOPE__BODY_ACK)
		lc_srv_error(s, c, e->request_id, rc, s->retry_after);
	return 0;
}

static void close_conn(lc_server *s, lc_server_conn *c, int reason)
{
	c->closing = 1;
	if (s->cb.close_conn)
		s->cb.close_conn(c, reason, s->user_data);
}

int lc_srv_conn_payload(lc_server_conn *c, const uint8_t *p, size_t n,
			uint64_t now)
{
	lc_server *s = c->srv;
	lc_envelope *e = NULL;
	int rc;

	if (c->closing)
		return LC_ERR_CLOSED;
	rc = lc_envelope_unpack(p, n, &s->mem, &e);
	if (rc == LC_ERR_UNSUPPORTED) {
		c->last_rx = now;
		lc_srv_error(s, c, e->request_id, rc, 0);
		lc_envelope_free(e, &s->mem);
		return 0;
	}
	if (rc) {
		/* Malformed or oversize: answer, then close this one only. */
		lc_srv_error(s, c, 0, rc == LC_ERR_NOMEM ? rc :
			     rc == LC_ERR_FRAME_TOO_LARGE ? rc :
			     LC_ERR_MALFORMED, 0);
		close_conn(s, c, rc);
		return rc;
	}
	rc = lc_srv_handle_envelope(s, c, e, now);
	lc_envelope_free(e, &s->mem);
	if (rc && lc_err_is_fatal(rc))
		close_conn(s, c, rc);
	return rc;
}
