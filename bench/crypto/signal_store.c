/*
 * In-memory stores for libsignal-protocol-c, as an application provides
 * them. Records are kept as the serialised bytes the library stores, and
 * every load hands back a fresh copy, exactly like a disk-backed store minus
 * the disk. With a handful of records a linear search is the fastest index.
 */
#include "signal_glue.h"

#include <stdlib.h>
#include <string.h>

typedef struct kv_entry {
	uint8_t *key;
	size_t key_len;
	uint8_t *val;
	size_t val_len;
} kv_entry;

typedef struct kv {
	kv_entry *e;
	size_t n, cap;
} kv;

struct signal_glue_user {
	kv sessions, prekeys, signed_prekeys, identities, sender_keys;
	signal_buffer *id_pub, *id_priv;
	uint32_t reg_id;
	unsigned long round_trips;
};

static kv_entry *kv_find(kv *t, const void *key, size_t key_len)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].key_len == key_len &&
		    memcmp(t->e[i].key, key, key_len) == 0)
			return &t->e[i];
	return NULL;
}

static int kv_put(kv *t, const void *key, size_t key_len, const void *val,
	size_t val_len)
{
	kv_entry *e = kv_find(t, key, key_len);
	uint8_t *copy = malloc(val_len ? val_len : 1);

	if (copy == NULL)
		return SG_ERR_NOMEM;
	memcpy(copy, val, val_len);
	if (e == NULL) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 8;
			kv_entry *ne = realloc(t->e, cap * sizeof *ne);

			if (ne == NULL) {
				free(copy);
				return SG_ERR_NOMEM;
			}
			t->e = ne;
			t->cap = cap;
		}
		e = &t->e[t->n++];
		e->key = malloc(key_len);
		if (e->key == NULL) {
			t->n--;
			free(copy);
			return SG_ERR_NOMEM;
		}
		memcpy(e->key, key, key_len);
		e->key_len = key_len;
		e->val = NULL;
	}
	free(e->val);
	e->val = copy;
	e->val_len = val_len;
	return 0;
}

static int kv_del(kv *t, const void *key, size_t key_len)
{
	kv_entry *e = kv_find(t, key, key_len);

	if (e == NULL)
		return 0;
	free(e->key);
	free(e->val);
	*e = t->e[--t->n];
	return 1;
}

static void kv_free(kv *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].key);
		free(t->e[i].val);
	}
	free(t->e);
}

/* Keys: the address's name, a NUL, the device id; sender keys prefix the
 * group id and a NUL. */
static size_t addr_key(uint8_t *buf, size_t cap, const char *group,
	size_t group_len, const signal_protocol_address *a)
{
	size_t n = 0, need = group_len + 1 + a->name_len + 1 + sizeof a->device_id;

	if (need > cap)
		return 0;
	if (group != NULL) {
		memcpy(buf, group, group_len);
		n = group_len;
		buf[n++] = 0;
	}
	memcpy(buf + n, a->name, a->name_len);
	n += a->name_len;
	buf[n++] = 0;
	memcpy(buf + n, &a->device_id, sizeof a->device_id);
	return n + sizeof a->device_id;
}

#define KEY_CAP 512

static int load_session(signal_buffer **rec, signal_buffer **user_rec,
	const signal_protocol_address *a, void *ud)
{
	signal_glue_user *u = ud;
	uint8_t key[KEY_CAP];
	size_t kl = addr_key(key, sizeof key, NULL, 0, a);
	kv_entry *e;

	(void)user_rec;
	u->round_trips++;
	if (kl == 0)
		return SG_ERR_INVAL;
	e = kv_find(&u->sessions, key, kl);
	if (e == NULL)
		return 0;
	*rec = signal_buffer_create(e->val, e->val_len);
	return *rec != NULL ? 1 : SG_ERR_NOMEM;
}

static int sub_device_sessions(signal_int_list **out, const char *name,
	size_t name_len, void *ud)
{
	signal_glue_user *u = ud;
	signal_int_list *l = signal_int_list_alloc();

	if (l == NULL)
		return SG_ERR_NOMEM;
	for (size_t i = 0; i < u->sessions.n; i++) {
		kv_entry *e = &u->sessions.e[i];
		int32_t dev;

		if (e->key_len != name_len + 1 + sizeof dev ||
		    memcmp(e->key, name, name_len) != 0)
			continue;
		memcpy(&dev, e->key + name_len + 1, sizeof dev);
		if (signal_int_list_push_back(l, dev) < 0) {
			signal_int_list_free(l);
			return SG_ERR_NOMEM;
		}
	}
	*out = l;
	return (int)signal_int_list_size(l);
}

static int store_session(const signal_protocol_address *a, uint8_t *rec,
	size_t rec_len, uint8_t *user_rec, size_t user_len, void *ud)
{
	signal_glue_user *u = ud;
	uint8_t key[KEY_CAP];
	size_t kl = addr_key(key, sizeof key, NULL, 0, a);

	(void)user_rec;
	(void)user_len;
	u->round_trips++;
	if (kl == 0)
		return SG_ERR_INVAL;
	return kv_put(&u->sessions, key, kl, rec, rec_len);
}

