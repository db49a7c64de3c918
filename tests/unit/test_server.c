/* Suite "server": the sans-IO server core over a real LMDB directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_harness.h"

#define PW "correct horse"

static void mid_of(uint8_t mid[16], unsigned n)
{
	memset(mid, 0, 16);
	mid[0] = 0xa5;
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

/* ------------------------------------------------------------ accounts */

START_TEST(server_register_and_lookup)
{
	hclient *a = h_client(), *b = h_client();
	Libchat__UserLookup l = LIBCHAT__USER_LOOKUP__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *ack;

	ck_assert_int_eq(h_register(a, "+15550001111", NULL, PW), 0);
	ck_assert_uint_eq(a->dev, 1);
	ck_assert_int_eq(h_register(b, NULL, "Bob@Example.org", PW), 0);
	ck_assert_str_ne(a->uid, b->uid);

	l.key_case = LIBCHAT__USER_LOOKUP__KEY_EMAIL;
	l.email = "bob@EXAMPLE.org";
	e.body_case = LIBCHAT__ENVELOPE__BODY_USER_LOOKUP;
	e.user_lookup = &l;
	ck_assert_int_eq(h_call(a, &e, &ack), 0);
	ck_assert_str_eq(ack->ack->user->user_id, b->uid);
	ck_assert_str_eq(ack->ack->user->display_name, "Someone");
	ck_assert_uint_eq(ack->ack->user->n_device_ids, 1);
	lc_envelope_free(ack, NULL);

	l.key_case = LIBCHAT__USER_LOOKUP__KEY_PHONE;
	l.phone = "+15550001111";
	e.request_id = 0;
	ck_assert_int_eq(h_call(b, &e, &ack), 0);
	ck_assert_str_eq(ack->ack->user->user_id, a->uid);
	lc_envelope_free(ack, NULL);

	l.key_case = LIBCHAT__USER_LOOKUP__KEY_USER_ID;
	l.user_id = "nobody";
	e.request_id = 0;
	ck_assert_int_eq(h_call(b, &e, NULL), LC_ERR_NO_SUCH_USER);
	l.key_case = LIBCHAT__USER_LOOKUP__KEY_PHONE;
	l.phone = "+15559999999";
	e.request_id = 0;
	ck_assert_int_eq(h_call(b, &e, NULL), LC_ERR_NO_SUCH_USER);
}
END_TEST

START_TEST(server_register_errors)
{
	hclient *a = h_client(), *b = h_client();
	static const char *bad_phones[] = {
		"15550001111", "+1555", "+1234567890123456", "+1555000111a",
		"+0555000111", "", "+",
	};
	static const char *bad_emails[] = {
		"no-at.example.org", "a@@example.org", "a@b@example.org",
		"@example.org", "a@", "a@localhost", "a b@example.org",
		"a@exa mple.org", "a@.example.org", "a@example..org",
		".a@example.org", "a..b@example.org",
	};

	for (size_t i = 0; i < sizeof bad_phones / sizeof *bad_phones; i++)
		ck_assert_int_eq(h_register(a, bad_phones[i], NULL, PW),
				 LC_ERR_INVALID_PHONE);
	for (size_t i = 0; i < sizeof bad_emails / sizeof *bad_emails; i++)
		ck_assert_int_eq(h_register(a, NULL, bad_emails[i], PW),
				 LC_ERR_INVALID_EMAIL);
	ck_assert_int_eq(h_register(a, "+15550002222", NULL, "short"),
			 LC_ERR_WEAK_PASSWORD);
	ck_assert_int_eq(h_register(a, "+15550002222", NULL, PW), 0);
	ck_assert_int_eq(h_register(b, "+15550002222", NULL, PW),
			 LC_ERR_ACCOUNT_EXISTS);
	ck_assert_int_eq(h_register(b, NULL, "x@example.org", PW), 0);
	ck_assert_int_eq(h_register(a, NULL, "y@example.org", PW),
			 LC_ERR_INVALID_STATE); /* already logged in */
}
END_TEST

START_TEST(server_auth_required_before_login)
{
	hclient *a = h_client();
	Libchat__Logout lo = LIBCHAT__LOGOUT__INIT;
	Libchat__GroupCreate gc = LIBCHAT__GROUP_CREATE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	uint8_t mid[16];

	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGOUT;
	e.logout = &lo;
	ck_assert_int_eq(h_call(a, &e, NULL), LC_ERR_AUTH_REQUIRED);
	memset(&e, 0, sizeof e);
	libchat__envelope__init(&e);
	e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_CREATE;
	e.group_create = &gc;
	ck_assert_int_eq(h_call(a, &e, NULL), LC_ERR_AUTH_REQUIRED);
	mid_of(mid, 1);
	ck_assert_int_eq(h_send(a, mid, &a, 1, "x"), LC_ERR_AUTH_REQUIRED);
	ck_assert_int_eq(h_heartbeat(a), 0);
	ck_assert(!a->closed); /* the connection stays open */
}
END_TEST

START_TEST(server_login_password_and_token)
{
	hclient *a = h_client(), *a2, *thief;
	uint8_t key1[32];

	ck_assert_int_eq(h_register(a, "+15550003333", NULL, PW), 0);
	memcpy(key1, a->key, 32);
	a2 = h_second_device(a, "+15550003333");
	ck_assert_uint_eq(a2->dev, 2);

	/* The same key logs in as the same device again. */
	h_disconnect(a);
	h_connect(a);
	ck_assert_int_eq(h_login_pw(a, "+15550003333", PW), 0);
	ck_assert_uint_eq(a->dev, 1);

	/* Token login resumes the device... */
	h_disconnect(a);
	h_connect(a);
	ck_assert_int_eq(h_login_token(a), 0);
	ck_assert_int_eq(h_heartbeat(a), 0);

	/* ...but only with that device's key. */
	thief = h_client();
	memcpy(thief->uid, a->uid, sizeof a->uid);
	thief->dev = a->dev;
	memcpy(thief->token, a->token, 32);
	ck_assert_int_eq(h_login_token(thief), LC_ERR_AUTH_FAILED);
	thief->token[0] ^= 1;
	memcpy(thief->key, key1, 32); /* the right key, a wrong token */
	h_disconnect(thief);
	h_connect(thief);
	ck_assert_int_eq(h_login_token(thief), LC_ERR_AUTH_FAILED);
	ck_assert_int_eq(h_login_pw(thief, "+15550003333", "wrong password"),
			 LC_ERR_AUTH_FAILED);
	ck_assert_int_eq(h_login_pw(thief, "+15550009999", PW),
			 LC_ERR_AUTH_FAILED);
}
END_TEST

