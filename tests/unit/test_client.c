/* Suite "client": client sessions talking to an in-process server core
 * through an in-memory pump (no sockets), with a fake clock. Every store
 * and the server's data are real LMDB directories under mkdtemp. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <libchat/client.h>
#include <libchat/crypto.h>
#include <libchat/receipts.h>
#include <libchat/server.h>

#include "client_int.h" /* to send what this version never would */
#include "testutil.h"

#define MAX_MSGS 64
#define MAX_RCPT 1024

typedef struct tc {
	lc_client *c;
	lc_server_conn *sc;
	char dir[64];
	int closed;
	int state;
	int ready_count;
	/* messages received, in order */
	char text[MAX_MSGS][128];
	uint8_t mid[MAX_MSGS][16];
	int outgoing[MAX_MSGS];
	int kind[MAX_MSGS];
	lc_client_media media; /* the last file received */
	int n_msgs;
	/* last receipt state per message id */
	uint8_t r_mid[MAX_RCPT][16];
	int r_state[MAX_RCPT];
	int r_agg[MAX_RCPT];
	int n_rcpt;
	/* receipt state per message and recipient user */
	uint8_t u_mid[MAX_RCPT][16];
	char u_uid[MAX_RCPT][65];
	int u_state[MAX_RCPT];
	int n_u;
	int identity_changes;
	int last_done_op, last_done_code, n_done;
	int send_failures;
	int n_groups, last_change;
	uint8_t group_id[16];
	int presence_online;
	char presence_uid[65];
	int n_presence;
	int n_errors;
	int last_error;
	char found[65];
	uint32_t flags; /* lc_client_config.flags */
	const uint8_t *store_key;  /* lc_client_config.store_key */
	const uint8_t *server_key; /* lc_client_config.server_key */
	const lc_allocator *mem;   /* lc_client_config.mem */
} tc;

static struct {
	char dir[64];
	lc_server *s;
	uint64_t now;
	tc *cl[4];
	int n;
	lc_server_config cfg;
} T;

static uint8_t server_sk[32];

/* ------------------------------------------------------------ callbacks */

static void cb_state(int state, int reason, void *ud)
{
	tc *t = ud;

	(void)reason;
	t->state = state;
	if (state == LC_CLIENT_READY)
		t->ready_count++;
}

static void cb_message(const lc_client_message *m, void *ud)
{
	tc *t = ud;

	if (t->n_msgs == MAX_MSGS)
		return; /* only the first MAX_MSGS are kept */
	ck_assert_uint_lt(m->text_len, sizeof t->text[0]);
	memcpy(t->text[t->n_msgs], m->text, m->text_len);
	t->text[t->n_msgs][m->text_len] = 0;
	ck_assert_str_eq(t->text[t->n_msgs], m->text); /* NUL-terminated */
	memcpy(t->mid[t->n_msgs], m->id, 16);
	t->outgoing[t->n_msgs] = m->outgoing;
	t->kind[t->n_msgs] = m->kind;
	ck_assert((m->kind == LC_CLIENT_KIND_MEDIA) == (m->media != NULL));
	if (m->media)
		t->media = *m->media;
	t->n_msgs++;
}

static int rcpt_index(tc *t, const uint8_t *id)
{
	for (int i = 0; i < t->n_rcpt; i++)
		if (memcmp(t->r_mid[i], id, 16) == 0)
			return i;
	ck_assert_int_lt(t->n_rcpt, MAX_RCPT);
	memcpy(t->r_mid[t->n_rcpt], id, 16);
	return t->n_rcpt++;
}

static void cb_receipt(const uint8_t *id, const char *uid, uint32_t dev,
		       int state, int agg, void *ud)
{
	tc *t = ud;
	int i = rcpt_index(t, id);

	int k;

	(void)dev;
	t->r_state[i] = state;
	t->r_agg[i] = agg;
	for (k = 0; k < t->n_u; k++)
		if (memcmp(t->u_mid[k], id, 16) == 0 &&
		    strcmp(t->u_uid[k], uid) == 0)
			break;
	if (k == t->n_u) {
		ck_assert_int_lt(t->n_u, MAX_RCPT);
		memcpy(t->u_mid[k], id, 16);
		snprintf(t->u_uid[k], sizeof t->u_uid[k], "%s", uid);
		t->n_u++;
	}
	t->u_state[k] = state;
}

static int ustate(tc *t, const uint8_t *id, tc *who)
{
	const char *uid = lc_client_user_id(who->c);

	for (int k = 0; k < t->n_u; k++)
		if (memcmp(t->u_mid[k], id, 16) == 0 &&
		    strcmp(t->u_uid[k], uid) == 0)
			return t->u_state[k];
	return -1;
}

static void cb_identity(const char *uid, uint32_t dev, void *ud)
{
	tc *t = ud;

	(void)uid;
	(void)dev;
	t->identity_changes++;
}

static void cb_done(int op, int code, const uint8_t *id, void *ud)
{
	tc *t = ud;

	(void)id;
	t->last_done_op = op;
	t->last_done_code = code;
	t->n_done++;
	if (op == LC_CLIENT_OP_SEND && code)
		t->send_failures++;
}

static void cb_group(const lc_client_group *g, int change,
		     const char *actor, void *ud)
{
	tc *t = ud;

	(void)actor;
	t->n_groups++;
	t->last_change = change;
	memcpy(t->group_id, g->id, 16);
}

static void cb_presence(const char *uid, int online, uint64_t last,
			void *ud)
{
	tc *t = ud;

	(void)last;
	t->n_presence++;
	t->presence_online = online;
	snprintf(t->presence_uid, sizeof t->presence_uid, "%s", uid);
}

static void cb_error(int code, const uint8_t *id, void *ud)
{
	tc *t = ud;

	(void)id;
	t->last_error = code;
	t->n_errors++;
}

static void cb_user(const char *uid, const char *name, void *ud)
{
	tc *t = ud;

	(void)name;
	snprintf(t->found, sizeof t->found, "%s", uid);
}

static const lc_client_callbacks client_cb = {
	LC_CLIENT_CONFIG_VERSION, cb_state, cb_message, cb_receipt,
	cb_presence, cb_group, cb_identity, cb_done, cb_error, cb_user,
};

static void srv_close(lc_server_conn *sc, int reason, void *ud)
{
	tc *t = lc_server_conn_user_data(sc);

	(void)reason;
	(void)ud;
	t->closed = 1;
}

static const lc_server_callbacks server_cb = {
	LC_SERVER_CONFIG_VERSION, srv_close, NULL, NULL, NULL, NULL, NULL,
};

/* --------------------------------------------------------------- harness */

static void server_open(void)
{
	ck_assert_int_eq(lc_server_new(&T.s, &T.cfg, &server_cb, NULL), 0);
}

