/* A worker and its frame connections. */
#ifndef CHATD_CONN_H
#define CHATD_CONN_H

#include "chatd.h"
#include "ws.h"

typedef struct conn conn;

typedef struct worker {
	struct event_base *base;
	const chatd_config *cfg;
	lc_server *srv;
	chatd_push *push;
	chatd_media *media;
	struct evconnlistener *listener;
	struct evconnlistener *ws_listener; /* NULL: no WebSocket listener */
	chatd_http *http;
	struct event *flush_ev, *timer_ev, *drain_ev, *drain_poll, *sig_term, *sig_int;
	conn *conns;            /* every open connection */
	conn *touched;          /* connections to pump after this turn */
	uint64_t turn_start_us; /* first input of the turn; 0: none */
	int draining;
	int exit_code;
	unsigned index;         /* among the workers, from 0 */
} worker;

struct conn {
	worker *w;
	int fd;
	lc_server_conn *sc;
	lc_ws *ws;    /* WebSocket framing; NULL on the TCP listener */
	struct event *rd, *wr;
	struct event *linger; /* set once closing: the last output's deadline */
	struct evbuffer *out;
	int eof;      /* the peer hung up or the socket failed */
	int reason;   /* why it closes (LC_ERR_*), 0 while none */
	int touched;
	int finishing; /* inside conn_finish() */
	int paused;  /* not read: its output is over max_conn_output */
	conn *prev, *next;   /* worker->conns */
	conn *tprev, *tnext; /* worker->touched */
};

/* A connection from the frame listener, or (ws) the WebSocket one, from
 * peer (the source address as the core's limits group it). */
void conn_accept(worker *w, int fd, int ws, const uint8_t *peer,
		 size_t peer_len);
void conn_touch(conn *c);
void conn_pump(conn *c);
void conn_finish(conn *c);
uint64_t conn_now_us(void);

#endif
