/* The test client: blocking TCP + lc_noise_conn + Envelope codec. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <libchat/frame.h>

#include "tclient.h"

int tc_sockbuf;
const char *tc_source;

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

int tc_send_raw(tclient *t, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = send(t->fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int flush_out(tclient *t)
{
	const uint8_t *d;
	size_t n = lc_noise_conn_output(t->nc, &d);

	if (n == 0)
		return 0;
	if (tc_send_raw(t, d, n) != 0)
		return -1;
	return lc_noise_conn_output_consume(t->nc, n);
}

/* Read once (up to ms) and decode; -1 when the connection ended. */
static int pump_in(tclient *t, int ms)
{
	uint8_t buf[16384];
	struct pollfd pfd = { t->fd, POLLIN, 0 };
	ssize_t n;
	size_t off = 0;

	if (t->closed)
		return -1;
	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	n = recv(t->fd, buf, sizeof buf, 0);
	if (n <= 0) {
		t->closed = 1;
		return -1;
	}
	while (off < (size_t)n) {
		const uint8_t *pl;
		size_t used = 0, plen;
		lc_envelope *e;
		int rc = lc_noise_conn_recv(t->nc, buf + off, (size_t)n - off,
					    &used, &pl, &plen);

		if (rc < 0) {
			t->closed = 1;
			return -1;
		}
		off += used;
		if (rc == 0)
			break;
		if (lc_envelope_unpack(pl, plen, NULL, &e) == 0 &&
		    t->n < TC_INBOX)
			t->inbox[t->n++] = e;
	}
	/* only the handshake answers reads; later output is the caller's */
	if (lc_noise_conn_is_established(t->nc))
		return 0;
	return flush_out(t) == 0 ? 0 : -1;
}

tclient *tc_connect(int port, const uint8_t *server_pub, const uint8_t *sk)
{
	struct sockaddr_in a = { 0 };
	tclient *t = calloc(1, sizeof *t);
	int one = 1;
	uint64_t end = mono_ms() + 5000;

	if (t == NULL)
		return NULL;
	t->next_rid = 1;
	if (sk)
		memcpy(t->sk, sk, 32);
	else
		randombytes_buf(t->sk, 32);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (t->fd >= 0 && tc_sockbuf) {
		setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &tc_sockbuf,
			   sizeof tc_sockbuf);
		setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &tc_sockbuf,
			   sizeof tc_sockbuf);
	}
	if (t->fd >= 0 && tc_source) {
		struct sockaddr_in src = { 0 };

		src.sin_family = AF_INET;
		if (inet_pton(AF_INET, tc_source, &src.sin_addr) != 1 ||
		    bind(t->fd, (struct sockaddr *)&src, sizeof src) != 0)
			goto fail;
	}
	if (t->fd < 0 || connect(t->fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    lc_noise_conn_client_new(&t->nc, t->sk, server_pub, 0, NULL,
				     NULL) != 0)
		goto fail;
	setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (flush_out(t) != 0)
		goto fail;
	while (!lc_noise_conn_is_established(t->nc) && mono_ms() < end)
		if (pump_in(t, 100) != 0)
			goto fail;
	if (lc_noise_conn_is_established(t->nc))
		return t;
fail:
	tc_free(t);
	return NULL;
}

void tc_free(tclient *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		lc_envelope_free(t->inbox[i], NULL);
	lc_noise_conn_free(t->nc);
	if (t->fd >= 0)
		close(t->fd);
	sodium_memzero(t->sk, sizeof t->sk);
	free(t);
}

int tc_send_payload(tclient *t, const uint8_t *p, size_t n)
{
	if (lc_noise_conn_send(t->nc, p, n) != 0)
		return -1;
	return flush_out(t);
}

uint64_t tc_queue(tclient *t, lc_envelope *env)
{
	uint8_t buf[LC_ENVELOPE_MAX];
	int n;

	env->request_id = t->next_rid++;
	n = lc_envelope_pack(env, buf, sizeof buf);
	if (n < 0 || lc_noise_conn_send(t->nc, buf, (size_t)n) != 0)
		return 0;
	return env->request_id;
}

