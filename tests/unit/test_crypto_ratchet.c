/* Suite "crypto", Double Ratchet: long lossy conversations, replays, bit
 * flips, wrong sessions, the skipped-key bounds, serialisation, forward
 * secrecy and post-compromise security. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hkdf.h"
#include "internal.h"
#include "test_crypto.h"

/* ------------------------------------------------------- conversations */

struct sent {
	uint8_t *b;
	size_t n;
	uint8_t pt[320];
	size_t pt_len;
	int delivered;
};

struct wire {
	struct sent *m;       /* every message sent, by sequence */
	size_t n, cap;
	size_t q[2][4096];    /* in flight per direction: indices into m */
	size_t qn[2];
};

static void conv_send(struct wire *w, lc_ratchet *s, int dir,
		      lc_test_rng *r)
{
	struct sent *e;

	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 256;
		w->m = realloc(w->m, w->cap * sizeof *w->m);
		ck_assert_ptr_nonnull(w->m);
	}
	e = &w->m[w->n];
	e->pt_len = (size_t)lc_test_rng_below(r, sizeof e->pt);
	lc_test_rng_bytes(r, e->pt, e->pt_len);
	e->delivered = 0;
	e->b = seal(s, e->pt, e->pt_len, &e->n);
	ck_assert_uint_lt(w->qn[dir], 4096);
	w->q[dir][w->qn[dir]++] = w->n++;
}

/* Deliver (or drop) one in-flight message of direction dir. */
static void conv_deliver(struct wire *w, lc_ratchet *to, int dir,
			 lc_test_rng *r, long *stats)
{
	size_t window = w->qn[dir] < 8 ? w->qn[dir] : 8;
	size_t qi = (size_t)lc_test_rng_below(r, window);
	struct sent *e = &w->m[w->q[dir][qi]];
	unsigned roll = (unsigned)lc_test_rng_below(r, 100);
	int rv;

	if (roll < 4 && !e->delivered) {
		stats[0]++;                       /* lost */
	} else {
		rv = open_check(to, e->b, e->n, e->pt, e->pt_len);
		if (e->delivered) {
			ck_assert_msg(rv != 0, "replay accepted");
			stats[2]++;
		} else {
			ck_assert_msg(rv == 0, "message %zu: %s", w->q[dir][qi],
				      lc_strerror(rv));
			e->delivered = 1;
			stats[1]++;
		}
		if (roll < 14)
			return;                   /* stays: a duplicate later */
	}
	memmove(&w->q[dir][qi], &w->q[dir][qi + 1],
		(w->qn[dir] - qi - 1) * sizeof w->q[dir][0]);
	w->qn[dir]--;
}

START_TEST(ratchet_long_conversation)
{
	lc_test_rng r;
	struct wire w;
	long stats[3] = { 0, 0, 0 };
	long resumes = 0;
	pair p;
	lc_ratchet **side[2];

	memset(&w, 0, sizeof w);
	pair_make(&p, 1000 + (uint64_t)_i, _i & 1, 1);
	side[0] = &p.a;
	side[1] = &p.b;
	lc_test_rng_seed(&r, 77 + (uint64_t)_i);
	while (w.n < 4000 || w.qn[0] + w.qn[1] > 0) {
		unsigned roll = (unsigned)lc_test_rng_below(&r, 100);
		/* Bursts: a direction keeps talking for a while. */
		int dir = (int)((w.n / (1 + lc_test_rng_below(&r, 12))) & 1);

		if (w.n < 4000 && roll < 48) {
			conv_send(&w, *side[dir], dir, &r);
		} else if (roll < 98 || w.n >= 4000) {
			if (w.qn[dir] == 0)
				dir ^= 1;
			if (w.qn[dir] > 0)
				conv_deliver(&w, *side[dir ^ 1], dir, &r, stats);
		} else {
			int who = (int)lc_test_rng_below(&r, 2);
			resume(side[who], who ? &p.rb.rng : &p.ra.rng);
			resumes++;
		}
	}
	ck_assert_int_gt(stats[0], 50);
	ck_assert_int_gt(stats[1], 3000);
	ck_assert_int_gt(stats[2], 100);
	ck_assert_int_gt(resumes, 5);
	for (size_t i = 0; i < w.n; i++)
		free(w.m[i].b);
	free(w.m);
	pair_free(&p);
}
END_TEST

