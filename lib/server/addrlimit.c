/* Limits per source address: a token bucket per (kind, address) of
 * N units per hour, refilled continuously and counted in 1/3600000 of a
 * unit so that one millisecond refills exactly N of them. Buckets live in
 * the store (table addrlimit), so every process on the data directory
 * shares them and a restart keeps them; a bucket that is full again is
 * the same as no record, and lc_addrlimit_purge() drops those. */
#include <string.h>

#include "records.h"
#include "server_int.h"

#define HOUR_MS 3600000u /* one unit */
#define KEY_MAX (1 + LC_SERVER_PEER_MAX)

static uint32_t rate_of(const lc_server *s, int kind)
{
	return kind == LC_AL_REGISTER ? s->cfg.register_per_hour
				      : s->cfg.login_failures_per_hour;
}

static size_t key_of(uint8_t k[KEY_MAX], int kind, const lc_server_conn *c)
{
	k[0] = (uint8_t)kind;
	memcpy(k + 1, c->peer, c->peer_len);
	return 1 + (size_t)c->peer_len;
}

/* The bucket's level at now: a record is (level, time of that level). */
static int level(lc_server *s, lc_slice key, uint64_t rate, uint64_t now,
		 uint64_t *out)
{
	uint64_t cap = rate * HOUR_MS, lvl, at;
	lc_slice v;
	lc_rb r;
	int rc = s->be.ops->get(s->be.h, LC_T_ADDRLIMIT, key, &v);

	*out = cap;
	if (rc)
		return rc == LC_ERR_NOT_FOUND ? 0 : rc;
	rb_init(&r, v.p, v.n);
	lvl = rb_u64(&r);
	at = rb_u64(&r);
	if (r.err || lvl > cap)
		return r.err ? LC_ERR_STORE_CORRUPT : 0; /* rate was lowered */
	if (now <= at)
		*out = lvl;
	else if (now - at >= HOUR_MS || (now - at) * rate >= cap - lvl)
		*out = cap;
	else
		*out = lvl + (now - at) * rate;
	return 0;
}

static int off(const lc_server *s, const lc_server_conn *c, int kind)
{
	return c->peer_len == 0 || rate_of(s, kind) == LC_SERVER_LIMIT_OFF;
}

/* 0 when one unit is left, else LC_ERR_THROTTLED and the wait. */
static int check(lc_server *s, lc_server_conn *c, int kind, uint64_t now)
{
	uint8_t k[KEY_MAX];
	uint64_t rate = rate_of(s, kind), lvl;
	int rc;

	if (off(s, c, kind))
		return 0;
	rc = level(s, lc_sl(k, key_of(k, kind, c)), rate, now, &lvl);
	if (rc || lvl >= HOUR_MS)
		return rc;
	s->retry_after = (HOUR_MS - lvl + rate - 1) / rate;
	return LC_ERR_THROTTLED;
}

int lc_addrlimit_spend(lc_server *s, lc_server_conn *c, int kind,
		       uint64_t now)
{
	uint8_t k[KEY_MAX], buf[16];
	uint64_t lvl;
	size_t kn;
	lc_wb w;
	int rc;

	if (off(s, c, kind))
		return 0;
	kn = key_of(k, kind, c);
	rc = level(s, lc_sl(k, kn), rate_of(s, kind), now, &lvl);
	if (rc)
		return rc;
	wb_init(&w, buf, sizeof buf);
	wb_u64(&w, lvl >= HOUR_MS ? lvl - HOUR_MS : 0);
	wb_u64(&w, now);
	return s->be.ops->put(s->be.h, LC_T_ADDRLIMIT, lc_sl(k, kn),
			      lc_sl(buf, w.n), 0);
}

/* A Register spends its unit in a savepoint of its own, so the request's
 * rollback keeps it and a failed write leaves the turn intact. */
static int spend_kept(lc_server *s, lc_server_conn *c, int kind,
		      uint64_t now)
{
	int rc = s->be.ops->savepoint(s->be.h);

	if (rc)
		return rc;
	rc = lc_addrlimit_spend(s, c, kind, now);
	if (rc == 0)
		return s->be.ops->release(s->be.h);
	s->be.ops->rollback(s->be.h);
	return rc;
}

int lc_addrlimit_pre(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		     uint64_t now)
{
	int rc;

	if (e->body_case == LIBCHAT__ENVELOPE__BODY_REGISTER) {
		rc = check(s, c, LC_AL_REGISTER, now);
		return rc ? rc : spend_kept(s, c, LC_AL_REGISTER, now);
	}
	if (e->body_case == LIBCHAT__ENVELOPE__BODY_LOGIN &&
	    e->login->credential_case == LIBCHAT__LOGIN__CREDENTIAL_PASSWORD)
		return check(s, c, LC_AL_LOGIN, now);
	return 0;
}

int lc_addrlimit_purge(lc_server *s, uint64_t now, unsigned max)
{
	lc_slice k, v;
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < max; i++) {
		uint64_t rate, lvl;

		rc = s->be.ops->next(s->be.h, LC_T_ADDRLIMIT, lc_sl(NULL, 0),
				     lc_sl(s->al_cursor, s->al_cursor_len),
				     &k, &v);
		if (rc == LC_ERR_NOT_FOUND) {
			s->al_cursor_len = 0; /* the next call starts over */
			return 0;
		}
		if (rc == 0 && (k.n < 1 || k.n > KEY_MAX))
			rc = LC_ERR_STORE_CORRUPT;
		if (rc)
			break;
		memcpy(s->al_cursor, k.p, k.n);
		s->al_cursor_len = k.n;
		rate = rate_of(s, k.p[0] == LC_AL_REGISTER ? LC_AL_REGISTER
							   : LC_AL_LOGIN);
		if (rate == LC_SERVER_LIMIT_OFF) {
			lvl = UINT64_MAX;
		} else {
			rc = level(s, lc_sl(s->al_cursor, s->al_cursor_len),
				   rate, now, &lvl);
			if (rc == LC_ERR_STORE_CORRUPT)
				lvl = UINT64_MAX; /* a bucket: drop it */
			else if (rc)
				break;
		}
		if (rate == LC_SERVER_LIMIT_OFF || lvl >= rate * HOUR_MS)
			rc = s->be.ops->del(s->be.h, LC_T_ADDRLIMIT,
					    lc_sl(s->al_cursor,
						  s->al_cursor_len));
	}
	return rc == LC_ERR_NOT_FOUND ? 0 : rc;
}
