/* The frame codec: prologue, then 2-byte big-endian length-prefixed frames. */
#include <string.h>

#include <libchat/frame.h>

#include "alloc.h"

/* A buffer larger than this is released once its frame has been returned,
 * so an idle connection holds no large buffer. */
#define KEEP_BUFFER 4096

enum dec_state { ST_PROLOGUE, ST_HEADER, ST_BODY, ST_DEAD };

struct lc_frame_decoder {
	lc_allocator mem;
	enum dec_state state;
	int error;          /* the fatal error in ST_DEAD */
	size_t max;         /* largest accepted payload */
	int peer_version;   /* from the prologue; 0 before */
	uint8_t head[LC_FRAME_PROLOGUE_LEN]; /* prologue or length bytes */
	size_t head_have;
	size_t body_len;    /* payload length of the frame being read */
	size_t body_have;
	uint8_t *buf;       /* payload of a frame split across calls */
	size_t buf_cap;
	int release_buf;    /* buf held a returned frame; shrink next call */
};

size_t lc_frame_max(void)
{
	return LC_FRAME_MAX;
}

size_t lc_envelope_max(void)
{
	return LC_ENVELOPE_MAX;
}

int lc_frame_decoder_new(lc_frame_decoder **out, unsigned flags,
			 const lc_allocator *mem)
{
	lc_allocator a;
	lc_frame_decoder *d;

	if (out == NULL)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((flags & ~LC_FRAME_EXPECT_PROLOGUE) != 0)
		return LC_ERR_INVALID_ARG;
	if (lc_alloc_init(&a, mem) != 0)
		return LC_ERR_INVALID_ARG;
	d = lc_calloc(&a, 1, sizeof *d);
	if (d == NULL)
		return LC_ERR_NOMEM;
	d->mem = a;
	d->max = LC_FRAME_MAX;
	d->state = (flags & LC_FRAME_EXPECT_PROLOGUE) ? ST_PROLOGUE : ST_HEADER;
	*out = d;
	return 0;
}

void lc_frame_decoder_free(lc_frame_decoder *dec)
{
	if (dec == NULL)
		return;
	lc_free(&dec->mem, dec->buf);
	lc_free(&dec->mem, dec);
}

int lc_frame_decoder_set_max(lc_frame_decoder *dec, size_t max)
{
	if (dec == NULL || max < 1 || max > LC_FRAME_MAX)
		return LC_ERR_INVALID_ARG;
	dec->max = max;
	return 0;
}

int lc_frame_decoder_peer_version(const lc_frame_decoder *dec)
{
	return dec ? dec->peer_version : 0;
}

int lc_frame_decoder_finish(const lc_frame_decoder *dec)
{
	if (dec == NULL)
		return LC_ERR_INVALID_ARG;
	if (dec->state == ST_DEAD)
		return dec->error;
	if (dec->state == ST_BODY || dec->head_have > 0)
		return LC_ERR_TRUNCATED;
	if (dec->state == ST_PROLOGUE)
		return LC_ERR_TRUNCATED;
	return 0;
}

static int fail(lc_frame_decoder *d, int error)
{
	d->state = ST_DEAD;
	d->error = error;
	lc_free(&d->mem, d->buf);
	d->buf = NULL;
	d->buf_cap = 0;
	return error;
}

/* Copy up to need - have bytes into dst; returns the count taken. */
static size_t take(uint8_t *dst, size_t *have, size_t need,
		   const uint8_t *in, size_t len)
{
	size_t n = need - *have;

	if (n > len)
		n = len;
	memcpy(dst + *have, in, n);
	*have += n;
	return n;
}

static int check_prologue(lc_frame_decoder *d)
{
	if (memcmp(d->head, LC_FRAME_MAGIC, LC_FRAME_MAGIC_LEN) != 0)
		return fail(d, LC_ERR_BAD_PROLOGUE);
	d->peer_version = d->head[LC_FRAME_MAGIC_LEN];
	if (d->peer_version != LC_PROTOCOL_VERSION)
		return fail(d, LC_ERR_VERSION);
	d->head_have = 0;
	d->state = ST_HEADER;
	return 0;
}