static int contains_session(const signal_protocol_address *a, void *ud)
{
	signal_glue_user *u = ud;
	uint8_t key[KEY_CAP];
	size_t kl = addr_key(key, sizeof key, NULL, 0, a);

	return kl != 0 && kv_find(&u->sessions, key, kl) != NULL;
}

static int delete_session(const signal_protocol_address *a, void *ud)
{
	signal_glue_user *u = ud;
	uint8_t key[KEY_CAP];
	size_t kl = addr_key(key, sizeof key, NULL, 0, a);

	return kl != 0 ? kv_del(&u->sessions, key, kl) : 0;
}

static int delete_all_sessions(const char *name, size_t name_len, void *ud)
{
	signal_glue_user *u = ud;
	int n = 0;

	for (size_t i = 0; i < u->sessions.n;) {
		kv_entry *e = &u->sessions.e[i];

		if (e->key_len > name_len && e->key[name_len] == 0 &&
		    memcmp(e->key, name, name_len) == 0)
			n += kv_del(&u->sessions, e->key, e->key_len);
		else
			i++;
	}
	return n;
}

static int load_id(kv *t, signal_buffer **rec, uint32_t id,
	unsigned long *rt)
{
	kv_entry *e = kv_find(t, &id, sizeof id);

	(*rt)++;
	if (e == NULL)
		return SG_ERR_INVALID_KEY_ID;
	*rec = signal_buffer_create(e->val, e->val_len);
	return *rec != NULL ? SG_SUCCESS : SG_ERR_NOMEM;
}

static int load_pre_key(signal_buffer **rec, uint32_t id, void *ud)
{
	signal_glue_user *u = ud;

	return load_id(&u->prekeys, rec, id, &u->round_trips);
}

static int store_pre_key(uint32_t id, uint8_t *rec, size_t len, void *ud)
{
	signal_glue_user *u = ud;

	u->round_trips++;
	return kv_put(&u->prekeys, &id, sizeof id, rec, len);
}

static int contains_pre_key(uint32_t id, void *ud)
{
	signal_glue_user *u = ud;

	return kv_find(&u->prekeys, &id, sizeof id) != NULL;
}

static int remove_pre_key(uint32_t id, void *ud)
{
	signal_glue_user *u = ud;

	u->round_trips++;
	kv_del(&u->prekeys, &id, sizeof id);
	return 0;
}

static int load_signed_pre_key(signal_buffer **rec, uint32_t id, void *ud)
{
	signal_glue_user *u = ud;

	return load_id(&u->signed_prekeys, rec, id, &u->round_trips);
}

static int store_signed_pre_key(uint32_t id, uint8_t *rec, size_t len,
	void *ud)
{
	signal_glue_user *u = ud;

	u->round_trips++;
	return kv_put(&u->signed_prekeys, &id, sizeof id, rec, len);
}

static int contains_signed_pre_key(uint32_t id, void *ud)
{
	signal_glue_user *u = ud;

	return kv_find(&u->signed_prekeys, &id, sizeof id) != NULL;
}

static int remove_signed_pre_key(uint32_t id, void *ud)
{
	signal_glue_user *u = ud;

	kv_del(&u->signed_prekeys, &id, sizeof id);
	return 0;
}

static int get_identity_key_pair(signal_buffer **pub, signal_buffer **priv,
	void *ud)
{
	signal_glue_user *u = ud;

	u->round_trips++;
	*pub = signal_buffer_copy(u->id_pub);
	*priv = signal_buffer_copy(u->id_priv);
	return *pub != NULL && *priv != NULL ? 0 : SG_ERR_NOMEM;
}

static int get_local_registration_id(void *ud, uint32_t *reg_id)
{
	signal_glue_user *u = ud;

	*reg_id = u->reg_id;
	return 0;
}

static int save_identity(const signal_protocol_address *a, uint8_t *key,
	size_t key_len, void *ud)
{
	signal_glue_user *u = ud;
	uint8_t k[KEY_CAP];
	size_t kl = addr_key(k, sizeof k, NULL, 0, a);

	u->round_trips++;
	if (kl == 0)
		return SG_ERR_INVAL;
	if (key == NULL) {
		kv_del(&u->identities, k, kl);
		return 0;
	}
	return kv_put(&u->identities, k, kl, key, key_len);
}

/* Trust on first use: unknown or unchanged identities are trusted. */
static int is_trusted_identity(const signal_protocol_address *a,
	uint8_t *key, size_t key_len, void *ud)
{
	signal_glue_user *u = ud;
	uint8_t k[KEY_CAP];
	size_t kl = addr_key(k, sizeof k, NULL, 0, a);
	kv_entry *e;

	u->round_trips++;
	if (kl == 0)
		return SG_ERR_INVAL;
	e = kv_find(&u->identities, k, kl);
	return e == NULL ||
		(e->val_len == key_len && memcmp(e->val, key, key_len) == 0);
}

