/* Login tokens: 32 random bytes given to the client once; the server keeps
 * SHA-256(token) -> (revoked, user, device, expiry). One live token per
 * device: issuing a new one revokes the previous. */
#include <string.h>

#include "records.h"
#include "server_int.h"

static int token_put(lc_server *s, const uint8_t hash[32], int revoked,
		     const char *uid, uint32_t dev, uint64_t exp)
{
	uint8_t buf[96];
	lc_wb w;

	wb_init(&w, buf, sizeof buf);
	wb_u8(&w, revoked);
	wb_blob(&w, uid, strlen(uid));
	wb_u32(&w, dev);
	wb_u64(&w, exp);
	if (w.err)
		return LC_ERR_INTERNAL;
	return s->be.ops->put(s->be.h, LC_T_TOKENS, lc_sl(hash, 32),
			      lc_sl(buf, w.n), 0);
}

static int token_get(lc_server *s, const uint8_t hash[32], int *revoked,
		     lc_addr *who, uint64_t *exp)
{
	lc_slice v;
	lc_rb r;
	const uint8_t *p;
	size_t n;
	int rc = s->be.ops->get(s->be.h, LC_T_TOKENS, lc_sl(hash, 32), &v);

	if (rc)
		return rc;
	rb_init(&r, v.p, v.n);
	*revoked = rb_u8(&r);
	p = rb_blob(&r, &n);
	if (p == NULL || n > LC_UID_MAX)
		return LC_ERR_STORE_CORRUPT;
	memcpy(who->uid, p, n);
	who->uid[n] = '\0';
	who->dev = rb_u32(&r);
	*exp = rb_u64(&r);
	return r.err ? LC_ERR_STORE_CORRUPT : 0;
}

int lc_token_revoke(lc_server *s, const uint8_t hash[32])
{
	lc_addr who;
	uint64_t exp;
	int revoked, rc = token_get(s, hash, &revoked, &who, &exp);

	if (rc == LC_ERR_NOT_FOUND || (rc == 0 && revoked))
		return 0;
	return rc ? rc : token_put(s, hash, 1, who.uid, who.dev, exp);
}

int lc_token_issue(lc_server *s, const char *uid, uint32_t dev,
		   lc_dev_rec *d, uint64_t now, uint8_t token[32],
		   uint64_t *expires)
{
	uint8_t hash[32];
	int rc = 0;

	if (d->has_token)
		rc = lc_token_revoke(s, d->token_hash);
	if (rc)
		return rc;
	s->rng.fill(token, 32, s->rng.user_data);
	crypto_hash_sha256(hash, token, 32);
	*expires = now + s->cfg.token_lifetime_ms;
	rc = token_put(s, hash, 0, uid, dev, *expires);
	if (rc == 0) {
		memcpy(d->token_hash, hash, 32);
		d->has_token = 1;
		rc = lc_st_dev_put(s, uid, dev, d);
	}
	return rc;
}

/* 0 when token is the live token of (uid, dev); AUTH_FAILED when it is no
 * token of that device; TOKEN_EXPIRED when it was, but is revoked or old. */
int lc_token_check(lc_server *s, const uint8_t *token, size_t len,
		   const char *uid, uint32_t dev, uint64_t now,
		   uint64_t *expires)
{
	uint8_t hash[32];
	lc_addr who;
	int revoked, rc;

	if (len != LC_SERVER_TOKEN_LEN)
		return LC_ERR_AUTH_FAILED;
	crypto_hash_sha256(hash, token, len);
	rc = token_get(s, hash, &revoked, &who, expires);
	if (rc == LC_ERR_NOT_FOUND)
		return LC_ERR_AUTH_FAILED;
	if (rc)
		return rc;
	if (who.dev != dev || strcmp(who.uid, uid) != 0)
		return LC_ERR_AUTH_FAILED;
	if (revoked || now >= *expires)
		return LC_ERR_TOKEN_EXPIRED;
	return 0;
}

_Static_assert(LC_SERVER_USER_ID_SIZE == LC_UID_MAX + 1,
	       "the public user id buffer holds the longest user id");

int lc_server_token_verify(lc_server *s, const uint8_t *token, size_t len,
			   uint64_t now, char user_id[LC_SERVER_USER_ID_SIZE],
			   uint32_t *device_id)
{
	uint8_t hash[32];
	lc_addr who;
	uint64_t exp;
	int revoked, rc;

	if (s == NULL || token == NULL || user_id == NULL)
		return LC_ERR_INVALID_ARG;
	if (len != LC_SERVER_TOKEN_LEN)
		return LC_ERR_AUTH_FAILED;
	crypto_hash_sha256(hash, token, len);
	rc = token_get(s, hash, &revoked, &who, &exp);
	sodium_memzero(hash, sizeof hash);
	if (rc == LC_ERR_NOT_FOUND)
		return LC_ERR_AUTH_FAILED;
	if (rc)
		return rc;
	if (revoked || now >= exp)
		return LC_ERR_TOKEN_EXPIRED;
	memcpy(user_id, who.uid, strlen(who.uid) + 1);
	if (device_id)
		*device_id = who.dev;
	return 0;
}