START_TEST(server_login_throttled)
{
	hclient *a = h_client(), *b = h_client();
	Libchat__PasswordCredential p = LIBCHAT__PASSWORD_CREDENTIAL__INIT;
	Libchat__Login l = LIBCHAT__LOGIN__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *err;
	uint64_t rid;

	ck_assert_int_eq(h_register(a, "+15550004444", NULL, PW), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(h_login_pw(b, "+15550004444", "nope nope"),
				 LC_ERR_AUTH_FAILED);
	/* The next attempt, even with the right password, must wait. */
	p.identifier_case = LIBCHAT__PASSWORD_CREDENTIAL__IDENTIFIER_PHONE;
	p.phone = "+15550004444";
	p.password = PW;
	l.credential_case = LIBCHAT__LOGIN__CREDENTIAL_PASSWORD;
	l.password = &p;
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGIN;
	e.login = &l;
	rid = h_feed(b, &e);
	h_flush();
	err = h_answer(b, rid);
	ck_assert_int_eq(err->body_case, LIBCHAT__ENVELOPE__BODY_ERROR);
	ck_assert_int_eq(-(int)err->error->code, LC_ERR_THROTTLED);
	ck_assert_uint_eq(err->error->retry_after_ms, 1000);
	lc_envelope_free(err, NULL);
	/* A failure after the wait doubles it. */
	H.now += 1000;
	ck_assert_int_eq(h_login_pw(b, "+15550004444", "nope nope"),
			 LC_ERR_AUTH_FAILED);
	H.now += 1999;
	ck_assert_int_eq(h_login_pw(b, "+15550004444", PW), LC_ERR_THROTTLED);
	H.now += 1;
	ck_assert_int_eq(h_login_pw(b, "+15550004444", PW), 0);
	/* Success resets the count. */
	h_disconnect(b);
	h_connect(b);
	ck_assert_int_eq(h_login_pw(b, "+15550004444", "nope nope"),
			 LC_ERR_AUTH_FAILED);
	ck_assert_int_eq(h_login_pw(b, "+15550004444", PW), 0);
}
END_TEST

START_TEST(server_logout_revokes_token)
{
	hclient *a = h_client(), *a2;
	Libchat__Logout lo = LIBCHAT__LOGOUT__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	uint8_t old[32];

	ck_assert_int_eq(h_register(a, "+15550005555", NULL, PW), 0);
	a2 = h_second_device(a, "+15550005555");
	memcpy(old, a->token, 32);
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGOUT;
	e.logout = &lo;
	ck_assert_int_eq(h_call(a, &e, NULL), 0);
	/* The connection is unauthenticated now. */
	ck_assert_int_eq(h_heartbeat(a), 0);
	e.request_id = 0;
	ck_assert_int_eq(h_call(a, &e, NULL), LC_ERR_AUTH_REQUIRED);
	/* Replaying the token fails; the other device's still works. */
	ck_assert_int_eq(h_login_token(a), LC_ERR_TOKEN_EXPIRED);
	h_disconnect(a2);
	h_connect(a2);
	ck_assert_int_eq(h_login_token(a2), 0);
	/* all_devices revokes that one too. */
	lo.all_devices = 1;
	e.request_id = 0;
	ck_assert_int_eq(h_call(a2, &e, NULL), 0);
	ck_assert_int_eq(h_login_token(a2), LC_ERR_TOKEN_EXPIRED);
	/* A new password login gives a new token that works. */
	ck_assert_int_eq(h_login_pw(a, "+15550005555", PW), 0);
	ck_assert_mem_ne(a->token, old, 32);
	h_disconnect(a);
	h_connect(a);
	ck_assert_int_eq(h_login_token(a), 0);
}
END_TEST

START_TEST(server_token_expires)
{
	hclient *a;

	h_shutdown();
	H.cfg.token_lifetime_ms = 5000;
	h_open();
	a = h_user();
	h_disconnect(a);
	H.now += 5000;
	h_connect(a);
	ck_assert_int_eq(h_login_token(a), LC_ERR_TOKEN_EXPIRED);
}
END_TEST

START_TEST(server_token_verify)
{
	hclient *a = h_user(), *b = h_user();
	Libchat__Logout lo = LIBCHAT__LOGOUT__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	char uid[LC_SERVER_USER_ID_SIZE];
	uint32_t dev = 0;
	uint8_t bad[32];

	/* Valid: the token alone names its device. */
	ck_assert_int_eq(lc_server_token_verify(H.s, a->token, 32, H.now, uid,
						&dev), 0);
	ck_assert_str_eq(uid, a->uid);
	ck_assert_uint_eq(dev, a->dev);
	ck_assert_int_eq(lc_server_token_verify(H.s, b->token, 32, H.now, uid,
						NULL), 0);
	ck_assert_str_eq(uid, b->uid);
	h_flush();
	/* Wrong: a flipped bit, a short token, no token. */
	memcpy(bad, a->token, 32);
	bad[31] ^= 0x80;
	uid[0] = 'x';
	dev = 77;
	ck_assert_int_eq(lc_server_token_verify(H.s, bad, 32, H.now, uid,
						&dev), LC_ERR_AUTH_FAILED);
	ck_assert_int_eq(uid[0], 'x');
	ck_assert_uint_eq(dev, 77);
	ck_assert_int_eq(lc_server_token_verify(H.s, a->token, 31, H.now, uid,
						&dev), LC_ERR_AUTH_FAILED);
	ck_assert_int_eq(lc_server_token_verify(H.s, NULL, 32, H.now, uid,
						&dev), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_server_token_verify(NULL, a->token, 32, H.now,
						uid, &dev), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_server_token_verify(H.s, a->token, 32, H.now,
						NULL, &dev), LC_ERR_INVALID_ARG);
	/* Revoked by logout, already within the turn that logs out. */
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGOUT;
	e.logout = &lo;
	h_feed(a, &e);
	ck_assert_int_eq(lc_server_token_verify(H.s, a->token, 32, H.now, uid,
						&dev), LC_ERR_TOKEN_EXPIRED);
	h_flush();
	ck_assert_int_eq(lc_server_token_verify(H.s, a->token, 32, H.now, uid,
						&dev), LC_ERR_TOKEN_EXPIRED);
	ck_assert_int_eq(lc_server_token_verify(H.s, b->token, 32, H.now, uid,
						&dev), 0);
	h_flush();
}
END_TEST

START_TEST(server_token_verify_expired)
{
	hclient *a;
	char uid[LC_SERVER_USER_ID_SIZE];

	h_shutdown();
	H.cfg.token_lifetime_ms = 5000;
	h_open();
	a = h_user();
	ck_assert_int_eq(lc_server_token_verify(H.s, a->token, 32,
						H.now + 4999, uid, NULL), 0);
	ck_assert_int_eq(lc_server_token_verify(H.s, a->token, 32,
						H.now + 5000, uid, NULL),
			 LC_ERR_TOKEN_EXPIRED);
	h_flush();
	/* It survives a restart: the record is durable and found by hash. */
	h_shutdown();
	h_open();
	ck_assert_int_eq(lc_server_token_verify(H.s, a->token, 32, H.now, uid,
						NULL), 0);
	ck_assert_str_eq(uid, a->uid);
	h_flush();
}
END_TEST

START_TEST(server_profile_update)
{
	hclient *a = h_user(), *b = h_user();
	Libchat__ProfileUpdate p = LIBCHAT__PROFILE_UPDATE__INIT;
	Libchat__UserLookup l = LIBCHAT__USER_LOOKUP__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, q = LIBCHAT__ENVELOPE__INIT;
	lc_envelope *ack;

	p.display_name = "Alice";
	p.avatar_media_id.data = (uint8_t *)"media-1";
	p.avatar_media_id.len = 7;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PROFILE_UPDATE;
	e.profile_update = &p;
	ck_assert_int_eq(h_call(a, &e, NULL), 0);
	l.key_case = LIBCHAT__USER_LOOKUP__KEY_USER_ID;
	l.user_id = a->uid;
	q.body_case = LIBCHAT__ENVELOPE__BODY_USER_LOOKUP;
	q.user_lookup = &l;
	ck_assert_int_eq(h_call(b, &q, &ack), 0);
	ck_assert_str_eq(ack->ack->user->display_name, "Alice");
	ck_assert_uint_eq(ack->ack->user->avatar_media_id.len, 7);
	lc_envelope_free(ack, NULL);
	/* Empty fields leave it; clear_avatar clears. */
	p.display_name = "";
	p.avatar_media_id.len = 0;
	p.clear_avatar = 1;
	e.request_id = 0;
	ck_assert_int_eq(h_call(a, &e, NULL), 0);
	q.request_id = 0;
	ck_assert_int_eq(h_call(b, &q, &ack), 0);
	ck_assert_str_eq(ack->ack->user->display_name, "Alice");
	ck_assert_uint_eq(ack->ack->user->avatar_media_id.len, 0);
	lc_envelope_free(ack, NULL);
}
END_TEST

/* ------------------------------------------------------------ keys */

struct keys {
	uint8_t ik_pk[32], ik_sk[64];
	uint8_t spk[32], sig[64];
};

static int upload(hclient *cl, struct keys *k, uint32_t first, size_t n_otk)
{
	Libchat__KeysUpload ku = LIBCHAT__KEYS_UPLOAD__INIT;
	Libchat__SignedPrekey sp = LIBCHAT__SIGNED_PREKEY__INIT;
	Libchat__OneTimePrekey ot[101], *op[101];
	uint8_t pubs[101][32];
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	ku.identity_key.data = k->ik_pk;
	ku.identity_key.len = 32;
	sp.id = 7;
	sp.public_key.data = k->spk;
	sp.public_key.len = 32;
	sp.signature.data = k->sig;
	sp.signature.len = 64;
	ku.signed_prekey = &sp;
	for (size_t i = 0; i < n_otk; i++) {
		libchat__one_time_prekey__init(&ot[i]);
		ot[i].id = first + (uint32_t)i;
		memset(pubs[i], (int)(first + i), 32);
		ot[i].public_key.data = pubs[i];
		ot[i].public_key.len = 32;
		op[i] = &ot[i];
	}
	ku.one_time_prekeys = op;
	ku.n_one_time_prekeys = n_otk;
	e.body_case = LIBCHAT__ENVELOPE__BODY_KEYS_UPLOAD;
	e.keys_upload = &ku;
	return h_call(cl, &e, NULL);
}

static void make_keys(struct keys *k)
{
	crypto_sign_keypair(k->ik_pk, k->ik_sk);
	randombytes_buf(k->spk, 32);
	crypto_sign_detached(k->sig, NULL, k->spk, 32, k->ik_sk);
}

static int fetch(hclient *cl, const char *uid, uint32_t dev,
		 lc_envelope **ack)
{
	Libchat__PrekeyFetch f = LIBCHAT__PREKEY_FETCH__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	f.user_id = (char *)uid;
	f.device_id = dev;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PREKEY_FETCH;
	e.prekey_fetch = &f;
	return h_call(cl, &e, ack);
}

START_TEST(server_prekeys_handed_out_once)
{
	hclient *a = h_user(), *b = h_user(), *c = h_user();
	struct keys k;
	lc_envelope *ack, *low;
	uint32_t seen[12];
	size_t n_seen = 0;

	make_keys(&k);
	ck_assert_int_eq(upload(a, &k, 100, 12), 0);
	/* Twelve fetches by two users get twelve different prekeys. */
	for (int i = 0; i < 14; i++) {
		Libchat__PrekeyBundle *bd;
		ck_assert_int_eq(fetch(i % 2 ? b : c, a->uid, 0, &ack), 0);
		ck_assert_uint_eq(ack->ack->bundles->n_bundles, 1);
		bd = ack->ack->bundles->bundles[0];
		ck_assert_str_eq(bd->device->user_id, a->uid);
		ck_assert_mem_eq(bd->identity_key.data, k.ik_pk, 32);
		ck_assert_mem_eq(bd->signed_prekey->public_key.data, k.spk, 32);
		ck_assert_uint_eq(bd->signed_prekey->id, 7);
		if (i < 12) {
			ck_assert_ptr_nonnull(bd->one_time_prekey);
			for (size_t j = 0; j < n_seen; j++)
				ck_assert_uint_ne(seen[j], bd->one_time_prekey->id);
			seen[n_seen++] = bd->one_time_prekey->id;
		} else {
			ck_assert_ptr_null(bd->one_time_prekey);
		}
		lc_envelope_free(ack, NULL);
	}
	/* The owner was told once when the pool fell below 10. */
	low = h_push(a, LIBCHAT__ENVELOPE__BODY_PREKEYS_LOW);
	ck_assert_ptr_nonnull(low);
	ck_assert_uint_eq(low->prekeys_low->remaining, 9);
	ck_assert_uint_ne(low->request_id, 0);
	h_ack_push(a, low);
	lc_envelope_free(low, NULL);
	ck_assert_ptr_null(h_push(a, LIBCHAT__ENVELOPE__BODY_PREKEYS_LOW));
}
END_TEST

/* Fetches in the same turn (one transaction) still get distinct keys. */
START_TEST(server_prekeys_same_turn)
{
	hclient *a = h_user(), *b = h_user(), *c = h_user();
	Libchat__PrekeyFetch f = LIBCHAT__PREKEY_FETCH__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *x, *y;
	struct keys k;
	uint64_t rb, rc;

	make_keys(&k);
	ck_assert_int_eq(upload(a, &k, 1, 2), 0);
	f.user_id = a->uid;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PREKEY_FETCH;
	e.prekey_fetch = &f;
	rb = h_feed(b, &e);
	e.request_id = 0;
	rc = h_feed(c, &e);
	h_flush();
	x = h_answer(b, rb);
	y = h_answer(c, rc);
	ck_assert_ptr_nonnull(x->ack->bundles->bundles[0]->one_time_prekey);
	ck_assert_ptr_nonnull(y->ack->bundles->bundles[0]->one_time_prekey);
	ck_assert_uint_ne(x->ack->bundles->bundles[0]->one_time_prekey->id,
			  y->ack->bundles->bundles[0]->one_time_prekey->id);
	lc_envelope_free(x, NULL);
	lc_envelope_free(y, NULL);
}
END_TEST

START_TEST(server_keys_upload_errors)
{
	hclient *a = h_user(), *b = h_user();
	struct keys k, other;
	lc_envelope *ack;

	make_keys(&k);
	make_keys(&other);
	/* No keys yet. */
	ck_assert_int_eq(fetch(b, a->uid, 0, NULL), LC_ERR_NO_SUCH_DEVICE);
	ck_assert_int_eq(fetch(b, a->uid, 9, NULL), LC_ERR_NO_SUCH_DEVICE);
	ck_assert_int_eq(fetch(b, "nobody", 0, NULL), LC_ERR_NO_SUCH_USER);
	/* A signature that does not verify. */
	k.sig[0] ^= 1;
	ck_assert_int_eq(upload(a, &k, 1, 1), LC_ERR_INVALID_ARG);
	k.sig[0] ^= 1;
	ck_assert_int_eq(upload(a, &k, 1, 1), 0);
	/* At most 100 one-time prekeys in one upload. */
	ck_assert_int_eq(upload(a, &k, 1, 101), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(upload(a, &k, 1, 100), 0);
	/* The identity key is set once. */
	ck_assert_int_eq(upload(a, &other, 1, 0), LC_ERR_FORBIDDEN);
	ck_assert_int_eq(fetch(b, a->uid, a->dev, &ack), 0);
	ck_assert_mem_eq(ack->ack->bundles->bundles[0]->identity_key.data,
			 k.ik_pk, 32);
	lc_envelope_free(ack, NULL);
}
END_TEST

/* ------------------------------------------------------------ routing */

static lc_envelope *expect_deliver(hclient *cl, const uint8_t mid[16],
				   const hclient *from, const char *body)
{
	lc_envelope *d = h_push(cl, LIBCHAT__ENVELOPE__BODY_DELIVER);

	ck_assert_ptr_nonnull(d);
	ck_assert_mem_eq(d->deliver->message_id.data, mid, 16);
	ck_assert_str_eq(d->deliver->from->user_id, from->uid);
	ck_assert_uint_eq(d->deliver->from->device_id, from->dev);
	ck_assert_uint_eq(d->deliver->body.len, strlen(body));
	ck_assert_mem_eq(d->deliver->body.data, body, strlen(body));
	ck_assert_uint_eq(d->deliver->server_time_ms, H.now);
	return d;
}

START_TEST(server_send_online_and_receipts)
{
	hclient *a = h_user(), *b = h_user();
	lc_envelope *d, *r;
	Libchat__Receipt rr = LIBCHAT__RECEIPT__INIT;
	Libchat__Address peer = LIBCHAT__ADDRESS__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	ProtobufCBinaryData ids[1];
	uint8_t mid[16];

	mid_of(mid, 1);
	ck_assert_int_eq(h_send(a, mid, &b, 1, "hello"), 0);
	d = expect_deliver(b, mid, a, "hello");
	ck_assert_ptr_null(h_push(a, LIBCHAT__ENVELOPE__BODY_RECEIPT));
	/* b's Ack of the Deliver is the delivered receipt. */
	h_ack_push(b, d);
	lc_envelope_free(d, NULL);
	r = h_push(a, LIBCHAT__ENVELOPE__BODY_RECEIPT);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->receipt->type, LIBCHAT__RECEIPT_TYPE__RECEIPT_DELIVERED);
	ck_assert_str_eq(r->receipt->peer->user_id, b->uid);
	ck_assert_uint_eq(r->receipt->n_message_ids, 1);
	ck_assert_mem_eq(r->receipt->message_ids[0].data, mid, 16);
	h_ack_push(a, r);
	lc_envelope_free(r, NULL);

	/* b reads it: the READ receipt goes to a. */
	ids[0].data = mid;
	ids[0].len = 16;
	peer.user_id = a->uid;
	rr.type = LIBCHAT__RECEIPT_TYPE__RECEIPT_READ;
	rr.peer = &peer;
	rr.message_ids = ids;
	rr.n_message_ids = 1;
	e.body_case = LIBCHAT__ENVELOPE__BODY_RECEIPT;
	e.receipt = &rr;
	ck_assert_int_eq(h_call(b, &e, NULL), 0);
	r = h_push(a, LIBCHAT__ENVELOPE__BODY_RECEIPT);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->receipt->type, LIBCHAT__RECEIPT_TYPE__RECEIPT_READ);
	ck_assert_str_eq(r->receipt->peer->user_id, b->uid);
	ck_assert_mem_eq(r->receipt->message_ids[0].data, mid, 16);
	lc_envelope_free(r, NULL);
	/* A DELIVERED receipt from a client is refused. */
	rr.type = LIBCHAT__RECEIPT_TYPE__RECEIPT_DELIVERED;
	e.request_id = 0;
	ck_assert_int_eq(h_call(b, &e, NULL), LC_ERR_INVALID_ARG);
	peer.user_id = "nobody";
	rr.type = LIBCHAT__RECEIPT_TYPE__RECEIPT_READ;
	e.request_id = 0;
	ck_assert_int_eq(h_call(b, &e, NULL), LC_ERR_NO_SUCH_USER);
	/* No receipts to a stranger. */
	{
		hclient *x = h_user();
		peer.user_id = x->uid;
		e.request_id = 0;
		ck_assert_int_eq(h_call(b, &e, NULL), LC_ERR_FORBIDDEN);
		ck_assert_ptr_null(h_push(x, LIBCHAT__ENVELOPE__BODY_RECEIPT));
	}
}
END_TEST