static int store_sender_key(const signal_protocol_sender_key_name *n,
	uint8_t *rec, size_t len, uint8_t *user_rec, size_t user_len, void *ud)
{
	signal_glue_user *u = ud;
	uint8_t k[KEY_CAP];
	size_t kl = addr_key(k, sizeof k, n->group_id, n->group_id_len,
		&n->sender);

	(void)user_rec;
	(void)user_len;
	u->round_trips++;
	if (kl == 0)
		return SG_ERR_INVAL;
	return kv_put(&u->sender_keys, k, kl, rec, len);
}

static int load_sender_key(signal_buffer **rec, signal_buffer **user_rec,
	const signal_protocol_sender_key_name *n, void *ud)
{
	signal_glue_user *u = ud;
	uint8_t k[KEY_CAP];
	size_t kl = addr_key(k, sizeof k, n->group_id, n->group_id_len,
		&n->sender);
	kv_entry *e;

	(void)user_rec;
	u->round_trips++;
	if (kl == 0)
		return SG_ERR_INVAL;
	e = kv_find(&u->sender_keys, k, kl);
	if (e == NULL)
		return 0;
	*rec = signal_buffer_create(e->val, e->val_len);
	return *rec != NULL ? 1 : SG_ERR_NOMEM;
}

signal_glue_user *signal_glue_user_new(signal_context *gctx,
	ratchet_identity_key_pair *identity, uint32_t reg_id,
	signal_protocol_store_context **out_store)
{
	signal_glue_user *u = calloc(1, sizeof *u);
	signal_protocol_store_context *sc = NULL;

	if (u == NULL)
		return NULL;
	u->reg_id = reg_id;
	if (ec_public_key_serialize(&u->id_pub,
		ratchet_identity_key_pair_get_public(identity)) < 0 ||
	    ec_private_key_serialize(&u->id_priv,
		ratchet_identity_key_pair_get_private(identity)) < 0 ||
	    signal_protocol_store_context_create(&sc, gctx) < 0)
		goto fail;

	signal_protocol_session_store ss = {
		.load_session_func = load_session,
		.get_sub_device_sessions_func = sub_device_sessions,
		.store_session_func = store_session,
		.contains_session_func = contains_session,
		.delete_session_func = delete_session,
		.delete_all_sessions_func = delete_all_sessions,
		.user_data = u,
	};
	signal_protocol_pre_key_store ps = {
		.load_pre_key = load_pre_key,
		.store_pre_key = store_pre_key,
		.contains_pre_key = contains_pre_key,
		.remove_pre_key = remove_pre_key,
		.user_data = u,
	};
	signal_protocol_signed_pre_key_store sps = {
		.load_signed_pre_key = load_signed_pre_key,
		.store_signed_pre_key = store_signed_pre_key,
		.contains_signed_pre_key = contains_signed_pre_key,
		.remove_signed_pre_key = remove_signed_pre_key,
		.user_data = u,
	};
	signal_protocol_identity_key_store is = {
		.get_identity_key_pair = get_identity_key_pair,
		.get_local_registration_id = get_local_registration_id,
		.save_identity = save_identity,
		.is_trusted_identity = is_trusted_identity,
		.user_data = u,
	};
	signal_protocol_sender_key_store sks = {
		.store_sender_key = store_sender_key,
		.load_sender_key = load_sender_key,
		.user_data = u,
	};
	if (signal_protocol_store_context_set_session_store(sc, &ss) < 0 ||
	    signal_protocol_store_context_set_pre_key_store(sc, &ps) < 0 ||
	    signal_protocol_store_context_set_signed_pre_key_store(sc, &sps) < 0 ||
	    signal_protocol_store_context_set_identity_key_store(sc, &is) < 0 ||
	    signal_protocol_store_context_set_sender_key_store(sc, &sks) < 0)
		goto fail;
	*out_store = sc;
	return u;
fail:
	if (sc != NULL)
		signal_protocol_store_context_destroy(sc);
	signal_glue_user_free(u);
	return NULL;
}

void signal_glue_user_free(signal_glue_user *u)
{
	if (u == NULL)
		return;
	kv_free(&u->sessions);
	kv_free(&u->prekeys);
	kv_free(&u->signed_prekeys);
	kv_free(&u->identities);
	kv_free(&u->sender_keys);
	signal_buffer_bzero_free(u->id_priv);
	signal_buffer_free(u->id_pub);
	free(u);
}

long signal_glue_session_size(signal_glue_user *u,
	const signal_protocol_address *a)
{
	uint8_t key[KEY_CAP];
	size_t kl = addr_key(key, sizeof key, NULL, 0, a);
	kv_entry *e = kl ? kv_find(&u->sessions, key, kl) : NULL;

	return e != NULL ? (long)e->val_len : -1;
}

long signal_glue_sender_key_size(signal_glue_user *u,
	const signal_protocol_sender_key_name *n)
{
	uint8_t k[KEY_CAP];
	size_t kl = addr_key(k, sizeof k, n->group_id, n->group_id_len,
		&n->sender);
	kv_entry *e = kl ? kv_find(&u->sender_keys, k, kl) : NULL;

	return e != NULL ? (long)e->val_len : -1;
}

unsigned long signal_glue_round_trips(const signal_glue_user *u)
{
	return u->round_trips;
}
