/* Suite "crypto": identities, prekeys and bundles, X3DH, padding, safety
 * numbers, allocation failures; the ratchet and group tests are in
 * test_crypto_ratchet.c and test_crypto_group.c. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <libchat/crypto.h>

#include "test_crypto.h"

/* ------------------------------------------------------------- helpers */

static void rng_fill(void *buf, size_t len, void *ud)
{
	lc_test_rng_bytes(ud, buf, len);
}

void test_rng_init(test_rng *r, uint64_t seed)
{
	lc_test_rng_seed(&r->state, seed);
	r->rng.fill = rng_fill;
	r->rng.user_data = &r->state;
}

uint8_t *seal(lc_ratchet *s, const void *pt, size_t len, size_t *out_len)
{
	size_t cap = lc_ratchet_encrypted_size(s, len);
	uint8_t *out = malloc(cap);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(lc_ratchet_encrypt(s, pt, len, out, cap, out_len), 0);
	ck_assert_uint_eq(*out_len, cap);
	return out;
}

int open_check(lc_ratchet *s, const uint8_t *msg, size_t len,
	       const void *want, size_t want_len)
{
	uint8_t *pt = malloc(len + 1);
	size_t n = 0;
	int rv;

	ck_assert_ptr_nonnull(pt);
	rv = lc_ratchet_decrypt(s, msg, len, pt, len, &n);
	if (rv == 0) {
		ck_assert_uint_eq(n, want_len);
		ck_assert_mem_eq(pt, want, want_len);
	}
	free(pt);
	return rv;
}

uint8_t *snap(const lc_ratchet *s, size_t *len)
{
	size_t cap = lc_ratchet_serialized_size(s);
	uint8_t *b = malloc(cap);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(lc_ratchet_serialize(s, b, cap, len), 0);
	ck_assert_uint_eq(*len, cap);
	return b;
}

void resume(lc_ratchet **s, const lc_rng *rng)
{
	size_t n, m;
	uint8_t *b = snap(*s, &n), *c;
	lc_ratchet *t;

	ck_assert_int_eq(lc_ratchet_parse(&t, b, n, NULL, rng), 0);
	c = snap(t, &m);
	ck_assert_uint_eq(n, m);
	ck_assert_mem_eq(b, c, n);
	lc_ratchet_free(*s);
	*s = t;
	free(b);
	free(c);
}

void pair_make(pair *p, uint64_t seed, int opk, int answered)
{
	lc_prekey_bundle bundle;
	uint8_t *m, pt[16];
	size_t n, ptn;

	test_rng_init(&p->ra, seed);
	test_rng_init(&p->rb, seed ^ 0x9e3779b97f4a7c15ull);
	ck_assert_int_eq(lc_identity_new(&p->ida, NULL, &p->ra.rng), 0);
	ck_assert_int_eq(lc_identity_new(&p->idb, NULL, &p->rb.rng), 0);
	ck_assert_int_eq(lc_prekeys_new(&p->pkb, p->idb, NULL, &p->rb.rng), 0);
	ck_assert_int_eq(lc_prekeys_generate(p->pkb, 3), 0);
	ck_assert_int_eq(lc_prekeys_bundle(p->pkb, p->idb,
					   opk ? 1 : LC_BUNDLE_NO_ONE_TIME,
					   &bundle), 0);
	ck_assert_int_eq(lc_x3dh_initiate(&p->a, p->ida, &bundle, NULL,
					  &p->ra.rng), 0);
	m = seal(p->a, "hello", 5, &n);
	ck_assert_int_eq(lc_crypto_message_type(m, n), LC_MSG_PREKEY);
	ck_assert_int_eq(lc_x3dh_respond(&p->b, p->idb, p->pkb, m, n, pt,
					 sizeof pt, &ptn, NULL, &p->rb.rng), 0);
	ck_assert_uint_eq(ptn, 5);
	ck_assert_mem_eq(pt, "hello", 5);
	free(m);
	if (answered) {
		m = seal(p->b, "hi", 2, &n);
		ck_assert_int_eq(lc_crypto_message_type(m, n), LC_MSG_RATCHET);
		ck_assert_int_eq(open_check(p->a, m, n, "hi", 2), 0);
		ck_assert_int_eq(lc_ratchet_is_pending(p->a), 0);
		free(m);
	}
}