START_TEST(server_send_stale_devices)
{
	hclient *a = h_client(), *b = h_user(), *a2, *b2, *to[4];
	uint32_t devs[4];
	uint8_t mid[16];
	uint64_t rid;
	lc_envelope *ans;

	ck_assert_int_eq(h_register(a, "+15550006666", NULL, PW), 0);
	mid_of(mid, 2);
	/* a gets a second device: a copy for it is now required. */
	a2 = h_second_device(a, "+15550006666");
	ck_assert_int_eq(h_send(a, mid, &b, 1, "m"), LC_ERR_STALE_DEVICES);
	to[0] = b;
	to[1] = a2;
	ck_assert_int_eq(h_send(a, mid, to, 2, "m"), 0);
	/* b gets a second device: the same message id to the old set is stale. */
	b2 = h_client();
	memcpy(b2->uid, b->uid, sizeof b->uid);
	(void)b2;
	mid_of(mid, 3);
	/* A copy to a device that does not exist is stale too. */
	to[2] = b;
	devs[0] = b->dev;
	devs[1] = a2->dev;
	devs[2] = 77;
	rid = h_feed_send(a, mid, to, devs, 3, "m");
	h_flush();
	ans = h_answer(a, rid);
	ck_assert_int_eq(-(int)ans->error->code, LC_ERR_STALE_DEVICES);
	lc_envelope_free(ans, NULL);
	/* Two copies to one device, or one to the sending device: stale. */
	devs[2] = b->dev;
	rid = h_feed_send(a, mid, to, devs, 3, "m");
	h_flush();
	ans = h_answer(a, rid);
	ck_assert_int_eq(-(int)ans->error->code, LC_ERR_STALE_DEVICES);
	lc_envelope_free(ans, NULL);
	to[2] = a;
	devs[2] = a->dev;
	rid = h_feed_send(a, mid, to, devs, 3, "m");
	h_flush();
	ans = h_answer(a, rid);
	ck_assert_int_eq(-(int)ans->error->code, LC_ERR_STALE_DEVICES);
	lc_envelope_free(ans, NULL);
	/* Nothing was queued by the refused sends. */
	ck_assert_uint_eq(h_count(b, LIBCHAT__ENVELOPE__BODY_DELIVER), 1);
	ck_assert_uint_eq(h_count(a2, LIBCHAT__ENVELOPE__BODY_DELIVER), 1);
}
END_TEST

START_TEST(server_send_validation)
{
	hclient *a = h_user(), *b = h_user(), *c = h_user(), *to[2];
	Libchat__Send s = LIBCHAT__SEND__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	uint8_t mid[16];
	hclient ghost;

	mid_of(mid, 4);
	s.message_id.data = mid;
	s.message_id.len = 15;
	e.body_case = LIBCHAT__ENVELOPE__BODY_SEND;
	e.send = &s;
	ck_assert_int_eq(h_call(a, &e, NULL), LC_ERR_INVALID_ARG);
	s.message_id.len = 16;
	e.request_id = 0;
	ck_assert_int_eq(h_call(a, &e, NULL), LC_ERR_INVALID_ARG); /* no copies */
	/* Two peers in one direct message. */
	to[0] = b;
	to[1] = c;
	ck_assert_int_eq(h_send(a, mid, to, 2, "m"), LC_ERR_INVALID_ARG);
	memset(&ghost, 0, sizeof ghost);
	strcpy(ghost.uid, "ghost");
	ghost.dev = 1;
	to[0] = &ghost;
	ck_assert_int_eq(h_send(a, mid, to, 1, "m"), LC_ERR_NO_SUCH_USER);
}
END_TEST

