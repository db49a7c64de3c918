/* Presence: subscriptions, their answers and pushes, and their renewal.
 *
 * The server keeps subscriptions per connection, so the session remembers
 * the users whose subscription the server accepted (from the answer's
 * list) and subscribes to them again each time it becomes READY; the
 * answer reports their current state through the presence callback.
 *
 * The list is kept in the store too, so it survives a restart:
 *   LOCAL "presence": version 1 (1), then per user: length (1), user id
 * at most LC_CLIENT_MAX_PRESENCE users (under 17 KiB). */
#include <string.h>

#include "client_int.h"

#define SUBS_NAME (const uint8_t *)"presence", 8
#define SUBS_VERSION 1
#define SUBS_MAX (1 + LC_CLIENT_MAX_PRESENCE * (1 + LC_CL_UID_MAX))

/* Write the list (none: remove the record); a failure is reported, the
 * list in memory stays. */
static void subs_save(lc_client *c)
{
	uint8_t *buf;
	size_t n = 1;
	int rc;

	if (c->n_subs == 0) {
		rc = lc_store_blob_delete(c->store, LC_STORE_BLOB_LOCAL,
					  SUBS_NAME);
		if (rc && rc != LC_ERR_NOT_FOUND)
			lc_cl_error(c, rc, NULL);
		return;
	}
	if ((buf = c->mem.malloc(SUBS_MAX, c->mem.user_data)) == NULL) {
		lc_cl_error(c, LC_ERR_NOMEM, NULL);
		return;
	}
	buf[0] = SUBS_VERSION;
	for (size_t i = 0; i < c->n_subs; i++) {
		size_t l = strlen(c->subs[i]);

		buf[n] = (uint8_t)l;
		memcpy(buf + n + 1, c->subs[i], l);
		n += 1 + l;
	}
	rc = lc_store_blob_put(c->store, LC_STORE_BLOB_LOCAL, SUBS_NAME, buf, n);
	c->mem.free(buf, c->mem.user_data);
	if (rc)
		lc_cl_error(c, rc, NULL);
}

static int find_sub(const lc_client *c, const char *uid);

/* The entries of a stored list; an unusable record counts as none. */
static void subs_parse(lc_client *c, const uint8_t *buf, size_t len)
{
	size_t off = 1;

	if (len < 1 || buf[0] != SUBS_VERSION)
		return;
	while (off < len && c->n_subs < LC_CLIENT_MAX_PRESENCE) {
		size_t l = buf[off];
		char uid[LC_CL_UID_MAX + 1];

		if (l == 0 || l > LC_CL_UID_MAX || off + 1 + l > len)
			break;
		memcpy(uid, buf + off + 1, l);
		uid[l] = 0;
		off += 1 + l;
		if (lc_cl_valid_uid(uid) && find_sub(c, uid) < 0)
			strcpy(c->subs[c->n_subs++], uid);
	}
}

int lc_cl_presence_load(lc_client *c)
{
	uint8_t *buf = c->mem.malloc(SUBS_MAX, c->mem.user_data);
	size_t len = 0;
	int rc;

	if (buf == NULL)
		return LC_ERR_NOMEM;
	c->n_subs = 0;
	rc = lc_store_blob_get(c->store, LC_STORE_BLOB_LOCAL, SUBS_NAME, buf,
			       SUBS_MAX, &len);
	if (rc == 0)
		subs_parse(c, buf, len);
	c->mem.free(buf, c->mem.user_data);
	/* none, or too long to be ours: start empty */
	return rc == LC_ERR_NOT_FOUND || rc == LC_ERR_BUFFER_TOO_SMALL ? 0 : rc;
}

void lc_cl_presence_clear(lc_client *c)
{
	c->n_subs = 0;
	subs_save(c);
}

static int find_sub(const lc_client *c, const char *uid)
{
	for (size_t i = 0; i < c->n_subs; i++)
		if (strcmp(c->subs[i], uid) == 0)
			return (int)i;
	return -1;
}

