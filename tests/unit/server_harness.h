/* Drives the server core through its internal test API: each client is a
 * connection whose device key is set as the Noise layer would, requests
 * are packed Envelopes fed to the dispatcher, and every released answer or
 * push is unpacked into the client's inbox. */
#ifndef LC_SERVER_HARNESS_H
#define LC_SERVER_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include <libchat/server.h>

#include "envelope.h"
#include "server_int.h"
#include "testutil.h"

#define H_INBOX 512
#define H_CLIENTS 16

typedef struct hclient {
	lc_server_conn *c;
	uint8_t key[32];
	char uid[LC_UID_MAX + 1];
	uint32_t dev;
	uint8_t token[32];
	lc_envelope *inbox[H_INBOX];
	size_t n;
	uint64_t rid;
	int closed_reason;
	int closed;
} hclient;

static struct {
	char dir[64];
	lc_server *s;
	uint64_t now;
	hclient *cl[H_CLIENTS];
	int n_cl;
	int pushes;
	char push_uid[LC_UID_MAX + 1];
	uint32_t push_dev;
	char push_sender[LC_UID_MAX + 1];
	uint8_t push_mid[16];
	lc_server_config cfg;
} H;

static uint8_t h_server_sk[32];

static void h_close_cb(lc_server_conn *c, int reason, void *ud)
{
	hclient *cl = lc_server_conn_user_data(c);

	(void)ud;
	cl->closed = 1;
	cl->closed_reason = reason;
}

static void h_push_cb(const char *uid, uint32_t dev, const char *suid,
		      uint32_t sdev, const uint8_t mid[16], void *ud)
{
	(void)ud;
	(void)sdev;
	H.pushes++;
	strcpy(H.push_uid, uid);
	H.push_dev = dev;
	strcpy(H.push_sender, suid);
	memcpy(H.push_mid, mid, 16);
}

static const lc_server_callbacks h_cb = {
	LC_SERVER_CONFIG_VERSION, h_close_cb, NULL, h_push_cb, NULL, NULL, NULL,
};

static void h_open(void)
{
	ck_assert_int_eq(lc_server_new(&H.s, &H.cfg, &h_cb, NULL), 0);
}