START_TEST(server_sender_is_the_connection)
{
	hclient *a = h_user(), *b = h_user(), *m = h_user();
	Libchat__Send s = LIBCHAT__SEND__INIT;
	Libchat__Ciphertext ct = LIBCHAT__CIPHERTEXT__INIT;
	Libchat__Address to = LIBCHAT__ADDRESS__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *d;
	uint8_t mid[16];

	/* m tries to pass as a: there is no sender field, and the Deliver
	 * names the connection's user whatever the Envelope says. */
	mid_of(mid, 5);
	to.user_id = b->uid;
	to.device_id = b->dev;
	ct.to = &to;
	ct.body.data = (uint8_t *)"x";
	ct.body.len = 1;
	Libchat__Ciphertext *cp = &ct;
	s.message_id.data = mid;
	s.message_id.len = 16;
	s.copies = &cp;
	s.n_copies = 1;
	e.body_case = LIBCHAT__ENVELOPE__BODY_SEND;
	e.send = &s;
	ck_assert_int_eq(h_call(m, &e, NULL), 0);
	d = h_push(b, LIBCHAT__ENVELOPE__BODY_DELIVER);
	ck_assert_str_eq(d->deliver->from->user_id, m->uid);
	ck_assert_str_ne(d->deliver->from->user_id, a->uid);
	lc_envelope_free(d, NULL);
}
END_TEST

START_TEST(server_dedupe_exactly_once)
{
	hclient *a = h_user(), *b = h_user();
	lc_envelope *d;
	uint8_t mid[16];

	mid_of(mid, 6);
	ck_assert_int_eq(h_send(a, mid, &b, 1, "once"), 0);
	ck_assert_int_eq(h_send(a, mid, &b, 1, "once"), 0);
	ck_assert_int_eq(h_send(a, mid, &b, 1, "once"), 0);
	ck_assert_uint_eq(h_count(b, LIBCHAT__ENVELOPE__BODY_DELIVER), 1);
	/* Even after delivery and reconnect it is not delivered again. */
	d = h_push(b, LIBCHAT__ENVELOPE__BODY_DELIVER);
	h_ack_push(b, d);
	lc_envelope_free(d, NULL);
	ck_assert_int_eq(h_send(a, mid, &b, 1, "once"), 0);
	h_disconnect(b);
	h_connect(b);
	ck_assert_int_eq(h_login_token(b), 0);
	ck_assert_uint_eq(h_count(b, LIBCHAT__ENVELOPE__BODY_DELIVER), 0);
	/* The same id from another sender is another message. */
	ck_assert_int_eq(h_send(b, mid, &a, 1, "mine"), 0);
	ck_assert_uint_eq(h_count(a, LIBCHAT__ENVELOPE__BODY_DELIVER), 1);
}
END_TEST

START_TEST(server_offline_queue_in_order)
{
	hclient *a = h_user(), *b = h_user();
	lc_envelope *d;
	uint8_t mid[16];
	char body[16];
	int dropped = 0;

	h_disconnect(b);
	H.pushes = 0;
	for (unsigned i = 0; i < 50; i++) {
		mid_of(mid, 100 + i);
		snprintf(body, sizeof body, "m%u", i);
		ck_assert_int_eq(h_send(a, mid, &b, 1, body), 0);
	}
	/* The push hook ran for each, with no content. */
	ck_assert_int_eq(H.pushes, 50);
	ck_assert_str_eq(H.push_uid, b->uid);
	ck_assert_uint_eq(H.push_dev, b->dev);
	ck_assert_str_eq(H.push_sender, a->uid);
	mid_of(mid, 149);
	ck_assert_mem_eq(H.push_mid, mid, 16);

	h_connect(b);
	ck_assert_int_eq(h_login_token(b), 0);
	/* At most the in-flight window comes at once, in order. */
	ck_assert_uint_eq(h_count(b, LIBCHAT__ENVELOPE__BODY_DELIVER),
			  LC_INFLIGHT_MAX);
	for (unsigned i = 0; i < 50; i++) {
		mid_of(mid, 100 + i);
		snprintf(body, sizeof body, "m%u", i);
		d = expect_deliver(b, mid, a, body);
		if (i == 10 && !dropped++) {
			/* Drop the connection with pushes unacked: they come
			 * again on the next one. */
			lc_envelope_free(d, NULL);
			h_inbox_clear(b);
			h_disconnect(b);
			h_connect(b);
			ck_assert_int_eq(h_login_token(b), 0);
			i--;
			continue;
		}
		h_ack_push(b, d);
		lc_envelope_free(d, NULL);
	}
	ck_assert_uint_eq(h_count(b, LIBCHAT__ENVELOPE__BODY_DELIVER), 0);
	/* a gets a receipt per message, the window refilled as it acks. */
	for (unsigned i = 0; i < 50; i++) {
		lc_envelope *r = h_push(a, LIBCHAT__ENVELOPE__BODY_RECEIPT);
		ck_assert_ptr_nonnull(r);
		mid_of(mid, 100 + i);
		ck_assert_mem_eq(r->receipt->message_ids[0].data, mid, 16);
		h_ack_push(a, r);
		lc_envelope_free(r, NULL);
	}
	ck_assert_ptr_null(h_push(a, LIBCHAT__ENVELOPE__BODY_RECEIPT));
}
END_TEST

START_TEST(server_foreign_acks_delete_nothing)
{
	hclient *a = h_user(), *b = h_user(), *m = h_user();
	Libchat__Ack ack = LIBCHAT__ACK__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *d;
	uint8_t mid[16];

	h_disconnect(b);
	mid_of(mid, 7);
	ck_assert_int_eq(h_send(a, mid, &b, 1, "secret"), 0);
	/* m acks every push id it can guess: only its own queue counts. */
	e.body_case = LIBCHAT__ENVELOPE__BODY_ACK;
	e.ack = &ack;
	for (uint64_t rid = 1; rid < 100; rid++) {
		e.request_id = rid;
		h_feed(m, &e);
	}
	h_flush();
	ck_assert_uint_eq(m->n, 0); /* Acks get no answer and nothing leaks */
	h_connect(b);
	ck_assert_int_eq(h_login_token(b), 0);
	d = expect_deliver(b, mid, a, "secret");
	lc_envelope_free(d, NULL);
}
END_TEST

START_TEST(server_queue_survives_restart)
{
	hclient *a = h_user(), *b = h_user();
	lc_envelope *d;
	uint8_t mid[16];
	uint64_t rid;

	h_disconnect(b);
	for (unsigned i = 0; i < 5; i++) {
		mid_of(mid, 200 + i);
		ck_assert_int_eq(h_send(a, mid, &b, 1, "durable"), 0);
	}
	/* A sixth is fed but never flushed: never acked, never kept. */
	mid_of(mid, 205);
	rid = h_feed_send(a, mid, &b, NULL, 1, "lost");
	ck_assert_uint_eq(a->n, 0);
	(void)rid;
	h_shutdown();
	h_open();
	h_connect(b);
	ck_assert_int_eq(h_login_token(b), 0);
	for (unsigned i = 0; i < 5; i++) {
		mid_of(mid, 200 + i);
		d = expect_deliver(b, mid, a, "durable");
		lc_envelope_free(d, NULL);
	}
	ck_assert_uint_eq(h_count(b, LIBCHAT__ENVELOPE__BODY_DELIVER), 0);
}
END_TEST

START_TEST(server_malformed_closes_only_that_connection)
{
	hclient *a = h_user(), *b = h_user(), *bad = h_user();
	static const uint8_t junk[] = { 0x0a, 0xff, 0xff, 0x01 };
	const uint8_t *p;
	size_t n;
	lc_envelope *err;
	uint8_t mid[16];

	ck_assert_int_eq(lc_srv_conn_payload(bad->c, junk, sizeof junk, H.now),
			 LC_ERR_MALFORMED);
	ck_assert_int_eq(lc_server_flush(H.s, H.now), 0);
	ck_assert(bad->closed);
	ck_assert_int_eq(lc_srv_conn_pop(bad->c, &p, &n), 1);
	ck_assert_int_eq(lc_envelope_unpack(p, n, NULL, &err), 0);
	ck_assert_int_eq(-(int)err->error->code, LC_ERR_MALFORMED);
	lc_envelope_free(err, NULL);
	/* Further input on it is refused; the others are served. */
	ck_assert_int_eq(lc_srv_conn_payload(bad->c, junk, 1, H.now),
			 LC_ERR_CLOSED);
	h_disconnect(bad);
	mid_of(mid, 8);
	ck_assert_int_eq(h_send(a, mid, &b, 1, "still here"), 0);
	lc_envelope_free(expect_deliver(b, mid, a, "still here"), NULL);
}
END_TEST

START_TEST(server_unsupported_body_keeps_connection)
{
	hclient *a = h_user();
	Libchat__Deliver d = LIBCHAT__DELIVER__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	/* A server push sent by a client. */
	e.body_case = LIBCHAT__ENVELOPE__BODY_DELIVER;
	e.deliver = &d;
	ck_assert_int_eq(h_call(a, &e, NULL), LC_ERR_UNSUPPORTED);
	ck_assert(!a->closed);
	ck_assert_int_eq(h_heartbeat(a), 0);
}
END_TEST

