/* Internal: the driver's state, shared by driver.c and media.c. */
#ifndef LC_CLIENT_EVENT_DRIVER_INT_H
#define LC_CLIENT_EVENT_DRIVER_INT_H

#include <libchat/client_event.h>

#include "ws.h"

struct lc_cev_transfer;

struct lc_client_event {
	struct event_base *base;
	lc_client *c;
	char *host;
	char *ws_path;  /* NULL: TCP */
	lc_ws *ws;      /* the WebSocket of the open connection */
	uint16_t port;
	uint64_t min_ms, max_ms, delay_ms;
	struct bufferevent *bev;
	struct event *timer;
	int started;
	int connected;  /* TCP up */
	int reconnect_due;
	int oom; /* a constructor allocation failed */
	/* media over HTTP (media.c) */
	char *http_host;  /* NULL: no media */
	uint16_t http_port;
	struct evhttp_connection *http;
	struct lc_cev_transfer *transfers; /* in flight */
	struct lc_cev_transfer *starting;  /* inside evhttp_make_request() */
};

/* media.c: cancel every transfer (no callbacks) and close HTTP. */
void lc_cev_media_free_all(struct lc_client_event *ev);

#endif
