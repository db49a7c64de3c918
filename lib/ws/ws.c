/* One WebSocket connection: the opening handshake, then wslay's framing,
 * with a libchat stream on the inside (see ws.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <sodium.h>
#include <wslay/wslay.h>

#include <libchat/error.h>
#include <libchat/frame.h>

#include "ws.h"

/* A byte queue: [off, len) pending. */
typedef struct wbuf {
	uint8_t *d;
	size_t off, len, cap;
} wbuf;

enum ws_state { WS_HEAD, WS_OPEN, WS_DONE };

struct lc_ws {
	int server;
	enum ws_state state;
	int err;
	int status;
	size_t max_message;
	char *path, *origins;   /* server policy (copies) */
	char accept[LC_WS_ACCEPT_LEN + 1]; /* client: the answer expected */
	wbuf head;  /* the head being read */
	wbuf rx;    /* socket bytes for wslay */
	wbuf tx;    /* socket bytes out */
	wbuf in;    /* stream bytes for the session */
	wbuf out;   /* stream bytes from the session, not a message yet */
	size_t tx_taken, in_taken;
	int in_prologue, out_prologue;
	int close_queued;
	wslay_event_context_ptr ctx;
};

static void wbuf_free(wbuf *b)
{
	free(b->d);
	memset(b, 0, sizeof *b);
}

static int wbuf_add(wbuf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (b->off && b->off == b->len)
		b->off = b->len = 0;
	if (b->len + n > b->cap) {
		size_t live = b->len - b->off, cap = b->cap ? b->cap : 256;
		uint8_t *d;

		if (b->off) { /* compact first */
			memmove(b->d, b->d + b->off, live);
			b->off = 0;
			b->len = live;
		}
		while (cap < live + n)
			cap *= 2;
		if (cap > b->cap) {
			if ((d = realloc(b->d, cap)) == NULL)
				return LC_ERR_NOMEM;
			b->d = d;
			b->cap = cap;
		}
	}
	memcpy(b->d + b->len, p, n);
	b->len += n;
	return 0;
}

static size_t wbuf_live(const wbuf *b)
{
	return b->len - b->off;
}

/* An empty buffer grown past this is released, so an idle connection
 * keeps little memory. */
#define WS_KEEP_BUFFER 4096

static void wbuf_settle(wbuf *b)
{
	if (b->off == b->len && b->cap > WS_KEEP_BUFFER)
		wbuf_free(b);
}

static int ws_fail(lc_ws *ws, int err)
{
	if (ws->err == 0)
		ws->err = err;
	return ws->err;
}

/* ---- wslay callbacks */