START_TEST(server_rate_limited)
{
	hclient *a, *b;
	uint8_t mid[16];
	uint64_t rid;
	lc_envelope *err;

	h_shutdown();
	H.cfg.rate_per_minute = 3;
	h_open();
	a = h_user();
	b = h_user();
	for (unsigned i = 0; i < 3; i++) {
		mid_of(mid, 300 + i);
		ck_assert_int_eq(h_send(a, mid, &b, 1, "r"), 0);
	}
	mid_of(mid, 303);
	rid = h_feed_send(a, mid, &b, NULL, 1, "r");
	h_flush();
	err = h_answer(a, rid);
	ck_assert_int_eq(-(int)err->error->code, LC_ERR_RATE_LIMITED);
	ck_assert_uint_eq(err->error->retry_after_ms, 20000);
	lc_envelope_free(err, NULL);
	/* Nothing was queued for the refused message. */
	ck_assert_uint_eq(h_count(b, LIBCHAT__ENVELOPE__BODY_DELIVER), 3);
	H.now += 20000;
	ck_assert_int_eq(h_send(a, mid, &b, 1, "r"), 0);
	ck_assert_int_eq(h_send(a, mid, &b, 1, "r"), 0); /* a retry is free */
	mid_of(mid, 304);
	ck_assert_int_eq(h_send(a, mid, &b, 1, "r"), LC_ERR_RATE_LIMITED);
}
END_TEST

/* ------------------------------------------------------------ groups */

static int group_create(hclient *cl, char **members, size_t n,
			uint8_t gid[16])
{
	Libchat__GroupCreate gc = LIBCHAT__GROUP_CREATE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *ack = NULL;
	int rc;

	gc.name = "friends";
	gc.member_user_ids = members;
	gc.n_member_user_ids = n;
	e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_CREATE;
	e.group_create = &gc;
	rc = h_call(cl, &e, &ack);
	if (rc == 0) {
		ck_assert_uint_eq(ack->ack->group->group_id.len, 16);
		memcpy(gid, ack->ack->group->group_id.data, 16);
		ck_assert_uint_eq(ack->ack->group->n_members, n + 1);
		ck_assert_str_eq(ack->ack->group->members[0]->user_id, cl->uid);
		ck_assert_int_eq(ack->ack->group->members[0]->role,
				 LIBCHAT__GROUP_ROLE__ROLE_ADMIN);
		lc_envelope_free(ack, NULL);
	}
	return rc;
}

static int group_op(hclient *cl, Libchat__Envelope__BodyCase body,
		    const uint8_t gid[16], char **users, size_t n)
{
	Libchat__GroupAdd ga = LIBCHAT__GROUP_ADD__INIT;
	Libchat__GroupRemove gr = LIBCHAT__GROUP_REMOVE__INIT;
	Libchat__GroupLeave gl = LIBCHAT__GROUP_LEAVE__INIT;
	Libchat__GroupInfoRequest gi = LIBCHAT__GROUP_INFO_REQUEST__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	ProtobufCBinaryData id = { 16, (uint8_t *)gid };

	ga.group_id = gr.group_id = gl.group_id = gi.group_id = id;
	ga.user_ids = gr.user_ids = users;
	ga.n_user_ids = gr.n_user_ids = n;
	e.body_case = body;
	if (body == LIBCHAT__ENVELOPE__BODY_GROUP_ADD)
		e.group_add = &ga;
	else if (body == LIBCHAT__ENVELOPE__BODY_GROUP_REMOVE)
		e.group_remove = &gr;
	else if (body == LIBCHAT__ENVELOPE__BODY_GROUP_LEAVE)
		e.group_leave = &gl;
	else
		e.group_info = &gi;
	return h_call(cl, &e, NULL);
}

START_TEST(server_groups)
{
	hclient *a = h_user(), *b = h_user(), *c = h_user(), *x = h_user();
	char *bc[2] = { b->uid, c->uid }, *xs[1] = { x->uid };
	char *cs[1] = { c->uid }, *ghost[1] = { "ghost" };
	uint8_t gid[16], bad[16] = { 0 }, mid[16];
	lc_envelope *ev, *d;

	ck_assert_int_eq(group_create(a, ghost, 1, gid), LC_ERR_NO_SUCH_USER);
	ck_assert_int_eq(group_create(a, bc, 2, gid), 0);
	ev = h_push(b, LIBCHAT__ENVELOPE__BODY_GROUP_EVENT);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->group_event->change, LIBCHAT__GROUP_CHANGE__GROUP_CREATED);
	ck_assert_str_eq(ev->group_event->actor_user_id, a->uid);
	ck_assert_uint_eq(ev->group_event->group->n_members, 3);
	h_ack_push(b, ev);
	lc_envelope_free(ev, NULL);
	ck_assert_ptr_null(h_push(a, LIBCHAT__ENVELOPE__BODY_GROUP_EVENT));

	/* Only members see it; only admins change it. */
	ck_assert_int_eq(group_op(x, LIBCHAT__ENVELOPE__BODY_GROUP_INFO, gid,
				  NULL, 0), LC_ERR_NOT_MEMBER);
	ck_assert_int_eq(group_op(b, LIBCHAT__ENVELOPE__BODY_GROUP_INFO, gid,
				  NULL, 0), 0);
	ck_assert_int_eq(group_op(a, LIBCHAT__ENVELOPE__BODY_GROUP_INFO, bad,
				  NULL, 0), LC_ERR_NO_SUCH_GROUP);
	ck_assert_int_eq(group_op(b, LIBCHAT__ENVELOPE__BODY_GROUP_ADD, gid,
				  xs, 1), LC_ERR_NOT_ADMIN);
	ck_assert_int_eq(group_op(x, LIBCHAT__ENVELOPE__BODY_GROUP_ADD, gid,
				  xs, 1), LC_ERR_NOT_MEMBER);
	ck_assert_int_eq(group_op(b, LIBCHAT__ENVELOPE__BODY_GROUP_REMOVE, gid,
				  cs, 1), LC_ERR_NOT_ADMIN);

	/* A non-member cannot post; a member's post fans out. */
	mid_of(mid, 400);
	ck_assert_int_eq(h_group_send(x, gid, mid, "intruder", NULL), LC_ERR_NOT_MEMBER);
	ck_assert_int_eq(h_group_send(x, bad, mid, "intruder", NULL), LC_ERR_NO_SUCH_GROUP);
	{
		hclient *ac[3] = { a, c, NULL };
		ck_assert_int_eq(h_group_send(b, gid, mid, "hi all", ac), 0);
	}
	ck_assert_ptr_null(h_push(b, LIBCHAT__ENVELOPE__BODY_DELIVER));
	ck_assert_ptr_null(h_push(x, LIBCHAT__ENVELOPE__BODY_DELIVER));
	d = expect_deliver(a, mid, b, "hi all");
	ck_assert_mem_eq(d->deliver->group_id.data, gid, 16);
	ck_assert_int_eq(d->deliver->type, LIBCHAT__CIPHER_TYPE__CIPHER_SENDER_KEY);
	h_ack_push(a, d); /* each copy has its own receipt */
	lc_envelope_free(d, NULL);
	lc_envelope_free(expect_deliver(c, mid, b, "hi all"), NULL);
	ev = h_push(b, LIBCHAT__ENVELOPE__BODY_RECEIPT);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(ev->receipt->peer->user_id, a->uid);
	lc_envelope_free(ev, NULL);
	ck_assert_ptr_null(h_push(b, LIBCHAT__ENVELOPE__BODY_RECEIPT));

	/* Admin adds x, removes c: c hears of its removal. */
	ck_assert_int_eq(group_op(a, LIBCHAT__ENVELOPE__BODY_GROUP_ADD, gid,
				  xs, 1), 0);
	h_inbox_clear(c);
	ck_assert_int_eq(group_op(a, LIBCHAT__ENVELOPE__BODY_GROUP_REMOVE, gid,
				  cs, 1), 0);
	ev = h_push(c, LIBCHAT__ENVELOPE__BODY_GROUP_EVENT);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->group_event->change, LIBCHAT__GROUP_CHANGE__GROUP_REMOVED);
	ck_assert_uint_eq(ev->group_event->group->n_members, 3);
	lc_envelope_free(ev, NULL);
	mid_of(mid, 401);
	ck_assert_int_eq(h_group_send(c, gid, mid, "let me in", NULL), LC_ERR_NOT_MEMBER);

	/* The admin leaves: a remaining member becomes admin. */
	ck_assert_int_eq(group_op(a, LIBCHAT__ENVELOPE__BODY_GROUP_LEAVE, gid,
				  NULL, 0), 0);
	ck_assert_int_eq(group_op(a, LIBCHAT__ENVELOPE__BODY_GROUP_INFO, gid,
				  NULL, 0), LC_ERR_NOT_MEMBER);
	ck_assert_int_eq(group_op(b, LIBCHAT__ENVELOPE__BODY_GROUP_REMOVE, gid,
				  xs, 1) == 0 ||
			 group_op(x, LIBCHAT__ENVELOPE__BODY_GROUP_REMOVE, gid,
				  bc, 1) == 0, 1);
}
END_TEST

/* A group Send with pairwise copies to cp and key holders kh (each a
 * (client, device) list; device 0: the client's own); the answer. */
typedef struct hdev {
	hclient *cl;
	uint32_t dev;
} hdev;

