/* Groups, marking chats read, safety numbers and lookups. */
#include <string.h>

#include <sodium.h>

#include "client_int.h"

#define MAX_MEMBERS 256

static int logged_in(const lc_client *c)
{
	return c->state == LC_CLIENT_READY;
}

static int valid_list(const char *const *ids, size_t n)
{
	if ((ids == NULL && n) || n > MAX_MEMBERS)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!lc_cl_valid_uid(ids[i]))
			return 0;
	return 1;
}

int lc_client_group_create(lc_client *c, const char *name,
			   const char *const *members, size_t n,
			   uint64_t now)
{
	Libchat__GroupCreate g = LIBCHAT__GROUP_CREATE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	if (c == NULL || name == NULL || !valid_list(members, n))
		return LC_ERR_INVALID_ARG;
	if (!logged_in(c))
		return LC_ERR_NOT_LOGGED_IN;
	g.name = (char *)name;
	g.member_user_ids = (char **)members;
	g.n_member_user_ids = n;
	e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_CREATE;
	e.group_create = &g;
	return lc_cl_emit(c, &e, LC_CL_REQ_GROUP, now, NULL);
}

static int members_op(lc_client *c, const uint8_t *gid,
		      const char *const *members, size_t n, int add,
		      uint64_t now)
{
	Libchat__GroupAdd ga = LIBCHAT__GROUP_ADD__INIT;
	Libchat__GroupRemove gr = LIBCHAT__GROUP_REMOVE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	if (c == NULL || gid == NULL || n == 0 || !valid_list(members, n))
		return LC_ERR_INVALID_ARG;
	if (!logged_in(c))
		return LC_ERR_NOT_LOGGED_IN;
	if (add) {
		ga.group_id.data = (uint8_t *)gid;
		ga.group_id.len = LC_CLIENT_GROUP_ID_LEN;
		ga.user_ids = (char **)members;
		ga.n_user_ids = n;
		e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_ADD;
		e.group_add = &ga;
	} else {
		gr.group_id.data = (uint8_t *)gid;
		gr.group_id.len = LC_CLIENT_GROUP_ID_LEN;
		gr.user_ids = (char **)members;
		gr.n_user_ids = n;
		e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_REMOVE;
		e.group_remove = &gr;
	}
	return lc_cl_emit(c, &e, LC_CL_REQ_GROUP, now, NULL);
}

int lc_client_group_add(lc_client *c, const uint8_t *group_id,
			const char *const *members, size_t n, uint64_t now)
{
	return members_op(c, group_id, members, n, 1, now);
}

int lc_client_group_remove(lc_client *c, const uint8_t *group_id,
			   const char *const *members, size_t n, uint64_t now)
{
	return members_op(c, group_id, members, n, 0, now);
}

int lc_client_group_leave(lc_client *c, const uint8_t *group_id,
			  uint64_t now)
{
	Libchat__GroupLeave gl = LIBCHAT__GROUP_LEAVE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	if (c == NULL || group_id == NULL)
		return LC_ERR_INVALID_ARG;
	if (!logged_in(c))
		return LC_ERR_NOT_LOGGED_IN;
	gl.group_id.data = (uint8_t *)group_id;
	gl.group_id.len = LC_CLIENT_GROUP_ID_LEN;
	e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_LEAVE;
	e.group_leave = &gl;
	return lc_cl_emit(c, &e, LC_CL_REQ_GROUP, now, NULL);
}

int lc_client_group_info(lc_client *c, const uint8_t *group_id,
			 uint64_t now)
{
	Libchat__GroupInfoRequest gi = LIBCHAT__GROUP_INFO_REQUEST__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	if (c == NULL || group_id == NULL)
		return LC_ERR_INVALID_ARG;
	if (!logged_in(c))
		return LC_ERR_NOT_LOGGED_IN;
	gi.group_id.data = (uint8_t *)group_id;
	gi.group_id.len = LC_CLIENT_GROUP_ID_LEN;
	e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_INFO;
	e.group_info = &gi;
	return lc_cl_emit(c, &e, LC_CL_REQ_GROUP, now, NULL);
}

