/* The HTTP listener: GET /healthz, GET /metrics and media (media.c).
 *
 * A small HTTP/1.1 server on bufferevents, one request per connection
 * (every answer says Connection: close). The request head is read up to
 * LC_WS_HEAD_MAX bytes and parsed by lib/ws's head parser; a body is only
 * read for POST /v1/media/upload, only with a Content-Length (a
 * Transfer-Encoding is refused with 501, a missing length with 411), and
 * only after the token and the length were accepted (413 is decided from
 * the header alone). Body bytes go to the upload's temporary file as they
 * arrive: the input buffer is capped by a read watermark and each chunk is
 * written before more is read, so a connection holds at most READ_HIGH
 * bytes of body however large the upload. Downloads are sent from the file
 * (evbuffer_add_file), never read whole into memory.
 *
 * After its answer a connection shuts down its writing side and discards
 * what the client still sends (the rest of an announced body within
 * media_max_size, plus LINGER_MAX bytes, until LINGER_S seconds pass
 * without input), so that a client still sending a body reads the answer
 * instead of a reset. Discarding holds no memory. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "chatd.h"
#include "http.h"

#define TIMEOUT_S 30
#define LINGER_S 2
#define LINGER_MAX (1u << 20)
#define READ_HIGH (256u << 10)
#define MEDIA_PREFIX "/v1/media/"

enum { S_HEAD, S_BODY, S_ANSWER, S_LINGER };

typedef struct hconn hconn;

struct chatd_http {
	const chatd_config *cfg;
	chatd_media *media;
	struct evconnlistener *l;
	hconn *conns;
};

struct hconn {
	chatd_http *h;
	struct bufferevent *bev;
	int state;
	chatd_upload *up;   /* S_BODY: the file being written */
	uint64_t left;      /* S_BODY: body bytes still to read */
	uint64_t size;      /* S_BODY: the Content-Length */
	uint64_t discarded; /* S_ANSWER, S_LINGER: input thrown away */
	uint64_t discard_max; /* ... before the connection is dropped */
	int peer_done;      /* the peer closed its side: nothing to linger on */
	int dead;           /* to close at once: an answer cannot be completed */
	char uid[LC_SERVER_USER_ID_SIZE];
	uint32_t dev;
	hconn *prev, *next;
};

static void hconn_free(hconn *c)
{
	chatd_upload_abort(c->up);
	if (c->prev)
		c->prev->next = c->next;
	else
		c->h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	bufferevent_free(c->bev);
	free(c);
}

static const char *reason_of(int code)
{
	switch (code) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Queue the answer's head: the body (len bytes) follows unless head_only.
 * The connection then only writes it out and closes. */
static void answer_head(hconn *c, int code, const char *type, uint64_t len,
			const char *extra)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char h[512];

	snprintf(h, sizeof h, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		 "Content-Length: %llu\r\n%sConnection: close\r\n\r\n",
		 code, reason_of(code), type, (unsigned long long)len,
		 extra ? extra : "");
	evbuffer_add(out, h, strlen(h));
	chatd_metrics_http(code);
	chatd_upload_abort(c->up);
	c->up = NULL;
	c->state = S_ANSWER;
}

static void answer(hconn *c, int code, const char *type, const char *body,
		   int head_only)
{
	answer_head(c, code, type, strlen(body),
		    code == 401 ? "WWW-Authenticate: Bearer\r\n" : NULL);
	if (!head_only)
		evbuffer_add(bufferevent_get_output(c->bev), body, strlen(body));
}

/* A JSON error: {"error": "msg"}. */
static void fail(hconn *c, int code, const char *msg, int head_only)
{
	char b[160];

	snprintf(b, sizeof b, "{\"error\": \"%s\"}\n", msg);
	answer(c, code, "application/json", b, head_only);
}

static int is_get(const lc_http_request *r, int *head_only)
{
	*head_only = lc_http_is(r->method, r->method_len, "HEAD");
	return *head_only || lc_http_is(r->method, r->method_len, "GET");
}

static void on_healthz(hconn *c, const lc_http_request *r)
{
	char path[CHATD_PATH_MAX + 16];
	int head_only;

	if (!is_get(r, &head_only)) {
		answer(c, 405, "text/plain", "", 0);
		return;
	}
	snprintf(path, sizeof path, "%s/data.mdb", c->h->cfg->data);
	if (chatd_metrics_healthy() && access(path, R_OK | W_OK) == 0)
		answer(c, 200, "text/plain", "ok\n", head_only);
	else
		answer(c, 503, "text/plain", "store unavailable\n", head_only);
}

static void on_metrics(hconn *c, const lc_http_request *r)
{
	struct evbuffer *b;
	int head_only;

	if (!is_get(r, &head_only)) {
		answer(c, 405, "text/plain", "", 0);
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		answer(c, 500, "text/plain", "", 0);
		return;
	}
	chatd_metrics_render(b);
	answer_head(c, 200, "text/plain; version=0.0.4",
		    evbuffer_get_length(b), NULL);
	if (!head_only)
		evbuffer_add_buffer(bufferevent_get_output(c->bev), b);
	evbuffer_free(b);
}

