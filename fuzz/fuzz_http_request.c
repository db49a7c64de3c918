/* Fuzz the HTTP/1.1 request-head parser as chatd's HTTP listener meets
 * it: whatever the bytes, a parsed request points inside the head, its
 * path is a prefix of its target starting with '/', every header lies in
 * the head, and Content-Length, when found, is digits within 2^62 that
 * print back to the header's value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libchat/error.h>

#include "fuzz.h"
#include "http.h"

static int inside(const uint8_t *buf, size_t len, const char *p, size_t n)
{
	const char *b = (const char *)buf;

	return p >= b && n <= len && (size_t)(p - b) <= len - n;
}

static void check(const uint8_t *data, size_t size)
{
	lc_http_request r;
	const lc_http_header *h = NULL;
	uint64_t cl = 0;
	char digits[32];
	int rc = lc_http_request_parse(data, size, &r), n;

	if (rc != 0) {
		if (rc != LC_ERR_MALFORMED)
			abort();
		return;
	}
	if (size > LC_WS_HEAD_MAX || lc_ws_head_len(data, size) != size ||
	    !inside(data, size, r.head.line, r.head.line_len) ||
	    !inside(data, size, r.method, r.method_len) || r.method_len == 0 ||
	    !inside(data, size, r.target, r.target_len) ||
	    r.target[0] != '/' || r.path != r.target ||
	    r.path_len > r.target_len || r.path_len == 0 ||
	    memchr(r.path, '?', r.path_len) || r.minor < 0 || r.minor > 9 ||
	    r.head.n > LC_WS_HEADERS_MAX)
		abort();
	for (size_t i = 0; i < r.head.n; i++)
		if (!inside(data, size, r.head.h[i].name, r.head.h[i].name_len) ||
		    !inside(data, size, r.head.h[i].value,
			    r.head.h[i].value_len) || r.head.h[i].name_len == 0)
			abort();
	n = lc_http_content_length(&r.head, &cl);
	if (n == 1) {
		if (cl > (1ull << 62) ||
		    lc_http_header_one(&r.head, "content-length", &h) == 0)
			abort();
		snprintf(digits, sizeof digits, "%llu", (unsigned long long)cl);
		if (lc_http_header_one(&r.head, "content-length", &h) == 1 &&
		    (h->value_len < strlen(digits) ||
		     memcmp(h->value + h->value_len - strlen(digits), digits,
			    strlen(digits)) != 0))
			abort();
	} else if (n != 0 && n != -1) {
		abort();
	}
	(void)lc_http_header_has_token(&r.head, "connection", "close");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t hl = lc_ws_head_len(data, size);

	check(data, size);
	if (hl && hl != size)
		check(data, hl);
	return 0;
}