void pair_free(pair *p)
{
	lc_ratchet_free(p->a);
	lc_ratchet_free(p->b);
	lc_prekeys_free(p->pkb);
	lc_identity_free(p->ida);
	lc_identity_free(p->idb);
}

/* ------------------------------------------------------------ identity */

START_TEST(identity_seed_round_trip)
{
	uint8_t seed[LC_IDENTITY_SEED_LEN], sig[LC_SIGNATURE_LEN];
	lc_identity *a, *b;

	ck_assert_int_eq(lc_identity_new(&a, NULL, NULL), 0);
	lc_identity_seed(a, seed);
	ck_assert_int_eq(lc_identity_from_seed(&b, seed, NULL), 0);
	ck_assert_mem_eq(lc_identity_public_key(a), lc_identity_public_key(b),
			 LC_IDENTITY_KEY_LEN);
	lc_identity_sign(a, (const uint8_t *)"abc", 3, sig);
	ck_assert_int_eq(lc_identity_verify(lc_identity_public_key(b),
					    (const uint8_t *)"abc", 3, sig), 0);
	ck_assert_int_eq(lc_identity_verify(lc_identity_public_key(b),
					    (const uint8_t *)"abd", 3, sig),
			 LC_ERR_BAD_SIGNATURE);
	sig[5] ^= 1;
	ck_assert_int_eq(lc_identity_verify(lc_identity_public_key(b),
					    (const uint8_t *)"abc", 3, sig),
			 LC_ERR_BAD_SIGNATURE);
	ck_assert_int_eq(lc_identity_new(NULL, NULL, NULL), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_identity_from_seed(&b, NULL, NULL),
			 LC_ERR_INVALID_ARG);
	lc_identity_free(a);
	lc_identity_free(b);
	lc_identity_free(NULL);
}
END_TEST

/* ------------------------------------------------------------- prekeys */

static uint8_t *prekeys_snap(const lc_prekeys *pk, size_t *n)
{
	size_t cap = lc_prekeys_serialized_size(pk);
	uint8_t *b = malloc(cap);

	ck_assert_int_eq(lc_prekeys_serialize(pk, b, cap, n), 0);
	ck_assert_uint_eq(*n, cap);
	ck_assert_int_eq(lc_prekeys_serialize(pk, b, cap - 1, n),
			 LC_ERR_BUFFER_TOO_SMALL);
	*n = cap;
	return b;
}

START_TEST(prekeys_serialise_and_rotate)
{
	test_rng r;
	lc_identity *id;
	lc_prekeys *pk, *pk2, *bad;
	uint8_t *b, *c, pub[32], sig[64];
	uint32_t kid, kid2;
	size_t n, m;

	test_rng_init(&r, 7);
	ck_assert_int_eq(lc_identity_new(&id, NULL, &r.rng), 0);
	ck_assert_int_eq(lc_prekeys_new(&pk, id, NULL, &r.rng), 0);
	ck_assert_uint_eq(lc_prekeys_count(pk), 0);
	ck_assert_int_eq(lc_prekeys_generate(pk, 0), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_prekeys_generate(pk, LC_PREKEYS_MAX_ONE_TIME + 1),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_prekeys_generate(pk, 5), 0);
	ck_assert_uint_eq(lc_prekeys_count(pk), 5);
	ck_assert_int_eq(lc_prekeys_one_time(pk, 4, &kid, pub), 0);
	ck_assert_uint_eq(kid, 5);
	ck_assert_int_eq(lc_prekeys_one_time(pk, 5, &kid, pub),
			 LC_ERR_INVALID_ARG);
	lc_prekeys_signed(pk, &kid, pub, sig);
	ck_assert_uint_eq(kid, 1);
	ck_assert_int_eq(lc_identity_verify(lc_identity_public_key(id), pub,
					    32, sig), 0);
	ck_assert_int_eq(lc_prekeys_rotate_signed(pk, id), 0);
	lc_prekeys_signed(pk, &kid2, pub, sig);
	ck_assert_uint_eq(kid2, 2);

	b = prekeys_snap(pk, &n);
	ck_assert_int_eq(lc_prekeys_parse(&pk2, b, n, NULL, &r.rng), 0);
	c = prekeys_snap(pk2, &m);
	ck_assert_uint_eq(n, m);
	ck_assert_mem_eq(b, c, n);
	/* Every truncation and an extra byte are refused. */
	for (size_t i = 0; i < n; i++) {
		lc_prekeys *t;
		int rv = lc_prekeys_parse(&t, b, i, NULL, NULL);
		ck_assert_msg(rv == LC_ERR_MALFORMED, "prefix %zu: %d", i, rv);
		ck_assert_ptr_null(t);
	}
	c = realloc(c, n + 1);
	ck_assert_ptr_nonnull(c);
	c[n] = 0;
	ck_assert_int_eq(lc_prekeys_parse(&bad, c, n + 1, NULL, NULL),
			 LC_ERR_MALFORMED);
	b[0] = 9;
	ck_assert_int_eq(lc_prekeys_parse(&bad, b, n, NULL, NULL),
			 LC_ERR_SESSION_VERSION);
	ck_assert_ptr_null(bad);
	free(b);
	free(c);
	lc_prekeys_free(pk2);
	lc_prekeys_free(pk);
	lc_prekeys_free(NULL);
	lc_identity_free(id);
}
END_TEST