static ssize_t cb_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
		       int flags, void *ud)
{
	lc_ws *ws = ud;
	size_t n = wbuf_live(&ws->rx);

	(void)flags;
	if (n == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (n > len)
		n = len;
	memcpy(buf, ws->rx.d + ws->rx.off, n);
	ws->rx.off += n;
	return (ssize_t)n;
}

static ssize_t cb_send(wslay_event_context_ptr ctx, const uint8_t *data,
		       size_t len, int flags, void *ud)
{
	lc_ws *ws = ud;

	(void)flags;
	if (wbuf_add(&ws->tx, data, len) != 0) {
		ws_fail(ws, LC_ERR_NOMEM);
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static int cb_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
		      void *ud)
{
	(void)ctx;
	(void)ud;
	randombytes_buf(buf, len);
	return 0;
}

/* Refuse a message: record why and queue the close frame. */
static void refuse(lc_ws *ws, int err, uint16_t code, const char *why)
{
	ws_fail(ws, err);
	if (!ws->close_queued) {
		ws->close_queued = 1;
		(void)wslay_event_queue_close(ws->ctx, code, (const uint8_t *)why,
					      strlen(why));
	}
	wslay_event_shutdown_read(ws->ctx);
}

/* A whole message: the prologue first, then one Noise message each,
 * given to the session with its 2-byte length. */
static void cb_msg(wslay_event_context_ptr ctx,
		   const struct wslay_event_on_msg_recv_arg *m, void *ud)
{
	lc_ws *ws = ud;
	uint8_t hdr[LC_FRAME_HEADER_LEN];

	(void)ctx;
	if (m->opcode == WSLAY_CONNECTION_CLOSE || m->opcode == WSLAY_PING ||
	    m->opcode == WSLAY_PONG || ws->err)
		return;
	if (m->opcode != WSLAY_BINARY_FRAME) {
		refuse(ws, LC_ERR_MALFORMED, LC_WS_CLOSE_UNSUPPORTED,
		       "binary messages only");
		return;
	}
	if (!ws->in_prologue) {
		if (m->msg_length != LC_FRAME_PROLOGUE_LEN) {
			refuse(ws, LC_ERR_MALFORMED, LC_WS_CLOSE_PROTOCOL,
			       "the first message is the prologue");
			return;
		}
		ws->in_prologue = 1;
		if (wbuf_add(&ws->in, m->msg, m->msg_length) != 0)
			refuse(ws, LC_ERR_NOMEM, 1011, "out of memory");
		return;
	}
	if (m->msg_length == 0 || m->msg_length > ws->max_message) {
		refuse(ws, m->msg_length ? LC_ERR_FRAME_TOO_LARGE : LC_ERR_MALFORMED,
		       m->msg_length ? LC_WS_CLOSE_TOO_BIG : LC_WS_CLOSE_PROTOCOL,
		       "bad message length");
		return;
	}
	if (lc_frame_header(hdr, m->msg_length) != 0 ||
	    wbuf_add(&ws->in, hdr, sizeof hdr) != 0 ||
	    wbuf_add(&ws->in, m->msg, m->msg_length) != 0)
		refuse(ws, LC_ERR_NOMEM, 1011, "out of memory");
}

static const struct wslay_event_callbacks callbacks = {
	cb_recv, cb_send, cb_genmask, NULL, NULL, NULL, cb_msg,
};

/* ---- construction */

static int ws_alloc(lc_ws **out, int server, size_t max_message)
{
	lc_ws *ws;
	int rc;

	if (out == NULL)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((ws = calloc(1, sizeof *ws)) == NULL)
		return LC_ERR_NOMEM;
	ws->server = server;
	ws->max_message = max_message == 0 || max_message > LC_FRAME_MAX ?
			  LC_FRAME_MAX : max_message;
	rc = server ? wslay_event_context_server_init(&ws->ctx, &callbacks, ws)
		    : wslay_event_context_client_init(&ws->ctx, &callbacks, ws);
	if (rc != 0) {
		free(ws);
		return LC_ERR_NOMEM;
	}
	/* messages are reassembled up to the limit, never beyond */
	wslay_event_config_set_max_recv_msg_length(ws->ctx, ws->max_message);
	*out = ws;
	return 0;
}

int lc_ws_server_new(lc_ws **out, const lc_ws_policy *pol,
		     size_t max_message)
{
	lc_ws *ws;
	int rc;

	if (pol == NULL || pol->path == NULL || pol->path[0] != '/')
		return LC_ERR_INVALID_ARG;
	if ((rc = ws_alloc(out, 1, max_message)) != 0)
		return rc;
	ws = *out;
	ws->path = strdup(pol->path);
	ws->origins = strdup(pol->origins ? pol->origins : "");
	if (ws->path == NULL || ws->origins == NULL) {
		lc_ws_free(ws);
		*out = NULL;
		return LC_ERR_NOMEM;
	}
	return 0;
}

int lc_ws_client_new(lc_ws **out, const char *host, const char *path,
		     const uint8_t key[LC_WS_KEY_LEN], size_t max_message)
{
	char req[LC_WS_HEAD_MAX];
	size_t n;
	int rc;

	if (host == NULL || path == NULL || key == NULL)
		return LC_ERR_INVALID_ARG;
	if ((rc = ws_alloc(out, 0, max_message)) != 0)
		return rc;
	n = lc_ws_client_request(req, sizeof req, host, path, key,
				 (*out)->accept);
	rc = n ? wbuf_add(&(*out)->tx, req, n) : LC_ERR_INVALID_ARG;
	if (rc != 0) {
		lc_ws_free(*out);
		*out = NULL;
	}
	return rc;
}

void lc_ws_free(lc_ws *ws)
{
	if (ws == NULL)
		return;
	if (ws->ctx)
		wslay_event_context_free(ws->ctx);
	wbuf_free(&ws->head);
	wbuf_free(&ws->rx);
	wbuf_free(&ws->tx);
	wbuf_free(&ws->in);
	wbuf_free(&ws->out);
	free(ws->path);
	free(ws->origins);
	free(ws);
}

/* ---- the opening handshake */

static int server_head(lc_ws *ws, size_t hl)
{
	lc_ws_policy pol = { ws->path, ws->origins };
	lc_ws_request r;
	char resp[LC_WS_RESPONSE_MAX];
	int rc = lc_ws_request_parse(ws->head.d, hl, &pol, &r);
	size_t n = lc_ws_response(&r, resp, sizeof resp);

	ws->status = r.status;
	if (n == 0 || wbuf_add(&ws->tx, resp, n) != 0)
		rc = rc ? rc : LC_ERR_NOMEM;
	return rc;
}

/* Head bytes until the empty line; what follows it is WebSocket. */
static int read_head(lc_ws *ws, const uint8_t *in, size_t len, size_t *used)
{
	size_t before = wbuf_live(&ws->head), take, hl;
	int rc, st = 0;

	take = len < LC_WS_HEAD_MAX - before ? len : LC_WS_HEAD_MAX - before;
	if ((rc = wbuf_add(&ws->head, in, take)) != 0)
		return rc;
	hl = lc_ws_head_len(ws->head.d, ws->head.len);
	if (hl == 0) {
		*used = take;
		if (ws->head.len < LC_WS_HEAD_MAX)
			return 0;
		if (ws->server) {
			lc_ws_request r = { 400, "request head too large", "" };
			char resp[LC_WS_RESPONSE_MAX];
			size_t n = lc_ws_response(&r, resp, sizeof resp);

			ws->status = r.status;
			(void)wbuf_add(&ws->tx, resp, n);
		}
		return LC_ERR_MALFORMED;
	}
	*used = hl - before;
	if (ws->server)
		rc = server_head(ws, hl);
	else if ((rc = lc_ws_response_check(ws->head.d, hl, ws->accept, &st)) ==
		 0 || st)
		ws->status = st;
	if (rc == 0)
		ws->state = WS_OPEN;
	wbuf_free(&ws->head);
	return rc;
}

/* ---- data */

/* Run wslay over the buffered socket bytes, and classify how a read
 * side it shut ended. */
static int pump_wslay(lc_ws *ws)
{
	if (wslay_event_recv(ws->ctx) != 0)
		return ws_fail(ws, ws->err ? ws->err : LC_ERR_MALFORMED);
	if (!wslay_event_get_read_enabled(ws->ctx) && ws->err == 0) {
		/* wslay closed the read side itself: the peer's close frame,
		 * or a frame it refused with a close frame of its own, whose
		 * code tells which (it is written to tx now) */
		ws->close_queued = 1;
		if (wslay_event_get_close_received(ws->ctx))
			return ws_fail(ws, LC_ERR_CLOSED);
		if (wslay_event_send(ws->ctx) != 0)
			return ws_fail(ws, LC_ERR_NOMEM);
		ws_fail(ws, wslay_event_get_status_code_sent(ws->ctx) ==
				    LC_WS_CLOSE_TOO_BIG ? LC_ERR_FRAME_TOO_LARGE
							: LC_ERR_MALFORMED);
	}
	return ws->err;
}

int lc_ws_recv(lc_ws *ws, const uint8_t *in, size_t len)
{
	size_t used = 0;
	int rc;

	if (ws == NULL || (in == NULL && len))
		return LC_ERR_INVALID_ARG;
	if (ws->err || ws->state == WS_DONE)
		return ws->err ? ws->err : LC_ERR_CLOSED;
	ws->in.off += ws->in_taken;
	ws->in_taken = 0;
	wbuf_settle(&ws->in);
	wbuf_settle(&ws->rx);
	if (ws->state == WS_HEAD) {
		if ((rc = read_head(ws, in, len, &used)) != 0) {
			ws->state = WS_DONE;
			return ws_fail(ws, rc);
		}
		in += used;
		len -= used;
		if (ws->state == WS_HEAD)
			return 0;
	}
	if ((rc = wbuf_add(&ws->rx, in, len)) != 0)
		return ws_fail(ws, rc);
	return pump_wslay(ws);
}

size_t lc_ws_read_stream(lc_ws *ws, const uint8_t **p)
{
	size_t n;

	ws->in.off += ws->in_taken;
	ws->in_taken = 0;
	n = wbuf_live(&ws->in);
	*p = n ? ws->in.d + ws->in.off : NULL;
	ws->in_taken = n;
	return n;
}

static int queue_msg(lc_ws *ws, const uint8_t *p, size_t n)
{
	struct wslay_event_msg m = { WSLAY_BINARY_FRAME, p, n };
	int rc = wslay_event_queue_msg(ws->ctx, &m);

	if (rc == WSLAY_ERR_NOMEM)
		return LC_ERR_NOMEM;
	return rc == 0 ? 0 : LC_ERR_CLOSED;
}

/* Whole messages out of the pending stream bytes. */
static int cut_messages(lc_ws *ws)
{
	for (;;) {
		const uint8_t *p = ws->out.d + ws->out.off;
		size_t live = wbuf_live(&ws->out), n;
		int rc;

		if (!ws->out_prologue) {
			if (live < LC_FRAME_PROLOGUE_LEN)
				return 0;
			if ((rc = queue_msg(ws, p, LC_FRAME_PROLOGUE_LEN)) != 0)
				return rc;
			ws->out.off += LC_FRAME_PROLOGUE_LEN;
			ws->out_prologue = 1;
			continue;
		}
		if (live < LC_FRAME_HEADER_LEN)
			return 0;
		n = (size_t)p[0] << 8 | p[1];
		if (n == 0)
			return LC_ERR_MALFORMED;
		if (live < LC_FRAME_HEADER_LEN + n)
			return 0;
		if ((rc = queue_msg(ws, p + LC_FRAME_HEADER_LEN, n)) != 0)
			return rc;
		ws->out.off += LC_FRAME_HEADER_LEN + n;
	}
}

int lc_ws_write_stream(lc_ws *ws, const uint8_t *in, size_t len)
{
	int rc;

	if (ws == NULL || (in == NULL && len))
		return LC_ERR_INVALID_ARG;
	if (ws->close_queued || ws->state == WS_DONE)
		return LC_ERR_CLOSED;
	if ((rc = wbuf_add(&ws->out, in, len)) != 0)
		return rc;
	rc = cut_messages(ws);
	wbuf_settle(&ws->out);
	return rc;
}

size_t lc_ws_send(lc_ws *ws, const uint8_t **p)
{
	size_t n;

	ws->tx.off += ws->tx_taken;
	ws->tx_taken = 0;
	wbuf_settle(&ws->tx);
	if (ws->state == WS_OPEN && wslay_event_want_write(ws->ctx) &&
	    wslay_event_send(ws->ctx) != 0)
		ws_fail(ws, ws->err ? ws->err : LC_ERR_MALFORMED);
	n = wbuf_live(&ws->tx);
	*p = n ? ws->tx.d + ws->tx.off : NULL;
	ws->tx_taken = n;
	return n;
}

void lc_ws_close(lc_ws *ws, uint16_t code)
{
	if (ws == NULL || ws->close_queued)
		return;
	ws->close_queued = 1;
	if (ws->state == WS_OPEN)
		(void)wslay_event_queue_close(ws->ctx, code, NULL, 0);
	else
		ws->state = WS_DONE;
}

int lc_ws_want_read(const lc_ws *ws)
{
	if (ws->err || ws->state == WS_DONE)
		return 0;
	return ws->state == WS_HEAD || wslay_event_want_read(ws->ctx);
}

int lc_ws_want_write(const lc_ws *ws)
{
	return wbuf_live(&ws->tx) > ws->tx_taken ||
	       (ws->state == WS_OPEN && wslay_event_want_write(ws->ctx));
}

int lc_ws_is_open(const lc_ws *ws)
{
	return ws->state == WS_OPEN;
}

int lc_ws_error(const lc_ws *ws)
{
	return ws->err;
}

int lc_ws_http_status(const lc_ws *ws)
{
	return ws->status;
}
