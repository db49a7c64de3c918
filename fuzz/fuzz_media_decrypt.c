/* Fuzz media decryption (lib/client/media.c): the chunk framing of a
 * downloaded file, fed in pieces of varying size. The input is the
 * plaintext size (4 bytes), a split seed (1 byte) and the ciphertext
 * (media_fixture.h); the key is fixed and the digest is the ciphertext's
 * own, so the fuzzer reaches the framing behind the digest check.
 * Invariants: no crash or overrun, a success yields exactly the size, and
 * the streaming and one-shot decryptions agree. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "media_fixture.h"

static uint8_t out1[FUZZ_MEDIA_SIZE_MAX + 1], out2[FUZZ_MEDIA_SIZE_MAX + 1];
static uint8_t step_out[2 * LC_MEDIA_CHUNK + 256];

static int streamed(const lc_client_media *m, const uint8_t *ct, size_t len,
		    unsigned seed, size_t *total)
{
	lc_media_stream *s = NULL;
	size_t off = 0, step = 1 + (seed * 7919u) % 70000u;
	int rc = lc_media_decrypt_new(&s, m->size, m->key, m->digest, NULL);

	*total = 0;
	while (rc == 0 && off < len) {
		size_t n = len - off < step ? len - off : step, w = 0;

		rc = lc_media_stream_update(s, ct + off, n, step_out,
					    sizeof step_out, &w);
		if (*total + w > m->size)
			abort();
		memcpy(out1 + *total, step_out, w);
		*total += w;
		off += n;
	}
	if (rc == 0)
		rc = lc_media_stream_final(s, NULL);
	lc_media_stream_free(s);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static lc_client_media m;
	const uint8_t *ct = data + FUZZ_MEDIA_PREFIX;
	size_t len, t1 = 0, t2 = 0;
	int r1, r2;

	if (size < FUZZ_MEDIA_PREFIX || sodium_init() < 0)
		return 0;
	len = size - FUZZ_MEDIA_PREFIX;
	memset(&m, 0, sizeof m);
	m.size = (uint64_t)data[0] << 24 | (uint64_t)data[1] << 16 |
		 (uint64_t)data[2] << 8 | data[3];
	if (m.size > FUZZ_MEDIA_SIZE_MAX)
		return 0;
	memset(m.key, 0x42, sizeof m.key);
	crypto_hash_sha256(m.digest, ct, len);
	r1 = streamed(&m, ct, len, data[4], &t1);
	r2 = lc_media_decrypt(&m, ct, len, out2, sizeof out2, &t2, NULL);
	if ((r1 == 0) != (r2 == 0))
		abort();
	if (r1 == 0 && (t1 != m.size || t2 != m.size ||
			memcmp(out1, out2, t1) != 0))
		abort();
	return 0;
}
