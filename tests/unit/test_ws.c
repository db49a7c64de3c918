/* Suite "ws": the WebSocket opening handshake and the glue between a
 * libchat stream and WebSocket binary messages (lib/ws). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libchat/error.h>
#include <libchat/frame.h>

#include "testutil.h"
#include "http.h"
#include "ws.h"

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

static const lc_ws_policy any = { "/v1/ws", NULL };

static int parse(const char *req, const lc_ws_policy *pol, lc_ws_request *r)
{
	return lc_ws_request_parse((const uint8_t *)req, strlen(req), pol, r);
}

/* ------------------------------------------------------------ handshake */

START_TEST(ws_accept_rfc_sample)
{
	char acc[LC_WS_ACCEPT_LEN + 1];

	/* RFC 6455 §1.3 */
	ck_assert_int_eq(lc_ws_accept(KEY, strlen(KEY), acc), 0);
	ck_assert_str_eq(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
END_TEST

START_TEST(ws_request_ok)
{
	lc_ws_request r;
	char out[LC_WS_RESPONSE_MAX];
	const char *req = "GET /v1/ws?x=1 HTTP/1.1\r\nHost: chat.example\r\n"
			  "upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
			  "Sec-WebSocket-Key: " KEY "\r\n"
			  "Sec-WebSocket-Version:13 \r\n\r\n";

	ck_assert_int_eq(parse(req, &any, &r), 0);
	ck_assert_int_eq(r.status, 101);
	ck_assert_str_eq(r.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_uint_gt(lc_ws_response(&r, out, sizeof out), 0);
	ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 101 "));
	ck_assert_ptr_nonnull(strstr(out, "Sec-WebSocket-Accept: "
					  "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
	ck_assert_uint_eq(lc_ws_head_len((const uint8_t *)out, strlen(out)),
			  strlen(out));
	ck_assert_uint_eq(lc_ws_response(&r, out, 20), 0);
}
END_TEST

#define H_HOST "Host: h\r\n"
#define H_UP "Upgrade: websocket\r\nConnection: Upgrade\r\n"
#define H_KEY "Sec-WebSocket-Key: " KEY "\r\n"
#define H_VER "Sec-WebSocket-Version: 13\r\n"
#define GOOD_TAIL H_HOST H_UP H_KEY H_VER "\r\n"

static const struct bad {
	const char *req;
	int status, rc;
} bad[] = {
	{ "POST /v1/ws HTTP/1.1\r\n" GOOD_TAIL, 405, LC_ERR_MALFORMED },
	{ "GET /v2/ws HTTP/1.1\r\n" GOOD_TAIL, 404, LC_ERR_NOT_FOUND },
	{ "GET /v1/wsx HTTP/1.1\r\n" GOOD_TAIL, 404, LC_ERR_NOT_FOUND },
	{ "GET /v1/ws HTTP/1.0\r\n" GOOD_TAIL, 400, LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1 x\r\n" GOOD_TAIL, 400, LC_ERR_MALFORMED },
	{ "GET  /v1/ws HTTP/1.1\r\n" GOOD_TAIL, 400, LC_ERR_MALFORMED },
	{ "G(T /v1/ws HTTP/1.1\r\n" GOOD_TAIL, 400, LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_UP H_KEY H_VER "\r\n", 400,
	  LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST H_HOST H_UP H_KEY H_VER "\r\n", 400,
	  LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST H_KEY H_VER "\r\n", 426,
	  LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST "Upgrade: h2c\r\nConnection: "
	  "Upgrade\r\n" H_KEY H_VER "\r\n", 426, LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST "Upgrade: websocket\r\n" H_KEY
	  H_VER "\r\n", 400, LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP H_KEY
	  "Sec-WebSocket-Version: 8\r\n\r\n", 426, LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP H_KEY "\r\n", 400,
	  LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP H_VER "\r\n", 400,
	  LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP H_KEY H_KEY H_VER "\r\n", 400,
	  LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP
	  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n" H_VER "\r\n", 400,
	  LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP
	  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZXh4eA==\r\n" H_VER "\r\n",
	  400, LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP
	  "Sec-WebSocket-Key: !GhlIHNhbXBsZSBub25jZQ==\r\n" H_VER "\r\n", 400,
	  LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST " folded\r\n" H_UP H_KEY H_VER
	  "\r\n", 400, LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST "NoColon\r\n" H_UP H_KEY H_VER
	  "\r\n", 400, LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST "Bad Name: x\r\n" H_UP H_KEY H_VER
	  "\r\n", 400, LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST "X: a\x01" "b\r\n" H_UP H_KEY H_VER
	  "\r\n", 400, LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\nHost: h\nX: y\r\n" H_UP H_KEY H_VER "\r\n",
	  400, LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" GOOD_TAIL "trailing", 400,
	  LC_ERR_MALFORMED },
	{ "\r\n" GOOD_TAIL, 400, LC_ERR_MALFORMED },
	{ "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP H_KEY H_VER
	  "Origin: a\r\nOrigin: b\r\n\r\n", 400, LC_ERR_MALFORMED },
};

START_TEST(ws_request_refused)
{
	const struct bad *b = &bad[_i];
	lc_ws_request r;
	char out[LC_WS_RESPONSE_MAX];
	char status[16];

	ck_assert_msg(parse(b->req, &any, &r) == b->rc, "case %d: rc", _i);
	ck_assert_msg(r.status == b->status, "case %d: status %d", _i,
		      r.status);
	ck_assert_ptr_nonnull(r.reason);
	ck_assert_uint_gt(lc_ws_response(&r, out, sizeof out), 0);
	snprintf(status, sizeof status, "HTTP/1.1 %d ", b->status);
	ck_assert_ptr_eq(strstr(out, status), out);
	ck_assert_ptr_nonnull(strstr(out, "Connection: close\r\n"));
	ck_assert_ptr_nonnull(strstr(out, r.reason));
}
END_TEST

START_TEST(ws_request_limits)
{
	lc_ws_request r;
	size_t cap = LC_WS_HEAD_MAX + 256, n;
	char *req = malloc(cap);

	ck_assert_ptr_nonnull(req);
	/* one header line too many */
	n = (size_t)sprintf(req, "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP H_KEY H_VER);
	for (int i = 5; i < LC_WS_HEADERS_MAX; i++)
		n += (size_t)sprintf(req + n, "X-%d: y\r\n", i);
	strcpy(req + n, "\r\n");
	ck_assert_int_eq(parse(req, &any, &r), 0);
	strcpy(req + n, "X-last: y\r\n\r\n");
	ck_assert_int_eq(parse(req, &any, &r), LC_ERR_MALFORMED);
	ck_assert_int_eq(r.status, 400);
	/* a head over LC_WS_HEAD_MAX */
	n = (size_t)sprintf(req, "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP H_KEY
			    H_VER "X: ");
	memset(req + n, 'a', LC_WS_HEAD_MAX - n);
	strcpy(req + LC_WS_HEAD_MAX, "\r\n\r\n");
	ck_assert_int_eq(parse(req, &any, &r), LC_ERR_MALFORMED);
	ck_assert_int_eq(r.status, 400);
	ck_assert_int_eq(lc_ws_request_parse((const uint8_t *)req, 4, NULL, &r),
			 LC_ERR_INVALID_ARG);
	free(req);
}
END_TEST

START_TEST(ws_request_origin_policy)
{
	const lc_ws_policy only = { "/v1/ws",
				    "https://a.example, https://b.example" };
	const lc_ws_policy star = { "/v1/ws", "*" };
	lc_ws_request r;
	const char *with_b = "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP H_KEY H_VER
			     "Origin: https://b.example\r\n\r\n";
	const char *with_c = "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP H_KEY H_VER
			     "Origin: https://c.example\r\n\r\n";
	const char *with_prefix = "GET /v1/ws HTTP/1.1\r\n" H_HOST H_UP H_KEY
				  H_VER "Origin: https://a.exampl\r\n\r\n";
	const char *without = "GET /v1/ws HTTP/1.1\r\n" GOOD_TAIL;

	ck_assert_int_eq(parse(with_b, &only, &r), 0);
	ck_assert_int_eq(parse(with_c, &only, &r), LC_ERR_FORBIDDEN);
	ck_assert_int_eq(r.status, 403);
	ck_assert_int_eq(parse(with_prefix, &only, &r), LC_ERR_FORBIDDEN);
	ck_assert_int_eq(parse(without, &only, &r), 0);
	ck_assert_int_eq(parse(with_c, &star, &r), 0);
	ck_assert_int_eq(parse(with_c, &any, &r), 0);
}
END_TEST

START_TEST(ws_client_request_and_answer)
{
	uint8_t key[LC_WS_KEY_LEN];
	char req[LC_WS_HEAD_MAX], acc[LC_WS_ACCEPT_LEN + 1], resp[512];
	lc_ws_request r;
	size_t n;
	int st;

	for (int i = 0; i < LC_WS_KEY_LEN; i++)
		key[i] = (uint8_t)(i * 7);
	n = lc_ws_client_request(req, sizeof req, "127.0.0.1:7422", "/v1/ws",
				 key, acc);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(lc_ws_request_parse((uint8_t *)req, n, &any, &r), 0);
	ck_assert_str_eq(r.accept, acc);
	n = lc_ws_response(&r, resp, sizeof resp);
	ck_assert_int_eq(lc_ws_response_check((uint8_t *)resp, n, acc, &st), 0);
	ck_assert_int_eq(st, 101);
	/* another key's answer, an error status, a broken head */
	acc[3] ^= 1;
	ck_assert_int_eq(lc_ws_response_check((uint8_t *)resp, n, acc, &st),
			 LC_ERR_MALFORMED);
	acc[3] ^= 1;
	r.status = 403;
	r.reason = "no";
	n = lc_ws_response(&r, resp, sizeof resp);
	ck_assert_int_eq(lc_ws_response_check((uint8_t *)resp,
					      lc_ws_head_len((uint8_t *)resp, n),
					      acc, &st), LC_ERR_MALFORMED);
	ck_assert_int_eq(st, 403);
	strcpy(resp, "HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: ");
	strcat(resp, acc);
	strcat(resp, "\r\n\r\n"); /* no Upgrade / Connection */
	ck_assert_int_eq(lc_ws_response_check((uint8_t *)resp, strlen(resp),
					      acc, &st), LC_ERR_MALFORMED);
	strcpy(resp, "HTTP/1.1 1x1\r\n\r\n");
	ck_assert_int_eq(lc_ws_response_check((uint8_t *)resp, strlen(resp),
					      acc, &st), LC_ERR_MALFORMED);
	ck_assert_uint_eq(lc_ws_client_request(req, sizeof req, "h", "no-slash",
					       key, acc), 0);
	ck_assert_uint_eq(lc_ws_client_request(req, sizeof req, "h\r\nX: y",
					       "/", key, acc), 0);
	ck_assert_uint_eq(lc_ws_client_request(req, 40, "h", "/", key, acc), 0);
}
END_TEST

/* ------------------------------------------------------------ glue */

/* A stream as a session writes it: prologue, then frames of the given
 * payload sizes filled with a pattern. */
static size_t make_stream(uint8_t *out, const size_t *sizes, int n)
{
	size_t o = LC_FRAME_PROLOGUE_LEN;

	lc_frame_prologue(out);
	for (int i = 0; i < n; i++) {
		out[o] = (uint8_t)(sizes[i] >> 8);
		out[o + 1] = (uint8_t)sizes[i];
		for (size_t k = 0; k < sizes[i]; k++)
			out[o + 2 + k] = (uint8_t)(k * 31 + (size_t)i);
		o += 2 + sizes[i];
	}
	return o;
}

/* Move one side's output into the other's input in random pieces. */
static int move(lc_ws *from, lc_ws *to, lc_test_rng *rng)
{
	const uint8_t *p;
	size_t n;
	int moved = 0;

	while ((n = lc_ws_send(from, &p)) > 0) {
		size_t o = 0;

		moved = 1;
		while (o < n) {
			size_t k = 1 + (size_t)lc_test_rng_below(rng, n - o);
			int rc = lc_ws_recv(to, p + o, k);

			if (rc != 0)
				return rc;
			o += k;
		}
	}
	return moved;
}

/* Everything the session would read, appended to buf. */
static size_t drain(lc_ws *ws, uint8_t *buf, size_t at)
{
	const uint8_t *p;
	size_t n;

	while ((n = lc_ws_read_stream(ws, &p)) > 0) {
		memcpy(buf + at, p, n);
		at += n;
	}
	return at;
}

static void pair(lc_ws **cl, lc_ws **sv)
{
	uint8_t key[LC_WS_KEY_LEN] = { 1, 2, 3 };

	ck_assert_int_eq(lc_ws_server_new(sv, &any, 0), 0);
	ck_assert_int_eq(lc_ws_client_new(cl, "h:1", "/v1/ws", key, 0), 0);
}

START_TEST(ws_stream_both_ways)
{
	static uint8_t a[200000], b[200000], got[200000];
	const size_t sizes[] = { 32, 1, 65535, 100, 48, 65535, 7 };
	lc_ws *cl, *sv;
	lc_test_rng rng;
	size_t na = make_stream(a, sizes, 7), nb = make_stream(b, sizes + 2, 3);
	size_t ga = 0, gb = 0;
	int rounds = 0;

	lc_test_rng_seed(&rng, 0x5eed + (uint64_t)_i);
	pair(&cl, &sv);
	ck_assert_int_eq(lc_ws_is_open(sv), 0);
	/* both write before the upgrade is done, in odd pieces */
	for (size_t o = 0; o < na;) {
		size_t k = 1 + (size_t)lc_test_rng_below(&rng, 9000);

		k = k > na - o ? na - o : k;
		ck_assert_int_eq(lc_ws_write_stream(cl, a + o, k), 0);
		o += k;
	}
	ck_assert_int_eq(lc_ws_write_stream(sv, b, nb), 0);
	while (rounds++ < 100) {
		int m1 = move(cl, sv, &rng), m2 = move(sv, cl, &rng);

		ck_assert_int_ge(m1, 0);
		ck_assert_int_ge(m2, 0);
		ga = drain(sv, got, ga);
		if (!m1 && !m2)
			break;
	}
	ck_assert(lc_ws_is_open(sv) && lc_ws_is_open(cl));
	ck_assert_int_eq(lc_ws_http_status(cl), 101);
	ck_assert_uint_eq(ga, na);
	ck_assert_mem_eq(got, a, na);
	gb = drain(cl, got, 0);
	ck_assert_uint_eq(gb, nb);
	ck_assert_mem_eq(got, b, nb);
	ck_assert(lc_ws_want_read(sv) && lc_ws_want_read(cl));
	ck_assert(!lc_ws_want_write(sv) && !lc_ws_want_write(cl));
	/* a normal close: the peer's close frame ends the other side */
	lc_ws_close(cl, LC_WS_CLOSE_NORMAL);
	ck_assert_int_eq(lc_ws_write_stream(cl, a, 6), LC_ERR_CLOSED);
	ck_assert_int_eq(move(cl, sv, &rng), LC_ERR_CLOSED);
	ck_assert_int_eq(lc_ws_error(sv), LC_ERR_CLOSED);
	ck_assert_int_eq(lc_ws_want_read(sv), 0);
	ck_assert_int_eq(lc_ws_want_write(sv), 1); /* its close reply */
	ck_assert_int_eq(move(sv, cl, &rng), LC_ERR_CLOSED);
	ck_assert_int_eq(lc_ws_want_write(sv), 0);
	lc_ws_free(cl);
	lc_ws_free(sv);
}
END_TEST

/* A client frame by hand: FIN + opcode, masked unless told. */
static size_t frame(uint8_t *out, int fin, int op, const uint8_t *p, size_t n,
		    int masked)
{
	const uint8_t mask[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t o = 0;

	out[o++] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (n < 126) {
		out[o++] = (uint8_t)((masked ? 0x80 : 0) | n);
	} else if (n < 65536) {
		out[o++] = (uint8_t)((masked ? 0x80 : 0) | 126);
		out[o++] = (uint8_t)(n >> 8);
		out[o++] = (uint8_t)n;
	} else {
		out[o++] = (uint8_t)((masked ? 0x80 : 0) | 127);
		for (int i = 7; i >= 0; i--)
			out[o++] = (uint8_t)((uint64_t)n >> (8 * i));
	}
	if (masked) {
		memcpy(out + o, mask, 4);
		o += 4;
	}
	for (size_t i = 0; i < n && p; i++)
		out[o + i] = masked ? (uint8_t)(p[i] ^ mask[i % 4]) : p[i];
	return o + (p ? n : 0);
}

/* A server past its upgrade that has read the client's prologue. */
static lc_ws *open_server(size_t max)
{
	const char *req = "GET /v1/ws HTTP/1.1\r\n" GOOD_TAIL;
	uint8_t buf[64], pro[LC_FRAME_PROLOGUE_LEN];
	const uint8_t *p;
	lc_ws *sv;

	ck_assert_int_eq(lc_ws_server_new(&sv, &any, max), 0);
	ck_assert_int_eq(lc_ws_recv(sv, (const uint8_t *)req, strlen(req)), 0);
	ck_assert(lc_ws_is_open(sv));
	lc_frame_prologue(pro);
	ck_assert_int_eq(lc_ws_recv(sv, buf, frame(buf, 1, 2, pro, 6, 1)), 0);
	ck_assert_uint_eq(lc_ws_read_stream(sv, &p), 6);
	ck_assert_mem_eq(p, pro, 6);
	ck_assert_uint_gt(lc_ws_send(sv, &p), 0); /* the 101 */
	return sv;
}

/* The close frame the server sent: its code, or -1. */
static int sent_close(lc_ws *sv)
{
	const uint8_t *p;
	size_t n = lc_ws_send(sv, &p);

	if (n < 4 || p[0] != 0x88 || (p[1] & 0x80))
		return -1;
	return p[2] << 8 | p[3];
}

START_TEST(ws_server_refuses_text)
{
	lc_ws *sv = open_server(0);
	uint8_t buf[64];

	ck_assert_int_eq(lc_ws_recv(sv, buf, frame(buf, 1, 1,
						   (const uint8_t *)"hi", 2, 1)),
			 LC_ERR_MALFORMED);
	ck_assert_int_eq(sent_close(sv), LC_WS_CLOSE_UNSUPPORTED);
	ck_assert_int_eq(lc_ws_want_read(sv), 0);
	ck_assert_int_eq(lc_ws_recv(sv, buf, 1), LC_ERR_MALFORMED);
	lc_ws_free(sv);
}
END_TEST

START_TEST(ws_server_refuses_oversize)
{
	lc_ws *sv = open_server(1000);
	uint8_t buf[64] = { 0 };
	const uint8_t *p;

	/* the header of a 70000-byte message and its first bytes: refused
	 * before the message is buffered */
	ck_assert_int_eq(lc_ws_recv(sv, buf, frame(buf, 1, 2, NULL, 70000, 1) + 8),
			 LC_ERR_FRAME_TOO_LARGE);
	ck_assert_int_eq(sent_close(sv), LC_WS_CLOSE_TOO_BIG);
	ck_assert_uint_eq(lc_ws_read_stream(sv, &p), 0);
	lc_ws_free(sv);
	/* a message over the limit in small fragments */
	sv = open_server(1000);
	{
		uint8_t part[600] = { 0 }, fb[700];

		ck_assert_int_eq(lc_ws_recv(sv, fb, frame(fb, 0, 2, part, 600, 1)),
				 0);
		ck_assert_int_ne(lc_ws_recv(sv, fb, frame(fb, 1, 0, part, 600, 1)),
				 0);
		ck_assert_int_eq(lc_ws_error(sv), LC_ERR_FRAME_TOO_LARGE);
		ck_assert_int_eq(sent_close(sv), LC_WS_CLOSE_TOO_BIG);
		ck_assert_uint_eq(lc_ws_read_stream(sv, &p), 0);
	}
	lc_ws_free(sv);
}
END_TEST

START_TEST(ws_server_refuses_unmasked)
{
	lc_ws *sv = open_server(0);
	uint8_t buf[64], msg[40] = { 0 };

	ck_assert_int_eq(lc_ws_recv(sv, buf, frame(buf, 1, 2, msg, 40, 0)),
			 LC_ERR_MALFORMED);
	ck_assert_int_eq(sent_close(sv), LC_WS_CLOSE_PROTOCOL);
	lc_ws_free(sv);
}
END_TEST

START_TEST(ws_server_bad_prologue_message)
{
	const char *req = "GET /v1/ws HTTP/1.1\r\n" GOOD_TAIL;
	uint8_t buf[64], seven[7] = { 'L', 'C', 'H', 'A', 'T', 1, 0 };
	lc_ws *sv;

	ck_assert_int_eq(lc_ws_server_new(&sv, &any, 0), 0);
	ck_assert_int_eq(lc_ws_recv(sv, (const uint8_t *)req, strlen(req)), 0);
	ck_assert_int_eq(lc_ws_recv(sv, buf, frame(buf, 1, 2, seven, 7, 1)),
			 LC_ERR_MALFORMED);
	{
		const uint8_t *p;
		size_t n = lc_ws_send(sv, &p);
		size_t hl = lc_ws_head_len(p, n);

		ck_assert_uint_gt(hl, 0); /* 101, then the close */
		ck_assert_uint_ge(n - hl, 4);
		ck_assert_int_eq(p[hl], 0x88);
		ck_assert_int_eq(p[hl + 2] << 8 | p[hl + 3], LC_WS_CLOSE_PROTOCOL);
	}
	lc_ws_free(sv);
}
END_TEST

START_TEST(ws_server_empty_message)
{
	lc_ws *sv = open_server(0);
	uint8_t buf[16];

	ck_assert_int_eq(lc_ws_recv(sv, buf, frame(buf, 1, 2, buf, 0, 1)),
			 LC_ERR_MALFORMED);
	ck_assert_int_eq(sent_close(sv), LC_WS_CLOSE_PROTOCOL);
	lc_ws_free(sv);
}
END_TEST

START_TEST(ws_server_garbage_upgrade)
{
	lc_ws *sv;
	const uint8_t *p;
	const char *junk = "\x16\x03\x01 not http at all\r\n\r\n";
	uint8_t pro[6];
	size_t n;

	ck_assert_int_eq(lc_ws_server_new(&sv, &any, 0), 0);
	lc_frame_prologue(pro);
	ck_assert_int_eq(lc_ws_write_stream(sv, pro, 6), 0);
	ck_assert_int_eq(lc_ws_recv(sv, (const uint8_t *)junk, strlen(junk)),
			 LC_ERR_MALFORMED);
	ck_assert_int_eq(lc_ws_http_status(sv), 400);
	n = lc_ws_send(sv, &p);
	ck_assert_uint_gt(n, 12);
	ck_assert_mem_eq(p, "HTTP/1.1 400", 12);
	{ /* the body and nothing else: none of the prologue */
		const char *cl = strstr((const char *)p, "Content-Length: ");

		ck_assert_ptr_nonnull(cl);
		ck_assert_uint_eq(lc_ws_head_len(p, n) +
					  strtoul(cl + 16, NULL, 10), n);
		ck_assert_int_eq(p[n - 1], '\n');
	}
	ck_assert_int_eq(lc_ws_send(sv, &p), 0);
	ck_assert(!lc_ws_want_read(sv) && !lc_ws_want_write(sv));
	lc_ws_free(sv);
	/* a head that never ends is cut at LC_WS_HEAD_MAX */
	ck_assert_int_eq(lc_ws_server_new(&sv, &any, 0), 0);
	{
		uint8_t line[1000];
		int rc = 0;

		memset(line, 'a', sizeof line);
		for (int i = 0; i < 9 && rc == 0; i++)
			rc = lc_ws_recv(sv, line, sizeof line);
		ck_assert_int_eq(rc, LC_ERR_MALFORMED);
		ck_assert_int_eq(lc_ws_http_status(sv), 400);
	}
	lc_ws_free(sv);
}
END_TEST

START_TEST(ws_server_control_frames)
{
	lc_ws *sv = open_server(0);
	uint8_t buf[64], msg[3] = { 9, 8, 7 };
	const uint8_t *p;
	size_t n, o;

	/* a ping is answered with a pong, a fragmented message with one
	 * frame of stream, a ping between its fragments too */
	o = frame(buf, 1, 9, (const uint8_t *)"p", 1, 1);
	o += frame(buf + o, 0, 2, msg, 1, 1);
	o += frame(buf + o, 1, 9, NULL, 0, 1);
	o += frame(buf + o, 1, 0, msg + 1, 2, 1);
	ck_assert_int_eq(lc_ws_recv(sv, buf, o), 0);
	ck_assert_uint_eq(lc_ws_read_stream(sv, &p), 5);
	ck_assert_mem_eq(p, "\x00\x03\x09\x08\x07", 5);
	n = lc_ws_send(sv, &p);
	ck_assert_uint_ge(n, 3);
	ck_assert_int_eq(p[0], 0x8a);
	ck_assert_int_eq(lc_ws_error(sv), 0);
	ck_assert(lc_ws_want_read(sv));
	lc_ws_free(sv);
}
END_TEST

START_TEST(ws_write_stream_checks)
{
	lc_ws *sv;
	const uint8_t zero[8] = { 'L', 'C', 'H', 'A', 'T', 1, 0, 0 };
	uint8_t key[LC_WS_KEY_LEN] = { 0 };

	ck_assert_int_eq(lc_ws_server_new(&sv, &any, 0), 0);
	ck_assert_int_eq(lc_ws_write_stream(sv, zero, sizeof zero),
			 LC_ERR_MALFORMED);
	ck_assert_int_eq(lc_ws_write_stream(NULL, zero, 1), LC_ERR_INVALID_ARG);
	lc_ws_free(sv);
	lc_ws_free(NULL);
	{
		const lc_ws_policy nopath = { "v1", NULL };

		ck_assert_int_eq(lc_ws_server_new(&sv, &nopath, 0),
				 LC_ERR_INVALID_ARG);
		ck_assert_int_eq(lc_ws_server_new(&sv, NULL, 0),
				 LC_ERR_INVALID_ARG);
	}
	ck_assert_int_eq(lc_ws_client_new(&sv, "h", "nopath", key, 0),
			 LC_ERR_INVALID_ARG);
	ck_assert_ptr_null(sv);
}
END_TEST

START_TEST(ws_client_refuses_bad_answer)
{
	lc_ws *cl;
	uint8_t key[LC_WS_KEY_LEN] = { 9 };
	const uint8_t *p;
	const char *no = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
	const char *wrong = "HTTP/1.1 101 Switching Protocols\r\n"
			    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
			    "\r\n\r\n";

	ck_assert_int_eq(lc_ws_client_new(&cl, "h:1", "/v1/ws", key, 0), 0);
	ck_assert_uint_gt(lc_ws_send(cl, &p), 0);
	ck_assert_int_eq(lc_ws_recv(cl, (const uint8_t *)no, strlen(no)),
			 LC_ERR_MALFORMED);
	ck_assert_int_eq(lc_ws_http_status(cl), 404);
	ck_assert_int_eq(lc_ws_want_read(cl), 0);
	lc_ws_free(cl);
	ck_assert_int_eq(lc_ws_client_new(&cl, "h:1", "/v1/ws", key, 0), 0);
	ck_assert_int_eq(lc_ws_recv(cl, (const uint8_t *)wrong, strlen(wrong)),
			 LC_ERR_MALFORMED);
	ck_assert_int_eq(lc_ws_is_open(cl), 0);
	lc_ws_free(cl);
}
END_TEST

/* A client's frames are masked (the server refuses them otherwise, as
 * ws_server_refuses_unmasked shows) and the server's are not. */
START_TEST(ws_masking_directions)
{
	lc_ws *cl, *sv;
	lc_test_rng rng;
	const uint8_t *p;
	size_t n, hl;
	uint8_t s[64];
	const size_t one[] = { 20 };

	lc_test_rng_seed(&rng, 7);
	pair(&cl, &sv);
	n = make_stream(s, one, 1);
	ck_assert_int_eq(lc_ws_write_stream(cl, s, n), 0);
	ck_assert_int_eq(lc_ws_write_stream(sv, s, n), 0);
	ck_assert_int_eq(move(cl, sv, &rng), 1); /* request, head only */
	n = lc_ws_send(sv, &p);
	hl = lc_ws_head_len(p, n);
	ck_assert_uint_gt(hl, 0);
	ck_assert_int_eq(p[hl] & 0x0f, 2);
	ck_assert_int_eq(p[hl + 1] & 0x80, 0); /* server: unmasked */
	ck_assert_int_eq(lc_ws_recv(cl, p, n), 0);
	n = lc_ws_send(cl, &p);
	ck_assert_uint_gt(n, 2);
	ck_assert_int_eq(p[1] & 0x80, 0x80); /* client: masked */
	ck_assert_int_eq(lc_ws_recv(sv, p, n), 0);
	ck_assert_uint_eq(lc_ws_read_stream(sv, &p), 28);
	ck_assert_uint_eq(lc_ws_read_stream(cl, &p), 28);
	lc_ws_free(cl);
	lc_ws_free(sv);
}
END_TEST

/* ---- http.c: the request heads chatd's HTTP listener reads */

static int hparse(const char *s, lc_http_request *r)
{
	return lc_http_request_parse((const uint8_t *)s, strlen(s), r);
}

START_TEST(http_request_parts)
{
	const char *s = "POST /v1/media/upload?x=1 HTTP/1.1\r\nHost: h\r\n"
			"Authorization: \tBearer abc \r\nContent-Length: 0042\r\n"
			"Connection: keep-alive, Close\r\n\r\n";
	lc_http_request r;
	const lc_http_header *h = NULL;
	uint64_t len = 0;

	ck_assert_int_eq(hparse(s, &r), 0);
	ck_assert(lc_http_is(r.method, r.method_len, "POST"));
	ck_assert(lc_http_is(r.target, r.target_len, "/v1/media/upload?x=1"));
	ck_assert(lc_http_is(r.path, r.path_len, "/v1/media/upload"));
	ck_assert_int_eq(r.minor, 1);
	ck_assert_uint_eq(r.head.n, 4);
	ck_assert_int_eq(lc_http_header_one(&r.head, "AUTHORIZATION", &h), 1);
	ck_assert(lc_http_is(h->value, h->value_len, "Bearer abc"));
	ck_assert_int_eq(lc_http_header_one(&r.head, "expect", &h), 0);
	ck_assert_int_eq(lc_http_content_length(&r.head, &len), 1);
	ck_assert_uint_eq(len, 42);
	ck_assert(lc_http_header_has_token(&r.head, "connection", "close"));
	ck_assert(!lc_http_header_has_token(&r.head, "connection", "upgrade"));
	ck_assert_int_eq(hparse("GET / HTTP/1.0\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.minor, 0);
	ck_assert_int_eq(lc_http_content_length(&r.head, &len), 0);
	ck_assert_uint_eq(len, 42); /* untouched when absent */
}
END_TEST

static const char *const bad_heads[] = {
	"GET /x HTTP/1.1\r\n",                 /* no empty line */
	"GET /x HTTP/1.1\r\n\r\nmore",         /* bytes after the head */
	"\r\n",                                /* no request line */
	"GET /x HTTP/1.1\n\r\n",               /* bare LF */
	"GET  /x HTTP/1.1\r\n\r\n",            /* two spaces */
	"GET /x  HTTP/1.1\r\n\r\n",
	"GET x HTTP/1.1\r\n\r\n",              /* not a path */
	"GET /x HTTP/2.0\r\n\r\n",
	"GET /x HTTP/1.1 \r\n\r\n",
	"G(T /x HTTP/1.1\r\n\r\n",             /* not a token */
	"GET /\x7f HTTP/1.1\r\n\r\n",
	"GET /x HTTP/1.1\r\nA: b\r\n c\r\n\r\n", /* folding */
	"GET /x HTTP/1.1\r\nA b\r\n\r\n",
	"GET /x HTTP/1.1\r\n: b\r\n\r\n",
	"GET /x HTTP/1.1\r\nA: b\x01\r\n\r\n",
};

START_TEST(http_request_refused)
{
	lc_http_request r;

	ck_assert_msg(hparse(bad_heads[_i], &r) == LC_ERR_MALFORMED, "case %d",
		      _i);
}
END_TEST

START_TEST(http_content_length)
{
	static const struct {
		const char *h;
		int rc;
		uint64_t v;
	} c[] = {
		{ "Content-Length: 0\r\n", 1, 0 },
		{ "Content-Length: 4611686018427387904\r\n", 1, 1ull << 62 },
		{ "Content-Length: 4611686018427387905\r\n", -1, 0 },
		{ "Content-Length: 99999999999999999999999\r\n", -1, 0 },
		{ "Content-Length: 5\r\ncontent-length: 5\r\n", 1, 5 },
		{ "Content-Length: 5\r\nContent-Length: 6\r\n", -1, 0 },
		{ "Content-Length: 5, 5\r\n", -1, 0 },
		{ "Content-Length: -1\r\n", -1, 0 },
		{ "Content-Length: +1\r\n", -1, 0 },
		{ "Content-Length: 0x10\r\n", -1, 0 },
		{ "Content-Length:\r\n", -1, 0 },
		{ "X-Content-Length: 5\r\n", 0, 0 },
	};
	char buf[256];
	lc_http_request r;

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		uint64_t v = 7;

		snprintf(buf, sizeof buf, "POST / HTTP/1.1\r\n%s\r\n", c[i].h);
		ck_assert_int_eq(hparse(buf, &r), 0);
		ck_assert_msg(lc_http_content_length(&r.head, &v) == c[i].rc,
			      "case %zu", i);
		ck_assert_uint_eq(v, c[i].rc == 1 ? c[i].v : 7);
	}
}
END_TEST

START_TEST(http_request_limits)
{
	size_t cap = LC_WS_HEAD_MAX + 256, n;
	char *req = malloc(cap);
	lc_http_request r;

	ck_assert_ptr_nonnull(req);
	n = (size_t)sprintf(req, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < LC_WS_HEADERS_MAX; i++)
		n += (size_t)sprintf(req + n, "X-%d: y\r\n", i);
	strcpy(req + n, "\r\n");
	ck_assert_int_eq(hparse(req, &r), 0);
	strcpy(req + n, "X-last: y\r\n\r\n");
	ck_assert_int_eq(hparse(req, &r), LC_ERR_MALFORMED);
	n = (size_t)sprintf(req, "GET / HTTP/1.1\r\nX: ");
	memset(req + n, 'a', LC_WS_HEAD_MAX - n - 4);
	strcpy(req + LC_WS_HEAD_MAX - 4, "\r\n\r\n");
	ck_assert_int_eq(hparse(req, &r), 0);
	memset(req + n, 'a', LC_WS_HEAD_MAX - n);
	strcpy(req + LC_WS_HEAD_MAX, "\r\n\r\n");
	ck_assert_int_eq(hparse(req, &r), LC_ERR_MALFORMED);
	ck_assert_int_eq(lc_http_request_parse(NULL, 0, &r), LC_ERR_MALFORMED);
	free(req);
}
END_TEST

static Suite *ws_suite(void)
{
	Suite *s = suite_create("ws");
	TCase *t = tcase_create("handshake");

	tcase_add_test(t, ws_accept_rfc_sample);
	tcase_add_test(t, ws_request_ok);
	tcase_add_loop_test(t, ws_request_refused, 0,
			    (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(t, ws_request_limits);
	tcase_add_test(t, ws_request_origin_policy);
	tcase_add_test(t, ws_client_request_and_answer);
	suite_add_tcase(s, t);
	t = tcase_create("glue");
	tcase_add_loop_test(t, ws_stream_both_ways, 0, 8);
	tcase_add_test(t, ws_server_refuses_text);
	tcase_add_test(t, ws_server_refuses_oversize);
	tcase_add_test(t, ws_server_refuses_unmasked);
	tcase_add_test(t, ws_server_bad_prologue_message);
	tcase_add_test(t, ws_server_empty_message);
	tcase_add_test(t, ws_server_garbage_upgrade);
	tcase_add_test(t, ws_server_control_frames);
	tcase_add_test(t, ws_write_stream_checks);
	tcase_add_test(t, ws_client_refuses_bad_answer);
	tcase_add_test(t, ws_masking_directions);
	tcase_add_test(t, http_request_parts);
	tcase_add_loop_test(t, http_request_refused, 0,
			    (int)(sizeof bad_heads / sizeof bad_heads[0]));
	tcase_add_test(t, http_content_length);
	tcase_add_test(t, http_request_limits);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return lc_test_run(ws_suite());
}
