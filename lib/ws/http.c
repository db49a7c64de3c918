/* HTTP/1.1 request heads: split into lines and headers, the request line,
 * header lookups and Content-Length. Every byte is checked against the
 * grammar before use; nothing is allocated. */
#include <string.h>
#include <strings.h>

#include <libchat/error.h>

#include "http.h"

#define CONTENT_LENGTH_MAX (1ull << 62)

static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Field values: visible characters, spaces and tabs, obs-text. */
static int is_vchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* One header line [p, p+len): name ":" OWS value OWS. */
static int parse_header(const char *p, size_t len, lc_http_header *h)
{
	size_t i = 0;

	while (i < len && is_tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i == len || p[i] != ':')
		return -1;
	h->name = p;
	h->name_len = i++;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	h->value = p + i;
	h->value_len = len - i;
	for (size_t k = i; k < len; k++)
		if (!is_vchar((unsigned char)p[k]))
			return -1;
	while (h->value_len && (h->value[h->value_len - 1] == ' ' ||
				h->value[h->value_len - 1] == '\t'))
		h->value_len--;
	return 0;
}

int lc_http_head_split(const uint8_t *buf, size_t len, lc_http_head *hd)
{
	const char *s = (const char *)buf;
	size_t pos = 0;

	hd->n = 0;
	hd->line = NULL;
	hd->line_len = 0;
	if (buf == NULL || len > LC_WS_HEAD_MAX ||
	    lc_ws_head_len(buf, len) != len)
		return LC_ERR_MALFORMED;
	while (pos < len) {
		size_t e = pos;

		while (e + 1 < len && !(s[e] == '\r' && s[e + 1] == '\n'))
			e++;
		if (e + 1 >= len)
			return LC_ERR_MALFORMED;
		for (size_t k = pos; k < e; k++)
			if (s[k] == '\r' || s[k] == '\n' || s[k] == '\0')
				return LC_ERR_MALFORMED;
		if (e == pos) /* the empty line: the end */
			return e + 2 == len && hd->line ? 0 : LC_ERR_MALFORMED;
		if (hd->line == NULL) {
			hd->line = s + pos;
			hd->line_len = e - pos;
		} else {
			if (hd->n == LC_WS_HEADERS_MAX || s[pos] == ' ' ||
			    s[pos] == '\t' ||
			    parse_header(s + pos, e - pos, &hd->h[hd->n]) != 0)
				return LC_ERR_MALFORMED;
			hd->n++;
		}
		pos = e + 2;
	}
	return LC_ERR_MALFORMED;
}

int lc_http_request_parse(const uint8_t *buf, size_t len, lc_http_request *r)
{
	const char *l, *sp1, *sp2, *q;
	size_t n;

	memset(r, 0, sizeof *r);
	if (lc_http_head_split(buf, len, &r->head) != 0)
		return LC_ERR_MALFORMED;
	l = r->head.line;
	n = r->head.line_len;
	sp1 = memchr(l, ' ', n);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l)) : NULL;
	if (sp1 == NULL || sp2 == NULL || sp1 == l || sp2 == sp1 + 1 ||
	    memchr(sp2 + 1, ' ', n - (size_t)(sp2 + 1 - l)))
		return LC_ERR_MALFORMED;
	for (const char *c = l; c < sp1; c++)
		if (!is_tchar((unsigned char)*c))
			return LC_ERR_MALFORMED;
	if ((size_t)(l + n - (sp2 + 1)) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
	    sp2[8] < '0' || sp2[8] > '9')
		return LC_ERR_MALFORMED;
	r->method = l;
	r->method_len = (size_t)(sp1 - l);
	r->target = sp1 + 1;
	r->target_len = (size_t)(sp2 - r->target);
	if (r->target[0] != '/')
		return LC_ERR_MALFORMED;
	for (size_t i = 0; i < r->target_len; i++)
		if ((unsigned char)r->target[i] <= 0x20 ||
		    (unsigned char)r->target[i] >= 0x7f)
			return LC_ERR_MALFORMED;
	r->path = r->target;
	q = memchr(r->target, '?', r->target_len);
	r->path_len = q ? (size_t)(q - r->target) : r->target_len;
	r->minor = sp2[8] - '0';
	return 0;
}

static int name_is(const lc_http_header *h, const char *name)
{
	return h->name_len == strlen(name) &&
	       strncasecmp(h->name, name, h->name_len) == 0;
}

int lc_http_header_one(const lc_http_head *hd, const char *name,
		       const lc_http_header **out)
{
	int found = 0;

	for (size_t i = 0; i < hd->n; i++) {
		if (!name_is(&hd->h[i], name))
			continue;
		if (found)
			return -1;
		*out = &hd->h[i];
		found = 1;
	}
	return found;
}

int lc_http_header_has_token(const lc_http_head *hd, const char *name,
			     const char *token)
{
	size_t tl = strlen(token);

	for (size_t i = 0; i < hd->n; i++) {
		const char *v = hd->h[i].value, *end = v + hd->h[i].value_len;

		if (!name_is(&hd->h[i], name))
			continue;
		while (v < end) {
			const char *c = memchr(v, ',', (size_t)(end - v));
			const char *te = c ? c : end;

			while (v < te && (*v == ' ' || *v == '\t'))
				v++;
			while (te > v && (te[-1] == ' ' || te[-1] == '\t'))
				te--;
			if ((size_t)(te - v) == tl && strncasecmp(v, token, tl) == 0)
				return 1;
			v = c ? c + 1 : end;
		}
	}
	return 0;
}

/* Digits only, at most CONTENT_LENGTH_MAX. */
static int parse_length(const lc_http_header *h, uint64_t *out)
{
	uint64_t v = 0;

	if (h->value_len == 0)
		return -1;
	for (size_t i = 0; i < h->value_len; i++) {
		unsigned char c = (unsigned char)h->value[i];

		if (c < '0' || c > '9' || v > CONTENT_LENGTH_MAX / 10 ||
		    v * 10 > CONTENT_LENGTH_MAX - (uint64_t)(c - '0'))
			return -1;
		v = v * 10 + (uint64_t)(c - '0');
	}
	*out = v;
	return 0;
}

int lc_http_content_length(const lc_http_head *hd, uint64_t *len)
{
	int found = 0;
	uint64_t v = 0, w;

	for (size_t i = 0; i < hd->n; i++) {
		if (!name_is(&hd->h[i], "content-length"))
			continue;
		if (parse_length(&hd->h[i], &w) != 0 || (found && w != v))
			return -1;
		v = w;
		found = 1;
	}
	if (found)
		*len = v;
	return found;
}

int lc_http_is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}
