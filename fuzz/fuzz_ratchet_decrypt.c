/* Fuzz Double Ratchet decryption against a live session. The first input
 * byte says how many of the fixture's genuine messages (crypto_fixture.h)
 * Bob reads first, in order; the rest is decrypted as one message.
 * Invariants: only a genuine message decrypts, to its plaintext; a failure
 * leaves the session byte-for-byte unchanged and returns a documented code. */
#include <stdlib.h>
#include <string.h>

#include "crypto_fixture.h"
#include "fuzz.h"

static struct fx_ratchet fx;
static int ready;

static const struct fx_msg *genuine(const uint8_t *m, size_t n)
{
	for (unsigned i = 0; i < FX_MSGS; i++)
		if (fx.m[i].n == n && memcmp(fx.m[i].b, m, n) == 0)
			return &fx.m[i];
	return NULL;
}

static int documented(int rv)
{
	return rv == LC_ERR_DECRYPT || rv == LC_ERR_DUPLICATE_MESSAGE ||
	       rv == LC_ERR_TOO_MANY_SKIPPED || rv == LC_ERR_BAD_KEY ||
	       rv == LC_ERR_NO_SESSION || rv == LC_ERR_UNSUPPORTED ||
	       rv == LC_ERR_BUFFER_TOO_SMALL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t before[1 << 17], after[1 << 17], pt[1 << 16];
	uint64_t state;
	lc_rng rng = { fx_fill, &state };
	const struct fx_msg *g;
	size_t bn, an, ptn;
	lc_ratchet *b;
	int rv;

	if (!ready) {
		fx_ratchet_build(&fx);
		ready = 1;
	}
	if (size < 1 || size - 1 > sizeof pt)
		return 0;
	state = fx.rng_state;
	if (lc_ratchet_parse(&b, fx.snap, fx.snap_len, NULL, &rng) != 0)
		abort();
	for (unsigned i = 0; i < data[0] % (FX_MSGS + 1); i++)
		if (lc_ratchet_decrypt(b, fx.m[i].b, fx.m[i].n, pt, sizeof pt,
				       &ptn) != 0)
			abort();
	if (lc_ratchet_serialize(b, before, sizeof before, &bn) != 0)
		abort();
	rv = lc_ratchet_decrypt(b, data + 1, size - 1, pt, sizeof pt, &ptn);
	g = genuine(data + 1, size - 1);
	/* A genuine message not yet read must open (chain two only once
	 * Bob has read chain one: it answers the key Bob made then); one
	 * read must not. */
	if (g != NULL && (unsigned)(g - fx.m) >= data[0] % (FX_MSGS + 1) &&
	    (g - fx.m < FX_MSGS / 2 || data[0] % (FX_MSGS + 1) >= FX_MSGS / 2) &&
	    rv != 0)
		abort();
	if (g != NULL && (unsigned)(g - fx.m) < data[0] % (FX_MSGS + 1) &&
	    rv != LC_ERR_DUPLICATE_MESSAGE)
		abort();
	if (rv == 0) {
		if (g == NULL || ptn != g->pt_len ||
		    memcmp(pt, g->pt, ptn) != 0)
			abort();
	} else {
		if (!documented(rv))
			abort();
		if (lc_ratchet_serialize(b, after, sizeof after, &an) != 0 ||
		    an != bn || memcmp(before, after, bn) != 0)
			abort();
	}
	lc_ratchet_free(b);
	return 0;
}