/* 0 with c->uid and c->dev set, or the answer was queued. */
static int authenticate(hconn *c, const lc_http_request *r, int head_only)
{
	const lc_http_header *a = NULL;
	const char *why = NULL;
	int n = lc_http_header_one(&r->head, "authorization", &a), st;

	if (n < 0) {
		fail(c, 400, "repeated Authorization", head_only);
		return -1;
	}
	st = chatd_media_auth(c->h->media, n ? a->value : NULL,
			      n ? a->value_len : 0, c->uid, &c->dev, &why);
	if (st != 0)
		fail(c, st, why, head_only);
	return st;
}

static void on_download(hconn *c, const lc_http_request *r)
{
	size_t pl = strlen(MEDIA_PREFIX);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_file_segment *seg;
	uint64_t size = 0;
	int head_only, fd = -1, st;

	if (!is_get(r, &head_only)) {
		fail(c, 405, "GET only", 0);
		return;
	}
	if (authenticate(c, r, head_only) != 0)
		return;
	st = chatd_media_open(c->h->media, r->path + pl, r->path_len - pl, &fd,
			      &size);
	if (st != 200) {
		fail(c, st, st == 400 ? "an id is 64 lowercase hex digits" :
		     st == 404 ? "no such media" : "cannot read", head_only);
		return;
	}
	if (head_only || size == 0) {
		close(fd);
		answer_head(c, 200, "application/octet-stream", size, NULL);
		return;
	}
	/* the file follows the head as a segment, sent with sendfile() and
	 * never read whole */
	if ((seg = evbuffer_file_segment_new(fd, 0, (ev_off_t)size,
					     EVBUF_FS_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		fail(c, 500, "cannot read", 0);
		return;
	}
	answer_head(c, 200, "application/octet-stream", size, NULL);
	if (evbuffer_add_file_segment(out, seg, 0, (ev_off_t)size) != 0) {
		chatd_log(LC_SERVER_LOG_ERROR, "media_read_failed",
			  "size=%llu", (unsigned long long)size);
		c->dead = 1; /* the head is out: the answer ends short */
	}
	evbuffer_file_segment_free(seg); /* out holds its own reference */
}

static void body_read(hconn *c);

static void on_upload(hconn *c, const lc_http_request *r, int has_len,
		      uint64_t len)
{
	if (!lc_http_is(r->method, r->method_len, "POST")) {
		fail(c, 405, "POST only", 0);
		return;
	}
	if (authenticate(c, r, 0) != 0)
		return;
	if (!has_len) {
		fail(c, 411, "Content-Length required", 0);
		return;
	}
	if (len > c->h->cfg->media_max_size) {
		fail(c, 413, "over media_max_size", 0);
		return;
	}
	if (len == 0) {
		fail(c, 400, "empty body", 0);
		return;
	}
	if (chatd_upload_begin(c->h->media, &c->up) != 0) {
		fail(c, 500, "cannot store", 0);
		return;
	}
	if (lc_http_header_has_token(&r->head, "expect", "100-continue"))
		evbuffer_add_printf(bufferevent_get_output(c->bev),
				    "HTTP/1.1 100 Continue\r\n\r\n");
	c->state = S_BODY;
	c->left = c->size = len;
}

/* A request head of hl bytes at the start of the input. */
static void on_request(hconn *c, const uint8_t *p, size_t hl)
{
	lc_http_request r;
	const lc_http_header *te = NULL;
	uint64_t len = 0;
	int has_len;
	size_t pl = strlen(MEDIA_PREFIX);

	if (lc_http_request_parse(p, hl, &r) != 0) {
		fail(c, 400, "malformed request head", 0);
		return;
	}
	if ((has_len = lc_http_content_length(&r.head, &len)) < 0) {
		fail(c, 400, "bad Content-Length", 0);
		return;
	}
	/* a body within the limit is read (and dropped) even when refused,
	 * so that a client sending it before reading gets the answer */
	if (has_len && len <= c->h->cfg->media_max_size)
		c->discard_max += len;
	if (lc_http_header_one(&r.head, "transfer-encoding", &te) != 0) {
		fail(c, 501, "Transfer-Encoding is not supported: send a "
			     "Content-Length", 0);
		return;
	}
	if (lc_http_is(r.path, r.path_len, "/healthz"))
		on_healthz(c, &r);
	else if (lc_http_is(r.path, r.path_len, "/metrics"))
		on_metrics(c, &r);
	else if (lc_http_is(r.path, r.path_len, "/v1/media/upload"))
		on_upload(c, &r, has_len, len);
	else if (r.path_len >= pl && memcmp(r.path, MEDIA_PREFIX, pl) == 0)
		on_download(c, &r);
	else
		answer(c, 404, "text/plain", "not found\n", 0);
}

static void head_read(hconn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr e = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	size_t hl;
	uint8_t *p;

	if (e.pos < 0) {
		if (evbuffer_get_length(in) > LC_WS_HEAD_MAX)
			fail(c, 431, "request head too large", 0);
		return;
	}
	hl = (size_t)e.pos + 4;
	if (hl > LC_WS_HEAD_MAX) {
		fail(c, 431, "request head too large", 0);
		return;
	}
	if ((p = evbuffer_pullup(in, (ev_ssize_t)hl)) == NULL) {
		fail(c, 500, "out of memory", 0);
		return;
	}
	on_request(c, p, hl);
	evbuffer_drain(in, hl);
}

/* Write the body bytes that arrived, chain by chain; the last one ends
 * the upload. */
static void body_read(hconn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	char hex[65], b[96];
	int rc;

	while (c->left && evbuffer_get_length(in)) {
		struct evbuffer_iovec v;
		size_t n;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		n = v.iov_len < c->left ? v.iov_len : (size_t)c->left;
		if (chatd_upload_write(c->up, v.iov_base, n) != 0) {
			fail(c, 500, "cannot store", 0);
			return;
		}
		evbuffer_drain(in, n);
		c->left -= n;
	}
	if (c->left)
		return;
	rc = chatd_upload_finish(c->up, hex);
	c->up = NULL;
	if (rc != 0) {
		fail(c, 500, "cannot store", 0);
		return;
	}
	chatd_log(LC_SERVER_LOG_INFO, "media_stored",
		  "id=%s size=%llu user=%s device=%u", hex,
		  (unsigned long long)c->size, c->uid, (unsigned)c->dev);
	snprintf(b, sizeof b, "{\"id\": \"%s\"}\n", hex);
	answer(c, 201, "application/json", b, 0);
}

/* Input after the answer: thrown away, within bounds. 0, or -1 when the
 * connection is done. */
static int discard(hconn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	c->discarded += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
	return c->discarded > c->discard_max ? -1 : 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	hconn *c = arg;

	(void)bev;
	if (c->state == S_HEAD)
		head_read(c);
	if (c->state == S_BODY)
		body_read(c);
	if (c->dead) {
		hconn_free(c);
		return;
	}
	if ((c->state == S_ANSWER || c->state == S_LINGER) && discard(c) != 0)
		hconn_free(c);
}

/* The output went out: once the answer is complete, close the writing
 * side and linger. */
static void on_write(struct bufferevent *bev, void *arg)
{
	hconn *c = arg;
	struct timeval tv = { LINGER_S, 0 };

	if (c->state != S_ANSWER)
		return;
	if (c->peer_done) {
		hconn_free(c);
		return;
	}
	c->state = S_LINGER;
	shutdown(bufferevent_getfd(bev), SHUT_WR);
	bufferevent_set_timeouts(bev, &tv, NULL);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	hconn *c = arg;

	(void)bev;
	if (c->state == S_BODY && (what & BEV_EVENT_EOF))
		chatd_log(LC_SERVER_LOG_INFO, "media_upload_cut",
			  "received=%llu size=%llu",
			  (unsigned long long)(c->size - c->left),
			  (unsigned long long)c->size);
	if (c->state == S_ANSWER && (what & BEV_EVENT_EOF) &&
	    evbuffer_get_length(bufferevent_get_output(bev))) {
		bufferevent_disable(bev, EV_READ); /* write out, then close */
		c->peer_done = 1;
		return;
	}
	hconn_free(c);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int len, void *arg)
{
	chatd_http *h = arg;
	struct timeval tv = { TIMEOUT_S, 0 };
	hconn *c = calloc(1, sizeof *c);

	(void)sa;
	(void)len;
	if (c == NULL ||
	    (c->bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
					     BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(c);
		evutil_closesocket(fd);
		return;
	}
	c->h = h;
	c->discard_max = LINGER_MAX;
	c->next = h->conns;
	if (h->conns)
		h->conns->prev = c;
	h->conns = c;
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, READ_HIGH);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

int chatd_http_start(struct event_base *base, const chatd_config *cfg,
		     chatd_media *media, int fd, chatd_http **out)
{
	chatd_http *h = calloc(1, sizeof *h);

	if (h == NULL)
		return -1;
	h->cfg = cfg;
	h->media = media;
	evutil_make_socket_nonblocking(fd);
	h->l = evconnlistener_new(base, on_accept, h, LEV_OPT_CLOSE_ON_FREE,
				  -1, fd);
	if (h->l == NULL) {
		free(h);
		return -1;
	}
	*out = h;
	return 0;
}

void chatd_http_free(chatd_http *h)
{
	if (h == NULL)
		return;
	while (h->conns)
		hconn_free(h->conns);
	evconnlistener_free(h->l);
	free(h);
}
