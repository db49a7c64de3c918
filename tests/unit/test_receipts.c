/* Suite "receipts": the delivery-receipt state machine, checked against a
 * reference model on every event sequence up to a length, plus unit cases. */
#include <stdio.h>
#include <string.h>

#include <libchat/error.h>
#include <libchat/receipts.h>

#include "testutil.h"

/* ------------------------------------------------------ reference model */

/* The model keeps the facts it was told rather than a state: the furthest
 * acknowledgement seen, whether a failure is outstanding, whether the
 * device left. The state shown is derived from the facts. */
typedef struct model_dev {
	int acked;  /* 0 none, 1 server stored, 2 device has it, 3 read */
	int failed; /* a failure reported and not yet retried or overtaken */
	int left;
} model_dev;

#define NDEV 3

typedef struct model {
	model_dev d[NDEV];
} model;

enum kind { K_SENT, K_DELIVERED, K_READ, K_FAILED, K_RETRY, K_LEFT, NKIND };

static const int kind_event[NKIND] = {
	LC_RECEIPT_EV_SENT, LC_RECEIPT_EV_DELIVERED, LC_RECEIPT_EV_READ,
	LC_RECEIPT_EV_FAILED, LC_RECEIPT_EV_RETRY, LC_RECEIPT_EV_LEFT,
};

static const char *const kind_name[NKIND] = {
	"sent", "delivered", "read", "failed", "retry", "left",
};

static void model_dev_step(model_dev *m, enum kind k)
{
	if (m->left)
		return; /* a device that left is out of the picture */
	switch (k) {
	case K_SENT:
	case K_DELIVERED:
	case K_READ: {
		int level = k == K_SENT ? 1 : k == K_DELIVERED ? 2 : 3;

		if (level > m->acked)
			m->acked = level;
		m->failed = 0; /* an acknowledgement proves it got through */
		break;
	}
	case K_FAILED:
		/* Only a message nobody has acknowledged can have failed. */
		if (m->acked == 0)
			m->failed = 1;
		break;
	case K_RETRY:
		m->failed = 0;
		break;
	default:
		m->left = 1;
		break;
	}
}

/* The byte the library should hold for m (the documented encoding). */
static uint8_t model_dev_byte(const model_dev *m)
{
	static const uint8_t by_level[4] = {
		LC_RECEIPT_PENDING, LC_RECEIPT_SENT, LC_RECEIPT_DELIVERED,
		LC_RECEIPT_READ,
	};
	uint8_t b = m->failed ? LC_RECEIPT_FAILED : by_level[m->acked];

	return (uint8_t)(b | (m->left ? LC_RECEIPT_LEFT : 0));
}

/* "Delivered when every current member's device has it, read when every
 * one has read it"; any current failure shows as failed. */
static int model_aggregate(const model *m)
{
	int current = 0, all_at[4] = { 1, 1, 1, 1 };

	for (int i = 0; i < NDEV; i++) {
		if (m->d[i].left)
			continue;
		current++;
		if (m->d[i].failed)
			return LC_RECEIPT_FAILED;
		for (int level = 1; level <= 3; level++)
			if (m->d[i].acked < level)
				all_at[level] = 0;
	}
	if (current == 0 || all_at[3])
		return LC_RECEIPT_READ;
	if (all_at[2])
		return LC_RECEIPT_DELIVERED;
	if (all_at[1])
		return LC_RECEIPT_SENT;
	return LC_RECEIPT_PENDING;
}

/* ---------------------------------------------------- exhaustive walk */

/* A symbol of the alphabet: an event kind and its target, a device
 * (0..NDEV-1) or the whole message (NDEV). */
typedef struct symbol {
	enum kind k;
	int target;
} symbol;

typedef struct walk {
	const symbol *alpha;
	size_t nalpha;
	int max_len;
	symbol seq[8];
	unsigned long checked[8]; /* sequences checked, by length */
} walk;

/* Where the library and the model stand after a prefix. */
typedef struct node {
	uint8_t group[NDEV];  /* driven through lc_receipt_group_apply() */
	uint8_t single[NDEV]; /* driven through lc_receipt_apply() */
	model m;
} node;

static void walk_fail(const walk *w, int len, const char *what, long got,
		      long want)
{
	char buf[512];
	size_t o = 0;

	for (int i = 0; i < len && o < sizeof buf - 32; i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%s(%c) ",
				      kind_name[w->seq[i].k],
				      w->seq[i].target == NDEV ?
					      '*' : '0' + w->seq[i].target);
	ck_abort_msg("after [%s]: %s is %ld, expected %ld", buf, what, got,
		     want);
}

