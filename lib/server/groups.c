/* Group handlers: create, add, remove, leave, info, and the fan-out of
 * group messages. Every change is announced with a GroupEvent push. */
#include <string.h>

#include "group.h"

/* GroupInfo with each member's devices, built in one allocation. */
struct info {
	Libchat__GroupInfo gi;
	Libchat__GroupMember *mem;
	Libchat__GroupMember **ptrs;
	uint32_t (*ids)[LC_MAX_DEVICES];
};

static void info_free(lc_server *s, struct info *in)
{
	lc_free(&s->mem, in->mem);
	lc_free(&s->mem, in->ptrs);
	lc_free(&s->mem, in->ids);
}

static int info_build(lc_server *s, lc_group *g, struct info *in)
{
	int rc = 0;

	memset(in, 0, sizeof *in);
	libchat__group_info__init(&in->gi);
	in->mem = lc_calloc(&s->mem, g->n + 1, sizeof *in->mem);
	in->ptrs = lc_calloc(&s->mem, g->n + 1, sizeof *in->ptrs);
	in->ids = lc_calloc(&s->mem, g->n + 1, sizeof *in->ids);
	if (!in->mem || !in->ptrs || !in->ids) {
		info_free(s, in);
		return LC_ERR_NOMEM;
	}
	for (size_t i = 0; rc == 0 && i < g->n; i++) {
		Libchat__GroupMember *m = &in->mem[i];
		libchat__group_member__init(m);
		m->user_id = g->m[i].uid;
		m->role = (Libchat__GroupRole)g->m[i].role;
		m->device_ids = in->ids[i];
		rc = lc_st_dev_list(s, g->m[i].uid, in->ids[i], &m->n_device_ids);
		in->ptrs[i] = m;
	}
	in->gi.group_id.data = g->id;
	in->gi.group_id.len = LC_SERVER_ID_LEN;
	in->gi.name = g->name;
	in->gi.members = in->ptrs;
	in->gi.n_members = g->n;
	in->gi.version = g->version;
	if (rc)
		info_free(s, in);
	return rc;
}

/* Push a GroupEvent to every member's devices and to `extra` users, but
 * not to the acting device. */
static int announce(lc_server *s, lc_group *g, Libchat__GroupChange change,
		    const lc_addr *actor, char **users, size_t n_users,
		    int users_too)
{
	Libchat__GroupEvent ev = LIBCHAT__GROUP_EVENT__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	struct info in;
	int rc = info_build(s, g, &in);

	if (rc)
		return rc;
	ev.change = change;
	ev.actor_user_id = (char *)actor->uid;
	ev.user_ids = users;
	ev.n_user_ids = n_users;
	ev.group = &in.gi;
	e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_EVENT;
	e.group_event = &ev;
	for (size_t i = 0; rc == 0 && i < g->n; i++)
		rc = lc_push_user(s, g->m[i].uid, &e, actor);
	for (size_t i = 0; rc == 0 && users_too && i < n_users; i++)
		if (lc_group_find(g, users[i]) < 0)
			rc = lc_push_user(s, users[i], &e, actor);
	info_free(s, &in);
	return rc;
}

static int ack_group(lc_server *s, lc_server_conn *c, uint64_t rid,
		     lc_group *g, uint64_t now)
{
	Libchat__Ack ack = LIBCHAT__ACK__INIT;
	struct info in;
	int rc = info_build(s, g, &in);

	if (rc)
		return rc;
	ack.result_case = LIBCHAT__ACK__RESULT_GROUP;
	ack.group = &in.gi;
	rc = lc_srv_ack(s, c, rid, &ack, now);
	info_free(s, &in);
	return rc;
}

static int user_exists(lc_server *s, const char *uid)
{
	lc_slice v;
	int rc;

	if (!lc_valid_uid(uid))
		return LC_ERR_NO_SUCH_USER;
	rc = s->be.ops->get(s->be.h, LC_T_USERS, lc_sl(uid, strlen(uid)), &v);
	return rc == LC_ERR_NOT_FOUND ? LC_ERR_NO_SUCH_USER : rc;
}

/* Add the users not yet in g; returns how many in *added. */
static int add_members(lc_server *s, lc_group *g, char **uids, size_t n,
		       size_t *added)
{
	int rc = 0;

	*added = 0;
	if (n > LC_MAX_LIST)
		return LC_ERR_INVALID_ARG;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if ((rc = user_exists(s, uids[i])))
			break;
		if (lc_group_find(g, uids[i]) >= 0)
			continue;
		if (g->n >= s->cfg.max_group_members)
			return LC_ERR_FORBIDDEN;
		strcpy(g->m[g->n].uid, uids[i]);
		g->m[g->n++].role = LIBCHAT__GROUP_ROLE__ROLE_MEMBER;
		rc = lc_group_member_put(s, g->id, uids[i], 0);
		(*added)++;
	}
	return rc;
}

