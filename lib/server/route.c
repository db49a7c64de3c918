/* Routing: Send (direct and group), READ receipts, deduplication. */
#include <string.h>

#include "records.h"
#include "server_int.h"

/* Dedupe key: sender user 0x00 device(be32) message id. */
static size_t dd_key(uint8_t *k, const lc_addr *from, const uint8_t *mid)
{
	size_t n = lc_st_dev_key(k, from->uid, from->dev);

	memcpy(k + n, mid, LC_SERVER_ID_LEN);
	return n + LC_SERVER_ID_LEN;
}

/* 1 when (from, mid) was acknowledged before and has not expired. */
static int dd_seen(lc_server *s, const lc_addr *from, const uint8_t *mid,
		   uint64_t now, int *seen)
{
	uint8_t k[LC_QKEY_MAX + LC_SERVER_ID_LEN];
	uint64_t exp;
	int rc = lc_st_get_u64(s, LC_T_DEDUPE, lc_sl(k, dd_key(k, from, mid)),
			       &exp);

	*seen = rc == 0 && now < exp;
	return rc == LC_ERR_NOT_FOUND ? 0 : rc;
}

static int dd_put(lc_server *s, const lc_addr *from, const uint8_t *mid,
		  uint64_t now)
{
	uint8_t k[LC_QKEY_MAX + LC_SERVER_ID_LEN], ek[8 + sizeof k];
	uint64_t exp = now + s->cfg.dedupe_ttl_ms;
	size_t n = dd_key(k, from, mid);
	lc_wb w;
	int rc = lc_st_put_u64(s, LC_T_DEDUPE, lc_sl(k, n), exp);

	wb_init(&w, ek, sizeof ek);
	wb_u64(&w, exp);
	wb_raw(&w, k, n);
	return rc ? rc : s->be.ops->put(s->be.h, LC_T_DEDUPE_EXP,
					lc_sl(ek, w.n), lc_sl("", 0), 0);
}

int lc_dedupe_purge(lc_server *s, uint64_t now, unsigned max)
{
	uint8_t k[8 + LC_QKEY_MAX + LC_SERVER_ID_LEN];
	lc_slice key, v;
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < max; i++) {
		lc_rb r;
		size_t n;
		rc = s->be.ops->next(s->be.h, LC_T_DEDUPE_EXP, lc_sl(NULL, 0),
				     lc_sl(NULL, 0), &key, &v);
		if (rc)
			break;
		rb_init(&r, key.p, key.n);
		if (rb_u64(&r) > now || key.n > sizeof k)
			return 0;
		memcpy(k, key.p, key.n);
		n = key.n;
		rc = s->be.ops->del(s->be.h, LC_T_DEDUPE, lc_sl(k + 8, n - 8));
		if (rc == 0 || rc == LC_ERR_NOT_FOUND)
			rc = s->be.ops->del(s->be.h, LC_T_DEDUPE_EXP,
					    lc_sl(k, n));
	}
	return rc == LC_ERR_NOT_FOUND ? 0 : rc;
}

static int ack_sent(lc_server *s, lc_server_conn *c, uint64_t rid,
		    const uint8_t *mid, uint64_t now)
{
	Libchat__Ack ack = LIBCHAT__ACK__INIT;
	Libchat__SendResult sr = LIBCHAT__SEND_RESULT__INIT;

	int rc;

	sr.message_id.data = (uint8_t *)mid;
	sr.message_id.len = LC_SERVER_ID_LEN;
	ack.result_case = LIBCHAT__ACK__RESULT_SENT;
	ack.sent = &sr;
	rc = lc_srv_ack(s, c, rid, &ack, now);
	if (rc == 0)
		lc_stats_latency(s, LC_LAT_SENT, now);
	return rc;
}

/* Queue one Deliver for one device. */
int lc_deliver(lc_server *s, const lc_addr *to, const lc_addr *from,
		   const uint8_t *mid, const ProtobufCBinaryData *gid,
		   Libchat__CipherType type, const ProtobufCBinaryData *body,
		   uint64_t now)
{
	Libchat__Deliver d = LIBCHAT__DELIVER__INIT;
	Libchat__Address fa = LIBCHAT__ADDRESS__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	fa.user_id = (char *)from->uid;
	fa.device_id = from->dev;
	d.message_id.data = (uint8_t *)mid;
	d.message_id.len = LC_SERVER_ID_LEN;
	d.from = &fa;
	if (gid)
		d.group_id = *gid;
	d.type = type;
	d.body = *body;
	d.server_time_ms = now;
	e.body_case = LIBCHAT__ENVELOPE__BODY_DELIVER;
	e.deliver = &d;
	return lc_st_queue_push(s, to, &e, from, mid);
}

static int copy_valid(const Libchat__Ciphertext *ct)
{
	return ct && ct->to && lc_valid_uid(ct->to->user_id) &&
	       ct->to->device_id != 0 && ct->body.len > 0;
}

/* Do the copies addressed to uid name each device of `want` (but
 * `skip`) exactly once, and nothing else? */
static int covers(const Libchat__Send *m, const char *uid,
		  const uint32_t *want, size_t n, uint32_t skip)
{
	size_t need = 0, have = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		if (want[i] == skip)
			continue;
		need++;
		for (size_t j = 0; j < m->n_copies; j++)
			if (m->copies[j]->to->device_id == want[i] &&
			    strcmp(m->copies[j]->to->user_id, uid) == 0)
				k++;
		if (k != 1)
			return 0;
	}
	for (size_t j = 0; j < m->n_copies; j++)
		if (strcmp(m->copies[j]->to->user_id, uid) == 0)
			have++;
	return have == need;
}

