/* Suite "crypto", sender keys: group round trips, ordering, bounds,
 * signatures, member removal, serialisation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "test_crypto.h"

static lc_sender_key *receiver_of(const lc_sender_key *own)
{
	uint8_t d[LC_SENDER_KEY_DISTRIBUTION_LEN];
	lc_sender_key *r;
	size_t n;

	ck_assert_int_eq(lc_sender_key_distribution(own, d, sizeof d, &n), 0);
	ck_assert_uint_eq(n, sizeof d);
	ck_assert_int_eq(lc_crypto_message_type(d, n),
			 LC_MSG_SENDER_KEY_DISTRIBUTION);
	ck_assert_int_eq(lc_sender_key_from_distribution(&r, d, n, NULL), 0);
	ck_assert_uint_eq(lc_sender_key_id(r), lc_sender_key_id(own));
	return r;
}

static uint8_t *gseal(lc_sender_key *sk, const char *pt, size_t *n)
{
	size_t len = strlen(pt);
	uint8_t *m = malloc(len + LC_SENDER_KEY_OVERHEAD);

	ck_assert_int_eq(lc_sender_key_encrypt(sk, (const uint8_t *)pt, len, m,
					       len + LC_SENDER_KEY_OVERHEAD, n),
			 0);
	ck_assert_uint_eq(*n, len + LC_SENDER_KEY_OVERHEAD);
	ck_assert_int_eq(lc_crypto_message_type(m, *n), LC_MSG_SENDER_KEY);
	return m;
}

static int gopen(lc_sender_key *sk, const uint8_t *m, size_t n,
		 const char *want)
{
	uint8_t pt[256];
	size_t ptn;
	int rv = lc_sender_key_decrypt(sk, m, n, pt, sizeof pt, &ptn);

	if (rv == 0) {
		ck_assert_uint_eq(ptn, strlen(want));
		ck_assert_mem_eq(pt, want, ptn);
	}
	return rv;
}

static uint8_t *gsnap(const lc_sender_key *sk, size_t *n)
{
	size_t cap = lc_sender_key_serialized_size(sk);
	uint8_t *b = malloc(cap);

	ck_assert_int_eq(lc_sender_key_serialize(sk, b, cap, n), 0);
	ck_assert_uint_eq(*n, cap);
	return b;
}

START_TEST(group_round_trip_unordered)
{
	lc_sender_key *alice, *bob, *carol;
	uint8_t *m[50];
	size_t n[50];
	char pt[16];
	int order[50];
	lc_test_rng r;

	ck_assert_int_eq(lc_sender_key_new(&alice, NULL, NULL), 0);
	bob = receiver_of(alice);
	carol = receiver_of(alice);
	for (int i = 0; i < 50; i++) {
		snprintf(pt, sizeof pt, "msg %d", i);
		m[i] = gseal(alice, pt, &n[i]);
	}
	/* Bob in order; Carol shuffled, with every message twice. */
	for (int i = 0; i < 50; i++) {
		snprintf(pt, sizeof pt, "msg %d", i);
		ck_assert_int_eq(gopen(bob, m[i], n[i], pt), 0);
	}
	lc_test_rng_seed(&r, 3);
	for (int i = 0; i < 50; i++)
		order[i] = i;
	for (int i = 49; i > 0; i--) {
		int j = (int)lc_test_rng_below(&r, (uint64_t)i + 1);
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int k = 0; k < 50; k++) {
		int i = order[k];
		uint32_t id;
		snprintf(pt, sizeof pt, "msg %d", i);
		ck_assert_int_eq(lc_sender_key_message_id(m[i], n[i], &id), 0);
		ck_assert_uint_eq(id, lc_sender_key_id(alice));
		ck_assert_int_eq(gopen(carol, m[i], n[i], pt), 0);
	}
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(gopen(carol, m[i], n[i], "?"),
				 LC_ERR_DUPLICATE_MESSAGE);
		ck_assert_int_eq(gopen(bob, m[i], n[i], "?"),
				 LC_ERR_DUPLICATE_MESSAGE);
		free(m[i]);
	}
	/* A receiving key cannot encrypt or distribute. */
	ck_assert_int_eq(lc_sender_key_encrypt(bob, (const uint8_t *)"x", 1,
					       (uint8_t[128]){ 0 }, 128, n),
			 LC_ERR_INVALID_STATE);
	lc_sender_key_free(alice);
	lc_sender_key_free(bob);
	lc_sender_key_free(carol);
	lc_sender_key_free(NULL);
}
END_TEST

