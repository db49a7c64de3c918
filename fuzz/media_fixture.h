/* The fixed key of the media decrypt harness and its seed generator:
 * an input is the plaintext size (4 bytes, big-endian), a split seed (1
 * byte) and the ciphertext. */
#ifndef LC_FUZZ_MEDIA_FIXTURE_H
#define LC_FUZZ_MEDIA_FIXTURE_H

#include <string.h>

#include <libchat/client.h>

#define FUZZ_MEDIA_PREFIX 5
#define FUZZ_MEDIA_SIZE_MAX 200000u

static void fuzz_media_fill(void *buf, size_t len, void *ud)
{
	(void)ud;
	memset(buf, 0x42, len);
}

static const lc_rng fuzz_media_rng = { fuzz_media_fill, NULL };

#endif