/* ------------------------------------------------------------- replays */

START_TEST(ratchet_replay_rejected)
{
	pair p;
	uint8_t *m0, *m1, *m2, *r0;
	size_t n0, n1, n2, rn;

	pair_make(&p, 5, 1, 1);
	m0 = seal(p.a, "m0", 2, &n0);
	m1 = seal(p.a, "m1", 2, &n1);
	m2 = seal(p.a, "m2", 2, &n2);
	/* In the current chain. */
	ck_assert_int_eq(open_check(p.b, m0, n0, "m0", 2), 0);
	ck_assert_int_eq(open_check(p.b, m0, n0, "m0", 2),
			 LC_ERR_DUPLICATE_MESSAGE);
	/* A skipped key, used then replayed. */
	ck_assert_int_eq(open_check(p.b, m2, n2, "m2", 2), 0);
	ck_assert_uint_eq(lc_ratchet_skipped_count(p.b), 1);
	ck_assert_int_eq(open_check(p.b, m1, n1, "m1", 2), 0);
	ck_assert_uint_eq(lc_ratchet_skipped_count(p.b), 0);
	ck_assert_int_eq(open_check(p.b, m1, n1, "m1", 2),
			 LC_ERR_DUPLICATE_MESSAGE);
	/* After a DH ratchet step: a message of an old chain. */
	r0 = seal(p.b, "r0", 2, &rn);
	ck_assert_int_eq(open_check(p.a, r0, rn, "r0", 2), 0);
	free(m0);
	m0 = seal(p.a, "m3", 2, &n0);
	ck_assert_int_eq(open_check(p.b, m0, n0, "m3", 2), 0);
	ck_assert_int_eq(open_check(p.b, m2, n2, "m2", 2),
			 LC_ERR_DUPLICATE_MESSAGE);
	ck_assert_int_eq(open_check(p.a, r0, rn, "r0", 2),
			 LC_ERR_DUPLICATE_MESSAGE);
	free(m0);
	free(m1);
	free(m2);
	free(r0);
	pair_free(&p);
}
END_TEST

/* ------------------------------------------------------------ bit flips */

/* Every flipped bit of msg is refused by s and leaves it unchanged; the
 * intact message then decrypts. */
