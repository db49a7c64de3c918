/* The in-memory registry: users with their online connections, presence
 * watchers and rate bucket, found by a hash of the user id. */
#include <string.h>

#include "records.h"
#include "server_int.h"

static size_t bucket(const char *uid)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *uid; uid++)
		h = (h ^ (uint8_t)*uid) * 16777619u;
	return h % LC_USER_BUCKETS;
}

struct lc_ustate *lc_reg_user(lc_server *s, const char *uid, int create)
{
	size_t b = bucket(uid);
	struct lc_ustate *u;

	for (u = s->users[b]; u; u = u->hnext)
		if (strcmp(u->uid, uid) == 0)
			return u;
	if (!create || strlen(uid) > LC_UID_MAX)
		return NULL;
	if ((u = lc_calloc(&s->mem, 1, sizeof *u)) == NULL)
		return NULL;
	strcpy(u->uid, uid);
	u->tokens = (uint64_t)s->cfg.rate_per_minute * 60000u;
	u->hnext = s->users[b];
	s->users[b] = u;
	return u;
}

/* Free u when nothing refers to it and its bucket is full again. */
void lc_reg_gc(lc_server *s, struct lc_ustate *u)
{
	struct lc_ustate **pp = &s->users[bucket(u->uid)];

	if (u->n_conns || u->watchers || u->n_remote ||
	    u->tokens < (uint64_t)s->cfg.rate_per_minute * 60000u)
		return;
	while (*pp && *pp != u)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = u->hnext;
	lc_free(&s->mem, u->remote);
	lc_free(&s->mem, u);
}

int lc_reg_online(const struct lc_ustate *u)
{
	return u && (u->n_conns > 0 || u->remote_conns > 0);
}

lc_server_conn *lc_reg_conn(lc_server *s, const char *uid, uint32_t dev)
{
	struct lc_ustate *u = lc_reg_user(s, uid, 0);
	lc_server_conn *c;

	for (c = u ? u->conns : NULL; c; c = c->unext)
		if (c->dev == dev && !c->closing)
			return c;
	return NULL;
}

static void notify(lc_server *s, struct lc_ustate *u, int online,
		   uint64_t last_seen)
{
	Libchat__PresenceUpdate pu = LIBCHAT__PRESENCE_UPDATE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	pu.user_id = u->uid;
	pu.online = online;
	pu.last_seen_ms = last_seen;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PRESENCE_UPDATE;
	e.presence_update = &pu;
	for (struct lc_watch *w = u->watchers; w; w = w->next_t)
		if (!w->conn->closing && lc_srv_emit(s, w->conn, &e))
			lc_srv_log(s, LC_SERVER_LOG_WARN, "presence dropped");
}

int lc_reg_attach(lc_server *s, lc_server_conn *c, const char *uid,
		  uint32_t dev, uint64_t now)
{
	struct lc_ustate *u = lc_reg_user(s, uid, 1);
	lc_server_conn *old;

	if (u == NULL)
		return LC_ERR_NOMEM;
	/* One connection per device: a new one replaces the old. */
	if ((old = lc_reg_conn(s, uid, dev)) != NULL && old != c) {
		old->closing = 1;
		if (s->cb.close_conn)
			s->cb.close_conn(old, LC_ERR_CLOSED, s->user_data);
	}
	c->user = u;
	c->dev = dev;
	c->unext = u->conns;
	u->conns = c;
	s->stats.conns_authed++;
	c->next_seq = 0;
	c->n_inflight = 0;
	c->authed_at = now;
	if (u->n_conns++ == 0 && u->remote_conns == 0)
		notify(s, u, 1, 0);
	if (s->cb.device_state)
		s->cb.device_state(uid, dev, 1, s->user_data);
	return 0;
}

void lc_reg_detach(lc_server *s, lc_server_conn *c, uint64_t now)
{
	struct lc_ustate *u = c->user;
	lc_server_conn **pp;

	if (u == NULL)
		return;
	for (pp = &u->conns; *pp && *pp != c; pp = &(*pp)->unext)
		;
	if (*pp)
		*pp = c->unext;
	c->user = NULL;
	c->unext = NULL;
	s->stats.conns_authed--;
	c->n_inflight = 0;
	if (s->cb.device_state)
		s->cb.device_state(u->uid, c->dev, 0, s->user_data);
	if (--u->n_conns == 0) {
		if (lc_st_put_u64(s, LC_T_LASTSEEN, lc_sl(u->uid, strlen(u->uid)),
				  now))
			lc_srv_log(s, LC_SERVER_LOG_WARN, "last seen not stored");
		if (u->remote_conns == 0)
			notify(s, u, 0, now);
	}
	lc_reg_gc(s, u);
}

static struct lc_remote_dev *remote_find(struct lc_ustate *u, uint32_t dev)
{
	for (unsigned i = 0; u && i < u->n_remote; i++)
		if (u->remote[i].dev == dev)
			return &u->remote[i];
	return NULL;
}

int lc_reg_remote_conn(lc_server *s, const char *uid, uint32_t dev)
{
	return remote_find(lc_reg_user(s, uid, 0), dev) != NULL;
}

/* One more connection of (u, dev) elsewhere. */
static int remote_add(lc_server *s, struct lc_ustate *u, uint32_t dev)
{
	struct lc_remote_dev *r = remote_find(u, dev), *p;

	if (r == NULL) {
		p = lc_realloc(&s->mem, u->remote,
			       (u->n_remote + 1) * sizeof *p);
		if (p == NULL)
			return LC_ERR_NOMEM;
		u->remote = p;
		r = &p[u->n_remote++];
		r->dev = dev;
		r->n = 0;
	}
	r->n++;
	u->remote_conns++;
	return 0;
}

/* One connection fewer; an unknown one changes nothing. */
static void remote_del(struct lc_ustate *u, uint32_t dev)
{
	struct lc_remote_dev *r = remote_find(u, dev);

	if (r == NULL)
		return;
	u->remote_conns--;
	if (--r->n == 0)
		*r = u->remote[--u->n_remote];
}

int lc_reg_remote(lc_server *s, const char *uid, uint32_t dev, int online,
		  uint64_t now)
{
	struct lc_ustate *u = lc_reg_user(s, uid, online);
	int was, rc = 0;

	if (u == NULL)
		return online ? LC_ERR_NOMEM : 0;
	was = lc_reg_online(u);
	if (online)
		rc = remote_add(s, u, dev);
	else
		remote_del(u, dev);
	if (rc == 0 && was != lc_reg_online(u))
		notify(s, u, !was, was ? now : 0);
	lc_reg_gc(s, u);
	return rc;
}
