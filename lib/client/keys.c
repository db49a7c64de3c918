/* Key material and account records in the store's blobs.
 *
 * LOCAL "device":  1, Noise static private key (32), identity seed (32)
 * LOCAL "account": 1, keys uploaded (1), device id (4), token (32),
 *                  user id length (1), user id
 * LOCAL "server":  the pinned server static key (32)
 * LOCAL "devices" NUL user id: the user's device ids (4 each, big-endian)
 * PREKEY "prekeys": lc_prekeys_serialize()
 * LOCAL "hold" NUL user id: empty; direct messages to the user, and to
 *                  groups with the user in them, wait
 * SESSION user id NUL device id (4): lc_ratchet_serialize()
 */
#include <string.h>

#include <sodium.h>

#include "client_int.h"

#define N(s) (const uint8_t *)(s), (sizeof(s) - 1)

static const lc_rng *rngp(const lc_client *c)
{
	return c->has_rng ? &c->rng : NULL;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int device_create(lc_client *c)
{
	uint8_t rec[65];
	int rc;

	lc_cl_random(c, c->sec->noise_sk, 32);
	if ((rc = lc_identity_new(&c->id, &c->mem, rngp(c))))
		return rc;
	rec[0] = 1;
	memcpy(rec + 1, c->sec->noise_sk, 32);
	lc_identity_seed(c->id, rec + 33);
	rc = lc_store_blob_put(c->store, LC_STORE_BLOB_LOCAL, N("device"),
			       rec, sizeof rec);
	sodium_memzero(rec, sizeof rec);
	return rc;
}

static int device_load(lc_client *c)
{
	uint8_t rec[65];
	size_t len = 0;
	int rc = lc_store_blob_get(c->store, LC_STORE_BLOB_LOCAL, N("device"),
				   rec, sizeof rec, &len);

	if (rc == LC_ERR_NOT_FOUND)
		return device_create(c);
	if (rc == LC_ERR_BUFFER_TOO_SMALL)
		return LC_ERR_STORE_CORRUPT;
	if (rc)
		return rc;
	if (len != sizeof rec || rec[0] != 1)
		rc = LC_ERR_STORE_CORRUPT;
	else {
		memcpy(c->sec->noise_sk, rec + 1, 32);
		rc = lc_identity_from_seed(&c->id, rec + 33, &c->mem);
	}
	sodium_memzero(rec, sizeof rec);
	return rc;
}

int lc_cl_prekeys_save(lc_client *c)
{
	size_t n = lc_prekeys_serialized_size(c->pk), len = 0;
	uint8_t *buf;
	int rc;

	if (n > LC_STORE_BLOB_MAX)
		return LC_ERR_STORE_FULL;
	if ((buf = sodium_malloc(n)) == NULL)
		return LC_ERR_NOMEM;
	rc = lc_prekeys_serialize(c->pk, buf, n, &len);
	if (rc == 0)
		rc = lc_store_blob_put(c->store, LC_STORE_BLOB_PREKEY,
				       N("prekeys"), buf, len);
	sodium_free(buf);
	return rc;
}

static int prekeys_load(lc_client *c)
{
	uint8_t *buf;
	size_t len = 0;
	int rc;

	if ((buf = sodium_malloc(LC_STORE_BLOB_MAX)) == NULL)
		return LC_ERR_NOMEM;
	rc = lc_store_blob_get(c->store, LC_STORE_BLOB_PREKEY, N("prekeys"),
			       buf, LC_STORE_BLOB_MAX, &len);
	if (rc == 0)
		rc = lc_prekeys_parse(&c->pk, buf, len, &c->mem, rngp(c));
	sodium_free(buf);
	if (rc != LC_ERR_NOT_FOUND)
		return rc;
	if ((rc = lc_prekeys_new(&c->pk, c->id, &c->mem, rngp(c))) ||
	    (rc = lc_prekeys_generate(c->pk, c->prekey_batch)))
		return rc;
	return lc_cl_prekeys_save(c);
}

static int account_load(lc_client *c)
{
	uint8_t rec[39 + LC_CL_UID_MAX];
	size_t len = 0;
	int rc = lc_store_blob_get(c->store, LC_STORE_BLOB_LOCAL, N("account"),
				   rec, sizeof rec, &len);

	if (rc == LC_ERR_NOT_FOUND)
		return 0;
	if (rc == 0 && (len < 39 || rec[0] != 1 || rec[38] == 0 ||
			len != 39u + rec[38]))
		rc = LC_ERR_STORE_CORRUPT;
	if (rc == 0) {
		c->keys_done = rec[1] != 0;
		c->dev = rd32(rec + 2);
		memcpy(c->sec->token, rec + 6, 32);
		memcpy(c->uid, rec + 39, rec[38]);
		c->uid[rec[38]] = 0;
		c->has_account = lc_cl_valid_uid(c->uid);
		if (!c->has_account)
			rc = LC_ERR_STORE_CORRUPT;
	}
	sodium_memzero(rec, sizeof rec);
	return rc == LC_ERR_BUFFER_TOO_SMALL ? LC_ERR_STORE_CORRUPT : rc;
}

int lc_cl_account_save(lc_client *c)
{
	uint8_t rec[39 + LC_CL_UID_MAX];
	size_t n = strlen(c->uid);
	int rc;

	rec[0] = 1;
	rec[1] = (uint8_t)c->keys_done;
	wr32(rec + 2, c->dev);
	memcpy(rec + 6, c->sec->token, 32);
	rec[38] = (uint8_t)n;
	memcpy(rec + 39, c->uid, n);
	rc = lc_store_blob_put(c->store, LC_STORE_BLOB_LOCAL, N("account"),
			       rec, 39 + n);
	sodium_memzero(rec, sizeof rec);
	if (rc == 0)
		c->has_account = 1;
	return rc;
}

/* Forget the token (logout); the user id and device stay known. */
int lc_cl_account_forget(lc_client *c)
{
	int rc = lc_store_blob_delete(c->store, LC_STORE_BLOB_LOCAL,
				      N("account"));

	sodium_memzero(c->sec->token, 32);
	c->has_account = 0;
	return rc == LC_ERR_NOT_FOUND ? 0 : rc;
}

int lc_cl_pin_save(lc_client *c, const uint8_t key[32])
{
	int rc = lc_store_blob_put(c->store, LC_STORE_BLOB_LOCAL, N("server"),
				   key, 32);

	if (rc == 0) {
		memcpy(c->pin, key, 32);
		c->has_pin = 1;
	}
	return rc;
}

static int pin_load(lc_client *c)
{
	uint8_t key[32];
	size_t len = 0;
	int rc;

	if (c->cfg_pin)
		return 0;
	rc = lc_store_blob_get(c->store, LC_STORE_BLOB_LOCAL, N("server"),
			       key, sizeof key, &len);
	if (rc == LC_ERR_NOT_FOUND)
		return 0;
	if (rc == 0 && len != 32)
		rc = LC_ERR_STORE_CORRUPT;
	if (rc == 0) {
		memcpy(c->pin, key, 32);
		c->has_pin = 1;
	}
	return rc == LC_ERR_BUFFER_TOO_SMALL ? LC_ERR_STORE_CORRUPT : rc;
}

int lc_cl_keys_load(lc_client *c)
{
	int rc;

	if ((rc = device_load(c)) || (rc = prekeys_load(c)) ||
	    (rc = account_load(c)))
		return rc;
	return pin_load(c);
}

/* Publish the identity, the signed prekey and one-time prekeys: the whole
 * pool (at most 100) when full, else the newest prekey_batch. */
int lc_cl_keys_upload(lc_client *c, int full, uint64_t now)
{
	Libchat__KeysUpload ku = LIBCHAT__KEYS_UPLOAD__INIT;
	Libchat__SignedPrekey spk = LIBCHAT__SIGNED_PREKEY__INIT;
	Libchat__OneTimePrekey otk[100], *po[100];
	uint8_t pub[100][32], sp[32], sig[64];
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	size_t count = lc_prekeys_count(c->pk), first, n;

	n = full ? count : c->prekey_batch;
	if (n > 100)
		n = 100;
	if (n > count)
		n = count;
	first = count - n;
	for (size_t i = 0; i < n; i++) {
		libchat__one_time_prekey__init(&otk[i]);
		(void)lc_prekeys_one_time(c->pk, first + i, &otk[i].id, pub[i]);
		otk[i].public_key.data = pub[i];
		otk[i].public_key.len = 32;
		po[i] = &otk[i];
	}
	lc_prekeys_signed(c->pk, &spk.id, sp, sig);
	spk.public_key.data = sp;
	spk.public_key.len = 32;
	spk.signature.data = sig;
	spk.signature.len = 64;
	ku.identity_key.data = (uint8_t *)lc_identity_public_key(c->id);
	ku.identity_key.len = 32;
	ku.signed_prekey = &spk;
	ku.one_time_prekeys = po;
	ku.n_one_time_prekeys = n;
	e.body_case = LIBCHAT__ENVELOPE__BODY_KEYS_UPLOAD;
	e.keys_upload = &ku;
	return lc_cl_emit(c, &e, LC_CL_REQ_KEYS, now, NULL);
}

int lc_cl_session_load(lc_client *c, const char *uid, uint32_t dev,
		       lc_ratchet **out)
{
	uint8_t name[LC_CL_UID_MAX + 5], *buf;
	size_t nl = lc_cl_session_name(uid, dev, name), len = 0;
	int rc;

	*out = NULL;
	if ((buf = sodium_malloc(LC_STORE_BLOB_MAX)) == NULL)
		return LC_ERR_NOMEM;
	rc = lc_store_blob_get(c->store, LC_STORE_BLOB_SESSION, name, nl, buf,
			       LC_STORE_BLOB_MAX, &len);
	if (rc == 0)
		rc = lc_ratchet_parse(out, buf, len, &c->mem, rngp(c));
	sodium_free(buf);
	return rc == LC_ERR_NOT_FOUND ? LC_ERR_NO_SESSION : rc;
}

int lc_cl_session_save(lc_client *c, const char *uid, uint32_t dev,
		       const lc_ratchet *s)
{
	uint8_t name[LC_CL_UID_MAX + 5], *buf;
	size_t nl = lc_cl_session_name(uid, dev, name);
	size_t n = lc_ratchet_serialized_size(s), len = 0;
	int rc;

	if (n > LC_STORE_BLOB_MAX)
		return LC_ERR_STORE_FULL;
	if ((buf = sodium_malloc(n)) == NULL)
		return LC_ERR_NOMEM;
	rc = lc_ratchet_serialize(s, buf, n, &len);
	if (rc == 0)
		rc = lc_store_blob_put(c->store, LC_STORE_BLOB_SESSION, name,
				       nl, buf, len);
	sodium_free(buf);
	return rc;
}

static size_t devices_name(const char *uid, uint8_t *out)
{
	size_t n = strlen(uid);

	memcpy(out, "devices", 8); /* with its NUL */
	memcpy(out + 8, uid, n);
	return 8 + n;
}

int lc_cl_devices_get(lc_client *c, const char *uid, uint32_t *devs,
		      size_t *n)
{
	uint8_t name[8 + LC_CL_UID_MAX], rec[4 * LC_CL_MAX_DEVICES];
	size_t len = 0;
	int rc = lc_store_blob_get(c->store, LC_STORE_BLOB_LOCAL, name,
				   devices_name(uid, name), rec, sizeof rec,
				   &len);

	*n = 0;
	if (rc == LC_ERR_BUFFER_TOO_SMALL || (rc == 0 && len % 4))
		return LC_ERR_STORE_CORRUPT;
	if (rc)
		return rc;
	for (size_t i = 0; i < len / 4; i++)
		devs[i] = rd32(rec + 4 * i);
	*n = len / 4;
	return 0;
}

int lc_cl_devices_put(lc_client *c, const char *uid, const uint32_t *devs,
		      size_t n)
{
	uint8_t name[8 + LC_CL_UID_MAX], rec[4 * LC_CL_MAX_DEVICES];

	if (n > LC_CL_MAX_DEVICES)
		return LC_ERR_INVALID_ARG;
	for (size_t i = 0; i < n; i++)
		wr32(rec + 4 * i, devs[i]);
	return lc_store_blob_put(c->store, LC_STORE_BLOB_LOCAL, name,
				 devices_name(uid, name), rec, 4 * n);
}

/* A device wrote to us: add it to the user's known list (the list a
 * fetch stored), so group messages reach it too; direct sends learn it
 * from STALE_DEVICES anyway. */
int lc_cl_device_seen(lc_client *c, const char *uid, uint32_t dev)
{
	uint32_t devs[LC_CL_MAX_DEVICES + 1];
	size_t n = 0;
	int rc = lc_cl_devices_get(c, uid, devs, &n);

	if (rc == LC_ERR_NOT_FOUND)
		return 0; /* never fetched: the first send fetches them all */
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (devs[i] == dev)
			return 0;
	if (n == LC_CL_MAX_DEVICES)
		return 0;
	devs[n++] = dev;
	return lc_cl_devices_put(c, uid, devs, n);
}

/* Trust on first use per device; the key a user presents (device 0 in the
 * store) is compared each time one of their devices is first seen. */
int lc_cl_identity_seen(lc_client *c, const char *uid, uint32_t dev,
			const uint8_t key[32], uint64_t now)
{
	int rc = lc_store_identity_save(c->store, uid, dev, key, 32, now);

	if (rc == LC_STORE_IDENTITY_NEW)
		rc = lc_store_identity_save(c->store, uid, 0, key, 32, now);
	if (rc == LC_STORE_IDENTITY_CHANGED && c->hold) {
		uint8_t name[5 + LC_CL_UID_MAX];
		size_t n = strlen(uid);

		memcpy(name, "hold", 5);
		memcpy(name + 5, uid, n);
		if ((rc = lc_store_blob_put(c->store, LC_STORE_BLOB_LOCAL, name,
					    5 + n, NULL, 0)) == 0)
			rc = LC_STORE_IDENTITY_CHANGED;
	}
	if (rc == LC_STORE_IDENTITY_CHANGED && c->cb.identity_changed)
		c->cb.identity_changed(uid, dev, c->ud);
	return rc < 0 ? rc : 0;
}

static size_t hold_name(const char *uid, uint8_t *name)
{
	size_t n = strlen(uid);

	memcpy(name, "hold", 5);
	memcpy(name + 5, uid, n);
	return 5 + n;
}

/* 1 when direct messages to uid wait for lc_client_trust_identity(). */
int lc_cl_held(lc_client *c, const char *uid)
{
	uint8_t name[5 + LC_CL_UID_MAX];
	size_t len = 0;
	int rc = lc_store_blob_get(c->store, LC_STORE_BLOB_LOCAL, name,
				   hold_name(uid, name), NULL, 0, &len);

	if (rc == LC_ERR_NOT_FOUND)
		return 0;
	return rc == 0 || rc == LC_ERR_BUFFER_TOO_SMALL ? 1 : rc;
}

int lc_client_identity_held(lc_client *c, const char *user_id)
{
	if (c == NULL || !lc_cl_valid_uid(user_id))
		return LC_ERR_INVALID_ARG;
	return lc_cl_held(c, user_id);
}

int lc_client_chat_held(lc_client *c, const char *chat_id)
{
	if (c == NULL || chat_id == NULL)
		return LC_ERR_INVALID_ARG;
	if (strncmp(chat_id, "g:", 2) == 0) {
		if (strlen(chat_id) != 34)
			return LC_ERR_INVALID_ARG;
		return c->hold ? lc_cl_group_held(c, chat_id) : 0;
	}
	if (!lc_cl_valid_uid(chat_id))
		return LC_ERR_INVALID_ARG;
	return c->hold ? lc_cl_held(c, chat_id) : 0;
}

int lc_client_trust_identity(lc_client *c, const char *user_id,
			     uint64_t now)
{
	uint8_t name[5 + LC_CL_UID_MAX];
	int rc;

	if (c == NULL || !lc_cl_valid_uid(user_id))
		return LC_ERR_INVALID_ARG;
	rc = lc_store_blob_delete(c->store, LC_STORE_BLOB_LOCAL, name,
				  hold_name(user_id, name));
	if (rc && rc != LC_ERR_NOT_FOUND)
		return rc;
	lc_cl_outbox_pump(c, now);
	return 0;
}