long tc_write_some(tclient *t)
{
	const uint8_t *d;
	size_t n = lc_noise_conn_output(t->nc, &d);
	ssize_t w;

	if (n == 0)
		return 0;
	w = send(t->fd, d, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return (long)n;
	if (w < 0 || lc_noise_conn_output_consume(t->nc, (size_t)w) != 0)
		return -1;
	return (long)(n - (size_t)w);
}

uint64_t tc_send(tclient *t, lc_envelope *env)
{
	uint8_t buf[LC_ENVELOPE_MAX];
	int n;

	env->request_id = t->next_rid++;
	n = lc_envelope_pack(env, buf, sizeof buf);
	if (n < 0 || tc_send_payload(t, buf, (size_t)n) != 0)
		return 0;
	return env->request_id;
}

static lc_envelope *take(tclient *t, int body, uint64_t rid)
{
	for (size_t i = 0; i < t->n; i++) {
		lc_envelope *e = t->inbox[i];

		if ((body && (int)e->body_case != body) ||
		    (rid && e->request_id != rid))
			continue;
		memmove(&t->inbox[i], &t->inbox[i + 1],
			(t->n - i - 1) * sizeof t->inbox[0]);
		t->n--;
		return e;
	}
	return NULL;
}

lc_envelope *tc_wait(tclient *t, int body, uint64_t rid, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;
	lc_envelope *e;

	while ((e = take(t, body, rid)) == NULL) {
		uint64_t now = mono_ms();

		if (now >= end || pump_in(t, (int)(end - now)) != 0)
			return take(t, body, rid);
	}
	return e;
}

lc_envelope *tc_answer(tclient *t, uint64_t rid, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	for (;;) {
		lc_envelope *e = tc_wait(t, LIBCHAT__ENVELOPE__BODY_ACK, rid, 0);

		if (e == NULL)
			e = tc_wait(t, LIBCHAT__ENVELOPE__BODY_ERROR, rid, 0);
		if (e)
			return e;
		if (mono_ms() >= end || pump_in(t, 50) != 0)
			return NULL;
	}
}

int tc_wait_closed(tclient *t, int ms)
{
	uint64_t end = mono_ms() + (uint64_t)ms;

	while (!t->closed && mono_ms() < end)
		pump_in(t, 50);
	return t->closed;
}

int tc_code(const lc_envelope *a)
{
	if (a == NULL)
		return -1;
	if (a->body_case == LIBCHAT__ENVELOPE__BODY_ERROR)
		return -(int)a->error->code;
	return 0;
}

int tc_ack(tclient *t, const lc_envelope *push)
{
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	Libchat__Ack ack = LIBCHAT__ACK__INIT;
	uint8_t buf[64];
	int n;

	e.request_id = push->request_id;
	e.body_case = LIBCHAT__ENVELOPE__BODY_ACK;
	e.ack = &ack;
	n = lc_envelope_pack(&e, buf, sizeof buf);
	return n < 0 ? -1 : tc_send_payload(t, buf, (size_t)n);
}

static int call(tclient *t, lc_envelope *e, lc_envelope **ans)
{
	uint64_t rid = tc_send(t, e);
	lc_envelope *a = rid ? tc_answer(t, rid, 10000) : NULL;
	int rc = tc_code(a);

	t->retry_after = a && a->body_case == LIBCHAT__ENVELOPE__BODY_ERROR
				 ? a->error->retry_after_ms : 0;
	if (ans)
		*ans = a;
	else if (a)
		lc_envelope_free(a, NULL);
	return rc;
}

static void take_login(tclient *t, const lc_envelope *a)
{
	const Libchat__LoginResult *l = a->ack->login;

	if (l == NULL)
		return;
	snprintf(t->uid, sizeof t->uid, "%s", l->user_id);
	t->dev = l->device_id;
	if (l->token.len == 32)
		memcpy(t->token, l->token.data, 32);
}

int tc_register(tclient *t, const char *phone, const char *password)
{
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *a;
	Libchat__Register r = LIBCHAT__REGISTER__INIT;
	int rc;

	r.identifier_case = LIBCHAT__REGISTER__IDENTIFIER_PHONE;
	r.phone = (char *)phone;
	r.display_name = "tester";
	r.password = (char *)password;
	e.body_case = LIBCHAT__ENVELOPE__BODY_REGISTER;
	e.register_ = &r;
	rc = call(t, &e, &a);
	if (rc == 0)
		take_login(t, a);
	if (a)
		lc_envelope_free(a, NULL);
	return rc;
}

int tc_login_password(tclient *t, const char *phone, const char *password)
{
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *a;
	Libchat__Login l = LIBCHAT__LOGIN__INIT;
	Libchat__PasswordCredential c = LIBCHAT__PASSWORD_CREDENTIAL__INIT;
	int rc;

	c.identifier_case = LIBCHAT__PASSWORD_CREDENTIAL__IDENTIFIER_PHONE;
	c.phone = (char *)phone;
	c.password = (char *)password;
	l.credential_case = LIBCHAT__LOGIN__CREDENTIAL_PASSWORD;
	l.password = &c;
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGIN;
	e.login = &l;
	rc = call(t, &e, &a);
	if (rc == 0)
		take_login(t, a);
	if (a)
		lc_envelope_free(a, NULL);
	return rc;
}

int tc_login_token(tclient *t, const char *uid, uint32_t dev,
		   const uint8_t token[32])
{
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	Libchat__Login l = LIBCHAT__LOGIN__INIT;
	Libchat__TokenCredential c = LIBCHAT__TOKEN_CREDENTIAL__INIT;

	c.user_id = (char *)uid;
	c.device_id = dev;
	c.token.data = (uint8_t *)token;
	c.token.len = 32;
	l.credential_case = LIBCHAT__LOGIN__CREDENTIAL_TOKEN;
	l.token = &c;
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGIN;
	e.login = &l;
	snprintf(t->uid, sizeof t->uid, "%s", uid);
	t->dev = dev;
	memcpy(t->token, token, 32);
	return call(t, &e, NULL);
}

int tc_keys_upload(tclient *t)
{
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	Libchat__KeysUpload k = LIBCHAT__KEYS_UPLOAD__INIT;
	Libchat__SignedPrekey sp = LIBCHAT__SIGNED_PREKEY__INIT;
	Libchat__OneTimePrekey otk[4], *otkp[4];
	uint8_t ipk[32], isk[64], spk[32], ssk[32], sig[64], opk[4][32];

	crypto_sign_keypair(ipk, isk);
	randombytes_buf(ssk, sizeof ssk);
	crypto_scalarmult_base(spk, ssk);
	crypto_sign_detached(sig, NULL, spk, sizeof spk, isk);
	sp.id = 1;
	sp.public_key.data = spk;
	sp.public_key.len = 32;
	sp.signature.data = sig;
	sp.signature.len = 64;
	for (int i = 0; i < 4; i++) {
		libchat__one_time_prekey__init(&otk[i]);
		randombytes_buf(opk[i], 32);
		crypto_scalarmult_base(opk[i], opk[i]);
		otk[i].id = (uint32_t)i + 1;
		otk[i].public_key.data = opk[i];
		otk[i].public_key.len = 32;
		otkp[i] = &otk[i];
	}
	k.identity_key.data = ipk;
	k.identity_key.len = 32;
	k.signed_prekey = &sp;
	k.n_one_time_prekeys = 4;
	k.one_time_prekeys = otkp;
	e.body_case = LIBCHAT__ENVELOPE__BODY_KEYS_UPLOAD;
	e.keys_upload = &k;
	sodium_memzero(isk, sizeof isk);
	return call(t, &e, NULL);
}

uint64_t tc_send_msg(tclient *t, const uint8_t mid[16], const char *uid,
		     uint32_t dev, const char *body)
{
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	Libchat__Send s = LIBCHAT__SEND__INIT;
	Libchat__Ciphertext ct = LIBCHAT__CIPHERTEXT__INIT, *ctp = &ct;
	Libchat__Address to = LIBCHAT__ADDRESS__INIT;

	to.user_id = (char *)uid;
	to.device_id = dev;
	ct.to = &to;
	ct.type = LIBCHAT__CIPHER_TYPE__CIPHER_RATCHET;
	ct.body.data = (uint8_t *)body;
	ct.body.len = strlen(body);
	s.message_id.data = (uint8_t *)mid;
	s.message_id.len = 16;
	s.n_copies = 1;
	s.copies = &ctp;
	e.body_case = LIBCHAT__ENVELOPE__BODY_SEND;
	e.send = &s;
	return tc_send(t, &e);
}

int tc_message(tclient *t, const uint8_t mid[16], const char *uid,
	       uint32_t dev, const char *body)
{
	uint64_t rid = tc_send_msg(t, mid, uid, dev, body);
	lc_envelope *a = rid ? tc_answer(t, rid, 10000) : NULL;
	int rc = tc_code(a);

	if (a)
		lc_envelope_free(a, NULL);
	return rc;
}