/* -------------------------------------------------------------- bundles */

START_TEST(bundle_round_trip_and_checks)
{
	lc_identity *id;
	lc_prekeys *pk;
	lc_prekey_bundle b, c;
	uint8_t buf[512];
	size_t n;

	ck_assert_int_eq(lc_identity_new(&id, NULL, NULL), 0);
	ck_assert_int_eq(lc_prekeys_new(&pk, id, NULL, NULL), 0);
	ck_assert_int_eq(lc_prekeys_generate(pk, 2), 0);
	for (int with = 0; with < 2; with++) {
		ck_assert_int_eq(lc_prekeys_bundle(pk, id,
			with ? 1 : LC_BUNDLE_NO_ONE_TIME, &b), 0);
		strcpy(b.user_id, "u-\xc3\xa9t\xc3\xa9");
		b.device_id = 42;
		ck_assert_int_eq(lc_prekey_bundle_serialize(&b, buf, sizeof buf,
							    &n), 0);
		ck_assert_uint_eq(n, lc_prekey_bundle_serialized_size(&b));
		ck_assert_int_eq(lc_prekey_bundle_serialize(&b, buf, n - 1, &n),
				 LC_ERR_BUFFER_TOO_SMALL);
		n = lc_prekey_bundle_serialized_size(&b);
		memset(&c, 0xaa, sizeof c);
		ck_assert_int_eq(lc_prekey_bundle_parse(&c, buf, n, NULL), 0);
		ck_assert_int_eq(memcmp(&b, &c, sizeof b), 0);
		ck_assert_int_eq(c.has_one_time_prekey, with);
	}
	/* A user id too long or not UTF-8 cannot be encoded. */
	memset(b.user_id, 'x', sizeof b.user_id);
	ck_assert_int_eq(lc_prekey_bundle_serialize(&b, buf, sizeof buf, &n),
			 LC_ERR_INVALID_ARG);
	strcpy(b.user_id, "\xff");
	ck_assert_int_eq(lc_prekey_bundle_serialize(&b, buf, sizeof buf, &n),
			 LC_ERR_INVALID_ARG);
	/* Not a bundle, or an empty one. */
	ck_assert_int_eq(lc_prekey_bundle_parse(&c, (const uint8_t *)"\xff", 1,
						NULL), LC_ERR_MALFORMED);
	ck_assert_int_eq(lc_prekey_bundle_parse(&c, NULL, 0, NULL),
			 LC_ERR_MALFORMED);
	lc_prekeys_free(pk);
	lc_identity_free(id);
}
END_TEST

/* Hand-built PrekeyBundle encodings with fields of wrong lengths. */
static size_t put_field(uint8_t *p, unsigned tag, const uint8_t *v,
			size_t n)
{
	p[0] = (uint8_t)(tag << 3 | 2);
	p[1] = (uint8_t)n;
	memcpy(p + 2, v, n);
	return n + 2;
}

static size_t make_raw(uint8_t *out, size_t ik, size_t spk, size_t sig,
		       size_t otp)
{
	uint8_t z[80] = { 0 }, sp[200], op[100];
	size_t n = 0, s = 0, o = 0;

	sp[s++] = 1 << 3;  /* id = 1 */
	sp[s++] = 1;
	s += put_field(sp + s, 2, z, spk);
	s += put_field(sp + s, 3, z, sig);
	op[o++] = 1 << 3;
	op[o++] = 2;
	o += put_field(op + o, 2, z, otp);
	if (ik)
		n += put_field(out + n, 2, z, ik);
	n += put_field(out + n, 3, sp, s);
	if (otp)
		n += put_field(out + n, 4, op, o);
	return n;
}

