/* Suite "client-event": the libevent driver against an in-process server
 * core listening on 127.0.0.1 (real sockets, real clock): two sessions
 * register, exchange a message, lose their connections and reconnect,
 * over TCP and over WebSocket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <sodium.h>

#include <libchat/client_event.h>
#include <libchat/server.h>

#include "testutil.h"
#include "ws.h"

#define MAX_CONNS 16

typedef struct sconn {
	struct bufferevent *bev;
	lc_server_conn *sc;
	lc_ws *ws; /* the server's WebSocket side, when S.ws */
} sconn;

typedef struct peer {
	lc_client *c;
	lc_client_event *ev;
	char dir[64];
	const char *phone;
	int ready;
	int msgs;
	char last[64];
} peer;

static struct {
	struct event_base *base;
	struct evconnlistener *lis;
	lc_server *s;
	char dir[64];
	sconn conns[MAX_CONNS];
	uint16_t port;
	int ws;      /* the listener speaks WebSocket at /v1/ws */
} S;

static uint8_t server_sk[32];

static uint64_t now_ms(void)
{
	struct timeval tv;

	event_base_gettimeofday_cached(S.base, &tv);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

/* ------------------------------------------------------ the server side */

static void srv_drop(sconn *k)
{
	if (k->bev)
		bufferevent_free(k->bev);
	if (k->sc)
		lc_server_conn_close(k->sc, now_ms());
	lc_ws_free(k->ws);
	k->bev = NULL;
	k->sc = NULL;
	k->ws = NULL;
}

static void srv_write_all(void)
{
	ck_assert_int_eq(lc_server_flush(S.s, now_ms()), 0);
	for (int i = 0; i < MAX_CONNS; i++) {
		sconn *k = &S.conns[i];
		const uint8_t *p;
		int n;

		while (k->sc && (n = lc_server_conn_send(k->sc, &p)) > 0) {
			if (k->ws)
				ck_assert_int_eq(lc_ws_write_stream(k->ws, p,
								    (size_t)n), 0);
			else
				bufferevent_write(k->bev, p, (size_t)n);
		}
		while (k->ws && (n = (int)lc_ws_send(k->ws, &p)) > 0)
			bufferevent_write(k->bev, p, (size_t)n);
	}
}

/* WebSocket bytes: the stream of their messages into the core. */
static int srv_ws_recv(sconn *k, const uint8_t *buf, size_t n)
{
	const uint8_t *p;
	size_t m;

	ck_assert_int_eq(lc_ws_recv(k->ws, buf, n), 0);
	while ((m = lc_ws_read_stream(k->ws, &p)) > 0)
		if (lc_server_conn_recv(k->sc, p, m, now_ms()) < 0)
			return -1;
	return 0;
}

static void srv_read(struct bufferevent *bev, void *arg)
{
	sconn *k = arg;
	uint8_t buf[16384];
	int n;

	while ((n = evbuffer_remove(bufferevent_get_input(bev), buf,
				    sizeof buf)) > 0)
		if ((k->ws ? srv_ws_recv(k, buf, (size_t)n)
			   : lc_server_conn_recv(k->sc, buf, (size_t)n,
						 now_ms())) < 0)
			break;
	srv_write_all();
}

static void srv_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		srv_drop(arg);
		srv_write_all();
	}
}

static void srv_accept(struct evconnlistener *l, evutil_socket_t fd,
		       struct sockaddr *sa, int len, void *arg)
{
	sconn *k = NULL;

	(void)l;
	(void)sa;
	(void)len;
	(void)arg;
	for (int i = 0; i < MAX_CONNS && k == NULL; i++)
		if (S.conns[i].sc == NULL)
			k = &S.conns[i];
	ck_assert_ptr_nonnull(k);
	k->bev = bufferevent_socket_new(S.base, fd, BEV_OPT_CLOSE_ON_FREE);
	ck_assert_int_eq(lc_server_conn_open(S.s, &k->sc, k, now_ms()), 0);
	if (S.ws) {
		const lc_ws_policy pol = { "/v1/ws", NULL };

		ck_assert_int_eq(lc_ws_server_new(&k->ws, &pol, 0), 0);
	}
	bufferevent_setcb(k->bev, srv_read, NULL, srv_event, k);
	bufferevent_enable(k->bev, EV_READ | EV_WRITE);
	srv_write_all();
}

static void srv_close_cb(lc_server_conn *c, int reason, void *ud)
{
	(void)c;
	(void)reason;
	(void)ud;
}

static const lc_server_callbacks srv_cb = {
	LC_SERVER_CONFIG_VERSION, srv_close_cb, NULL, NULL, NULL, NULL, NULL,
};

