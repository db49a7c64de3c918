/* Suite "server": the core's monitoring counters (lc_server_stats_get). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_harness.h"

static void mid_of(uint8_t mid[16], unsigned n)
{
	memset(mid, 0, 16);
	mid[0] = 0x5a;
	mid[15] = (uint8_t)n;
	mid[14] = (uint8_t)(n >> 8);
}

static void setup(void)
{
	h_start();
	h_open();
}

static void teardown(void)
{
	h_stop();
}

static lc_server_stats stats(void)
{
	lc_server_stats st;

	memset(&st, 0xff, sizeof st);
	st.version = LC_SERVER_STATS_VERSION;
	ck_assert_int_eq(lc_server_stats_get(H.s, &st), 0);
	return st;
}

static lc_envelope *next_deliver(hclient *cl, const uint8_t mid[16])
{
	lc_envelope *d = h_push(cl, LIBCHAT__ENVELOPE__BODY_DELIVER);

	ck_assert_ptr_nonnull(d);
	ck_assert_mem_eq(d->deliver->message_id.data, mid, 16);
	return d;
}

static int group_create(hclient *cl, char **members, size_t n,
			uint8_t gid[16])
{
	Libchat__GroupCreate gc = LIBCHAT__GROUP_CREATE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *ack = NULL;
	int rc;

	gc.name = "team";
	gc.member_user_ids = members;
	gc.n_member_user_ids = n;
	e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_CREATE;
	e.group_create = &gc;
	rc = h_call(cl, &e, &ack);
	if (rc == 0) {
		memcpy(gid, ack->ack->group->group_id.data, 16);
		lc_envelope_free(ack, NULL);
	}
	return rc;
}

/* Ack every push of cl (receipts, notices) so its queue empties. */
static void ack_all(hclient *cl)
{
	while (cl->n) {
		lc_envelope *e = h_take(cl, 0);
		h_ack_push(cl, e);
		lc_envelope_free(e, NULL);
	}
}

START_TEST(server_stats_arguments)
{
	lc_server_stats st;

	memset(&st, 0, sizeof st);
	st.version = LC_SERVER_STATS_VERSION;
	ck_assert_int_eq(lc_server_stats_get(NULL, &st), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_server_stats_get(H.s, NULL), LC_ERR_INVALID_ARG);
	st.version = LC_SERVER_STATS_VERSION + 1;
	st.errors_total = 77;
	ck_assert_int_eq(lc_server_stats_get(H.s, &st), LC_ERR_INVALID_ARG);
	ck_assert_uint_eq(st.errors_total, 77); /* untouched */
	st = stats();
	ck_assert_uint_eq(st.version, LC_SERVER_STATS_VERSION);
	ck_assert_uint_eq(st.messages_direct, 0);
	ck_assert_uint_eq(st.messages_group, 0);
	ck_assert_uint_eq(st.copies_live + st.copies_offline, 0);
	ck_assert_uint_eq(st.copies_acked, 0);
	ck_assert_uint_eq(st.queue_depth, 0);
	ck_assert_uint_eq(st.errors_total, 0);
	for (int i = 0; i < LC_SERVER_ERRCLASS_COUNT; i++)
		ck_assert_uint_eq(st.errors[i], 0);
	ck_assert_uint_eq(st.conns_open, 0);
	ck_assert_uint_eq(st.conns_authed, 0);
}
END_TEST

/* Connections: open, then authenticated, then gone. */
START_TEST(server_stats_connections)
{
	hclient *a = h_client(), *b, *a2;

	ck_assert_uint_eq(stats().conns_open, 1);
	ck_assert_uint_eq(stats().conns_authed, 0);
	ck_assert_int_eq(h_register(a, "+15550001111", NULL, "correct horse"),
			 0);
	ck_assert_uint_eq(stats().conns_authed, 1);
	b = h_user();
	ck_assert_uint_eq(stats().conns_open, 2);
	ck_assert_uint_eq(stats().conns_authed, 2);
	h_disconnect(a);
	ck_assert_uint_eq(stats().conns_open, 1);
	ck_assert_uint_eq(stats().conns_authed, 1);
	h_connect(a); /* open, not logged in */
	ck_assert_uint_eq(stats().conns_open, 2);
	ck_assert_uint_eq(stats().conns_authed, 1);
	ck_assert_int_eq(h_login_token(a), 0);
	ck_assert_uint_eq(stats().conns_authed, 2);
	a2 = h_second_device(a, "+15550001111");
	ck_assert_uint_eq(stats().conns_open, 3);
	ck_assert_uint_eq(stats().conns_authed, 3);
	h_disconnect(b);
	h_disconnect(a);
	h_disconnect(a2);
	ck_assert_uint_eq(stats().conns_open, 0);
	ck_assert_uint_eq(stats().conns_authed, 0);
}
END_TEST

