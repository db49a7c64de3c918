/* Suite "server": limits per source address (Register, failed logins). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* not every helper of the shared harness is used here */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "server_harness.h"

#define PW "correct horse"
#define HOUR 3600000ull

static const uint8_t ADDR_A[4] = { 198, 51, 100, 7 };
static const uint8_t ADDR_B[4] = { 198, 51, 100, 8 };
static const uint8_t ADDR_V6[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2 };

static hclient *reg; /* the connection register_from() reuses */

static void setup(void)
{
	h_start();
	reg = NULL;
}

static void teardown(void)
{
	h_stop();
}

/* A client whose connection comes from peer (n bytes; 0: none). */
static void connect_from(hclient *cl, const uint8_t *peer, size_t n)
{
	cl->closed = 0;
	ck_assert_int_eq(lc_server_conn_open_peer(H.s, &cl->c, peer, n, cl,
						  H.now), 0);
	lc_srv_conn_set_device_key(cl->c, cl->key);
}

static hclient *client_from(const uint8_t *peer, size_t n)
{
	hclient *cl = h_client();

	h_disconnect(cl);
	connect_from(cl, peer, n);
	return cl;
}

/* Register on a fresh connection from peer; the error code, and the
 * retry_after_ms of an Error. */
static int register_from(const uint8_t *peer, size_t n, const char *phone,
			 uint64_t *retry)
{
	Libchat__Register r = LIBCHAT__REGISTER__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *a;
	hclient *cl;
	uint64_t rid;
	int code;

	if (reg == NULL)
		reg = h_client();
	cl = reg;
	h_disconnect(cl);
	h_inbox_clear(cl);
	randombytes_buf(cl->key, sizeof cl->key);
	connect_from(cl, peer, n);

	r.identifier_case = LIBCHAT__REGISTER__IDENTIFIER_PHONE;
	r.phone = (char *)phone;
	r.display_name = "Someone";
	r.password = PW;
	e.body_case = LIBCHAT__ENVELOPE__BODY_REGISTER;
	e.register_ = &r;
	rid = h_feed(cl, &e);
	h_flush();
	a = h_answer(cl, rid);
	ck_assert_ptr_nonnull(a);
	code = a->body_case == LIBCHAT__ENVELOPE__BODY_ERROR ?
	       -(int)a->error->code : 0;
	*retry = code ? a->error->retry_after_ms : 0;
	lc_envelope_free(a, NULL);
	h_disconnect(cl);
	return code;
}

static int addrlimit_records(void)
{
	lc_slice k, v;
	uint8_t after[64];
	size_t alen = 0;
	int n = 0;

	while (H.s->be.ops->next(H.s->be.h, LC_T_ADDRLIMIT, lc_sl(NULL, 0),
				 lc_sl(after, alen), &k, &v) == 0) {
		memcpy(after, k.p, k.n);
		alen = k.n;
		n++;
	}
	H.s->be.ops->abort(H.s->be.h);
	return n;
}

START_TEST(limits_register_per_address)
{
	uint64_t retry;
	char phone[32];

	H.cfg.register_per_hour = 3;
	h_open();
	ck_assert_int_eq(register_from(ADDR_A, 4, "+15550100001", &retry), 0);
	ck_assert_int_eq(register_from(ADDR_A, 4, "+15550100002", &retry), 0);
	/* Probing an existing account spends a unit too. */
	ck_assert_int_eq(register_from(ADDR_A, 4, "+15550100001", &retry),
			 LC_ERR_ACCOUNT_EXISTS);
	ck_assert_int_eq(register_from(ADDR_A, 4, "+15550100003", &retry),
			 LC_ERR_THROTTLED);
	ck_assert_uint_eq(retry, HOUR / 3);
	/* Refused requests spend nothing: the wait does not grow. */
	H.now += 1000;
	ck_assert_int_eq(register_from(ADDR_A, 4, "+15550100003", &retry),
			 LC_ERR_THROTTLED);
	ck_assert_uint_eq(retry, HOUR / 3 - 1000);
	/* Other addresses, an IPv6 /64 and a connection without an address
	 * are not affected. */
	ck_assert_int_eq(register_from(ADDR_B, 4, "+15550100004", &retry), 0);
	ck_assert_int_eq(register_from(ADDR_V6, 8, "+15550100005", &retry), 0);
	for (int i = 0; i < 5; i++) {
		snprintf(phone, sizeof phone, "+155501002%02d", i);
		ck_assert_int_eq(register_from(NULL, 0, phone, &retry), 0);
	}
	/* The same bytes with another length are another address. */
	ck_assert_int_eq(register_from(ADDR_A, 3, "+15550100006", &retry), 0);
	/* After a third of an hour, one more. */
	H.now += HOUR / 3 - 1000;
	ck_assert_int_eq(register_from(ADDR_A, 4, "+15550100003", &retry), 0);
	ck_assert_int_eq(register_from(ADDR_A, 4, "+15550100007", &retry),
			 LC_ERR_THROTTLED);
}
END_TEST

