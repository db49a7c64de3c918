/* Frame connections: socket bytes into lc_server_conn_recv(), the core's
 * output out through an evbuffer, closed when the core and the socket are
 * both done. Core callbacks only mark a connection (conn_touch); the work
 * happens after the turn's lc_server_flush(). A WebSocket connection is
 * the same to the core: its lc_ws only turns messages into the stream the
 * core reads and the core's stream into messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include <libchat/frame.h>

#include "conn.h"

#define READ_CHUNK 16384
#define READS_PER_EVENT 4

uint64_t conn_now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

void conn_touch(conn *c)
{
	worker *w = c->w;

	if (c->touched || c->finishing)
		return;
	c->touched = 1;
	c->tprev = NULL;
	c->tnext = w->touched;
	if (w->touched)
		w->touched->tprev = c;
	w->touched = c;
}

static void untouch(conn *c)
{
	if (!c->touched)
		return;
	if (c->tprev)
		c->tprev->tnext = c->tnext;
	else
		c->w->touched = c->tnext;
	if (c->tnext)
		c->tnext->tprev = c->tprev;
	c->touched = 0;
}

static void turn_started(worker *w)
{
	if (w->turn_start_us == 0)
		w->turn_start_us = conn_now_us();
	event_active(w->flush_ev, 0, 0);
}

/* Close the socket and the core's connection; frees c. */
void conn_finish(conn *c)
{
	worker *w = c->w;

	/* the core may call back for c while it closes: ignore those */
	c->finishing = 1;
	lc_server_conn_close(c->sc, chatd_now_ms());
	untouch(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	chatd_log(LC_SERVER_LOG_DEBUG, "conn_closed", "fd=%d reason=%d", c->fd,
		  c->reason);
	chatd_metrics_closed(c->reason);
	chatd_metrics_conn(-1);
	event_free(c->rd);
	event_free(c->wr);
	lc_ws_free(c->ws);
	if (c->linger)
		event_free(c->linger);
	evbuffer_free(c->out);
	close(c->fd);
	free(c);
	turn_started(w); /* the close fed the core: flush */
}

/* WebSocket bytes: the messages' stream into the core. The stream
 * taken before a WebSocket error still reaches the core. */
static int ws_feed(conn *c, const uint8_t *buf, size_t n)
{
	int had = lc_ws_http_status(c->ws) != 0;
	int rc = lc_ws_recv(c->ws, buf, n), rc2 = 0;
	const uint8_t *p;
	size_t k;

	if (!had && lc_ws_http_status(c->ws))
		chatd_metrics_ws(lc_ws_http_status(c->ws));
	while (rc2 == 0 && (k = lc_ws_read_stream(c->ws, &p)) > 0)
		rc2 = lc_server_conn_recv(c->sc, p, k, chatd_now_ms());
	if (rc < 0 && !lc_ws_is_open(c->ws))
		chatd_log(LC_SERVER_LOG_INFO, "ws_upgrade_refused",
			  "fd=%d status=%d code=%d err=\"%s\"", c->fd,
			  lc_ws_http_status(c->ws), rc, lc_strerror(rc));
	return rc2 ? rc2 : rc;
}

/* The close code a WebSocket connection ends with. */
static uint16_t ws_close_code(const conn *c)
{
	if (c->w->draining)
		return 1001; /* going away */
	switch (c->reason) {
	case 0:
	case LC_ERR_CLOSED:
	case LC_ERR_TIMEOUT:
		return LC_WS_CLOSE_NORMAL;
	case LC_ERR_FRAME_TOO_LARGE:
		return LC_WS_CLOSE_TOO_BIG;
	default:
		return LC_WS_CLOSE_PROTOCOL;
	}
}

/* Core output into WebSocket messages; once the core has nothing more to
 * say, the close frame; then the socket bytes into c->out. */
static void ws_pump(conn *c, const uint8_t *d, size_t n)
{
	const uint8_t *p;
	size_t k;
	int rc = n ? lc_ws_write_stream(c->ws, d, n) : 0;

	if (rc < 0 && !c->reason)
		c->reason = rc; /* the output is dropped: the socket closes */
	if (n == 0 && !lc_server_conn_want_write(c->sc) &&
	    (c->reason || c->w->draining || !lc_server_conn_want_read(c->sc)))
		lc_ws_close(c->ws, ws_close_code(c));
	while ((k = lc_ws_send(c->ws, &p)) > 0)
		evbuffer_add(c->out, p, k);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	conn *c = arg;
	uint8_t buf[READ_CHUNK];

	(void)what;
	for (int i = 0; i < READS_PER_EVENT && !c->eof && !c->reason; i++) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		int rc;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			c->eof = 1;
			break;
		}
		chatd_metrics_bytes((uint64_t)n, 0);
		turn_started(c->w);
		rc = c->ws ? ws_feed(c, buf, (size_t)n)
			   : lc_server_conn_recv(c->sc, buf, (size_t)n,
						 chatd_now_ms());
		if (rc < 0) {
			c->reason = rc;
			/* a WebSocket peer's close frame is a hang-up */
			chatd_log(rc == LC_ERR_CLOSED ? LC_SERVER_LOG_DEBUG
						      : LC_SERVER_LOG_INFO,
				  "conn_error",
				  "fd=%d code=%d err=\"%s\"", c->fd, rc,
				  lc_strerror(rc));
		}
	}
	if (c->eof || c->reason) {
		event_del(c->rd);
		turn_started(c->w);
	}
	conn_touch(c);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_pump(arg);
}