/* A direct message to an online device: sent, routed live, queued until
 * acked, then a delivered receipt is queued for the sender. */
START_TEST(server_stats_direct_live)
{
	hclient *a = h_user(), *b = h_user();
	lc_server_stats st;
	lc_envelope *d;
	uint8_t mid[16];

	mid_of(mid, 1);
	ck_assert_int_eq(h_send(a, mid, &b, 1, "hi"), 0);
	st = stats();
	ck_assert_uint_eq(st.messages_direct, 1);
	ck_assert_uint_eq(st.messages_group, 0);
	ck_assert_uint_eq(st.copies_live, 1);
	ck_assert_uint_eq(st.copies_offline, 0);
	ck_assert_uint_eq(st.queue_depth, 1);
	ck_assert_uint_eq(st.copies_acked, 0);
	/* a retry is acknowledged again but counted once */
	ck_assert_int_eq(h_send(a, mid, &b, 1, "hi"), 0);
	ck_assert_uint_eq(stats().messages_direct, 1);
	ck_assert_uint_eq(stats().queue_depth, 1);
	ck_assert_uint_eq(h_count(b, LIBCHAT__ENVELOPE__BODY_DELIVER), 1);
	d = next_deliver(b, mid);
	h_ack_push(b, d);
	lc_envelope_free(d, NULL);
	st = stats();
	ck_assert_uint_eq(st.copies_acked, 1);
	ck_assert_uint_eq(st.queue_depth, 1); /* a's delivered receipt */
	ack_all(a);
	st = stats();
	ck_assert_uint_eq(st.queue_depth, 0);
	ck_assert_uint_eq(st.copies_acked, 1); /* a receipt is no message */
	ck_assert_uint_eq(st.errors_total, 0);
}
END_TEST

/* Offline copies stay queued across a restart; the depth is counted from
 * the store when the server opens, then follows the acks. */
START_TEST(server_stats_offline_and_restart)
{
	hclient *a = h_user(), *b = h_user();
	lc_server_stats st;
	uint8_t mid[16];

	h_disconnect(b);
	for (unsigned i = 0; i < 5; i++) {
		mid_of(mid, 10 + i);
		ck_assert_int_eq(h_send(a, mid, &b, 1, "later"), 0);
	}
	st = stats();
	ck_assert_uint_eq(st.messages_direct, 5);
	ck_assert_uint_eq(st.copies_offline, 5);
	ck_assert_uint_eq(st.copies_live, 0);
	ck_assert_uint_eq(st.queue_depth, 5);
	/* fed but not flushed: not counted, and lost with the process */
	mid_of(mid, 15);
	h_feed_send(a, mid, &b, NULL, 1, "lost");
	ck_assert_uint_eq(stats().messages_direct, 5);
	ck_assert_uint_eq(stats().queue_depth, 5);
	h_shutdown();
	h_open();
	st = stats();
	ck_assert_uint_eq(st.queue_depth, 5);
	ck_assert_uint_eq(st.messages_direct, 0); /* counters restart */
	ck_assert_uint_eq(st.conns_open, 0);
	h_connect(b);
	ck_assert_int_eq(h_login_token(b), 0);
	for (unsigned i = 0; i < 5; i++) {
		lc_envelope *d;
		mid_of(mid, 10 + i);
		d = next_deliver(b, mid);
		h_ack_push(b, d);
		lc_envelope_free(d, NULL);
	}
	st = stats();
	ck_assert_uint_eq(st.copies_acked, 5);
	ck_assert_uint_eq(st.queue_depth, 5); /* receipts for offline a */
	h_shutdown();
	h_open();
	ck_assert_uint_eq(stats().queue_depth, 5);
	h_connect(a);
	ck_assert_int_eq(h_login_token(a), 0);
	ack_all(a);
	ck_assert_uint_eq(stats().queue_depth, 0);
	h_shutdown();
	h_open();
	ck_assert_uint_eq(stats().queue_depth, 0);
}
END_TEST