static lc_envelope *group_send_ex(hclient *cl, const uint8_t gid[16],
				  const uint8_t mid[16], const char *body,
				  const hdev *cp, size_t ncp, const hdev *kh,
				  size_t nkh)
{
	Libchat__Send s = LIBCHAT__SEND__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *a;
	Libchat__Ciphertext ct[8], *ctp[8];
	Libchat__Address ad[16], *hp[8];

	for (size_t i = 0; i < ncp + nkh; i++) {
		const hdev *h = i < ncp ? &cp[i] : &kh[i - ncp];
		libchat__address__init(&ad[i]);
		ad[i].user_id = h->cl->uid;
		ad[i].device_id = h->dev ? h->dev : h->cl->dev;
	}
	for (size_t i = 0; i < ncp; i++) {
		libchat__ciphertext__init(&ct[i]);
		ct[i].to = &ad[i];
		ct[i].type = LIBCHAT__CIPHER_TYPE__CIPHER_PREKEY;
		ct[i].body.data = (uint8_t *)"skd";
		ct[i].body.len = 3;
		ctp[i] = &ct[i];
	}
	for (size_t i = 0; i < nkh; i++)
		hp[i] = &ad[ncp + i];
	s.message_id.data = (uint8_t *)mid;
	s.message_id.len = 16;
	s.group_id.data = (uint8_t *)gid;
	s.group_id.len = 16;
	s.group_body.data = (uint8_t *)body;
	s.group_body.len = body ? strlen(body) : 0;
	s.copies = ctp;
	s.n_copies = ncp;
	s.key_holders = hp;
	s.n_key_holders = nkh;
	e.body_case = LIBCHAT__ENVELOPE__BODY_SEND;
	e.send = &s;
	e.request_id = h_feed(cl, &e);
	h_flush();
	a = h_answer(cl, e.request_id);
	ck_assert_ptr_nonnull(a);
	return a;
}

static int answer_code(lc_envelope *a)
{
	int code = a->body_case == LIBCHAT__ENVELOPE__BODY_ERROR ?
		   -(int)a->error->code : 0;

	lc_envelope_free(a, NULL);
	return code;
}

/* A group Send must name every current member device (but the sending
 * one) once, as a copy or a key holder: a member's new device, a device
 * or member that is gone, are answered STALE_DEVICES with the lists. */
START_TEST(server_group_stale_devices)
{
	hclient *a = h_user(), *b = h_client(), *c = h_user(), *b2;
	char *bc[2] = { b->uid, c->uid }, *cs[1] = { c->uid };
	uint8_t gid[16], mid[16];
	lc_envelope *ans, *d;
	hdev kh[3], cp[1];

	ck_assert_int_eq(h_register(b, "+15557770001", NULL, "correct horse"),
			 0);
	ck_assert_int_eq(group_create(a, bc, 2, gid), 0);
	kh[0] = (hdev){ b, 0 };
	kh[1] = (hdev){ c, 0 };
	mid_of(mid, 500);
	ck_assert_int_eq(answer_code(group_send_ex(a, gid, mid, "one", NULL, 0,
						   kh, 2)), 0);
	h_inbox_clear(b);
	h_inbox_clear(c);

	/* b reinstalls: a new device the sender has not given its key. */
	b2 = h_second_device(b, "+15557770001");
	mid_of(mid, 501);
	ans = group_send_ex(a, gid, mid, "two", NULL, 0, kh, 2);
	ck_assert_int_eq(ans->body_case, LIBCHAT__ENVELOPE__BODY_ERROR);
	ck_assert_int_eq(-(int)ans->error->code, LC_ERR_STALE_DEVICES);
	ck_assert_uint_eq(ans->error->n_missing_devices, 1);
	ck_assert_str_eq(ans->error->missing_devices[0]->user_id, b->uid);
	ck_assert_uint_eq(ans->error->missing_devices[0]->device_id, b2->dev);
	ck_assert_uint_eq(ans->error->n_extra_devices, 0);
	lc_envelope_free(ans, NULL);
	ck_assert_ptr_null(h_push(b, LIBCHAT__ENVELOPE__BODY_DELIVER));
	ck_assert_ptr_null(h_push(c, LIBCHAT__ENVELOPE__BODY_DELIVER));

	/* A device that does not exist, and one named twice. */
	kh[2] = (hdev){ b, 99 };
	cp[0] = (hdev){ b2, 0 };
	ans = group_send_ex(a, gid, mid, "two", cp, 1, kh, 3);
	ck_assert_int_eq(-(int)ans->error->code, LC_ERR_STALE_DEVICES);
	ck_assert_uint_eq(ans->error->n_missing_devices, 0);
	ck_assert_uint_eq(ans->error->n_extra_devices, 1);
	ck_assert_uint_eq(ans->error->extra_devices[0]->device_id, 99);
	lc_envelope_free(ans, NULL);
	kh[2] = (hdev){ b2, 0 };
	ck_assert_int_eq(answer_code(group_send_ex(a, gid, mid, "two", cp, 1,
						   kh, 3)), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(answer_code(group_send_ex(a, gid, mid, NULL, cp, 1,
						   kh, 2)), LC_ERR_INVALID_ARG);

	/* The key goes to the new device in the same Send: accepted, and
	 * a retry with the same id is acknowledged, not delivered again. */
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(answer_code(group_send_ex(a, gid, mid, "two",
							   cp, 1, kh, 2)), 0);
	d = h_push(b2, LIBCHAT__ENVELOPE__BODY_DELIVER);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->deliver->type, LIBCHAT__CIPHER_TYPE__CIPHER_PREKEY);
	lc_envelope_free(d, NULL);
	lc_envelope_free(expect_deliver(b2, mid, a, "two"), NULL);
	lc_envelope_free(expect_deliver(b, mid, a, "two"), NULL);
	lc_envelope_free(expect_deliver(c, mid, a, "two"), NULL);
	ck_assert_ptr_null(h_push(b, LIBCHAT__ENVELOPE__BODY_DELIVER));
	ck_assert_ptr_null(h_push(b2, LIBCHAT__ENVELOPE__BODY_DELIVER));
	ck_assert_ptr_null(h_push(c, LIBCHAT__ENVELOPE__BODY_DELIVER));

	/* c is removed: naming its device is refused, and it gets nothing. */
	ck_assert_int_eq(group_op(a, LIBCHAT__ENVELOPE__BODY_GROUP_REMOVE, gid,
				  cs, 1), 0);
	h_inbox_clear(c);
	kh[0] = (hdev){ b, 0 };
	kh[1] = (hdev){ b2, 0 };
	kh[2] = (hdev){ c, 0 };
	mid_of(mid, 502);
	ans = group_send_ex(a, gid, mid, "three", NULL, 0, kh, 3);
	ck_assert_int_eq(-(int)ans->error->code, LC_ERR_STALE_DEVICES);
	ck_assert_uint_eq(ans->error->n_missing_devices, 0);
	ck_assert_uint_eq(ans->error->n_extra_devices, 1);
	ck_assert_str_eq(ans->error->extra_devices[0]->user_id, c->uid);
	lc_envelope_free(ans, NULL);
	ck_assert_int_eq(answer_code(group_send_ex(a, gid, mid, "three", NULL,
						   0, kh, 2)), 0);
	ck_assert_ptr_null(h_push(c, LIBCHAT__ENVELOPE__BODY_DELIVER));
	lc_envelope_free(expect_deliver(b, mid, a, "three"), NULL);
}
END_TEST

/* ------------------------------------------------------------ presence */

static int subscribe(hclient *cl, char **uids, size_t n, lc_envelope **ack)
{
	Libchat__PresenceSubscribe ps = LIBCHAT__PRESENCE_SUBSCRIBE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	ps.user_ids = uids;
	ps.n_user_ids = n;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PRESENCE_SUBSCRIBE;
	e.presence_subscribe = &ps;
	return h_call(cl, &e, ack);
}

START_TEST(server_presence)
{
	hclient *a = h_user(), *b = h_user(), *x = h_user();
	char *bs[1] = { b->uid }, *as[1] = { a->uid };
	lc_envelope *ack, *pu, *d;
	uint8_t mid[16];

	/* Strangers cannot watch each other. */
	ck_assert_int_eq(subscribe(a, bs, 1, NULL), LC_ERR_FORBIDDEN);
	ck_assert_int_eq(subscribe(x, as, 1, NULL), LC_ERR_FORBIDDEN);
	mid_of(mid, 500);
	ck_assert_int_eq(h_send(a, mid, &b, 1, "hi"), 0);
	d = h_push(b, LIBCHAT__ENVELOPE__BODY_DELIVER);
	lc_envelope_free(d, NULL);
	/* A direct conversation allows it, both ways. */
	ck_assert_int_eq(subscribe(a, bs, 1, &ack), 0);
	ck_assert_uint_eq(ack->ack->presence->n_users, 1);
	ck_assert(ack->ack->presence->users[0]->online);
	lc_envelope_free(ack, NULL);
	ck_assert_int_eq(subscribe(b, as, 1, NULL), 0);

	H.now += 1234;
	h_disconnect(b);
	h_flush();
	pu = h_push(a, LIBCHAT__ENVELOPE__BODY_PRESENCE_UPDATE);
	ck_assert_ptr_nonnull(pu);
	ck_assert_uint_eq(pu->request_id, 0);
	ck_assert_str_eq(pu->presence_update->user_id, b->uid);
	ck_assert(!pu->presence_update->online);
	ck_assert_uint_eq(pu->presence_update->last_seen_ms, H.now);
	lc_envelope_free(pu, NULL);
	/* Last seen is stored. */
	ck_assert_int_eq(subscribe(a, bs, 1, &ack), 0);
	ck_assert(!ack->ack->presence->users[0]->online);
	ck_assert_uint_eq(ack->ack->presence->users[0]->last_seen_ms, H.now);
	lc_envelope_free(ack, NULL);

	h_connect(b);
	ck_assert_int_eq(h_login_token(b), 0);
	pu = h_push(a, LIBCHAT__ENVELOPE__BODY_PRESENCE_UPDATE);
	ck_assert_ptr_nonnull(pu);
	ck_assert(pu->presence_update->online);
	lc_envelope_free(pu, NULL);
}
END_TEST

