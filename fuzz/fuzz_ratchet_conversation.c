/* Fuzz whole conversations: each input byte is an operation on a pair of
 * live sessions (send either way, deliver a chosen in-flight message and
 * keep or drop it, deliver a tampered copy, serialise and resume a side).
 * Invariants: a message's first delivery opens to its plaintext, whatever
 * the order and losses (sends are capped so the skip bounds are never
 * reached); a repeat or a tampered copy is refused and changes nothing;
 * serialisation round-trips exactly. */
#include <stdlib.h>
#include <string.h>

#include "crypto_fixture.h"
#include "fuzz.h"

#define MAX_SENT 400

struct sent {
	uint8_t b[FX_MSG_MAX];
	size_t n;
	uint8_t pt_len;
	uint8_t fill;
	uint8_t seen;
};

static struct fx_pair fx;
static int ready;
static struct sent sent[MAX_SENT];
static uint16_t q[2][MAX_SENT];
static size_t qn[2], nsent;
static uint64_t st[2];
static lc_rng rng[2] = { { fx_fill, &st[0] }, { fx_fill, &st[1] } };
static uint8_t snap_a[1 << 16], snap_b[1 << 16];

static void conv_send(lc_ratchet *s, int dir, uint8_t arg)
{
	struct sent *m = &sent[nsent];
	uint8_t pt[64];

	m->pt_len = arg % 64;
	m->fill = (uint8_t)nsent;
	m->seen = 0;
	memset(pt, m->fill, m->pt_len);
	if (lc_ratchet_encrypt(s, pt, m->pt_len, m->b, sizeof m->b, &m->n))
		abort();
	q[dir][qn[dir]++] = (uint16_t)nsent++;
}

static void refused_unchanged(lc_ratchet *s, const uint8_t *b, size_t n)
{
	size_t before, after, ptn;
	static uint8_t keep[1 << 16], pt[FX_MSG_MAX];

	if (lc_ratchet_serialize(s, keep, sizeof keep, &before) != 0)
		abort();
	if (lc_ratchet_decrypt(s, b, n, pt, sizeof pt, &ptn) == 0)
		abort();
	if (lc_ratchet_serialize(s, snap_a, sizeof snap_a, &after) != 0 ||
	    after != before || memcmp(keep, snap_a, before) != 0)
		abort();
}

static void deliver(lc_ratchet *to, int dir, uint8_t op, uint8_t arg)
{
	size_t qi = arg % qn[dir];
	struct sent *m = &sent[q[dir][qi]];
	uint8_t pt[FX_MSG_MAX];
	size_t ptn;

	if (m->seen) {
		refused_unchanged(to, m->b, m->n);
	} else {
		if (lc_ratchet_decrypt(to, m->b, m->n, pt, sizeof pt, &ptn))
			abort();
		if (ptn != m->pt_len)
			abort();
		for (size_t i = 0; i < ptn; i++)
			if (pt[i] != m->fill)
				abort();
		m->seen = 1;
	}
	if (op & 0x80)
		return;   /* kept in flight: delivered again later */
	memmove(&q[dir][qi], &q[dir][qi + 1],
		(qn[dir] - qi - 1) * sizeof q[dir][0]);
	qn[dir]--;
}

static void tamper(lc_ratchet *to, int dir, uint8_t arg, uint8_t bit)
{
	struct sent *m = &sent[q[dir][arg % qn[dir]]];
	uint8_t copy[FX_MSG_MAX];

	memcpy(copy, m->b, m->n);
	copy[(arg * 7u + bit) % m->n] ^= (uint8_t)(1u << (bit % 8));
	refused_unchanged(to, copy, m->n);
}

static void resume(lc_ratchet **s, int who)
{
	lc_ratchet *t;
	size_t n, m;

	if (lc_ratchet_serialize(*s, snap_b, sizeof snap_b, &n) != 0 ||
	    lc_ratchet_parse(&t, snap_b, n, NULL, &rng[who]) != 0 ||
	    lc_ratchet_serialize(t, snap_a, sizeof snap_a, &m) != 0 ||
	    m != n || memcmp(snap_a, snap_b, n) != 0)
		abort();
	lc_ratchet_free(*s);
	*s = t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lc_ratchet *s[2];

	if (!ready) {
		fx_pair_build(&fx);
		ready = 1;
	}
	nsent = qn[0] = qn[1] = 0;
	for (int i = 0; i < 2; i++) {
		st[i] = fx.rng_state[i];
		if (lc_ratchet_parse(&s[i], fx.snap[i], fx.snap_len[i], NULL,
				     &rng[i]) != 0)
			abort();
	}
	for (size_t i = 0; i + 1 < size; i += 2) {
		uint8_t op = data[i], arg = data[i + 1];
		int dir = op & 1;   /* 0: A to B, 1: B to A */

		switch ((op >> 1) % 4) {
		case 0:
			if (nsent < MAX_SENT)
				conv_send(s[dir], dir, arg);
			break;
		case 1:
			if (qn[dir] > 0)
				deliver(s[dir ^ 1], dir, op, arg);
			break;
		case 2:
			if (qn[dir] > 0)
				tamper(s[dir ^ 1], dir, arg, op >> 3);
			break;
		default:
			resume(&s[dir], dir);
			break;
		}
	}
	lc_ratchet_free(s[0]);
	lc_ratchet_free(s[1]);
	return 0;
}