/* A group message counts once as sent, once per member device copy. */
START_TEST(server_stats_group)
{
	hclient *a = h_user(), *b = h_user(), *c = h_user();
	char *bc[2] = { b->uid, c->uid };
	lc_server_stats st;
	lc_envelope *d;
	uint8_t gid[16], mid[16];

	ck_assert_int_eq(group_create(a, bc, 2, gid), 0);
	ack_all(b);
	ack_all(c);
	ck_assert_uint_eq(stats().queue_depth, 0);
	h_disconnect(c);
	mid_of(mid, 20);
	{
		hclient *bc2[3] = { b, c, NULL };
		ck_assert_int_eq(h_group_send(a, gid, mid, "all", bc2), 0);
	}
	st = stats();
	ck_assert_uint_eq(st.messages_group, 1);
	ck_assert_uint_eq(st.messages_direct, 0);
	ck_assert_uint_eq(st.copies_live, 1);
	ck_assert_uint_eq(st.copies_offline, 1);
	ck_assert_uint_eq(st.queue_depth, 2);
	d = next_deliver(b, mid);
	h_ack_push(b, d);
	lc_envelope_free(d, NULL);
	ck_assert_uint_eq(stats().copies_acked, 1);
}
END_TEST

/* Errors by class; a refused request changes no other counter. */
START_TEST(server_stats_errors)
{
	hclient *a = h_user(), *b = h_user(), *x = h_client();
	char *bs[1] = { b->uid };
	lc_server_stats st;
	uint8_t gid[16], mid[16];

	ck_assert_int_eq(h_heartbeat(x), 0);
	mid_of(mid, 30);
	ck_assert_int_eq(h_send(x, mid, &b, 1, "who"), LC_ERR_AUTH_REQUIRED);
	st = stats();
	ck_assert_uint_eq(st.errors_total, 1);
	ck_assert_uint_eq(st.errors[LC_SERVER_ERRCLASS_AUTH], 1);
	ck_assert_int_eq(group_create(a, bs, 1, gid), 0);
	ack_all(b);
	ck_assert_int_eq(h_group_send(x, gid, mid, "x", NULL), LC_ERR_AUTH_REQUIRED);
	ck_assert_int_eq(h_register(x, "+15550002222", NULL, "correct horse"),
			 0);
	ck_assert_int_eq(h_group_send(x, gid, mid, "x", NULL), LC_ERR_NOT_MEMBER);
	memset(gid, 0, sizeof gid);
	ck_assert_int_eq(h_group_send(a, gid, mid, "x", NULL), LC_ERR_NO_SUCH_GROUP);
	ck_assert_int_eq(h_send(a, mid, &b, 0, "none"), LC_ERR_INVALID_ARG);
	st = stats();
	ck_assert_uint_eq(st.errors_total, 5);
	ck_assert_uint_eq(st.errors[LC_SERVER_ERRCLASS_AUTH], 2);
	ck_assert_uint_eq(st.errors[LC_SERVER_ERRCLASS_FORBIDDEN], 1);
	ck_assert_uint_eq(st.errors[LC_SERVER_ERRCLASS_NOT_FOUND], 1);
	ck_assert_uint_eq(st.errors[LC_SERVER_ERRCLASS_INVALID], 1);
	ck_assert_uint_eq(st.errors[LC_SERVER_ERRCLASS_LIMITED], 0);
	ck_assert_uint_eq(st.errors[LC_SERVER_ERRCLASS_SERVER], 0);
	ck_assert_uint_eq(st.messages_direct + st.messages_group, 0);
	ck_assert_uint_eq(st.queue_depth, 0);
}
END_TEST