START_TEST(bundle_parse_lengths)
{
	lc_prekey_bundle c;
	uint8_t raw[400];
	size_t n;

	n = make_raw(raw, 32, 32, 64, 32);
	ck_assert_int_eq(lc_prekey_bundle_parse(&c, raw, n, NULL), 0);
	n = make_raw(raw, 31, 32, 64, 32);
	ck_assert_int_eq(lc_prekey_bundle_parse(&c, raw, n, NULL),
			 LC_ERR_BAD_KEY);
	n = make_raw(raw, 32, 33, 64, 32);
	ck_assert_int_eq(lc_prekey_bundle_parse(&c, raw, n, NULL),
			 LC_ERR_BAD_KEY);
	n = make_raw(raw, 32, 32, 64, 16);
	ck_assert_int_eq(lc_prekey_bundle_parse(&c, raw, n, NULL),
			 LC_ERR_BAD_KEY);
	n = make_raw(raw, 32, 32, 63, 32);
	ck_assert_int_eq(lc_prekey_bundle_parse(&c, raw, n, NULL),
			 LC_ERR_MALFORMED);
	n = make_raw(raw, 0, 32, 64, 32);
	ck_assert_int_eq(lc_prekey_bundle_parse(&c, raw, n, NULL),
			 LC_ERR_MALFORMED);
	/* Missing signed prekey: identity key alone. */
	n = put_field(raw, 2, raw + 100, 32);
	ck_assert_int_eq(lc_prekey_bundle_parse(&c, raw, n, NULL),
			 LC_ERR_MALFORMED);
}
END_TEST

/* ------------------------------------------------------------------ X3DH */

START_TEST(x3dh_round_trip)
{
	pair p;
	uint8_t *m;
	size_t n;

	pair_make(&p, 100 + (uint64_t)_i, _i, 1);
	/* One one-time prekey was consumed when used. */
	ck_assert_uint_eq(lc_prekeys_count(p.pkb), _i ? 2 : 3);
	ck_assert_mem_eq(lc_ratchet_remote_identity(p.a),
			 lc_identity_public_key(p.idb), 32);
	ck_assert_mem_eq(lc_ratchet_remote_identity(p.b),
			 lc_identity_public_key(p.ida), 32);
	m = seal(p.a, "after", 5, &n);
	ck_assert_int_eq(lc_crypto_message_type(m, n), LC_MSG_RATCHET);
	ck_assert_int_eq(open_check(p.b, m, n, "after", 5), 0);
	free(m);
	pair_free(&p);
}
END_TEST

/* Set up Alice and Bob without running X3DH. */
struct x3 {
	test_rng r;
	lc_identity *a, *b;
	lc_prekeys *pk;
	lc_prekey_bundle bundle;
};

static void x3_make(struct x3 *x, int opk)
{
	test_rng_init(&x->r, 55);
	ck_assert_int_eq(lc_identity_new(&x->a, NULL, &x->r.rng), 0);
	ck_assert_int_eq(lc_identity_new(&x->b, NULL, &x->r.rng), 0);
	ck_assert_int_eq(lc_prekeys_new(&x->pk, x->b, NULL, &x->r.rng), 0);
	ck_assert_int_eq(lc_prekeys_generate(x->pk, 2), 0);
	ck_assert_int_eq(lc_prekeys_bundle(x->pk, x->b,
		opk ? 0 : LC_BUNDLE_NO_ONE_TIME, &x->bundle), 0);
}

static void x3_free(struct x3 *x)
{
	lc_prekeys_free(x->pk);
	lc_identity_free(x->a);
	lc_identity_free(x->b);
}

/* Alice's first prekey message under bundle b. */
static uint8_t *first_message(struct x3 *x, const lc_prekey_bundle *b,
			      size_t *n)
{
	lc_ratchet *s;
	uint8_t *m;

	ck_assert_int_eq(lc_x3dh_initiate(&s, x->a, b, NULL, &x->r.rng), 0);
	m = seal(s, "first", 5, n);
	lc_ratchet_free(s);
	return m;
}

