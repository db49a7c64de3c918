/* Deterministic crypto fixtures shared by the crypto fuzz harnesses and the
 * seed generator (gen_crypto_seeds.c): a Double Ratchet session with the
 * genuine messages it can receive, and a sender key with its messages.
 * Everything derives from a fixed seed, so the generator's seeds are
 * genuine messages for the harnesses' sessions. */
#ifndef LC_FUZZ_CRYPTO_FIXTURE_H
#define LC_FUZZ_CRYPTO_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include <libchat/crypto.h>

#define FX_MSGS 12
#define FX_MSG_MAX 256

/* xorshift64* over a state the caller owns. */
static inline void fx_fill(void *buf, size_t len, void *ud)
{
	uint64_t *s = ud;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		*s ^= *s >> 12;
		*s ^= *s << 25;
		*s ^= *s >> 27;
		p[i] = (uint8_t)((*s * 2685821657736338717ull) >> 56);
	}
}

struct fx_msg {
	uint8_t b[FX_MSG_MAX];
	size_t n;
	uint8_t pt[64];
	size_t pt_len;
};

struct fx_ratchet {
	uint8_t snap[4096];     /* Bob's session, before any message below */
	size_t snap_len;
	uint64_t rng_state;     /* Bob's generator state at the snapshot */
	struct fx_msg m[FX_MSGS]; /* Alice's messages to Bob: two chains */
};

static inline void fx_die(int rv)
{
	if (rv != 0)
		abort();
}

static inline void fx_seal(lc_ratchet *s, struct fx_msg *m, unsigned i)
{
	m->pt_len = 1 + (i * 7) % 60;
	memset(m->pt, (int)('a' + i), m->pt_len);
	fx_die(lc_ratchet_encrypt(s, m->pt, m->pt_len, m->b, sizeof m->b,
				  &m->n));
}

static inline void fx_open(lc_ratchet *s, const struct fx_msg *m)
{
	uint8_t pt[FX_MSG_MAX];
	size_t n;

	fx_die(lc_ratchet_decrypt(s, m->b, m->n, pt, sizeof pt, &n));
}

static inline void fx_ratchet_build(struct fx_ratchet *fx)
{
	static uint64_t sa = 1, sb = 2;
	lc_rng ra = { fx_fill, &sa }, rb = { fx_fill, &sb };
	lc_identity *ida, *idb;
	lc_prekeys *pk;
	lc_prekey_bundle bundle;
	lc_ratchet *a, *b;
	struct fx_msg first, reply;
	uint8_t pt[FX_MSG_MAX];
	size_t n;

	sa = 0x1234567887654321ull;
	sb = 0x0fedcba987654321ull;
	fx_die(lc_identity_new(&ida, NULL, &ra));
	fx_die(lc_identity_new(&idb, NULL, &rb));
	fx_die(lc_prekeys_new(&pk, idb, NULL, &rb));
	fx_die(lc_prekeys_generate(pk, 2));
	fx_die(lc_prekeys_bundle(pk, idb, 0, &bundle));
	fx_die(lc_x3dh_initiate(&a, ida, &bundle, NULL, &ra));
	fx_seal(a, &first, 99);
	fx_die(lc_x3dh_respond(&b, idb, pk, first.b, first.n, pt, sizeof pt,
			       &n, NULL, &rb));
	fx_seal(b, &reply, 98);
	fx_open(a, &reply);
	fx_die(lc_ratchet_serialize(b, fx->snap, sizeof fx->snap,
				    &fx->snap_len));
	fx->rng_state = sb;
	/* Chain one; Bob reads it and replies; chain two. */
	for (unsigned i = 0; i < FX_MSGS / 2; i++)
		fx_seal(a, &fx->m[i], i);
	for (unsigned i = 0; i < FX_MSGS / 2; i++)
		fx_open(b, &fx->m[i]);
	fx_seal(b, &reply, 97);
	fx_open(a, &reply);
	for (unsigned i = FX_MSGS / 2; i < FX_MSGS; i++)
		fx_seal(a, &fx->m[i], i);
	lc_ratchet_free(a);
	lc_ratchet_free(b);
	lc_prekeys_free(pk);
	lc_identity_free(ida);
	lc_identity_free(idb);
}

/* Two answered sessions, serialised, with their generators' states. */
struct fx_pair {
	uint8_t snap[2][4096];
	size_t snap_len[2];
	uint64_t rng_state[2];
};

static inline void fx_pair_build(struct fx_pair *fx)
{
	static uint64_t st[2];
	lc_rng r[2] = { { fx_fill, &st[0] }, { fx_fill, &st[1] } };
	lc_identity *id[2];
	lc_prekeys *pk;
	lc_prekey_bundle bundle;
	lc_ratchet *s[2];
	struct fx_msg first, reply;
	uint8_t pt[FX_MSG_MAX];
	size_t n;

	st[0] = 0x1111222233334444ull;
	st[1] = 0x5555666677778888ull;
	fx_die(lc_identity_new(&id[0], NULL, &r[0]));
	fx_die(lc_identity_new(&id[1], NULL, &r[1]));
	fx_die(lc_prekeys_new(&pk, id[1], NULL, &r[1]));
	fx_die(lc_prekeys_generate(pk, 1));
	fx_die(lc_prekeys_bundle(pk, id[1], 0, &bundle));
	fx_die(lc_x3dh_initiate(&s[0], id[0], &bundle, NULL, &r[0]));
	fx_seal(s[0], &first, 1);
	fx_die(lc_x3dh_respond(&s[1], id[1], pk, first.b, first.n, pt,
			       sizeof pt, &n, NULL, &r[1]));
	fx_seal(s[1], &reply, 2);
	fx_open(s[0], &reply);
	for (int i = 0; i < 2; i++) {
		fx_die(lc_ratchet_serialize(s[i], fx->snap[i],
					    sizeof fx->snap[i],
					    &fx->snap_len[i]));
		fx->rng_state[i] = st[i];
		lc_ratchet_free(s[i]);
		lc_identity_free(id[i]);
	}
	lc_prekeys_free(pk);
}

struct fx_group {
	uint8_t dist[LC_SENDER_KEY_DISTRIBUTION_LEN];
	size_t dist_len;
	struct fx_msg m[FX_MSGS];
};

static inline void fx_group_build(struct fx_group *fx)
{
	static uint64_t s;
	lc_rng r = { fx_fill, &s };
	lc_sender_key *own;

	s = 0x5555aaaa3333ccccull;
	fx_die(lc_sender_key_new(&own, NULL, &r));
	fx_die(lc_sender_key_distribution(own, fx->dist, sizeof fx->dist,
					  &fx->dist_len));
	for (unsigned i = 0; i < FX_MSGS; i++) {
		struct fx_msg *m = &fx->m[i];

		m->pt_len = 1 + (i * 5) % 60;
		memset(m->pt, (int)('A' + i), m->pt_len);
		fx_die(lc_sender_key_encrypt(own, m->pt, m->pt_len, m->b,
					     sizeof m->b, &m->n));
	}
	lc_sender_key_free(own);
}

#endif
