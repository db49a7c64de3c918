/* Accounts: register, login (password or token), logout, profile, lookup. */
#include <string.h>

#include "server_int.h"

#define PASSWORD_MAX 1024

void lc_conn_addr(const lc_server_conn *c, lc_addr *a)
{
	strcpy(a->uid, c->user->uid);
	a->dev = c->dev;
}

static int valid_name(const char *n, int required)
{
	size_t len = strlen(n);

	return (len > 0 || !required) && len <= LC_NAME_MAX;
}

static int ident_of(int is_phone, const char *v, char out[LC_IDENT_MAX])
{
	return is_phone ? lc_ident_phone(v, out) : lc_ident_email(v, out);
}

/* Authenticate c as (uid, dev) and answer Ack{login}. */
static int login_ok(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		    const char *uid, uint32_t dev, const uint8_t *token,
		    uint64_t expires, uint64_t now)
{
	Libchat__Ack ack = LIBCHAT__ACK__INIT;
	Libchat__LoginResult lr = LIBCHAT__LOGIN_RESULT__INIT;
	lc_addr me;
	int rc;

	lr.user_id = (char *)uid;
	lr.device_id = dev;
	lr.token.data = (uint8_t *)token;
	lr.token.len = token ? LC_SERVER_TOKEN_LEN : 0;
	lr.token_expires_ms = expires;
	ack.result_case = LIBCHAT__ACK__RESULT_LOGIN;
	ack.login = &lr;
	rc = lc_srv_ack(s, c, e->request_id, &ack, now);
	if (rc == 0)
		rc = lc_reg_attach(s, c, uid, dev, now);
	if (rc == 0) {
		lc_conn_addr(c, &me);
		rc = lc_srv_touch(s, &me, NULL, NULL); /* deliver its queue */
	}
	return rc;
}

static int pre_login(const lc_server_conn *c)
{
	if (c->user != NULL)
		return LC_ERR_INVALID_STATE;
	if (!c->has_key)
		return LC_ERR_AUTH_REQUIRED;
	return 0;
}

static int hash_password(lc_server *s, const char *pw, char out[128])
{
	if (crypto_pwhash_str(out, pw, strlen(pw), s->cfg.pwhash_opslimit,
			      s->cfg.pwhash_memlimit) != 0)
		return LC_ERR_NOMEM;
	return 0;
}

int lc_h_register(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		  uint64_t now)
{
	const Libchat__Register *r = e->register_;
	char ident[LC_IDENT_MAX], uid[LC_UID_MAX + 1];
	uint8_t raw[16], token[LC_SERVER_TOKEN_LEN];
	lc_user_rec u;
	lc_dev_rec d;
	uint64_t exp;
	size_t pwlen = strlen(r->password);
	int rc = pre_login(c);

	if (rc)
		return rc;
	if (r->identifier_case == LIBCHAT__REGISTER__IDENTIFIER__NOT_SET)
		return LC_ERR_INVALID_ARG;
	rc = ident_of(r->identifier_case == LIBCHAT__REGISTER__IDENTIFIER_PHONE,
		      r->phone, ident);
	if (rc < 0)
		return rc;
	if (!valid_name(r->display_name, 1) || !valid_name(r->device_name, 0))
		return LC_ERR_INVALID_ARG;
	if (pwlen < s->cfg.min_password_len)
		return LC_ERR_WEAK_PASSWORD;
	if (pwlen > PASSWORD_MAX)
		return LC_ERR_INVALID_ARG;
	s->rng.fill(raw, sizeof raw, s->rng.user_data);
	sodium_bin2hex(uid, sizeof uid, raw, sizeof raw);
	rc = s->be.ops->put(s->be.h, LC_T_IDENTS, lc_sl(ident, strlen(ident)),
			    lc_sl(uid, strlen(uid)), LC_BACKEND_NOOVERWRITE);
	if (rc == LC_ERR_EXISTS)
		return LC_ERR_ACCOUNT_EXISTS;
	memset(&u, 0, sizeof u);
	strcpy(u.name, r->display_name);
	u.next_dev = 2;
	u.created = now;
	if (rc == 0)
		rc = hash_password(s, r->password, u.pwhash);
	if (rc == 0)
		rc = lc_st_user_put(s, uid, &u);
	memset(&d, 0, sizeof d);
	memcpy(d.key, c->device_key, sizeof d.key);
	strcpy(d.name, r->device_name);
	if (rc == 0)
		rc = lc_token_issue(s, uid, 1, &d, now, token, &exp);
	if (rc == 0)
		rc = login_ok(s, c, e, uid, 1, token, exp, now);
	sodium_memzero(token, sizeof token);
	return rc;
}