/* How many of @p ids are not remembered yet. */
static size_t count_new(const lc_client *c, const char *const *ids,
			size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += find_sub(c, ids[i]) < 0;
	return k;
}

static void forget(lc_client *c, const char *const *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int k = find_sub(c, ids[i]);
		if (k >= 0)
			memmove(c->subs[k], c->subs[--c->n_subs],
				sizeof c->subs[0]);
	}
}

static int emit_sub(lc_client *c, const char *const *ids, size_t n,
		    int unsubscribe, int kind, uint64_t now)
{
	Libchat__PresenceSubscribe p = LIBCHAT__PRESENCE_SUBSCRIBE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	p.user_ids = (char **)ids;
	p.n_user_ids = n;
	p.unsubscribe = unsubscribe != 0;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PRESENCE_SUBSCRIBE;
	e.presence_subscribe = &p;
	return lc_cl_emit(c, &e, kind, now, NULL);
}

int lc_client_presence_subscribe(lc_client *c, const char *const *user_ids,
				 size_t n, int unsubscribe, uint64_t now)
{
	int rc;

	if (c == NULL || n == 0 || n > LC_CLIENT_MAX_PRESENCE ||
	    user_ids == NULL)
		return LC_ERR_INVALID_ARG;
	for (size_t i = 0; i < n; i++)
		if (!lc_cl_valid_uid(user_ids[i]))
			return LC_ERR_INVALID_ARG;
	if (c->state != LC_CLIENT_READY)
		return LC_ERR_NOT_LOGGED_IN;
	if (!unsubscribe &&
	    c->n_subs + count_new(c, user_ids, n) > LC_CLIENT_MAX_PRESENCE)
		return LC_ERR_UNAVAILABLE;
	rc = emit_sub(c, user_ids, n, unsubscribe, LC_CL_REQ_PRESENCE, now);
	if (rc == 0 && unsubscribe) {
		size_t before = c->n_subs;

		forget(c, user_ids, n);
		if (c->n_subs != before)
			subs_save(c);
	}
	return rc;
}

void lc_cl_on_presence(lc_client *c, const Libchat__PresenceUpdate *u)
{
	if (c->cb.presence && lc_cl_valid_uid(u->user_id))
		c->cb.presence(u->user_id, u->online, u->last_seen_ms, c->ud);
}

void lc_cl_on_presence_list(lc_client *c, const Libchat__Ack *a)
{
	size_t before = c->n_subs;

	if (a->result_case != LIBCHAT__ACK__RESULT_PRESENCE)
		return;
	for (size_t i = 0; i < a->presence->n_users; i++) {
		const char *uid = a->presence->users[i]->user_id;

		if (!lc_cl_valid_uid(uid))
			continue;
		if (find_sub(c, uid) < 0 && c->n_subs < LC_CLIENT_MAX_PRESENCE)
			strcpy(c->subs[c->n_subs++], uid);
		lc_cl_on_presence(c, a->presence->users[i]);
	}
	if (c->n_subs != before)
		subs_save(c);
}

void lc_cl_presence_renew(lc_client *c, uint64_t now)
{
	const char *ids[LC_CLIENT_MAX_PRESENCE];
	int rc;

	if (c->n_subs == 0 || c->state != LC_CLIENT_READY)
		return;
	for (size_t i = 0; i < c->n_subs; i++)
		ids[i] = c->subs[i];
	rc = emit_sub(c, ids, c->n_subs, 0, LC_CL_REQ_PRESENCE_RENEW, now);
	if (rc)
		lc_cl_error(c, rc, NULL);
}

void lc_cl_presence_renew_failed(lc_client *c, int code)
{
	/* the server refused the list: the app subscribes anew */
	lc_cl_presence_clear(c);
	lc_cl_error(c, code, NULL);
}