START_TEST(server_presence_groups_and_unsubscribe)
{
	hclient *a = h_user(), *b = h_user(), *c = h_user();
	char *bs[1] = { b->uid }, *cs[1] = { c->uid };
	Libchat__PresenceSubscribe ps = LIBCHAT__PRESENCE_SUBSCRIBE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	uint8_t gid[16];

	ck_assert_int_eq(subscribe(a, cs, 1, NULL), LC_ERR_FORBIDDEN);
	/* A common group allows it. */
	ck_assert_int_eq(group_create(b, cs, 1, gid), 0);
	ck_assert_int_eq(subscribe(b, cs, 1, NULL), 0);
	ck_assert_int_eq(subscribe(c, bs, 1, NULL), 0);
	ck_assert_int_eq(subscribe(a, cs, 1, NULL), LC_ERR_FORBIDDEN);
	/* After unsubscribing no update comes. */
	ps.user_ids = cs;
	ps.n_user_ids = 1;
	ps.unsubscribe = 1;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PRESENCE_SUBSCRIBE;
	e.presence_subscribe = &ps;
	ck_assert_int_eq(h_call(b, &e, NULL), 0);
	h_disconnect(c);
	h_flush();
	ck_assert_ptr_null(h_push(b, LIBCHAT__ENVELOPE__BODY_PRESENCE_UPDATE));
}
END_TEST

/* A full store refuses requests with UNAVAILABLE and keeps serving. */
START_TEST(server_store_full)
{
	hclient *a, *b;
	static char big[60000];
	uint8_t mid[16];
	int rc = 0;

	h_shutdown();
	H.cfg.map_size = 1u << 20;
	H.cfg.rate_per_minute = 1000;
	h_open();
	a = h_user();
	b = h_user();
	h_disconnect(b);
	memset(big, 'x', sizeof big - 1);
	for (unsigned i = 0; i < 100 && rc == 0; i++) {
		mid_of(mid, 600 + i);
		rc = h_send(a, mid, &b, 1, big);
	}
	ck_assert_int_eq(rc, LC_ERR_UNAVAILABLE);
	ck_assert(!a->closed);
	ck_assert_int_eq(h_heartbeat(a), 0);
	/* The refused message can be sent again once there is room. */
	h_connect(b);
	ck_assert_int_eq(h_login_token(b), 0);
	for (unsigned i = 0; i < 100; i++) {
		lc_envelope *d = h_push(b, LIBCHAT__ENVELOPE__BODY_DELIVER);
		if (d == NULL)
			break;
		h_ack_push(b, d);
		lc_envelope_free(d, NULL);
	}
	ck_assert_int_eq(h_send(a, mid, &b, 1, "small"), 0);
}
END_TEST

START_TEST(server_idle_timeout)
{
	hclient *a = h_user(), *b = h_user();

	ck_assert_uint_eq(lc_server_get_expiry(H.s), H.now + 60000);
	H.now += 30000;
	ck_assert_int_eq(h_heartbeat(a), 0);
	ck_assert_uint_eq(lc_server_get_expiry(H.s), H.now + 30000);
	H.now += 30000;
	ck_assert_int_eq(lc_server_handle_expiry(H.s, H.now), 0);
	ck_assert(b->closed);
	ck_assert_int_eq(b->closed_reason, LC_ERR_TIMEOUT);
	ck_assert(!a->closed);
	h_disconnect(b);
	ck_assert_uint_eq(lc_server_get_expiry(H.s), H.now + 30000);
	H.now += 30000;
	ck_assert_int_eq(lc_server_handle_expiry(H.s, H.now), 0);
	ck_assert(a->closed);
}
END_TEST

START_TEST(server_media_ticket)
{
	hclient *a = h_user();
	Libchat__MediaUploadRequest m = LIBCHAT__MEDIA_UPLOAD_REQUEST__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *ack;

	m.size = 1000;
	e.body_case = LIBCHAT__ENVELOPE__BODY_MEDIA_UPLOAD;
	e.media_upload = &m;
	ck_assert_int_eq(h_call(a, &e, &ack), 0);
	ck_assert_uint_eq(ack->ack->media->max_size, 1000);
	lc_envelope_free(ack, NULL);
	m.size = 1ull << 40;
	e.request_id = 0;
	ck_assert_int_eq(h_call(a, &e, NULL), LC_ERR_MEDIA_TOO_LARGE);
	m.size = LC_SERVER_MEDIA_MAX_SIZE;
	e.request_id = 0;
	ck_assert_int_eq(h_call(a, &e, NULL), 0);
	m.size = LC_SERVER_MEDIA_MAX_SIZE + 1;
	e.request_id = 0;
	ck_assert_int_eq(h_call(a, &e, NULL), LC_ERR_MEDIA_TOO_LARGE);
}
END_TEST

START_TEST(server_media_ticket_configured)
{
	hclient *a;
	Libchat__MediaUploadRequest m = LIBCHAT__MEDIA_UPLOAD_REQUEST__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	h_shutdown();
	H.cfg.media_max_size = 4096;
	h_open();
	a = h_user();
	m.size = 4096;
	e.body_case = LIBCHAT__ENVELOPE__BODY_MEDIA_UPLOAD;
	e.media_upload = &m;
	ck_assert_int_eq(h_call(a, &e, NULL), 0);
	m.size = 4097;
	e.request_id = 0;
	ck_assert_int_eq(h_call(a, &e, NULL), LC_ERR_MEDIA_TOO_LARGE);
}
END_TEST

/* ------------------------------------------------------------ Noise */

struct ncli {
	lc_noise_conn *n;
	lc_server_conn *c;
	lc_envelope *in[64];
	size_t n_in;
	uint8_t pk[32];
	hclient closed; /* receives the close callback */
};

/* Move bytes both ways until neither side has any. */
static void npump(struct ncli *cl)
{
	for (int round = 0; round < 8; round++) {
		const uint8_t *p;
		size_t n = lc_noise_conn_output(cl->n, &p);
		int m;

		if (n && !lc_srv_conn_closing(cl->c)) {
			ck_assert_int_eq(lc_server_conn_recv(cl->c, p, n, H.now),
					 (int)n);
			ck_assert_int_eq(lc_noise_conn_output_consume(cl->n, n), 0);
		}
		ck_assert_int_eq(lc_server_flush(H.s, H.now), 0);
		m = lc_server_conn_send(cl->c, &p);
		ck_assert_int_ge(m, 0);
		for (size_t off = 0; off < (size_t)m;) {
			const uint8_t *pl;
			size_t used, pn;
			int rc = lc_noise_conn_recv(cl->n, p + off, (size_t)m - off,
						    &used, &pl, &pn);
			ck_assert_int_ge(rc, 0);
			off += used;
			if (rc == 1) {
				ck_assert_int_eq(lc_envelope_unpack(pl, pn, NULL,
						 &cl->in[cl->n_in]), 0);
				cl->n_in++;
			} else if (used == 0) {
				break;
			}
		}
	}
}

static void ncli_open(struct ncli *cl, uint8_t seed)
{
	uint8_t sk[32], server_pk[32];

	memset(cl, 0, sizeof *cl);
	memset(sk, seed, sizeof sk);
	crypto_scalarmult_base(cl->pk, sk);
	crypto_scalarmult_base(server_pk, h_server_sk);
	ck_assert_int_eq(lc_noise_conn_client_new(&cl->n, sk, server_pk, 0,
						  NULL, NULL), 0);
	ck_assert_int_eq(lc_server_conn_open(H.s, &cl->c, &cl->closed, H.now),
			 0);
	npump(cl);
	ck_assert(lc_noise_conn_is_established(cl->n));
}

static void ncli_close(struct ncli *cl)
{
	for (size_t i = 0; i < cl->n_in; i++)
		lc_envelope_free(cl->in[i], NULL);
	lc_noise_conn_free(cl->n);
	lc_server_conn_close(cl->c, H.now);
}

static void ncli_send(struct ncli *cl, const lc_envelope *e)
{
	uint8_t buf[LC_ENVELOPE_MAX];
	int n = lc_envelope_pack(e, buf, sizeof buf);

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(lc_noise_conn_send(cl->n, buf, (size_t)n), 0);
	npump(cl);
}

START_TEST(server_noise_end_to_end)
{
	struct ncli a, b;
	Libchat__Register r = LIBCHAT__REGISTER__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	lc_addr who;
	static const uint8_t junk[] = { 0, 3, 1, 2, 3 };

	ncli_open(&a, 1);
	ncli_open(&b, 2);
	/* Register binds the Noise static key of the connection. */
	r.identifier_case = LIBCHAT__REGISTER__IDENTIFIER_PHONE;
	r.phone = "+15558880000";
	r.display_name = "noise";
	r.password = PW;
	e.request_id = 5;
	e.body_case = LIBCHAT__ENVELOPE__BODY_REGISTER;
	e.register_ = &r;
	ncli_send(&a, &e);
	ck_assert_uint_eq(a.n_in, 1);
	ck_assert_int_eq(a.in[0]->body_case, LIBCHAT__ENVELOPE__BODY_ACK);
	ck_assert_uint_eq(a.in[0]->request_id, 5);
	ck_assert_int_eq(a.in[0]->ack->result_case, LIBCHAT__ACK__RESULT_LOGIN);
	ck_assert(lc_srv_conn_authed(a.c, &who));
	ck_assert_mem_eq(a.c->device_key, a.pk, 32);
	ck_assert(!lc_server_conn_want_write(a.c));
	ck_assert(lc_server_conn_want_read(a.c));
	/* Bytes that do not decrypt end that connection only. */
	ck_assert_int_lt(lc_server_conn_recv(b.c, junk, sizeof junk, H.now), 0);
	ck_assert(b.closed.closed);
	ck_assert(!a.closed.closed);
	ck_assert(!lc_server_conn_want_read(b.c));
	ck_assert_int_eq(lc_server_conn_recv(b.c, junk, sizeof junk, H.now),
			 LC_ERR_CLOSED);
	e.request_id = 6;
	r.phone = "+15558880001";
	ncli_send(&a, &e); /* logged in already */
	ck_assert_uint_eq(a.n_in, 2);
	ck_assert_int_eq(-(int)a.in[1]->error->code, LC_ERR_INVALID_STATE);
	ck_assert_int_eq(lc_server_conn_recv(NULL, junk, 1, H.now),
			 LC_ERR_INVALID_ARG);
	ncli_close(&a);
	ncli_close(&b);
}
END_TEST

