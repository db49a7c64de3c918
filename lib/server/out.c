/* Output: every Envelope the core produces is held until lc_server_flush()
 * has committed the turn's writes, then moved to its connection. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server_int.h"

/* Prepend request_id (field 1, varint) to an Envelope packed without it:
 * protobuf fields may come in any order. */
static size_t rid_prefix(uint8_t *out, uint64_t rid)
{
	size_t n = 0;

	if (rid == 0)
		return 0;
	out[n++] = 0x08;
	while (rid >= 0x80) {
		out[n++] = (uint8_t)(rid | 0x80);
		rid >>= 7;
	}
	out[n++] = (uint8_t)rid;
	return n;
}

int lc_srv_emit_raw(lc_server *s, lc_server_conn *c, const uint8_t *p,
		    size_t n, uint64_t rid)
{
	uint8_t pre[11];
	size_t plen = rid_prefix(pre, rid);
	struct lc_out *o;

	if (n + plen > LC_ENVELOPE_MAX)
		return LC_ERR_FRAME_TOO_LARGE;
	o = lc_malloc(&s->mem, sizeof *o + plen + n);
	if (o == NULL)
		return LC_ERR_NOMEM;
	o->next = NULL;
	o->conn = c;
	o->len = plen + n;
	memcpy(o->data, pre, plen);
	memcpy(o->data + plen, p, n);
	if (s->held_tail)
		s->held_tail->next = o;
	else
		s->held = o;
	s->held_tail = o;
	return 0;
}

int lc_srv_emit(lc_server *s, lc_server_conn *c, const lc_envelope *e)
{
	lc_envelope copy = *e;
	size_t n;
	uint8_t *buf;
	int rc;

	copy.request_id = 0; /* emit_raw writes it */
	n = lc_envelope_size(&copy);
	if (n > LC_ENVELOPE_MAX)
		return LC_ERR_FRAME_TOO_LARGE;
	if ((buf = lc_malloc(&s->mem, n ? n : 1)) == NULL)
		return LC_ERR_NOMEM;
	rc = lc_envelope_pack(&copy, buf, n);
	if (rc >= 0)
		rc = lc_srv_emit_raw(s, c, buf, (size_t)rc, e->request_id);
	lc_free(&s->mem, buf);
	return rc;
}

int lc_srv_ack(lc_server *s, lc_server_conn *c, uint64_t rid,
	       Libchat__Ack *ack, uint64_t now)
{
	Libchat__Ack plain = LIBCHAT__ACK__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	if (ack == NULL)
		ack = &plain;
	ack->server_time_ms = now;
	e.request_id = rid;
	e.body_case = LIBCHAT__ENVELOPE__BODY_ACK;
	e.ack = ack;
	return lc_srv_emit(s, c, &e);
}

/* Codes that are not part of the wire protocol go out as INTERNAL or
 * UNAVAILABLE; the details stay in the log. */
static int wire_code(int code)
{
	switch (code) {
	case LC_ERR_STORE_FULL:
	case LC_ERR_STORE_BUSY:
	case LC_ERR_IO:
		return LC_ERR_UNAVAILABLE;
	case LC_ERR_BUFFER_TOO_SMALL:
	case LC_ERR_CALLBACK_FAILURE:
	case LC_ERR_INIT:
	case LC_ERR_STORE_CORRUPT:
	case LC_ERR_STORE_VERSION:
	case LC_ERR_NOT_FOUND:
		return LC_ERR_INTERNAL;
	default:
		return code;
	}
}

/* The devices of a STALE_DEVICES answer, into err (free *buf, *ptrs). */
static int stale_lists(lc_server *s, Libchat__Error *err,
		       Libchat__Address **buf, Libchat__Address ***ptrs)
{
	size_t n = s->n_stale, nm = 0, nx = 0;

	*buf = lc_calloc(&s->mem, n, sizeof **buf);
	*ptrs = lc_calloc(&s->mem, n, sizeof **ptrs);
	if (*buf == NULL || *ptrs == NULL)
		return LC_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		nm += !s->stale[i].extra;
	for (size_t i = 0; i < n; i++) {
		Libchat__Address *a = &(*buf)[i];
		libchat__address__init(a);
		a->user_id = s->stale[i].a.uid;
		a->device_id = s->stale[i].a.dev;
		(*ptrs)[s->stale[i].extra ? nm + nx++ : i - nx] = a;
	}
	err->n_missing_devices = nm;
	err->missing_devices = *ptrs;
	err->n_extra_devices = nx;
	err->extra_devices = *ptrs + nm;
	return 0;
}

