/* Suite "server": several processes on one store — the queued and
 * device_state callbacks, lc_server_remote_queued/remote_device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* not every helper of the shared harness is used here */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "server_harness.h"

#define DELIVER LIBCHAT__ENVELOPE__BODY_DELIVER
#define PRESENCE LIBCHAT__ENVELOPE__BODY_PRESENCE_UPDATE

static struct {
	int queued, states;
	char q_uid[LC_UID_MAX + 1];
	uint32_t q_dev;
	char s_uid[LC_UID_MAX + 1];
	uint32_t s_dev;
	int s_online;
} R;

static void cb_queued(const char *uid, uint32_t dev, void *ud)
{
	(void)ud;
	R.queued++;
	snprintf(R.q_uid, sizeof R.q_uid, "%s", uid);
	R.q_dev = dev;
}

static void cb_state(const char *uid, uint32_t dev, int online, void *ud)
{
	(void)ud;
	R.states++;
	snprintf(R.s_uid, sizeof R.s_uid, "%s", uid);
	R.s_dev = dev;
	R.s_online = online;
}

static const lc_server_callbacks r_cb = {
	LC_SERVER_CONFIG_VERSION, h_close_cb, NULL, h_push_cb, NULL,
	cb_queued, cb_state,
};

static void setup(void)
{
	h_start();
	memset(&R, 0, sizeof R);
	ck_assert_int_eq(lc_server_new(&H.s, &H.cfg, &r_cb, NULL), 0);
}

static void teardown(void)
{
	h_stop();
}

static void mid_of(uint8_t mid[16], unsigned n)
{
	memset(mid, 0x5a, 16);
	mid[15] = (uint8_t)n;
}

/* Put a Deliver in b's queue as another process would: written and
 * committed here, but nobody told the connection. */
static void enqueue_behind(hclient *from, hclient *to, unsigned n)
{
	lc_addr f, t;
	uint8_t mid[16];
	ProtobufCBinaryData body = { 3, (uint8_t *)"hey" };

	strcpy(f.uid, from->uid);
	f.dev = from->dev;
	strcpy(t.uid, to->uid);
	t.dev = to->dev;
	mid_of(mid, n);
	ck_assert_int_eq(lc_deliver(H.s, &t, &f, mid, NULL,
				    LIBCHAT__CIPHER_TYPE__CIPHER_RATCHET,
				    &body, H.now), 0);
	H.s->n_touched = 0; /* no local settle: the other process's write */
	h_flush();
}

START_TEST(remote_queued_pumps_the_connection)
{
	hclient *a = h_user(), *b = h_user(), *c = h_user();
	lc_envelope *d;

	enqueue_behind(a, b, 1);
	ck_assert_uint_eq(h_count(b, DELIVER), 0);
	/* a notice for a device not connected here, or not a user: nothing */
	ck_assert_int_eq(lc_server_remote_queued(H.s, "nobody", 1, H.now), 0);
	ck_assert_int_eq(lc_server_remote_queued(H.s, b->uid, 9, H.now), 0);
	ck_assert_int_eq(lc_server_remote_queued(H.s, "", 1, H.now), 0);
	h_flush();
	ck_assert_uint_eq(h_count(b, DELIVER), 0);
	ck_assert_int_eq(lc_server_remote_queued(H.s, b->uid, b->dev, H.now),
			 0);
	h_flush();
	ck_assert_uint_eq(h_count(b, DELIVER), 1);
	d = h_push(b, DELIVER);
	ck_assert_uint_eq(d->deliver->message_id.data[15], 1);
	/* a second notice for the same entry does not send it twice */
	ck_assert_int_eq(lc_server_remote_queued(H.s, b->uid, b->dev, H.now),
			 0);
	h_flush();
	ck_assert_uint_eq(h_count(b, DELIVER), 0);
	h_ack_push(b, d);
	lc_envelope_free(d, NULL);
	/* NULL: every connection reads its queue */
	enqueue_behind(a, b, 2);
	enqueue_behind(b, c, 3);
	ck_assert_int_eq(lc_server_remote_queued(H.s, NULL, 0, H.now), 0);
	h_flush();
	ck_assert_uint_eq(h_count(b, DELIVER), 1);
	ck_assert_uint_eq(h_count(c, DELIVER), 1);
	ck_assert_int_eq(lc_server_remote_queued(NULL, NULL, 0, H.now),
			 LC_ERR_INVALID_ARG);
}
END_TEST

