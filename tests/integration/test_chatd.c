/* Integration: real chatd processes and sockets on 127.0.0.1. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sodium.h>

#include "tclient.h"

#define DELIVER LIBCHAT__ENVELOPE__BODY_DELIVER
#define RECEIPT LIBCHAT__ENVELOPE__BODY_RECEIPT

static tchatd D;
static unsigned phone_seq;

static void start(const char *const *extra)
{
	ck_assert_int_eq(tchatd_start(&D, "", extra), 0);
}

static void stop(void)
{
	ck_assert_int_eq(tchatd_stop(&D), 0);
	tchatd_cleanup(&D);
}

/* A registered client with keys. */
static tclient *user(void)
{
	char phone[32];
	tclient *t = tc_connect(D.port, NULL, NULL);

	ck_assert_ptr_nonnull(t);
	snprintf(phone, sizeof phone, "+1555%07u%02u", phone_seq++,
		 (unsigned)getpid() % 100);
	ck_assert_int_eq(tc_register(t, phone, "correct horse"), 0);
	ck_assert_int_eq(tc_keys_upload(t), 0);
	return t;
}

/* a -> b, Deliver checked and acked, Receipt{DELIVERED} back to a. */
static void exchange(tclient *a, tclient *b, const char *text)
{
	uint8_t mid[16];
	lc_envelope *d, *r;

	randombytes_buf(mid, sizeof mid);
	ck_assert_int_eq(tc_message(a, mid, b->uid, b->dev, text), 0);
	d = tc_wait(b, DELIVER, 0, 5000);
	ck_assert_ptr_nonnull(d);
	ck_assert_mem_eq(d->deliver->message_id.data, mid, 16);
	ck_assert_str_eq(d->deliver->from->user_id, a->uid);
	ck_assert_uint_eq(d->deliver->from->device_id, a->dev);
	ck_assert_uint_eq(d->deliver->body.len, strlen(text));
	ck_assert_mem_eq(d->deliver->body.data, text, strlen(text));
	ck_assert_int_eq(tc_ack(b, d), 0);
	lc_envelope_free(d, NULL);
	r = tc_wait(a, RECEIPT, 0, 5000);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->receipt->type,
			 LIBCHAT__RECEIPT_TYPE__RECEIPT_DELIVERED);
	ck_assert_uint_eq(r->receipt->n_message_ids, 1);
	ck_assert_mem_eq(r->receipt->message_ids[0].data, mid, 16);
	ck_assert_int_eq(tc_ack(a, r), 0);
	lc_envelope_free(r, NULL);
}

/* Scrape /metrics until every line of want is in it (the server may
 * still be handling the last acks), at most about 5 s. */
static int metrics_reach(const char *const *want, char *body, size_t cap)
{
	for (int tries = 0; tries < 250; tries++) {
		size_t i = 0;

		ck_assert_int_eq(thttp(D.http_port, "GET", "/metrics", NULL,
				       NULL, 0, body, cap), 200);
		while (want[i] && strstr(body, want[i]))
			i++;
		if (want[i] == NULL)
			return 1;
		usleep(20000);
	}
	return 0;
}

static int print_key(const char *dir, char hex[65])
{
	char cmd[600];
	FILE *p;
	int ok;

	snprintf(cmd, sizeof cmd, "'%s' --print-key --data '%s'",
		 getenv("CHATD"), dir);
	p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	ok = fscanf(p, "%64s", hex) == 1;
	return pclose(p) == 0 && ok ? 0 : -1;
}

START_TEST(test_start_key_health_metrics)
{
	static const char *const before[] = {
		"# TYPE chatd_messages_total counter\n",
		"\nchatd_messages_total{kind=\"direct\"} 0\n",
		"\nchatd_message_copies_total{route=\"live\"} 0\n",
		"# TYPE chatd_queue_depth gauge\n",
		"\nchatd_queue_depth 0\n",
		"\nchatd_errors_total 0\n",
		"# TYPE chatd_connections_authenticated gauge\n",
		"\nchatd_connections_authenticated 0\n",
		"# TYPE chatd_message_sent_latency_seconds histogram\n",
		"\nchatd_message_sent_latency_seconds_count 0\n",
		"# TYPE chatd_message_delivery_latency_seconds histogram\n",
		"\nchatd_message_delivery_latency_seconds_bucket{le=\"0.001\"} 0\n",
		"\nchatd_message_delivery_latency_seconds_count 0\n", NULL
	};
	static const char *const after[] = {
		"\nchatd_messages_total{kind=\"direct\"} 1\n",
		"\nchatd_messages_total{kind=\"group\"} 0\n",
		"\nchatd_message_copies_total{route=\"live\"} 1\n",
		"\nchatd_message_copies_total{route=\"offline\"} 0\n",
		"\nchatd_message_copies_acked_total 1\n",
		"\nchatd_queue_depth 0\n",
		"\nchatd_errors_total 1\n",
		"\nchatd_errors_by_class_total{class=\"not_found\"} 1\n",
		"\nchatd_connections_authenticated 2\n",
		/* the refused Send is not counted */
		"\nchatd_message_sent_latency_seconds_bucket{le=\"+Inf\"} 1\n",
		"\nchatd_message_sent_latency_seconds_count 1\n",
		"\nchatd_message_delivery_latency_seconds_bucket{le=\"+Inf\"} 1\n",
		"\nchatd_message_delivery_latency_seconds_count 1\n", NULL
	};
	char hex[65], body[32768];
	uint8_t pub[32], mid[16];
	tclient *t, *a, *b;

	start(NULL);
	ck_assert_int_eq(print_key(D.dir, hex), 0);
	ck_assert_uint_eq(strlen(hex), 64);
	ck_assert_int_eq(sodium_hex2bin(pub, 32, hex, 64, NULL, NULL, NULL), 0);
	/* a client pinning the printed key runs IK: only the holder of the
	 * matching private key completes it */
	t = tc_connect(D.port, pub, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(lc_noise_conn_pattern(t->nc), LC_NOISE_CONN_IK);
	ck_assert_int_eq(thttp(D.http_port, "GET", "/healthz", NULL, NULL, 0,
			       body, sizeof body), 200);
	ck_assert_str_eq(body, "ok\n");
	ck_assert_int_eq(thttp(D.http_port, "GET", "/metrics", NULL, NULL, 0,
			       body, sizeof body), 200);
	ck_assert_ptr_nonnull(strstr(body, "\nchatd_connections_open 1\n"));
	ck_assert_ptr_nonnull(strstr(body, "# TYPE chatd_turn_duration_seconds"
					   " histogram"));
	ck_assert_ptr_nonnull(strstr(body, "chatd_turn_duration_seconds_bucket"
					   "{le=\"+Inf\"}"));
	for (size_t i = 0; before[i]; i++)
		ck_assert_msg(strstr(body, before[i]), "no %s", before[i]);
	/* the core's counters move with a message exchange and an error */
	a = user();
	b = user();
	exchange(a, b, "counted");
	randombytes_buf(mid, sizeof mid);
	ck_assert_int_eq(tc_message(a, mid, "nobody", 1, "lost"),
			 LC_ERR_NO_SUCH_USER);
	ck_assert_msg(metrics_reach(after, body, sizeof body),
		      "metrics after an exchange:\n%s", body);
	tc_free(a);
	tc_free(b);
	ck_assert_int_eq(thttp(D.http_port, "GET", "/nope", NULL, NULL, 0,
			       body, sizeof body), 404);
	/* SIGTERM with a client connected: exit 0, the client sees the end */
	stop();
	ck_assert(tc_wait_closed(t, 2000));
	tc_free(t);
}
END_TEST

static int run_status(const char *args)
{
	char cmd[800];
	int st;

	snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", getenv("CHATD"),
		 args);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_config)
{
	char path[] = "/tmp/chatd-conf-XXXXXX", args[400];
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fprintf(f, "# comment\nlisten = 127.0.0.1:0\n\nbogus_key = 1\n");
	fclose(f);
	ck_assert_int_eq(run_status("--help"), 0);
	ck_assert_int_eq(run_status("--no-such-flag 1"), 2);
	ck_assert_int_eq(run_status("--workers many"), 2);
	ck_assert_int_eq(run_status("--push carrier-pigeon"), 2);
	snprintf(args, sizeof args, "--config %s", path);
	ck_assert_int_eq(run_status(args), 2);
	unlink(path);
}
END_TEST