#define EXPECT(w, len, what, got, want)                                   \
	do {                                                              \
		long g_ = (long)(got), w_ = (long)(want);                 \
		if (g_ != w_)                                             \
			walk_fail(w, len, what, g_, w_);                  \
	} while (0)

/* Rank of a state along the progress order; failed ranks with pending. */
static int rank(uint8_t b)
{
	int s = b & LC_RECEIPT_STATE_MASK;

	return s == LC_RECEIPT_FAILED ? 0 : s;
}

static void walk_step(walk *w, const node *in, int len)
{
	const symbol *sym = &w->seq[len - 1];
	int ev = kind_event[sym->k];
	size_t index = sym->target == NDEV ? LC_RECEIPT_ALL : (size_t)sym->target;
	int agg_before = model_aggregate(&in->m);
	int single_changed = 0, want, rv;
	node n = *in;
	uint8_t again[NDEV];

	for (int i = 0; i < NDEV; i++)
		if (sym->target == NDEV || sym->target == i)
			model_dev_step(&n.m.d[i], sym->k);

	rv = lc_receipt_group_apply(n.group, NDEV, index, ev);
	for (int i = 0; i < NDEV; i++) {
		if (sym->target != NDEV && sym->target != i)
			continue;
		int r = lc_receipt_apply(&n.single[i], ev);

		EXPECT(w, len, "lc_receipt_apply()", r,
		       model_dev_byte(&n.m.d[i]) != model_dev_byte(&in->m.d[i]));
		single_changed |= r;
	}

	want = 0;
	for (int i = 0; i < NDEV; i++) {
		EXPECT(w, len, "group receipt", n.group[i],
		       model_dev_byte(&n.m.d[i]));
		EXPECT(w, len, "single receipt", n.single[i],
		       model_dev_byte(&n.m.d[i]));
		if (model_dev_byte(&n.m.d[i]) != model_dev_byte(&in->m.d[i]))
			want |= LC_RECEIPT_CHANGED;
		/* Monotonic: an acknowledgement never moves a device back. */
		if (sym->k <= K_READ)
			EXPECT(w, len, "progress went back",
			       rank(n.group[i]) < rank(in->group[i]), 0);
	}
	if (model_aggregate(&n.m) != agg_before)
		want |= LC_RECEIPT_AGGREGATE_CHANGED;
	EXPECT(w, len, "lc_receipt_group_apply()", rv, want);
	EXPECT(w, len, "changed (single vs group)", single_changed,
	       (rv & LC_RECEIPT_CHANGED) != 0);
	EXPECT(w, len, "lc_receipt_aggregate()",
	       lc_receipt_aggregate(n.group, NDEV), model_aggregate(&n.m));

	/* Idempotent: the same event again changes nothing. */
	memcpy(again, n.group, NDEV);
	EXPECT(w, len, "repeated event", lc_receipt_group_apply(again, NDEV,
								 index, ev), 0);
	EXPECT(w, len, "repeated event changed bytes",
	       memcmp(again, n.group, NDEV), 0);

	w->checked[len]++;
	if (len == w->max_len)
		return;
	for (size_t a = 0; a < w->nalpha; a++) {
		w->seq[len] = w->alpha[a];
		walk_step(w, &n, len + 1);
	}
}

/* Check every sequence over alpha of length 1..max_len from all-pending;
 * returns how many were checked. */
static unsigned long walk_all(const symbol *alpha, size_t nalpha, int max_len)
{
	walk w;
	node root;
	unsigned long total = 0;

	memset(&w, 0, sizeof w);
	memset(&root, 0, sizeof root);
	w.alpha = alpha;
	w.nalpha = nalpha;
	w.max_len = max_len;
	ck_assert_int_eq(lc_receipt_aggregate(root.group, NDEV),
			 model_aggregate(&root.m));
	for (size_t a = 0; a < nalpha; a++) {
		w.seq[0] = alpha[a];
		walk_step(&w, &root, 1);
	}
	for (int len = 1; len <= max_len; len++) {
		unsigned long want = 1;

		for (int i = 0; i < len; i++)
			want *= nalpha;
		ck_assert_uint_eq(w.checked[len], want);
		total += w.checked[len];
	}
	printf("receipts: %lu sequences of length 1..%d over %zu events "
	       "match the model\n", total, max_len, nalpha);
	return total;
}