static void flip_all(lc_ratchet *s, uint8_t *msg, size_t n, const char *pt,
		     size_t pt_len)
{
	size_t before_n, after_n;
	uint8_t *before = snap(s, &before_n), *after;

	for (size_t bit = 0; bit < n * 8; bit++) {
		int rv;

		msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rv = open_check(s, msg, n, pt, pt_len);
		ck_assert_msg(rv != 0, "flipped bit %zu accepted", bit);
		msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	after = snap(s, &after_n);
	ck_assert_uint_eq(before_n, after_n);
	ck_assert_mem_eq(before, after, before_n);
	ck_assert_int_eq(open_check(s, msg, n, pt, pt_len), 0);
	free(before);
	free(after);
}

START_TEST(ratchet_bit_flips_rejected)
{
	pair p;
	uint8_t *m;
	size_t n;

	pair_make(&p, 9, 1, 0);
	/* A later prekey message (X3DH header and ratchet message). */
	m = seal(p.a, "prekey body", 11, &n);
	ck_assert_int_eq(lc_crypto_message_type(m, n), LC_MSG_PREKEY);
	flip_all(p.b, m, n, "prekey body", 11);
	free(m);
	/* A message under a new ratchet key (DH step). */
	m = seal(p.b, "reply", 5, &n);
	flip_all(p.a, m, n, "reply", 5);
	free(m);
	/* A message of the current chain. */
	m = seal(p.b, "same chain", 10, &n);
	flip_all(p.a, m, n, "same chain", 10);
	free(m);
	pair_free(&p);
}
END_TEST

START_TEST(ratchet_wrong_session_rejected)
{
	pair p, q;
	uint8_t *m, *before, *after;
	size_t n, bn, an;

	pair_make(&p, 11, 1, 1);
	pair_make(&q, 12, 1, 1);
	m = seal(p.a, "for p", 5, &n);
	before = snap(q.b, &bn);
	ck_assert_int_eq(open_check(q.b, m, n, "for p", 5), LC_ERR_DECRYPT);
	ck_assert_int_ne(open_check(q.a, m, n, "for p", 5), 0);
	/* Bob's own message back to himself. */
	ck_assert_int_ne(open_check(p.a, m, n, "for p", 5), 0);
	after = snap(q.b, &an);
	ck_assert_uint_eq(bn, an);
	ck_assert_mem_eq(before, after, bn);
	ck_assert_int_eq(open_check(p.b, m, n, "for p", 5), 0);
	free(m);
	free(before);
	free(after);
	pair_free(&p);
	pair_free(&q);
}
END_TEST

START_TEST(ratchet_truncated_and_foreign)
{
	pair p;
	uint8_t *m, pt[64];
	size_t n, ptn;

	pair_make(&p, 13, 0, 1);
	m = seal(p.a, "abc", 3, &n);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_ne(open_check(p.b, m, i, "abc", 3), 0);
	ck_assert_int_eq(lc_ratchet_decrypt(p.b, m, n, pt, 2, &ptn),
			 LC_ERR_BUFFER_TOO_SMALL);
	m[0] = (uint8_t)((LC_CRYPTO_VERSION << 4) | LC_MSG_SENDER_KEY);
	ck_assert_int_eq(open_check(p.b, m, n, "abc", 3), LC_ERR_UNSUPPORTED);
	m[0] = (uint8_t)(((LC_CRYPTO_VERSION + 1) << 4) | LC_MSG_RATCHET);
	ck_assert_int_eq(open_check(p.b, m, n, "abc", 3), LC_ERR_UNSUPPORTED);
	m[0] = (uint8_t)((LC_CRYPTO_VERSION << 4) | LC_MSG_RATCHET);
	ck_assert_int_eq(open_check(p.b, m, n, "abc", 3), 0);
	ck_assert_int_eq(lc_ratchet_encrypt(p.a, pt, 3, m, n - 1, &ptn),
			 LC_ERR_BUFFER_TOO_SMALL);
	ck_assert_int_eq(lc_ratchet_encrypt(p.a, NULL, 3, m, n, &ptn),
			 LC_ERR_INVALID_ARG);
	/* A low-order ratchet key (here the all-zero point) is refused. */
	m[0] = (uint8_t)((LC_CRYPTO_VERSION << 4) | LC_MSG_RATCHET);
	memset(m + 1, 0, 32);
	ck_assert_int_eq(open_check(p.b, m, n, "abc", 3), LC_ERR_BAD_KEY);
	m[1] = 1;   /* the identity point, order 1 */
	ck_assert_int_eq(open_check(p.b, m, n, "abc", 3), LC_ERR_BAD_KEY);
	free(m);
	/* An empty plaintext works. */
	m = seal(p.a, NULL, 0, &n);
	ck_assert_uint_eq(n, LC_RATCHET_OVERHEAD);
	ck_assert_int_eq(lc_ratchet_decrypt(p.b, m, n, NULL, 0, &ptn), 0);
	ck_assert_uint_eq(ptn, 0);
	free(m);
	pair_free(&p);
}
END_TEST

/* --------------------------------------------------------------- bounds */

START_TEST(ratchet_max_skip)
{
	pair p;
	uint8_t *m[14], *r;
	size_t n[14], rn;
	char pt[8];

	pair_make(&p, 21, 1, 1);
	ck_assert_int_eq(lc_ratchet_set_limits(p.b, 0, 10), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_ratchet_set_limits(p.b, 10, 9), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_ratchet_set_limits(p.b, 10, 25), 0);
	for (int i = 0; i < 14; i++) {
		snprintf(pt, sizeof pt, "m%02d", i);
		m[i] = seal(p.a, pt, 3, &n[i]);
	}
	/* In-chain: skipping 11 is refused, 10 accepted. */
	ck_assert_int_eq(open_check(p.b, m[11], n[11], "m11", 3),
			 LC_ERR_TOO_MANY_SKIPPED);
	ck_assert_uint_eq(lc_ratchet_skipped_count(p.b), 0);
	ck_assert_int_eq(open_check(p.b, m[10], n[10], "m10", 3), 0);
	ck_assert_uint_eq(lc_ratchet_skipped_count(p.b), 10);
	ck_assert_int_eq(open_check(p.b, m[3], n[3], "m03", 3), 0);
	ck_assert_uint_eq(lc_ratchet_skipped_count(p.b), 9);

	/* A new chain: N beyond MAX_SKIP is refused. */
	r = seal(p.b, "r", 1, &rn);
	ck_assert_int_eq(open_check(p.a, r, rn, "r", 1), 0);
	free(r);
	for (int i = 0; i < 12; i++) {
		free(m[i]);
		snprintf(pt, sizeof pt, "n%02d", i);
		m[i] = seal(p.a, pt, 3, &n[i]);
	}
	ck_assert_int_eq(open_check(p.b, m[11], n[11], "n11", 3),
			 LC_ERR_TOO_MANY_SKIPPED);
	/* The old chain's unread m11..m13 and 10 of the new chain: 9 + 3 +
	 * 10 = 22 stored, under 25. */
	ck_assert_int_eq(open_check(p.b, m[10], n[10], "n10", 3), 0);
	ck_assert_uint_eq(lc_ratchet_skipped_count(p.b), 22);
	for (int i = 0; i < 14; i++)
		free(m[i]);
	pair_free(&p);
}
END_TEST

START_TEST(ratchet_total_cap_evicts_oldest)
{
	pair p;
	uint8_t *first = NULL, *last = NULL, *m, *r;
	size_t fn = 0, ln = 0, n, rn;

	pair_make(&p, 22, 1, 1);
	ck_assert_int_eq(lc_ratchet_set_limits(p.b, 10, 25), 0);
	/* Four chains, each skipping 8: 32 skipped, 25 kept. */
	for (int chain = 0; chain < 4; chain++) {
		for (int i = 0; i < 8; i++) {
			m = seal(p.a, "s", 1, &n);
			if (chain == 0 && i == 0) {
				first = m;
				fn = n;
			} else if (chain == 3 && i == 7) {
				last = m;
				ln = n;
			} else {
				free(m);
			}
		}
		m = seal(p.a, "t", 1, &n);
		ck_assert_int_eq(open_check(p.b, m, n, "t", 1), 0);
		free(m);
		ck_assert_uint_le(lc_ratchet_skipped_count(p.b), 25);
		r = seal(p.b, "r", 1, &rn);
		ck_assert_int_eq(open_check(p.a, r, rn, "r", 1), 0);
		free(r);
	}
	ck_assert_uint_eq(lc_ratchet_skipped_count(p.b), 25);
	/* The oldest skipped key was evicted, the newest kept. */
	ck_assert_int_ne(open_check(p.b, first, fn, "s", 1), 0);
	ck_assert_int_eq(open_check(p.b, last, ln, "s", 1), 0);
	ck_assert_uint_eq(lc_ratchet_skipped_count(p.b), 24);
	free(first);
	free(last);
	pair_free(&p);
}
END_TEST

/* A hostile header claiming a huge PN on a new chain. */
START_TEST(ratchet_hostile_pn)
{
	pair p;
	uint8_t *m, *r;
	size_t n, rn;

	pair_make(&p, 23, 1, 1);
	m = seal(p.a, "a", 1, &n);
	ck_assert_int_eq(open_check(p.b, m, n, "a", 1), 0);
	free(m);
	r = seal(p.b, "r", 1, &rn);
	ck_assert_int_eq(open_check(p.a, r, rn, "r", 1), 0);
	free(r);
	for (int i = 0; i < LC_MAX_SKIP_DEFAULT + 5; i++) {
		m = seal(p.a, "a", 1, &n);
		free(m);
	}
	r = seal(p.b, "r", 1, &rn);
	ck_assert_int_eq(open_check(p.a, r, rn, "r", 1), 0);
	free(r);
	/* PN = 1006 for a chain B has read 1 of: more than MAX_SKIP. */
	m = seal(p.a, "z", 1, &n);
	ck_assert_int_eq(open_check(p.b, m, n, "z", 1), LC_ERR_TOO_MANY_SKIPPED);
	ck_assert_uint_eq(lc_ratchet_skipped_count(p.b), 0);
	free(m);
	pair_free(&p);
}
END_TEST

/* ------------------------------------------------------- serialisation */

START_TEST(ratchet_serialise_checks)
{
	pair p;
	uint8_t *m, *b, v;
	size_t n, bn;
	lc_ratchet *t;

	pair_make(&p, 31, 1, 1);
	for (int i = 0; i < 3; i++) {
		m = seal(p.a, "x", 1, &n);
		free(m);
	}
	m = seal(p.a, "y", 1, &n);
	ck_assert_int_eq(open_check(p.b, m, n, "y", 1), 0);
	free(m);
	ck_assert_uint_eq(lc_ratchet_skipped_count(p.b), 3);
	b = snap(p.b, &bn);
	ck_assert_int_eq(lc_ratchet_serialize(p.b, b, bn - 1, &n),
			 LC_ERR_BUFFER_TOO_SMALL);
	for (size_t i = 0; i < bn; i++) {
		int rv = lc_ratchet_parse(&t, b, i, NULL, NULL);
		ck_assert_msg(rv == LC_ERR_MALFORMED, "prefix %zu: %d", i, rv);
		ck_assert_ptr_null(t);
	}
	b = realloc(b, bn + 1);
	ck_assert_ptr_nonnull(b);
	b[bn] = 0;
	ck_assert_int_eq(lc_ratchet_parse(&t, b, bn + 1, NULL, NULL),
			 LC_ERR_MALFORMED);
	b[1] |= 0x80;
	ck_assert_int_eq(lc_ratchet_parse(&t, b, bn, NULL, NULL),
			 LC_ERR_MALFORMED);
	b[1] &= 0x7f;
	v = b[0];
	b[0] = 3;
	ck_assert_int_eq(lc_ratchet_parse(&t, b, bn, NULL, NULL),
			 LC_ERR_SESSION_VERSION);
	b[0] = v;
	ck_assert_int_eq(lc_ratchet_parse(&t, b, bn, NULL, NULL), 0);
	lc_ratchet_free(t);
	free(b);
	pair_free(&p);
}
END_TEST

/* Resuming mid-conversation: the resumed session and the original, given
 * the same later messages, produce the same results and states. */
START_TEST(ratchet_resume_exact)
{
	pair p;
	uint8_t *m, *sb, *sc;
	size_t n, bn, cn;
	lc_ratchet *copy;
	test_rng rc;

	pair_make(&p, 32, 1, 1);
	m = seal(p.a, "1", 1, &n);
	free(m);
	sb = snap(p.b, &bn);
	/* Same rng state for both so their next DH keys agree. */
	rc = p.rb;
	rc.rng.user_data = &rc.state;
	ck_assert_int_eq(lc_ratchet_parse(&copy, sb, bn, NULL, &rc.rng), 0);
	free(sb);
	for (int i = 0; i < 4; i++) {
		m = seal(p.a, "2", 1, &n);
		ck_assert_int_eq(open_check(p.b, m, n, "2", 1), 0);
		ck_assert_int_eq(open_check(copy, m, n, "2", 1), 0);
		free(m);
		m = seal(p.b, "3", 1, &n);
		ck_assert_int_eq(open_check(p.a, m, n, "3", 1), 0);
		free(m);
		m = seal(copy, "3", 1, &n);
		free(m);
	}
	sb = snap(p.b, &bn);
	sc = snap(copy, &cn);
	ck_assert_uint_eq(bn, cn);
	ck_assert_mem_eq(sb, sc, bn);
	free(sb);
	free(sc);
	lc_ratchet_free(copy);
	pair_free(&p);
}
END_TEST

/* ------------------------------------------- allocation during decrypt */

START_TEST(ratchet_decrypt_nomem_unchanged)
{
	pair p;
	uint8_t *m, *sb, *sa;
	size_t n, bn, an;
	int fails = 0, done = 0;

	pair_make(&p, 41, 1, 1);
	for (int i = 0; i < 40; i++) {
		m = seal(p.a, "x", 1, &n);
		free(m);
	}
	m = seal(p.a, "y", 1, &n);
	sb = snap(p.b, &bn);
	for (long k = 1; !done && k < 100; k++) {
		lc_test_alloc ta;
		lc_ratchet *t;
		int rv;

		lc_test_alloc_init(&ta, 0);
		ck_assert_int_eq(lc_ratchet_parse(&t, sb, bn, &ta.hooks, NULL),
				 0);
		ta.fail_at = ta.allocs + k;
		rv = open_check(t, m, n, "y", 1);
		if (rv == 0) {
			done = 1;
			ck_assert_uint_eq(lc_ratchet_skipped_count(t), 40);
		} else {
			ck_assert_int_eq(rv, LC_ERR_NOMEM);
			fails++;
			sa = snap(t, &an);
			ck_assert_uint_eq(an, bn);
			ck_assert_mem_eq(sa, sb, bn);
			free(sa);
		}
		lc_ratchet_free(t);
		ck_assert_int_eq(ta.live, 0);
	}
	ck_assert(done);
	ck_assert_int_gt(fails, 0);
	free(m);
	free(sb);
	pair_free(&p);
}
END_TEST

/* ------------------------------------------ forward secrecy, compromise */

/* Try every 32-byte window of state as the message key of msg (A to B),
 * and as a chain key one step before it. Returns how many open it. */
static int windows_opening(const uint8_t *state, size_t sn,
			   const uint8_t *msg, size_t n, const pair *p)
{
	uint8_t ad[LC_X3DH_AD_LEN + LC_RATCHET_HEADER_LEN], mk[32], ck[32];
	uint8_t pt[64];
	size_t ct = n - LC_RATCHET_OVERHEAD;
	int opened = 0;

	memcpy(ad, lc_identity_public_key(p->ida), 32);
	memcpy(ad + 32, lc_identity_public_key(p->idb), 32);
	memcpy(ad + 64, msg, LC_RATCHET_HEADER_LEN);
	for (size_t off = 0; off + 32 <= sn; off++) {
		const uint8_t *keys[2] = { state + off, mk };

		lc_kdf_ck(state + off, mk, ck);
		for (int k = 0; k < 2; k++)
			if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
				    pt, NULL, msg + LC_RATCHET_HEADER_LEN, ct,
				    msg + n - 16, ad, sizeof ad,
				    (const uint8_t[12]){ 0 }, keys[k]) == 0)
				opened++;
	}
	return opened;
}

