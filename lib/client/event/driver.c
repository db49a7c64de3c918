/* The libevent driver: one bufferevent per connection, one timer for the
 * session's expiry and the reconnect delay. Over WebSocket an lc_ws turns
 * the session's stream into binary messages and back; the session sees
 * the same bytes as over TCP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>
#include <sodium.h>

#include "driver_int.h"

static uint64_t now_ms(lc_client_event *ev)
{
	struct timeval tv;

	event_base_gettimeofday_cached(ev->base, &tv);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static void arm(lc_client_event *ev, uint64_t at)
{
	uint64_t now = now_ms(ev), d = at > now ? at - now : 0;
	struct timeval tv;

	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)(d % 1000) * 1000;
	evtimer_add(ev->timer, &tv);
}

static void close_conn(lc_client_event *ev)
{
	if (ev->bev) {
		bufferevent_free(ev->bev);
		ev->bev = NULL;
	}
	lc_ws_free(ev->ws);
	ev->ws = NULL;
	if (ev->connected)
		lc_client_disconnected(ev->c, now_ms(ev));
	ev->connected = 0;
}

/* Close, then try again after the backoff delay with jitter. */
static void retry_later(lc_client_event *ev)
{
	uint64_t d;

	close_conn(ev);
	if (!ev->started)
		return;
	d = ev->delay_ms + (ev->delay_ms > 1 ?
			    randombytes_uniform((uint32_t)(ev->delay_ms / 2 + 1)) : 0);
	ev->delay_ms = ev->delay_ms * 2 > ev->max_ms ? ev->max_ms :
		       ev->delay_ms * 2;
	ev->reconnect_due = 1;
	arm(ev, now_ms(ev) + d);
}

/* The WebSocket's bytes onto the socket. */
static int ws_flush(lc_client_event *ev)
{
	const uint8_t *p;
	size_t n;

	while ((n = lc_ws_send(ev->ws, &p)) > 0)
		if (bufferevent_write(ev->bev, p, n) != 0)
			return LC_ERR_IO;
	return 0;
}

/* The session's output, as stream bytes or WebSocket messages. */
static int put(lc_client_event *ev, const uint8_t *p, size_t n)
{
	if (ev->ws)
		return lc_ws_write_stream(ev->ws, p, n);
	return bufferevent_write(ev->bev, p, n) == 0 ? 0 : LC_ERR_IO;
}

void lc_client_event_kick(lc_client_event *ev)
{
	const uint8_t *p;
	size_t n;

	if (ev == NULL || ev->reconnect_due)
		return;
	while (ev->bev && (n = lc_client_send(ev->c, &p)) > 0) {
		if (put(ev, p, n) != 0) {
			retry_later(ev);
			return;
		}
		(void)lc_client_consume(ev->c, n);
	}
	if (ev->bev && ev->ws && ws_flush(ev) != 0) {
		retry_later(ev);
		return;
	}
	if (lc_client_state_get(ev->c) == LC_CLIENT_READY)
		ev->delay_ms = ev->min_ms;
	if (lc_client_get_expiry(ev->c) != UINT64_MAX)
		arm(ev, lc_client_get_expiry(ev->c));
	else
		evtimer_del(ev->timer);
}

/* The WebSocket failed; the session still holds its connection. */
#define WS_FAILED 1

/* WebSocket bytes: the messages' stream into the session. 0, a
 * negative error of the session, or -WS_FAILED. */
static int ws_in(lc_client_event *ev, const uint8_t *buf, size_t n)
{
	int rc = lc_ws_recv(ev->ws, buf, n);
	const uint8_t *p;
	size_t k;

	while ((k = lc_ws_read_stream(ev->ws, &p)) > 0) {
		int r = lc_client_recv(ev->c, p, k, now_ms(ev));

		if (r < 0)
			return r < -WS_FAILED ? r : LC_ERR_INTERNAL;
	}
	if (rc < 0) {
		(void)ws_flush(ev); /* its close frame, if the socket takes it */
		return -WS_FAILED;
	}
	return 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	lc_client_event *ev = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t buf[16384];
	int n;

	while ((n = evbuffer_remove(in, buf, sizeof buf)) > 0) {
		int rc = ev->ws ? ws_in(ev, buf, (size_t)n)
				: lc_client_recv(ev->c, buf, (size_t)n, now_ms(ev));

		if (rc < 0) {
			if (rc != -WS_FAILED)
				ev->connected = 0; /* the session dropped it */
			retry_later(ev);
			return;
		}
	}
	lc_client_event_kick(ev);
}

/* The upgrade request with a fresh nonce; the session's first bytes
 * follow as messages once the server accepted it. */