static void setup(void)
{
	memset(&T, 0, sizeof T);
	strcpy(T.dir, "/tmp/lc-client-srv-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(T.dir));
	memset(server_sk, 0x42, sizeof server_sk);
	T.cfg.version = LC_SERVER_CONFIG_VERSION;
	T.cfg.data_dir = T.dir;
	T.cfg.map_size = 64u << 20;
	T.cfg.static_private = server_sk;
	T.cfg.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
	T.cfg.pwhash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
	T.now = 1700000000000ull;
	server_open();
}

static void rm_dir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void client_open(tc *t)
{
	lc_client_config cfg;

	memset(&cfg, 0, sizeof cfg);
	cfg.version = LC_CLIENT_CONFIG_VERSION;
	cfg.store_dir = t->dir;
	cfg.flags = t->flags;
	cfg.store_key = t->store_key;
	cfg.server_key = t->server_key;
	cfg.mem = t->mem;
	ck_assert_int_eq(lc_client_new(&t->c, &cfg, &client_cb, t), 0);
}

static tc *client_new(void)
{
	tc *t = calloc(1, sizeof *t);

	ck_assert_ptr_nonnull(t);
	strcpy(t->dir, "/tmp/lc-client-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	client_open(t);
	T.cl[T.n++] = t;
	return t;
}

/* The socket closes: both sides are told. */
static void drop(tc *t)
{
	if (t->sc)
		lc_server_conn_close(t->sc, T.now);
	t->sc = NULL;
	if (t->c)
		lc_client_disconnected(t->c, T.now);
}

/* The client process dies: its in-memory state is gone, its store stays. */
static void kill_client(tc *t)
{
	drop(t);
	lc_client_free(t->c);
	t->c = NULL;
}

static void teardown(void)
{
	for (int i = 0; i < T.n; i++) {
		kill_client(T.cl[i]);
		rm_dir(T.cl[i]->dir);
		free(T.cl[i]);
	}
	lc_server_free(T.s);
	rm_dir(T.dir);
}

/* Move bytes both ways until nothing moves. */
static void pump(void)
{
	for (int round = 0; round < 10000; round++) {
		int moved = 0;

		for (int i = 0; i < T.n; i++) {
			tc *t = T.cl[i];
			const uint8_t *p;
			size_t n;

			if (!t->c || !t->sc)
				continue;
			n = lc_client_send(t->c, &p);
			if (n) {
				ck_assert_int_eq(lc_server_conn_recv(t->sc, p, n, T.now),
						 (int)n);
				ck_assert_int_eq(lc_client_consume(t->c, n), 0);
				moved = 1;
			}
		}
		ck_assert_int_eq(lc_server_flush(T.s, T.now), 0);
		for (int i = 0; i < T.n; i++) {
			tc *t = T.cl[i];
			const uint8_t *p;
			uint8_t *copy;
			int n;

			if (!t->c || !t->sc)
				continue;
			n = lc_server_conn_send(t->sc, &p);
			ck_assert_int_ge(n, 0);
			if (n == 0)
				continue;
			copy = malloc((size_t)n);
			memcpy(copy, p, (size_t)n);
			ck_assert_int_eq(lc_client_recv(t->c, copy, (size_t)n, T.now), 0);
			free(copy);
			moved = 1;
		}
		if (!moved)
			return;
	}
	ck_abort_msg("the pump never went quiet");
}

static void connect_client(tc *t)
{
	ck_assert_ptr_null(t->sc);
	t->closed = 0;
	ck_assert_int_eq(lc_server_conn_open(T.s, &t->sc, t, T.now), 0);
	ck_assert_int_eq(lc_client_connect(t->c, T.now), 0);
	pump();
	ck_assert_int_ge(t->state, LC_CLIENT_CONNECTED);
}

static tc *user(const char *phone)
{
	tc *t = client_new();

	connect_client(t);
	ck_assert_int_eq(t->state, LC_CLIENT_CONNECTED);
	ck_assert_int_eq(lc_client_register(t->c, phone, NULL, "Someone",
					    "correct horse", T.now), 0);
	pump();
	ck_assert_int_eq(t->state, LC_CLIENT_READY);
	ck_assert_int_eq(t->last_done_code, 0);
	ck_assert_str_ne(lc_client_user_id(t->c), "");
	return t;
}

static void send_text(tc *from, tc *to, const char *text, uint8_t *id)
{
	ck_assert_int_eq(lc_client_send_text(from->c, lc_client_user_id(to->c),
					     text, strlen(text), id, T.now), 0);
}

static int rstate(tc *t, const uint8_t *id)
{
	for (int i = 0; i < t->n_rcpt; i++)
		if (memcmp(t->r_mid[i], id, 16) == 0)
			return t->r_state[i];
	return -1;
}

static size_t chat_count(tc *t, const char *chat)
{
	lc_store_page *pg = NULL;
	size_t n;

	ck_assert_int_eq(lc_store_messages_page(lc_client_store(t->c), chat, 0,
						LC_STORE_PAGE_MAX, &pg), 0);
	n = lc_store_page_count(pg);
	lc_store_page_free(pg);
	return n;
}

static size_t outbox_count(tc *t)
{
	lc_store_page *pg = NULL;
	size_t n;

	ck_assert_int_eq(lc_store_outbox_list(lc_client_store(t->c), 0, &pg), 0);
	n = lc_store_page_count(pg);
	lc_store_page_free(pg);
	return n;
}

/* ----------------------------------------------------------------- tests */

static lc_client_media a_file(void)
{
	lc_client_media m;

	memset(&m, 0, sizeof m);
	strcpy(m.id, "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b");
	randombytes_buf(m.key, sizeof m.key);
	randombytes_buf(m.digest, sizeof m.digest);
	m.size = 12345;
	strcpy(m.mime_type, "image/png");
	strcpy(m.file_name, "photo.png");
	strcpy(m.caption, "sunset at the lake");
	return m;
}

static size_t hits(tc *t, const char *query)
{
	lc_store_hits *h = NULL;
	size_t n;

	ck_assert_int_eq(lc_store_search(lc_client_store(t->c), query, NULL,
					 NULL, 0, &h), 0);
	n = lc_store_hits_count(h);
	lc_store_hits_free(h);
	return n;
}

/* The stored message of a chat at index i: its kind and its pointer. */
static int stored_media(tc *t, const char *chat, size_t i,
			lc_client_media *out)
{
	lc_store_page *pg = NULL;
	const lc_store_message *sm;
	int rc;

	ck_assert_int_eq(lc_store_messages_page(lc_client_store(t->c), chat, 0,
						LC_STORE_PAGE_MAX, &pg), 0);
	sm = lc_store_page_get(pg, i);
	ck_assert_ptr_nonnull(sm);
	rc = lc_client_media_decode(sm, out);
	if (rc == 0)
		ck_assert_uint_eq(sm->kind, LC_CLIENT_KIND_MEDIA);
	lc_store_page_free(pg);
	return rc;
}

START_TEST(client_media_messages)
{
	tc *a, *b;
	lc_client_media m = a_file(), got, bad;
	const char *members[1];
	uint8_t id[16], gid[16];
	char hex[LC_CLIENT_TOKEN_HEX_SIZE];

	setup();
	a = user("+15550000201");
	b = user("+15550000202");
	ck_assert_int_eq(lc_client_send_media(a->c, lc_client_user_id(b->c), &m,
					      id, T.now), 0);
	ck_assert_int_eq(outbox_count(a), 1);
	pump();
	/* Bob gets the pointer, key and digest as sent */
	ck_assert_int_eq(b->n_msgs, 1);
	ck_assert_int_eq(b->kind[0], LC_CLIENT_KIND_MEDIA);
	ck_assert_mem_eq(&b->media, &m, sizeof m);
	ck_assert_str_eq(b->text[0], "photo.png\nsunset at the lake");
	ck_assert_int_eq(rstate(a, id), LC_RECEIPT_DELIVERED);
	ck_assert_int_eq(outbox_count(a), 0);
	/* both stores keep it as a file: history and search see it */
	ck_assert_int_eq(stored_media(b, lc_client_user_id(a->c), 0, &got), 0);
	ck_assert_mem_eq(&got, &m, sizeof m);
	ck_assert_int_eq(stored_media(a, lc_client_user_id(b->c), 0, &got), 0);
	ck_assert_mem_eq(&got, &m, sizeof m);
	ck_assert_uint_eq(hits(b, "photo"), 1);
	ck_assert_uint_eq(hits(b, "lake"), 1);
	/* a text stays a text (later, so it sorts after the file) */
	T.now += 1000;
	send_text(b, a, "nice", NULL);
	pump();
	ck_assert_int_eq(a->kind[0], LC_CLIENT_KIND_TEXT);
	ck_assert_int_eq(stored_media(a, lc_client_user_id(b->c), 0, &got),
			 LC_ERR_NOT_FOUND); /* the newest first */
	ck_assert_int_eq(stored_media(a, lc_client_user_id(b->c), 1, &got), 0);

	/* to a group, under the sender key */
	members[0] = lc_client_user_id(b->c);
	ck_assert_int_eq(lc_client_group_create(a->c, "pics", members, 1,
						T.now), 0);
	pump();
	memcpy(gid, a->group_id, 16);
	m.size = 0;
	memset(m.caption, 0, sizeof m.caption);
	memset(m.mime_type, 0, sizeof m.mime_type);
	memset(m.file_name, 0, sizeof m.file_name);
	strcpy(m.file_name, "empty.bin");
	ck_assert_int_eq(lc_client_send_group_media(a->c, gid, &m, id, T.now),
			 0);
	pump();
	ck_assert_int_eq(b->n_msgs, 2);
	ck_assert_int_eq(b->kind[1], LC_CLIENT_KIND_MEDIA);
	ck_assert_mem_eq(&b->media, &m, sizeof m);
	ck_assert_str_eq(b->text[1], "empty.bin");

	/* refusals */
	bad = m;
	strcpy(bad.file_name, "../x");
	ck_assert_int_eq(lc_client_send_media(a->c, lc_client_user_id(b->c),
					      &bad, id, T.now),
			 LC_ERR_INVALID_ARG);
	bad = m;
	strcpy(bad.id, "a b");
	ck_assert_int_eq(lc_client_send_group_media(a->c, gid, &bad, id, T.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_send_media(a->c, "g:00", &m, id, T.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_send_media(NULL, "x", &m, id, T.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_send_text(a->c, lc_client_user_id(b->c),
					     "a\0b", 3, id, T.now),
			 LC_ERR_INVALID_ARG);
	/* the token for the media endpoints */
	ck_assert_int_eq(lc_client_http_token(a->c, hex, sizeof hex), 0);
	ck_assert_uint_eq(strlen(hex), 64);
	ck_assert_int_eq(lc_client_http_token(a->c, hex, 64),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(a->n_errors + b->n_errors, 0);
	teardown();
}
END_TEST

/* Send raw content bytes (padded here) from a to b's devices, as a later
 * or a broken version of the library would. */
static void send_raw_content(tc *a, tc *b, const uint8_t *content, size_t n)
{
	lc_client *c = a->c;
	lc_targets *t = lc_cl_targets_new(c);
	uint8_t mid[16], pt[256];
	size_t plen = 0;

	ck_assert_ptr_nonnull(t);
	randombytes_buf(mid, sizeof mid);
	ck_assert_int_eq(lc_cl_add_user(c, t, lc_client_user_id(b->c), 0,
					T.now), 0);
	t->n_peer = t->n;
	ck_assert_int_eq(lc_pad(content, n, pt, sizeof pt, &plen), 0);
	ck_assert_int_eq(lc_cl_emit_send(c, mid, lc_client_user_id(b->c), t, pt,
					 plen, NULL, NULL, 0, NULL, T.now), 0);
	lc_cl_targets_free(t);
	c->mem.free(t, c->mem.user_data);
	pump();
}

START_TEST(client_unknown_content_reported)
{
	static const uint8_t future[] = { 0x0a, 0x01, 'x', 0x2a, 0x02, 'h', 'i' };
	static const uint8_t broken[] = { 0x12, 0x09, 'h', 'i' };
	tc *a, *b;

	setup();
	a = user("+15550000211");
	b = user("+15550000212");
	send_text(a, b, "first", NULL);
	pump();
	ck_assert_int_eq(b->n_msgs, 1);
	/* a kind of a later version: reported, acknowledged, not stored */
	send_raw_content(a, b, future, sizeof future);
	ck_assert_int_eq(b->n_errors, 1);
	ck_assert_int_eq(b->last_error, LC_ERR_UNSUPPORTED);
	ck_assert_int_eq(b->n_msgs, 1);
	ck_assert_uint_eq(chat_count(b, lc_client_user_id(a->c)), 1);
	/* bytes that do not parse: reported as malformed */
	send_raw_content(a, b, broken, sizeof broken);
	ck_assert_int_eq(b->n_errors, 2);
	ck_assert_int_eq(b->last_error, LC_ERR_MALFORMED);
	/* the sessions kept step: later messages flow both ways */
	send_text(a, b, "still here", NULL);
	send_text(b, a, "me too", NULL);
	pump();
	ck_assert_int_eq(b->n_msgs, 2);
	ck_assert_str_eq(b->text[1], "still here");
	ck_assert_int_eq(a->n_msgs, 1);
	ck_assert_int_eq(a->n_errors, 0);
	teardown();
}
END_TEST

START_TEST(client_conversation_with_ticks)
{
	tc *a, *b;
	uint8_t id[16], id2[16];
	char sa[61], sb[61];

	setup();
	a = user("+15550000001");
	b = user("+15550000002");
	send_text(a, b, "hello bob", id);
	ck_assert_int_eq(outbox_count(a), 1); /* written before sending */
	pump();
	ck_assert_int_eq(b->n_msgs, 1);
	ck_assert_str_eq(b->text[0], "hello bob");
	ck_assert_mem_eq(b->mid[0], id, 16);
	ck_assert_int_eq(outbox_count(a), 0);
	ck_assert_int_eq(rstate(a, id), LC_RECEIPT_DELIVERED);
	ck_assert_uint_eq(chat_count(b, lc_client_user_id(a->c)), 1);

	ck_assert_int_eq(lc_client_mark_read(b->c, lc_client_user_id(a->c),
					     T.now), 0);
	pump();
	ck_assert_int_eq(rstate(a, id), LC_RECEIPT_READ);
	ck_assert_int_eq(a->r_agg[0], LC_RECEIPT_READ);

	/* the reply runs the ratchet the other way */
	send_text(b, a, "hi alice", id2);
	pump();
	ck_assert_int_eq(a->n_msgs, 1);
	ck_assert_str_eq(a->text[0], "hi alice");
	ck_assert_int_eq(rstate(b, id2), LC_RECEIPT_DELIVERED);
	send_text(a, b, "second", NULL);
	send_text(a, b, "third", NULL);
	pump();
	ck_assert_int_eq(b->n_msgs, 3);
	ck_assert_str_eq(b->text[2], "third");

	/* both sides compute the same safety number */
	ck_assert_int_eq(lc_client_safety_number(a->c, lc_client_user_id(b->c),
						 0, sa), 0);
	ck_assert_int_eq(lc_client_safety_number(b->c, lc_client_user_id(a->c),
						 0, sb), 0);
	ck_assert_str_eq(sa, sb);
	ck_assert_uint_eq(strlen(sa), 60);
	ck_assert_int_eq(a->identity_changes + b->identity_changes, 0);
	ck_assert_int_eq(a->n_errors + b->n_errors, 0);
	teardown();
}
END_TEST

START_TEST(client_offline_then_back_in_order)
{
	tc *a, *b;
	char buf[32];

	setup();
	a = user("+15550000011");
	b = user("+15550000012");
	send_text(a, b, "first", NULL);
	pump();
	drop(b);
	for (int i = 0; i < 10; i++) {
		snprintf(buf, sizeof buf, "offline %d", i);
		send_text(a, b, buf, NULL);
		T.now += 10;
	}
	pump();
	ck_assert_int_eq(b->n_msgs, 1);
	ck_assert_int_eq(outbox_count(a), 0); /* the server holds them */
	connect_client(b);                   /* token login */
	pump();
	ck_assert_int_eq(b->state, LC_CLIENT_READY);
	ck_assert_int_eq(b->n_msgs, 11);
	for (int i = 0; i < 10; i++) {
		snprintf(buf, sizeof buf, "offline %d", i);
		ck_assert_str_eq(b->text[1 + i], buf);
	}
	teardown();
}
END_TEST

/* More messages than one outbox page and the in-flight window, queued
 * while offline: all arrive, in order. */
START_TEST(client_many_messages_in_order)
{
	enum { N = 300 };
	tc *a, *b;
	char buf[32];

	setup();
	a = user("+15550000151");
	b = user("+15550000152");
	send_text(a, b, "start", NULL);
	pump();
	drop(a);
	for (int i = 0; i < N; i++) {
		snprintf(buf, sizeof buf, "m%d", i);
		send_text(a, b, buf, NULL);
		T.now++;
	}
	ck_assert_uint_eq(outbox_count(a), 50); /* a page; more are queued */
	T.now += 60000; /* a minute later: the rate limit has refilled */
	connect_client(a);
	for (int k = 0; k < 10 && b->n_msgs < N + 1; k++) {
		pump();
		T.now += 60000; /* 100 messages a minute */
		lc_client_handle_expiry(a->c, T.now);
		pump();
	}
	ck_assert_int_eq(b->n_msgs, MAX_MSGS);
	for (int i = 0; i + 1 < MAX_MSGS; i++) {
		snprintf(buf, sizeof buf, "m%d", i);
		ck_assert_str_eq(b->text[i + 1], buf);
	}
	ck_assert_uint_eq(chat_count(b, lc_client_user_id(a->c)), N + 1);
	{	/* the store has all of them in the order they were written */
		lc_store_page *pg = NULL;

		ck_assert_int_eq(lc_store_messages_page(lc_client_store(b->c),
							lc_client_user_id(a->c),
							0, N + 1, &pg), 0);
		for (int i = 0; i < N; i++) {
			const lc_store_message *m =
				lc_store_page_get(pg, (size_t)(N - 1 - i));
			snprintf(buf, sizeof buf, "m%d", i);
			ck_assert_str_eq(m->text, buf);
		}
		lc_store_page_free(pg);
	}
	ck_assert_uint_eq(outbox_count(a), 0);
	teardown();
}
END_TEST

/* Bob commits a message but dies before his ack reaches the server: the
 * server delivers it again and the copy is dropped. */
START_TEST(client_duplicate_dropped)
{
	tc *a, *b;
	const uint8_t *p;
	size_t n;

	setup();
	a = user("+15550000021");
	b = user("+15550000022");
	send_text(a, b, "session set up", NULL);
	pump();
	send_text(a, b, "once", NULL);
	/* Alice's Send reaches the server; Bob reads the Deliver... */
	n = lc_client_send(a->c, &p);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(lc_server_conn_recv(a->sc, p, n, T.now), (int)n);
	ck_assert_int_eq(lc_client_consume(a->c, n), 0);
	ck_assert_int_eq(lc_server_flush(T.s, T.now), 0);
	{
		const uint8_t *q;
		int m = lc_server_conn_send(b->sc, &q);
		ck_assert_int_gt(m, 0);
		ck_assert_int_eq(lc_client_recv(b->c, q, (size_t)m, T.now), 0);
	}
	ck_assert_int_eq(b->n_msgs, 2);
	ck_assert_str_eq(b->text[1], "once");
	/* ...and dies before his Ack is written */
	kill_client(b);
	client_open(b);
	b->n_msgs = 0;
	connect_client(b);
	pump();
	ck_assert_int_eq(b->state, LC_CLIENT_READY);
	ck_assert_int_eq(b->n_msgs, 0); /* the copy was dropped */
	ck_assert_uint_eq(chat_count(b, lc_client_user_id(a->c)), 2);
	teardown();
}
END_TEST

/* Alice dies after the outbox write; her restarted session sends it. */
START_TEST(client_outbox_survives_restart)
{
	tc *a, *b;
	uint8_t id[16], id2[16];
	const uint8_t *p;
	size_t n;

	setup();
	a = user("+15550000031");
	b = user("+15550000032");
	drop(a);
	send_text(a, b, "written offline", id);
	ck_assert_int_eq(outbox_count(a), 1);
	kill_client(a);
	client_open(a);
	connect_client(a);
	pump();
	ck_assert_int_eq(b->n_msgs, 1);
	ck_assert_str_eq(b->text[0], "written offline");
	ck_assert_mem_eq(b->mid[0], id, 16);
	ck_assert_int_eq(outbox_count(a), 0);

	/* now the server stores the message but its Ack is lost */
	send_text(a, b, "ack lost", id2);
	n = lc_client_send(a->c, &p);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(lc_server_conn_recv(a->sc, p, n, T.now), (int)n);
	ck_assert_int_eq(lc_client_consume(a->c, n), 0);
	ck_assert_int_eq(lc_server_flush(T.s, T.now), 0);
	kill_client(a);
	pump(); /* Bob gets it */
	ck_assert_int_eq(b->n_msgs, 2);
	client_open(a);
	connect_client(a);
	pump(); /* resent with the same id: acked, not delivered again */
	ck_assert_int_eq(outbox_count(a), 0);
	ck_assert_int_eq(b->n_msgs, 2);
	ck_assert_uint_eq(chat_count(b, lc_client_user_id(a->c)), 2);
	ck_assert_int_ge(rstate(a, id2), LC_RECEIPT_SENT);
	teardown();
}
END_TEST

START_TEST(client_server_restart)
{
	tc *a, *b;
	char buf[32];

	setup();
	a = user("+15550000041");
	b = user("+15550000042");
	send_text(a, b, "before", NULL);
	pump();
	/* messages in transit when the server goes down */
	send_text(a, b, "in flight 1", NULL);
	send_text(a, b, "in flight 2", NULL);
	drop(a);
	drop(b);
	lc_server_free(T.s); /* unflushed work is lost */
	T.s = NULL;
	send_text(a, b, "while down", NULL);
	server_open();
	T.now += 5000;
	connect_client(a);
	connect_client(b);
	pump();
	ck_assert_int_eq(a->state, LC_CLIENT_READY);
	ck_assert_int_eq(b->n_msgs, 4);
	for (int i = 1; i <= 2; i++) {
		snprintf(buf, sizeof buf, "in flight %d", i);
		ck_assert_str_eq(b->text[i], buf);
	}
	ck_assert_str_eq(b->text[3], "while down");
	ck_assert_int_eq(outbox_count(a), 0);
	teardown();
}
END_TEST

/* Bob reinstalls: a new device with a new identity key. */
START_TEST(client_identity_change)
{
	tc *a, *b, *b2;

	setup();
	a = user("+15550000051");
	b = user("+15550000052");
	send_text(a, b, "one", NULL);
	pump();
	ck_assert_int_eq(b->n_msgs, 1);
	kill_client(b);
	b2 = client_new();
	connect_client(b2);
	ck_assert_int_eq(lc_client_login(b2->c, "+15550000052", NULL,
					 "correct horse", T.now), 0);
	pump();
	ck_assert_int_eq(b2->state, LC_CLIENT_READY);
	ck_assert_uint_eq(lc_client_device_id(b2->c), 2);
	send_text(a, b2, "two", NULL);
	pump();
	ck_assert_int_eq(b2->n_msgs, 1);
	ck_assert_str_eq(b2->text[0], "two");
	ck_assert_int_eq(a->identity_changes, 1);
	ck_assert_int_eq(a->send_failures, 0);
	/* the new device's reply reaches Alice (and Bob's old device) */
	send_text(b2, a, "new phone", NULL);
	pump();
	ck_assert_int_eq(a->n_msgs, 1);
	ck_assert_str_eq(a->text[0], "new phone");
	client_open(b);
	connect_client(b);
	pump();
	ck_assert_int_eq(b->n_msgs, 3); /* two + the sync copy */
	ck_assert_str_eq(b->text[1], "two");
	ck_assert_int_eq(b->outgoing[2], 1);
	ck_assert_str_eq(b->text[2], "new phone");
	teardown();
}
END_TEST

/* With the hold policy, messages wait until the new key is accepted. */
START_TEST(client_identity_change_held)
{
	tc *a, *b, *b2;
	uint8_t id[16];

	setup();
	a = user("+15550000121");
	b = user("+15550000122");
	kill_client(a);
	a->flags = LC_CLIENT_HOLD_ON_KEY_CHANGE;
	client_open(a);
	connect_client(a);
	pump();
	send_text(a, b, "one", NULL);
	pump();
	ck_assert_int_eq(b->n_msgs, 1);
	kill_client(b);
	b2 = client_new();
	connect_client(b2);
	ck_assert_int_eq(lc_client_login(b2->c, "+15550000122", NULL,
					 "correct horse", T.now), 0);
	pump();
	send_text(a, b2, "held", id);
	pump();
	ck_assert_int_eq(a->identity_changes, 1);
	ck_assert_int_eq(lc_client_identity_held(a->c, lc_client_user_id(b2->c)), 1);
	ck_assert_int_eq(b2->n_msgs, 0);
	ck_assert_int_eq(outbox_count(a), 1);
	/* survives a restart, then goes once accepted */
	kill_client(a);
	client_open(a);
	connect_client(a);
	pump();
	ck_assert_int_eq(b2->n_msgs, 0);
	ck_assert_int_eq(lc_client_trust_identity(a->c, lc_client_user_id(b2->c),
						  T.now), 0);
	pump();
	ck_assert_int_eq(b2->n_msgs, 1);
	ck_assert_str_eq(b2->text[0], "held");
	ck_assert_int_eq(outbox_count(a), 0);
	ck_assert_int_eq(lc_client_identity_held(a->c, lc_client_user_id(b2->c)), 0);
	teardown();
}
END_TEST

/* With the hold policy, a group message waits while a member's key is
 * held (its sender key would reach the new key); other chats go on. */
START_TEST(client_identity_change_held_group)
{
	tc *a, *b, *b2, *cc;
	const char *members[2];
	uint8_t gid[16], id[16];
	char bob[65], carol[65], chat[40];

	setup();
	a = user("+15550000181");
	b = user("+15550000182");
	cc = user("+15550000183");
	kill_client(a);
	a->flags = LC_CLIENT_HOLD_ON_KEY_CHANGE;
	client_open(a);
	connect_client(a);
	pump();
	strcpy(bob, lc_client_user_id(b->c));
	strcpy(carol, lc_client_user_id(cc->c));
	members[0] = bob;
	members[1] = carol;
	ck_assert_int_eq(lc_client_group_create(a->c, "team", members, 2,
						T.now), 0);
	pump();
	memcpy(gid, a->group_id, 16);
	ck_assert_int_eq(lc_client_send_group_text(a->c, gid, "one", 3, id,
						   T.now), 0);
	pump();
	ck_assert_int_eq(b->n_msgs, 1);
	ck_assert_int_eq(cc->n_msgs, 1);

	/* Bob reinstalls: a new device with a new identity key */
	kill_client(b);
	b2 = client_new();
	connect_client(b2);
	ck_assert_int_eq(lc_client_login(b2->c, "+15550000182", NULL,
					 "correct horse", T.now), 0);
	pump();
	/* Alice learns the new key from the new device's first message */
	send_text(b2, a, "new phone", NULL);
	pump();
	ck_assert_int_eq(a->identity_changes, 1);
	ck_assert_int_eq(lc_client_send_group_text(a->c, gid, "held", 4, id,
						   T.now), 0);
	pump();
	ck_assert_int_eq(lc_client_identity_held(a->c, members[0]), 1);
	ck_assert_int_eq(b2->n_msgs, 0);
	ck_assert_int_eq(cc->n_msgs, 1); /* nobody gets it meanwhile */
	ck_assert_int_eq(outbox_count(a), 1);
	snprintf(chat, sizeof chat, "g:");
	sodium_bin2hex(chat + 2, 33, gid, 16);
	ck_assert_int_eq(lc_client_chat_held(a->c, chat), 1);
	ck_assert_int_eq(lc_client_chat_held(a->c, bob), 1);
	ck_assert_int_eq(lc_client_chat_held(a->c, carol), 0);
	ck_assert_int_eq(lc_client_chat_held(cc->c, chat), 0); /* no flag */
	ck_assert_int_eq(lc_client_chat_held(a->c, "g:12"), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_chat_held(a->c, NULL), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_chat_held(NULL, chat), LC_ERR_INVALID_ARG);
	/* a direct message to Carol is not stuck behind it */
	send_text(a, cc, "direct", NULL);
	pump();
	ck_assert_int_eq(cc->n_msgs, 2);
	ck_assert_str_eq(cc->text[1], "direct");
	ck_assert_int_eq(outbox_count(a), 1);
	/* survives a restart, then goes once accepted */
	kill_client(a);
	client_open(a);
	connect_client(a);
	pump();
	ck_assert_int_eq(b2->n_msgs, 0);
	ck_assert_int_eq(lc_client_trust_identity(a->c, members[0], T.now), 0);
	pump();
	ck_assert_int_eq(b2->n_msgs, 1);
	ck_assert_str_eq(b2->text[0], "held");
	ck_assert_int_eq(cc->n_msgs, 3);
	ck_assert_str_eq(cc->text[2], "held");
	ck_assert_int_eq(outbox_count(a), 0);
	ck_assert_int_eq(lc_client_chat_held(a->c, chat), 0);
	teardown();
}
END_TEST

/* A member reinstalls and never writes: the next group message is
 * refused as STALE_DEVICES, the sender gives its key to the new device
 * and resends, and the new device reads it with no direct message. */
static void reinstall_and_group_send(uint32_t flags, const char *pa,
				     const char *pb, const char *pc)
{
	tc *a, *b, *b2, *cc;
	const char *members[2];
	uint8_t gid[16], id[16];
	char bob[65], carol[65];

	setup();
	a = user(pa);
	b = user(pb);
	cc = user(pc);
	if (flags) {
		kill_client(a);
		a->flags = flags;
		client_open(a);
		connect_client(a);
		pump();
	}
	strcpy(bob, lc_client_user_id(b->c));
	strcpy(carol, lc_client_user_id(cc->c));
	members[0] = bob;
	members[1] = carol;
	ck_assert_int_eq(lc_client_group_create(a->c, "team", members, 2,
						T.now), 0);
	pump();
	memcpy(gid, a->group_id, 16);
	ck_assert_int_eq(lc_client_send_group_text(a->c, gid, "one", 3, id,
						   T.now), 0);
	pump();
	ck_assert_int_eq(b->n_msgs, 1);
	ck_assert_int_eq(cc->n_msgs, 1);

	/* Bob reinstalls: a new device with a new identity key, silent */
	kill_client(b);
	b2 = client_new();
	connect_client(b2);
	ck_assert_int_eq(lc_client_login(b2->c, pb, NULL, "correct horse",
					 T.now), 0);
	pump();
	ck_assert_int_eq(b2->state, LC_CLIENT_READY);
	ck_assert_int_eq(a->identity_changes, 0);
	ck_assert_int_eq(lc_client_send_group_text(a->c, gid, "two", 3, id,
						   T.now), 0);
	pump();
	ck_assert_int_eq(a->identity_changes, 1);
	if (flags & LC_CLIENT_HOLD_ON_KEY_CHANGE) {
		/* the key would reach the new device: it waits */
		ck_assert_int_eq(lc_client_identity_held(a->c, bob), 1);
		ck_assert_int_eq(b2->n_msgs, 0);
		ck_assert_int_eq(cc->n_msgs, 1);
		ck_assert_int_eq(outbox_count(a), 1);
		ck_assert_int_eq(lc_client_trust_identity(a->c, bob, T.now), 0);
		pump();
	}
	ck_assert_int_eq(outbox_count(a), 0);
	ck_assert_int_eq(a->send_failures, 0);
	ck_assert_int_eq(b2->n_msgs, 1);
	ck_assert_str_eq(b2->text[0], "two");
	ck_assert_int_eq(b2->n_errors, 0);
	ck_assert_int_eq(cc->n_msgs, 2);
	ck_assert_str_eq(cc->text[1], "two");
	/* Carol's next message reaches the new device too */
	ck_assert_int_eq(lc_client_send_group_text(cc->c, gid, "three", 5, id,
						   T.now), 0);
	pump();
	ck_assert_int_eq(b2->n_msgs, 2);
	ck_assert_str_eq(b2->text[1], "three");
	ck_assert_int_eq(cc->send_failures, 0);
	/* the old device, back, reads both */
	client_open(b);
	connect_client(b);
	pump();
	ck_assert_int_eq(b->n_msgs, 3);
	ck_assert_str_eq(b->text[1], "two");
	ck_assert_str_eq(b->text[2], "three");
	ck_assert_int_eq(b2->n_errors, 0);
	teardown();
}

START_TEST(client_group_new_device_discovered)
{
	reinstall_and_group_send(0, "+15550000191", "+15550000192",
				 "+15550000193");
}
END_TEST

START_TEST(client_group_new_device_held)
{
	reinstall_and_group_send(LC_CLIENT_HOLD_ON_KEY_CHANGE, "+15550000194",
				 "+15550000195", "+15550000196");
}
END_TEST

START_TEST(client_groups_and_presence)
{
	tc *a, *b;
	const char *members[1];

	setup();
	a = user("+15550000061");
	b = user("+15550000062");
	members[0] = lc_client_user_id(b->c);
	ck_assert_int_eq(lc_client_group_create(a->c, "friends", members, 1,
						T.now), 0);
	pump();
	ck_assert_int_eq(a->n_groups, 1);
	ck_assert_int_eq(a->last_change, LC_CLIENT_GROUP_INFO);
	ck_assert_int_ge(b->n_groups, 1);
	ck_assert_int_eq(b->last_change, LC_CLIENT_GROUP_CREATED);
	ck_assert_mem_eq(a->group_id, b->group_id, 16);
	b->n_groups = 0;
	ck_assert_int_eq(lc_client_group_info(b->c, a->group_id, T.now), 0);
	pump();
	ck_assert_int_eq(b->n_groups, 1);
	ck_assert_int_eq(b->last_change, LC_CLIENT_GROUP_INFO);
	ck_assert_int_eq(lc_client_group_remove(a->c, a->group_id, members, 1,
						T.now), 0);
	pump();
	ck_assert_int_eq(b->last_change, LC_CLIENT_GROUP_REMOVED);

	send_text(a, b, "hi", NULL);
	pump();
	ck_assert_int_eq(lc_client_presence_subscribe(a->c, members, 1, 0,
						      T.now), 0);
	pump();
	ck_assert_str_eq(a->presence_uid, lc_client_user_id(b->c));
	ck_assert_int_eq(a->presence_online, 1);
	drop(b);
	pump();
	ck_assert_int_eq(a->presence_online, 0);
	teardown();
}
END_TEST

START_TEST(client_heartbeat_and_timeout)
{
	tc *a;
	uint64_t t;

	setup();
	a = user("+15550000071");
	t = lc_client_get_expiry(a->c);
	ck_assert_uint_eq(t, T.now + LC_CLIENT_HEARTBEAT_MS);
	T.now = t;
	ck_assert_int_eq(lc_client_handle_expiry(a->c, T.now), 0);
	pump(); /* answered: no timeout pending */
	ck_assert_uint_eq(lc_client_get_expiry(a->c), T.now + LC_CLIENT_HEARTBEAT_MS);
	/* a heartbeat the server never answers times the connection out */
	T.now += LC_CLIENT_HEARTBEAT_MS;
	ck_assert_int_eq(lc_client_handle_expiry(a->c, T.now), 0);
	T.now += LC_CLIENT_REQUEST_TIMEOUT_MS;
	ck_assert_int_eq(lc_client_handle_expiry(a->c, T.now), LC_ERR_TIMEOUT);
	ck_assert_int_eq(a->state, LC_CLIENT_DISCONNECTED);
	lc_server_conn_close(a->sc, T.now);
	a->sc = NULL;
	teardown();
}
END_TEST

START_TEST(client_bad_arguments)
{
	lc_client_config cfg;
	lc_client *c = NULL;
	tc *a;

	memset(&cfg, 0, sizeof cfg);
	ck_assert_int_eq(lc_client_new(NULL, &cfg, NULL, NULL), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_new(&c, NULL, NULL, NULL), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_new(&c, &cfg, NULL, NULL), LC_ERR_INVALID_ARG);
	cfg.version = LC_CLIENT_CONFIG_VERSION;
	ck_assert_int_eq(lc_client_new(&c, &cfg, NULL, NULL), LC_ERR_INVALID_ARG);
	lc_client_free(NULL);

	setup();
	a = client_new();
	/* no account yet */
	ck_assert_int_eq(lc_client_send_text(a->c, "bob", "x", 1, NULL, T.now),
			 LC_ERR_NOT_LOGGED_IN);
	ck_assert_int_eq(lc_client_register(a->c, "+15550000081", NULL, "A",
					    "correct horse", T.now),
			 LC_ERR_NOT_CONNECTED);
	connect_client(a);
	ck_assert_int_eq(lc_client_connect(a->c, T.now), LC_ERR_INVALID_STATE);
	ck_assert_int_eq(lc_client_register(a->c, "+1", "a@b.c", "A", "pw",
					    T.now), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_mark_read(a->c, "x", T.now),
			 LC_ERR_NOT_LOGGED_IN);
	/* the server's refusal comes back through done */
	ck_assert_int_eq(lc_client_register(a->c, "+15550000081", NULL, "A",
					    "short", T.now), 0);
	pump();
	ck_assert_int_eq(a->last_done_op, LC_CLIENT_OP_REGISTER);
	ck_assert_int_eq(a->last_done_code, LC_ERR_WEAK_PASSWORD);
	ck_assert_int_eq(a->state, LC_CLIENT_CONNECTED);
	ck_assert_int_eq(lc_client_register(a->c, "+15550000081", NULL, "A",
					    "correct horse", T.now), 0);
	pump();
	ck_assert_int_eq(a->state, LC_CLIENT_READY);
	ck_assert_int_eq(lc_client_send_text(a->c, "", "x", 1, NULL, T.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_send_text(a->c, "u", "\xff", 1, NULL, T.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_send_text(a->c, "u", "x", 0, NULL, T.now),
			 LC_ERR_INVALID_ARG);
	/* a message to nobody fails and leaves the outbox */
	ck_assert_int_eq(lc_client_send_text(a->c, "nobody", "x", 1, NULL,
					     T.now), 0);
	pump();
	ck_assert_int_eq(a->n_errors, 1);
	teardown();
}
END_TEST

/* Read a sender-key blob of a session's store. */
static lc_sender_key *stored_key(tc *t, const char *prefix,
				 const uint8_t *gid, const char *uid,
				 uint32_t dev)
{
	uint8_t name[128], buf[4096];
	size_t n = strlen(prefix) + 1, len = 0;
	lc_sender_key *sk = NULL;

	memcpy(name, prefix, n);
	memcpy(name + n, gid, 16);
	n += 16;
	if (uid) {
		size_t u = strlen(uid);
		memcpy(name + n, uid, u + 1);
		n += u + 1;
		name[n++] = (uint8_t)(dev >> 24);
		name[n++] = (uint8_t)(dev >> 16);
		name[n++] = (uint8_t)(dev >> 8);
		name[n++] = (uint8_t)dev;
	}
	ck_assert_int_eq(lc_store_blob_get(lc_client_store(t->c),
					   LC_STORE_BLOB_SENDER_KEY, name, n,
					   buf, sizeof buf, &len), 0);
	ck_assert_int_eq(lc_sender_key_parse(&sk, buf, len, NULL), 0);
	return sk;
}

START_TEST(client_group_messages)
{
	tc *a, *b, *cc;
	const char *members[2];
	uint8_t gid[16], id1[16], id2[16], id3[16];
	uint8_t pt[64], ct[256], out[256];
	size_t ctl = 0, ptl = 0;
	lc_sender_key *old_in, *own;
	char chat[40];

	setup();
	a = user("+15550000091");
	b = user("+15550000092");
	cc = user("+15550000093");
	members[0] = lc_client_user_id(b->c);
	members[1] = lc_client_user_id(cc->c);
	ck_assert_int_eq(lc_client_group_create(a->c, "team", members, 2,
						T.now), 0);
	pump();
	memcpy(gid, a->group_id, 16);
	ck_assert_int_ge(cc->n_groups, 1);

	/* Carol is offline: per-member ticks differ */
	drop(cc);
	ck_assert_int_eq(lc_client_send_group_text(a->c, gid, "hello team", 10,
						   id1, T.now), 0);
	pump();
	ck_assert_int_eq(b->n_msgs, 1);
	ck_assert_str_eq(b->text[0], "hello team");
	ck_assert_int_eq(ustate(a, id1, b), LC_RECEIPT_DELIVERED);
	ck_assert_int_eq(ustate(a, id1, cc), LC_RECEIPT_SENT);
	ck_assert_int_eq(rstate(a, id1) >= LC_RECEIPT_SENT, 1);
	connect_client(cc);
	pump();
	ck_assert_int_eq(cc->n_msgs, 1);
	ck_assert_str_eq(cc->text[0], "hello team");
	ck_assert_int_eq(ustate(a, id1, cc), LC_RECEIPT_DELIVERED);
	snprintf(chat, sizeof chat, "g:");
	for (int i = 0; i < 16; i++)
		snprintf(chat + 2 + 2 * i, 3, "%02x", gid[i]);
	ck_assert_int_eq(lc_client_mark_read(b->c, chat, T.now), 0);
	pump();
	ck_assert_int_eq(ustate(a, id1, b), LC_RECEIPT_READ);
	ck_assert_int_eq(ustate(a, id1, cc), LC_RECEIPT_DELIVERED);

	/* members answer under their own keys */
	ck_assert_int_eq(lc_client_send_group_text(b->c, gid, "hi all", 6, id2,
						   T.now), 0);
	pump();
	ck_assert_int_eq(a->n_msgs, 1);
	ck_assert_str_eq(a->text[0], "hi all");
	ck_assert_int_eq(cc->n_msgs, 2);

	/* Carol is removed: Alice's next message uses a fresh key */
	old_in = stored_key(cc, "in", gid, lc_client_user_id(a->c),
			    lc_client_device_id(a->c));
	members[0] = lc_client_user_id(cc->c);
	ck_assert_int_eq(lc_client_group_remove(a->c, gid, members, 1, T.now), 0);
	pump();
	ck_assert_int_eq(lc_client_send_group_text(a->c, gid, "without carol",
						   13, id3, T.now), 0);
	pump();
	ck_assert_int_eq(b->n_msgs, 2);
	ck_assert_str_eq(b->text[1], "without carol");
	ck_assert_int_eq(cc->n_msgs, 2);
	own = stored_key(a, "own", gid, NULL, 0);
	ck_assert_uint_ne(lc_sender_key_id(own), lc_sender_key_id(old_in));
	/* what Carol kept cannot open a message under the new key */
	memset(pt, 0, sizeof pt);
	ck_assert_int_eq(lc_sender_key_encrypt(own, pt, 32, ct, sizeof ct,
					       &ctl), 0);
	ck_assert_int_eq(lc_sender_key_decrypt(old_in, ct, ctl, out, sizeof out,
					       &ptl), LC_ERR_NO_SESSION);
	lc_sender_key_free(own);
	lc_sender_key_free(old_in);
	/* and her own sends are refused */
	ck_assert_int_eq(lc_client_send_group_text(cc->c, gid, "me too", 6, NULL,
						   T.now), 0);
	pump();
	ck_assert_int_eq(cc->send_failures, 1);
	ck_assert_int_eq(b->n_msgs, 2);
	teardown();
}
END_TEST

START_TEST(client_logout_login_profile)
{
	tc *a;
	uint32_t dev;

	setup();
	a = user("+15550000111");
	dev = lc_client_device_id(a->c);
	ck_assert_int_eq(lc_client_update_profile(a->c, "Alice", T.now), 0);
	pump();
	ck_assert_int_eq(a->last_done_op, LC_CLIENT_OP_PROFILE);
	ck_assert_int_eq(a->last_done_code, 0);
	ck_assert_int_eq(lc_client_lookup(a->c, "+15550000111", NULL, T.now), 0);
	pump();
	ck_assert_int_eq(a->last_done_op, LC_CLIENT_OP_LOOKUP);
	ck_assert_int_eq(a->last_done_code, 0);
	ck_assert_str_eq(a->found, lc_client_user_id(a->c));
	ck_assert_int_eq(lc_client_lookup(a->c, "+15559999999", NULL, T.now), 0);
	pump();
	ck_assert_int_eq(a->last_done_code, LC_ERR_NO_SUCH_USER);
	ck_assert_int_eq(lc_client_lookup(a->c, NULL, NULL, T.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_logout(a->c, 0, T.now), 0);
	pump();
	ck_assert_int_eq(a->last_done_op, LC_CLIENT_OP_LOGOUT);
	ck_assert_int_eq(a->last_done_code, 0);
	ck_assert_int_eq(a->state, LC_CLIENT_CONNECTED);
	ck_assert_str_eq(lc_client_user_id(a->c), "");
	ck_assert_int_eq(lc_client_update_profile(a->c, "A", T.now),
			 LC_ERR_NOT_LOGGED_IN);
	/* a wrong password is refused; the right one binds the same device */
	ck_assert_int_eq(lc_client_login(a->c, "+15550000111", NULL, "wrong one",
					 T.now), 0);
	pump();
	ck_assert_int_eq(a->last_done_code, LC_ERR_AUTH_FAILED);
	ck_assert_int_eq(lc_client_login(a->c, "+15550000111", NULL,
					 "correct horse", T.now), 0);
	pump();
	ck_assert_int_eq(a->state, LC_CLIENT_READY);
	ck_assert_uint_eq(lc_client_device_id(a->c), dev);
	/* and a restarted session logs in by token */
	kill_client(a);
	client_open(a);
	ck_assert_uint_eq(lc_client_device_id(a->c), dev);
	connect_client(a);
	pump();
	ck_assert_int_eq(a->state, LC_CLIENT_READY);
	teardown();
}
END_TEST

/* Feed what the client wrote to the server; the server's verdict. */
static int client_to_server(tc *t)
{
	const uint8_t *p;
	size_t n = lc_client_send(t->c, &p);
	int rc;

	if (n == 0)
		return 0;
	rc = lc_server_conn_recv(t->sc, p, n, T.now);
	ck_assert_int_eq(lc_client_consume(t->c, n), 0);
	return rc < 0 ? rc : 0;
}

/* A server with another static key is refused, and the pin stays. */
START_TEST(client_server_key_pinned)
{
	tc *a, *b;
	uint8_t pub[32], stored[32], wrong[32];
	size_t len = 0;

	setup();
	a = user("+15550000131");
	crypto_scalarmult_base(pub, server_sk);
	ck_assert_int_eq(lc_store_blob_get(lc_client_store(a->c),
					   LC_STORE_BLOB_LOCAL,
					   (const uint8_t *)"server", 6, stored,
					   sizeof stored, &len), 0);
	ck_assert_uint_eq(len, 32);
	ck_assert_mem_eq(stored, pub, 32); /* learned on first contact */

	/* the server comes back with another key: IK cannot complete */
	drop(a);
	lc_server_free(T.s);
	memset(server_sk, 0x43, sizeof server_sk);
	server_open();
	ck_assert_int_eq(lc_server_conn_open(T.s, &a->sc, a, T.now), 0);
	ck_assert_int_eq(lc_client_connect(a->c, T.now), 0);
	ck_assert_int_lt(client_to_server(a), 0);
	ck_assert_int_eq(a->state, LC_CLIENT_HANDSHAKE);
	drop(a);
	ck_assert_int_eq(a->state, LC_CLIENT_DISCONNECTED);
	ck_assert_int_eq(lc_store_blob_get(lc_client_store(a->c),
					   LC_STORE_BLOB_LOCAL,
					   (const uint8_t *)"server", 6, stored,
					   sizeof stored, &len), 0);
	ck_assert_mem_eq(stored, pub, 32);

	/* a key given in the configuration is used from the first contact */
	b = calloc(1, sizeof *b);
	ck_assert_ptr_nonnull(b);
	strcpy(b->dir, "/tmp/lc-client-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(b->dir));
	memset(wrong, 0x42, sizeof wrong);
	crypto_scalarmult_base(wrong, wrong); /* the old key: now wrong */
	b->server_key = wrong;
	client_open(b);
	T.cl[T.n++] = b;
	ck_assert_int_eq(lc_server_conn_open(T.s, &b->sc, b, T.now), 0);
	ck_assert_int_eq(lc_client_connect(b->c, T.now), 0);
	ck_assert_int_lt(client_to_server(b), 0);
	drop(b);
	teardown();
}
END_TEST

/* A sealed store: the at-rest key is needed to open the account. */
START_TEST(client_sealed_store)
{
	static const uint8_t key[LC_STORE_KEY_LEN] = {1, 2, 3, 4};
	static const uint8_t other[LC_STORE_KEY_LEN] = {9};
	tc *a, *b;
	lc_client_config cfg;
	lc_client *c = NULL;

	setup();
	a = calloc(1, sizeof *a);
	ck_assert_ptr_nonnull(a);
	strcpy(a->dir, "/tmp/lc-client-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(a->dir));
	a->store_key = key;
	client_open(a);
	T.cl[T.n++] = a;
	connect_client(a);
	ck_assert_int_eq(lc_client_register(a->c, "+15550000141", NULL, "A",
					    "correct horse", T.now), 0);
	pump();
	ck_assert_int_eq(a->state, LC_CLIENT_READY);
	b = user("+15550000142");
	send_text(b, a, "sealed", NULL);
	pump();
	ck_assert_int_eq(a->n_msgs, 1);
	kill_client(a);
	memset(&cfg, 0, sizeof cfg);
	cfg.version = LC_CLIENT_CONFIG_VERSION;
	cfg.store_dir = a->dir;
	cfg.store_key = other;
	ck_assert_int_eq(lc_client_new(&c, &cfg, NULL, NULL), LC_ERR_STORE_KEY);
	cfg.store_key = NULL;
	ck_assert_int_eq(lc_client_new(&c, &cfg, NULL, NULL), LC_ERR_STORE_KEY);
	client_open(a); /* the right key */
	connect_client(a);
	pump();
	ck_assert_int_eq(a->state, LC_CLIENT_READY);
	ck_assert_uint_eq(chat_count(a, lc_client_user_id(b->c)), 1);
	teardown();
}
END_TEST

/* Every allocation failure of lc_client_new() is reported, leaks nothing,
 * and leaves a store the next attempt opens. */
START_TEST(client_new_allocation_failures)
{
	char dir[64];
	lc_client_config cfg;
	long total;

	strcpy(dir, "/tmp/lc-client-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&cfg, 0, sizeof cfg);
	cfg.version = LC_CLIENT_CONFIG_VERSION;
	cfg.store_dir = dir;
	for (long k = 1;; k++) {
		lc_test_alloc ta;
		lc_client *c = NULL;
		int rc;

		lc_test_alloc_init(&ta, k);
		cfg.mem = &ta.hooks;
		rc = lc_client_new(&c, &cfg, NULL, NULL);
		if (rc == 0) {
			lc_client_free(c);
			ck_assert_int_eq(ta.live, 0);
			total = k;
			break;
		}
		ck_assert_int_eq(rc, LC_ERR_NOMEM);
		ck_assert_ptr_null(c);
		ck_assert_int_eq(ta.live, 0);
		ck_assert_int_lt(k, 100000);
	}
	ck_assert_int_gt(total, 1);
	rm_dir(dir);
}
END_TEST

/* The server says the one-time prekeys run low: more are made and sent. */
START_TEST(client_prekeys_top_up)
{
	tc *a, *b;
	int keys_before;

	setup();
	lc_server_free(T.s);
	T.cfg.prekey_low = LC_CLIENT_PREKEY_BATCH; /* low after one fetch */
	server_open();
	a = user("+15550000101");
	b = user("+15550000102");
	keys_before = b->n_done;
	send_text(a, b, "spends a one-time prekey", NULL);
	pump();
	ck_assert_int_eq(b->n_msgs, 1);
	ck_assert_int_eq(b->last_done_op, LC_CLIENT_OP_KEYS);
	ck_assert_int_eq(b->last_done_code, 0);
	ck_assert_int_gt(b->n_done, keys_before);
	teardown();
}
END_TEST

/* The read-receipt queue of a store: 1 when entries wait, else 0. */
static int reads_queued(tc *t)
{
	size_t len = 0;
	int rc = lc_store_blob_get(lc_client_store(t->c), LC_STORE_BLOB_LOCAL,
				   (const uint8_t *)"reads", 5, NULL, 0, &len);

	if (rc == LC_ERR_NOT_FOUND)
		return 0;
	ck_assert_int_eq(rc, LC_ERR_BUFFER_TOO_SMALL);
	return 1;
}

/* Bob reads while offline: the chat is read at once, the receipts wait in
 * his store (across a restart) and reach Alice on his next connection. */
START_TEST(client_read_receipts_queued_offline)
{
	tc *a, *b;
	uint8_t id1[16], id2[16];
	const char *chat;
	lc_store_chats *ch = NULL;

	setup();
	a = user("+15550000131");
	b = user("+15550000132");
	send_text(a, b, "one", id1);
	send_text(a, b, "two", id2);
	pump();
	ck_assert_int_eq(b->n_msgs, 2);
	ck_assert_int_eq(rstate(a, id2), LC_RECEIPT_DELIVERED);
	drop(b);
	chat = lc_client_user_id(a->c);
	ck_assert_int_eq(lc_client_mark_read(b->c, chat, T.now), 0);
	ck_assert_int_eq(lc_store_chat_get(lc_client_store(b->c), chat, &ch), 0);
	ck_assert_uint_eq(lc_store_chats_get(ch, 0)->unread, 0);
	lc_store_chats_free(ch);
	ck_assert_int_eq(reads_queued(b), 1);
	pump();
	ck_assert_int_eq(rstate(a, id1), LC_RECEIPT_DELIVERED);
	kill_client(b); /* the queue is in the store, not in memory */
	client_open(b);
	ck_assert_int_eq(reads_queued(b), 1);
	b->n_done = 0;
	connect_client(b);
	pump();
	ck_assert_int_eq(rstate(a, id1), LC_RECEIPT_READ);
	ck_assert_int_eq(rstate(a, id2), LC_RECEIPT_READ);
	ck_assert_int_eq(reads_queued(b), 0);
	ck_assert_int_eq(b->last_done_op, LC_CLIENT_OP_READ);
	ck_assert_int_eq(b->last_done_code, 0);
	ck_assert_int_eq(a->n_errors + b->n_errors, 0);
	teardown();
}
END_TEST

/* A receipt sent but cut off with its connection is sent again. */
START_TEST(client_read_receipts_survive_lost_connection)
{
	tc *a, *b, *c;
	uint8_t ia[16], ic[16];
	int done_before;

	setup();
	a = user("+15550000141");
	b = user("+15550000142");
	c = user("+15550000143");
	send_text(a, b, "from alice", ia);
	send_text(c, b, "from carol", ic);
	pump();
	ck_assert_int_eq(b->n_msgs, 2);
	ck_assert_int_eq(lc_client_mark_read(b->c, lc_client_user_id(a->c),
					     T.now), 0);
	ck_assert_int_eq(lc_client_mark_read(b->c, lc_client_user_id(c->c),
					     T.now), 0);
	done_before = b->n_done;
	drop(b); /* before any byte reached the server */
	ck_assert_int_eq(b->n_done, done_before); /* queued, not failed */
	pump();
	ck_assert_int_eq(rstate(a, ia), LC_RECEIPT_DELIVERED);
	ck_assert_int_eq(reads_queued(b), 1);
	connect_client(b);
	pump();
	/* one Receipt per sender device, one after the other */
	ck_assert_int_eq(rstate(a, ia), LC_RECEIPT_READ);
	ck_assert_int_eq(rstate(c, ic), LC_RECEIPT_READ);
	ck_assert_int_eq(reads_queued(b), 0);
	teardown();
}
END_TEST

/* Every allocation of an offline mark_read may fail: the call reports
 * NOMEM and leaves a state the next call completes. */
START_TEST(client_read_receipts_allocation_failures)
{
	lc_test_alloc ta;
	tc *a, *b;
	uint8_t id[16];
	int rc = -1;

	lc_test_alloc_init(&ta, 0);
	setup();
	a = user("+15550000151");
	b = client_new();
	kill_client(b);
	b->mem = &ta.hooks;
	client_open(b);
	connect_client(b);
	ck_assert_int_eq(lc_client_register(b->c, "+15550000152", NULL, "B",
					    "correct horse", T.now), 0);
	pump();
	ck_assert_int_eq(b->state, LC_CLIENT_READY);
	send_text(a, b, "hello", id);
	pump();
	drop(b);
	for (long k = 1; rc != 0; k++) {
		ta.fail_at = ta.allocs + k;
		rc = lc_client_mark_read(b->c, lc_client_user_id(a->c), T.now);
		ck_assert(rc == 0 || rc == LC_ERR_NOMEM);
		ck_assert_int_lt(k, 1000);
	}
	ta.fail_at = 0;
	connect_client(b);
	pump();
	ck_assert_int_eq(rstate(a, id), LC_RECEIPT_READ);
	kill_client(b);
	ck_assert_int_eq(ta.live, 0);
	teardown();
}
END_TEST

/* A full queue drops its oldest receipts, whole, to take new ones; the
 * server's answers drain it 256 ids at a time. */
START_TEST(client_read_receipts_queue_full)
{
	static uint8_t q[LC_STORE_BLOB_MAX];
	tc *a, *b;
	uint8_t id[16];
	size_t len = 0, n = 0;
	lc_store *st;

	setup();
	a = user("+15550000171");
	b = user("+15550000172");
	send_text(a, b, "newest", id);
	pump();
	/* stale receipts to one of Alice's devices that does not exist */
	while (len + 21 + 32 <= sizeof q) {
		memset(q + len, (int)(n++ & 0xff), 16);
		memcpy(q + len + 16, "\0\0\0\x09", 4);
		q[len + 20] = 32;
		memcpy(q + len + 21, lc_client_user_id(a->c), 32);
		len += 21 + 32;
	}
	st = lc_client_store(b->c);
	ck_assert_int_eq(lc_store_blob_put(st, LC_STORE_BLOB_LOCAL,
					   (const uint8_t *)"reads", 5, q, len), 0);
	drop(b);
	ck_assert_int_eq(lc_client_mark_read(b->c, lc_client_user_id(a->c),
					     T.now), 0);
	ck_assert_int_eq(lc_store_blob_get(st, LC_STORE_BLOB_LOCAL,
					   (const uint8_t *)"reads", 5, q,
					   sizeof q, &len), 0);
	ck_assert_uint_le(len, LC_STORE_BLOB_MAX);
	ck_assert_uint_eq(len % (21 + 32), 0); /* whole entries only */
	ck_assert_mem_eq(q + len - 21 - 32, id, 16); /* the new one, last */
	ck_assert_int_eq(q[len - 32 - 1], 32);
	ck_assert_mem_ne(q, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	connect_client(b);
	pump();
	ck_assert_int_eq(rstate(a, id), LC_RECEIPT_READ);
	ck_assert_int_eq(reads_queued(b), 0);
	teardown();
}
END_TEST

/* Presence subscriptions live on a connection: the session renews them
 * when it is READY again, and forgets the ones unsubscribed. */
START_TEST(client_presence_renewed_after_reconnect)
{
	tc *a, *b;
	const char *who[1];

	setup();
	a = user("+15550000161");
	b = user("+15550000162");
	send_text(a, b, "hi", NULL);
	pump();
	who[0] = lc_client_user_id(b->c);
	ck_assert_int_eq(lc_client_presence_subscribe(a->c, who, 1, 0, T.now),
			 0);
	pump();
	ck_assert_int_eq(a->presence_online, 1);
	drop(a);
	pump();
	T.now += 1000;
	a->n_presence = 0;
	connect_client(a);
	pump();
	/* the renewal's answer reports the current state */
	ck_assert_int_eq(a->n_presence, 1);
	ck_assert_str_eq(a->presence_uid, who[0]);
	ck_assert_int_eq(a->presence_online, 1);
	/* and later changes arrive on the new connection */
	drop(b);
	pump();
	ck_assert_int_eq(a->n_presence, 2);
	ck_assert_int_eq(a->presence_online, 0);
	connect_client(b);
	pump();
	ck_assert_int_eq(a->presence_online, 1);

	/* the server restarts: renewed on the new server too */
	drop(a);
	drop(b);
	lc_server_free(T.s);
	server_open();
	connect_client(a);
	pump();
	a->n_presence = 0;
	connect_client(b);
	pump();
	ck_assert_int_eq(a->n_presence, 1);
	ck_assert_int_eq(a->presence_online, 1);

	/* unsubscribed: not renewed */
	ck_assert_int_eq(lc_client_presence_subscribe(a->c, who, 1, 1, T.now),
			 0);
	pump();
	drop(a);
	connect_client(a);
	pump();
	a->n_presence = 0;
	drop(b);
	pump();
	ck_assert_int_eq(a->n_presence, 0);
	ck_assert_int_eq(a->n_errors, 0);
	teardown();
}
END_TEST

typedef struct ticket_ans {
	int calls, code;
	lc_client_media_ticket t;
} ticket_ans;

static void cb_ticket(int code, const lc_client_media_ticket *t, void *ud)
{
	ticket_ans *a = ud;

	a->calls++;
	a->code = code;
	if (code == 0)
		a->t = *t;
	else
		ck_assert_ptr_null(t);
}

START_TEST(client_upload_ticket)
{
	ticket_ans ok = { 0 }, big = { 0 }, gone = { 0 }, lost = { 0 };
	tc *a, *b;

	setup();
	T.cfg.media_max_size = 1000000;
	lc_server_free(T.s);
	server_open();
	b = client_new();
	connect_client(b); /* connected, not logged in */
	ck_assert_int_eq(lc_client_upload_ticket(b->c, 10, cb_ticket, &ok,
						 T.now), LC_ERR_NOT_LOGGED_IN);
	a = user("+15550000171");
	ck_assert_int_eq(lc_client_upload_ticket(a->c, 0, cb_ticket, &ok,
						 T.now), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_upload_ticket(a->c, 10, NULL, &ok, T.now),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_upload_ticket(NULL, 10, cb_ticket, &ok,
						 T.now), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_client_upload_ticket(
				 a->c, lc_media_ciphertext_size(LC_MEDIA_SIZE_MAX) + 1,
				 cb_ticket, &ok, T.now), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(ok.calls, 0);

	/* within the limit: a ticket; over it: refused before any upload */
	ck_assert_int_eq(lc_client_upload_ticket(a->c, 1000000, cb_ticket, &ok,
						 T.now), 0);
	ck_assert_int_eq(lc_client_upload_ticket(a->c, 1000001, cb_ticket,
						 &big, T.now), 0);
	/* a withdrawn callback is never called */
	ck_assert_int_eq(lc_client_upload_ticket(a->c, 5, cb_ticket, &gone,
						 T.now), 0);
	lc_client_upload_ticket_cancel(a->c, &gone);
	lc_client_upload_ticket_cancel(NULL, &gone);
	pump();
	ck_assert_int_eq(ok.calls, 1);
	ck_assert_int_eq(ok.code, 0);
	ck_assert_str_eq(ok.t.upload_path, "/v1/media/upload");
	ck_assert_uint_ge(ok.t.max_size, 1000000);
	ck_assert_uint_gt(ok.t.expires_ms, T.now);
	ck_assert_int_eq(big.calls, 1);
	ck_assert_int_eq(big.code, LC_ERR_MEDIA_TOO_LARGE);
	ck_assert_int_eq(gone.calls, 0);

	/* the connection ends before the answer */
	ck_assert_int_eq(lc_client_upload_ticket(a->c, 5, cb_ticket, &lost,
						 T.now), 0);
	drop(a);
	ck_assert_int_eq(lost.calls, 1);
	ck_assert_int_eq(lost.code, LC_ERR_NOT_CONNECTED);
	ck_assert_int_eq(a->n_errors, 0);
	teardown();
}
END_TEST

/* The accepted subscriptions are kept in the store: a restarted app
 * subscribes again on login; unsubscribing and logging out forget them;
 * a damaged record is ignored. */
START_TEST(client_presence_survives_restart)
{
	tc *a, *b;
	const char *who[1];
	char bob[65];
	static const uint8_t junk[] = { 1, 200, 'x' };

	setup();
	a = user("+15550000191");
	b = user("+15550000192");
	send_text(a, b, "hi", NULL);
	pump();
	strcpy(bob, lc_client_user_id(b->c));
	who[0] = bob;
	ck_assert_int_eq(lc_client_presence_subscribe(a->c, who, 1, 0, T.now),
			 0);
	pump();
	ck_assert_int_eq(a->presence_online, 1);

	/* the app restarts: renewed once logged in, without asking */
	kill_client(a);
	a->n_presence = 0;
	a->presence_online = -1;
	client_open(a);
	connect_client(a);
	pump();
	ck_assert_int_eq(a->state, LC_CLIENT_READY);
	ck_assert_int_eq(a->n_presence, 1);
	ck_assert_str_eq(a->presence_uid, bob);
	ck_assert_int_eq(a->presence_online, 1);
	drop(b);
	pump();
	ck_assert_int_eq(a->n_presence, 2);
	ck_assert_int_eq(a->presence_online, 0);
	connect_client(b);
	pump();

	/* unsubscribed, then restarted: nothing renewed */
	ck_assert_int_eq(lc_client_presence_subscribe(a->c, who, 1, 1, T.now),
			 0);
	pump();
	kill_client(a);
	client_open(a);
	connect_client(a);
	pump();
	a->n_presence = 0;
	drop(b);
	pump();
	ck_assert_int_eq(a->n_presence, 0);
	connect_client(b);
	pump();

	/* a damaged record: the session opens with no subscription */
	kill_client(a);
	client_open(a);
	ck_assert_int_eq(lc_store_blob_put(lc_client_store(a->c),
					   LC_STORE_BLOB_LOCAL,
					   (const uint8_t *)"presence", 8,
					   junk, sizeof junk), 0);
	kill_client(a);
	client_open(a);
	connect_client(a);
	pump();
	ck_assert_int_eq(a->state, LC_CLIENT_READY);
	ck_assert_int_eq(a->n_errors, 0);
	a->n_presence = 0;
	drop(b);
	pump();
	ck_assert_int_eq(a->n_presence, 0);

	/* subscribed, then logged out: forgotten with the account */
	connect_client(b);
	pump();
	ck_assert_int_eq(lc_client_presence_subscribe(a->c, who, 1, 0, T.now),
			 0);
	pump();
	ck_assert_int_eq(lc_client_logout(a->c, 0, T.now), 0);
	pump();
	ck_assert_int_eq(lc_client_login(a->c, "+15550000191", NULL,
					 "correct horse", T.now), 0);
	pump();
	ck_assert_int_eq(a->state, LC_CLIENT_READY);
	kill_client(a);
	client_open(a);
	connect_client(a);
	pump();
	a->n_presence = 0;
	drop(b);
	pump();
	ck_assert_int_eq(a->n_presence, 0);
	teardown();
}
END_TEST

static Suite *client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *t = tcase_create("session");

	tcase_set_timeout(t, 120);
	tcase_add_test(t, client_conversation_with_ticks);
	tcase_add_test(t, client_offline_then_back_in_order);
	tcase_add_test(t, client_duplicate_dropped);
	tcase_add_test(t, client_many_messages_in_order);
	tcase_add_test(t, client_outbox_survives_restart);
	tcase_add_test(t, client_server_restart);
	tcase_add_test(t, client_identity_change);
	tcase_add_test(t, client_identity_change_held);
	tcase_add_test(t, client_identity_change_held_group);
	tcase_add_test(t, client_groups_and_presence);
	tcase_add_test(t, client_group_messages);
	tcase_add_test(t, client_group_new_device_discovered);
	tcase_add_test(t, client_group_new_device_held);
	tcase_add_test(t, client_heartbeat_and_timeout);
	tcase_add_test(t, client_bad_arguments);
	tcase_add_test(t, client_new_allocation_failures);
	tcase_add_test(t, client_logout_login_profile);
	tcase_add_test(t, client_server_key_pinned);
	tcase_add_test(t, client_sealed_store);
	tcase_add_test(t, client_prekeys_top_up);
	tcase_add_test(t, client_media_messages);
	tcase_add_test(t, client_unknown_content_reported);
	tcase_add_test(t, client_read_receipts_queued_offline);
	tcase_add_test(t, client_upload_ticket);
	tcase_add_test(t, client_presence_survives_restart);
	tcase_add_test(t, client_read_receipts_survive_lost_connection);
	tcase_add_test(t, client_read_receipts_allocation_failures);
	tcase_add_test(t, client_read_receipts_queue_full);
	tcase_add_test(t, client_presence_renewed_after_reconnect);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return lc_test_run(client_suite());
}