/* A message refused by the store (full) leaves the counters as they
 * were and counts as a server error. */
START_TEST(server_stats_store_full)
{
	static char big[60000];
	hclient *a, *b;
	lc_server_stats st;
	uint8_t mid[16];
	unsigned sent = 0;
	int rc = 0;

	h_shutdown();
	H.cfg.map_size = 1u << 20;
	H.cfg.rate_per_minute = 1000;
	h_open();
	a = h_user();
	b = h_user();
	h_disconnect(b);
	memset(big, 'x', sizeof big - 1);
	while (rc == 0 && sent < 100) {
		mid_of(mid, 40 + sent);
		if ((rc = h_send(a, mid, &b, 1, big)) == 0)
			sent++;
	}
	ck_assert_int_eq(rc, LC_ERR_UNAVAILABLE);
	st = stats();
	ck_assert_uint_eq(st.messages_direct, sent);
	ck_assert_uint_eq(st.copies_offline, sent);
	ck_assert_uint_eq(st.queue_depth, sent);
	ck_assert_uint_eq(st.errors[LC_SERVER_ERRCLASS_SERVER], 1);
	ck_assert_uint_eq(st.sent_latency.count, sent); /* not the refused */
}
END_TEST

/* ---- latency histograms */

START_TEST(server_latency_bounds)
{
	static const uint64_t want[] = { 1, 2, 5, 10, 25, 50, 100, 250, 500,
					 1000, 2500, 5000, 10000 };

	for (unsigned i = 0; i < LC_SERVER_LATENCY_BUCKETS - 1; i++)
		ck_assert_uint_eq(lc_server_latency_bound(i), want[i]);
	ck_assert_uint_eq(lc_server_latency_bound(LC_SERVER_LATENCY_BUCKETS - 1),
			  UINT64_MAX);
	ck_assert_uint_eq(lc_server_latency_bound(1000), UINT64_MAX);
}
END_TEST

static int bucket_of(uint64_t ms)
{
	unsigned i = 0;

	while (ms > lc_server_latency_bound(i))
		i++;
	return (int)i;
}

static void check_hist(const lc_server_latency *h, const uint64_t *ms,
		       size_t n)
{
	uint64_t want[LC_SERVER_LATENCY_BUCKETS] = { 0 }, sum = 0;

	for (size_t i = 0; i < n; i++) {
		want[bucket_of(ms[i])]++;
		sum += ms[i];
	}
	ck_assert_uint_eq(h->count, n);
	ck_assert_uint_eq(h->sum_ms, sum);
	for (unsigned b = 0; b < LC_SERVER_LATENCY_BUCKETS; b++)
		ck_assert_msg(h->buckets[b] == want[b], "bucket %u: %llu, "
			      "want %llu", b, (unsigned long long)h->buckets[b],
			      (unsigned long long)want[b]);
}

/* Send at t, flush at t + d: the sent Ack and a live copy both took d;
 * a copy for an offline device counts when... never as live. */