START_TEST(group_skip_bound_and_late_joiner)
{
	lc_sender_key *alice, *bob, *dave;
	uint8_t *m[14];
	size_t n[14];

	ck_assert_int_eq(lc_sender_key_new(&alice, NULL, NULL), 0);
	bob = receiver_of(alice);
	ck_assert_int_eq(lc_sender_key_set_max_skip(bob, 0), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_sender_key_set_max_skip(bob, 10), 0);
	for (int i = 0; i < 14; i++)
		m[i] = gseal(alice, "x", &n[i]);
	ck_assert_int_eq(gopen(bob, m[11], n[11], "x"), LC_ERR_TOO_MANY_SKIPPED);
	ck_assert_int_eq(gopen(bob, m[10], n[10], "x"), 0);
	ck_assert_int_eq(gopen(bob, m[0], n[0], "x"), 0);
	ck_assert_int_eq(gopen(bob, m[13], n[13], "x"), 0);
	/* 9 + 2 skipped, capped at 10: the oldest (m[1]) is gone. */
	ck_assert_int_ne(gopen(bob, m[1], n[1], "x"), 0);
	ck_assert_int_eq(gopen(bob, m[2], n[2], "x"), 0);
	ck_assert_int_eq(gopen(bob, m[12], n[12], "x"), 0);
	/* Dave joins now: earlier messages stay closed to him. */
	dave = receiver_of(alice);
	ck_assert_int_eq(gopen(dave, m[5], n[5], "x"),
			 LC_ERR_DUPLICATE_MESSAGE);
	for (int i = 0; i < 14; i++)
		free(m[i]);
	m[0] = gseal(alice, "later", &n[0]);
	ck_assert_int_eq(gopen(dave, m[0], n[0], "later"), 0);
	free(m[0]);
	lc_sender_key_free(alice);
	lc_sender_key_free(bob);
	lc_sender_key_free(dave);
}
END_TEST

START_TEST(group_tampering_rejected)
{
	lc_sender_key *alice, *bob, *other;
	uint8_t *m, *before, *after;
	size_t n, bn, an;

	ck_assert_int_eq(lc_sender_key_new(&alice, NULL, NULL), 0);
	ck_assert_int_eq(lc_sender_key_new(&other, NULL, NULL), 0);
	bob = receiver_of(alice);
	m = gseal(alice, "signed and sealed", &n);
	before = gsnap(bob, &bn);
	for (size_t bit = 0; bit < n * 8; bit++) {
		int rv;
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rv = gopen(bob, m, n, "signed and sealed");
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ck_assert_msg(rv != 0, "bit %zu accepted", bit);
		if (bit >= 40)  /* past the kind byte and key id */
			ck_assert_int_eq(rv, LC_ERR_BAD_SIGNATURE);
	}
	after = gsnap(bob, &an);
	ck_assert_uint_eq(an, bn);
	ck_assert_mem_eq(before, after, bn);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_ne(gopen(bob, m, i, "signed and sealed"), 0);
	/* Another sender's key. */
	ck_assert_int_eq(gopen(other, m, n, "signed and sealed"),
			 LC_ERR_NO_SESSION);
	ck_assert_int_eq(gopen(bob, m, n, "signed and sealed"), 0);
	free(m);
	free(before);
	free(after);
	lc_sender_key_free(alice);
	lc_sender_key_free(bob);
	lc_sender_key_free(other);
}
END_TEST