START_TEST(ratchet_forward_secrecy)
{
	pair p;
	uint8_t *m0, *m1, *m2, *st;
	size_t n0, n1, n2, sn;
	lc_ratchet *old;

	pair_make(&p, 51, 1, 1);
	m0 = seal(p.a, "zero", 4, &n0);
	m1 = seal(p.a, "one", 3, &n1);
	m2 = seal(p.a, "two", 3, &n2);
	ck_assert_int_eq(open_check(p.b, m0, n0, "zero", 4), 0);
	ck_assert_int_eq(open_check(p.b, m2, n2, "two", 3), 0);
	/* Control: while m1 is unread its key is in the state, and the
	 * window search finds it. */
	st = snap(p.b, &sn);
	ck_assert_int_gt(windows_opening(st, sn, m1, n1, &p), 0);
	ck_assert_int_eq(lc_ratchet_parse(&old, st, sn, NULL, NULL), 0);
	free(st);
	ck_assert_int_eq(open_check(p.b, m1, n1, "one", 3), 0);
	/* Once read, no key in the later state opens m0, m1 or m2. */
	st = snap(p.b, &sn);
	ck_assert_int_eq(windows_opening(st, sn, m0, n0, &p), 0);
	ck_assert_int_eq(windows_opening(st, sn, m1, n1, &p), 0);
	ck_assert_int_eq(windows_opening(st, sn, m2, n2, &p), 0);
	ck_assert_int_ne(open_check(p.b, m1, n1, "one", 3), 0);
	/* The older state, captured before, still could. */
	ck_assert_int_eq(open_check(old, m1, n1, "one", 3), 0);
	free(st);
	lc_ratchet_free(old);
	free(m0);
	free(m1);
	free(m2);
	pair_free(&p);
}
END_TEST