static int respond(struct x3 *x, const uint8_t *m, size_t n)
{
	lc_ratchet *s = (lc_ratchet *)1;
	uint8_t pt[64];
	size_t ptn;
	int rv = lc_x3dh_respond(&s, x->b, x->pk, m, n, pt, sizeof pt, &ptn,
				 NULL, &x->r.rng);

	if (rv == 0) {
		ck_assert_uint_eq(ptn, 5);
		ck_assert_mem_eq(pt, "first", 5);
	} else {
		ck_assert_ptr_null(s);
	}
	lc_ratchet_free(s);
	return rv;
}

START_TEST(x3dh_failures)
{
	struct x3 x;
	lc_prekey_bundle b;
	lc_ratchet *s;
	uint8_t *m, ik[32];
	size_t n;

	x3_make(&x, 1);
	/* Bad signature on the signed prekey. */
	b = x.bundle;
	b.signed_prekey_signature[0] ^= 1;
	ck_assert_int_eq(lc_x3dh_initiate(&s, x.a, &b, NULL, NULL),
			 LC_ERR_BAD_SIGNATURE);
	ck_assert_ptr_null(s);
	b = x.bundle;
	b.signed_prekey[0] ^= 1;
	ck_assert_int_eq(lc_x3dh_initiate(&s, x.a, &b, NULL, NULL),
			 LC_ERR_BAD_SIGNATURE);
	/* A low-order signed prekey, validly signed. */
	b = x.bundle;
	memset(b.signed_prekey, 0, 32);
	lc_identity_sign(x.b, b.signed_prekey, 32, b.signed_prekey_signature);
	ck_assert_int_eq(lc_x3dh_initiate(&s, x.a, &b, NULL, NULL),
			 LC_ERR_BAD_KEY);
	/* A low-order one-time prekey. */
	b = x.bundle;
	memset(b.one_time_prekey, 0, 32);
	b.one_time_prekey[0] = 1;
	ck_assert_int_eq(lc_x3dh_initiate(&s, x.a, &b, NULL, NULL),
			 LC_ERR_BAD_KEY);

	/* Unknown signed prekey id, unknown one-time prekey id. */
	b = x.bundle;
	b.signed_prekey_id = 77;
	m = first_message(&x, &b, &n);
	ck_assert_int_eq(respond(&x, m, n), LC_ERR_UNKNOWN_PREKEY);
	free(m);
	b = x.bundle;
	b.one_time_prekey_id = 77;
	m = first_message(&x, &b, &n);
	ck_assert_int_eq(respond(&x, m, n), LC_ERR_UNKNOWN_PREKEY);
	free(m);

	/* A tampered payload consumes nothing; the real one then works and a
	 * second use of the one-time prekey is refused. */
	m = first_message(&x, &x.bundle, &n);
	ck_assert_int_eq(lc_prekey_message_identity(m, n, ik), 0);
	ck_assert_mem_eq(ik, lc_identity_public_key(x.a), 32);
	m[1] ^= 1;
	ck_assert_int_ne(respond(&x, m, n), 0);
	m[1] ^= 1;
	m[40] ^= 1;
	ck_assert_int_ne(respond(&x, m, n), 0);
	m[40] ^= 1;
	m[n - 1] ^= 1;
	ck_assert_int_eq(respond(&x, m, n), LC_ERR_DECRYPT);
	ck_assert_uint_eq(lc_prekeys_count(x.pk), 2);
	m[n - 1] ^= 1;
	ck_assert_int_eq(respond(&x, m, n), 0);
	ck_assert_uint_eq(lc_prekeys_count(x.pk), 1);
	ck_assert_int_eq(respond(&x, m, n), LC_ERR_PREKEY_REUSED);
	free(m);
	/* Truncated, of another kind, of another version. */
	m = first_message(&x, &x.bundle, &n);
	ck_assert_int_eq(respond(&x, m, LC_PREKEY_OVERHEAD - 1),
			 LC_ERR_MALFORMED);
	m[0] = (uint8_t)((LC_CRYPTO_VERSION << 4) | LC_MSG_RATCHET);
	ck_assert_int_eq(respond(&x, m, n), LC_ERR_MALFORMED);
	ck_assert_int_eq(lc_prekey_message_identity(m, n, ik),
			 LC_ERR_MALFORMED);
	m[0] = (uint8_t)(((LC_CRYPTO_VERSION + 1) << 4) | LC_MSG_PREKEY);
	ck_assert_int_eq(respond(&x, m, n), LC_ERR_UNSUPPORTED);
	ck_assert_int_eq(lc_crypto_message_type(m, n), LC_ERR_UNSUPPORTED);
	free(m);
	x3_free(&x);
}
END_TEST