int lc_h_group_create(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		      uint64_t now)
{
	const Libchat__GroupCreate *gc = e->group_create;
	lc_group *g;
	lc_addr me;
	size_t added;
	int rc;

	if (strlen(gc->name) > LC_GROUP_NAME_MAX)
		return LC_ERR_INVALID_ARG;
	if ((rc = lc_group_new(s, &g)))
		return rc;
	lc_conn_addr(c, &me);
	s->rng.fill(g->id, sizeof g->id, s->rng.user_data);
	strcpy(g->name, gc->name);
	g->version = 1;
	strcpy(g->m[0].uid, me.uid);
	g->m[0].role = LIBCHAT__GROUP_ROLE__ROLE_ADMIN;
	g->n = 1;
	rc = lc_group_member_put(s, g->id, me.uid, 1);
	if (rc == 0)
		rc = add_members(s, g, gc->member_user_ids, gc->n_member_user_ids,
				 &added);
	if (rc == 0)
		rc = lc_group_save(s, g);
	if (rc == 0)
		rc = announce(s, g, LIBCHAT__GROUP_CHANGE__GROUP_CREATED, &me,
			      NULL, 0, 0);
	if (rc == 0)
		rc = ack_group(s, c, e->request_id, g, now);
	lc_group_free(s, g);
	return rc;
}

/* Load the group and check the connection's user may change it. */
static int load_for(lc_server *s, lc_server_conn *c,
		    const ProtobufCBinaryData *gid, int admin, lc_group **out)
{
	lc_group *g;
	int i, rc = lc_group_new(s, &g);

	if (rc)
		return rc;
	rc = lc_group_load(s, gid->data, gid->len, g);
	if (rc == 0 && (i = lc_group_find(g, c->user->uid)) < 0)
		rc = LC_ERR_NOT_MEMBER;
	else if (rc == 0 && admin && g->m[i].role != LIBCHAT__GROUP_ROLE__ROLE_ADMIN)
		rc = LC_ERR_NOT_ADMIN;
	if (rc) {
		lc_group_free(s, g);
		return rc;
	}
	*out = g;
	return 0;
}

int lc_h_group_add(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		   uint64_t now)
{
	const Libchat__GroupAdd *ga = e->group_add;
	lc_group *g;
	lc_addr me;
	size_t added;
	int rc = load_for(s, c, &ga->group_id, 1, &g);

	if (rc)
		return rc;
	lc_conn_addr(c, &me);
	rc = add_members(s, g, ga->user_ids, ga->n_user_ids, &added);
	g->version++;
	if (rc == 0)
		rc = lc_group_save(s, g);
	if (rc == 0)
		rc = announce(s, g, LIBCHAT__GROUP_CHANGE__GROUP_ADDED, &me,
			      ga->user_ids, ga->n_user_ids, 0);
	if (rc == 0)
		rc = ack_group(s, c, e->request_id, g, now);
	lc_group_free(s, g);
	return rc;
}

/* Drop uid from g; keep at least one admin while members remain. */
static int drop_member(lc_server *s, lc_group *g, const char *uid)
{
	int i = lc_group_find(g, uid), admins = 0;

	if (i < 0)
		return 0;
	g->m[i] = g->m[--g->n];
	for (size_t k = 0; k < g->n; k++)
		admins += g->m[k].role == LIBCHAT__GROUP_ROLE__ROLE_ADMIN;
	if (g->n && !admins) {
		g->m[0].role = LIBCHAT__GROUP_ROLE__ROLE_ADMIN;
		int rc = lc_group_member_put(s, g->id, g->m[0].uid, 1);
		if (rc)
			return rc;
	}
	return lc_group_member_del(s, g->id, uid);
}

static int finish_change(lc_server *s, lc_server_conn *c, lc_group *g,
			 Libchat__GroupChange change, char **uids, size_t n,
			 uint64_t rid, int answer_group, uint64_t now)
{
	lc_addr me;
	int rc;

	lc_conn_addr(c, &me);
	g->version++;
	if (g->n == 0)
		rc = s->be.ops->del(s->be.h, LC_T_GROUPS,
				    lc_sl(g->id, LC_SERVER_ID_LEN));
	else
		rc = lc_group_save(s, g);
	if (rc == 0)
		rc = announce(s, g, change, &me, uids, n, 1);
	if (rc == 0)
		rc = answer_group ? ack_group(s, c, rid, g, now) :
		     lc_srv_ack(s, c, rid, NULL, now);
	return rc;
}