/* A thief of the whole state reads the chain it holds, and nothing under a
 * ratchet key of Bob's made after the theft. */
static lc_ratchet *steal(lc_ratchet *s, test_rng *r, uint64_t seed)
{
	lc_ratchet *eve;
	uint8_t *st;
	size_t sn;

	st = snap(s, &sn);
	test_rng_init(r, seed);
	ck_assert_int_eq(lc_ratchet_parse(&eve, st, sn, NULL, &r->rng), 0);
	free(st);
	return eve;
}

START_TEST(ratchet_post_compromise)
{
	pair p;
	test_rng re, rf;
	lc_ratchet *eve, *fay;
	uint8_t *m;
	size_t n;

	pair_make(&p, 61, 1, 1);
	/* Bob has just taken a DH step (its sending half not yet done);
	 * Eve steals his whole state. */
	m = seal(p.a, "a0", 2, &n);
	ck_assert_int_eq(open_check(p.b, m, n, "a0", 2), 0);
	free(m);
	eve = steal(p.b, &re, 666);

	/* She reads the rest of Alice's chain. */
	m = seal(p.a, "a1", 2, &n);
	ck_assert_int_eq(open_check(p.b, m, n, "a1", 2), 0);
	ck_assert_int_eq(open_check(eve, m, n, "a1", 2), 0);
	free(m);
	/* Bob's reply makes his next key pair, after the theft: Fay steals
	 * the state that holds it. */
	m = seal(p.b, "b0", 2, &n);
	ck_assert_int_eq(open_check(p.a, m, n, "b0", 2), 0);
	free(m);
	fay = steal(p.b, &rf, 667);
	m = seal(p.a, "a2", 2, &n);   /* Alice's new key, Bob's b0 key */
	ck_assert_int_eq(open_check(p.b, m, n, "a2", 2), 0);
	ck_assert_int_eq(open_check(eve, m, n, "a2", 2), LC_ERR_DECRYPT);
	ck_assert_int_eq(open_check(fay, m, n, "a2", 2), 0);
	free(m);

	/* Bob replies under a key generated after Fay's theft; from Alice's
	 * next message on, both are locked out. */
	m = seal(p.b, "b1", 2, &n);
	ck_assert_int_eq(open_check(p.a, m, n, "b1", 2), 0);
	free(m);
	for (int i = 0; i < 5; i++) {
		m = seal(p.a, "a3", 2, &n);
		ck_assert_int_eq(open_check(p.b, m, n, "a3", 2), 0);
		ck_assert_int_eq(open_check(eve, m, n, "a3", 2), LC_ERR_DECRYPT);
		ck_assert_int_eq(open_check(fay, m, n, "a3", 2), LC_ERR_DECRYPT);
		free(m);
	}
	lc_ratchet_free(eve);
	lc_ratchet_free(fay);
	pair_free(&p);
}
END_TEST

void add_ratchet_tests(Suite *s)
{
	TCase *t = tcase_create("ratchet");

	tcase_set_timeout(t, 600);
	tcase_add_loop_test(t, ratchet_long_conversation, 0, 4);
	tcase_add_test(t, ratchet_replay_rejected);
	tcase_add_test(t, ratchet_bit_flips_rejected);
	tcase_add_test(t, ratchet_wrong_session_rejected);
	tcase_add_test(t, ratchet_truncated_and_foreign);
	tcase_add_test(t, ratchet_max_skip);
	tcase_add_test(t, ratchet_total_cap_evicts_oldest);
	tcase_add_test(t, ratchet_hostile_pn);
	tcase_add_test(t, ratchet_serialise_checks);
	tcase_add_test(t, ratchet_resume_exact);
	tcase_add_test(t, ratchet_decrypt_nomem_unchanged);
	tcase_add_test(t, ratchet_forward_secrecy);
	tcase_add_test(t, ratchet_post_compromise);
	suite_add_tcase(s, t);
}