START_TEST(x3dh_signed_prekey_rotation)
{
	struct x3 x;
	uint8_t *m;
	size_t n;

	x3_make(&x, 0);
	m = first_message(&x, &x.bundle, &n);
	ck_assert_int_eq(lc_prekeys_rotate_signed(x.pk, x.b), 0);
	/* Started against the previous signed prekey: still accepted. */
	ck_assert_int_eq(respond(&x, m, n), 0);
	lc_prekeys_drop_previous_signed(x.pk);
	ck_assert_int_eq(respond(&x, m, n), LC_ERR_UNKNOWN_PREKEY);
	free(m);
	ck_assert_int_eq(lc_prekeys_bundle(x.pk, x.b, LC_BUNDLE_NO_ONE_TIME,
					   &x.bundle), 0);
	ck_assert_uint_eq(x.bundle.signed_prekey_id, 2);
	m = first_message(&x, &x.bundle, &n);
	ck_assert_int_eq(respond(&x, m, n), 0);
	free(m);
	x3_free(&x);
}
END_TEST

START_TEST(x3dh_later_prekey_messages)
{
	pair p, q;
	uint8_t *m1, *m2, *other;
	size_t n1, n2, no;

	pair_make(&p, 300, 1, 0);
	/* Alice sends again before any reply: still prekey messages, which
	 * Bob's session accepts; a prekey message that starts another
	 * session is refused with NO_SESSION. */
	m1 = seal(p.a, "two", 3, &n1);
	m2 = seal(p.a, "three", 5, &n2);
	ck_assert_int_eq(lc_crypto_message_type(m1, n1), LC_MSG_PREKEY);
	ck_assert_int_eq(open_check(p.b, m2, n2, "three", 5), 0);
	ck_assert_int_eq(open_check(p.b, m1, n1, "two", 3), 0);
	ck_assert_int_eq(open_check(p.b, m1, n1, "two", 3),
			 LC_ERR_DUPLICATE_MESSAGE);
	pair_make(&q, 301, 1, 0);
	other = seal(q.a, "x", 1, &no);
	ck_assert_int_eq(open_check(p.b, other, no, "x", 1), LC_ERR_NO_SESSION);
	ck_assert_int_eq(open_check(p.a, other, no, "x", 1), LC_ERR_NO_SESSION);
	free(m1);
	free(m2);
	free(other);
	pair_free(&p);
	pair_free(&q);
}
END_TEST

/* --------------------------------------------------------------- padding */

START_TEST(padding_buckets)
{
	static uint8_t buf[LC_PAD_MAX_INPUT + LC_PAD_STEP];
	size_t n, back, prev = 0;

	for (size_t len = 0; len <= LC_PAD_MAX_INPUT; len += (len < 9000 ? 1 : 97)) {
		memset(buf, 0x5a, len);
		ck_assert_int_eq(lc_pad(buf, len, buf, sizeof buf, &n), 0);
		ck_assert_uint_eq(n, lc_padded_size(len));
		ck_assert_uint_gt(n, len);
		ck_assert_uint_ge(n, prev);
		prev = n;
		if (n <= LC_PAD_STEP)
			ck_assert_uint_eq(n & (n - 1), 0);
		else
			ck_assert_uint_eq(n % LC_PAD_STEP, 0);
		ck_assert_int_eq(lc_unpad(buf, n, &back), 0);
		ck_assert_uint_eq(back, len);
	}
	ck_assert_uint_eq(lc_padded_size(0), LC_PAD_MIN);
	ck_assert_uint_eq(lc_padded_size(LC_PAD_MIN - 1), LC_PAD_MIN);
	ck_assert_uint_eq(lc_padded_size(LC_PAD_MIN), 2 * LC_PAD_MIN);
	ck_assert_uint_eq(lc_padded_size(LC_PAD_MAX_INPUT + 1), 0);
	ck_assert_int_eq(lc_pad(buf, LC_PAD_MAX_INPUT + 1, buf, sizeof buf, &n),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_pad(buf, 40, buf, 63, &n), LC_ERR_BUFFER_TOO_SMALL);
}
END_TEST