/* A length prefix is complete: check it before buffering anything. */
static int start_body(lc_frame_decoder *d)
{
	size_t n = ((size_t)d->head[0] << 8) | d->head[1];

	d->head_have = 0;
	if (n == 0)
		return fail(d, LC_ERR_MALFORMED);
	if (n > d->max)
		return fail(d, LC_ERR_FRAME_TOO_LARGE);
	d->body_len = n;
	d->body_have = 0;
	d->state = ST_BODY;
	return 0;
}

static int reserve(lc_frame_decoder *d, size_t n)
{
	uint8_t *p;

	if (d->buf_cap >= n)
		return 0;
	p = lc_realloc(&d->mem, d->buf, n);
	if (p == NULL)
		return fail(d, LC_ERR_NOMEM);
	d->buf = p;
	d->buf_cap = n;
	return 0;
}

int lc_frame_decode(lc_frame_decoder *d, const uint8_t *in, size_t len,
		    size_t *consumed, const uint8_t **frame, size_t *frame_len)
{
	size_t used = 0;
	int rv;

	if (d == NULL || consumed == NULL || frame == NULL ||
	    frame_len == NULL || (in == NULL && len > 0))
		return LC_ERR_INVALID_ARG;
	*consumed = 0;
	*frame = NULL;
	*frame_len = 0;
	if (d->state == ST_DEAD)
		return d->error;
	if (d->release_buf) {
		d->release_buf = 0;
		if (d->buf_cap > KEEP_BUFFER) {
			lc_free(&d->mem, d->buf);
			d->buf = NULL;
			d->buf_cap = 0;
		}
	}

	while (used < len) {
		switch (d->state) {
		case ST_PROLOGUE:
			used += take(d->head, &d->head_have,
				     LC_FRAME_PROLOGUE_LEN, in + used,
				     len - used);
			if (d->head_have == LC_FRAME_PROLOGUE_LEN &&
			    (rv = check_prologue(d)) < 0)
				return rv;
			break;
		case ST_HEADER:
			used += take(d->head, &d->head_have,
				     LC_FRAME_HEADER_LEN, in + used,
				     len - used);
			if (d->head_have == LC_FRAME_HEADER_LEN &&
			    (rv = start_body(d)) < 0)
				return rv;
			break;
		case ST_BODY:
			if (d->body_have == 0 && len - used >= d->body_len) {
				/* The whole payload is in the input: no copy. */
				*frame = in + used;
				*frame_len = d->body_len;
				*consumed = used + d->body_len;
				d->state = ST_HEADER;
				return 1;
			}
			if ((rv = reserve(d, d->body_len)) < 0)
				return rv;
			used += take(d->buf, &d->body_have, d->body_len,
				     in + used, len - used);
			if (d->body_have == d->body_len) {
				*frame = d->buf;
				*frame_len = d->body_len;
				*consumed = used;
				d->state = ST_HEADER;
				d->release_buf = 1;
				return 1;
			}
			break;
		case ST_DEAD:
			return d->error;
		}
	}
	*consumed = used;
	return 0;
}

void lc_frame_prologue(uint8_t out[LC_FRAME_PROLOGUE_LEN])
{
	memcpy(out, LC_FRAME_MAGIC, LC_FRAME_MAGIC_LEN);
	out[LC_FRAME_MAGIC_LEN] = LC_PROTOCOL_VERSION;
}

int lc_frame_header(uint8_t out[LC_FRAME_HEADER_LEN], size_t payload_len)
{
	if (out == NULL || payload_len == 0)
		return LC_ERR_INVALID_ARG;
	if (payload_len > LC_FRAME_MAX)
		return LC_ERR_FRAME_TOO_LARGE;
	out[0] = (uint8_t)(payload_len >> 8);
	out[1] = (uint8_t)payload_len;
	return 0;
}

int lc_frame_encode(uint8_t *out, size_t out_len, const uint8_t *payload,
		    size_t len)
{
	int rv;

	if (out == NULL || payload == NULL || len == 0)
		return LC_ERR_INVALID_ARG;
	if (len > LC_FRAME_MAX)
		return LC_ERR_FRAME_TOO_LARGE;
	if (out_len < len + LC_FRAME_HEADER_LEN)
		return LC_ERR_BUFFER_TOO_SMALL;
	/* Move first: payload may overlap out (framing in place). */
	memmove(out + LC_FRAME_HEADER_LEN, payload, len);
	if ((rv = lc_frame_header(out, len)) < 0)
		return rv;
	return (int)(len + LC_FRAME_HEADER_LEN);
}