static char *slurp(const char *rel)
{
	char path[1024];
	FILE *f;
	char *buf = calloc(1, 1 << 16);

	snprintf(path, sizeof path, "%s/%s", getenv("LC_SOURCE_ROOT"), rel);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_ptr_nonnull(buf);
	buf[0] = '\n';
	fread(buf + 1, 1, (1 << 16) - 2, f);
	fclose(f);
	return buf;
}

/* Every key --help lists is in the example file (with its default) and
 * in the operations table; the example file parses. */
START_TEST(test_config_documented)
{
	char cmd[600], line[512], want[160];
	char *conf = slurp("examples/chatd/chatd.conf");
	char *ops = slurp("doc/operations.md");
	int in_keys = 0, n = 0;
	FILE *p;

	snprintf(cmd, sizeof cmd, "'%s' --config '%s/examples/chatd/chatd.conf'"
		 " --help", getenv("CHATD"), getenv("LC_SOURCE_ROOT"));
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof line, p)) {
		char key[64], def[64];

		if (strncmp(line, "Configuration keys", 18) == 0) {
			in_keys = 1;
			continue;
		}
		if (!in_keys || sscanf(line, " %63s default %63s", key, def) != 2)
			continue;
		if (strcmp(def, "\"\"") == 0)
			snprintf(want, sizeof want, "\n%s =\n", key);
		else
			snprintf(want, sizeof want, "\n%s = %s\n", key, def);
		ck_assert_msg(strstr(conf, want), "chatd.conf lacks \"%s\"",
			      want + 1);
		snprintf(want, sizeof want, "| `%s` |", key);
		ck_assert_msg(strstr(ops, want), "operations.md lacks %s", key);
		n++;
	}
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_int_ge(n, 15);
	free(conf);
	free(ops);
}
END_TEST

START_TEST(test_exchange_and_receipts)
{
	tclient *a, *b;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *r;
	Libchat__Receipt rc = LIBCHAT__RECEIPT__INIT;
	Libchat__Address peer = LIBCHAT__ADDRESS__INIT;
	uint8_t mid[16];
	ProtobufCBinaryData ids[1];

	start(NULL);
	a = user();
	b = user();
	exchange(a, b, "hello b");
	exchange(b, a, "hello a");
	/* b reads a's next message: Receipt{READ} routed to a */
	randombytes_buf(mid, 16);
	ck_assert_int_eq(tc_message(a, mid, b->uid, b->dev, "read me"), 0);
	r = tc_wait(b, DELIVER, 0, 5000);
	ck_assert_ptr_nonnull(r);
	tc_ack(b, r);
	lc_envelope_free(r, NULL);
	r = tc_wait(a, RECEIPT, 0, 5000); /* delivered */
	ck_assert_ptr_nonnull(r);
	tc_ack(a, r);
	lc_envelope_free(r, NULL);
	peer.user_id = a->uid;
	peer.device_id = a->dev;
	ids[0].data = mid;
	ids[0].len = 16;
	rc.type = LIBCHAT__RECEIPT_TYPE__RECEIPT_READ;
	rc.peer = &peer;
	rc.n_message_ids = 1;
	rc.message_ids = ids;
	e.body_case = RECEIPT;
	e.receipt = &rc;
	r = tc_answer(b, tc_send(b, &e), 5000);
	ck_assert_int_eq(tc_code(r), 0);
	lc_envelope_free(r, NULL);
	r = tc_wait(a, RECEIPT, 0, 5000);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->receipt->type, LIBCHAT__RECEIPT_TYPE__RECEIPT_READ);
	ck_assert_str_eq(r->receipt->peer->user_id, b->uid);
	ck_assert_mem_eq(r->receipt->message_ids[0].data, mid, 16);
	lc_envelope_free(r, NULL);
	tc_free(a);
	tc_free(b);
	stop();
}
END_TEST

/* An Envelope that does not parse, encrypted properly. */
static void attack_malformed(void)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x42 };
	tclient *x = tc_connect(D.port, NULL, NULL);
	lc_envelope *err;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(tc_send_payload(x, junk, sizeof junk), 0);
	err = tc_wait(x, LIBCHAT__ENVELOPE__BODY_ERROR, 0, 5000);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_eq(err->error->code, LIBCHAT__ERROR_CODE__ERROR_MALFORMED);
	lc_envelope_free(err, NULL);
	ck_assert(tc_wait_closed(x, 5000));
	tc_free(x);
}

/* The largest frame the length prefix allows, that fails to decrypt. */
static void attack_oversize(void)
{
	static uint8_t big[2 + 65535];
	tclient *x = tc_connect(D.port, NULL, NULL);

	ck_assert_ptr_nonnull(x);
	big[0] = 0xff;
	big[1] = 0xff;
	randombytes_buf(big + 2, sizeof big - 2);
	tc_send_raw(x, big, sizeof big);
	ck_assert(tc_wait_closed(x, 5000));
	tc_free(x);
}

/* Not the protocol at all: an HTTP request on the frame port. The
 * server answers its prologue, then must hang up. */
static void attack_garbage(void)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct sockaddr_in sa = { 0 };
	struct pollfd pfd;
	uint8_t buf[256];
	int fd = socket(AF_INET, SOCK_STREAM, 0), eof = 0;

	ck_assert_int_ge(fd, 0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)D.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(send(fd, req, sizeof req - 1, MSG_NOSIGNAL),
			 (ssize_t)(sizeof req - 1));
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!eof && poll(&pfd, 1, 5000) > 0)
		eof = recv(fd, buf, sizeof buf, 0) <= 0;
	ck_assert(eof);
	close(fd);
}