START_TEST(padding_checked)
{
	uint8_t buf[256];
	size_t n, back;

	memset(buf, 0, sizeof buf);
	ck_assert_int_eq(lc_pad((const uint8_t *)"hello", 5, buf, sizeof buf,
				&n), 0);
	ck_assert_uint_eq(n, 32);
	/* A nonzero byte after the marker. */
	buf[31] = 1;
	ck_assert_int_eq(lc_unpad(buf, n, &back), LC_ERR_BAD_PADDING);
	buf[31] = 0;
	/* No marker. */
	buf[5] = 0;
	ck_assert_int_eq(lc_unpad(buf, n, &back), LC_ERR_BAD_PADDING);
	buf[5] = 0x81;
	ck_assert_int_eq(lc_unpad(buf, n, &back), LC_ERR_BAD_PADDING);
	buf[5] = 0x80;
	/* Not a bucket length. */
	ck_assert_int_eq(lc_unpad(buf, 31, &back), LC_ERR_BAD_PADDING);
	ck_assert_int_eq(lc_unpad(buf, 48, &back), LC_ERR_BAD_PADDING);
	ck_assert_int_eq(lc_unpad(buf, 0, &back), LC_ERR_BAD_PADDING);
	/* A marker too early for the bucket (lc_pad would pick a smaller). */
	memset(buf, 0, 64);
	buf[5] = 0x80;
	ck_assert_int_eq(lc_unpad(buf, 64, &back), LC_ERR_BAD_PADDING);
	ck_assert_int_eq(lc_unpad(buf, 32, &back), 0);
	ck_assert_uint_eq(back, 5);
}
END_TEST

/* --------------------------------------------------------- safety number */

START_TEST(safety_number_symmetric)
{
	lc_identity *a, *b, *c;
	char ab[LC_SAFETY_NUMBER_DIGITS + 1], ba[LC_SAFETY_NUMBER_DIGITS + 1];
	char ac[LC_SAFETY_NUMBER_DIGITS + 1], ab2[LC_SAFETY_NUMBER_DIGITS + 1];
	const uint8_t *ka, *kb;

	ck_assert_int_eq(lc_identity_new(&a, NULL, NULL), 0);
	ck_assert_int_eq(lc_identity_new(&b, NULL, NULL), 0);
	ck_assert_int_eq(lc_identity_new(&c, NULL, NULL), 0);
	ka = lc_identity_public_key(a);
	kb = lc_identity_public_key(b);
	ck_assert_int_eq(lc_safety_number(ka, (const uint8_t *)"alice", 5, kb,
					  (const uint8_t *)"bob", 3, ab), 0);
	ck_assert_int_eq(lc_safety_number(kb, (const uint8_t *)"bob", 3, ka,
					  (const uint8_t *)"alice", 5, ba), 0);
	ck_assert_str_eq(ab, ba);
	ck_assert_uint_eq(strlen(ab), LC_SAFETY_NUMBER_DIGITS);
	ck_assert_uint_eq(strspn(ab, "0123456789"), LC_SAFETY_NUMBER_DIGITS);
	/* Bob's key changes: the number changes. */
	ck_assert_int_eq(lc_safety_number(ka, (const uint8_t *)"alice", 5,
					  lc_identity_public_key(c),
					  (const uint8_t *)"bob", 3, ac), 0);
	ck_assert_str_ne(ab, ac);
	/* The stable id is bound too. */
	ck_assert_int_eq(lc_safety_number(ka, (const uint8_t *)"alice", 5, kb,
					  (const uint8_t *)"bob2", 4, ab2), 0);
	ck_assert_str_ne(ab, ab2);
	/* Alice's own half is unchanged by Bob's change. */
	ck_assert(memcmp(ab, ac, 30) == 0 || memcmp(ab + 30, ac, 30) == 0 ||
		  memcmp(ab, ac + 30, 30) == 0 ||
		  memcmp(ab + 30, ac + 30, 30) == 0);
	ck_assert_int_eq(lc_safety_number(NULL, NULL, 0, kb, NULL, 0, ab),
			 LC_ERR_INVALID_ARG);
	lc_identity_free(a);
	lc_identity_free(b);
	lc_identity_free(c);
}
END_TEST

/* ---------------------------------------------------- allocation failures */

/* Run op with allocation k failing, for k = 1, 2, ... until op succeeds;
 * every failure is NOMEM and leaks nothing. */
