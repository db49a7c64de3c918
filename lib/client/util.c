/* Helpers: randomness, requests in flight, callbacks, names. */
#include <string.h>

#include <sodium.h>

#include "client_int.h"

void lc_cl_random(lc_client *c, void *buf, size_t n)
{
	if (c->has_rng)
		c->rng.fill(buf, n, c->rng.user_data);
	else
		randombytes_buf(buf, n);
}

static lc_cl_pending *free_slot(lc_client *c)
{
	for (size_t i = 0; i < LC_CLIENT_MAX_PENDING; i++)
		if (c->pend[i].rid == 0)
			return &c->pend[i];
	return NULL;
}

/* Pack e with a fresh request id, encrypt it onto the connection and
 * remember it as pending (kind 0: a push acknowledgement, not pending). */
int lc_cl_emit(lc_client *c, lc_envelope *e, int kind, uint64_t now,
	       lc_cl_pending **slot)
{
	uint8_t *buf;
	lc_cl_pending *p = NULL;
	size_t size;
	int n, rc;

	if (c->nc == NULL || !lc_noise_conn_is_established(c->nc))
		return LC_ERR_NOT_CONNECTED;
	if (kind) {
		if ((p = free_slot(c)) == NULL)
			return LC_ERR_UNAVAILABLE;
		e->request_id = ++c->next_rid;
	}
	size = lc_envelope_size(e);
	if (size > LC_ENVELOPE_MAX)
		return LC_ERR_FRAME_TOO_LARGE;
	buf = c->mem.malloc(size ? size : 1, c->mem.user_data);
	if (buf == NULL)
		return LC_ERR_NOMEM;
	n = lc_envelope_pack(e, buf, size ? size : 1);
	rc = n < 0 ? n : lc_noise_conn_send(c->nc, buf, (size_t)n);
	c->mem.free(buf, c->mem.user_data);
	if (rc)
		return rc;
	c->next_heartbeat = now + c->heartbeat_ms;
	if (p) {
		memset(p, 0, sizeof *p);
		p->rid = e->request_id;
		p->kind = kind;
		p->deadline = now + c->timeout_ms;
		if (slot)
			*slot = p;
	}
	return 0;
}

lc_cl_pending *lc_cl_pending_take(lc_client *c, uint64_t rid)
{
	for (size_t i = 0; rid && i < LC_CLIENT_MAX_PENDING; i++)
		if (c->pend[i].rid == rid) {
			c->pend[i].rid = 0;
			return &c->pend[i];
		}
	return NULL;
}

int lc_cl_pending_has(const lc_client *c, int kind)
{
	for (size_t i = 0; i < LC_CLIENT_MAX_PENDING; i++)
		if (c->pend[i].rid && c->pend[i].kind == kind)
			return 1;
	return 0;
}

void lc_cl_set_state(lc_client *c, int state, int reason)
{
	if (c->state == state && reason == 0)
		return;
	c->state = state;
	if (c->cb.state)
		c->cb.state(state, reason, c->ud);
}

void lc_cl_done(lc_client *c, int op, int code, const uint8_t *id)
{
	if (c->cb.done)
		c->cb.done(op, code, id, c->ud);
}

void lc_cl_error(lc_client *c, int code, const uint8_t *id)
{
	if (c->cb.error)
		c->cb.error(code, id, c->ud);
}

int lc_cl_valid_uid(const char *uid)
{
	size_t n;

	if (uid == NULL)
		return 0;
	n = strlen(uid);
	return n > 0 && n <= LC_CL_UID_MAX &&
	       lc_utf8_valid((const uint8_t *)uid, n);
}

void lc_cl_group_chat_id(const uint8_t gid[16], char out[35])
{
	out[0] = 'g';
	out[1] = ':';
	sodium_bin2hex(out + 2, 33, gid, 16);
}

/* A session blob's name: the user id, a NUL, the device id big-endian. */
size_t lc_cl_session_name(const char *uid, uint32_t dev, uint8_t *out)
{
	size_t n = strlen(uid);

	memcpy(out, uid, n);
	out[n] = 0;
	out[n + 1] = (uint8_t)(dev >> 24);
	out[n + 2] = (uint8_t)(dev >> 16);
	out[n + 3] = (uint8_t)(dev >> 8);
	out[n + 4] = (uint8_t)dev;
	return n + 5;
}
