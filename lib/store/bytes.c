/* Big-endian integers, varints and name checks for store records. */
#include <string.h>

#include "store_int.h"

void lc_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void lc_be64(uint8_t *p, uint64_t v)
{
	lc_be32(p, (uint32_t)(v >> 32));
	lc_be32(p + 4, (uint32_t)v);
}

uint32_t lc_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

uint64_t lc_get_be64(const uint8_t *p)
{
	return (uint64_t)lc_get_be32(p) << 32 | lc_get_be32(p + 4);
}

size_t lc_varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

int lc_varint_get(const uint8_t *p, size_t n, size_t *pos, uint64_t *v)
{
	uint64_t r = 0;
	size_t i = *pos;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (i >= n)
			return -1;
		b = p[i++];
		if (shift == 63 && b > 1)
			return -1;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pos = i;
			*v = r;
			return 0;
		}
	}
	return -1;
}

int lc_store_utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	/* Most text is ASCII: skip it eight bytes at a time. */
	while (n - i >= 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ull)
			break;
		i += 8;
	}
	return lc_utf8_valid(s + i, n - i);
}

int lc_store_name_ok(const char *s, size_t *len)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strnlen(s, LC_STORE_NAME_MAX + 1);
	if (n > LC_STORE_NAME_MAX || !lc_utf8_valid((const uint8_t *)s, n))
		return 0;
	*len = n;
	return 1;
}