#define ALLOC_WALK(setup, op, cleanup)                                    \
	do {                                                              \
		int done_ = 0, fails_ = 0;                                \
		for (long k_ = 1; !done_ && k_ < 1000; k_++) {            \
			lc_test_alloc ta;                                 \
			int rv_;                                          \
			lc_test_alloc_init(&ta, k_);                      \
			setup;                                            \
			rv_ = (op);                                       \
			if (rv_ == 0) {                                   \
				done_ = 1;                                \
			} else {                                          \
				ck_assert_int_eq(rv_, LC_ERR_NOMEM);      \
				fails_++;                                 \
			}                                                 \
			cleanup;                                          \
			ck_assert_int_eq(ta.live, 0);                     \
		}                                                         \
		ck_assert(done_);                                         \
		ck_assert_int_gt(fails_, 0);                              \
	} while (0)

static int prekeys_with_pool(lc_prekeys **pk, const lc_identity *id,
			     const lc_allocator *mem)
{
	int rv = lc_prekeys_new(pk, id, mem, NULL);

	return rv ? rv : lc_prekeys_generate(*pk, 100);
}

START_TEST(alloc_failures)
{
	struct x3 x;
	lc_identity *id = NULL;
	lc_prekeys *pk = NULL;
	lc_ratchet *s = NULL;
	lc_prekey_bundle bundle;
	uint8_t *m, *ser, pt[16], seed[32] = { 1 };
	size_t n, sn, ptn;

	x3_make(&x, 1);
	ALLOC_WALK(id = NULL, lc_identity_new(&id, &ta.hooks, NULL),
		   lc_identity_free(id));
	ALLOC_WALK(id = NULL, lc_identity_from_seed(&id, seed, &ta.hooks),
		   lc_identity_free(id));
	ALLOC_WALK(pk = NULL, prekeys_with_pool(&pk, x.b, &ta.hooks),
		   lc_prekeys_free(pk));
	ALLOC_WALK(s = NULL,
		   lc_x3dh_initiate(&s, x.a, &x.bundle, &ta.hooks, NULL),
		   lc_ratchet_free(s));
	m = first_message(&x, &x.bundle, &n);
	ALLOC_WALK(s = NULL,
		   lc_x3dh_respond(&s, x.b, x.pk, m, n, pt, sizeof pt, &ptn,
				   &ta.hooks, NULL),
		   (ser = s ? snap(s, &sn) : NULL, lc_ratchet_free(s)));
	ck_assert_uint_eq(lc_prekeys_count(x.pk), 1);
	ALLOC_WALK(s = NULL, lc_ratchet_parse(&s, ser, sn, &ta.hooks, NULL),
		   lc_ratchet_free(s));
	free(ser);
	free(m);
	ser = malloc(lc_prekeys_serialized_size(x.pk));
	ck_assert_int_eq(lc_prekeys_serialize(x.pk, ser,
		lc_prekeys_serialized_size(x.pk), &sn), 0);
	ALLOC_WALK(pk = NULL, lc_prekeys_parse(&pk, ser, sn, &ta.hooks, NULL),
		   lc_prekeys_free(pk));
	free(ser);
	ser = malloc(512);
	ck_assert_int_eq(lc_prekey_bundle_serialize(&x.bundle, ser, 512, &sn),
			 0);
	ALLOC_WALK((void)0,
		   lc_prekey_bundle_parse(&bundle, ser, sn, &ta.hooks),
		   (void)0);
	free(ser);
	x3_free(&x);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crypto");
	TCase *t = tcase_create("keys");

	tcase_add_test(t, identity_seed_round_trip);
	tcase_add_test(t, prekeys_serialise_and_rotate);
	tcase_add_test(t, bundle_round_trip_and_checks);
	tcase_add_test(t, bundle_parse_lengths);
	tcase_add_loop_test(t, x3dh_round_trip, 0, 2);
	tcase_add_test(t, x3dh_failures);
	tcase_add_test(t, x3dh_signed_prekey_rotation);
	tcase_add_test(t, x3dh_later_prekey_messages);
	tcase_add_test(t, padding_buckets);
	tcase_add_test(t, padding_checked);
	tcase_add_test(t, safety_number_symmetric);
	tcase_add_test(t, alloc_failures);
	suite_add_tcase(s, t);
	add_ratchet_tests(s);
	add_group_tests(s);
	add_deferred_tests(s);
	return lc_test_run(s);
}
