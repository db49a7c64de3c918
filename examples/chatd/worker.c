/* One worker: an event loop, an lc_server, the listeners, the timers and
 * the SIGTERM/SIGINT drain. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "conn.h"

static void accept_one(worker *w, evutil_socket_t fd, struct sockaddr *sa,
		       int len, int ws)
{
	uint8_t peer[LC_SERVER_PEER_MAX];
	size_t n = chatd_peer_key(sa, (unsigned)len, peer);

	evutil_make_socket_nonblocking(fd);
	chatd_log(LC_SERVER_LOG_DEBUG, "accepted", "fd=%d port=%d", (int)fd,
		  chatd_peer_port(sa));
	conn_accept(w, fd, ws, peer, n);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int len, void *arg)
{
	(void)l;
	accept_one(arg, fd, sa, len, 0);
}

static void on_accept_ws(struct evconnlistener *l, evutil_socket_t fd,
			 struct sockaddr *sa, int len, void *arg)
{
	(void)l;
	accept_one(arg, fd, sa, len, 1);
}

static void arm_timer(worker *w)
{
	uint64_t exp = lc_server_get_expiry(w->srv), now = chatd_now_ms();
	struct timeval tv = { 0, 0 };

	if (exp == UINT64_MAX) {
		evtimer_del(w->timer_ev);
		return;
	}
	if (exp > now) {
		tv.tv_sec = (time_t)((exp - now) / 1000);
		tv.tv_usec = (suseconds_t)((exp - now) % 1000 * 1000);
	}
	evtimer_add(w->timer_ev, &tv);
}

/* The end of a turn: commit, then release every touched connection's
 * output. Runs after the reads that activated it. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	worker *w = arg;
	int rc = lc_server_flush(w->srv, chatd_now_ms());
	uint64_t start = w->turn_start_us;

	(void)fd;
	(void)what;
	w->turn_start_us = 0;
	if (rc != 0)
		chatd_log(LC_SERVER_LOG_ERROR, "commit_failed",
			  "code=%d err=\"%s\"", rc, lc_strerror(rc));
	chatd_sib_flush(); /* after the commit: siblings read what it wrote */
	while (w->touched)
		conn_pump(w->touched);
	if (start)
		chatd_metrics_turn(conn_now_us() - start, rc);
	chatd_metrics_publish();
	if (!w->draining)
		arm_timer(w);
}

static void end_turn(void *arg)
{
	on_flush(-1, 0, arg);
}

/* Sibling notices were fed to the core: end this turn with a flush. */
static void kick(void *arg)
{
	worker *w = arg;

	event_active(w->flush_ev, 0, 0);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	worker *w = arg;
	int rc = lc_server_handle_expiry(w->srv, chatd_now_ms());

	(void)fd;
	(void)what;
	if (rc != 0)
		chatd_log(LC_SERVER_LOG_WARN, "expiry_failed", "code=%d", rc);
	event_active(w->flush_ev, 0, 0);
}

static void finish_all(worker *w)
{
	while (w->conns)
		conn_finish(w->conns);
	lc_server_flush(w->srv, chatd_now_ms());
	event_base_loopexit(w->base, NULL);
}

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish_all(arg);
}

/* While draining, the loop ends once every connection has written out. */
static void check_drained(evutil_socket_t fd, short what, void *arg)
{
	worker *w = arg;

	(void)fd;
	(void)what;
	if (w->conns == NULL) {
		finish_all(w);
		return;
	}
	for (conn *c = w->conns, *n; c; c = n) {
		n = c->next;
		conn_pump(c);
	}
	if (w->conns == NULL)
		finish_all(w);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	worker *w = arg;
	struct timeval tv;
	uint64_t ms = w->cfg->drain_timeout_ms;

	unsigned open = 0;

	(void)what;
	if (w->draining)
		return;
	for (conn *c = w->conns; c; c = c->next)
		open++;
	chatd_log(LC_SERVER_LOG_INFO, "draining", "signal=%d conns_open=%u",
		  (int)sig, open);
	w->draining = 1;
	/* closed, not disabled: with SO_REUSEPORT the kernel would still
	 * hand this socket new connections nobody accepts */
	evconnlistener_free(w->listener);
	w->listener = NULL;
	if (w->ws_listener) {
		evconnlistener_free(w->ws_listener);
		w->ws_listener = NULL;
	}
	evtimer_del(w->timer_ev);
	on_flush(-1, 0, w);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
	evtimer_add(w->drain_ev, &tv);
	/* Re-check on every turn: a persistent zero timer would spin, so
	 * poll every 10 ms instead. */
	struct timeval p = { 0, 10000 };

	w->drain_poll = event_new(w->base, -1, EV_PERSIST, check_drained, w);
	if (w->drain_poll)
		event_add(w->drain_poll, &p);
	check_drained(-1, 0, w);
}