START_TEST(queued_callback_after_commit)
{
	hclient *a = h_user(), *b = h_user();
	lc_server_stats st = { .version = LC_SERVER_STATS_VERSION };
	uint8_t mid[16];
	hclient *to[1] = { b };
	uint32_t bad = 77;

	/* b connected here: no callback */
	mid_of(mid, 1);
	ck_assert_int_eq(h_send(a, mid, to, 1, "x"), 0);
	ck_assert_int_eq(R.queued, 0);
	h_disconnect(b);
	/* b gone: called once, only after the commit */
	mid_of(mid, 2);
	h_feed_send(a, mid, to, NULL, 1, "y");
	ck_assert_int_eq(R.queued, 0);
	h_flush();
	ck_assert_int_eq(R.queued, 1);
	ck_assert_str_eq(R.q_uid, b->uid);
	ck_assert_uint_eq(R.q_dev, b->dev);
	ck_assert_int_eq(H.pushes, 1);
	/* a refused request queues nothing and calls nothing */
	mid_of(mid, 3);
	h_feed_send(a, mid, to, &bad, 1, "z");
	h_flush();
	ck_assert_int_eq(R.queued, 1);
	/* b connected elsewhere: queued called, push not, counted live */
	ck_assert_int_eq(lc_server_remote_device(H.s, b->uid, b->dev, 1,
						 H.now), 0);
	h_flush();
	ck_assert_int_eq(lc_server_stats_get(H.s, &st), 0);
	ck_assert_uint_eq(st.copies_live, 1);
	mid_of(mid, 4);
	ck_assert_int_eq(h_send(a, mid, to, 1, "w"), 0);
	ck_assert_int_eq(R.queued, 2);
	ck_assert_int_eq(H.pushes, 1);
	ck_assert_int_eq(lc_server_stats_get(H.s, &st), 0);
	ck_assert_uint_eq(st.copies_live, 2);
	ck_assert_uint_eq(st.copies_offline, 1);
}
END_TEST

START_TEST(device_state_callback)
{
	hclient *a = h_user();
	uint32_t dev = a->dev;

	ck_assert_int_eq(R.states, 1);
	ck_assert_str_eq(R.s_uid, a->uid);
	ck_assert_uint_eq(R.s_dev, dev);
	ck_assert_int_eq(R.s_online, 1);
	h_disconnect(a);
	ck_assert_int_eq(R.states, 2);
	ck_assert_int_eq(R.s_online, 0);
	h_connect(a);
	ck_assert_int_eq(h_login_token(a), 0);
	ck_assert_int_eq(R.states, 3);
	ck_assert_int_eq(R.s_online, 1);
}
END_TEST

static int subscribe(hclient *cl, const char *uid, int *online)
{
	Libchat__PresenceSubscribe ps = LIBCHAT__PRESENCE_SUBSCRIBE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *ack = NULL;
	char *ids[1] = { (char *)uid };
	int rc;

	ps.user_ids = ids;
	ps.n_user_ids = 1;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PRESENCE_SUBSCRIBE;
	e.presence_subscribe = &ps;
	rc = h_call(cl, &e, &ack);
	if (rc == 0) {
		*online = ack->ack->presence->users[0]->online;
		lc_envelope_free(ack, NULL);
	}
	return rc;
}