/* The device of uid whose key is the connection's, or a new one. */
static int bind_device(lc_server *s, lc_server_conn *c, const char *uid,
		       lc_user_rec *u, const char *name, uint32_t *dev,
		       lc_dev_rec *d)
{
	uint32_t ids[LC_MAX_DEVICES];
	size_t n;
	int rc = lc_st_dev_list(s, uid, ids, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = lc_st_dev_get(s, uid, ids[i], d);
		if (rc == 0 && sodium_memcmp(d->key, c->device_key, 32) == 0) {
			*dev = ids[i];
			return 0;
		}
	}
	if (rc)
		return rc;
	if (n >= LC_MAX_DEVICES)
		return LC_ERR_FORBIDDEN;
	memset(d, 0, sizeof *d);
	memcpy(d->key, c->device_key, sizeof d->key);
	strcpy(d->name, name);
	*dev = u->next_dev++;
	return lc_st_user_put(s, uid, u);
}

static int verify(lc_server *s, const lc_user_rec *u, const char *pw)
{
	const char *hash = u ? u->pwhash : s->dummy_hash;

	/* An unknown account costs the same time as a wrong password. */
	if (u == NULL && s->dummy_hash[0] == '\0' &&
	    hash_password(s, "unknown account", s->dummy_hash))
		return LC_ERR_NOMEM;
	if (crypto_pwhash_str_verify(hash, pw, strlen(pw)) != 0 || u == NULL)
		return LC_ERR_AUTH_FAILED;
	return 0;
}

static int login_password(lc_server *s, lc_server_conn *c,
			  const lc_envelope *e, uint64_t now)
{
	const Libchat__PasswordCredential *p = e->login->password;
	char ident[LC_IDENT_MAX], uid[LC_UID_MAX + 1];
	uint8_t token[LC_SERVER_TOKEN_LEN];
	lc_user_rec u;
	lc_dev_rec d;
	lc_slice v;
	uint32_t dev;
	uint64_t exp;
	int rc, found;

	if (p == NULL ||
	    p->identifier_case == LIBCHAT__PASSWORD_CREDENTIAL__IDENTIFIER__NOT_SET ||
	    !valid_name(p->device_name, 0) || strlen(p->password) > PASSWORD_MAX)
		return LC_ERR_INVALID_ARG;
	rc = ident_of(p->identifier_case ==
		      LIBCHAT__PASSWORD_CREDENTIAL__IDENTIFIER_PHONE,
		      p->phone, ident);
	if (rc < 0)
		return LC_ERR_AUTH_FAILED;
	if ((rc = lc_throttle_check(s, ident, now)))
		return rc;
	rc = s->be.ops->get(s->be.h, LC_T_IDENTS, lc_sl(ident, strlen(ident)),
			    &v);
	found = rc == 0 && v.n <= LC_UID_MAX;
	if (rc && rc != LC_ERR_NOT_FOUND)
		return rc;
	if (found) {
		memcpy(uid, v.p, v.n);
		uid[v.n] = '\0';
		rc = lc_st_user_get(s, uid, &u);
		if (rc)
			return rc;
	}
	rc = verify(s, found ? &u : NULL, p->password);
	if (rc == LC_ERR_AUTH_FAILED) {
		/* Kept: the answer is sent by hand so the failure counts. */
		rc = lc_throttle_fail(s, ident, now);
		if (rc == 0)
			rc = lc_addrlimit_spend(s, c, LC_AL_LOGIN, now);
		if (rc == 0)
			lc_srv_error(s, c, e->request_id, LC_ERR_AUTH_FAILED, 0);
		return rc;
	}
	if (rc == 0)
		rc = lc_throttle_clear(s, ident);
	if (rc == 0)
		rc = bind_device(s, c, uid, &u, p->device_name, &dev, &d);
	if (rc == 0)
		rc = lc_token_issue(s, uid, dev, &d, now, token, &exp);
	if (rc == 0)
		rc = login_ok(s, c, e, uid, dev, token, exp, now);
	sodium_memzero(token, sizeof token);
	return rc;
}

static int login_token(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		       uint64_t now)
{
	const Libchat__TokenCredential *t = e->login->token;
	lc_dev_rec d;
	uint64_t exp;
	int rc;

	if (t == NULL || !lc_valid_uid(t->user_id))
		return LC_ERR_AUTH_FAILED;
	rc = lc_token_check(s, t->token.data, t->token.len, t->user_id,
			    t->device_id, now, &exp);
	if (rc)
		return rc;
	rc = lc_st_dev_get(s, t->user_id, t->device_id, &d);
	if (rc == LC_ERR_NOT_FOUND)
		return LC_ERR_AUTH_FAILED;
	if (rc)
		return rc;
	if (sodium_memcmp(d.key, c->device_key, sizeof d.key) != 0)
		return LC_ERR_AUTH_FAILED;
	return login_ok(s, c, e, t->user_id, t->device_id, NULL, exp, now);
}