/* The message's events as the client sees them: the server's ack, a send
 * failure and a retry concern the whole message; delivery, read and
 * leaving come from one device. 12 events, every sequence up to 6. */
START_TEST(receipts_exhaustive_message_events)
{
	symbol alpha[3 + 3 * NDEV];
	size_t n = 0;

	alpha[n++] = (symbol){ K_SENT, NDEV };
	alpha[n++] = (symbol){ K_FAILED, NDEV };
	alpha[n++] = (symbol){ K_RETRY, NDEV };
	for (int r = 0; r < NDEV; r++) {
		alpha[n++] = (symbol){ K_DELIVERED, r };
		alpha[n++] = (symbol){ K_READ, r };
		alpha[n++] = (symbol){ K_LEFT, r };
	}
	ck_assert_uint_eq(walk_all(alpha, n, 6), 3257436);
}
END_TEST

/* Every event kind aimed at every device and at the whole message:
 * 24 events, every sequence up to 5. */
START_TEST(receipts_exhaustive_every_event_every_target)
{
	symbol alpha[NKIND * (NDEV + 1)];
	size_t n = 0;

	for (int k = 0; k < NKIND; k++)
		for (int t = 0; t <= NDEV; t++)
			alpha[n++] = (symbol){ (enum kind)k, t };
	ck_assert_uint_eq(walk_all(alpha, n, 5), 8308824);
}
END_TEST

/* ---------------------------------------------------------- unit cases */

static uint8_t after(uint8_t r, int ev, int want_rv)
{
	ck_assert_int_eq(lc_receipt_apply(&r, ev), want_rv);
	return r;
}

START_TEST(receipts_happy_path)
{
	uint8_t r = LC_RECEIPT_PENDING;

	ck_assert_int_eq(lc_receipt_apply(&r, LC_RECEIPT_EV_SENT), 1);
	ck_assert_uint_eq(r, LC_RECEIPT_SENT);
	ck_assert_int_eq(lc_receipt_apply(&r, LC_RECEIPT_EV_DELIVERED), 1);
	ck_assert_uint_eq(r, LC_RECEIPT_DELIVERED);
	ck_assert_int_eq(lc_receipt_apply(&r, LC_RECEIPT_EV_READ), 1);
	ck_assert_uint_eq(r, LC_RECEIPT_READ);
}
END_TEST

START_TEST(receipts_late_and_out_of_order)
{
	/* A late delivered after read changes nothing. */
	ck_assert_uint_eq(after(LC_RECEIPT_READ, LC_RECEIPT_EV_DELIVERED, 0),
			  LC_RECEIPT_READ);
	ck_assert_uint_eq(after(LC_RECEIPT_READ, LC_RECEIPT_EV_SENT, 0),
			  LC_RECEIPT_READ);
	ck_assert_uint_eq(after(LC_RECEIPT_DELIVERED, LC_RECEIPT_EV_SENT, 0),
			  LC_RECEIPT_DELIVERED);
	/* Read before delivered (or before the server's ack) implies them. */
	ck_assert_uint_eq(after(LC_RECEIPT_PENDING, LC_RECEIPT_EV_READ, 1),
			  LC_RECEIPT_READ);
	ck_assert_uint_eq(after(LC_RECEIPT_PENDING, LC_RECEIPT_EV_DELIVERED, 1),
			  LC_RECEIPT_DELIVERED);
	/* Idempotent. */
	ck_assert_uint_eq(after(LC_RECEIPT_SENT, LC_RECEIPT_EV_SENT, 0),
			  LC_RECEIPT_SENT);
	ck_assert_uint_eq(after(LC_RECEIPT_DELIVERED, LC_RECEIPT_EV_DELIVERED, 0),
			  LC_RECEIPT_DELIVERED);
}
END_TEST