/* ------------------------------------------------------------ API */

START_TEST(server_new_arguments)
{
	lc_server *s = (lc_server *)1;
	lc_server_config cfg = H.cfg;
	lc_server_callbacks cb = h_cb;
	lc_test_alloc ta;

	ck_assert_int_eq(lc_server_new(NULL, &cfg, NULL, NULL), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_server_new(&s, NULL, NULL, NULL), LC_ERR_INVALID_ARG);
	ck_assert_ptr_null(s);
	cfg.version = 99;
	ck_assert_int_eq(lc_server_new(&s, &cfg, NULL, NULL), LC_ERR_INVALID_ARG);
	cfg = H.cfg;
	cfg.data_dir = NULL;
	ck_assert_int_eq(lc_server_new(&s, &cfg, NULL, NULL), LC_ERR_INVALID_ARG);
	cfg = H.cfg;
	cfg.data_dir = "/nonexistent/libchat";
	ck_assert_int_eq(lc_server_new(&s, &cfg, NULL, NULL), LC_ERR_IO);
	cfg = H.cfg;
	cb.version = 0;
	ck_assert_int_eq(lc_server_new(&s, &cfg, &cb, NULL), LC_ERR_INVALID_ARG);
	cfg.pwhash_memlimit = 1;
	ck_assert_int_eq(lc_server_new(&s, &cfg, NULL, NULL), LC_ERR_INVALID_ARG);
	lc_server_free(NULL);
	lc_server_conn_close(NULL, 0);
	/* Every allocation of lc_server_new can fail cleanly. */
	h_shutdown();
	cfg = H.cfg;
	for (long i = 1;; i++) {
		int rc;
		lc_test_alloc_init(&ta, i);
		cfg.mem = &ta.hooks;
		rc = lc_server_new(&s, &cfg, NULL, NULL);
		if (rc == 0) {
			lc_server_free(s);
			ck_assert_int_eq(ta.live, 0);
			break;
		}
		ck_assert_int_eq(rc, LC_ERR_NOMEM);
		ck_assert_int_eq(ta.live, 0);
	}
	h_open();
}
END_TEST

/* One pass of register, send, deliver, ack, group, presence and logout,
 * on allocator `mem`; any step may fail, none may crash or leak. */
static int scenario_done;

static void scenario(lc_allocator *mem)
{
	lc_server_config cfg = H.cfg;
	lc_server *s;
	lc_server_conn *c[2] = { NULL, NULL };
	uint8_t buf[LC_ENVELOPE_MAX];
	char *ids[1];
	lc_addr who[2];
	int n;

	cfg.mem = mem;
	if (lc_server_new(&s, &cfg, NULL, NULL) != 0)
		return;
	for (int i = 0; i < 2; i++) {
		Libchat__Register r = LIBCHAT__REGISTER__INIT;
		lc_envelope e = LIBCHAT__ENVELOPE__INIT;
		uint8_t key[32];
		char phone[20];

		memset(key, 0x10 + i, sizeof key);
		if (lc_server_conn_open(s, &c[i], NULL, H.now) != 0)
			goto out;
		lc_srv_conn_set_device_key(c[i], key);
		snprintf(phone, sizeof phone, "+1555777000%d", i);
		r.identifier_case = LIBCHAT__REGISTER__IDENTIFIER_PHONE;
		r.phone = phone;
		r.display_name = "n";
		r.password = PW;
		e.request_id = 1;
		e.body_case = LIBCHAT__ENVELOPE__BODY_REGISTER;
		e.register_ = &r;
		n = lc_envelope_pack(&e, buf, sizeof buf);
		lc_srv_conn_payload(c[i], buf, (size_t)n, H.now);
		lc_server_flush(s, H.now);
		if (!lc_srv_conn_authed(c[i], &who[i]))
			goto out;
	}
	{
		Libchat__Send m = LIBCHAT__SEND__INIT;
		Libchat__Ciphertext ct = LIBCHAT__CIPHERTEXT__INIT, *cp = &ct;
		Libchat__Address to = LIBCHAT__ADDRESS__INIT;
		Libchat__GroupCreate gc = LIBCHAT__GROUP_CREATE__INIT;
		Libchat__PresenceSubscribe ps = LIBCHAT__PRESENCE_SUBSCRIBE__INIT;
		Libchat__Ack ack = LIBCHAT__ACK__INIT;
		Libchat__Logout lo = LIBCHAT__LOGOUT__INIT;
		lc_envelope e = LIBCHAT__ENVELOPE__INIT;
		uint8_t mid[16] = { 1 };

		to.user_id = who[1].uid;
		to.device_id = who[1].dev;
		ct.to = &to;
		ct.body.data = mid;
		ct.body.len = 16;
		m.message_id.data = mid;
		m.message_id.len = 16;
		m.copies = &cp;
		m.n_copies = 1;
		e.request_id = 2;
		e.body_case = LIBCHAT__ENVELOPE__BODY_SEND;
		e.send = &m;
		n = lc_envelope_pack(&e, buf, sizeof buf);
		lc_srv_conn_payload(c[0], buf, (size_t)n, H.now);
		ids[0] = who[1].uid;
		gc.member_user_ids = ids;
		gc.n_member_user_ids = 1;
		e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_CREATE;
		e.group_create = &gc;
		n = lc_envelope_pack(&e, buf, sizeof buf);
		lc_srv_conn_payload(c[0], buf, (size_t)n, H.now);
		ps.user_ids = ids;
		ps.n_user_ids = 1;
		e.body_case = LIBCHAT__ENVELOPE__BODY_PRESENCE_SUBSCRIBE;
		e.presence_subscribe = &ps;
		n = lc_envelope_pack(&e, buf, sizeof buf);
		lc_srv_conn_payload(c[0], buf, (size_t)n, H.now);
		lc_server_flush(s, H.now);
		e.request_id = 1; /* the first push on c[1] */
		e.body_case = LIBCHAT__ENVELOPE__BODY_ACK;
		e.ack = &ack;
		n = lc_envelope_pack(&e, buf, sizeof buf);
		lc_srv_conn_payload(c[1], buf, (size_t)n, H.now);
		e.request_id = 3;
		e.body_case = LIBCHAT__ENVELOPE__BODY_LOGOUT;
		e.logout = &lo;
		n = lc_envelope_pack(&e, buf, sizeof buf);
		lc_srv_conn_payload(c[1], buf, (size_t)n, H.now);
		lc_server_flush(s, H.now);
		scenario_done = !lc_srv_conn_authed(c[1], NULL) &&
				!lc_srv_conn_closing(c[0]);
	}
out:
	lc_server_conn_close(c[0], H.now);
	lc_server_free(s);
}

START_TEST(server_allocation_failures)
{
	lc_test_alloc ta;
	long total;

	h_shutdown();
	lc_test_alloc_init(&ta, 0);
	scenario(&ta.hooks);
	ck_assert_int_eq(ta.live, 0);
	ck_assert(scenario_done);
	total = ta.allocs;
	ck_assert_int_gt(total, 20);
	for (long i = 1; i <= total; i++) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s/*", H.dir);
		ck_assert_int_eq(system(cmd), 0);
		lc_test_alloc_init(&ta, i);
		scenario(&ta.hooks);
		ck_assert_msg(ta.live == 0, "leak after failing allocation %ld", i);
	}
	h_open();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("server");
	TCase *acc = tcase_create("accounts"), *keys = tcase_create("keys");
	TCase *rt = tcase_create("routing"), *grp = tcase_create("groups");
	TCase *pr = tcase_create("presence"), *api = tcase_create("api");
	TCase *all[] = { acc, keys, rt, grp, pr, api };

	for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
		tcase_add_checked_fixture(all[i], setup, teardown);
		tcase_set_timeout(all[i], 60);
		suite_add_tcase(s, all[i]);
	}
	tcase_add_test(acc, server_register_and_lookup);
	tcase_add_test(acc, server_register_errors);
	tcase_add_test(acc, server_auth_required_before_login);
	tcase_add_test(acc, server_login_password_and_token);
	tcase_add_test(acc, server_login_throttled);
	tcase_add_test(acc, server_logout_revokes_token);
	tcase_add_test(acc, server_token_expires);
	tcase_add_test(acc, server_token_verify);
	tcase_add_test(acc, server_token_verify_expired);
	tcase_add_test(acc, server_profile_update);
	tcase_add_test(keys, server_prekeys_handed_out_once);
	tcase_add_test(keys, server_prekeys_same_turn);
	tcase_add_test(keys, server_keys_upload_errors);
	tcase_add_test(rt, server_send_online_and_receipts);
	tcase_add_test(rt, server_send_stale_devices);
	tcase_add_test(rt, server_send_validation);
	tcase_add_test(rt, server_sender_is_the_connection);
	tcase_add_test(rt, server_dedupe_exactly_once);
	tcase_add_test(rt, server_offline_queue_in_order);
	tcase_add_test(rt, server_foreign_acks_delete_nothing);
	tcase_add_test(rt, server_queue_survives_restart);
	tcase_add_test(rt, server_malformed_closes_only_that_connection);
	tcase_add_test(rt, server_unsupported_body_keeps_connection);
	tcase_add_test(rt, server_rate_limited);
	tcase_add_test(grp, server_groups);
	tcase_add_test(grp, server_group_stale_devices);
	tcase_add_test(pr, server_presence);
	tcase_add_test(pr, server_presence_groups_and_unsubscribe);
	tcase_add_test(pr, server_idle_timeout);
	tcase_add_test(rt, server_store_full);
	tcase_add_test(pr, server_media_ticket);
	tcase_add_test(pr, server_media_ticket_configured);
	tcase_add_test(api, server_noise_end_to_end);
	tcase_add_test(api, server_new_arguments);
	tcase_add_test(api, server_allocation_failures);
	return lc_test_run(s);
}
