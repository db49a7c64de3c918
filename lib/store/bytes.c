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

int lc_varint_get_slow(const uint8_t *p, size_t n, size_t *pos,
		       uint64_t *v)
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

/* One multi-byte sequence at s[0] (s[0] >= 0x80): its length, or 0 when
 * it is not valid UTF-8. The second byte's range rules out overlongs,
 * surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t b = s[0], lo = 0x80, hi = 0xbf;
	size_t k;

	if (b >= 0xc2 && b <= 0xdf)
		k = 2;
	else if (b >= 0xe0 && b <= 0xef)
		k = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	if (b == 0xe0)
		lo = 0xa0;
	else if (b == 0xed)
		hi = 0x9f;
	else if (b == 0xf0)
		lo = 0x90;
	else if (b == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t j = 2; j < k; j++)
		if (s[j] < 0x80 || s[j] > 0xbf)
			return 0;
	return k;
}

#define HIGH_BITS 0x8080808080808080ull
#define LOW_BITS 0x0101010101010101ull

/* How many of the eight bytes at s are ASCII (and, with nul_ok 0, not
 * NUL) before the first that is not: 8 when all are. The lowest flagged
 * byte is exact (a false NUL flag needs a borrow from a real one below). */
static inline size_t ascii_prefix(const uint8_t *s, int nul_ok)
{
	uint64_t w, bad;

	memcpy(&w, s, 8);
	bad = w & HIGH_BITS;
	if (!nul_ok)
		bad |= (w - LOW_BITS) & ~w & HIGH_BITS;
	if (bad == 0)
		return 8;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(bad) / 8;
#else
	{
		size_t i = 0;

		while (s[i] < 0x80 && (nul_ok || s[i] != 0))
			i++;
		return i;
	}
#endif
}

/* UTF-8 validation (as lc_utf8_valid) that takes ASCII eight bytes at a
 * time, also between multi-byte characters and in an overlapping last
 * word; with nul_ok 0, a NUL byte fails. */
static int utf8_check(const uint8_t *s, size_t n, int nul_ok)
{
	size_t i = 0, k;

	while (i < n) {
		if (n - i >= 8) {
			size_t a = ascii_prefix(s + i, nul_ok);

			i += a;
			if (a == 8)
				continue;
		} else if (n >= 8 && ascii_prefix(s + n - 8, nul_ok) == 8) {
			break;
		} else {
			while (i < n && s[i] < 0x80 && (nul_ok || s[i] != 0))
				i++;
			if (i == n)
				break;
		}
		/* Two-byte characters (most accented Latin) inline. */
		if (s[i] >= 0xc2 && s[i] <= 0xdf && n - i >= 2 &&
		    (s[i + 1] & 0xc0) == 0x80) {
			i += 2;
			continue;
		}
		if (s[i] == 0 || (k = utf8_seq(s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

int lc_store_utf8_ok(const uint8_t *s, size_t n)
{
	return utf8_check(s, n, 1);
}

int lc_store_name_utf8_ok(const uint8_t *s, size_t n)
{
	return utf8_check(s, n, 0);
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