START_TEST(receipts_failure_and_retry)
{
	ck_assert_uint_eq(after(LC_RECEIPT_PENDING, LC_RECEIPT_EV_FAILED, 1),
			  LC_RECEIPT_FAILED);
	ck_assert_uint_eq(after(LC_RECEIPT_FAILED, LC_RECEIPT_EV_FAILED, 0),
			  LC_RECEIPT_FAILED);
	ck_assert_uint_eq(after(LC_RECEIPT_FAILED, LC_RECEIPT_EV_RETRY, 1),
			  LC_RECEIPT_PENDING);
	ck_assert_uint_eq(after(LC_RECEIPT_PENDING, LC_RECEIPT_EV_RETRY, 0),
			  LC_RECEIPT_PENDING);
	/* A stale failure after an acknowledgement is ignored... */
	ck_assert_uint_eq(after(LC_RECEIPT_SENT, LC_RECEIPT_EV_FAILED, 0),
			  LC_RECEIPT_SENT);
	ck_assert_uint_eq(after(LC_RECEIPT_READ, LC_RECEIPT_EV_FAILED, 0),
			  LC_RECEIPT_READ);
	ck_assert_uint_eq(after(LC_RECEIPT_SENT, LC_RECEIPT_EV_RETRY, 0),
			  LC_RECEIPT_SENT);
	/* ... and a late acknowledgement overrides a failure. */
	ck_assert_uint_eq(after(LC_RECEIPT_FAILED, LC_RECEIPT_EV_SENT, 1),
			  LC_RECEIPT_SENT);
	ck_assert_uint_eq(after(LC_RECEIPT_FAILED, LC_RECEIPT_EV_READ, 1),
			  LC_RECEIPT_READ);
}
END_TEST

START_TEST(receipts_left_freezes)
{
	uint8_t r = after(LC_RECEIPT_DELIVERED, LC_RECEIPT_EV_LEFT, 1);

	ck_assert_uint_eq(r, LC_RECEIPT_DELIVERED | LC_RECEIPT_LEFT);
	for (int ev = LC_RECEIPT_EV_SENT; ev <= LC_RECEIPT_EV_LEFT; ev++)
		ck_assert_uint_eq(after(r, ev, 0), r);
}
END_TEST

START_TEST(receipts_stable_values)
{
	/* Persisted: these numbers must never change. */
	ck_assert_int_eq(LC_RECEIPT_PENDING, 0);
	ck_assert_int_eq(LC_RECEIPT_SENT, 1);
	ck_assert_int_eq(LC_RECEIPT_DELIVERED, 2);
	ck_assert_int_eq(LC_RECEIPT_READ, 3);
	ck_assert_int_eq(LC_RECEIPT_FAILED, 4);
	ck_assert_uint_eq(LC_RECEIPT_STATE_MASK, 0x07);
	ck_assert_uint_eq(LC_RECEIPT_LEFT, 0x80);
	ck_assert_int_eq(LC_RECEIPT_EV_SENT, 1);
	ck_assert_int_eq(LC_RECEIPT_EV_DELIVERED, 2);
	ck_assert_int_eq(LC_RECEIPT_EV_READ, 3);
	ck_assert_int_eq(LC_RECEIPT_EV_FAILED, 4);
	ck_assert_int_eq(LC_RECEIPT_EV_RETRY, 5);
	ck_assert_int_eq(LC_RECEIPT_EV_LEFT, 6);
}
END_TEST

/* Every byte a disk could hold: valid ones are accepted, the rest refused
 * without being touched, by every entry point. */
START_TEST(receipts_every_byte)
{
	int valid = 0;

	for (int b = 0; b < 256; b++) {
		int s = b & 0x07, want = (b & 0x78) == 0 && s <= 4;
		uint8_t r = (uint8_t)b, arr[2] = { LC_RECEIPT_SENT, (uint8_t)b };

		ck_assert_int_eq(lc_receipt_is_valid((uint8_t)b), want);
		valid += want;
		for (int ev = LC_RECEIPT_EV_SENT; ev <= LC_RECEIPT_EV_LEFT; ev++) {
			int rv = lc_receipt_apply(&r, ev);

			if (!want) {
				ck_assert_int_eq(rv, LC_ERR_INVALID_ARG);
				ck_assert_int_eq(r, b);
				ck_assert_int_eq(lc_receipt_group_apply(
					arr, 2, 0, ev), LC_ERR_INVALID_ARG);
				ck_assert_int_eq(arr[0], LC_RECEIPT_SENT);
			} else {
				ck_assert(rv == 0 || rv == 1);
				ck_assert(lc_receipt_is_valid(r));
				r = (uint8_t)b;
			}
		}
		ck_assert_int_eq(lc_receipt_aggregate(arr, 2) >= 0, want);
	}
	ck_assert_int_eq(valid, 10);
}
END_TEST

