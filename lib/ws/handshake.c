/* The RFC 6455 opening handshake: a bounded, strict parser of request
 * and answer heads, and the Sec-WebSocket-Accept computation. SHA-1 is
 * libcrypto's: it only proves the server read this request, it protects
 * nothing (the Noise channel inside does). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <sodium.h>

#include <libchat/error.h>

#include "http.h"
#include "ws.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define SHA1_LEN 20

typedef lc_http_header hdr;
typedef lc_http_head head;

size_t lc_ws_head_len(const uint8_t *buf, size_t len)
{
	for (size_t i = 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' &&
		    buf[i - 3] == '\r')
			return i + 1;
	return 0;
}

static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int fail(lc_ws_request *r, int status, const char *reason, int rc)
{
	r->status = status;
	r->reason = reason;
	r->accept[0] = '\0';
	return rc;
}

/* "GET SP target SP HTTP/1.1": the method, then the path. */
static int check_request_line(const head *hd, const char *path,
			      lc_ws_request *r)
{
	const char *l = hd->line, *sp1, *sp2, *t;
	size_t n = hd->line_len, tl, pl = strlen(path);

	sp1 = memchr(l, ' ', n);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l)) : NULL;
	if (sp1 == NULL || sp2 == NULL || sp1 == l || sp2 == sp1 + 1 ||
	    memchr(sp2 + 1, ' ', n - (size_t)(sp2 + 1 - l)))
		return fail(r, 400, "bad request line", LC_ERR_MALFORMED);
	for (const char *c = l; c < sp1; c++)
		if (!is_tchar((unsigned char)*c))
			return fail(r, 400, "bad method", LC_ERR_MALFORMED);
	if ((size_t)(l + n - (sp2 + 1)) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) ||
	    sp2[8] < '1' || sp2[8] > '9')
		return fail(r, 400, "HTTP/1.1 required", LC_ERR_MALFORMED);
	if (sp1 - l != 3 || memcmp(l, "GET", 3) != 0)
		return fail(r, 405, "only GET upgrades", LC_ERR_MALFORMED);
	t = sp1 + 1;
	tl = (size_t)(sp2 - t);
	{
		const char *q = memchr(t, '?', tl);

		if (q)
			tl = (size_t)(q - t);
	}
	if (tl != pl || memcmp(t, path, pl) != 0)
		return fail(r, 404, "no WebSocket at this path", LC_ERR_NOT_FOUND);
	return 0;
}

