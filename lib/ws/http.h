/* A strict, bounded parser of HTTP/1.1 request heads (RFC 9112 §2-5),
 * shared by the WebSocket opening handshake (handshake.c) and chatd's
 * HTTP listener. Sans-IO: the caller finds the end of the head with
 * lc_ws_head_len() and hands over the whole head; the parsed head points
 * into that buffer. No folding, CRLF line ends only, no NUL, at most
 * LC_WS_HEADERS_MAX header lines in LC_WS_HEAD_MAX bytes. Never
 * installed. */
#ifndef LC_HTTP_H
#define LC_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "ws.h"

/* One header line, pointers into the head (not NUL-terminated); the
 * value without its surrounding spaces and tabs. */
typedef struct lc_http_header {
	const char *name, *value;
	size_t name_len, value_len;
} lc_http_header;

/* A split head: its first line and its header lines. */
typedef struct lc_http_head {
	const char *line;
	size_t line_len;
	lc_http_header h[LC_WS_HEADERS_MAX];
	size_t n;
} lc_http_head;

/* A request head: "METHOD SP TARGET SP HTTP/1.x" and its headers. */
typedef struct lc_http_request {
	lc_http_head head;
	const char *method, *target, *path;
	size_t method_len, target_len, path_len; /* path: target before '?' */
	int minor;                               /* the x of HTTP/1.x */
} lc_http_request;

/* Split a head of exactly len bytes (ending with its empty line) into
 * lines. 0, or LC_ERR_MALFORMED (over LC_WS_HEAD_MAX, a bare CR or LF, a
 * NUL, folding, a bad header line, too many headers). */
int lc_http_head_split(const uint8_t *buf, size_t len, lc_http_head *hd)
	__attribute__((warn_unused_result));

/* Split a request head and check its request line: a token method, one
 * space, a target starting with '/' of visible characters, one space,
 * HTTP/1.0 to HTTP/1.9. 0, or LC_ERR_MALFORMED. */
int lc_http_request_parse(const uint8_t *buf, size_t len, lc_http_request *r)
	__attribute__((warn_unused_result));

/* The only header called name (case-insensitive): 1 found (*out set),
 * 0 absent, -1 repeated. */
int lc_http_header_one(const lc_http_head *hd, const char *name,
		       const lc_http_header **out);

/* 1 when a comma-separated list in any header called name holds token
 * (case-insensitive), else 0. */
int lc_http_header_has_token(const lc_http_head *hd, const char *name,
			     const char *token);

/* The request's Content-Length: 1 with *len set, 0 when absent, -1 when
 * malformed (not only digits, over 2^62, or repeated with another
 * value). */
int lc_http_content_length(const lc_http_head *hd, uint64_t *len);

/* 1 when s[0..n) equals the NUL-terminated lit exactly. */
int lc_http_is(const char *s, size_t n, const char *lit);

#endif