static void on_linger(evutil_socket_t fd, short what, void *arg)
{
	conn *c = arg;

	(void)fd;
	(void)what;
	chatd_log(LC_SERVER_LOG_DEBUG, "conn_linger_expired", "fd=%d", c->fd);
	conn_finish(c);
}

/* A closing connection whose peer does not take its last output is
 * dropped after drain_timeout_ms. */
static int linger(conn *c)
{
	uint64_t ms = c->w->cfg->drain_timeout_ms;
	struct timeval tv = { (time_t)(ms / 1000),
			      (suseconds_t)(ms % 1000 * 1000) };

	c->linger = evtimer_new(c->w->base, on_linger, c);
	if (c->linger == NULL || evtimer_add(c->linger, &tv) != 0) {
		conn_finish(c);
		return -1;
	}
	return 0;
}

/* Take the core's output, write what the socket accepts, and close when
 * nothing more can come or go. */
void conn_pump(conn *c)
{
	size_t cap = (size_t)c->w->cfg->max_conn_output;
	int n;

	untouch(c);
	if (c->eof) {
		conn_finish(c);
		return;
	}
	while (evbuffer_get_length(c->out) < cap) {
		const uint8_t *d;

		n = lc_server_conn_send(c->sc, &d);
		if (n <= 0) {
			if (n < 0 && !c->reason)
				c->reason = n;
			break;
		}
		if (c->ws)
			ws_pump(c, d, (size_t)n);
		else
			evbuffer_add(c->out, d, (size_t)n);
	}
	if (c->ws)
		ws_pump(c, NULL, 0);
	while (evbuffer_get_length(c->out)) {
		int w = evbuffer_write(c->out, c->fd);

		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (w <= 0) {
			c->eof = 1;
			conn_finish(c);
			return;
		}
		chatd_metrics_bytes(0, (uint64_t)w);
	}
	int more = evbuffer_get_length(c->out) != 0 ||
		   lc_server_conn_want_write(c->sc) ||
		   (c->ws && lc_ws_want_write(c->ws));
	int reads = !c->reason && lc_server_conn_want_read(c->sc) &&
		    (!c->ws || lc_ws_want_read(c->ws));

	if (!more && (!reads || c->w->draining)) {
		conn_finish(c);
		return;
	}
	if (more)
		event_add(c->wr, NULL);
	else
		event_del(c->wr);
	if (!reads && c->linger == NULL && linger(c) != 0)
		return; /* c is gone */
	/* back-pressure: a peer that does not read stops being read */
	if (reads && !c->w->draining && evbuffer_get_length(c->out) < cap) {
		event_add(c->rd, NULL);
		c->paused = 0;
	} else {
		event_del(c->rd);
		if (reads && !c->paused && !c->w->draining)
			chatd_metrics_paused();
		c->paused = reads;
	}
}

void conn_accept(worker *w, int fd, int ws, const uint8_t *peer,
		 size_t peer_len)
{
	conn *c = calloc(1, sizeof *c);
	lc_ws_policy pol = { w->cfg->ws_path, w->cfg->ws_origins };
	int rc = 0;

	if (c == NULL) {
		close(fd);
		return;
	}
	c->w = w;
	c->fd = fd;
	c->out = evbuffer_new();
	c->rd = event_new(w->base, fd, EV_READ | EV_PERSIST, on_read, c);
	c->wr = event_new(w->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
	if (ws)
		rc = lc_ws_server_new(&c->ws, &pol, LC_FRAME_MAX);
	if (rc == 0)
		rc = c->out && c->rd && c->wr ?
		     lc_server_conn_open_peer(w->srv, &c->sc, peer, peer_len,
					      c, chatd_now_ms()) :
		     LC_ERR_NOMEM;
	if (rc != 0) {
		chatd_log(LC_SERVER_LOG_WARN, "conn_refused", "code=%d err=\"%s\"",
			  rc, lc_strerror(rc));
		if (c->rd)
			event_free(c->rd);
		if (c->wr)
			event_free(c->wr);
		if (c->out)
			evbuffer_free(c->out);
		lc_ws_free(c->ws);
		close(fd);
		free(c);
		return;
	}
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	chatd_metrics_conn(1);
	chatd_log(LC_SERVER_LOG_DEBUG, "conn_open", "fd=%d transport=%s", fd,
		  ws ? "ws" : "tcp");
	event_add(c->rd, NULL);
	conn_pump(c); /* the server's prologue */
}
