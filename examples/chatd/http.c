/* The HTTP listener: GET /healthz, GET /metrics and media (media.c). */
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "chatd.h"

static void reply(struct evhttp_request *req, int code, const char *reason,
		  const char *type, struct evbuffer *body)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", type);
	evhttp_send_reply(req, code, reason, body);
	chatd_metrics_http(code);
}

static int is_get(struct evhttp_request *req)
{
	enum evhttp_cmd_type t = evhttp_request_get_command(req);

	return t == EVHTTP_REQ_GET || t == EVHTTP_REQ_HEAD;
}

static void on_healthz(struct evhttp_request *req, void *arg)
{
	const chatd_config *cfg = arg;
	struct evbuffer *b = evbuffer_new();
	char path[CHATD_PATH_MAX + 16];
	int ok;

	if (b == NULL)
		return;
	snprintf(path, sizeof path, "%s/data.mdb", cfg->data);
	ok = chatd_metrics_healthy() && access(path, R_OK | W_OK) == 0;
	if (!is_get(req)) {
		reply(req, 405, "Method Not Allowed", "text/plain", b);
	} else if (ok) {
		evbuffer_add_printf(b, "ok\n");
		reply(req, 200, "OK", "text/plain", b);
	} else {
		evbuffer_add_printf(b, "store unavailable\n");
		reply(req, 503, "Service Unavailable", "text/plain", b);
	}
	evbuffer_free(b);
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();

	(void)arg;
	if (b == NULL)
		return;
	if (is_get(req)) {
		chatd_metrics_render(b);
		reply(req, 200, "OK", "text/plain; version=0.0.4", b);
	} else {
		reply(req, 405, "Method Not Allowed", "text/plain", b);
	}
	evbuffer_free(b);
}

#define MEDIA_PREFIX "/v1/media/"

static void on_other(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	struct evbuffer *b;

	if (path && strncmp(path, MEDIA_PREFIX, strlen(MEDIA_PREFIX)) == 0) {
		chatd_media_get(arg, req, path + strlen(MEDIA_PREFIX));
		return;
	}
	if ((b = evbuffer_new()) == NULL)
		return;
	evbuffer_add_printf(b, "not found\n");
	reply(req, 404, "Not Found", "text/plain", b);
	evbuffer_free(b);
}

int chatd_http_start(struct event_base *base, const chatd_config *cfg,
		     chatd_media *media, int fd, struct evhttp **out)
{
	struct evhttp *h = evhttp_new(base);

	if (h == NULL)
		return -1;
	evhttp_set_timeout(h, 30);
	evhttp_set_max_headers_size(h, 8192);
	/* evhttp answers 413 itself, before reading, when Content-Length is
	 * over this, and stops reading a chunked body that grows past it. */
	evhttp_set_max_body_size(h, (ev_ssize_t)cfg->media_max_size);
	evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
					      EVHTTP_REQ_POST);
	evhttp_set_cb(h, "/healthz", on_healthz, (void *)cfg);
	evhttp_set_cb(h, "/metrics", on_metrics, NULL);
	chatd_media_routes(media, h);
	evhttp_set_gencb(h, on_other, media);
	if (evhttp_accept_socket_with_handle(h, fd) == NULL) {
		evhttp_free(h);
		return -1;
	}
	*out = h;
	return 0;
}
