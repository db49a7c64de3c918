/* The one place the transport meets the core: bytes in through the
 * connection's Noise responder, one Envelope per transport message to the
 * dispatcher; released Envelopes out, encrypted, as socket bytes. */
#include <string.h>

#include "server_int.h"

static int fail(lc_server_conn *c, int rc)
{
	if (!c->closing) {
		c->closing = 1;
		if (c->srv->cb.close_conn)
			c->srv->cb.close_conn(c, rc, c->srv->user_data);
	}
	return rc;
}

int lc_server_conn_recv(lc_server_conn *c, const uint8_t *in, size_t len,
			uint64_t now)
{
	size_t off = 0;

	if (c == NULL || (in == NULL && len))
		return LC_ERR_INVALID_ARG;
	if (c->noise == NULL)
		return LC_ERR_INVALID_STATE;
	if (c->closing)
		return LC_ERR_CLOSED;
	while (off < len) {
		const uint8_t *p;
		size_t used = 0, n;
		int rc = lc_noise_conn_recv(c->noise, in + off, len - off,
					    &used, &p, &n);

		if (rc < 0)
			return fail(c, rc);
		off += used;
		if (rc == 0)
			break;
		c->last_rx = now;
		if (!c->has_key) {
			uint8_t key[LC_SERVER_DEVICE_KEY_LEN];
			if (lc_noise_conn_remote_static(c->noise, key) != 0)
				return fail(c, LC_ERR_INTERNAL);
			lc_srv_conn_set_device_key(c, key);
		}
		rc = lc_srv_conn_payload(c, p, n, now);
		if (c->closing)
			return rc ? rc : LC_ERR_CLOSED;
	}
	/* The handshake's completion gives the device key before any
	 * payload: take it now so Register can bind it at once. */
	if (!c->has_key && lc_noise_conn_is_established(c->noise)) {
		uint8_t key[LC_SERVER_DEVICE_KEY_LEN];
		if (lc_noise_conn_remote_static(c->noise, key) == 0)
			lc_srv_conn_set_device_key(c, key);
	}
	return (int)len;
}

int lc_server_conn_send(lc_server_conn *c, const uint8_t **data)
{
	const uint8_t *p;
	size_t n;
	int rc;

	if (c == NULL || data == NULL)
		return LC_ERR_INVALID_ARG;
	if (c->noise == NULL)
		return LC_ERR_INVALID_STATE;
	if (c->sent && lc_noise_conn_output_consume(c->noise, c->sent) != 0)
		return fail(c, LC_ERR_INTERNAL);
	c->sent = 0;
	while (lc_noise_conn_is_established(c->noise) &&
	       lc_srv_conn_pop(c, &p, &n)) {
		rc = lc_noise_conn_send(c->noise, p, n);
		if (rc)
			return fail(c, rc);
	}
	n = lc_noise_conn_output(c->noise, data);
	if (n > (size_t)INT32_MAX)
		n = INT32_MAX;
	c->sent = n;
	return (int)n;
}

int lc_server_conn_want_write(const lc_server_conn *c)
{
	if (c == NULL || c->noise == NULL)
		return 0;
	if (c->out_head && lc_noise_conn_is_established(c->noise))
		return 1;
	return lc_noise_conn_want_write(c->noise) &&
	       lc_noise_conn_output(c->noise, &(const uint8_t *){ NULL }) >
	       c->sent;
}

int lc_server_conn_want_read(const lc_server_conn *c)
{
	return c && c->noise && !c->closing &&
	       lc_noise_conn_want_read(c->noise);
}
