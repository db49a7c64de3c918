/* Internal: byte-exact record and key encoding (big-endian integers,
 * length-prefixed strings), bounds-checked both ways. Layouts are listed
 * in doc/server.md. */
#ifndef LC_SERVER_RECORDS_H
#define LC_SERVER_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct lc_wb {
	uint8_t *p;
	size_t n, cap;
	int err; /* set when a write did not fit */
} lc_wb;

typedef struct lc_rb {
	const uint8_t *p;
	size_t n, off;
	int err; /* set when a read ran past the end */
} lc_rb;

static inline void wb_init(lc_wb *w, uint8_t *p, size_t cap)
{
	w->p = p, w->n = 0, w->cap = cap, w->err = 0;
}

static inline void wb_raw(lc_wb *w, const void *src, size_t len)
{
	if (w->err || len > w->cap - w->n) {
		w->err = 1;
		return;
	}
	if (len)
		memcpy(w->p + w->n, src, len);
	w->n += len;
}

static inline void wb_uint(lc_wb *w, uint64_t v, int bytes)
{
	uint8_t b[8];

	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	wb_raw(w, b, (size_t)bytes);
}

#define wb_u8(w, v) wb_uint((w), (v), 1)
#define wb_u16(w, v) wb_uint((w), (v), 2)
#define wb_u32(w, v) wb_uint((w), (v), 4)
#define wb_u64(w, v) wb_uint((w), (v), 8)

/* A string or blob of at most 65535 bytes, with a 2-byte length. */
static inline void wb_blob(lc_wb *w, const void *src, size_t len)
{
	if (len > 0xffff) {
		w->err = 1;
		return;
	}
	wb_u16(w, len);
	wb_raw(w, src, len);
}

static inline void rb_init(lc_rb *r, const uint8_t *p, size_t n)
{
	r->p = p, r->n = n, r->off = 0, r->err = 0;
}

static inline const uint8_t *rb_raw(lc_rb *r, size_t len)
{
	const uint8_t *p;

	if (r->err || len > r->n - r->off) {
		r->err = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += len;
	return p;
}

static inline uint64_t rb_uint(lc_rb *r, int bytes)
{
	const uint8_t *p = rb_raw(r, (size_t)bytes);
	uint64_t v = 0;

	for (int i = 0; p && i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

#define rb_u8(r) ((uint8_t)rb_uint((r), 1))
#define rb_u16(r) ((uint16_t)rb_uint((r), 2))
#define rb_u32(r) ((uint32_t)rb_uint((r), 4))
#define rb_u64(r) rb_uint((r), 8)

static inline const uint8_t *rb_blob(lc_rb *r, size_t *len)
{
	*len = rb_u16(r);
	return rb_raw(r, *len);
}

#endif
