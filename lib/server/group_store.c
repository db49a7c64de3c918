/* Group records: (LC_T_GROUPS) id -> version, name, members with roles;
 * (LC_T_MEMBERS) user 0x00 group id -> role, to find a user's groups. */
#include <string.h>

#include "group.h"
#include "records.h"

#define REC_VERSION 1

int lc_group_new(lc_server *s, lc_group **out)
{
	lc_group *g = lc_calloc(&s->mem, 1, sizeof *g);

	if (g == NULL)
		return LC_ERR_NOMEM;
	g->m = lc_calloc(&s->mem, s->cfg.max_group_members + 1, sizeof *g->m);
	if (g->m == NULL) {
		lc_free(&s->mem, g);
		return LC_ERR_NOMEM;
	}
	*out = g;
	return 0;
}

void lc_group_free(lc_server *s, lc_group *g)
{
	if (g == NULL)
		return;
	lc_free(&s->mem, g->m);
	lc_free(&s->mem, g);
}

int lc_group_load(lc_server *s, const uint8_t *gid, size_t len, lc_group *g)
{
	lc_slice v;
	lc_rb r;
	const uint8_t *p;
	size_t n;
	int rc;

	if (len != LC_SERVER_ID_LEN)
		return LC_ERR_INVALID_ARG;
	rc = s->be.ops->get(s->be.h, LC_T_GROUPS, lc_sl(gid, len), &v);
	if (rc == LC_ERR_NOT_FOUND)
		return LC_ERR_NO_SUCH_GROUP;
	if (rc)
		return rc;
	memcpy(g->id, gid, LC_SERVER_ID_LEN);
	rb_init(&r, v.p, v.n);
	if (rb_u8(&r) != REC_VERSION)
		return LC_ERR_STORE_CORRUPT;
	g->version = rb_u64(&r);
	p = rb_blob(&r, &n);
	if (p == NULL || n > LC_GROUP_NAME_MAX)
		return LC_ERR_STORE_CORRUPT;
	memcpy(g->name, p, n);
	g->name[n] = '\0';
	g->n = rb_u16(&r);
	if (g->n > s->cfg.max_group_members)
		return LC_ERR_STORE_CORRUPT;
	for (size_t i = 0; i < g->n && !r.err; i++) {
		g->m[i].role = rb_u8(&r);
		p = rb_blob(&r, &n);
		if (p == NULL || n == 0 || n > LC_UID_MAX)
			return LC_ERR_STORE_CORRUPT;
		memcpy(g->m[i].uid, p, n);
		g->m[i].uid[n] = '\0';
	}
	return r.err ? LC_ERR_STORE_CORRUPT : 0;
}

int lc_group_save(lc_server *s, const lc_group *g)
{
	size_t cap = 32 + LC_GROUP_NAME_MAX + g->n * (LC_UID_MAX + 4);
	uint8_t *buf = lc_malloc(&s->mem, cap);
	lc_wb w;
	int rc;

	if (buf == NULL)
		return LC_ERR_NOMEM;
	wb_init(&w, buf, cap);
	wb_u8(&w, REC_VERSION);
	wb_u64(&w, g->version);
	wb_blob(&w, g->name, strlen(g->name));
	wb_u16(&w, g->n);
	for (size_t i = 0; i < g->n; i++) {
		wb_u8(&w, g->m[i].role);
		wb_blob(&w, g->m[i].uid, strlen(g->m[i].uid));
	}
	rc = w.err ? LC_ERR_INTERNAL :
	     s->be.ops->put(s->be.h, LC_T_GROUPS, lc_sl(g->id, LC_SERVER_ID_LEN),
			    lc_sl(buf, w.n), 0);
	lc_free(&s->mem, buf);
	return rc;
}

static size_t member_key(uint8_t *k, const char *uid, const uint8_t *gid)
{
	size_t n = strlen(uid);

	memcpy(k, uid, n);
	k[n] = 0;
	memcpy(k + n + 1, gid, LC_SERVER_ID_LEN);
	return n + 1 + LC_SERVER_ID_LEN;
}

int lc_group_member_put(lc_server *s, const uint8_t *gid, const char *uid,
			uint8_t role)
{
	uint8_t k[LC_UID_MAX + 1 + LC_SERVER_ID_LEN];

	return s->be.ops->put(s->be.h, LC_T_MEMBERS,
			      lc_sl(k, member_key(k, uid, gid)),
			      lc_sl(&role, 1), 0);
}

int lc_group_member_del(lc_server *s, const uint8_t *gid, const char *uid)
{
	uint8_t k[LC_UID_MAX + 1 + LC_SERVER_ID_LEN];
	int rc = s->be.ops->del(s->be.h, LC_T_MEMBERS,
				lc_sl(k, member_key(k, uid, gid)));

	return rc == LC_ERR_NOT_FOUND ? 0 : rc;
}

int lc_group_is_member(lc_server *s, const uint8_t gid[LC_SERVER_ID_LEN],
		       const char *uid, int *role)
{
	uint8_t k[LC_UID_MAX + 1 + LC_SERVER_ID_LEN];
	lc_slice v;
	int rc = s->be.ops->get(s->be.h, LC_T_MEMBERS,
				lc_sl(k, member_key(k, uid, gid)), &v);

	if (rc == LC_ERR_NOT_FOUND)
		return 0;
	if (rc)
		return rc;
	if (role)
		*role = v.n == 1 ? v.p[0] : 0;
	return 1;
}

int lc_group_find(const lc_group *g, const char *uid)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->m[i].uid, uid) == 0)
			return (int)i;
	return -1;
}

/* Do a and b share a chat: a direct conversation, or a group? */
int lc_share_chat(lc_server *s, const char *a, const char *b)
{
	uint8_t k[2 * LC_UID_MAX + 1 + LC_SERVER_ID_LEN], after[sizeof k];
	size_t na = strlen(a), alen = 0;
	lc_slice key, v;
	int rc;

	memcpy(k, a, na);
	k[na] = 0;
	memcpy(k + na + 1, b, strlen(b));
	rc = s->be.ops->get(s->be.h, LC_T_CONTACTS,
			    lc_sl(k, na + 1 + strlen(b)), &v);
	if (rc != LC_ERR_NOT_FOUND)
		return rc == 0 ? 1 : rc;
	while ((rc = s->be.ops->next(s->be.h, LC_T_MEMBERS, lc_sl(k, na + 1),
				     lc_sl(after, alen), &key, &v)) == 0) {
		uint8_t gid[LC_SERVER_ID_LEN];
		if (key.n != na + 1 + LC_SERVER_ID_LEN)
			return LC_ERR_STORE_CORRUPT;
		memcpy(after, key.p, key.n);
		alen = key.n;
		memcpy(gid, key.p + na + 1, sizeof gid);
		if ((rc = lc_group_is_member(s, gid, b, NULL)) != 0)
			return rc;
	}
	return rc == LC_ERR_NOT_FOUND ? 0 : rc;
}