int lc_h_group_remove(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		      uint64_t now)
{
	const Libchat__GroupRemove *gr = e->group_remove;
	lc_group *g;
	int rc = load_for(s, c, &gr->group_id, 1, &g);

	if (rc)
		return rc;
	if (gr->n_user_ids > LC_MAX_LIST)
		rc = LC_ERR_INVALID_ARG;
	for (size_t i = 0; rc == 0 && i < gr->n_user_ids; i++)
		rc = drop_member(s, g, gr->user_ids[i]);
	if (rc == 0)
		rc = finish_change(s, c, g, LIBCHAT__GROUP_CHANGE__GROUP_REMOVED,
				   gr->user_ids, gr->n_user_ids, e->request_id,
				   1, now);
	lc_group_free(s, g);
	return rc;
}

int lc_h_group_leave(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		     uint64_t now)
{
	lc_group *g;
	char *me = c->user->uid;
	int rc = load_for(s, c, &e->group_leave->group_id, 0, &g);

	if (rc)
		return rc;
	rc = drop_member(s, g, me);
	if (rc == 0)
		rc = finish_change(s, c, g, LIBCHAT__GROUP_CHANGE__GROUP_LEFT,
				   &me, 1, e->request_id, 0, now);
	lc_group_free(s, g);
	return rc;
}

int lc_h_group_info(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		    uint64_t now)
{
	lc_group *g;
	int rc = load_for(s, c, &e->group_info->group_id, 0, &g);

	if (rc)
		return rc;
	rc = ack_group(s, c, e->request_id, g, now);
	lc_group_free(s, g);
	return rc;
}

/* Group Send: pairwise copies (sender-key distributions) first, so they
 * arrive before the group body they unlock; then group_body to every
 * member device but the sending one. */
int lc_group_fanout(lc_server *s, const Libchat__Send *m, const lc_addr *me,
		    uint64_t now)
{
	lc_group *g;
	uint32_t ids[LC_MAX_DEVICES];
	size_t n;
	int rc = lc_group_new(s, &g);

	if (rc)
		return rc;
	rc = lc_group_load(s, m->group_id.data, m->group_id.len, g);
	if (rc == 0 && lc_group_find(g, me->uid) < 0)
		rc = LC_ERR_NOT_MEMBER;
	if (rc == 0 && m->group_body.len == 0 && m->n_copies == 0)
		rc = LC_ERR_INVALID_ARG;
	if (rc == 0 && m->n_key_holders && m->group_body.len == 0)
		rc = LC_ERR_INVALID_ARG;
	for (size_t i = 0; rc == 0 && i < m->n_key_holders; i++) {
		const Libchat__Address *a = m->key_holders[i];
		if (a == NULL || !lc_valid_uid(a->user_id) || a->device_id == 0)
			rc = LC_ERR_INVALID_ARG;
	}
	for (size_t i = 0; rc == 0 && i < m->n_copies; i++)
		if (lc_group_find(g, m->copies[i]->to->user_id) < 0)
			rc = LC_ERR_FORBIDDEN;
	if (rc == 0 && m->group_body.len)
		rc = lc_group_cover(s, m, g, me);
	for (size_t i = 0; rc == 0 && i < m->n_copies; i++) {
		const Libchat__Ciphertext *ct = m->copies[i];
		lc_addr to;
		if (lc_group_find(g, ct->to->user_id) < 0) {
			rc = LC_ERR_FORBIDDEN;
			break;
		}
		strcpy(to.uid, ct->to->user_id);
		to.dev = ct->to->device_id;
		rc = lc_deliver(s, &to, me, m->message_id.data, &m->group_id,
				ct->type, &ct->body, now);
	}
	for (size_t i = 0; rc == 0 && m->group_body.len && i < g->n; i++) {
		lc_addr to;
		strcpy(to.uid, g->m[i].uid);
		rc = lc_st_dev_list(s, to.uid, ids, &n);
		for (size_t k = 0; rc == 0 && k < n; k++) {
			to.dev = ids[k];
			if (to.dev == me->dev && strcmp(to.uid, me->uid) == 0)
				continue;
			rc = lc_deliver(s, &to, me, m->message_id.data,
					&m->group_id,
					LIBCHAT__CIPHER_TYPE__CIPHER_SENDER_KEY,
					&m->group_body, now);
		}
	}
	lc_group_free(s, g);
	return rc;
}