static void server_start(int ws)
{
	lc_server_config cfg;
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;

	memset(&S, 0, sizeof S);
	S.ws = ws;
	strcpy(S.dir, "/tmp/lc-clev-srv-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(S.dir));
	memset(server_sk, 0x42, sizeof server_sk);
	memset(&cfg, 0, sizeof cfg);
	cfg.version = LC_SERVER_CONFIG_VERSION;
	cfg.data_dir = S.dir;
	cfg.map_size = 64u << 20;
	cfg.static_private = server_sk;
	cfg.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
	cfg.pwhash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
	ck_assert_int_eq(lc_server_new(&S.s, &cfg, &srv_cb, NULL), 0);
	S.base = event_base_new();
	ck_assert_ptr_nonnull(S.base);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	S.lis = evconnlistener_new_bind(S.base, srv_accept, NULL,
					LEV_OPT_CLOSE_ON_FREE |
					LEV_OPT_REUSEABLE, -1,
					(struct sockaddr *)&sin, sizeof sin);
	ck_assert_ptr_nonnull(S.lis);
	ck_assert_int_eq(getsockname(evconnlistener_get_fd(S.lis),
				     (struct sockaddr *)&sin, &sl), 0);
	S.port = ntohs(sin.sin_port);
}

static void server_stop(void)
{
	char cmd[128];

	for (int i = 0; i < MAX_CONNS; i++)
		srv_drop(&S.conns[i]);
	evconnlistener_free(S.lis);
	lc_server_free(S.s);
	event_base_free(S.base);
	snprintf(cmd, sizeof cmd, "rm -rf %s", S.dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ------------------------------------------------------ the client side */

static void cl_state(int state, int reason, void *ud)
{
	peer *p = ud;

	(void)reason;
	if (state == LC_CLIENT_CONNECTED && lc_client_user_id(p->c)[0] == 0)
		ck_assert_int_eq(lc_client_register(p->c, p->phone, NULL, "P",
						    "correct horse",
						    now_ms()), 0);
	if (state == LC_CLIENT_READY)
		p->ready++;
}

static void cl_message(const lc_client_message *m, void *ud)
{
	peer *p = ud;

	p->msgs++;
	snprintf(p->last, sizeof p->last, "%s", m->text);
}

static const lc_client_callbacks cl_cb = {
	LC_CLIENT_CONFIG_VERSION, cl_state, cl_message, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL,
};

static void peer_start_on(peer *p, const char *phone, const char *ws_path)
{
	lc_client_config cfg;
	lc_client_event_config ec;

	memset(p, 0, sizeof *p);
	p->phone = phone;
	strcpy(p->dir, "/tmp/lc-clev-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(p->dir));
	memset(&cfg, 0, sizeof cfg);
	cfg.version = LC_CLIENT_CONFIG_VERSION;
	cfg.store_dir = p->dir;
	ck_assert_int_eq(lc_client_new(&p->c, &cfg, &cl_cb, p), 0);
	memset(&ec, 0, sizeof ec);
	ec.version = LC_CLIENT_EVENT_CONFIG_VERSION;
	ec.host = "127.0.0.1";
	ec.port = S.port;
	ec.backoff_min_ms = 20;
	ec.backoff_max_ms = 200;
	ec.ws_path = ws_path;
	ck_assert_int_eq(lc_client_event_new(&p->ev, S.base, p->c, &ec), 0);
	ck_assert_int_eq(lc_client_event_start(p->ev), 0);
	ck_assert_int_eq(lc_client_event_start(p->ev), LC_ERR_INVALID_STATE);
}

static void peer_start(peer *p, const char *phone)
{
	peer_start_on(p, phone, NULL);
}

static void peer_stop(peer *p)
{
	char cmd[128];

	lc_client_event_free(p->ev);
	lc_client_free(p->c);
	snprintf(cmd, sizeof cmd, "rm -rf %s", p->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Run the loop until *v reaches want, for at most 10 seconds. */
static void run_until(const int *v, int want)
{
	uint64_t end = now_ms() + 10000;
	struct timeval tick = {0, 20000};
	struct event *t = evtimer_new(S.base, tick_cb, NULL);

	while (*v < want && now_ms() < end) {
		evtimer_add(t, &tick);
		event_base_loop(S.base, EVLOOP_ONCE);
		event_base_update_cache_time(S.base);
	}
	event_free(t);
	ck_assert_int_ge(*v, want);
}

START_TEST(client_event_conversation_and_reconnect)
{
	peer a, b;

	server_start(0);
	peer_start(&a, "+15550000201");
	peer_start(&b, "+15550000202");
	run_until(&a.ready, 1);
	run_until(&b.ready, 1);
	ck_assert_int_eq(lc_client_event_connected(a.ev), 1);
	ck_assert_int_eq(lc_client_send_text(a.c, lc_client_user_id(b.c), "over tcp",
					     8, NULL, now_ms()), 0);
	lc_client_event_kick(a.ev);
	run_until(&b.msgs, 1);
	ck_assert_str_eq(b.last, "over tcp");

	/* the server drops every connection: both come back by token */
	for (int i = 0; i < MAX_CONNS; i++)
		srv_drop(&S.conns[i]);
	srv_write_all();
	run_until(&a.ready, 2);
	run_until(&b.ready, 2);
	ck_assert_int_eq(lc_client_send_text(a.c, lc_client_user_id(b.c), "again",
					     5, NULL, now_ms()), 0);
	lc_client_event_kick(a.ev);
	run_until(&b.msgs, 2);
	ck_assert_str_eq(b.last, "again");

	lc_client_event_stop(a.ev);
	ck_assert_int_eq(lc_client_event_connected(a.ev), 0);
	peer_stop(&a);
	peer_stop(&b);
	server_stop();
}
END_TEST

/* The same conversation and reconnect over WebSocket: the server's side
 * checks each upgrade, unmasks the frames and takes one Noise message per
 * binary message. */
START_TEST(client_event_websocket)
{
	peer a, b;

	server_start(1);
	peer_start_on(&a, "+15550000211", "/v1/ws");
	peer_start_on(&b, "+15550000212", "/v1/ws");
	run_until(&a.ready, 1);
	run_until(&b.ready, 1);
	for (int i = 0; i < MAX_CONNS; i++)
		ck_assert(S.conns[i].sc == NULL || lc_ws_is_open(S.conns[i].ws));
	ck_assert_int_eq(lc_client_send_text(a.c, lc_client_user_id(b.c),
					     "over ws", 7, NULL, now_ms()), 0);
	lc_client_event_kick(a.ev);
	run_until(&b.msgs, 1);
	ck_assert_str_eq(b.last, "over ws");
	for (int i = 0; i < MAX_CONNS; i++)
		srv_drop(&S.conns[i]);
	srv_write_all();
	run_until(&a.ready, 2);
	run_until(&b.ready, 2);
	ck_assert_int_eq(lc_client_send_text(b.c, lc_client_user_id(a.c),
					     "back", 4, NULL, now_ms()), 0);
	lc_client_event_kick(b.ev);
	run_until(&a.msgs, 1);
	ck_assert_str_eq(a.last, "back");
	peer_stop(&a);
	peer_stop(&b);
	server_stop();
}
END_TEST

START_TEST(client_event_bad_arguments)
{
	lc_client_event_config ec;
	lc_client_event *ev = NULL;
	char cfg_rm[64];

	memset(&ec, 0, sizeof ec);
	ck_assert_int_eq(lc_client_event_new(&ev, NULL, NULL, &ec),
			 LC_ERR_INVALID_ARG);
	{
		struct event_base *base = event_base_new();
		lc_client *c = NULL;
		lc_client_config cfg;
		char dir[] = "/tmp/lc-clev-arg-XXXXXX";

		ck_assert_ptr_nonnull(mkdtemp(dir));
		memset(&cfg, 0, sizeof cfg);
		cfg.version = LC_CLIENT_CONFIG_VERSION;
		cfg.store_dir = dir;
		ck_assert_int_eq(lc_client_new(&c, &cfg, &cl_cb, NULL), 0);
		ec.version = LC_CLIENT_EVENT_CONFIG_VERSION;
		ec.host = "127.0.0.1";
		ec.port = 1;
		ec.ws_path = "v1/ws"; /* not a path */
		ck_assert_int_eq(lc_client_event_new(&ev, base, c, &ec),
				 LC_ERR_INVALID_ARG);
		ec.ws_path = "/v1 ws";
		ck_assert_int_eq(lc_client_event_new(&ev, base, c, &ec),
				 LC_ERR_INVALID_ARG);
		ec.version = 3;
		ec.ws_path = NULL;
		ck_assert_int_eq(lc_client_event_new(&ev, base, c, &ec),
				 LC_ERR_INVALID_ARG);
		ec.version = 1; /* no ws_path read: TCP */
		ec.ws_path = "not read";
		ck_assert_int_eq(lc_client_event_new(&ev, base, c, &ec), 0);
		lc_client_event_free(ev);
		lc_client_free(c);
		event_base_free(base);
		snprintf(cfg_rm, sizeof cfg_rm, "rm -rf %s", dir);
		ck_assert_int_eq(system(cfg_rm), 0);
	}
	ck_assert_int_eq(lc_client_event_start(NULL), LC_ERR_INVALID_ARG);
	lc_client_event_free(NULL);
	lc_client_event_kick(NULL);
	lc_client_event_stop(NULL);
}
END_TEST

static Suite *client_event_suite(void)
{
	Suite *s = suite_create("client-event");
	TCase *t = tcase_create("driver");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, client_event_conversation_and_reconnect);
	tcase_add_test(t, client_event_websocket);
	tcase_add_test(t, client_event_bad_arguments);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return lc_test_run(client_event_suite());
}