void lc_srv_error(lc_server *s, lc_server_conn *c, uint64_t rid, int code,
		  uint64_t retry_after)
{
	Libchat__Error err = LIBCHAT__ERROR__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	Libchat__Address *buf = NULL, **ptrs = NULL;
	int wire = wire_code(code);

	if (wire != code)
		lc_srv_log(s, LC_SERVER_LOG_WARN, "request failed: %s",
			   lc_strerror(code));
	lc_stats_error(s, wire);
	err.code = (Libchat__ErrorCode)-wire;
	err.message = (char *)lc_strerror(wire);
	err.retry_after_ms = retry_after;
	e.request_id = rid;
	e.body_case = LIBCHAT__ENVELOPE__BODY_ERROR;
	e.error = &err;
	if (wire == LC_ERR_STALE_DEVICES && s->n_stale &&
	    (stale_lists(s, &err, &buf, &ptrs) || lc_srv_emit(s, c, &e))) {
		/* too many to list: the bare code still says "refetch" */
		err.n_missing_devices = err.n_extra_devices = 0;
		if (lc_srv_emit(s, c, &e))
			lc_srv_log(s, LC_SERVER_LOG_ERROR,
				   "cannot queue an error");
	} else if (!(wire == LC_ERR_STALE_DEVICES && s->n_stale) &&
		   lc_srv_emit(s, c, &e)) {
		lc_srv_log(s, LC_SERVER_LOG_ERROR, "cannot queue an error");
	}
	s->n_stale = 0;
	lc_free(&s->mem, buf);
	lc_free(&s->mem, ptrs);
}

void lc_srv_drop_held(lc_server *s, lc_server_conn *c)
{
	struct lc_out **pp = &s->held, *o;

	s->held_tail = NULL;
	while ((o = *pp) != NULL) {
		if (o->conn == c) {
			*pp = o->next;
			lc_free(&s->mem, o);
		} else {
			s->held_tail = o;
			pp = &o->next;
		}
	}
}

void lc_srv_log(lc_server *s, int level, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (s->cb.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	s->cb.log(level, line, s->user_data);
}

static int grow(lc_server *s, struct lc_touch **v, size_t *cap, size_t n)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	struct lc_touch *p;

	if (n < *cap)
		return 0;
	p = lc_realloc(&s->mem, *v, ncap * sizeof *p);
	if (p == NULL)
		return LC_ERR_NOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

int lc_srv_touch(lc_server *s, const lc_addr *to, const lc_addr *from,
		 const uint8_t *msg_id)
{
	struct lc_touch *t;
	int rc = grow(s, &s->touched, &s->cap_touched, s->n_touched);

	if (rc)
		return rc;
	t = &s->touched[s->n_touched++];
	memset(t, 0, sizeof *t);
	t->to = *to;
	if (from)
		t->from = *from;
	if (msg_id) {
		memcpy(t->msg_id, msg_id, LC_SERVER_ID_LEN);
		t->is_msg = 1;
	}
	return 0;
}

/* Whether t's device is the last one waiting for the queued callback. */
static int same_as_last(const lc_server *s, const struct lc_touch *t)
{
	const struct lc_touch *l = s->n_rq ? &s->rq[s->n_rq - 1] : NULL;

	return l && l->to.dev == t->to.dev && strcmp(l->to.uid, t->to.uid) == 0;
}

/* After a request's writes are kept: push to the online devices it
 * touched, remember push hooks for the offline ones and queued callbacks
 * for every device not connected here. */
int lc_srv_settle(lc_server *s)
{
	int rc = 0;

	for (size_t i = 0; i < s->n_touched; i++) {
		struct lc_touch *t = &s->touched[i];
		lc_server_conn *c = lc_reg_conn(s, t->to.uid, t->to.dev);
		int there = !c && lc_reg_remote_conn(s, t->to.uid, t->to.dev);

		if (t->is_msg && (c || there))
			s->turn.live++;
		else if (t->is_msg)
			s->turn.offline++;
		if (c) {
			int r = lc_push_pump(s, c);
			if (r && rc == 0)
				rc = r;
			continue;
		}
		if (t->is_msg && !there && s->cb.push &&
		    grow(s, &s->hooks, &s->cap_hooks, s->n_hooks) == 0)
			s->hooks[s->n_hooks++] = *t;
		if (s->cb.queued && !same_as_last(s, t) &&
		    grow(s, &s->rq, &s->cap_rq, s->n_rq) == 0)
			s->rq[s->n_rq++] = *t;
	}
	s->n_touched = 0;
	return rc;
}
