/* Pushes: every push lives in its device's queue until the device acks
 * it; a connection has at most LC_INFLIGHT_MAX unacknowledged pushes and
 * gets the next ones as it acks, in queue order. */
#include <string.h>

#include "pbscan.h"
#include "records.h"
#include "server_int.h"

static void conn_addr(const lc_server_conn *c, lc_addr *a)
{
	strcpy(a->uid, c->user->uid);
	a->dev = c->dev;
}

/* Split a queue entry into its header and its Envelope. */
static int entry_parse(lc_slice v, int *is_msg, lc_addr *from,
		       const uint8_t **msg_id, lc_slice *env)
{
	const uint8_t *p;
	size_t n;
	lc_rb r;

	rb_init(&r, v.p, v.n);
	*is_msg = rb_u8(&r);
	p = rb_blob(&r, &n);
	if (p == NULL || n > LC_UID_MAX)
		return LC_ERR_STORE_CORRUPT;
	memcpy(from->uid, p, n);
	from->uid[n] = '\0';
	from->dev = rb_u32(&r);
	*msg_id = rb_raw(&r, LC_SERVER_ID_LEN);
	if (r.err)
		return LC_ERR_STORE_CORRUPT;
	*env = lc_sl(v.p + r.off, v.n - r.off);
	return 0;
}

static uint64_t key_seq(lc_slice k)
{
	uint64_t seq = 0;

	for (size_t i = k.n - 8; i < k.n; i++)
		seq = seq << 8 | k.p[i];
	return seq;
}

int lc_push_pump(lc_server *s, lc_server_conn *c)
{
	uint8_t prefix[LC_QKEY_MAX], after[LC_QKEY_MAX];
	size_t plen;

	if (c->closing || c->user == NULL)
		return 0;
	plen = lc_st_dev_key(prefix, c->user->uid, c->dev);
	while (c->n_inflight < LC_INFLIGHT_MAX) {
		lc_slice k, v, env;
		size_t alen = 0;
		lc_addr from;
		const uint8_t *mid;
		uint64_t at;
		int is_msg, rc;

		if (c->next_seq > 0) {
			lc_wb w;
			wb_init(&w, after, sizeof after);
			wb_raw(&w, prefix, plen);
			wb_u64(&w, c->next_seq - 1);
			alen = w.n;
		}
		rc = s->be.ops->next(s->be.h, LC_T_QUEUE, lc_sl(prefix, plen),
				     lc_sl(after, alen), &k, &v);
		if (rc == LC_ERR_NOT_FOUND)
			return 0;
		if (rc == 0 && k.n != plen + 8)
			rc = LC_ERR_STORE_CORRUPT;
		if (rc == 0)
			rc = entry_parse(v, &is_msg, &from, &mid, &env);
		if (rc == 0)
			rc = lc_srv_emit_raw(s, c, env.p, env.n, ++c->next_rid);
		if (rc)
			return rc;
		if (is_msg && lc_pb_deliver_time(env.p, env.n, &at) == 0 &&
		    at >= c->authed_at)
			lc_stats_latency(s, LC_LAT_DELIVERY, at); /* live */
		c->inflight[c->n_inflight].rid = c->next_rid;
		c->inflight[c->n_inflight++].seq = key_seq(k);
		c->next_seq = key_seq(k) + 1;
	}
	return 0;
}

static int delivered_receipt(lc_server *s, lc_server_conn *c,
			     const lc_addr *from, const uint8_t *mid,
			     uint64_t now)
{
	Libchat__Receipt r = LIBCHAT__RECEIPT__INIT;
	Libchat__Address peer = LIBCHAT__ADDRESS__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	ProtobufCBinaryData id = { LC_SERVER_ID_LEN, (uint8_t *)mid };

	peer.user_id = c->user->uid;
	peer.device_id = c->dev;
	r.type = LIBCHAT__RECEIPT_TYPE__RECEIPT_DELIVERED;
	r.peer = &peer;
	r.n_message_ids = 1;
	r.message_ids = &id;
	r.time_ms = now;
	e.body_case = LIBCHAT__ENVELOPE__BODY_RECEIPT;
	e.receipt = &r;
	return lc_push_user(s, from->uid, &e, NULL);
}

/* The device acked push rid: delete its queue entry; a delivered message
 * sends its sender a DELIVERED receipt. An unknown rid changes nothing. */
int lc_push_acked(lc_server *s, lc_server_conn *c, uint64_t rid, uint64_t now)
{
	uint8_t k[LC_QKEY_MAX];
	unsigned i;
	lc_slice v, env;
	lc_addr from, me;
	const uint8_t *mid;
	uint8_t mid_copy[LC_SERVER_ID_LEN];
	int is_msg, rc;
	lc_wb w;

	for (i = 0; i < c->n_inflight && c->inflight[i].rid != rid; i++)
		;
	if (i == c->n_inflight)
		return 0;
	wb_init(&w, k, sizeof k);
	w.n = lc_st_dev_key(k, c->user->uid, c->dev);
	wb_u64(&w, c->inflight[i].seq);
	rc = s->be.ops->get(s->be.h, LC_T_QUEUE, lc_sl(k, w.n), &v);
	if (rc == 0)
		rc = entry_parse(v, &is_msg, &from, &mid, &env);
	if (rc == 0) {
		memcpy(mid_copy, mid, sizeof mid_copy);
		rc = s->be.ops->del(s->be.h, LC_T_QUEUE, lc_sl(k, w.n));
	}
	if (rc == 0) {
		s->req.depth--;
		s->req.acked += (uint64_t)(is_msg != 0);
	}
	if (rc == 0 && is_msg && strcmp(from.uid, c->user->uid) != 0)
		rc = delivered_receipt(s, c, &from, mid_copy, now);
	if (rc && rc != LC_ERR_NOT_FOUND)
		return rc;
	memmove(&c->inflight[i], &c->inflight[i + 1],
		(c->n_inflight - i - 1) * sizeof c->inflight[0]);
	c->n_inflight--;
	conn_addr(c, &me);
	return lc_srv_touch(s, &me, NULL, NULL);
}

int lc_push_user(lc_server *s, const char *uid, const lc_envelope *e,
		 const lc_addr *skip)
{
	uint32_t ids[LC_MAX_DEVICES];
	size_t n;
	lc_addr to;
	int rc = lc_st_dev_list(s, uid, ids, &n);

	if (strlen(uid) > LC_UID_MAX)
		return LC_ERR_INVALID_ARG;
	strcpy(to.uid, uid);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (skip && skip->dev == ids[i] && strcmp(skip->uid, uid) == 0)
			continue;
		to.dev = ids[i];
		rc = lc_st_queue_push(s, &to, e, NULL, NULL);
	}
	return rc;
}
