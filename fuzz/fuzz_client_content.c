/* Fuzz the parser of the plaintext inside every end-to-end message (the
 * content, doc/client.md) and the padding around it: what a peer's device
 * sends after decryption. Invariants: no crash, no read out of bounds, a
 * parsed text is UTF-8 within the limits, and re-encoding a parsed text
 * content gives back the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "fuzz.h"

static void check(const uint8_t *buf, size_t len)
{
	const char *hint, *text;
	size_t hl, tl, n;
	int kind;
	static uint8_t again[3 + LC_CL_UID_MAX + LC_CLIENT_TEXT_MAX];
	char chat[LC_CL_UID_MAX + 1];

	if (lc_cl_content_parse(buf, len, &kind, &hint, &hl, &text, &tl) != 0)
		return;
	if (hl > LC_CL_UID_MAX || tl > LC_CLIENT_TEXT_MAX ||
	    !lc_utf8_valid((const uint8_t *)text, tl))
		abort();
	memcpy(chat, hint, hl);
	chat[hl] = 0;
	/* A hint with a NUL inside cannot be re-encoded as a C string. */
	if (memchr(hint, 0, hl) != NULL)
		return;
	if (lc_cl_content_text(hl ? chat : NULL, text, tl, again, sizeof again,
			       &n) != 0 || n != len || memcmp(again, buf, len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n;

	check(data, size);
	/* The same bytes as a padded plaintext. */
	if (lc_unpad(data, size, &n) == 0) {
		if (n > size)
			abort();
		check(data, n);
	}
	return 0;
}