int lc_h_login(lc_server *s, lc_server_conn *c, const lc_envelope *e,
	       uint64_t now)
{
	int rc = pre_login(c);

	if (rc)
		return rc;
	if (e->login->credential_case == LIBCHAT__LOGIN__CREDENTIAL_PASSWORD)
		return login_password(s, c, e, now);
	if (e->login->credential_case == LIBCHAT__LOGIN__CREDENTIAL_TOKEN)
		return login_token(s, c, e, now);
	return LC_ERR_INVALID_ARG;
}

static int revoke_device(lc_server *s, const char *uid, uint32_t dev)
{
	lc_dev_rec d;
	int rc = lc_st_dev_get(s, uid, dev, &d);

	if (rc || !d.has_token)
		return rc;
	rc = lc_token_revoke(s, d.token_hash);
	d.has_token = 0;
	return rc ? rc : lc_st_dev_put(s, uid, dev, &d);
}

int lc_h_logout(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		uint64_t now)
{
	uint32_t ids[LC_MAX_DEVICES];
	size_t n = 0;
	lc_addr me;
	int rc;

	lc_conn_addr(c, &me);
	if (e->logout->all_devices)
		rc = lc_st_dev_list(s, me.uid, ids, &n);
	else
		rc = 0, ids[n++] = me.dev;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = revoke_device(s, me.uid, ids[i]);
	if (rc == 0)
		rc = lc_srv_ack(s, c, e->request_id, NULL, now);
	if (rc == 0) {
		lc_presence_unwatch_all(s, c);
		lc_reg_detach(s, c, now);
	}
	return rc;
}

int lc_h_profile(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		 uint64_t now)
{
	const Libchat__ProfileUpdate *p = e->profile_update;
	lc_user_rec u;
	int rc;

	if (!valid_name(p->display_name, 0) ||
	    p->avatar_media_id.len > LC_MEDIA_ID_MAX)
		return LC_ERR_INVALID_ARG;
	if ((rc = lc_st_user_get(s, c->user->uid, &u)))
		return rc;
	if (p->display_name[0])
		strcpy(u.name, p->display_name);
	if (p->clear_avatar)
		u.avatar_len = 0;
	if (p->avatar_media_id.len) {
		memcpy(u.avatar, p->avatar_media_id.data, p->avatar_media_id.len);
		u.avatar_len = p->avatar_media_id.len;
	}
	rc = lc_st_user_put(s, c->user->uid, &u);
	return rc ? rc : lc_srv_ack(s, c, e->request_id, NULL, now);
}

static int resolve(lc_server *s, const Libchat__UserLookup *l, char *uid)
{
	char ident[LC_IDENT_MAX];
	lc_slice v;
	int rc;

	if (l->key_case == LIBCHAT__USER_LOOKUP__KEY_USER_ID) {
		if (!lc_valid_uid(l->user_id))
			return LC_ERR_NO_SUCH_USER;
		strcpy(uid, l->user_id);
		return 0;
	}
	if (l->key_case == LIBCHAT__USER_LOOKUP__KEY_PHONE)
		rc = lc_ident_phone(l->phone, ident);
	else if (l->key_case == LIBCHAT__USER_LOOKUP__KEY_EMAIL)
		rc = lc_ident_email(l->email, ident);
	else
		return LC_ERR_INVALID_ARG;
	if (rc < 0)
		return rc;
	rc = s->be.ops->get(s->be.h, LC_T_IDENTS, lc_sl(ident, strlen(ident)),
			    &v);
	if (rc == LC_ERR_NOT_FOUND)
		return LC_ERR_NO_SUCH_USER;
	if (rc == 0 && v.n > LC_UID_MAX)
		rc = LC_ERR_STORE_CORRUPT;
	if (rc == 0) {
		memcpy(uid, v.p, v.n);
		uid[v.n] = '\0';
	}
	return rc;
}

int lc_h_lookup(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		uint64_t now)
{
	Libchat__Ack ack = LIBCHAT__ACK__INIT;
	Libchat__UserInfo ui = LIBCHAT__USER_INFO__INIT;
	char uid[LC_UID_MAX + 1];
	uint32_t ids[LC_MAX_DEVICES];
	size_t n;
	lc_user_rec u;
	int rc = resolve(s, e->user_lookup, uid);

	if (rc == 0)
		rc = lc_st_user_get(s, uid, &u);
	if (rc == LC_ERR_NOT_FOUND)
		return LC_ERR_NO_SUCH_USER;
	if (rc == 0)
		rc = lc_st_dev_list(s, uid, ids, &n);
	if (rc)
		return rc;
	ui.user_id = uid;
	ui.display_name = u.name;
	ui.avatar_media_id.data = u.avatar;
	ui.avatar_media_id.len = u.avatar_len;
	ui.device_ids = ids;
	ui.n_device_ids = n;
	ack.result_case = LIBCHAT__ACK__RESULT_USER;
	ack.user = &ui;
	return lc_srv_ack(s, c, e->request_id, &ack, now);
}