START_TEST(receipts_bad_arguments)
{
	uint8_t r = LC_RECEIPT_PENDING, arr[3] = { 0, 0, 0 };

	ck_assert_int_eq(lc_receipt_apply(NULL, LC_RECEIPT_EV_SENT),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_receipt_apply(&r, 0), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_receipt_apply(&r, 7), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_receipt_apply(&r, -1), LC_ERR_INVALID_ARG);
	ck_assert_uint_eq(r, LC_RECEIPT_PENDING);
	ck_assert_int_eq(lc_receipt_aggregate(NULL, 1), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_receipt_group_apply(NULL, 1, 0, LC_RECEIPT_EV_SENT),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_receipt_group_apply(arr, 3, 3, LC_RECEIPT_EV_SENT),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_receipt_group_apply(arr, 3, 0, 0),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_receipt_group_apply(arr, 0, 0, LC_RECEIPT_EV_SENT),
			 LC_ERR_INVALID_ARG);
	ck_assert_uint_eq(arr[0] | arr[1] | arr[2], 0);
	/* No receipts: nothing to change, and vacuously read. */
	ck_assert_int_eq(lc_receipt_group_apply(NULL, 0, LC_RECEIPT_ALL,
						LC_RECEIPT_EV_SENT), 0);
	ck_assert_int_eq(lc_receipt_aggregate(NULL, 0), LC_RECEIPT_READ);
}
END_TEST

START_TEST(receipts_group_aggregate)
{
	uint8_t g[4] = { 0, 0, 0, 0 };
	int both = LC_RECEIPT_CHANGED | LC_RECEIPT_AGGREGATE_CHANGED;

	ck_assert_int_eq(lc_receipt_aggregate(g, 4), LC_RECEIPT_PENDING);
	ck_assert_int_eq(lc_receipt_group_apply(g, 4, LC_RECEIPT_ALL,
						LC_RECEIPT_EV_SENT), both);
	ck_assert_int_eq(lc_receipt_aggregate(g, 4), LC_RECEIPT_SENT);
	/* Three of four devices read it: still sent. */
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(lc_receipt_group_apply(g, 4, i,
			LC_RECEIPT_EV_READ), LC_RECEIPT_CHANGED);
	ck_assert_int_eq(lc_receipt_aggregate(g, 4), LC_RECEIPT_SENT);
	/* The last one has it: delivered to all; reads it: read by all. */
	ck_assert_int_eq(lc_receipt_group_apply(g, 4, 3,
		LC_RECEIPT_EV_DELIVERED), both);
	ck_assert_int_eq(lc_receipt_aggregate(g, 4), LC_RECEIPT_DELIVERED);
	ck_assert_int_eq(lc_receipt_group_apply(g, 4, 3,
		LC_RECEIPT_EV_DELIVERED), 0);
	ck_assert_int_eq(lc_receipt_group_apply(g, 4, 3, LC_RECEIPT_EV_READ),
			 both);
	ck_assert_int_eq(lc_receipt_aggregate(g, 4), LC_RECEIPT_READ);
}
END_TEST

START_TEST(receipts_group_member_leaves)
{
	uint8_t g[3] = { LC_RECEIPT_READ, LC_RECEIPT_READ, LC_RECEIPT_SENT };

	ck_assert_int_eq(lc_receipt_aggregate(g, 3), LC_RECEIPT_SENT);
	/* The laggard leaves: everyone who still counts has read it. */
	ck_assert_int_eq(lc_receipt_group_apply(g, 3, 2, LC_RECEIPT_EV_LEFT),
			 LC_RECEIPT_CHANGED | LC_RECEIPT_AGGREGATE_CHANGED);
	ck_assert_int_eq(lc_receipt_aggregate(g, 3), LC_RECEIPT_READ);
	/* Its late receipts no longer change anything. */
	ck_assert_int_eq(lc_receipt_group_apply(g, 3, 2, LC_RECEIPT_EV_READ), 0);
	ck_assert_uint_eq(g[2], LC_RECEIPT_SENT | LC_RECEIPT_LEFT);
	/* A failed device counts only while it is a member. */
	g[2] = LC_RECEIPT_FAILED;
	ck_assert_int_eq(lc_receipt_aggregate(g, 3), LC_RECEIPT_FAILED);
	g[2] |= LC_RECEIPT_LEFT;
	ck_assert_int_eq(lc_receipt_aggregate(g, 3), LC_RECEIPT_READ);
	/* Everyone left: vacuously read. */
	g[0] = LC_RECEIPT_PENDING | LC_RECEIPT_LEFT;
	g[1] = LC_RECEIPT_PENDING | LC_RECEIPT_LEFT;
	ck_assert_int_eq(lc_receipt_aggregate(g, 3), LC_RECEIPT_READ);
}
END_TEST