/* Requests before login get AUTH_REQUIRED; the connection stays. */
static void attack_before_login(tclient *victim)
{
	tclient *x = tc_connect(D.port, NULL, NULL);
	uint8_t mid[16];
	uint64_t rid;
	lc_envelope *a;

	ck_assert_ptr_nonnull(x);
	randombytes_buf(mid, 16);
	rid = tc_send_msg(x, mid, victim->uid, victim->dev, "spoof");
	a = tc_answer(x, rid, 5000);
	ck_assert_int_eq(tc_code(a), -LIBCHAT__ERROR_CODE__ERROR_AUTH_REQUIRED);
	lc_envelope_free(a, NULL);
	/* and a token login with the victim's id but no token fails */
	{
		uint8_t fake[32];

		randombytes_buf(fake, 32);
		ck_assert_int_eq(tc_login_token(x, victim->uid, victim->dev,
						fake),
				 -LIBCHAT__ERROR_CODE__ERROR_AUTH_FAILED);
	}
	tc_free(x);
}

/* A token replayed after logout is refused; nothing else changes. */
static void attack_token_replay(void)
{
	tclient *x = user(), *y;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *a;
	Libchat__Logout lo = LIBCHAT__LOGOUT__INIT;
	char uid[65];
	uint8_t tok[32], sk[32];
	uint32_t dev = x->dev;

	snprintf(uid, sizeof uid, "%s", x->uid);
	memcpy(tok, x->token, 32);
	memcpy(sk, x->sk, 32);
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGOUT;
	e.logout = &lo;
	a = tc_answer(x, tc_send(x, &e), 5000);
	ck_assert_int_eq(tc_code(a), 0);
	lc_envelope_free(a, NULL);
	tc_free(x);
	y = tc_connect(D.port, NULL, sk);
	ck_assert_ptr_nonnull(y);
	ck_assert_int_eq(tc_login_token(y, uid, dev, tok),
			 -LIBCHAT__ERROR_CODE__ERROR_TOKEN_EXPIRED);
	tc_free(y);
}

START_TEST(test_attackers_do_not_hurt_others)
{
	tclient *a, *b;
	char text[64];

	start(NULL);
	a = user();
	b = user();
	for (int i = 0; i < 15; i++) {
		snprintf(text, sizeof text, "message %d", i);
		exchange(i % 2 ? b : a, i % 2 ? a : b, text);
		switch (i % 5) {
		case 4:
			attack_token_replay();
			break;
		case 0:
			attack_malformed();
			break;
		case 1:
			attack_oversize();
			break;
		case 2:
			attack_garbage();
			break;
		case 3:
			attack_before_login(b);
		}
	}
	/* nothing left behind: no stray pushes on the honest clients */
	ck_assert_ptr_null(tc_wait(a, DELIVER, 0, 200));
	ck_assert_ptr_null(tc_wait(b, DELIVER, 0, 200));
	ck_assert(!a->closed && !b->closed);
	tc_free(a);
	tc_free(b);
	stop();
}
END_TEST

/* ---- the webhook push provider against a receiver in this process */

static struct {
	int requests;
	int fail_first;
	char body[1024];
} R;

static void on_push(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);

	(void)arg;
	R.requests++;
	if (n >= sizeof R.body)
		n = sizeof R.body - 1;
	evbuffer_remove(in, R.body, n);
	R.body[n] = '\0';
	if (R.fail_first && R.requests == 1)
		evhttp_send_reply(req, 503, "Busy", NULL);
	else
		evhttp_send_reply(req, 204, "No Content", NULL);
}

