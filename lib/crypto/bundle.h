/* Internal: convert between lc_prekey_bundle and the wire schema's
 * PrekeyBundle, for code that already holds a decoded Envelope. */
#ifndef LC_CRYPTO_BUNDLE_H
#define LC_CRYPTO_BUNDLE_H

#include <libchat/crypto.h>

#include "libchat.pb-c.h"

/* Check and copy a decoded PrekeyBundle; the errors of
 * lc_prekey_bundle_parse() except NOMEM. out is unchanged on error. */
int lc_prekey_bundle_from_pb(const Libchat__PrekeyBundle *m,
			     lc_prekey_bundle *out);

#endif