static int ws_open(lc_client_event *ev)
{
	uint8_t key[LC_WS_KEY_LEN];
	char host[300];
	int rc, n;

	randombytes_buf(key, sizeof key);
	n = snprintf(host, sizeof host, strchr(ev->host, ':') ? "[%s]:%u"
							      : "%s:%u",
		     ev->host, (unsigned)ev->port);
	if (n < 0 || (size_t)n >= sizeof host)
		return LC_ERR_INVALID_ARG; /* a name longer than DNS allows */
	rc = lc_ws_client_new(&ev->ws, host, ev->ws_path, key, 0);
	return rc ? rc : ws_flush(ev);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	lc_client_event *ev = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		if ((ev->ws_path && ws_open(ev) != 0) ||
		    lc_client_connect(ev->c, now_ms(ev)) != 0) {
			retry_later(ev);
			return;
		}
		ev->connected = 1;
		lc_client_event_kick(ev);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		retry_later(ev);
}

static int dial(lc_client_event *ev)
{
	ev->reconnect_due = 0;
	ev->bev = bufferevent_socket_new(ev->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (ev->bev == NULL)
		return LC_ERR_NOMEM;
	bufferevent_setcb(ev->bev, on_read, NULL, on_event, ev);
	bufferevent_enable(ev->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect_hostname(ev->bev, NULL, AF_UNSPEC,
						ev->host, ev->port) != 0) {
		retry_later(ev);
		return LC_ERR_IO;
	}
	return 0;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	lc_client_event *ev = arg;

	(void)fd;
	(void)what;
	if (ev->reconnect_due) {
		(void)dial(ev);
		return;
	}
	if (lc_client_handle_expiry(ev->c, now_ms(ev)) == LC_ERR_TIMEOUT) {
		ev->connected = 0;
		retry_later(ev);
		return;
	}
	lc_client_event_kick(ev);
}

int lc_client_event_new(lc_client_event **out, struct event_base *base,
			lc_client *c, const lc_client_event_config *cfg)
{
	lc_client_event *ev;
	const char *ws_path;

	if (out == NULL || base == NULL || c == NULL || cfg == NULL ||
	    cfg->version < 1 || cfg->version > LC_CLIENT_EVENT_CONFIG_VERSION ||
	    cfg->host == NULL || cfg->host[0] == 0 || cfg->port == 0)
		return LC_ERR_INVALID_ARG;
	ws_path = cfg->version >= 2 && cfg->ws_path && cfg->ws_path[0] ?
		  cfg->ws_path : NULL;
	if (ws_path && (ws_path[0] != '/' || strpbrk(ws_path, " \t\r\n") ||
			strlen(ws_path) > 1024))
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((ev = calloc(1, sizeof *ev)) == NULL)
		return LC_ERR_NOMEM;
	ev->base = base;
	ev->c = c;
	ev->port = cfg->port;
	ev->min_ms = cfg->backoff_min_ms ? cfg->backoff_min_ms :
		     LC_CLIENT_EVENT_BACKOFF_MIN_MS;
	ev->max_ms = cfg->backoff_max_ms ? cfg->backoff_max_ms :
		     LC_CLIENT_EVENT_BACKOFF_MAX_MS;
	ev->delay_ms = ev->min_ms;
	ev->host = strdup(cfg->host);
	ev->ws_path = ws_path ? strdup(ws_path) : NULL;
	ev->timer = evtimer_new(base, on_timer, ev);
	if (cfg->version >= 2 && cfg->http_port) { /* media over HTTP */
		ev->http_port = cfg->http_port;
		ev->http_host = strdup(cfg->http_host && cfg->http_host[0] ?
				       cfg->http_host : cfg->host);
		if (ev->http_host == NULL)
			ev->oom = 1;
	}
	if (ev->min_ms > ev->max_ms || ev->host == NULL || ev->timer == NULL ||
	    ev->oom || (ws_path && ev->ws_path == NULL)) {
		int rc = ev->min_ms > ev->max_ms ? LC_ERR_INVALID_ARG :
			 LC_ERR_NOMEM;
		lc_client_event_free(ev);
		return rc;
	}
	*out = ev;
	return 0;
}

int lc_client_event_start(lc_client_event *ev)
{
	if (ev == NULL)
		return LC_ERR_INVALID_ARG;
	if (ev->started)
		return LC_ERR_INVALID_STATE;
	ev->started = 1;
	return dial(ev);
}

void lc_client_event_stop(lc_client_event *ev)
{
	if (ev == NULL)
		return;
	ev->started = 0;
	ev->reconnect_due = 0;
	evtimer_del(ev->timer);
	close_conn(ev);
}

int lc_client_event_connected(const lc_client_event *ev)
{
	return ev && ev->connected;
}

void lc_client_event_free(lc_client_event *ev)
{
	if (ev == NULL)
		return;
	/* transfers first: an upload waiting for its ticket is withdrawn
	 * from the session before the connection closes (no callback) */
	lc_cev_media_free_all(ev);
	lc_client_event_stop(ev);
	if (ev->timer)
		event_free(ev->timer);
	free(ev->host);
	free(ev->http_host);
	free(ev->ws_path);
	free(ev);
}
