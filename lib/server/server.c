/* The server object: creation, connections, flush and timers. */
#include <stddef.h>
#include <string.h>

#include "server_int.h"

#define PURGE_BATCH 256          /* dedupe records dropped per expiry call */

static void default_fill(void *buf, size_t len, void *ud)
{
	(void)ud;
	randombytes_buf(buf, len);
}

static void set_defaults(lc_server_config *c)
{
#define DEF(f, v) if (c->f == 0) c->f = (v)
	DEF(idle_timeout_ms, LC_SERVER_IDLE_TIMEOUT_MS);
	DEF(token_lifetime_ms, LC_SERVER_TOKEN_LIFETIME_MS);
	DEF(dedupe_ttl_ms, LC_SERVER_DEDUPE_TTL_MS);
	DEF(rate_per_minute, LC_SERVER_RATE_PER_MINUTE);
	DEF(prekey_low, LC_SERVER_PREKEY_LOW);
	DEF(min_password_len, LC_SERVER_MIN_PASSWORD);
	DEF(max_group_members, LC_SERVER_MAX_GROUP_MEMBERS);
	DEF(login_free_failures, 3);
	DEF(login_backoff_ms, 1000);
	DEF(login_backoff_max_ms, 15 * 60 * 1000);
	DEF(pwhash_opslimit, crypto_pwhash_OPSLIMIT_INTERACTIVE);
	DEF(pwhash_memlimit, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	DEF(media_max_size, LC_SERVER_MEDIA_MAX_SIZE);
	DEF(register_per_hour, LC_SERVER_REGISTER_PER_HOUR);
	DEF(login_failures_per_hour, LC_SERVER_LOGIN_FAILURES_PER_HOUR);
#undef DEF
	c->data_dir = NULL;
	c->mem = NULL;
	c->rng = NULL;
}

/* The bytes of a caller's structure its version has: a version 1
 * structure ends before the first field version 2 added. */
#define CFG_V1_SIZE offsetof(lc_server_config, register_per_hour)
#define CB_V1_SIZE offsetof(lc_server_callbacks, queued)

static int known_version(uint32_t v)
{
	return v == 1 || v == LC_SERVER_CONFIG_VERSION;
}

static int check_config(const lc_server_config *cfg)
{
	if (!known_version(cfg->version) || cfg->data_dir == NULL)
		return LC_ERR_INVALID_ARG;
	if (cfg->pwhash_opslimit &&
	    (cfg->pwhash_opslimit < crypto_pwhash_OPSLIMIT_MIN ||
	     cfg->pwhash_opslimit > crypto_pwhash_OPSLIMIT_MAX))
		return LC_ERR_INVALID_ARG;
	if (cfg->pwhash_memlimit &&
	    (cfg->pwhash_memlimit < crypto_pwhash_MEMLIMIT_MIN ||
	     cfg->pwhash_memlimit > crypto_pwhash_MEMLIMIT_MAX))
		return LC_ERR_INVALID_ARG;
	if (cfg->rng && cfg->rng->fill == NULL)
		return LC_ERR_INVALID_ARG;
	return 0;
}

int lc_server_new(lc_server **out, const lc_server_config *cfg,
		  const lc_server_callbacks *cb, void *user_data)
{
	lc_allocator a;
	lc_server *s;
	int rc;

	if (out == NULL)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if (cfg == NULL || check_config(cfg) || lc_alloc_init(&a, cfg->mem) ||
	    (cb && !known_version(cb->version)))
		return LC_ERR_INVALID_ARG;
	if (sodium_init() < 0)
		return LC_ERR_INIT;
	if ((s = lc_calloc(&a, 1, sizeof *s)) == NULL)
		return LC_ERR_NOMEM;
	s->mem = a;
	s->rng.fill = default_fill;
	if (cfg->rng)
		s->rng = *cfg->rng;
	memcpy(&s->cfg, cfg, cfg->version == 1 ? CFG_V1_SIZE : sizeof *cfg);
	s->cfg.version = LC_SERVER_CONFIG_VERSION;
	set_defaults(&s->cfg);
	if (cb)
		memcpy(&s->cb, cb, cb->version == 1 ? CB_V1_SIZE : sizeof *cb);
	s->user_data = user_data;
	if (cfg->static_private) {
		s->static_private = sodium_malloc(LC_SERVER_DEVICE_KEY_LEN);
		if (s->static_private == NULL) {
			lc_free(&a, s);
			return LC_ERR_NOMEM;
		}
		memcpy(s->static_private, cfg->static_private,
		       LC_SERVER_DEVICE_KEY_LEN);
	}
	s->cfg.static_private = NULL;
	rc = lc_backend_lmdb_open(&s->be, cfg->data_dir, cfg->map_size, &a);
	if (rc == 0 && (rc = lc_stats_open(s)) != 0)
		s->be.ops->close(s->be.h);
	if (rc) {
		sodium_free(s->static_private);
		lc_free(&a, s);
		return rc;
	}
	*out = s;
	return 0;
}

static void free_out(lc_server *s, struct lc_out *o)
{
	while (o) {
		struct lc_out *next = o->next;
		lc_free(&s->mem, o);
		o = next;
	}
}

void lc_server_free(lc_server *s)
{
	if (s == NULL)
		return;
	s->cb.close_conn = NULL;
	s->cb.device_state = NULL;
	while (s->conns)
		lc_server_conn_close(s->conns, 0);
	s->be.ops->abort(s->be.h); /* drops the last-seen writes of those */
	s->be.ops->close(s->be.h);
	free_out(s, s->held);
	for (size_t b = 0; b < LC_USER_BUCKETS; b++)
		while (s->users[b]) {
			struct lc_ustate *u = s->users[b];
			s->users[b] = u->hnext;
			lc_free(&s->mem, u->remote);
			lc_free(&s->mem, u);
		}
	lc_free(&s->mem, s->touched);
	lc_free(&s->mem, s->stale);
	lc_free(&s->mem, s->hooks);
	lc_free(&s->mem, s->rq);
	lc_free(&s->mem, s->lat_at[0]);
	lc_free(&s->mem, s->lat_at[1]);
	sodium_free(s->static_private);
	lc_free(&s->mem, s);
}

int lc_server_conn_open(lc_server *s, lc_server_conn **out, void *user_data,
			uint64_t now)
{
	return lc_server_conn_open_peer(s, out, NULL, 0, user_data, now);
}

int lc_server_conn_open_peer(lc_server *s, lc_server_conn **out,
			     const uint8_t *peer, size_t peer_len,
			     void *user_data, uint64_t now)
{
	lc_server_conn *c;

	if (out == NULL)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if (s == NULL || peer_len > LC_SERVER_PEER_MAX ||
	    (peer == NULL && peer_len))
		return LC_ERR_INVALID_ARG;
	if ((c = lc_calloc(&s->mem, 1, sizeof *c)) == NULL)
		return LC_ERR_NOMEM;
	if (s->static_private) {
		int rc = lc_noise_conn_server_new(&c->noise, s->static_private,
						  &s->mem, &s->rng);
		if (rc) {
			lc_free(&s->mem, c);
			return rc;
		}
	}
	c->srv = s;
	c->user_data = user_data;
	c->last_rx = now;
	if (peer_len)
		memcpy(c->peer, peer, peer_len);
	c->peer_len = (uint8_t)peer_len;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->stats.conns_open++;
	*out = c;
	return 0;
}

void lc_server_conn_close(lc_server_conn *c, uint64_t now)
{
	lc_server *s;

	if (c == NULL)
		return;
	s = c->srv;
	c->closing = 1;
	lc_presence_unwatch_all(s, c);
	lc_reg_detach(s, c, now);
	lc_srv_drop_held(s, c);
	free_out(s, c->out_head);
	free_out(s, c->popped);
	lc_noise_conn_free(c->noise);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	sodium_memzero(c, sizeof *c);
	lc_free(&s->mem, c);
	s->stats.conns_open--;
}

void *lc_server_conn_user_data(const lc_server_conn *c)
{
	return c ? c->user_data : NULL;
}

/* Move held output to its connections, once the writes are durable. */
static void release_held(lc_server *s)
{
	struct lc_out *o = s->held, *next;

	s->held = s->held_tail = NULL;
	for (; o; o = next) {
		lc_server_conn *c = o->conn;
		int was_empty = c->out_head == NULL;

		next = o->next;
		o->next = NULL;
		if (c->out_tail && !was_empty)
			c->out_tail->next = o;
		else
			c->out_head = o;
		c->out_tail = o;
		if (was_empty && s->cb.want_write)
			s->cb.want_write(c, s->user_data);
	}
}

static void run_hooks(lc_server *s)
{
	for (size_t i = 0; i < s->n_hooks; i++) {
		struct lc_touch *t = &s->hooks[i];
		s->cb.push(t->to.uid, t->to.dev, t->from.uid, t->from.dev,
			   t->msg_id, s->user_data);
	}
	s->n_hooks = 0;
	for (size_t i = 0; i < s->n_rq; i++)
		s->cb.queued(s->rq[i].to.uid, s->rq[i].to.dev, s->user_data);
	s->n_rq = 0;
}

int lc_server_flush(lc_server *s, uint64_t now)
{
	int rc;

	if (s == NULL)
		return LC_ERR_INVALID_ARG;
	rc = s->be.ops->commit(s->be.h);
	lc_stats_turn_end(s, rc == 0, now);
	if (rc == 0) {
		release_held(s);
		run_hooks(s);
		return 0;
	}
	lc_srv_log(s, LC_SERVER_LOG_ERROR, "commit failed: %s", lc_strerror(rc));
	s->n_hooks = 0;
	s->n_rq = 0;
	for (struct lc_out *o = s->held; o; o = o->next)
		if (!o->conn->closing) {
			o->conn->closing = 1;
			if (s->cb.close_conn)
				s->cb.close_conn(o->conn, rc, s->user_data);
		}
	free_out(s, s->held);
	s->held = s->held_tail = NULL;
	return rc;
}

uint64_t lc_server_get_expiry(const lc_server *s)
{
	uint64_t t = UINT64_MAX;

	if (s == NULL)
		return t;
	for (const lc_server_conn *c = s->conns; c; c = c->next)
		if (!c->closing && c->last_rx + s->cfg.idle_timeout_ms < t)
			t = c->last_rx + s->cfg.idle_timeout_ms;
	return t;
}

int lc_server_handle_expiry(lc_server *s, uint64_t now)
{
	int rc;

	if (s == NULL)
		return LC_ERR_INVALID_ARG;
	for (lc_server_conn *c = s->conns; c; c = c->next)
		if (!c->closing && now >= c->last_rx + s->cfg.idle_timeout_ms) {
			c->closing = 1;
			if (s->cb.close_conn)
				s->cb.close_conn(c, LC_ERR_TIMEOUT, s->user_data);
		}
	rc = lc_dedupe_purge(s, now, PURGE_BATCH);
	return rc ? rc : lc_addrlimit_purge(s, now, PURGE_BATCH);
}

/* ---- internal test API */

void lc_srv_conn_set_device_key(lc_server_conn *c, const uint8_t key[32])
{
	memcpy(c->device_key, key, LC_SERVER_DEVICE_KEY_LEN);
	c->has_key = 1;
}

int lc_srv_conn_pop(lc_server_conn *c, const uint8_t **p, size_t *n)
{
	struct lc_out *o = c->out_head;

	lc_free(&c->srv->mem, c->popped);
	c->popped = NULL;
	if (o == NULL)
		return 0;
	c->out_head = o->next;
	if (c->out_head == NULL)
		c->out_tail = NULL;
	o->next = NULL;
	c->popped = o;
	*p = o->data;
	*n = o->len;
	return 1;
}

int lc_srv_conn_closing(const lc_server_conn *c)
{
	return c->closing;
}

int lc_srv_conn_authed(const lc_server_conn *c, lc_addr *who)
{
	if (c->user == NULL)
		return 0;
	if (who) {
		strcpy(who->uid, c->user->uid);
		who->dev = c->dev;
	}
	return 1;
}

int lc_server_remote_queued(lc_server *s, const char *uid, uint32_t dev,
			    uint64_t now)
{
	lc_server_conn *c;
	int rc = 0;

	(void)now;
	if (s == NULL)
		return LC_ERR_INVALID_ARG;
	if (uid == NULL) {
		for (c = s->conns; c && rc == 0; c = c->next)
			rc = lc_push_pump(s, c);
		return rc;
	}
	if (!lc_valid_uid(uid) || (c = lc_reg_conn(s, uid, dev)) == NULL)
		return 0;
	return lc_push_pump(s, c);
}

int lc_server_remote_device(lc_server *s, const char *uid, uint32_t dev,
			    int online, uint64_t now)
{
	if (s == NULL || uid == NULL || !lc_valid_uid(uid))
		return LC_ERR_INVALID_ARG;
	return lc_reg_remote(s, uid, dev, online != 0, now);
}