static int origin_allowed(const char *list, const hdr *o)
{
	const char *p = list;

	if (list == NULL || *list == '\0' || strcmp(list, "*") == 0 || o == NULL)
		return 1;
	while (*p) {
		size_t n;

		while (*p == ',' || *p == ' ')
			p++;
		n = strcspn(p, ", ");
		if (n && n == o->value_len && memcmp(p, o->value, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

static int check_key(const hdr *k, lc_ws_request *r)
{
	uint8_t raw[LC_WS_KEY_LEN + 2];
	size_t n = 0;

	if (k->value_len != LC_WS_KEY_B64_LEN ||
	    sodium_base642bin(raw, sizeof raw, k->value, k->value_len, NULL,
			      &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != LC_WS_KEY_LEN)
		return fail(r, 400, "bad Sec-WebSocket-Key", LC_ERR_MALFORMED);
	if (lc_ws_accept(k->value, k->value_len, r->accept) != 0)
		return fail(r, 500, "internal error", LC_ERR_INTERNAL);
	return 0;
}

int lc_ws_request_parse(const uint8_t *buf, size_t len,
			const lc_ws_policy *pol, lc_ws_request *r)
{
	head hd;
	const hdr *host = NULL, *key = NULL, *ver = NULL, *origin = NULL;
	int rc;

	if (buf == NULL || pol == NULL || pol->path == NULL || r == NULL)
		return r ? fail(r, 500, "internal error", LC_ERR_INVALID_ARG)
			 : LC_ERR_INVALID_ARG;
	if (len > LC_WS_HEAD_MAX || lc_http_head_split(buf, len, &hd) != 0)
		return fail(r, 400, "malformed request head", LC_ERR_MALFORMED);
	if ((rc = check_request_line(&hd, pol->path, r)) != 0)
		return rc;
	if (lc_http_header_one(&hd, "host", &host) != 1 || host->value_len == 0)
		return fail(r, 400, "one Host header required", LC_ERR_MALFORMED);
	if (!lc_http_header_has_token(&hd, "upgrade", "websocket"))
		return fail(r, 426, "WebSocket upgrade required",
			    LC_ERR_MALFORMED);
	if (!lc_http_header_has_token(&hd, "connection", "upgrade"))
		return fail(r, 400, "Connection: Upgrade required",
			    LC_ERR_MALFORMED);
	if (lc_http_header_one(&hd, "sec-websocket-version", &ver) != 1)
		return fail(r, 400, "one Sec-WebSocket-Version required",
			    LC_ERR_MALFORMED);
	if (ver->value_len != 2 || memcmp(ver->value, "13", 2) != 0)
		return fail(r, 426, "Sec-WebSocket-Version 13 required",
			    LC_ERR_MALFORMED);
	if (lc_http_header_one(&hd, "sec-websocket-key", &key) != 1)
		return fail(r, 400, "one Sec-WebSocket-Key required",
			    LC_ERR_MALFORMED);
	if (lc_http_header_one(&hd, "origin", &origin) < 0)
		return fail(r, 400, "repeated Origin", LC_ERR_MALFORMED);
	if (!origin_allowed(pol->origins, origin))
		return fail(r, 403, "Origin not allowed", LC_ERR_FORBIDDEN);
	if ((rc = check_key(key, r)) != 0)
		return rc;
	r->status = 101;
	r->reason = "Switching Protocols";
	return 0;
}

static const char *status_text(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 426: return "Upgrade Required";
	default: return "Internal Server Error";
	}
}

size_t lc_ws_response(const lc_ws_request *r, char *out, size_t cap)
{
	int n;

	if (r->status == 101)
		n = snprintf(out, cap, "HTTP/1.1 101 Switching Protocols\r\n"
			     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			     "Sec-WebSocket-Accept: %s\r\n\r\n", r->accept);
	else
		n = snprintf(out, cap, "HTTP/1.1 %d %s\r\n%s%s"
			     "Content-Type: text/plain\r\n"
			     "Content-Length: %zu\r\nConnection: close\r\n\r\n"
			     "%s\n", r->status, status_text(r->status),
			     r->status == 426 ? "Upgrade: websocket\r\n"
						"Sec-WebSocket-Version: 13\r\n" : "",
			     r->status == 405 ? "Allow: GET\r\n" : "",
			     strlen(r->reason) + 1, r->reason);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

int lc_ws_accept(const char *key, size_t key_len,
		 char out[LC_WS_ACCEPT_LEN + 1])
{
	char in[128];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t n = sizeof WS_GUID - 1;

	if (key_len > sizeof in - n)
		return LC_ERR_INTERNAL;
	memcpy(in, key, key_len);
	memcpy(in + key_len, WS_GUID, n);
	if (EVP_Digest(in, key_len + n, md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != SHA1_LEN)
		return LC_ERR_INTERNAL;
	sodium_bin2base64(out, LC_WS_ACCEPT_LEN + 1, md, SHA1_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

size_t lc_ws_client_request(char *out, size_t cap, const char *host,
			    const char *path, const uint8_t key[LC_WS_KEY_LEN],
			    char accept[LC_WS_ACCEPT_LEN + 1])
{
	char k[LC_WS_KEY_B64_LEN + 1];
	int n;

	if (host == NULL || path == NULL || path[0] != '/' ||
	    strpbrk(host, " \r\n") || strpbrk(path, " \r\n"))
		return 0;
	sodium_bin2base64(k, sizeof k, key, LC_WS_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	if (lc_ws_accept(k, LC_WS_KEY_B64_LEN, accept) != 0)
		return 0;
	n = snprintf(out, cap, "GET %s HTTP/1.1\r\nHost: %s\r\n"
		     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
		     "\r\n", path, host, k);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

int lc_ws_response_check(const uint8_t *buf, size_t len, const char *accept,
			 int *status)
{
	head hd;
	const hdr *acc = NULL;
	int st = 0;

	*status = 0;
	if (len > LC_WS_HEAD_MAX || lc_http_head_split(buf, len, &hd) != 0 ||
	    hd.line_len < 12 || memcmp(hd.line, "HTTP/1.", 7) != 0 ||
	    hd.line[8] != ' ')
		return LC_ERR_MALFORMED;
	for (int i = 9; i < 12; i++) {
		if (hd.line[i] < '0' || hd.line[i] > '9')
			return LC_ERR_MALFORMED;
		st = st * 10 + (hd.line[i] - '0');
	}
	*status = st;
	if (st != 101 || (hd.line_len > 12 && hd.line[12] != ' ') ||
	    !lc_http_header_has_token(&hd, "upgrade", "websocket") ||
	    !lc_http_header_has_token(&hd, "connection", "upgrade") ||
	    lc_http_header_one(&hd, "sec-websocket-accept", &acc) != 1 ||
	    acc->value_len != LC_WS_ACCEPT_LEN ||
	    memcmp(acc->value, accept, LC_WS_ACCEPT_LEN) != 0)
		return LC_ERR_MALFORMED;
	return 0;
}