START_TEST(group_removed_member_locked_out)
{
	lc_sender_key *a, *b, *a_at_b, *a_at_c, *b_at_a, *b_at_c;
	lc_sender_key *a2, *b2, *a2_at_b, *b2_at_a;
	lc_sender_key *c_keys[2];
	uint8_t *m;
	size_t n;

	ck_assert_int_eq(lc_sender_key_new(&a, NULL, NULL), 0);
	ck_assert_int_eq(lc_sender_key_new(&b, NULL, NULL), 0);
	a_at_b = receiver_of(a);
	a_at_c = receiver_of(a);
	b_at_a = receiver_of(b);
	b_at_c = receiver_of(b);
	m = gseal(a, "before removal", &n);
	ck_assert_int_eq(gopen(a_at_b, m, n, "before removal"), 0);
	ck_assert_int_eq(gopen(a_at_c, m, n, "before removal"), 0);
	free(m);

	/* C is removed: A and B make fresh keys and send them to each
	 * other only. */
	ck_assert_int_eq(lc_sender_key_new(&a2, NULL, NULL), 0);
	ck_assert_int_eq(lc_sender_key_new(&b2, NULL, NULL), 0);
	a2_at_b = receiver_of(a2);
	b2_at_a = receiver_of(b2);
	c_keys[0] = a_at_c;
	c_keys[1] = b_at_c;

	m = gseal(a2, "after removal", &n);
	ck_assert_int_eq(gopen(a2_at_b, m, n, "after removal"), 0);
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(gopen(c_keys[k], m, n, "after removal"),
				 LC_ERR_NO_SESSION);
		/* Relabelled with the old key id: the signature fails. */
		m[1] = (uint8_t)(lc_sender_key_id(c_keys[k]) >> 24);
		m[2] = (uint8_t)(lc_sender_key_id(c_keys[k]) >> 16);
		m[3] = (uint8_t)(lc_sender_key_id(c_keys[k]) >> 8);
		m[4] = (uint8_t)lc_sender_key_id(c_keys[k]);
		ck_assert_int_eq(gopen(c_keys[k], m, n, "after removal"),
				 LC_ERR_BAD_SIGNATURE);
	}
	free(m);
	m = gseal(b2, "b after", &n);
	ck_assert_int_eq(gopen(b2_at_a, m, n, "b after"), 0);
	ck_assert_int_eq(gopen(b_at_c, m, n, "b after"), LC_ERR_NO_SESSION);
	free(m);
	lc_sender_key_free(a);
	lc_sender_key_free(b);
	lc_sender_key_free(a2);
	lc_sender_key_free(b2);
	lc_sender_key_free(a_at_b);
	lc_sender_key_free(a_at_c);
	lc_sender_key_free(b_at_a);
	lc_sender_key_free(b_at_c);
	lc_sender_key_free(a2_at_b);
	lc_sender_key_free(b2_at_a);
}
END_TEST

START_TEST(group_serialise_and_distribution_checks)
{
	lc_sender_key *a, *b, *t;
	uint8_t *m[4], *s, *s2, d[LC_SENDER_KEY_DISTRIBUTION_LEN + 1];
	size_t n[4], sn, sn2, dn;

	ck_assert_int_eq(lc_sender_key_new(&a, NULL, NULL), 0);
	b = receiver_of(a);
	for (int i = 0; i < 4; i++)
		m[i] = gseal(a, "x", &n[i]);
	ck_assert_int_eq(gopen(b, m[2], n[2], "x"), 0);
	for (int own = 0; own < 2; own++) {
		lc_sender_key *k = own ? a : b;

		s = gsnap(k, &sn);
		for (size_t i = 0; i < sn; i++) {
			ck_assert_int_eq(lc_sender_key_parse(&t, s, i, NULL),
					 LC_ERR_MALFORMED);
			ck_assert_ptr_null(t);
		}
		ck_assert_int_eq(lc_sender_key_parse(&t, s, sn, NULL), 0);
		s2 = gsnap(t, &sn2);
		ck_assert_uint_eq(sn, sn2);
		ck_assert_mem_eq(s, s2, sn);
		if (!own) {
			ck_assert_int_eq(gopen(t, m[0], n[0], "x"), 0);
			ck_assert_int_eq(gopen(t, m[3], n[3], "x"), 0);
		} else {
			free(m[0]);
			m[0] = gseal(t, "y", &n[0]);
			ck_assert_int_eq(gopen(b, m[0], n[0], "y"), 0);
		}
		lc_sender_key_free(t);
		s[0] = 7;
		ck_assert_int_eq(lc_sender_key_parse(&t, s, sn, NULL),
				 LC_ERR_SESSION_VERSION);
		free(s);
		free(s2);
	}
	/* Distribution messages: length, version, signing key. */
	ck_assert_int_eq(lc_sender_key_distribution(a, d, sizeof d - 2, &dn),
			 LC_ERR_BUFFER_TOO_SMALL);
	ck_assert_int_eq(lc_sender_key_distribution(b, d, sizeof d, &dn),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_sender_key_distribution(a, d, sizeof d, &dn), 0);
	ck_assert_int_eq(lc_sender_key_from_distribution(&t, d, dn + 1, NULL),
			 LC_ERR_MALFORMED);
	ck_assert_int_eq(lc_sender_key_from_distribution(&t, d, dn - 1, NULL),
			 LC_ERR_MALFORMED);
	d[0] ^= 0x30;
	ck_assert_int_eq(lc_sender_key_from_distribution(&t, d, dn, NULL),
			 LC_ERR_UNSUPPORTED);
	d[0] ^= 0x30;
	memset(d + 41, 0, 32);
	d[41] = 2;   /* y = 2 is not on the curve */
	ck_assert_int_eq(lc_sender_key_from_distribution(&t, d, dn, NULL),
			 LC_ERR_BAD_KEY);
	ck_assert_ptr_null(t);
	for (int i = 0; i < 4; i++)
		free(m[i]);
	lc_sender_key_free(a);
	lc_sender_key_free(b);
}
END_TEST

