/* The tokeniser of texts and queries: splits UTF-8 into words, folds case
 * and accents of Latin scripts (Latin-1 Supplement and Latin Extended-A by
 * table, plus Greek and Cyrillic case), drops combining marks, and makes
 * each CJK ideograph or kana a word of its own. Invalid UTF-8 separates
 * words. */
#include <string.h>

#include "store_int.h"

enum { SEP, WORD, SOLO, MARK };

/* U+00C0..U+00FF and U+0100..U+017F to a base letter; digits stand for
 * digraphs, ' ' for a separator (multiplication and division signs). */
static const char latin1[] =
	"aaaaaa3ceeeeiiiidnooooo ouuuuy45"
	"aaaaaa3ceeeeiiiidnooooo ouuuuy4y";
static const char latin_ext_a[] =
	"aaaaaacccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh" "iiiiiiiiii"
	"11" "jj" "kkk" "llllllllll" "nnnnnnnnn" "oooooo" "22" "rrrrrr"
	"ssssssss" "tttttt" "uuuuuuuuuuuu" "ww" "yyy" "zzzzzz" "s";
static const char *const digraphs[] = { "ij", "oe", "ae", "th", "ss" };

/* Decode one code point; invalid sequences give U+FFFD over one byte. */
static size_t decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t b = s[0];
	size_t k;
	uint32_t c;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf)
		k = 2, c = b & 0x1f;
	else if (b >= 0xe0 && b <= 0xef)
		k = 3, c = b & 0x0f;
	else if (b >= 0xf0 && b <= 0xf4)
		k = 4, c = b & 0x07;
	else
		goto bad;
	if (n < k || !lc_utf8_valid(s, k))
		goto bad;
	for (size_t i = 1; i < k; i++)
		c = c << 6 | (s[i] & 0x3f);
	*cp = c;
	return k;
bad:
	*cp = 0xfffd;
	return 1;
}

static size_t encode(uint32_t c, uint8_t *o)
{
	if (c < 0x80) {
		o[0] = (uint8_t)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (uint8_t)(0xc0 | c >> 6);
		o[1] = (uint8_t)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (uint8_t)(0xe0 | c >> 12);
		o[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
		o[2] = (uint8_t)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | c >> 18);
	o[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
	o[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
	o[3] = (uint8_t)(0x80 | (c & 0x3f));
	return 4;
}

static int is_sep(uint32_t c)
{
	return c < 0xc0 || c == 0xd7 || c == 0xf7 ||
	       (c >= 0x2000 && c <= 0x2bff) || (c >= 0x2e00 && c <= 0x2e7f) ||
	       (c >= 0x3000 && c <= 0x303f) || (c >= 0xd800 && c <= 0xdfff) ||
	       (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xfe30 && c <= 0xfe4f) ||
	       c == 0xfeff || c == 0xfffd || (c >= 0xff00 && c <= 0xff65) ||
	       (c >= 0x1f000 && c <= 0x1faff) || (c >= 0xe0000 && c <= 0xe007f);
}

static int is_solo(uint32_t c)
{
	return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x31f0 && c <= 0x31ff) ||
	       (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
	       (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x3ffff);
}

static uint32_t fold_greek_cyrillic(uint32_t c)
{
	static const uint16_t tonos[][2] = {
		{ 0x386, 0x3b1 }, { 0x388, 0x3b5 }, { 0x389, 0x3b7 },
		{ 0x38a, 0x3b9 }, { 0x38c, 0x3bf }, { 0x38e, 0x3c5 },
		{ 0x38f, 0x3c9 }, { 0x3ac, 0x3b1 }, { 0x3ad, 0x3b5 },
		{ 0x3ae, 0x3b7 }, { 0x3af, 0x3b9 }, { 0x3cc, 0x3bf },
		{ 0x3cd, 0x3c5 }, { 0x3ce, 0x3c9 }, { 0x3c2, 0x3c3 },
		{ 0x401, 0x435 }, { 0x451, 0x435 },
	};

	for (size_t i = 0; i < sizeof tonos / sizeof tonos[0]; i++)
		if (tonos[i][0] == c)
			return tonos[i][1];
	if (c >= 0x391 && c <= 0x3a9)
		return c + 0x20;
	if (c >= 0x410 && c <= 0x42f)
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40f)
		return c + 0x50;
	return c;
}

/* Fold one code point into out (at most 4 bytes); returns its class. */
static int fold(uint32_t c, uint8_t *out, size_t *len)
{
	char t;

	if (c >= 0xff01 && c <= 0xff5e)
		c -= 0xfee0; /* fullwidth ASCII */
	if (c < 0x80) {
		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return SEP;
		out[0] = (uint8_t)c;
		*len = 1;
		return WORD;
	}
	if (c >= 0x300 && c <= 0x36f)
		return MARK;
	if (is_sep(c))
		return SEP;
	if (c < 0x180) {
		t = c < 0x100 ? latin1[c - 0xc0] : latin_ext_a[c - 0x100];
		if (t == ' ')
			return SEP;
		if (t >= '1' && t <= '5') {
			memcpy(out, digraphs[t - '1'], 2);
			*len = 2;
		} else {
			out[0] = (uint8_t)t;
			*len = 1;
		}
		return WORD;
	}
	c = fold_greek_cyrillic(c);
	*len = encode(c, out);
	return is_solo(c) ? SOLO : WORD;
}

static size_t count_cp(const uint8_t *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += (s[i] & 0xc0) != 0x80;
	return k;
}

size_t lc_utf8_prefix(const uint8_t *s, size_t n, size_t k)
{
	size_t i = 0;

	while (i < n && k > 0) {
		i++;
		while (i < n && (s[i] & 0xc0) == 0x80)
			i++;
		k--;
	}
	return i;
}

struct word {
	uint8_t buf[TERM_MAX];
	size_t len, start, end;
	int open, full;
};

static int emit(struct word *w, const uint8_t *unused, lc_token_fn fn,
		void *arg)
{
	(void)unused;
	if (!w->open)
		return 0;
	w->open = 0;
	if (w->len == 0)
		return 0;
	return fn(w->buf, w->len, count_cp(w->buf, w->len), w->start,
		  w->end - w->start, arg);
}

int lc_tokenize(const uint8_t *t, size_t n, lc_token_fn fn, void *arg)
{
	struct word w;
	size_t i = 0;
	int rv;

	w.open = 0;
	while (i < n) {
		uint32_t cp;
		uint8_t f[8];
		size_t fl = 0, k = decode(t + i, n - i, &cp);
		int cls = fold(cp, f, &fl);

		if (cls == SEP || cls == SOLO) {
			if ((rv = emit(&w, t, fn, arg)) != 0)
				return rv;
			if (cls == SOLO && (rv = fn(f, fl, 1, i, k, arg)) != 0)
				return rv;
		} else if (cls == WORD || (cls == MARK && w.open)) {
			if (!w.open) {
				w.open = 1;
				w.len = 0;
				w.full = 0;
				w.start = i;
			}
			/* Words longer than TERM_MAX are indexed by their
			 * first TERM_MAX bytes (whole code points). */
			if (cls == WORD && !w.full && w.len + fl <= TERM_MAX) {
				memcpy(w.buf + w.len, f, fl);
				w.len += fl;
			} else if (cls == WORD) {
				w.full = 1;
			}
			w.end = i + k;
		}
		i += k;
	}
	return emit(&w, t, fn, arg);
}
