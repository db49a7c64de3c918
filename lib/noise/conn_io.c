/* The secure channel's byte handling: the output queue, transport
 * messages in and out, and the public I/O calls. */
#include <string.h>

#include "conn.h"

_Static_assert(LC_NOISE_MAX_PAYLOAD == LC_ENVELOPE_MAX,
	       "one Envelope fills one Noise transport message");
_Static_assert(LC_NOISE_MAX_MESSAGE == LC_FRAME_MAX,
	       "one Noise message fills one frame");

int conn_fail(lc_noise_conn *c, int error)
{
	if (c->state != CONN_DEAD) {
		c->state = CONN_DEAD;
		c->error = error;
		lc_noise_handshake_free(c->hs);
		lc_noise_cipher_free(c->tx);
		lc_noise_cipher_free(c->rx);
		c->hs = NULL;
		c->tx = c->rx = NULL;
		c->out_start = c->out_len = 0;
	}
	return c->error;
}

/* Room for n more bytes at the end of the queue. */
static int reserve(lc_noise_conn *c, size_t n)
{
	size_t live = c->out_len - c->out_start;
	uint8_t *p;
	size_t cap;

	if (c->out_start > 0) {
		memmove(c->out, c->out + c->out_start, live);
		c->out_start = 0;
		c->out_len = live;
	}
	if (c->out_cap - c->out_len >= n)
		return 0;
	cap = c->out_cap ? c->out_cap : 256;
	while (cap - live < n)
		cap *= 2;
	p = lc_realloc(&c->mem, c->out, cap);
	if (p == NULL)
		return LC_ERR_NOMEM;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

int conn_queue(lc_noise_conn *c, const uint8_t *data, size_t len)
{
	int rv = reserve(c, len);

	if (rv < 0)
		return rv;
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

int conn_queue_frame(lc_noise_conn *c, const uint8_t *msg, size_t len)
{
	int rv = reserve(c, LC_FRAME_HEADER_LEN + len);

	if (rv < 0)
		return rv;
	rv = lc_frame_encode(c->out + c->out_len, c->out_cap - c->out_len,
			     msg, len);
	if (rv < 0)
		return LC_ERR_INTERNAL;
	c->out_len += (size_t)rv;
	return 0;
}

static int plain_reserve(lc_noise_conn *c, size_t n)
{
	uint8_t *p;

	if (c->plain_cap >= n && c->plain != NULL)
		return 0;
	p = lc_realloc(&c->mem, c->plain, n ? n : 1);
	if (p == NULL)
		return LC_ERR_NOMEM;
	c->plain = p;
	c->plain_cap = n ? n : 1;
	return 0;
}

/* A message that fails at nonce n but authenticates at a nearby nonce
 * was sent by the peer, just not in this place: a replay or a reorder. */
static int classify(const lc_noise_conn *c, const uint8_t *f, size_t flen)
{
	uint64_t n = c->rx->cs.n;
	noise_cs probe = c->rx->cs;
	int rv = LC_ERR_NOISE_DECRYPT;

	for (uint64_t d = 1; d <= CONN_REPLAY_WINDOW; d++) {
		if (n >= d) {
			probe.n = n - d;
			if (noise_cs_decrypt(&probe, NULL, 0, f, flen,
					     c->plain) >= 0) {
				rv = LC_ERR_NOISE_REPLAY;
				break;
			}
		}
		if (n + d > n && n + d != NOISE_MAX_NONCE) {
			probe.n = n + d;
			if (noise_cs_decrypt(&probe, NULL, 0, f, flen,
					     c->plain) >= 0) {
				rv = LC_ERR_NOISE_REPLAY;
				break;
			}
		}
	}
	sodium_memzero(&probe, sizeof probe);
	sodium_memzero(c->plain, flen - NOISE_TAGLEN);
	return rv;
}

int conn_transport(lc_noise_conn *c, const uint8_t *f, size_t flen,
		   const uint8_t **payload, size_t *payload_len)
{
	int rv;

	if (flen < NOISE_TAGLEN)
		return LC_ERR_NOISE_BAD_LENGTH;
	if ((rv = plain_reserve(c, flen - NOISE_TAGLEN)) < 0)
		return rv;
	rv = noise_cs_decrypt(&c->rx->cs, NULL, 0, f, flen, c->plain);
	if (rv == LC_ERR_NOISE_DECRYPT)
		rv = classify(c, f, flen);
	if (rv < 0)
		return rv;
	*payload = c->plain;
	*payload_len = (size_t)rv;
	c->release_plain = c->plain_cap > CONN_KEEP_BUFFER;
	return 1;
}

static void release_plain(lc_noise_conn *c)
{
	if (c->release_plain) {
		c->release_plain = 0;
		sodium_memzero(c->plain, c->plain_cap);
		lc_free(&c->mem, c->plain);
		c->plain = NULL;
		c->plain_cap = 0;
	}
}

int lc_noise_conn_recv(lc_noise_conn *c, const uint8_t *in, size_t len,
		       size_t *consumed, const uint8_t **payload,
		       size_t *payload_len)
{
	size_t used = 0;
	int rv;

	if (c == NULL || consumed == NULL || payload == NULL ||
	    payload_len == NULL || (in == NULL && len > 0))
		return LC_ERR_INVALID_ARG;
	*consumed = 0;
	*payload = NULL;
	*payload_len = 0;
	if (c->state == CONN_DEAD)
		return c->error;
	release_plain(c);
	while (used < len) {
		size_t u;
		const uint8_t *f;
		size_t flen;

		rv = lc_frame_decode(c->dec, in + used, len - used, &u, &f,
				     &flen);
		if (rv < 0)
			return conn_fail(c, rv);
		used += u;
		if (rv == 0)
			continue;
		if (c->state == CONN_HANDSHAKE) {
			if ((rv = conn_handshake(c, f, flen)) < 0)
				return conn_fail(c, rv);
			continue;
		}
		rv = conn_transport(c, f, flen, payload, payload_len);
		if (rv < 0)
			return conn_fail(c, rv);
		*consumed = used;
		return 1;
	}
	*consumed = used;
	return 0;
}

int lc_noise_conn_send(lc_noise_conn *c, const uint8_t *payload, size_t len)
{
	size_t n = len + NOISE_TAGLEN;
	int rv;

	if (c == NULL || (payload == NULL && len > 0) ||
	    len > LC_NOISE_MAX_PAYLOAD)
		return LC_ERR_INVALID_ARG;
	if (c->state == CONN_DEAD)
		return c->error;
	if (c->state != CONN_OPEN)
		return LC_ERR_NOISE_STATE;
	if ((rv = reserve(c, LC_FRAME_HEADER_LEN + n)) < 0)
		return conn_fail(c, rv);
	rv = noise_cs_encrypt(&c->tx->cs, NULL, 0, payload, len,
			      c->out + c->out_len + LC_FRAME_HEADER_LEN);
	if (rv < 0)
		return conn_fail(c, rv);
	if (lc_frame_header(c->out + c->out_len, n) < 0)
		return conn_fail(c, LC_ERR_INTERNAL);
	c->out_len += LC_FRAME_HEADER_LEN + n;
	return 0;
}

size_t lc_noise_conn_output(const lc_noise_conn *c, const uint8_t **data)
{
	if (data != NULL)
		*data = NULL;
	if (c == NULL || data == NULL || c->state == CONN_DEAD)
		return 0;
	*data = c->out + c->out_start;
	return c->out_len - c->out_start;
}

int lc_noise_conn_output_consume(lc_noise_conn *c, size_t n)
{
	if (c == NULL || n > c->out_len - c->out_start)
		return LC_ERR_INVALID_ARG;
	c->out_start += n;
	if (c->out_start == c->out_len)
		c->out_start = c->out_len = 0;
	return 0;
}

int lc_noise_conn_want_read(const lc_noise_conn *c)
{
	return c != NULL && c->state != CONN_DEAD;
}

int lc_noise_conn_want_write(const lc_noise_conn *c)
{
	return c != NULL && c->state != CONN_DEAD && c->out_len > c->out_start;
}

int lc_noise_conn_finish(lc_noise_conn *c)
{
	int rv;

	if (c == NULL)
		return LC_ERR_INVALID_ARG;
	if (c->state == CONN_DEAD)
		return c->error;
	if ((rv = lc_frame_decoder_finish(c->dec)) < 0)
		return rv;
	return c->state == CONN_OPEN ? 0 : LC_ERR_TRUNCATED;
}

void noise_conn_test_set_nonces(lc_noise_conn *c, uint64_t send,
				uint64_t recv)
{
	if (c->state == CONN_OPEN) {
		c->tx->cs.n = send;
		c->rx->cs.n = recv;
	}
}