/* A stored receiver key whose signing key was damaged on disk into an
 * invalid point still loads (the point was checked when it arrived), but
 * fails closed: every message is refused and the state does not move. */
START_TEST(group_damaged_stored_signing_key_fails_closed)
{
	/* Small order (the neutral element), not on the curve (y = 2: the
	 * test checks libsodium agrees), and non-canonical (y = 2^255 - 1). */
	static const uint8_t bad[3][32] = {
		{ 1 }, { 2 },
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0x7f },
	};
	/* version, own, key id (4), iteration (8), chain key (32). */
	const size_t pk_off = 1 + 1 + 4 + 8 + 32;
	lc_sender_key *a, *b, *t;
	uint8_t *m, *s, *s2;
	size_t n, sn, sn2;

	ck_assert_int_eq(lc_sender_key_new(&a, NULL, NULL), 0);
	b = receiver_of(a);
	m = gseal(a, "x", &n);
	s = gsnap(b, &sn);
	for (int k = 0; k < 3; k++) {
		ck_assert(!crypto_core_ed25519_is_valid_point(bad[k]));
		memcpy(s + pk_off, bad[k], 32);
		ck_assert_int_eq(lc_sender_key_parse(&t, s, sn, NULL), 0);
		ck_assert_int_eq(gopen(t, m, n, "x"), LC_ERR_BAD_SIGNATURE);
		s2 = gsnap(t, &sn2);
		ck_assert_uint_eq(sn2, sn);
		ck_assert_mem_eq(s2, s, sn);
		free(s2);
		lc_sender_key_free(t);
	}
	/* The undamaged key opens the same message. */
	ck_assert_int_eq(gopen(b, m, n, "x"), 0);
	free(m);
	free(s);
	lc_sender_key_free(a);
	lc_sender_key_free(b);
}
END_TEST

START_TEST(group_alloc_failures)
{
	uint8_t d[LC_SENDER_KEY_DISTRIBUTION_LEN], *s;
	lc_sender_key *a, *t;
	size_t dn, sn;
	int kinds[3] = { 0, 0, 0 };

	ck_assert_int_eq(lc_sender_key_new(&a, NULL, NULL), 0);
	ck_assert_int_eq(lc_sender_key_distribution(a, d, sizeof d, &dn), 0);
	s = gsnap(a, &sn);
	for (int which = 0; which < 3; which++) {
		for (long k = 1; k < 50; k++) {
			lc_test_alloc ta;
			int rv;

			lc_test_alloc_init(&ta, k);
			t = NULL;
			rv = which == 0 ? lc_sender_key_new(&t, &ta.hooks, NULL)
			   : which == 1 ? lc_sender_key_from_distribution(
						  &t, d, dn, &ta.hooks)
					: lc_sender_key_parse(&t, s, sn, &ta.hooks);
			lc_sender_key_free(t);
			ck_assert_int_eq(ta.live, 0);
			if (rv == 0)
				break;
			ck_assert_int_eq(rv, LC_ERR_NOMEM);
			kinds[which]++;
		}
		ck_assert_int_gt(kinds[which], 0);
	}
	free(s);
	lc_sender_key_free(a);
}
END_TEST

void add_group_tests(Suite *s)
{
	TCase *t = tcase_create("group");

	tcase_add_test(t, group_round_trip_unordered);
	tcase_add_test(t, group_skip_bound_and_late_joiner);
	tcase_add_test(t, group_tampering_rejected);
	tcase_add_test(t, group_removed_member_locked_out);
	tcase_add_test(t, group_serialise_and_distribution_checks);
	tcase_add_test(t, group_damaged_stored_signing_key_fails_closed);
	tcase_add_test(t, group_alloc_failures);
	suite_add_tcase(s, t);
}