/* ---- core callbacks: mark only, never re-enter the core */

static void cb_close(lc_server_conn *sc, int reason, void *ud)
{
	conn *c = lc_server_conn_user_data(sc);

	(void)ud;
	if (!c->reason)
		c->reason = reason;
	conn_touch(c);
}

static void cb_want_write(lc_server_conn *sc, void *ud)
{
	(void)ud;
	conn_touch(lc_server_conn_user_data(sc));
}

static void cb_push(const char *user, uint32_t dev, const char *sender,
		    uint32_t sdev, const uint8_t mid[LC_SERVER_ID_LEN],
		    void *ud)
{
	worker *w = ud;

	chatd_push_notify(w->push, user, dev, sender, sdev, mid);
}

static void cb_queued(const char *user, uint32_t dev, void *ud)
{
	(void)ud;
	chatd_sib_queued(user, dev);
}

static void cb_device(const char *user, uint32_t dev, int online, void *ud)
{
	(void)ud;
	chatd_sib_device(user, dev, online);
}

/* The core's message as one quoted value: no quotes, no line breaks. */
static void cb_log(int level, const char *msg, void *ud)
{
	char clean[512];
	size_t i;

	(void)ud;
	for (i = 0; msg[i] && i < sizeof clean - 1; i++) {
		unsigned char ch = (unsigned char)msg[i];

		clean[i] = ch == '"' ? '\'' : ch < 0x20 || ch == 0x7f ? ' '
									: (char)ch;
	}
	clean[i] = '\0';
	chatd_log(level, "core", "msg=\"%s\"", clean);
}

static int open_server(worker *w, const uint8_t *key)
{
	const chatd_config *cfg = w->cfg;
	lc_server_config sc;
	lc_server_callbacks cb = { LC_SERVER_CONFIG_VERSION, cb_close,
				   cb_want_write, cb_push, cb_log,
				   cb_queued, cb_device };
	int rc;

	memset(&sc, 0, sizeof sc);
	sc.version = LC_SERVER_CONFIG_VERSION;
	sc.data_dir = cfg->data;
	sc.static_private = key;
	sc.map_size = cfg->map_size_mb * 1024 * 1024;
	sc.idle_timeout_ms = cfg->idle_timeout_ms;
	sc.token_lifetime_ms = cfg->token_lifetime_ms;
	sc.rate_per_minute = cfg->rate_per_minute;
	sc.min_password_len = cfg->min_password_len;
	sc.max_group_members = cfg->max_group_members;
	sc.pwhash_opslimit = cfg->pwhash_opslimit;
	sc.pwhash_memlimit = (size_t)cfg->pwhash_memlimit;
	sc.media_max_size = cfg->media_max_size;
	/* chatd's 0 means no limit; the core's 0 means its default */
	sc.register_per_hour = cfg->register_per_hour ? cfg->register_per_hour
						      : LC_SERVER_LIMIT_OFF;
	sc.login_failures_per_hour = cfg->login_failures_per_hour
					     ? cfg->login_failures_per_hour
					     : LC_SERVER_LIMIT_OFF;
	rc = lc_server_new(&w->srv, &sc, &cb, w);
	if (rc == 0)
		chatd_metrics_server(w->srv);
	if (rc != 0)
		chatd_log(LC_SERVER_LOG_ERROR, "store_open_failed",
			  "dir=%s code=%d err=\"%s\"", cfg->data, rc,
			  lc_strerror(rc));
	return rc;
}

