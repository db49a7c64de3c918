/* Presence subscriptions, heartbeats and media tickets. */
#include <string.h>

#include "records.h"
#include "server_int.h"

#define MEDIA_TICKET_MS (10ull * 60 * 1000)

static void unwatch(lc_server *s, lc_server_conn *c, struct lc_watch *w)
{
	struct lc_watch **pp;

	for (pp = &w->target->watchers; *pp && *pp != w; pp = &(*pp)->next_t)
		;
	if (*pp)
		*pp = w->next_t;
	for (pp = &c->watches; *pp && *pp != w; pp = &(*pp)->next_c)
		;
	if (*pp)
		*pp = w->next_c;
	c->n_watches--;
	lc_reg_gc(s, w->target);
	lc_free(&s->mem, w);
}

void lc_presence_unwatch_all(lc_server *s, lc_server_conn *c)
{
	while (c->watches)
		unwatch(s, c, c->watches);
}

static struct lc_watch *find_watch(lc_server_conn *c, const char *uid)
{
	for (struct lc_watch *w = c->watches; w; w = w->next_c)
		if (strcmp(w->target->uid, uid) == 0)
			return w;
	return NULL;
}

static int watch(lc_server *s, lc_server_conn *c, const char *uid)
{
	struct lc_watch *w;
	struct lc_ustate *t;

	if (find_watch(c, uid))
		return 0;
	if (c->n_watches >= LC_MAX_WATCHES)
		return LC_ERR_FORBIDDEN;
	if ((t = lc_reg_user(s, uid, 1)) == NULL)
		return LC_ERR_NOMEM;
	if ((w = lc_calloc(&s->mem, 1, sizeof *w)) == NULL) {
		lc_reg_gc(s, t);
		return LC_ERR_NOMEM;
	}
	w->conn = c;
	w->target = t;
	w->next_t = t->watchers;
	t->watchers = w;
	w->next_c = c->watches;
	c->watches = w;
	c->n_watches++;
	return 0;
}

static int state_of(lc_server *s, const char *uid, Libchat__PresenceUpdate *p)
{
	struct lc_ustate *u = lc_reg_user(s, uid, 0);
	int rc;

	libchat__presence_update__init(p);
	p->user_id = (char *)uid;
	p->online = lc_reg_online(u);
	if (p->online)
		return 0;
	rc = lc_st_get_u64(s, LC_T_LASTSEEN, lc_sl(uid, strlen(uid)),
			   &p->last_seen_ms);
	return rc == LC_ERR_NOT_FOUND ? 0 : rc;
}

static int check_all(lc_server *s, lc_server_conn *c,
		     const Libchat__PresenceSubscribe *ps)
{
	if (ps->n_user_ids > LC_MAX_LIST)
		return LC_ERR_INVALID_ARG;
	for (size_t i = 0; i < ps->n_user_ids; i++) {
		const char *uid = ps->user_ids[i];
		int rc;
		if (!lc_valid_uid(uid))
			return LC_ERR_NO_SUCH_USER;
		if (strcmp(uid, c->user->uid) == 0)
			continue;
		rc = lc_share_chat(s, c->user->uid, uid);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return LC_ERR_FORBIDDEN;
	}
	return 0;
}

int lc_h_presence_sub(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		      uint64_t now)
{
	const Libchat__PresenceSubscribe *ps = e->presence_subscribe;
	Libchat__Ack ack = LIBCHAT__ACK__INIT;
	Libchat__PresenceList pl = LIBCHAT__PRESENCE_LIST__INIT;
	Libchat__PresenceUpdate *ups = NULL, **ptrs = NULL;
	size_t n = ps->n_user_ids;
	int rc = ps->unsubscribe ? 0 : check_all(s, c, ps);

	if (rc == 0 && n && !ps->unsubscribe) {
		ups = lc_calloc(&s->mem, n, sizeof *ups);
		ptrs = lc_calloc(&s->mem, n, sizeof *ptrs);
		if (!ups || !ptrs)
			rc = LC_ERR_NOMEM;
	}
	for (size_t i = 0; rc == 0 && !ps->unsubscribe && i < n; i++) {
		ptrs[i] = &ups[i];
		rc = state_of(s, ps->user_ids[i], &ups[i]);
	}
	for (size_t i = 0; rc == 0 && i < n && ps->n_user_ids <= LC_MAX_LIST;
	     i++) {
		struct lc_watch *w = find_watch(c, ps->user_ids[i]);
		if (ps->unsubscribe) {
			if (w)
				unwatch(s, c, w);
		} else {
			rc = watch(s, c, ps->user_ids[i]);
		}
	}
	if (rc == 0) {
		pl.users = ptrs;
		pl.n_users = ps->unsubscribe ? 0 : n;
		ack.result_case = LIBCHAT__ACK__RESULT_PRESENCE;
		ack.presence = &pl;
		rc = lc_srv_ack(s, c, e->request_id, &ack, now);
	}
	lc_free(&s->mem, ups);
	lc_free(&s->mem, ptrs);
	return rc;
}

int lc_h_heartbeat(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		   uint64_t now)
{
	return lc_srv_ack(s, c, e->request_id, NULL, now);
}

int lc_h_media(lc_server *s, lc_server_conn *c, const lc_envelope *e,
	       uint64_t now)
{
	Libchat__Ack ack = LIBCHAT__ACK__INIT;
	Libchat__MediaTicket t = LIBCHAT__MEDIA_TICKET__INIT;

	if (e->media_upload->size == 0)
		return LC_ERR_INVALID_ARG;
	if (e->media_upload->size > s->cfg.media_max_size)
		return LC_ERR_MEDIA_TOO_LARGE;
	t.upload_path = "/v1/media/upload";
	t.max_size = e->media_upload->size;
	t.expires_ms = now + MEDIA_TICKET_MS;
	ack.result_case = LIBCHAT__ACK__RESULT_MEDIA;
	ack.media = &t;
	return lc_srv_ack(s, c, e->request_id, &ack, now);
}