START_TEST(limits_register_survives_restart)
{
	uint64_t retry;

	H.cfg.register_per_hour = 1;
	h_open();
	ck_assert_int_eq(register_from(ADDR_A, 4, "+15550100011", &retry), 0);
	h_shutdown();
	h_open();
	ck_assert_int_eq(register_from(ADDR_A, 4, "+15550100012", &retry),
			 LC_ERR_THROTTLED);
	ck_assert_uint_eq(retry, HOUR);
	ck_assert_int_eq(register_from(ADDR_B, 4, "+15550100012", &retry), 0);
}
END_TEST

START_TEST(limits_register_off)
{
	uint64_t retry;
	char phone[32];

	H.cfg.register_per_hour = LC_SERVER_LIMIT_OFF;
	h_open();
	for (int i = 0; i < 30; i++) {
		snprintf(phone, sizeof phone, "+155501003%02d", i);
		ck_assert_int_eq(register_from(ADDR_A, 4, phone, &retry), 0);
	}
	ck_assert_int_eq(addrlimit_records(), 0);
}
END_TEST

START_TEST(limits_register_default)
{
	uint64_t retry;
	char phone[32];
	unsigned i;

	h_open();
	for (i = 0; i < LC_SERVER_REGISTER_PER_HOUR; i++) {
		snprintf(phone, sizeof phone, "+155501004%02u", i);
		ck_assert_int_eq(register_from(ADDR_A, 4, phone, &retry), 0);
	}
	snprintf(phone, sizeof phone, "+155501004%02u", i);
	ck_assert_int_eq(register_from(ADDR_A, 4, phone, &retry),
			 LC_ERR_THROTTLED);
}
END_TEST

/* Failed logins from one address across accounts: each account stays
 * under its own backoff, the address still runs out. */
START_TEST(limits_login_failures_per_address)
{
	hclient *att, *other, *noaddr, *users[4];
	char phone[4][32];
	uint64_t retry;

	H.cfg.login_failures_per_hour = 4;
	h_open();
	for (int i = 0; i < 4; i++) {
		snprintf(phone[i], sizeof phone[i], "+155501005%02d", i);
		users[i] = client_from(NULL, 0);
		ck_assert_int_eq(h_register(users[i], phone[i], NULL, PW), 0);
	}
	att = client_from(ADDR_A, 4);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(h_login_pw(att, phone[i], "wrong guess"),
				 LC_ERR_AUTH_FAILED);
	/* Even the right password waits: nothing is verified. */
	ck_assert_int_eq(h_login_pw(att, phone[0], PW), LC_ERR_THROTTLED);
	ck_assert_int_eq(h_login_pw(att, "+15559999999", "x"),
			 LC_ERR_THROTTLED);
	/* A new connection from the same address is refused too. */
	h_disconnect(att);
	connect_from(att, ADDR_A, 4);
	ck_assert_int_eq(h_login_pw(att, phone[1], PW), LC_ERR_THROTTLED);
	/* Token logins are not limited by it. */
	h_disconnect(users[2]);
	connect_from(users[2], ADDR_A, 4);
	ck_assert_int_eq(h_login_token(users[2]), 0);
	/* Other addresses and address-less connections log in. */
	other = client_from(ADDR_B, 4);
	ck_assert_int_eq(h_login_pw(other, phone[1], PW), 0);
	noaddr = client_from(NULL, 0);
	ck_assert_int_eq(h_login_pw(noaddr, phone[3], PW), 0);
	/* A quarter of an hour later, one attempt. */
	H.now += HOUR / 4;
	ck_assert_int_eq(h_login_pw(att, phone[0], PW), 0);
	(void)retry;
}
END_TEST

