/* Fuzz sender-key decryption against a member's key. The first input byte
 * says how many genuine messages (crypto_fixture.h) the member reads
 * first, in order; the rest is decrypted as one message. Only a genuine
 * message decrypts; a failure leaves the key unchanged. */
#include <stdlib.h>
#include <string.h>

#include "crypto_fixture.h"
#include "fuzz.h"

static struct fx_group fx;
static int ready;

static const struct fx_msg *genuine(const uint8_t *m, size_t n)
{
	for (unsigned i = 0; i < FX_MSGS; i++)
		if (fx.m[i].n == n && memcmp(fx.m[i].b, m, n) == 0)
			return &fx.m[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t before[1 << 16], after[1 << 16], pt[1 << 16];
	const struct fx_msg *g;
	lc_sender_key *k;
	size_t bn, an, ptn;
	int rv;

	if (!ready) {
		fx_group_build(&fx);
		ready = 1;
	}
	if (size < 1 || size - 1 > sizeof pt)
		return 0;
	if (lc_sender_key_from_distribution(&k, fx.dist, fx.dist_len, NULL))
		abort();
	for (unsigned i = 0; i < data[0] % (FX_MSGS + 1); i++)
		if (lc_sender_key_decrypt(k, fx.m[i].b, fx.m[i].n, pt,
					  sizeof pt, &ptn) != 0)
			abort();
	if (lc_sender_key_serialize(k, before, sizeof before, &bn) != 0)
		abort();
	rv = lc_sender_key_decrypt(k, data + 1, size - 1, pt, sizeof pt, &ptn);
	g = genuine(data + 1, size - 1);
	/* A genuine message not yet read must open; one read must not. */
	if (g != NULL && (unsigned)(g - fx.m) >= data[0] % (FX_MSGS + 1) &&
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
		if (rv != LC_ERR_DECRYPT && rv != LC_ERR_UNSUPPORTED &&
		    rv != LC_ERR_NO_SESSION && rv != LC_ERR_BAD_SIGNATURE &&
		    rv != LC_ERR_DUPLICATE_MESSAGE &&
		    rv != LC_ERR_TOO_MANY_SKIPPED)
			abort();
		if (lc_sender_key_serialize(k, after, sizeof after, &an) != 0 ||
		    an != bn || memcmp(before, after, bn) != 0)
			abort();
	}
	lc_sender_key_free(k);
	return 0;
}