START_TEST(receipts_group_failure)
{
	uint8_t g[2] = { 0, 0 };

	ck_assert_int_eq(lc_receipt_group_apply(g, 2, LC_RECEIPT_ALL,
		LC_RECEIPT_EV_FAILED),
		LC_RECEIPT_CHANGED | LC_RECEIPT_AGGREGATE_CHANGED);
	ck_assert_int_eq(lc_receipt_aggregate(g, 2), LC_RECEIPT_FAILED);
	/* One device's delivery overtakes its failure, the other still
	 * failed: the message shows failed. */
	ck_assert_int_eq(lc_receipt_group_apply(g, 2, 0,
		LC_RECEIPT_EV_DELIVERED), LC_RECEIPT_CHANGED);
	ck_assert_int_eq(lc_receipt_aggregate(g, 2), LC_RECEIPT_FAILED);
	ck_assert_int_eq(lc_receipt_group_apply(g, 2, LC_RECEIPT_ALL,
		LC_RECEIPT_EV_RETRY),
		LC_RECEIPT_CHANGED | LC_RECEIPT_AGGREGATE_CHANGED);
	ck_assert_uint_eq(g[0], LC_RECEIPT_DELIVERED);
	ck_assert_uint_eq(g[1], LC_RECEIPT_PENDING);
	ck_assert_int_eq(lc_receipt_aggregate(g, 2), LC_RECEIPT_PENDING);
}
END_TEST

/* A large group: every device's receipt arrives in a seeded random order,
 * read sometimes before delivered, with duplicates; the aggregate changes
 * exactly when the last device reaches each state. */
START_TEST(receipts_large_group_random_order)
{
	enum { N = 1024 };
	static uint8_t g[N];
	lc_test_rng rng;
	int seen_delivered = 0, seen_read = 0;
	size_t have = 0, read = 0;

	memset(g, 0, sizeof g);
	lc_test_rng_seed(&rng, 0x5ecee1b7);
	ck_assert_int_eq(lc_receipt_group_apply(g, N, LC_RECEIPT_ALL,
		LC_RECEIPT_EV_SENT),
		LC_RECEIPT_CHANGED | LC_RECEIPT_AGGREGATE_CHANGED);
	while (read < N) {
		size_t i = (size_t)lc_test_rng_below(&rng, N);
		int ev = lc_test_rng_below(&rng, 2) ? LC_RECEIPT_EV_READ :
						      LC_RECEIPT_EV_DELIVERED;
		uint8_t old = g[i];
		int rv = lc_receipt_group_apply(g, N, i, ev);

		ck_assert_int_ge(rv, 0);
		ck_assert_int_eq((rv & LC_RECEIPT_CHANGED) != 0, old != g[i]);
		if (old == LC_RECEIPT_SENT && g[i] != old)
			have++;
		if (old != LC_RECEIPT_READ && g[i] == LC_RECEIPT_READ)
			read++;
		if (rv & LC_RECEIPT_AGGREGATE_CHANGED) {
			int agg = lc_receipt_aggregate(g, N);

			if (agg == LC_RECEIPT_DELIVERED) {
				ck_assert_uint_eq(have, N);
				seen_delivered++;
			} else {
				ck_assert_int_eq(agg, LC_RECEIPT_READ);
				ck_assert_uint_eq(read, N);
				seen_read++;
			}
		}
	}
	ck_assert_int_le(seen_delivered, 1);
	ck_assert_int_eq(seen_read, 1);
	ck_assert_int_eq(lc_receipt_aggregate(g, N), LC_RECEIPT_READ);
}
END_TEST

static Suite *receipts_suite(void)
{
	Suite *s = suite_create("receipts");
	TCase *t = tcase_create("unit");

	tcase_add_test(t, receipts_happy_path);
	tcase_add_test(t, receipts_late_and_out_of_order);
	tcase_add_test(t, receipts_failure_and_retry);
	tcase_add_test(t, receipts_left_freezes);
	tcase_add_test(t, receipts_stable_values);
	tcase_add_test(t, receipts_every_byte);
	tcase_add_test(t, receipts_bad_arguments);
	tcase_add_test(t, receipts_group_aggregate);
	tcase_add_test(t, receipts_group_member_leaves);
	tcase_add_test(t, receipts_group_failure);
	tcase_add_test(t, receipts_large_group_random_order);
	suite_add_tcase(s, t);

	t = tcase_create("exhaustive");
	tcase_set_timeout(t, 600);
	tcase_add_test(t, receipts_exhaustive_message_events);
	tcase_add_test(t, receipts_exhaustive_every_event_every_target);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return lc_test_run(receipts_suite());
}