START_TEST(limits_login_retry_after)
{
	Libchat__PasswordCredential p = LIBCHAT__PASSWORD_CREDENTIAL__INIT;
	Libchat__Login l = LIBCHAT__LOGIN__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *err;
	hclient *att;
	uint64_t rid;

	H.cfg.login_failures_per_hour = 2;
	h_open();
	att = client_from(ADDR_V6, 8);
	ck_assert_int_eq(h_login_pw(att, "+15550100601", "nope"),
			 LC_ERR_AUTH_FAILED);
	H.now += 1000;
	ck_assert_int_eq(h_login_pw(att, "+15550100602", "nope"),
			 LC_ERR_AUTH_FAILED);
	p.identifier_case = LIBCHAT__PASSWORD_CREDENTIAL__IDENTIFIER_PHONE;
	p.phone = "+15550100603";
	p.password = "nope";
	l.credential_case = LIBCHAT__LOGIN__CREDENTIAL_PASSWORD;
	l.password = &p;
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGIN;
	e.login = &l;
	rid = h_feed(att, &e);
	h_flush();
	err = h_answer(att, rid);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_eq(err->body_case, LIBCHAT__ENVELOPE__BODY_ERROR);
	ck_assert_int_eq(-(int)err->error->code, LC_ERR_THROTTLED);
	/* 2 units, spent at t and t+1 s: one unit back 1800 s after t+1 s
	 * minus the 1 s refilled meanwhile. */
	ck_assert_uint_eq(err->error->retry_after_ms, HOUR / 2 - 1000);
	lc_envelope_free(err, NULL);
}
END_TEST

START_TEST(limits_purged_when_full)
{
	uint64_t retry;

	H.cfg.register_per_hour = 2;
	h_open();
	ck_assert_int_eq(register_from(ADDR_A, 4, "+15550100701", &retry), 0);
	ck_assert_int_eq(register_from(ADDR_B, 4, "+15550100702", &retry), 0);
	H.now += HOUR / 4;
	ck_assert_int_eq(register_from(ADDR_B, 4, "+15550100703", &retry), 0);
	ck_assert_int_eq(addrlimit_records(), 2);
	/* A's bucket is full again after half an hour, B's not yet. */
	H.now += HOUR / 4;
	ck_assert_int_eq(lc_server_handle_expiry(H.s, H.now), 0);
	ck_assert_int_eq(lc_server_flush(H.s, H.now), 0);
	ck_assert_int_eq(addrlimit_records(), 1);
	H.now += HOUR;
	ck_assert_int_eq(lc_server_handle_expiry(H.s, H.now), 0);
	ck_assert_int_eq(lc_server_handle_expiry(H.s, H.now), 0);
	ck_assert_int_eq(lc_server_flush(H.s, H.now), 0);
	ck_assert_int_eq(addrlimit_records(), 0);
}
END_TEST

START_TEST(limits_open_peer_arguments)
{
	lc_server_conn *c = (lc_server_conn *)1;
	uint8_t big[LC_SERVER_PEER_MAX + 1] = { 0 };

	h_open();
	ck_assert_int_eq(lc_server_conn_open_peer(H.s, &c, big, sizeof big,
						  NULL, H.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(lc_server_conn_open_peer(H.s, &c, NULL, 4, NULL,
						  H.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_server_conn_open_peer(NULL, &c, big, 4, NULL,
						  H.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_server_conn_open_peer(H.s, NULL, big, 4, NULL,
						  H.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_server_conn_open_peer(H.s, &c, big,
						  LC_SERVER_PEER_MAX, NULL,
						  H.now), 0);
	lc_server_conn_close(c, H.now);
}
END_TEST

/* A caller built against the version 1 header: its structure ends
 * before the version 2 fields, which take their defaults. */
START_TEST(limits_config_version_1)
{
	size_t n = offsetof(lc_server_config, register_per_hour);
	uint32_t one = 1;
	uint8_t *v1 = malloc(n);
	uint64_t retry;
	char phone[32];
	unsigned i;

	ck_assert_ptr_nonnull(v1);
	memcpy(v1, &H.cfg, n);
	memcpy(v1 + offsetof(lc_server_config, version), &one, sizeof one);
	ck_assert_int_eq(lc_server_new(&H.s, (lc_server_config *)(void *)v1,
				       &h_cb, NULL), 0);
	free(v1);
	for (i = 0; i < LC_SERVER_REGISTER_PER_HOUR; i++) {
		snprintf(phone, sizeof phone, "+155501008%02u", i);
		ck_assert_int_eq(register_from(ADDR_A, 4, phone, &retry), 0);
	}
	ck_assert_int_eq(register_from(ADDR_A, 4, "+15550100899", &retry),
			 LC_ERR_THROTTLED);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("limits");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, limits_register_per_address);
	tcase_add_test(tc, limits_register_survives_restart);
	tcase_add_test(tc, limits_register_off);
	tcase_add_test(tc, limits_register_default);
	tcase_add_test(tc, limits_login_failures_per_address);
	tcase_add_test(tc, limits_login_retry_after);
	tcase_add_test(tc, limits_purged_when_full);
	tcase_add_test(tc, limits_open_peer_arguments);
	tcase_add_test(tc, limits_config_version_1);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