static int contact(lc_server *s, const char *a, const char *b)
{
	uint8_t k[2 * LC_UID_MAX + 1];
	size_t na = strlen(a), nb = strlen(b);

	memcpy(k, a, na);
	k[na] = 0;
	memcpy(k + na + 1, b, nb);
	return s->be.ops->put(s->be.h, LC_T_CONTACTS, lc_sl(k, na + 1 + nb),
			      lc_sl("", 0), 0);
}

static int send_direct(lc_server *s, const Libchat__Send *m,
		       const lc_addr *me, uint64_t now)
{
	uint32_t mine[LC_MAX_DEVICES], theirs[LC_MAX_DEVICES];
	size_t nm, nt = 0;
	const char *peer = NULL;
	int rc;

	for (size_t i = 0; i < m->n_copies; i++) {
		const char *u = m->copies[i]->to->user_id;
		if (strcmp(u, me->uid) == 0)
			continue;
		if (peer && strcmp(peer, u) != 0)
			return LC_ERR_INVALID_ARG; /* one peer per message */
		peer = u;
	}
	if ((rc = lc_st_dev_list(s, me->uid, mine, &nm)))
		return rc;
	if (peer) {
		rc = lc_st_dev_list(s, peer, theirs, &nt);
		if (rc == 0 && nt == 0)
			return LC_ERR_NO_SUCH_USER;
	}
	if (rc)
		return rc;
	if (!covers(m, me->uid, mine, nm, me->dev) ||
	    (peer && !covers(m, peer, theirs, nt, 0)))
		return LC_ERR_STALE_DEVICES;
	for (size_t i = 0; rc == 0 && i < m->n_copies; i++) {
		lc_addr to;
		strcpy(to.uid, m->copies[i]->to->user_id);
		to.dev = m->copies[i]->to->device_id;
		rc = lc_deliver(s, &to, me, m->message_id.data, NULL,
			     m->copies[i]->type, &m->copies[i]->body, now);
	}
	if (rc == 0 && peer)
		rc = contact(s, me->uid, peer);
	if (rc == 0 && peer)
		rc = contact(s, peer, me->uid);
	return rc;
}

int lc_h_send(lc_server *s, lc_server_conn *c, const lc_envelope *e,
	      uint64_t now)
{
	const Libchat__Send *m = e->send;
	lc_addr me;
	int seen, rc;

	if (m->message_id.len != LC_SERVER_ID_LEN)
		return LC_ERR_INVALID_ARG;
	for (size_t i = 0; i < m->n_copies; i++)
		if (!copy_valid(m->copies[i]))
			return LC_ERR_INVALID_ARG;
	lc_conn_addr(c, &me);
	if ((rc = dd_seen(s, &me, m->message_id.data, now, &seen)))
		return rc;
	if (seen) /* a retry: acknowledged again, queued once */
		return ack_sent(s, c, e->request_id, m->message_id.data, now);
	if ((rc = lc_rate_take(s, c->user, now, &s->retry_after)))
		return rc;
	if (m->group_id.len)
		rc = lc_group_fanout(s, m, &me, now);
	else if (m->n_copies == 0 || m->group_body.len)
		rc = LC_ERR_INVALID_ARG;
	else
		rc = send_direct(s, m, &me, now);
	if (rc == 0)
		rc = dd_put(s, &me, m->message_id.data, now);
	if (rc == 0 && m->group_id.len)
		s->req.group++;
	else if (rc == 0)
		s->req.direct++;
	return rc ? rc : ack_sent(s, c, e->request_id, m->message_id.data, now);
}

/* A client's READ receipt, routed to every device of the peer, who must
 * share a chat with the reader. */
int lc_h_receipt(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		 uint64_t now)
{
	const Libchat__Receipt *in = e->receipt;
	Libchat__Receipt out = LIBCHAT__RECEIPT__INIT;
	Libchat__Address me = LIBCHAT__ADDRESS__INIT;
	lc_envelope pe = LIBCHAT__ENVELOPE__INIT;
	uint32_t ids[LC_MAX_DEVICES];
	size_t n;
	int rc;

	if (in->type != LIBCHAT__RECEIPT_TYPE__RECEIPT_READ || in->peer == NULL ||
	    !lc_valid_uid(in->peer->user_id) || in->n_message_ids == 0 ||
	    in->n_message_ids > LC_MAX_LIST)
		return LC_ERR_INVALID_ARG;
	for (size_t i = 0; i < in->n_message_ids; i++)
		if (in->message_ids[i].len != LC_SERVER_ID_LEN)
			return LC_ERR_INVALID_ARG;
	rc = lc_st_dev_list(s, in->peer->user_id, ids, &n);
	if (rc == 0 && n == 0)
		return LC_ERR_NO_SUCH_USER;
	if (rc == 0)
		rc = lc_share_chat(s, c->user->uid, in->peer->user_id);
	if (rc == 0)
		return LC_ERR_FORBIDDEN; /* receipts only within a chat */
	if (rc < 0)
		return rc;
	me.user_id = c->user->uid;
	me.device_id = c->dev;
	out.type = LIBCHAT__RECEIPT_TYPE__RECEIPT_READ;
	out.peer = &me;
	out.group_id = in->group_id;
	out.n_message_ids = in->n_message_ids;
	out.message_ids = in->message_ids;
	out.time_ms = now;
	pe.body_case = LIBCHAT__ENVELOPE__BODY_RECEIPT;
	pe.receipt = &out;
	rc = lc_push_user(s, in->peer->user_id, &pe, NULL);
	return rc ? rc : lc_srv_ack(s, c, e->request_id, NULL, now);
}