START_TEST(server_latency_sent_and_live)
{
	hclient *a = h_user(), *b = h_user();
	hclient *to[1] = { b };
	uint8_t mid[16];
	uint32_t bad = 99;
	lc_server_stats st;
	lc_envelope *d;
	static const uint64_t sent[] = { 7, 3, 0, 20000, 7 };
	static const uint64_t live[] = { 7, 20000 };

	mid_of(mid, 1);
	h_feed_send(a, mid, to, NULL, 1, "one");
	H.now += 7;
	h_flush();
	d = next_deliver(b, mid);
	h_ack_push(b, d);
	lc_envelope_free(d, NULL);
	st = stats();
	check_hist(&st.sent_latency, sent, 1);
	check_hist(&st.delivery_latency, live, 1);

	/* b offline: the Ack counts, the copy drained at login does not */
	h_disconnect(b);
	mid_of(mid, 2);
	h_feed_send(a, mid, to, NULL, 1, "two");
	H.now += 3;
	h_flush();
	H.now += 500;
	h_connect(b);
	ck_assert_int_eq(h_login_token(b), 0);
	d = next_deliver(b, mid);
	h_ack_push(b, d);
	lc_envelope_free(d, NULL);
	st = stats();
	check_hist(&st.sent_latency, sent, 2);
	check_hist(&st.delivery_latency, live, 1);

	/* a refused Send counts nothing; a retry's Ack counts (0 ms) */
	mid_of(mid, 3);
	h_feed_send(a, mid, to, &bad, 1, "x");
	h_flush();
	mid_of(mid, 2);
	ck_assert_int_eq(h_send(a, mid, to, 1, "two"), 0);
	st = stats();
	check_hist(&st.sent_latency, sent, 3);
	check_hist(&st.delivery_latency, live, 1);

	/* a slow turn lands in the last bucket */
	mid_of(mid, 4);
	h_feed_send(a, mid, to, NULL, 1, "four");
	H.now += 20000;
	h_flush();
	st = stats();
	check_hist(&st.sent_latency, sent, 4);
	check_hist(&st.delivery_latency, live, 2);

	/* work fed but not yet flushed is not counted */
	mid_of(mid, 5);
	h_feed_send(a, mid, to, NULL, 1, "five");
	st = stats();
	check_hist(&st.sent_latency, sent, 4);
	H.now += 7;
	h_flush();
	st = stats();
	check_hist(&st.sent_latency, sent, 5);
}
END_TEST

/* A copy queued by another process reaches its connected device through
 * lc_server_remote_queued(): counted from the Send's time there. */
START_TEST(server_latency_remote)
{
	hclient *a = h_user(), *b = h_user();
	lc_addr f, t;
	uint8_t mid[16];
	ProtobufCBinaryData body = { 2, (uint8_t *)"hi" };
	lc_server_stats st;
	static const uint64_t live[] = { 40 };

	strcpy(f.uid, a->uid);
	f.dev = a->dev;
	strcpy(t.uid, b->uid);
	t.dev = b->dev;
	mid_of(mid, 9);
	H.now += 10;
	ck_assert_int_eq(lc_deliver(H.s, &t, &f, mid, NULL,
				    LIBCHAT__CIPHER_TYPE__CIPHER_RATCHET,
				    &body, H.now), 0);
	H.s->n_touched = 0; /* written as by the other process */
	h_flush();
	H.now += 40;
	ck_assert_int_eq(lc_server_remote_queued(H.s, b->uid, b->dev, H.now),
			 0);
	h_flush();
	lc_envelope_free(next_deliver(b, mid), NULL);
	st = stats();
	check_hist(&st.delivery_latency, live, 1);
	check_hist(&st.sent_latency, live, 0);
}
END_TEST

/* A caller of version 1 gets the version 1 fields and nothing beyond. */
START_TEST(server_latency_stats_version_1)
{
	hclient *a = h_user(), *b = h_user();
	hclient *to[1] = { b };
	uint8_t mid[16];
	lc_server_stats st;

	mid_of(mid, 1);
	ck_assert_int_eq(h_send(a, mid, to, 1, "x"), 0);
	memset(&st, 0xee, sizeof st);
	st.version = 1;
	ck_assert_int_eq(lc_server_stats_get(H.s, &st), 0);
	ck_assert_uint_eq(st.version, 1);
	ck_assert_uint_eq(st.messages_direct, 1);
	ck_assert_uint_eq(st.sent_latency.count, 0xeeeeeeeeeeeeeeeeull);
	ck_assert_uint_eq(st.delivery_latency.sum_ms, 0xeeeeeeeeeeeeeeeeull);
	st = stats();
	ck_assert_uint_eq(st.sent_latency.count, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("stats");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, server_stats_arguments);
	tcase_add_test(tc, server_stats_connections);
	tcase_add_test(tc, server_stats_direct_live);
	tcase_add_test(tc, server_stats_offline_and_restart);
	tcase_add_test(tc, server_stats_group);
	tcase_add_test(tc, server_stats_errors);
	tcase_add_test(tc, server_stats_store_full);
	tcase_add_test(tc, server_latency_bounds);
	tcase_add_test(tc, server_latency_sent_and_live);
	tcase_add_test(tc, server_latency_remote);
	tcase_add_test(tc, server_latency_stats_version_1);
	return lc_test_run(s);
}
