/* Push providers for messages queued to offline devices. `log` writes a
 * line; `webhook` POSTs {"user","device","sender","sender_device",
 * "message_id"} (no content) to push_url, one request at a time, retrying
 * with a doubling backoff, from a bounded queue that drops its oldest
 * entry (counted and logged) when full. */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <sodium.h>

#include "chatd.h"

#define PUSH_UID_MAX 64
#define BACKOFF_MAX_MS 60000u

struct note {
	uint64_t seq;
	unsigned attempts;
	char user[PUSH_UID_MAX + 1], sender[PUSH_UID_MAX + 1];
	uint32_t dev, sdev;
	char mid[LC_SERVER_ID_LEN * 2 + 1];
};

struct chatd_push {
	struct event_base *base;
	const chatd_config *cfg;
	int webhook;
	struct evhttp_uri *uri;
	struct evhttp_connection *hc;
	struct event *retry_ev;
	struct note *q;
	size_t cap, head, n;
	uint64_t next_seq, in_flight; /* seq of the request out; 0: none */
	int waiting;                  /* a retry is scheduled */
};

static void copy_id(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n > PUSH_UID_MAX)
		n = PUSH_UID_MAX;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* JSON string body: ids are hex, but escape whatever is not printable. */
static void json_str(struct evbuffer *b, const char *s)
{
	evbuffer_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\' || ch < 0x20 || ch >= 0x7f)
			evbuffer_add_printf(b, "\\u%04x", ch);
		else
			evbuffer_add(b, s, 1);
	}
	evbuffer_add(b, "\"", 1);
}

static void note_json(struct evbuffer *b, const struct note *n)
{
	evbuffer_add_printf(b, "{\"user\":");
	json_str(b, n->user);
	evbuffer_add_printf(b, ",\"device\":%u,\"sender\":", n->dev);
	json_str(b, n->sender);
	evbuffer_add_printf(b, ",\"sender_device\":%u,\"message_id\":\"%s\"}",
			    n->sdev, n->mid);
}

static void send_head(chatd_push *p);

static void pop_head(chatd_push *p)
{
	p->head = (p->head + 1) % p->cap;
	p->n--;
	chatd_metrics_push_depth(p->n);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	chatd_push *p = arg;

	(void)fd;
	(void)what;
	p->waiting = 0;
	send_head(p);
}

static void retry_later(chatd_push *p, struct note *h)
{
	uint64_t ms = p->cfg->push_backoff_ms;
	struct timeval tv;

	for (unsigned i = 1; i < h->attempts && ms < BACKOFF_MAX_MS; i++)
		ms *= 2;
	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
	p->waiting = 1;
	chatd_metrics_push("retried");
	evtimer_add(p->retry_ev, &tv);
}

static void on_done(struct evhttp_request *req, void *arg)
{
	chatd_push *p = arg;
	int code = req ? evhttp_request_get_response_code(req) : 0;
	uint64_t seq = p->in_flight;
	struct note *h;

	p->in_flight = 0;
	if (p->n == 0 || (h = &p->q[p->head])->seq != seq) {
		send_head(p); /* the entry was dropped meanwhile */
		return;
	}
	if (code >= 200 && code < 300) {
		chatd_metrics_push("sent");
		pop_head(p);
		send_head(p);
		return;
	}
	chatd_log(LC_SERVER_LOG_WARN, "push_failed",
		  "status=%d attempt=%u message_id=%s", code, h->attempts,
		  h->mid);
	if (h->attempts >= p->cfg->push_retries) {
		chatd_metrics_push("failed");
		pop_head(p);
		send_head(p);
		return;
	}
	retry_later(p, h);
}

static void send_head(chatd_push *p)
{
	struct evhttp_request *req;
	struct note *h;
	const char *path;

	if (p->n == 0 || p->in_flight || p->waiting)
		return;
	h = &p->q[p->head];
	req = evhttp_request_new(on_done, p);
	if (req == NULL)
		return;
	h->attempts++;
	note_json(evhttp_request_get_output_buffer(req), h);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
			  evhttp_uri_get_host(p->uri));
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", "application/json");
	path = evhttp_uri_get_path(p->uri);
	p->in_flight = h->seq;
	if (evhttp_make_request(p->hc, req, EVHTTP_REQ_POST,
				path && *path ? path : "/") != 0) {
		p->in_flight = 0;
		retry_later(p, h);
	}
}

void chatd_push_notify(chatd_push *p, const char *user, uint32_t dev,
		       const char *sender, uint32_t sdev,
		       const uint8_t mid[LC_SERVER_ID_LEN])
{
	char hex[LC_SERVER_ID_LEN * 2 + 1];
	struct note *n;

	sodium_bin2hex(hex, sizeof hex, mid, LC_SERVER_ID_LEN);
	chatd_metrics_push("queued");
	if (!p->webhook) {
		chatd_metrics_push("logged");
		chatd_log(LC_SERVER_LOG_INFO, "push", "user=%s device=%u "
			  "sender=%s sender_device=%u message_id=%s", user, dev,
			  sender, sdev, hex);
		return;
	}
	if (p->n == p->cap) {
		chatd_metrics_push("dropped");
		chatd_log(LC_SERVER_LOG_WARN, "push_dropped", "message_id=%s "
			  "reason=queue_full", p->q[p->head].mid);
		pop_head(p);
		p->waiting = 0;
		evtimer_del(p->retry_ev);
	}
	n = &p->q[(p->head + p->n) % p->cap];
	memset(n, 0, sizeof *n);
	n->seq = ++p->next_seq;
	copy_id(n->user, user);
	copy_id(n->sender, sender);
	n->dev = dev;
	n->sdev = sdev;
	memcpy(n->mid, hex, sizeof hex);
	p->n++;
	chatd_metrics_push_depth(p->n);
	send_head(p);
}

static int open_webhook(chatd_push *p)
{
	const char *scheme, *host;
	int port;

	p->uri = evhttp_uri_parse(p->cfg->push_url);
	scheme = p->uri ? evhttp_uri_get_scheme(p->uri) : NULL;
	host = p->uri ? evhttp_uri_get_host(p->uri) : NULL;
	if (!scheme || strcmp(scheme, "http") != 0 || !host) {
		chatd_log(LC_SERVER_LOG_ERROR, "bad_push_url",
			  "want=\"http://HOST:PORT/PATH\"");
		return -1;
	}
	port = evhttp_uri_get_port(p->uri);
	p->hc = evhttp_connection_base_new(p->base, NULL, host,
					   (uint16_t)(port > 0 ? port : 80));
	p->q = calloc(p->cap, sizeof *p->q);
	p->retry_ev = evtimer_new(p->base, on_retry, p);
	if (!p->hc || !p->q || !p->retry_ev)
		return -1;
	evhttp_connection_set_timeout(p->hc, 10);
	return 0;
}

int chatd_push_new(chatd_push **out, struct event_base *base,
		   const chatd_config *cfg)
{
	chatd_push *p = calloc(1, sizeof *p);

	*out = p;
	if (p == NULL)
		return -1;
	p->base = base;
	p->cfg = cfg;
	p->cap = cfg->push_queue ? cfg->push_queue : 1;
	p->webhook = strcmp(cfg->push, "webhook") == 0;
	return p->webhook ? open_webhook(p) : 0;
}

void chatd_push_free(chatd_push *p)
{
	if (p == NULL)
		return;
	if (p->hc)
		evhttp_connection_free(p->hc);
	if (p->uri)
		evhttp_uri_free(p->uri);
	if (p->retry_ev)
		event_free(p->retry_ev);
	free(p->q);
	free(p);
}