START_TEST(remote_device_presence)
{
	hclient *a = h_user(), *b = h_user();
	hclient *to[1] = { b };
	uint8_t mid[16];
	lc_envelope *pu;
	int online = -1;

	mid_of(mid, 1);
	ck_assert_int_eq(h_send(a, mid, to, 1, "hi"), 0); /* a chat */
	h_disconnect(b);
	ck_assert_int_eq(subscribe(a, b->uid, &online), 0);
	ck_assert_int_eq(online, 0);
	h_inbox_clear(a);
	/* b's device connects to another process */
	ck_assert_int_eq(lc_server_remote_device(H.s, b->uid, b->dev, 1,
						 H.now), 0);
	h_flush();
	pu = h_push(a, PRESENCE);
	ck_assert_ptr_nonnull(pu);
	ck_assert_str_eq(pu->presence_update->user_id, b->uid);
	ck_assert_int_eq(pu->presence_update->online, 1);
	lc_envelope_free(pu, NULL);
	ck_assert_int_eq(subscribe(a, b->uid, &online), 0);
	ck_assert_int_eq(online, 1);
	/* a second connection there, then here: still one online state */
	ck_assert_int_eq(lc_server_remote_device(H.s, b->uid, b->dev, 1,
						 H.now), 0);
	h_connect(b);
	ck_assert_int_eq(h_login_token(b), 0);
	h_flush();
	ck_assert_uint_eq(h_count(a, PRESENCE), 0);
	h_disconnect(b);
	ck_assert_int_eq(lc_server_remote_device(H.s, b->uid, b->dev, 0,
						 H.now), 0);
	h_flush();
	ck_assert_uint_eq(h_count(a, PRESENCE), 0);
	/* the last connection anywhere goes: offline, with the time */
	H.now += 5000;
	ck_assert_int_eq(lc_server_remote_device(H.s, b->uid, b->dev, 0,
						 H.now), 0);
	h_flush();
	pu = h_push(a, PRESENCE);
	ck_assert_ptr_nonnull(pu);
	ck_assert_int_eq(pu->presence_update->online, 0);
	ck_assert_uint_eq(pu->presence_update->last_seen_ms, H.now);
	lc_envelope_free(pu, NULL);
	/* an unknown disconnect changes nothing */
	ck_assert_int_eq(lc_server_remote_device(H.s, b->uid, b->dev, 0,
						 H.now), 0);
	h_flush();
	ck_assert_uint_eq(h_count(a, PRESENCE), 0);
	ck_assert_int_eq(lc_server_remote_device(NULL, b->uid, 1, 1, H.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_server_remote_device(H.s, NULL, 1, 1, H.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_server_remote_device(H.s, "", 1, 1, H.now),
			 LC_ERR_INVALID_ARG);
}
END_TEST

/* A caller built against the version 1 header: callbacks end at log. */
static uint64_t depth_now(void)
{
	uint64_t n = UINT64_MAX;

	ck_assert_int_eq(lc_server_queue_depth(H.s, &n), 0);
	return n;
}

static uint64_t depth_gauge(void)
{
	lc_server_stats st = { .version = LC_SERVER_STATS_VERSION };

	ck_assert_int_eq(lc_server_stats_get(H.s, &st), 0);
	return st.queue_depth;
}

/* Another process on the same directory queues one entry for `to`. */
static void enqueue_from_child(hclient *from, hclient *to, unsigned n)
{
	int status = -1;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		lc_server *s2 = NULL;
		lc_addr f, t;
		uint8_t mid[16];
		ProtobufCBinaryData body = { 3, (uint8_t *)"hey" };
		int rc;

		strcpy(f.uid, from->uid);
		f.dev = from->dev;
		strcpy(t.uid, to->uid);
		t.dev = to->dev;
		mid_of(mid, n);
		rc = lc_server_new(&s2, &H.cfg, &r_cb, NULL);
		if (rc == 0)
			rc = lc_deliver(s2, &t, &f, mid, NULL,
					LIBCHAT__CIPHER_TYPE__CIPHER_RATCHET,
					&body, H.now);
		if (rc == 0)
			rc = lc_server_flush(s2, H.now);
		lc_server_free(s2);
		_exit(rc == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The store's count sees every process's commits and none of this turn's
 * uncommitted writes; the gauge follows only this server's commits. */
START_TEST(queue_depth_across_processes)
{
	hclient *a = h_user(), *b = h_user();
	hclient *to[1] = { b };
	uint8_t mid[16];
	uint64_t n = 7;

	ck_assert_int_eq(lc_server_queue_depth(NULL, &n), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_server_queue_depth(H.s, NULL), LC_ERR_INVALID_ARG);
	ck_assert_uint_eq(n, 7);
	ck_assert_uint_eq(depth_now(), 0);
	h_disconnect(b);
	mid_of(mid, 1);
	ck_assert_int_eq(h_send(a, mid, to, 1, "one"), 0);
	ck_assert_uint_eq(depth_now(), 1);
	/* staged in the open transaction, not committed: not counted */
	mid_of(mid, 2);
	h_feed_send(a, mid, to, NULL, 1, "two");
	ck_assert_uint_eq(depth_now(), 1);
	h_flush();
	ck_assert_uint_eq(depth_now(), 2);
	ck_assert_uint_eq(depth_gauge(), 2);
	/* two other processes each commit an entry */
	enqueue_from_child(a, b, 3);
	enqueue_from_child(b, a, 4);
	ck_assert_uint_eq(depth_now(), 4);
	ck_assert_uint_eq(depth_gauge(), 2); /* this server's own view */
	/* b reads and acks its three entries here; a's delivered receipts
	 * (a is connected) are queued in their place */
	h_connect(b);
	ck_assert_int_eq(h_login_token(b), 0);
	for (unsigned i = 0; i < 3; i++) {
		lc_envelope *d = h_push(b, DELIVER);

		ck_assert_ptr_nonnull(d);
		h_ack_push(b, d);
		lc_envelope_free(d, NULL);
	}
	ck_assert_uint_eq(depth_now(), 4);
	ck_assert_uint_eq(h_count(b, DELIVER), 0);
}
END_TEST

START_TEST(callbacks_version_1)
{
	size_t n = offsetof(lc_server_callbacks, queued);
	uint8_t *v1 = malloc(n);
	uint32_t one = 1;
	lc_server *s = NULL;
	char dir2[] = "/tmp/lc-server-v1-XXXXXX";
	lc_server_config cfg = H.cfg;
	char cmd[96];

	ck_assert_ptr_nonnull(v1);
	ck_assert_ptr_nonnull(mkdtemp(dir2));
	cfg.data_dir = dir2;
	memcpy(v1, &r_cb, n);
	memcpy(v1 + offsetof(lc_server_callbacks, version), &one, sizeof one);
	ck_assert_int_eq(lc_server_new(&s, &cfg,
				       (lc_server_callbacks *)(void *)v1,
				       NULL), 0);
	free(v1);
	lc_server_free(s);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir2);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("remote");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, remote_queued_pumps_the_connection);
	tcase_add_test(tc, queued_callback_after_commit);
	tcase_add_test(tc, device_state_callback);
	tcase_add_test(tc, remote_device_presence);
	tcase_add_test(tc, callbacks_version_1);
	tcase_add_test(tc, queue_depth_across_processes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