void lc_cl_on_group(lc_client *c, const Libchat__GroupInfo *g, int change,
		    const char *actor)
{
	const char *names[MAX_MEMBERS];
	int admins[MAX_MEMBERS];
	lc_client_group out;

	if (g->group_id.len != LC_CLIENT_GROUP_ID_LEN ||
	    g->n_members > MAX_MEMBERS)
		return;
	lc_cl_group_update(c, g);
	if (c->cb.group == NULL)
		return;
	for (size_t i = 0; i < g->n_members; i++) {
		names[i] = g->members[i]->user_id;
		admins[i] = g->members[i]->role == LIBCHAT__GROUP_ROLE__ROLE_ADMIN;
	}
	out.id = g->group_id.data;
	out.name = g->name;
	out.version = g->version;
	out.n_members = g->n_members;
	out.members = names;
	out.admins = admins;
	c->cb.group(&out, change, actor, c->ud);
}

void lc_cl_on_ready(lc_client *c, uint64_t now)
{
	lc_cl_reads_flush(c, now);
	lc_cl_presence_renew(c, now);
}

int lc_client_mark_read(lc_client *c, const char *chat_id, uint64_t now)
{
	lc_store_chats *ch = NULL;
	lc_store_page *pg = NULL;
	uint32_t unread;
	int rc;

	if (c == NULL || chat_id == NULL)
		return LC_ERR_INVALID_ARG;
	if (!c->has_account)
		return LC_ERR_NOT_LOGGED_IN;
	if ((rc = lc_store_chat_get(c->store, chat_id, &ch)))
		return rc;
	unread = lc_store_chats_get(ch, 0)->unread;
	lc_store_chats_free(ch);
	if (unread == 0)
		return 0;
	if (unread > LC_STORE_PAGE_MAX)
		unread = LC_STORE_PAGE_MAX;
	if ((rc = lc_store_messages_page(c->store, chat_id, 0, unread, &pg)))
		return rc;
	rc = lc_cl_reads_queue(c, pg);
	lc_store_page_free(pg);
	if (rc == 0)
		rc = lc_store_chat_mark_read(c->store, chat_id);
	lc_cl_reads_flush(c, now); /* now if READY, else on the next READY */
	return rc;
}

int lc_client_safety_number(lc_client *c, const char *user_id,
			    uint32_t device_id, char *out)
{
	lc_store_identity them;
	int rc;

	if (c == NULL || out == NULL || !lc_cl_valid_uid(user_id))
		return LC_ERR_INVALID_ARG;
	if (!c->has_account)
		return LC_ERR_NOT_LOGGED_IN;
	rc = lc_store_identity_get(c->store, user_id, device_id, &them);
	if (rc)
		return rc;
	if (them.key_len != 32)
		return LC_ERR_STORE_CORRUPT;
	return lc_safety_number(lc_identity_public_key(c->id),
				(const uint8_t *)c->uid, strlen(c->uid),
				them.key, (const uint8_t *)user_id,
				strlen(user_id), out);
}

int lc_client_lookup(lc_client *c, const char *phone, const char *email,
		     uint64_t now)
{
	Libchat__UserLookup u = LIBCHAT__USER_LOOKUP__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	if (c == NULL || (phone == NULL) == (email == NULL))
		return LC_ERR_INVALID_ARG;
	if (!logged_in(c))
		return LC_ERR_NOT_LOGGED_IN;
	if (phone) {
		u.key_case = LIBCHAT__USER_LOOKUP__KEY_PHONE;
		u.phone = (char *)phone;
	} else {
		u.key_case = LIBCHAT__USER_LOOKUP__KEY_EMAIL;
		u.email = (char *)email;
	}
	e.body_case = LIBCHAT__ENVELOPE__BODY_USER_LOOKUP;
	e.user_lookup = &u;
	return lc_cl_emit(c, &e, LC_CL_REQ_LOOKUP, now, NULL);
}

void lc_cl_on_user(lc_client *c, const Libchat__Ack *a)
{
	int rc = LC_ERR_MALFORMED;

	if (a->result_case == LIBCHAT__ACK__RESULT_USER &&
	    lc_cl_valid_uid(a->user->user_id)) {
		rc = 0;
		if (c->cb.user)
			c->cb.user(a->user->user_id, a->user->display_name,
				   c->ud);
	}
	lc_cl_done(c, LC_CLIENT_OP_LOOKUP, rc, NULL);
}