/* A fresh store; cfg fields may be changed between h_start and h_open. */
static void h_start(void)
{
	memset(&H, 0, sizeof H);
	strcpy(H.dir, "/tmp/lc-server-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(H.dir));
	H.cfg.version = LC_SERVER_CONFIG_VERSION;
	H.cfg.data_dir = H.dir;
	H.cfg.map_size = 64u << 20;
	H.cfg.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
	H.cfg.pwhash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
	memset(h_server_sk, 0x42, sizeof h_server_sk);
	H.cfg.static_private = h_server_sk;
	H.now = 1700000000000ull;
}

static void h_inbox_clear(hclient *cl)
{
	for (size_t i = 0; i < cl->n; i++)
		lc_envelope_free(cl->inbox[i], NULL);
	cl->n = 0;
}

static void h_disconnect(hclient *cl)
{
	if (cl->c)
		lc_server_conn_close(cl->c, H.now);
	cl->c = NULL;
}

/* Close the server (dropping unflushed work), keep the directory. */
static void h_shutdown(void)
{
	for (int i = 0; i < H.n_cl; i++)
		h_disconnect(H.cl[i]);
	lc_server_free(H.s);
	H.s = NULL;
}

static void h_stop(void)
{
	char cmd[128];

	h_shutdown();
	for (int i = 0; i < H.n_cl; i++) {
		h_inbox_clear(H.cl[i]);
		free(H.cl[i]);
	}
	H.n_cl = 0;
	snprintf(cmd, sizeof cmd, "rm -rf %s", H.dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void h_connect(hclient *cl)
{
	cl->closed = 0;
	ck_assert_int_eq(lc_server_conn_open(H.s, &cl->c, cl, H.now), 0);
	lc_srv_conn_set_device_key(cl->c, cl->key);
}

static hclient *h_client(void)
{
	hclient *cl = calloc(1, sizeof *cl);

	ck_assert_ptr_nonnull(cl);
	ck_assert_int_lt(H.n_cl, H_CLIENTS);
	H.cl[H.n_cl++] = cl;
	randombytes_buf(cl->key, sizeof cl->key);
	h_connect(cl);
	return cl;
}

/* Flush the turn and move every released Envelope into its inbox. */
static void h_flush(void)
{
	ck_assert_int_eq(lc_server_flush(H.s, H.now), 0);
	for (int i = 0; i < H.n_cl; i++) {
		hclient *cl = H.cl[i];
		const uint8_t *p;
		size_t n;

		while (cl->c && lc_srv_conn_pop(cl->c, &p, &n)) {
			lc_envelope *e;
			ck_assert_int_eq(lc_envelope_unpack(p, n, NULL, &e), 0);
			ck_assert_uint_lt(cl->n, H_INBOX);
			cl->inbox[cl->n++] = e;
		}
	}
}

/* Feed e without flushing; returns its request id. */
static uint64_t h_feed(hclient *cl, lc_envelope *e)
{
	uint8_t buf[LC_ENVELOPE_MAX];
	int n;

	if (e->request_id == 0)
		e->request_id = ++cl->rid;
	n = lc_envelope_pack(e, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	lc_srv_conn_payload(cl->c, buf, (size_t)n, H.now);
	return e->request_id;
}

static lc_envelope *h_take(hclient *cl, size_t i)
{
	lc_envelope *e = cl->inbox[i];

	memmove(&cl->inbox[i], &cl->inbox[i + 1],
		(cl->n - i - 1) * sizeof cl->inbox[0]);
	cl->n--;
	return e;
}

/* The answer (Ack or Error) to rid, or NULL. */
static lc_envelope *h_answer(hclient *cl, uint64_t rid)
{
	for (size_t i = 0; i < cl->n; i++) {
		lc_envelope *e = cl->inbox[i];
		if (e->request_id == rid &&
		    (e->body_case == LIBCHAT__ENVELOPE__BODY_ACK ||
		     e->body_case == LIBCHAT__ENVELOPE__BODY_ERROR))
			return h_take(cl, i);
	}
	return NULL;
}

/* The first push with this body, or NULL. */
static lc_envelope *h_push(hclient *cl, Libchat__Envelope__BodyCase body)
{
	for (size_t i = 0; i < cl->n; i++)
		if (cl->inbox[i]->body_case == body)
			return h_take(cl, i);
	return NULL;
}

static size_t h_count(hclient *cl, Libchat__Envelope__BodyCase body)
{
	size_t k = 0;

	for (size_t i = 0; i < cl->n; i++)
		k += cl->inbox[i]->body_case == body;
	return k;
}

/* Send e, flush, and return the answer's error code (0 for an Ack);
 * the Ack itself goes to *ack when given (free it), else is freed. */
static int h_call(hclient *cl, lc_envelope *e, lc_envelope **ack)
{
	uint64_t rid = h_feed(cl, e);
	lc_envelope *a;
	int code;

	h_flush();
	a = h_answer(cl, rid);
	ck_assert_msg(a != NULL, "no answer to request %llu",
		      (unsigned long long)rid);
	code = a->body_case == LIBCHAT__ENVELOPE__BODY_ERROR ?
	       -(int)a->error->code : 0;
	if (code == 0 && ack)
		*ack = a;
	else
		lc_envelope_free(a, NULL);
	return code;
}

static void h_ack_push(hclient *cl, const lc_envelope *push)
{
	Libchat__Ack a = LIBCHAT__ACK__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	e.request_id = push->request_id;
	e.body_case = LIBCHAT__ENVELOPE__BODY_ACK;
	e.ack = &a;
	h_feed(cl, &e);
	h_flush();
}

/* ---- request builders */

static int h_register(hclient *cl, const char *phone, const char *email,
		      const char *pw)
{
	Libchat__Register r = LIBCHAT__REGISTER__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *a = NULL;
	int rc;

	if (phone) {
		r.identifier_case = LIBCHAT__REGISTER__IDENTIFIER_PHONE;
		r.phone = (char *)phone;
	} else {
		r.identifier_case = LIBCHAT__REGISTER__IDENTIFIER_EMAIL;
		r.email = (char *)email;
	}
	r.display_name = "Someone";
	r.password = (char *)pw;
	e.body_case = LIBCHAT__ENVELOPE__BODY_REGISTER;
	e.register_ = &r;
	rc = h_call(cl, &e, &a);
	if (rc == 0) {
		ck_assert_int_eq(a->ack->result_case, LIBCHAT__ACK__RESULT_LOGIN);
		strcpy(cl->uid, a->ack->login->user_id);
		cl->dev = a->ack->login->device_id;
		ck_assert_uint_eq(a->ack->login->token.len, 32);
		memcpy(cl->token, a->ack->login->token.data, 32);
		lc_envelope_free(a, NULL);
	}
	return rc;
}

static int h_login_pw(hclient *cl, const char *phone, const char *pw)
{
	Libchat__PasswordCredential p = LIBCHAT__PASSWORD_CREDENTIAL__INIT;
	Libchat__Login l = LIBCHAT__LOGIN__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *a = NULL;
	int rc;

	p.identifier_case = LIBCHAT__PASSWORD_CREDENTIAL__IDENTIFIER_PHONE;
	p.phone = (char *)phone;
	p.password = (char *)pw;
	l.credential_case = LIBCHAT__LOGIN__CREDENTIAL_PASSWORD;
	l.password = &p;
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGIN;
	e.login = &l;
	rc = h_call(cl, &e, &a);
	if (rc == 0) {
		strcpy(cl->uid, a->ack->login->user_id);
		cl->dev = a->ack->login->device_id;
		memcpy(cl->token, a->ack->login->token.data, 32);
		lc_envelope_free(a, NULL);
	}
	return rc;
}

static int h_login_token(hclient *cl)
{
	Libchat__TokenCredential t = LIBCHAT__TOKEN_CREDENTIAL__INIT;
	Libchat__Login l = LIBCHAT__LOGIN__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	t.user_id = cl->uid;
	t.device_id = cl->dev;
	t.token.data = cl->token;
	t.token.len = 32;
	l.credential_case = LIBCHAT__LOGIN__CREDENTIAL_TOKEN;
	l.token = &t;
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGIN;
	e.login = &l;
	return h_call(cl, &e, NULL);
}

static int h_heartbeat(hclient *cl)
{
	Libchat__Heartbeat hb = LIBCHAT__HEARTBEAT__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	e.body_case = LIBCHAT__ENVELOPE__BODY_HEARTBEAT;
	e.heartbeat = &hb;
	return h_call(cl, &e, NULL);
}

/* A registered client with a fresh phone number. */
static hclient *h_user(void)
{
	static unsigned next = 1000;
	char phone[32];
	hclient *cl = h_client();

	snprintf(phone, sizeof phone, "+1555%07u", next++);
	ck_assert_int_eq(h_register(cl, phone, NULL, "correct horse"), 0);
	return cl;
}

/* A second device of cl's account (password login with a new key). */
static hclient *h_second_device(hclient *cl, const char *phone)
{
	hclient *d = h_client();

	ck_assert_int_eq(h_login_pw(d, phone, "correct horse"), 0);
	ck_assert_str_eq(d->uid, cl->uid);
	return d;
}

/* Send body to the listed devices (uid, dev pairs) with message id mid. */
static uint64_t h_feed_send(hclient *cl, const uint8_t mid[16],
			    hclient **to, const uint32_t *devs, size_t n,
			    const char *body)
{
	Libchat__Send s = LIBCHAT__SEND__INIT;
	Libchat__Ciphertext ct[8], *cp[8];
	Libchat__Address ad[8];
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	for (size_t i = 0; i < n; i++) {
		libchat__ciphertext__init(&ct[i]);
		libchat__address__init(&ad[i]);
		ad[i].user_id = to[i]->uid;
		ad[i].device_id = devs ? devs[i] : to[i]->dev;
		ct[i].to = &ad[i];
		ct[i].type = LIBCHAT__CIPHER_TYPE__CIPHER_RATCHET;
		ct[i].body.data = (uint8_t *)body;
		ct[i].body.len = strlen(body);
		cp[i] = &ct[i];
	}
	s.message_id.data = (uint8_t *)mid;
	s.message_id.len = 16;
	s.copies = cp;
	s.n_copies = n;
	e.body_case = LIBCHAT__ENVELOPE__BODY_SEND;
	e.send = &s;
	return h_feed(cl, &e);
}

static int h_send(hclient *cl, const uint8_t mid[16], hclient **to,
		  size_t n, const char *body)
{
	uint64_t rid = h_feed_send(cl, mid, to, NULL, n, body);
	lc_envelope *a;
	int code;

	h_flush();
	a = h_answer(cl, rid);
	ck_assert_ptr_nonnull(a);
	code = a->body_case == LIBCHAT__ENVELOPE__BODY_ERROR ?
	       -(int)a->error->code : 0;
	if (code == 0)
		ck_assert_mem_eq(a->ack->sent->message_id.data, mid, 16);
	lc_envelope_free(a, NULL);
	return code;
}

/* A group message whose sender says every device of holders (a NULL
 * terminated list, or NULL) has its sender key (at most 8). */
static int h_group_send(hclient *cl, const uint8_t gid[16],
			const uint8_t mid[16], const char *body,
			hclient *const *holders)
{
	Libchat__Send s = LIBCHAT__SEND__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	Libchat__Address ad[8], *ap[8];

	while (holders && holders[s.n_key_holders] &&
	       s.n_key_holders < 8) {
		size_t i = s.n_key_holders++;
		libchat__address__init(&ad[i]);
		ad[i].user_id = holders[i]->uid;
		ad[i].device_id = holders[i]->dev;
		ap[i] = &ad[i];
	}
	s.key_holders = ap;
	s.message_id.data = (uint8_t *)mid;
	s.message_id.len = 16;
	s.group_id.data = (uint8_t *)gid;
	s.group_id.len = 16;
	s.group_body.data = (uint8_t *)body;
	s.group_body.len = strlen(body);
	e.body_case = LIBCHAT__ENVELOPE__BODY_SEND;
	e.send = &s;
	return h_call(cl, &e, NULL);
}

#endif
