/* Fuzz the parsers of stored crypto state (from disk): the first byte
 * picks session, sender key or prekeys; the rest is parsed. The encodings
 * are canonical, so whatever parses must serialise to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include <libchat/crypto.h>

#include "fuzz.h"

static uint8_t out[1 << 20];

static void check(int rv, const size_t *n, const uint8_t *in, size_t len)
{
	if (rv != 0 || *n != len || memcmp(out, in, len) != 0)
		abort();
}

static int refused(int rv)
{
	return rv == LC_ERR_MALFORMED || rv == LC_ERR_SESSION_VERSION;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *in = data + 1;
	size_t len = size - 1, n = 0;
	int rv;

	if (size < 1 || len > sizeof out / 2)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		lc_ratchet *s;
		if ((rv = lc_ratchet_parse(&s, in, len, NULL, NULL)) == 0) {
			check(lc_ratchet_serialize(s, out, sizeof out, &n), &n,
			      in, len);
			lc_ratchet_free(s);
		} else if (!refused(rv)) {
			abort();
		}
		break;
	}
	case 1: {
		lc_sender_key *k;
		if ((rv = lc_sender_key_parse(&k, in, len, NULL)) == 0) {
			check(lc_sender_key_serialize(k, out, sizeof out, &n),
			      &n, in, len);
			lc_sender_key_free(k);
		} else if (!refused(rv)) {
			abort();
		}
		break;
	}
	default: {
		lc_prekeys *p;
		if ((rv = lc_prekeys_parse(&p, in, len, NULL, NULL)) == 0) {
			check(lc_prekeys_serialize(p, out, sizeof out, &n), &n,
			      in, len);
			lc_prekeys_free(p);
		} else if (!refused(rv)) {
			abort();
		}
		break;
	}
	}
	return 0;
}
