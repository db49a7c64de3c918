/* Fuzz the prekey bundle parser: a parsed bundle must serialise and parse
 * back to the same bundle; anything else is refused with MALFORMED or
 * BAD_KEY. */
#include <stdlib.h>
#include <string.h>

#include <libchat/crypto.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lc_prekey_bundle b, c;
	static uint8_t out[1024];
	size_t n;
	int rv = lc_prekey_bundle_parse(&b, data, size, NULL);

	if (rv == 0) {
		if (lc_prekey_bundle_serialize(&b, out, sizeof out, &n) != 0 ||
		    n != lc_prekey_bundle_serialized_size(&b) ||
		    lc_prekey_bundle_parse(&c, out, n, NULL) != 0 ||
		    memcmp(&b, &c, sizeof b) != 0)
			abort();
		if (b.user_id[LC_BUNDLE_USER_ID_MAX] != '\0' ||
		    (b.has_one_time_prekey != 0 && b.has_one_time_prekey != 1))
			abort();
	} else if (rv != LC_ERR_MALFORMED && rv != LC_ERR_BAD_KEY) {
		abort();
	}
	return 0;
}
