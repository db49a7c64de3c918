/* WebSocket transport for the drivers (chatd, the client's libevent
 * driver): the RFC 6455 opening handshake and the glue between a libchat
 * byte stream and WebSocket binary messages. Sans-IO: bytes in, bytes
 * out, no sockets, no clocks. Never installed; never linked into libchat
 * itself (it needs wslay and libcrypto for SHA-1).
 *
 * A libchat stream is the 6-byte prologue followed by frames, each a
 * 2-byte big-endian length and a Noise message. On WebSocket the prologue
 * is the first binary message and every Noise message is one binary
 * message without the length (doc/protocol.md, "WebSocket transport").
 * lc_ws turns one into the other both ways, so the session and the server
 * core see the same stream whatever the transport. */
#ifndef LC_WS_H
#define LC_WS_H

#include <stddef.h>
#include <stdint.h>

/* The longest request or response head (request line + headers). */
#define LC_WS_HEAD_MAX 8192
/* Header lines in one head. */
#define LC_WS_HEADERS_MAX 64
/* The nonce in Sec-WebSocket-Key, and its base64 form. */
#define LC_WS_KEY_LEN 16
#define LC_WS_KEY_B64_LEN 24
/* Sec-WebSocket-Accept: base64 of a SHA-1 (20 bytes). */
#define LC_WS_ACCEPT_LEN 28
/* An HTTP error answer with its short body. */
#define LC_WS_RESPONSE_MAX 512

/* Close codes (RFC 6455 §7.4.1). */
#define LC_WS_CLOSE_NORMAL 1000
#define LC_WS_CLOSE_PROTOCOL 1002
#define LC_WS_CLOSE_UNSUPPORTED 1003
#define LC_WS_CLOSE_POLICY 1008
#define LC_WS_CLOSE_TOO_BIG 1009

/* ---- handshake.c: the opening handshake, no state */

/* Who may open a WebSocket: the request path and an Origin policy.
 * origins NULL, "" or "*": any Origin. Otherwise a list of exact
 * origins separated by commas or spaces ("https://a.example
 * https://b.example"): a request whose Origin is not listed is refused
 * with 403; a request without Origin (not from a browser) is accepted. */
typedef struct lc_ws_policy {
	const char *path;
	const char *origins;
} lc_ws_policy;

/* The outcome of a request head. */
typedef struct lc_ws_request {
	int status;         /* 101, or the HTTP error status */
	const char *reason; /* a short text for the answer's body and logs */
	char accept[LC_WS_ACCEPT_LEN + 1]; /* with 101 */
} lc_ws_request;

/* The length of a head ending with an empty line ("\r\n\r\n") at the
 * start of buf, or 0 when buf does not hold one yet. */
size_t lc_ws_head_len(const uint8_t *buf, size_t len);

/* Check a request head (with its final empty line) against the policy.
 * 0 with r->status 101 and r->accept set; or LC_ERR_MALFORMED (400 bad
 * syntax or header, 405 not GET, 426 not a WebSocket upgrade or version
 * not 13), LC_ERR_NOT_FOUND (404 other path), LC_ERR_FORBIDDEN (403
 * Origin refused), with r->status and r->reason set. */
int lc_ws_request_parse(const uint8_t *head, size_t len,
			const lc_ws_policy *pol, lc_ws_request *r)
	__attribute__((warn_unused_result));

/* The answer to r: 101 with Sec-WebSocket-Accept, or the error status
 * with Connection: close and r->reason as body. Its length, or 0 when
 * cap is too small (LC_WS_RESPONSE_MAX always is large enough). */
size_t lc_ws_response(const lc_ws_request *r, char *out, size_t cap);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2):
 * base64(SHA-1(key + GUID)). 0 or LC_ERR_INTERNAL. */
int lc_ws_accept(const char *key, size_t key_len,
		 char out[LC_WS_ACCEPT_LEN + 1]);

/* A client's request for host ("name:port") and path with the 16-byte
 * nonce; the Sec-WebSocket-Accept to expect goes to accept. Its length,
 * or 0 when it does not fit in cap or an argument is bad. */
size_t lc_ws_client_request(char *out, size_t cap, const char *host,
			    const char *path, const uint8_t key[LC_WS_KEY_LEN],
			    char accept[LC_WS_ACCEPT_LEN + 1]);

/* Check a server's answer head: "HTTP/1.1 101", Upgrade: websocket,
 * Connection: upgrade and the expected Sec-WebSocket-Accept. 0, or
 * LC_ERR_MALFORMED (*status: the HTTP status read, 0 when none). */
int lc_ws_response_check(const uint8_t *head, size_t len,
			 const char *accept, int *status)
	__attribute__((warn_unused_result));

/* ---- ws.c: one connection */

typedef struct lc_ws lc_ws;

/* The server side: reads a request head, answers it, then frames.
 * max_message: the largest binary message accepted (0 or above 65535:
 * 65535). pol is copied. 0, LC_ERR_INVALID_ARG or LC_ERR_NOMEM. */
int lc_ws_server_new(lc_ws **out, const lc_ws_policy *pol,
		     size_t max_message);

/* The client side: writes its request for host and path with the nonce
 * key (16 random bytes), checks the answer, masks its frames. */
int lc_ws_client_new(lc_ws **out, const char *host, const char *path,
		     const uint8_t key[LC_WS_KEY_LEN], size_t max_message);

void lc_ws_free(lc_ws *ws);

/* Bytes read from the socket. 0, or the connection fails: the first
 * error of the connection (LC_ERR_MALFORMED for a bad head, a text
 * message, a protocol error or a prologue that is not one message;
 * LC_ERR_FRAME_TOO_LARGE for a message over the limit; LC_ERR_NOT_FOUND
 * or LC_ERR_FORBIDDEN for a refused upgrade; LC_ERR_CLOSED when the peer
 * sent a close frame; LC_ERR_NOMEM). After an error the answer (HTTP
 * error or close frame) is still to be written from lc_ws_send(), and
 * nothing more is read. */
int lc_ws_recv(lc_ws *ws, const uint8_t *in, size_t len);

/* Stream bytes received (prologue and length-prefixed frames) for the
 * session or core. Their count; *p stays valid until the next call on
 * ws. Returned bytes count as taken. */
size_t lc_ws_read_stream(lc_ws *ws, const uint8_t **p);

/* Stream bytes from the session or core (any split), sent as one binary
 * message per prologue or frame once the connection is open. 0, or
 * LC_ERR_MALFORMED (a zero-length frame), LC_ERR_CLOSED (a close frame
 * was queued), LC_ERR_NOMEM. */
int lc_ws_write_stream(lc_ws *ws, const uint8_t *in, size_t len);

/* Bytes to write to the socket. Their count; *p stays valid until the
 * next call on ws. Returned bytes count as written. */
size_t lc_ws_send(lc_ws *ws, const uint8_t **p);

/* Queue a close frame with code (0: none), once. No more messages are
 * sent after it. */
void lc_ws_close(lc_ws *ws, uint16_t code);

/* 1 while more input is expected, else 0. */
int lc_ws_want_read(const lc_ws *ws);
/* 1 while output is pending (lc_ws_send() would return bytes). */
int lc_ws_want_write(const lc_ws *ws);
/* 1 once the opening handshake is complete. */
int lc_ws_is_open(const lc_ws *ws);
/* The first error (see lc_ws_recv()), 0 while none. */
int lc_ws_error(const lc_ws *ws);
/* The HTTP status of the handshake answer (sent or read), 0 before. */
int lc_ws_http_status(const lc_ws *ws);

#endif