static int setup(worker *w, const uint8_t *key, int frame_fd, int http_fd,
		 int ws_fd)
{
	w->base = event_base_new();
	if (w->base == NULL || open_server(w, key) != 0)
		return -1;
	w->flush_ev = event_new(w->base, -1, 0, on_flush, w);
	w->timer_ev = evtimer_new(w->base, on_timer, w);
	w->drain_ev = evtimer_new(w->base, on_drain_timeout, w);
	w->sig_term = evsignal_new(w->base, SIGTERM, on_signal, w);
	w->sig_int = evsignal_new(w->base, SIGINT, on_signal, w);
	w->listener = evconnlistener_new(w->base, on_accept, w,
					 LEV_OPT_CLOSE_ON_FREE, -1, frame_fd);
	if (!w->flush_ev || !w->timer_ev || !w->drain_ev || !w->sig_term ||
	    !w->sig_int || !w->listener)
		return -1;
	if (ws_fd >= 0 &&
	    (w->ws_listener = evconnlistener_new(w->base, on_accept_ws, w,
						 LEV_OPT_CLOSE_ON_FREE, -1,
						 ws_fd)) == NULL)
		return -1;
	event_add(w->sig_term, NULL);
	event_add(w->sig_int, NULL);
	if (chatd_push_new(&w->push, w->base, w->cfg) != 0)
		return -1;
	if (chatd_sib_start(w->base, w->index, w->srv, kick, w) != 0)
		return -1;
	if (chatd_media_new(&w->media, w->base, w->cfg, w->srv, end_turn,
			    w) != 0)
		return -1;
	return chatd_http_start(w->base, w->cfg, w->media, http_fd, &w->http);
}

static void teardown(worker *w)
{
	while (w->conns)
		conn_finish(w->conns);
	chatd_sib_flush(); /* siblings learn of the closed connections */
	chatd_sib_stop();
	if (w->http)
		chatd_http_free(w->http);
	chatd_media_free(w->media);
	if (w->listener)
		evconnlistener_free(w->listener);
	if (w->ws_listener)
		evconnlistener_free(w->ws_listener);
	chatd_push_free(w->push);
	chatd_metrics_server(NULL);
	lc_server_free(w->srv);
	if (w->flush_ev)
		event_free(w->flush_ev);
	if (w->timer_ev)
		event_free(w->timer_ev);
	if (w->drain_ev)
		event_free(w->drain_ev);
	if (w->drain_poll)
		event_free(w->drain_poll);
	if (w->sig_term)
		event_free(w->sig_term);
	if (w->sig_int)
		event_free(w->sig_int);
	if (w->base)
		event_base_free(w->base);
}

int chatd_worker_run(const chatd_config *cfg, const uint8_t *key,
		     unsigned index, int frame_fd, int http_fd, int ws_fd)
{
	worker w;

	memset(&w, 0, sizeof w);
	w.cfg = cfg;
	w.index = index;
	chatd_log_init(cfg->log_level, index);
	chatd_metrics_attach(index);
	signal(SIGPIPE, SIG_IGN);
	if (setup(&w, key, frame_fd, http_fd, ws_fd) != 0) {
		teardown(&w);
		return 1;
	}
	if (ws_fd >= 0)
		chatd_log(LC_SERVER_LOG_INFO, "worker_ready",
			  "pid=%ld frames=%d http=%d ws=%d path=%s",
			  (long)getpid(), chatd_sock_port(frame_fd),
			  chatd_sock_port(http_fd), chatd_sock_port(ws_fd),
			  cfg->ws_path);
	else
		chatd_log(LC_SERVER_LOG_INFO, "worker_ready",
			  "pid=%ld frames=%d http=%d", (long)getpid(),
			  chatd_sock_port(frame_fd), chatd_sock_port(http_fd));
	event_base_dispatch(w.base);
	teardown(&w);
	chatd_log(LC_SERVER_LOG_INFO, "worker_stopped", NULL);
	return 0;
}
