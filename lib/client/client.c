/* The client session: creation, getters and teardown. */
#include <string.h>

#include <sodium.h>

#include "client_int.h"

size_t lc_client_id_len(void)
{
	return LC_CLIENT_ID_LEN;
}

static int check_cfg(const lc_client_config *cfg)
{
	if (cfg->version != LC_CLIENT_CONFIG_VERSION)
		return LC_ERR_INVALID_ARG;
	if ((cfg->store_dir == NULL) == (cfg->store == NULL))
		return LC_ERR_INVALID_ARG;
	if (cfg->store && cfg->store_key)
		return LC_ERR_INVALID_ARG;
	if (cfg->prekey_batch > 100 || (cfg->flags & ~LC_CLIENT_HOLD_ON_KEY_CHANGE))
		return LC_ERR_INVALID_ARG;
	if (cfg->mem && (!cfg->mem->malloc || !cfg->mem->free ||
			 !cfg->mem->calloc || !cfg->mem->realloc))
		return LC_ERR_INVALID_ARG;
	if (cfg->rng && !cfg->rng->fill)
		return LC_ERR_INVALID_ARG;
	return 0;
}

static void settings(lc_client *c, const lc_client_config *cfg,
		     const lc_client_callbacks *cb, void *ud)
{
	if (cfg->rng) {
		c->rng = *cfg->rng;
		c->has_rng = 1;
	}
	if (cb && cb->version == LC_CLIENT_CONFIG_VERSION)
		c->cb = *cb;
	c->ud = ud;
	c->hold = (cfg->flags & LC_CLIENT_HOLD_ON_KEY_CHANGE) != 0;
	c->heartbeat_ms = cfg->heartbeat_ms ? cfg->heartbeat_ms :
			  LC_CLIENT_HEARTBEAT_MS;
	c->timeout_ms = cfg->request_timeout_ms ? cfg->request_timeout_ms :
			LC_CLIENT_REQUEST_TIMEOUT_MS;
	c->prekey_batch = cfg->prekey_batch ? cfg->prekey_batch :
			  LC_CLIENT_PREKEY_BATCH;
	if (cfg->server_key) {
		memcpy(c->pin, cfg->server_key, 32);
		c->has_pin = c->cfg_pin = 1;
	}
}

static int open_store(lc_client *c, const lc_client_config *cfg)
{
	lc_store_options o;

	if (cfg->store) {
		c->store = cfg->store;
		return 0;
	}
	lc_store_options_init(&o);
	o.mem = cfg->mem;
	o.rng = cfg->rng;
	c->own_store = 1;
	return lc_store_open(&c->store, cfg->store_dir, cfg->store_key, &o);
}

int lc_client_new(lc_client **out, const lc_client_config *cfg,
		  const lc_client_callbacks *cb, void *user_data)
{
	lc_allocator mem;
	lc_client *c;
	int rc;

	if (out == NULL || cfg == NULL)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((rc = check_cfg(cfg)))
		return rc;
	if (sodium_init() < 0)
		return LC_ERR_INIT;
	mem = cfg->mem ? *cfg->mem : *lc_allocator_default();
	c = mem.calloc(1, sizeof *c, mem.user_data);
	if (c == NULL)
		return LC_ERR_NOMEM;
	c->mem = mem;
	settings(c, cfg, cb, user_data);
	c->sec = sodium_malloc(sizeof *c->sec);
	if (c->sec == NULL) {
		lc_client_free(c);
		return LC_ERR_NOMEM;
	}
	sodium_memzero(c->sec, sizeof *c->sec);
	if ((rc = open_store(c, cfg)) || (rc = lc_cl_keys_load(c)) ||
	    (rc = lc_cl_presence_load(c))) {
		lc_client_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void lc_client_free(lc_client *c)
{
	if (c == NULL)
		return;
	lc_noise_conn_free(c->nc);
	lc_prekeys_free(c->pk);
	lc_identity_free(c->id);
	if (c->sec)
		sodium_free(c->sec);
	if (c->own_store)
		lc_store_close(c->store);
	{
		lc_allocator m = c->mem;
		sodium_memzero(c, sizeof *c);
		m.free(c, m.user_data);
	}
}

lc_store *lc_client_store(lc_client *c)
{
	return c ? c->store : NULL;
}

int lc_client_state_get(const lc_client *c)
{
	return c ? c->state : LC_CLIENT_DISCONNECTED;
}

const char *lc_client_user_id(const lc_client *c)
{
	return c && c->has_account ? c->uid : "";
}

uint32_t lc_client_device_id(const lc_client *c)
{
	return c && c->has_account ? c->dev : 0;
}
