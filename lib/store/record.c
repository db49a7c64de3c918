/* Encoding and validating decoding of store records (doc/store.md). Every
 * decoder checks versions, lengths, ranges and UTF-8, and consumes its
 * input exactly; anything else is LC_ERR_STORE_CORRUPT. */
#include <string.h>

#include "store_int.h"

static inline int get_u32(const uint8_t *p, size_t n, size_t *pos, uint32_t *v)
{
	uint64_t x;

	if (lc_varint_get(p, n, pos, &x) != 0 || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* A length-prefixed field of at most max bytes. */
static inline int get_bytes(const uint8_t *p, size_t n, size_t *pos, size_t max,
		     const uint8_t **out, size_t *len)
{
	uint64_t x;

	if (lc_varint_get(p, n, pos, &x) != 0 || x > max || x > n - *pos)
		return -1;
	*out = p + *pos;
	*len = (size_t)x;
	*pos += (size_t)x;
	return 0;
}

size_t lc_msgrec_size(const msgrec *m)
{
	return 1 + 4 * 10 + LC_STORE_ID_LEN + 3 * 10 + m->sender_len +
	       m->text_len + m->data_len;
}

static size_t put_bytes(uint8_t *p, const void *b, size_t n)
{
	size_t k = lc_varint_put(p, n);

	if (n)
		memcpy(p + k, b, n);
	return k + n;
}

size_t lc_msgrec_encode(const msgrec *m, uint8_t *out)
{
	size_t n = 0;

	out[n++] = REC_V1;
	n += lc_varint_put(out + n, m->flags);
	n += lc_varint_put(out + n, m->state);
	n += lc_varint_put(out + n, m->kind);
	n += lc_varint_put(out + n, m->sender_device);
	memcpy(out + n, m->id, LC_STORE_ID_LEN);
	n += LC_STORE_ID_LEN;
	n += put_bytes(out + n, m->sender, m->sender_len);
	n += put_bytes(out + n, m->text, m->text_len);
	n += put_bytes(out + n, m->data, m->data_len);
	return n;
}

int lc_msgrec_decode(const uint8_t *p, size_t n, msgrec *m)
{
	size_t pos = 1;
	const uint8_t *b;

	if (n < 1 || p[0] != REC_V1)
		return LC_ERR_STORE_CORRUPT;
	if (get_u32(p, n, &pos, &m->flags) || get_u32(p, n, &pos, &m->state) ||
	    get_u32(p, n, &pos, &m->kind) ||
	    get_u32(p, n, &pos, &m->sender_device))
		return LC_ERR_STORE_CORRUPT;
	if ((m->flags & ~LC_STORE_MSG_FLAGS_MASK) != 0 ||
	    n - pos < LC_STORE_ID_LEN)
		return LC_ERR_STORE_CORRUPT;
	m->id = p + pos;
	pos += LC_STORE_ID_LEN;
	if (get_bytes(p, n, &pos, LC_STORE_NAME_MAX, &b, &m->sender_len))
		return LC_ERR_STORE_CORRUPT;
	m->sender = (const char *)b;
	if (get_bytes(p, n, &pos, LC_STORE_TEXT_MAX, &b, &m->text_len))
		return LC_ERR_STORE_CORRUPT;
	m->text = (const char *)b;
	if (get_bytes(p, n, &pos, LC_STORE_DATA_MAX, &m->data, &m->data_len))
		return LC_ERR_STORE_CORRUPT;
	if (pos != n || !lc_store_name_utf8_ok((const uint8_t *)m->sender,
					       m->sender_len) ||
	    !lc_store_utf8_ok((const uint8_t *)m->text, m->text_len))
		return LC_ERR_STORE_CORRUPT;
	return 0;
}

size_t lc_chatrec_encode(const chatrec *c, uint8_t *out)
{
	size_t n = 0;

	out[n++] = REC_V1;
	n += lc_varint_put(out + n, c->activity);
	n += lc_varint_put(out + n, c->unread);
	n += lc_varint_put(out + n, c->read_upto);
	n += lc_varint_put(out + n, c->retention);
	n += lc_varint_put(out + n, c->count);
	n += put_bytes(out + n, c->name, c->name_len);
	return n;
}

int lc_chatrec_decode(const uint8_t *p, size_t n, chatrec *c)
{
	size_t pos = 1;
	const uint8_t *b;

	if (n < 1 || p[0] != REC_V1)
		return LC_ERR_STORE_CORRUPT;
	if (lc_varint_get(p, n, &pos, &c->activity) ||
	    lc_varint_get(p, n, &pos, &c->unread) ||
	    lc_varint_get(p, n, &pos, &c->read_upto) ||
	    lc_varint_get(p, n, &pos, &c->retention) ||
	    lc_varint_get(p, n, &pos, &c->count) ||
	    get_bytes(p, n, &pos, LC_STORE_NAME_MAX, &b, &c->name_len))
		return LC_ERR_STORE_CORRUPT;
	if (pos != n || c->name_len == 0 || c->unread > UINT32_MAX ||
	    c->retention > UINT32_MAX || c->read_upto > UINT32_MAX ||
	    !lc_store_name_utf8_ok(b, c->name_len))
		return LC_ERR_STORE_CORRUPT;
	memcpy(c->name, b, c->name_len);
	c->name[c->name_len] = 0;
	return 0;
}

size_t lc_rcptrec_encode(const lc_store_receipt *r, uint8_t *out)
{
	size_t n = 0;

	out[n++] = REC_V1;
	n += lc_varint_put(out + n, r->state);
	for (int i = 0; i < LC_STORE_RECEIPT_TIMES; i++)
		n += lc_varint_put(out + n, r->times[i]);
	return n;
}

int lc_rcptrec_decode(const uint8_t *p, size_t n, lc_store_receipt *r)
{
	size_t pos = 1;

	if (n < 1 || p[0] != REC_V1 || get_u32(p, n, &pos, &r->state))
		return LC_ERR_STORE_CORRUPT;
	for (int i = 0; i < LC_STORE_RECEIPT_TIMES; i++)
		if (lc_varint_get(p, n, &pos, &r->times[i]))
			return LC_ERR_STORE_CORRUPT;
	return pos == n ? 0 : LC_ERR_STORE_CORRUPT;
}

size_t lc_identrec_encode(const lc_store_identity *r, uint8_t *out)
{
	size_t n = 0;

	out[n++] = REC_V1;
	n += lc_varint_put(out + n, r->first_seen_ms);
	n += lc_varint_put(out + n, r->changed_ms);
	n += lc_varint_put(out + n, r->changes);
	n += put_bytes(out + n, r->key, r->key_len);
	n += put_bytes(out + n, r->prev_key, r->prev_key_len);
	return n;
}

int lc_identrec_decode(const uint8_t *p, size_t n, lc_store_identity *r)
{
	size_t pos = 1;
	const uint8_t *k, *pk;

	memset(r, 0, sizeof *r);
	if (n < 1 || p[0] != REC_V1 ||
	    lc_varint_get(p, n, &pos, &r->first_seen_ms) ||
	    lc_varint_get(p, n, &pos, &r->changed_ms) ||
	    get_u32(p, n, &pos, &r->changes) ||
	    get_bytes(p, n, &pos, LC_STORE_IDENTITY_KEY_MAX, &k, &r->key_len) ||
	    get_bytes(p, n, &pos, LC_STORE_IDENTITY_KEY_MAX, &pk,
		      &r->prev_key_len))
		return LC_ERR_STORE_CORRUPT;
	if (pos != n || r->key_len == 0)
		return LC_ERR_STORE_CORRUPT;
	memcpy(r->key, k, r->key_len);
	if (r->prev_key_len)
		memcpy(r->prev_key, pk, r->prev_key_len);
	return 0;
}