START_TEST(test_webhook_push)
{
	struct event_base *base = event_base_new();
	struct evhttp *h = evhttp_new(base);
	struct evhttp_bound_socket *bs;
	char url[128], mid_hex[33], want[256], body[8192];
	const char *extra[] = { "--push", "webhook", "--push-url", url,
				"--push-backoff-ms", "100", NULL };
	tclient *a, *b;
	uint8_t mid[16];
	char buid[65];
	uint32_t bdev;
	int port;

	ck_assert_ptr_nonnull(h);
	bs = evhttp_bind_socket_with_handle(h, "127.0.0.1", 0);
	ck_assert_ptr_nonnull(bs);
	{
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;

		getsockname(evhttp_bound_socket_get_fd(bs),
			    (struct sockaddr *)&ss, &len);
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	evhttp_set_cb(h, "/push", on_push, NULL);
	R.fail_first = 1;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/push", port);
	start(extra);
	a = user();
	b = user();
	snprintf(buid, sizeof buid, "%s", b->uid);
	bdev = b->dev;
	tc_free(b); /* offline */
	usleep(100000);
	randombytes_buf(mid, 16);
	ck_assert_int_eq(tc_message(a, mid, buid, bdev, "wake up"), 0);
	for (int i = 0; i < 500 && R.requests < 2; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(10000);
	}
	ck_assert_int_eq(R.requests, 2); /* refused once, then delivered */
	sodium_bin2hex(mid_hex, sizeof mid_hex, mid, 16);
	snprintf(want, sizeof want, "{\"user\":\"%s\",\"device\":%u,\"sender\":"
		 "\"%s\",\"sender_device\":%u,\"message_id\":\"%s\"}", buid,
		 bdev, a->uid, a->dev, mid_hex);
	ck_assert_str_eq(R.body, want);
	ck_assert_ptr_null(strstr(R.body, "wake up"));
	ck_assert_int_eq(thttp(D.http_port, "GET", "/metrics", NULL, NULL, 0,
			       body, sizeof body), 200);
	ck_assert_ptr_nonnull(strstr(body, "chatd_push_notifications_total"
					   "{outcome=\"sent\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(body, "chatd_push_notifications_total"
					   "{outcome=\"retried\"} 1\n"));
	tc_free(a);
	stop();
	evhttp_free(h);
	event_base_free(base);
}
END_TEST

/* ---- durability: SIGKILL under a steady flow to an offline device */

#define DUR_ACKED_BEFORE_KILL 300
#define DUR_WINDOW 16
#define DUR_MAX 2048

static struct {
	uint8_t mid[DUR_MAX][16];
	uint64_t rid[DUR_MAX];
	int acked[DUR_MAX], delivered[DUR_MAX];
	int n;
} M;

static int find_rid(uint64_t rid)
{
	for (int i = 0; i < M.n; i++)
		if (M.rid[i] == rid)
			return i;
	return -1;
}

static int find_mid(const uint8_t *mid)
{
	for (int i = 0; i < M.n; i++)
		if (memcmp(M.mid[i], mid, 16) == 0)
			return i;
	return -1;
}

/* Take every answer that has arrived (waiting up to ms for the first). */
static int collect(tclient *a, int ms)
{
	lc_envelope *e;
	int got = 0;

	while ((e = tc_wait(a, LIBCHAT__ENVELOPE__BODY_ACK, 0, got ? 0 : ms))) {
		int i = find_rid(e->request_id);

		if (i >= 0 && e->ack->sent) {
			ck_assert_mem_eq(e->ack->sent->message_id.data,
					 M.mid[i], 16);
			M.acked[i] = 1;
		}
		lc_envelope_free(e, NULL);
		got++;
	}
	e = tc_wait(a, LIBCHAT__ENVELOPE__BODY_ERROR, 0, 0);
	ck_assert_msg(e == NULL, "a Send was refused: %d",
		      e ? (int)e->error->code : 0);
	return got;
}

START_TEST(test_durability_sigkill)
{
	tclient *a, *b;
	char buid[65], dir[256];
	uint8_t btok[32], bsk[32];
	uint32_t bdev;
	int acked = 0, outstanding = 0, delivered = 0;
	lc_envelope *d;
	struct timespec t0, t1;
	long ms;

	start(NULL);
	a = user();
	b = user();
	snprintf(buid, sizeof buid, "%s", b->uid);
	bdev = b->dev;
	memcpy(btok, b->token, 32);
	memcpy(bsk, b->sk, 32);
	tc_free(b);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (acked < DUR_ACKED_BEFORE_KILL) {
		while (outstanding < DUR_WINDOW && M.n < DUR_MAX) {
			randombytes_buf(M.mid[M.n], 16);
			M.rid[M.n] = tc_send_msg(a, M.mid[M.n], buid, bdev,
						 "durable");
			ck_assert_uint_ne(M.rid[M.n], 0);
			M.n++;
			outstanding++;
		}
		outstanding -= collect(a, 5000);
		acked = 0;
		for (int i = 0; i < M.n; i++)
			acked += M.acked[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	fprintf(stderr, "durability: %d acked in %ld ms, %d in flight "
		"(one commit per loop turn)\n", acked, ms, DUR_WINDOW);
	/* more in flight, then the kill */
	for (int k = 0; k < DUR_WINDOW && M.n < DUR_MAX; k++, M.n++) {
		randombytes_buf(M.mid[M.n], 16);
		M.rid[M.n] = tc_send_msg(a, M.mid[M.n], buid, bdev, "durable");
	}
	tchatd_kill(&D);
	while (collect(a, 500)) /* acks that left before the kill */
		;
	tc_free(a);
	acked = 0;
	for (int i = 0; i < M.n; i++)
		acked += M.acked[i];
	snprintf(dir, sizeof dir, "%s", D.dir);
	ck_assert_int_eq(tchatd_start(&D, dir, NULL), 0);
	b = tc_connect(D.port, NULL, bsk);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(tc_login_token(b, buid, bdev, btok), 0);
	while ((d = tc_wait(b, DELIVER, 0, 3000)) != NULL) {
		int i = find_mid(d->deliver->message_id.data);

		ck_assert_msg(i >= 0, "a message nobody sent");
		M.delivered[i]++;
		delivered++;
		ck_assert_int_eq(tc_ack(b, d), 0);
		lc_envelope_free(d, NULL);
	}
	for (int i = 0; i < M.n; i++) {
		ck_assert_msg(M.delivered[i] <= 1, "message %d delivered %d "
			      "times", i, M.delivered[i]);
		if (M.acked[i])
			ck_assert_msg(M.delivered[i] == 1, "acked message %d "
				      "lost", i);
	}
	fprintf(stderr, "durability: %d sent, %d acked, %d delivered\n", M.n,
		acked, delivered);
	ck_assert_int_ge(acked, DUR_ACKED_BEFORE_KILL);
	tc_free(b);
	stop();
}
END_TEST

START_TEST(test_idle_timeout)
{
	const char *extra[] = { "--idle-timeout-ms", "300", NULL };
	char body[8192];
	tclient *t;

	struct sockaddr_in sa = { 0 };
	struct pollfd pfd;
	uint8_t buf[64];
	int fd, eof = 0;

	start(extra);
	/* a socket that never starts the handshake */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)D.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	t = user();
	ck_assert(tc_wait_closed(t, 5000));
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!eof && poll(&pfd, 1, 5000) > 0)
		eof = recv(fd, buf, sizeof buf, 0) <= 0;
	ck_assert_msg(eof, "a silent socket outlived the idle timeout");
	close(fd);
	ck_assert_int_eq(thttp(D.http_port, "GET", "/metrics", NULL, NULL, 0,
			       body, sizeof body), 200);
	ck_assert_ptr_nonnull(strstr(body, "chatd_connections_closed_total"
					   "{code=\"-1716\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(body, "\nchatd_connections_open 0\n"));
	tc_free(t);
	stop();
}
END_TEST

/* Two worker processes on one data directory: an account made through
 * one is usable through the other; SIGTERM stops both, exit 0. */
START_TEST(test_workers_share_the_store)
{
	const char *extra[] = { "--workers", "2", NULL };
	char body[64];

	start(extra);
	for (int i = 0; i < 6; i++) {
		tclient *t = user(), *u;
		char uid[65];
		uint8_t tok[32], sk[32];
		uint32_t dev = t->dev;

		snprintf(uid, sizeof uid, "%s", t->uid);
		memcpy(tok, t->token, 32);
		memcpy(sk, t->sk, 32);
		tc_free(t);
		u = tc_connect(D.port, NULL, sk);
		ck_assert_ptr_nonnull(u);
		ck_assert_int_eq(tc_login_token(u, uid, dev, tok), 0);
		tc_free(u);
		ck_assert_int_eq(thttp(D.http_port, "GET", "/healthz", NULL,
				       NULL, 0, body, sizeof body), 200);
	}
	stop();
}
END_TEST

/* Register and failed-login limits per source address: 127.0.0.1 runs
 * out, 127.0.0.2 is not affected, and the limit holds across the two
 * workers (it is kept in the shared store). */
static int register_from(const char *src, char phone[32])
{
	tclient *t;
	int rc;

	tc_source = src;
	t = tc_connect(D.port, NULL, NULL);
	tc_source = NULL;
	ck_assert_ptr_nonnull(t);
	snprintf(phone, 32, "+1555%07u%02u", phone_seq++,
		 (unsigned)getpid() % 100);
	rc = tc_register(t, phone, "correct horse");
	if (rc == LC_ERR_THROTTLED)
		ck_assert_uint_gt(t->retry_after, 0);
	tc_free(t);
	return rc;
}

static int login_from(const char *src, const char *phone, const char *pw,
		      uint64_t *retry)
{
	tclient *t;
	int rc;

	tc_source = src;
	t = tc_connect(D.port, NULL, NULL);
	tc_source = NULL;
	ck_assert_ptr_nonnull(t);
	rc = tc_login_password(t, phone, pw);
	*retry = t->retry_after;
	tc_free(t);
	return rc;
}

START_TEST(test_abuse_limits_per_address)
{
	const char *extra[] = { "--workers", "2", "--register-per-hour", "4",
				"--login-failures-per-hour", "3", NULL };
	char phones[6][32];
	uint64_t retry;

	start(extra);
	/* several connections: the two workers both see this address */
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(register_from("127.0.0.1", phones[i]), 0);
	ck_assert_int_eq(register_from("127.0.0.1", phones[4]),
			 LC_ERR_THROTTLED);
	ck_assert_int_eq(register_from("127.0.0.2", phones[5]), 0);
	/* Failed logins across the four accounts. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(login_from("127.0.0.1", phones[i], "wrong",
					    &retry), LC_ERR_AUTH_FAILED);
	ck_assert_int_eq(login_from("127.0.0.1", phones[3], "correct horse",
				    &retry), LC_ERR_THROTTLED);
	ck_assert_uint_gt(retry, 0);
	ck_assert_uint_le(retry, 20 * 60 * 1000);
	ck_assert_int_eq(login_from("127.0.0.2", phones[3], "correct horse",
				    &retry), 0);
	/* A third address registers as before. */
	ck_assert_int_eq(register_from("127.0.0.3", phones[4]), 0);
	stop();
}
END_TEST

/* The worker that accepted t's connection, from chatd's debug log
 * ("worker=K event=accepted fd=F port=P"); -1 when not found. */
static int worker_of(const tclient *t)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	char line[512], want[32];
	int found = -1;
	FILE *f;

	ck_assert_int_eq(getsockname(t->fd, (struct sockaddr *)&a, &len), 0);
	snprintf(want, sizeof want, " port=%d\n", ntohs(a.sin_port));
	f = fopen(D.log, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f)) {
		const char *w = strstr(line, " worker=");

		if (strstr(line, "event=accepted") && strstr(line, want) && w)
			found = atoi(w + 8);
	}
	fclose(f);
	return found;
}

/* Count the worker of a new client *c in seen[3]. For the last client
 * (last != 0), force the spread: log it in again on a new connection
 * while it joins the only busy worker and another has none; *connects
 * (if not NULL) counts those connections. */
static void spread_client(tclient **c, int seen[3], int last,
			  unsigned *connects)
{
	int w = worker_of(*c);

	ck_assert_int_ge(w, 0);
	ck_assert_int_lt(w, 3);
	seen[w]++;
	while (last && (seen[0] == 0) + (seen[1] == 0) + (seen[2] == 0) >= 2) {
		uint8_t sk[32], tok[32];
		uint32_t dev = (*c)->dev;
		char uid[65];

		memcpy(sk, (*c)->sk, 32);
		memcpy(tok, (*c)->token, 32);
		snprintf(uid, sizeof uid, "%s", (*c)->uid);
		seen[w]--;
		tc_free(*c);
		*c = tc_connect(D.port, NULL, sk);
		ck_assert_ptr_nonnull(*c);
		if (connects)
			(*connects)++;
		ck_assert_int_eq(tc_login_token(*c, uid, dev, tok), 0);
		w = worker_of(*c);
		ck_assert_int_ge(w, 0);
		seen[w]++;
	}
}

/* Take every push t has received (waiting up to ms for the first), ack
 * it, and hand Delivers to `got`; returns the number taken. */
static int drain_pushes(tclient *t, int ms,
			void (*got)(tclient *, const lc_envelope *, void *),
			void *arg)
{
	lc_envelope *e;
	int n = 0;

	while ((e = tc_wait(t, 0, 0, n ? 0 : ms)) != NULL) {
		if (e->body_case == DELIVER || e->body_case == RECEIPT) {
			if (e->body_case == DELIVER && got)
				got(t, e, arg);
			ck_assert_int_eq(tc_ack(t, e), 0);
		}
		lc_envelope_free(e, NULL);
		n++;
	}
	return n;
}

#define XW_USERS 8
#define XW_ROUNDS 6

static struct {
	tclient *c[XW_USERS];
	int next[XW_USERS][XW_USERS]; /* [receiver][sender]: next seq */
	int delivered;
} XW;

static int xw_index(const char *uid)
{
	for (int i = 0; i < XW_USERS; i++)
		if (strcmp(XW.c[i]->uid, uid) == 0)
			return i;
	return -1;
}

/* Exactly once and in order per sender: the body is "FROM:SEQ". */
static void xw_got(tclient *t, const lc_envelope *e, void *arg)
{
	int to = xw_index(t->uid), from = xw_index(e->deliver->from->user_id);
	char body[32];
	int f, seq;

	(void)arg;
	ck_assert_int_ge(to, 0);
	ck_assert_int_ge(from, 0);
	ck_assert_uint_lt(e->deliver->body.len, sizeof body);
	memcpy(body, e->deliver->body.data, e->deliver->body.len);
	body[e->deliver->body.len] = '\0';
	ck_assert_int_eq(sscanf(body, "%d:%d", &f, &seq), 2);
	ck_assert_int_eq(f, from);
	ck_assert_msg(seq == XW.next[to][from], "user %d got %d:%d, wanted %d",
		      to, from, seq, XW.next[to][from]);
	XW.next[to][from]++;
	XW.delivered++;
}

static int presence_of(tclient *t, const char *uid, int *online)
{
	Libchat__PresenceSubscribe ps = LIBCHAT__PRESENCE_SUBSCRIBE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *a;
	char *ids[1] = { (char *)uid };
	uint64_t rid;
	int rc;

	ps.user_ids = ids;
	ps.n_user_ids = 1;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PRESENCE_SUBSCRIBE;
	e.presence_subscribe = &ps;
	rid = tc_send(t, &e);
	a = tc_answer(t, rid, 5000);
	ck_assert_ptr_nonnull(a);
	rc = tc_code(a);
	if (rc == 0) {
		ck_assert_uint_eq(a->ack->presence->n_users, 1);
		*online = a->ack->presence->users[0]->online;
	}
	lc_envelope_free(a, NULL);
	return rc;
}

static uint64_t mono_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Three workers, clients spread over them (checked in the log): every
 * message reaches its recipient live, once, in order per sender, with no
 * reconnect; receipts come back live; presence crosses workers. */
START_TEST(test_workers_live_delivery)
{
	const char *extra[] = { "--workers", "3", NULL };
	int seen[3] = { 0 }, spread = 0, x = -1, y = -1, online = 0;
	uint64_t t0, rids[XW_USERS][XW_USERS * XW_ROUNDS];
	int want = XW_USERS * (XW_USERS - 1) * XW_ROUNDS, nr[XW_USERS] = { 0 };
	lc_envelope *pu;

	memset(&XW, 0, sizeof XW);
	start(extra);
	for (int i = 0; i < XW_USERS; i++) {
		XW.c[i] = user();
		spread_client(&XW.c[i], seen, i == XW_USERS - 1, NULL);
	}
	for (int w = 0; w < 3; w++)
		spread += seen[w] > 0;
	ck_assert_int_ge(spread, 2);

	/* Everyone writes to everyone, pipelined, then the pushes flow. */
	t0 = mono_now_ms();
	for (int r = 0; r < XW_ROUNDS; r++)
		for (int a = 0; a < XW_USERS; a++)
			for (int b = 0; b < XW_USERS; b++) {
				uint8_t mid[16];
				char body[32];

				if (a == b)
					continue;
				randombytes_buf(mid, sizeof mid);
				snprintf(body, sizeof body, "%d:%d", a, r);
				rids[a][nr[a]] = tc_send_msg(XW.c[a], mid,
							     XW.c[b]->uid,
							     XW.c[b]->dev, body);
				ck_assert_uint_ne(rids[a][nr[a]], 0);
				nr[a]++;
			}
	for (int a = 0; a < XW_USERS; a++)
		for (int i = 0; i < nr[a]; i++) {
			lc_envelope *ack = tc_answer(XW.c[a], rids[a][i], 10000);

			ck_assert_ptr_nonnull(ack);
			ck_assert_int_eq(tc_code(ack), 0);
			lc_envelope_free(ack, NULL);
		}
	while (XW.delivered < want && mono_now_ms() - t0 < 20000)
		for (int i = 0; i < XW_USERS; i++)
			drain_pushes(XW.c[i], 5, xw_got, NULL);
	ck_assert_int_eq(XW.delivered, want);
	fprintf(stderr, "workers=3 spread=%d/%d/%d: %d messages sent and "
		"delivered live in %llu ms\n", seen[0], seen[1], seen[2], want,
		(unsigned long long)(mono_now_ms() - t0));
	/* the receipts for all of them come back too */
	for (int i = 0; i < 20; i++)
		for (int c = 0; c < XW_USERS; c++)
			drain_pushes(XW.c[c], 10, NULL, NULL);
	for (int c = 0; c < XW_USERS; c++)
		ck_assert(!XW.c[c]->closed); /* no reconnect anywhere */

	/* One message between two workers arrives within a second. */
	for (int a = 0; a < XW_USERS && x < 0; a++)
		for (int b = 0; b < XW_USERS; b++)
			if (worker_of(XW.c[a]) != worker_of(XW.c[b])) {
				x = a;
				y = b;
				break;
			}
	ck_assert_int_ge(x, 0);
	{
		uint8_t mid[16];
		lc_envelope *d;

		randombytes_buf(mid, sizeof mid);
		ck_assert_int_eq(tc_message(XW.c[x], mid, XW.c[y]->uid,
					    XW.c[y]->dev, "ping"), 0);
		t0 = mono_now_ms();
		d = tc_wait(XW.c[y], DELIVER, 0, 1000);
		ck_assert_msg(d != NULL, "no live delivery across workers");
		fprintf(stderr, "one message worker %d -> %d: Deliver %llu ms "
			"after its sent Ack\n", worker_of(XW.c[x]),
			worker_of(XW.c[y]),
			(unsigned long long)(mono_now_ms() - t0));
		ck_assert_mem_eq(d->deliver->message_id.data, mid, 16);
		ck_assert_int_eq(tc_ack(XW.c[y], d), 0);
		lc_envelope_free(d, NULL);
	}

	/* Presence across workers: y is online, then goes away. */
	ck_assert_int_eq(presence_of(XW.c[x], XW.c[y]->uid, &online), 0);
	ck_assert_int_eq(online, 1);
	tc_free(XW.c[y]);
	XW.c[y] = NULL;
	pu = tc_wait(XW.c[x], LIBCHAT__ENVELOPE__BODY_PRESENCE_UPDATE, 0, 2000);
	ck_assert_msg(pu != NULL, "no presence update across workers");
	ck_assert_int_eq(pu->presence_update->online, 0);
	ck_assert_uint_gt(pu->presence_update->last_seen_ms, 0);
	lc_envelope_free(pu, NULL);
	for (int c = 0; c < XW_USERS; c++)
		if (XW.c[c])
			tc_free(XW.c[c]);
	stop();
}
END_TEST

#define MX_USERS 6
#define MX_OFFLINE_EACH 2

/* The series of a scrape that must equal what the test did, each as a
 * whole line. */
static int mx_lines(char want[][96], unsigned connects)
{
	const unsigned n = MX_USERS, live = n * (n - 1),
		       offline = (n - 1) * MX_OFFLINE_EACH;
	int k = 0;

	snprintf(want[k++], 96, "\nchatd_workers 3\n");
	snprintf(want[k++], 96, "\nchatd_connections_open %u\n", n - 1);
	snprintf(want[k++], 96, "\nchatd_connections_accepted_total %u\n",
		 connects);
	snprintf(want[k++], 96, "\nchatd_connections_authenticated %u\n",
		 n - 1);
	snprintf(want[k++], 96, "\nchatd_messages_total{kind=\"direct\"} %u\n",
		 live + offline);
	snprintf(want[k++], 96, "\nchatd_messages_total{kind=\"group\"} 0\n");
	snprintf(want[k++], 96,
		 "\nchatd_message_copies_total{route=\"live\"} %u\n", live);
	snprintf(want[k++], 96,
		 "\nchatd_message_copies_total{route=\"offline\"} %u\n",
		 offline);
	snprintf(want[k++], 96, "\nchatd_message_copies_acked_total %u\n",
		 live);
	snprintf(want[k++], 96, "\nchatd_queue_depth %u\n", offline);
	snprintf(want[k++], 96,
		 "\nchatd_message_sent_latency_seconds_count %u\n",
		 live + offline);
	snprintf(want[k++], 96,
		 "\nchatd_message_delivery_latency_seconds_count %u\n", live);
	snprintf(want[k++], 96,
		 "\nchatd_push_notifications_total{outcome=\"queued\"} %u\n",
		 offline);
	return k;
}

/* Until every client but `gone` sees it offline (about 5 s at most). */
static void wait_offline(tclient **c, int gone, const char *uid)
{
	for (int i = 0; i < MX_USERS; i++) {
		int online = 1;

		if (i == gone)
			continue;
		for (int t = 0; online && t < 250; t++) {
			ck_assert_int_eq(presence_of(c[i], uid, &online), 0);
			if (online)
				usleep(20000);
		}
		ck_assert_msg(online == 0, "client %d (worker %d) sees %s "
			      "online", i, worker_of(c[i]), uid);
	}
}

/* Three workers, clients spread over them: /metrics answers for the
 * whole server whichever worker takes the scrape, and once the traffic
 * stops every scrape says the same, equal to what the test did. */
START_TEST(test_workers_metrics_totals)
{
	const char *extra[] = { "--workers", "3", NULL };
	tclient *c[MX_USERS];
	int seen[3] = { 0 }, spread = 0, nwant, gone = MX_USERS - 1;
	unsigned connects = MX_USERS;
	char want[16][96], body[65536], first[4096] = "";
	const char *wp[17];

	start(extra);
	for (int i = 0; i < MX_USERS; i++) {
		c[i] = user();
		spread_client(&c[i], seen, i == MX_USERS - 1, &connects);
	}
	for (int w = 0; w < 3; w++)
		spread += seen[w] > 0;
	ck_assert_int_ge(spread, 2);
	/* live: everyone to everyone, delivered, acked, receipts acked */
	for (int a = 0; a < MX_USERS; a++)
		for (int b = 0; b < MX_USERS; b++)
			if (a != b)
				exchange(c[a], c[b], "counted");
	/* offline: one device leaves, the others queue for it */
	{
		char uid[65];
		uint32_t dev = c[gone]->dev;

		snprintf(uid, sizeof uid, "%s", c[gone]->uid);
		tc_free(c[gone]);
		c[gone] = NULL;
		wait_offline(c, gone, uid);
		for (int a = 0; a < gone; a++)
			for (int k = 0; k < MX_OFFLINE_EACH; k++) {
				uint8_t mid[16];

				randombytes_buf(mid, sizeof mid);
				ck_assert_int_eq(tc_message(c[a], mid, uid, dev,
							    "later"), 0);
			}
	}
	nwant = mx_lines(want, connects);
	for (int i = 0; i < nwant; i++)
		wp[i] = want[i];
	wp[nwant] = NULL;
	body[0] = '\n'; /* the first series' line starts after one */
	ck_assert_msg(metrics_reach(wp, body + 1, sizeof body - 1),
		      "totals never reached:\n%.2000s", body + 1);
	/* traffic stopped: every scrape, on any worker, says the same */
	for (int s = 0; s < 15; s++) {
		char got[4096] = "";

		body[0] = '\n'; /* the first series' line starts after one */
		ck_assert_int_eq(thttp(D.http_port, "GET", "/metrics", NULL,
				       NULL, 0, body + 1, sizeof body - 1), 200);
		for (int i = 0; i < nwant; i++) {
			/* the series' line as scraped, whatever its value */
			size_t name = (size_t)(strrchr(want[i], ' ') - want[i]);
			char key[96];
			const char *at, *end;

			memcpy(key, want[i], name + 1);
			key[name + 1] = '\0';
			at = strstr(body, key);
			end = at ? strchr(at + 1, '\n') : NULL;
			ck_assert_msg(end != NULL, "scrape %d lacks %s", s,
				      want[i] + 1);
			strncat(got, at, (size_t)(end - at));
		}
		strcat(got, "\n");
		if (s == 0)
			strcpy(first, got);
		ck_assert_str_eq(got, first);
		for (int i = 0; i < nwant; i++)
			ck_assert_msg(strstr(got, want[i]) != NULL,
				      "scrape %d: %s wanted, got:%s", s,
				      want[i] + 1, got);
	}
	fprintf(stderr, "workers=3 spread=%d/%d/%d: 15 scrapes agree on the "
		"totals\n", seen[0], seen[1], seen[2]);
	for (int i = 0; i < MX_USERS; i++)
		if (c[i])
			tc_free(c[i]);
	stop();
}
END_TEST

/* Write heartbeats without reading until the socket takes nothing and
 * chatd says it paused the connection (a busy server also takes nothing
 * for a while: ask it). The request ids sent are first..last. */
static void fill_until_paused(tclient *slow, uint64_t *first, uint64_t *last)
{
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	Libchat__Heartbeat hb = LIBCHAT__HEARTBEAT__INIT;
	char body[8192] = "";
	long pending = 0;
	int stuck = 0;

	e.body_case = LIBCHAT__ENVELOPE__BODY_HEARTBEAT;
	e.heartbeat = &hb;
	*first = 0;
	for (int round = 0; round < 400000; round++) {
		while (pending < 65536) {
			*last = tc_queue(slow, &e);
			ck_assert_uint_ne(*last, 0);
			if (*first == 0)
				*first = *last;
			pending += 32;
		}
		long left = tc_write_some(slow);

		ck_assert_int_ge(left, 0);
		stuck = left >= pending ? stuck + 1 : 0;
		pending = left;
		if (stuck == 0)
			continue;
		usleep(10000);
		if (stuck < 20)
			continue;
		ck_assert_int_eq(thttp(D.http_port, "GET", "/metrics", NULL,
				       NULL, 0, body, sizeof body), 200);
		if (strstr(body, "\nchatd_connections_paused_total 0\n") == NULL)
			break;
		stuck = 0;
	}
	fprintf(stderr, "back-pressure: %llu requests written\n",
		(unsigned long long)(*last - *first + 1));
	ck_assert_ptr_nonnull(strstr(body, "\nchatd_connections_paused_total "));
	ck_assert_ptr_null(strstr(body, "\nchatd_connections_paused_total 0\n"));
}

/* A client that sends without reading: once its output passes
 * max_conn_output chatd stops reading it (its writes block), others are
 * not stalled, and when it reads again no answer is lost. */
START_TEST(test_slow_reader_backpressure)
{
	const char *extra[] = { "--max-conn-output", "1024", NULL };
	tclient *slow, *a, *b;
	lc_envelope *ack;
	uint64_t first, last;
	int got = 0;

	start(extra);
	tc_sockbuf = 4096;
	slow = user();
	tc_sockbuf = 0;
	fill_until_paused(slow, &first, &last);
	/* Connected only now: filling takes 40 s and more under sanitizers,
	 * longer than the idle timeout that closes a silent connection. */
	a = user();
	b = user();
	exchange(a, b, "not stalled");
	for (uint64_t rid = first; rid <= last; rid++) {
		for (int tries = 0; (ack = tc_answer(slow, rid, 20)) == NULL;
		     tries++) {
			ck_assert_int_ge(tc_write_some(slow), 0);
			ck_assert_msg(tries < 1000, "answer %llu of %llu missing",
				      (unsigned long long)(rid - first),
				      (unsigned long long)(last - first + 1));
		}
		ck_assert_int_eq(tc_code(ack), 0);
		lc_envelope_free(ack, NULL);
		got++;
	}
	fprintf(stderr, "back-pressure: %d answers after the writer blocked\n",
		got);
	tc_free(slow);
	tc_free(a);
	tc_free(b);
	stop();
}
END_TEST

/* No receiver at all: the bounded queue drops its oldest entries and
 * counts them; messages stay queued for the device regardless. */
START_TEST(test_webhook_queue_bound)
{
	char url[128], body[8192];
	const char *extra[] = { "--push", "webhook", "--push-url", url,
				"--push-queue", "2", "--push-backoff-ms",
				"10000", NULL };
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	tclient *a, *b;
	char buid[65];
	uint32_t bdev;

	/* a port with nobody listening */
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	close(fd);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/push",
		 ntohs(sa.sin_port));
	start(extra);
	a = user();
	b = user();
	snprintf(buid, sizeof buid, "%s", b->uid);
	bdev = b->dev;
	tc_free(b);
	usleep(100000);
	for (int i = 0; i < 5; i++) {
		uint8_t mid[16];

		randombytes_buf(mid, 16);
		ck_assert_int_eq(tc_message(a, mid, buid, bdev, "queued"), 0);
	}
	ck_assert_int_eq(thttp(D.http_port, "GET", "/metrics", NULL, NULL, 0,
			       body, sizeof body), 200);
	ck_assert_ptr_nonnull(strstr(body, "chatd_push_notifications_total"
					   "{outcome=\"queued\"} 5\n"));
	ck_assert_ptr_nonnull(strstr(body, "chatd_push_notifications_total"
					   "{outcome=\"dropped\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(body, "\nchatd_push_queue_depth 2\n"));
	tc_free(a);
	stop();
}
END_TEST

/* A paused client that never reads again: the idle timeout closes it and
 * its unread output is dropped after drain_timeout_ms. */
START_TEST(test_stuck_reader_dropped)
{
	const char *extra[] = { "--max-conn-output", "1024",
				"--idle-timeout-ms", "1000",
				"--drain-timeout-ms", "200", NULL };
	char body[8192];
	uint64_t first, last;
	tclient *slow;
	int closed = 0;

	start(extra);
	tc_sockbuf = 4096;
	slow = user();
	tc_sockbuf = 0;
	fill_until_paused(slow, &first, &last);
	for (int i = 0; i < 100 && !closed; i++) {
		usleep(50000);
		ck_assert_int_eq(thttp(D.http_port, "GET", "/metrics", NULL,
				       NULL, 0, body, sizeof body), 200);
		closed = strstr(body, "\nchatd_connections_open 0\n") != NULL;
	}
	ck_assert_msg(closed, "a client that never reads was kept");
	ck_assert_ptr_nonnull(strstr(body, "chatd_connections_closed_total"
					   "{code=\"-1716\"} 1\n"));
	tc_free(slow);
	stop();
}
END_TEST

/* Drain and ack every GroupEvent push of t. */
static int ack_group_events(tclient *t)
{
	lc_envelope *g;
	int n = 0;

	while ((g = tc_wait(t, LIBCHAT__ENVELOPE__BODY_GROUP_EVENT, 0, 300))) {
		tc_ack(t, g);
		lc_envelope_free(g, NULL);
		n++;
	}
	return n;
}

/* A group message whose sender says the devices of holders (NULL
 * terminated, or NULL) hold its sender key. */
static int group_send(tclient *t, const uint8_t gid[16], const uint8_t mid[16],
		      const char *body, tclient *const *holders)
{
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *a;
	Libchat__Send sd = LIBCHAT__SEND__INIT;
	Libchat__Address ad[4], *ap[4];
	int rc;

	while (holders && holders[sd.n_key_holders]) {
		size_t i = sd.n_key_holders++;
		libchat__address__init(&ad[i]);
		ad[i].user_id = holders[i]->uid;
		ad[i].device_id = holders[i]->dev;
		ap[i] = &ad[i];
	}
	sd.key_holders = ap;

	sd.message_id.data = (uint8_t *)mid;
	sd.message_id.len = 16;
	sd.group_id.data = (uint8_t *)gid;
	sd.group_id.len = 16;
	sd.group_body.data = (uint8_t *)body;
	sd.group_body.len = strlen(body);
	e.body_case = LIBCHAT__ENVELOPE__BODY_SEND;
	e.send = &sd;
	a = tc_answer(t, tc_send(t, &e), 5000);
	rc = tc_code(a);
	lc_envelope_free(a, NULL);
	return rc;
}

/* A group over real sockets: fan-out with a receipt per member device;
 * an outsider cannot post and a plain member cannot remove anyone, and
 * neither disturbs the members. */
START_TEST(test_group_fanout_and_authorisation)
{
	tclient *a, *b, *c, *x;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *ans, *d;
	Libchat__GroupCreate gc = LIBCHAT__GROUP_CREATE__INIT;
	Libchat__GroupRemove gr = LIBCHAT__GROUP_REMOVE__INIT;
	char *members[2];
	uint8_t gid[16], mid[16];
	tclient *to[3];

	start(NULL);
	a = user();
	b = user();
	c = user();
	x = user();
	members[0] = b->uid;
	members[1] = c->uid;
	gc.name = "friends";
	gc.n_member_user_ids = 2;
	gc.member_user_ids = members;
	e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_CREATE;
	e.group_create = &gc;
	ans = tc_answer(a, tc_send(a, &e), 5000);
	ck_assert_int_eq(tc_code(ans), 0);
	ck_assert_ptr_nonnull(ans->ack->group);
	ck_assert_uint_eq(ans->ack->group->group_id.len, 16);
	memcpy(gid, ans->ack->group->group_id.data, 16);
	lc_envelope_free(ans, NULL);
	ck_assert_int_ge(ack_group_events(b), 1);
	ck_assert_int_ge(ack_group_events(c), 1);
	ack_group_events(a);

	/* the outsider posts, then tries to remove a member */
	randombytes_buf(mid, 16);
	ck_assert_int_eq(group_send(x, gid, mid, "let me in", NULL),
			 -LIBCHAT__ERROR_CODE__ERROR_NOT_MEMBER);
	gr.group_id.data = gid;
	gr.group_id.len = 16;
	gr.n_user_ids = 1;
	gr.user_ids = &members[1];
	e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_REMOVE;
	e.group_remove = &gr;
	ans = tc_answer(x, tc_send(x, &e), 5000);
	ck_assert_int_eq(tc_code(ans), -LIBCHAT__ERROR_CODE__ERROR_NOT_MEMBER);
	lc_envelope_free(ans, NULL);
	/* a member who is not admin cannot remove either */
	ans = tc_answer(b, tc_send(b, &e), 5000);
	ck_assert_int_eq(tc_code(ans), -LIBCHAT__ERROR_CODE__ERROR_NOT_ADMIN);
	lc_envelope_free(ans, NULL);

	/* the admin's message reaches both members, each with a receipt */
	randombytes_buf(mid, 16);
	to[0] = b;
	to[1] = c;
	to[2] = NULL;
	ck_assert_int_eq(group_send(a, gid, mid, "hi all", to), 0);
	for (int i = 0; i < 2; i++) {
		d = tc_wait(to[i], DELIVER, 0, 5000);
		ck_assert_ptr_nonnull(d);
		ck_assert_mem_eq(d->deliver->message_id.data, mid, 16);
		ck_assert_mem_eq(d->deliver->group_id.data, gid, 16);
		ck_assert_str_eq(d->deliver->from->user_id, a->uid);
		ck_assert_mem_eq(d->deliver->body.data, "hi all", 6);
		tc_ack(to[i], d);
		lc_envelope_free(d, NULL);
	}
	for (int i = 0; i < 2; i++) {
		d = tc_wait(a, RECEIPT, 0, 5000);
		ck_assert_ptr_nonnull(d);
		ck_assert_int_eq(d->receipt->type,
				 LIBCHAT__RECEIPT_TYPE__RECEIPT_DELIVERED);
		tc_ack(a, d);
		lc_envelope_free(d, NULL);
	}
	/* the outsider saw nothing */
	ck_assert_ptr_null(tc_wait(x, DELIVER, 0, 200));
	tc_free(a);
	tc_free(b);
	tc_free(c);
	tc_free(x);
	stop();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("chatd");
	TCase *tc = tcase_create("chatd");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_start_key_health_metrics);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_config_documented);
	tcase_add_test(tc, test_exchange_and_receipts);
	tcase_add_test(tc, test_attackers_do_not_hurt_others);
	tcase_add_test(tc, test_group_fanout_and_authorisation);
	tcase_add_test(tc, test_webhook_push);
	tcase_add_test(tc, test_webhook_queue_bound);
	tcase_add_test(tc, test_durability_sigkill);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_slow_reader_backpressure);
	tcase_add_test(tc, test_stuck_reader_dropped);
	tcase_add_test(tc, test_workers_share_the_store);
	tcase_add_test(tc, test_abuse_limits_per_address);
	tcase_add_test(tc, test_workers_live_delivery);
	tcase_add_test(tc, test_workers_metrics_totals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	if (sodium_init() < 0)
		return 1;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
