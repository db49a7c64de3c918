/* Fuzz the parser of the plaintext inside every end-to-end message (the
 * protobuf Content, doc/client.md) and the padding around it: what a
 * peer's device sends after decryption. Invariants: no crash, no read out
 * of bounds, every parsed field within its limits, and a parsed content
 * encodes again into bytes that parse to the same content. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "alloc.h"
#include "client_int.h"
#include "fuzz.h"

static int same(const lc_cl_content *a, const lc_client_media *ma,
		const lc_cl_content *b, const lc_client_media *mb)
{
	if (a->kind != b->kind || strcmp(a->hint, b->hint) != 0)
		return 0;
	switch (a->kind) {
	case LC_CL_CONTENT_TEXT:
		return a->text_len == b->text_len &&
		       memcmp(a->text, b->text, a->text_len) == 0;
	case LC_CL_CONTENT_MEDIA:
		return memcmp(ma, mb, sizeof *ma) == 0;
	default:
		return a->skd_len == b->skd_len &&
		       memcmp(a->skd, b->skd, a->skd_len) == 0;
	}
}

static void check(const uint8_t *buf, size_t len)
{
	static lc_client_media m1, m2;
	static uint8_t again[LC_CL_CONTENT_MAX];
	lc_allocator mem;
	lc_cl_content c1, c2;
	Libchat__Content *o1 = NULL, *o2 = NULL;
	size_t n = 0;
	int rc;

	if (lc_alloc_init(&mem, NULL) != 0)
		abort();
	memset(&m1, 0, sizeof m1);
	memset(&m2, 0, sizeof m2);
	rc = lc_cl_content_parse(buf, len, &mem, &c1, &m1, &o1);
	if (rc == LC_ERR_UNSUPPORTED) {
		if (o1 == NULL)
			abort();
		lc_cl_content_free(o1, &mem);
		return;
	}
	if (rc != 0) {
		if (o1 != NULL)
			abort();
		return;
	}
	if (strlen(c1.hint) > LC_CL_UID_MAX ||
	    (c1.kind == LC_CL_CONTENT_TEXT &&
	     (c1.text_len == 0 || c1.text_len > LC_CLIENT_TEXT_MAX ||
	      !lc_utf8_valid((const uint8_t *)c1.text, c1.text_len))) ||
	    (c1.kind == LC_CL_CONTENT_MEDIA && !lc_cl_media_valid(&m1)) ||
	    (c1.kind == LC_CL_CONTENT_SENDER_KEY &&
	     (c1.skd_len == 0 || c1.skd_len > LC_CL_SKD_MAX)))
		abort();
	if (lc_cl_content_encode(&c1, again, sizeof again, &n) != 0 ||
	    lc_cl_content_parse(again, n, &mem, &c2, &m2, &o2) != 0 ||
	    !same(&c1, &m1, &c2, &m2))
		abort();
	lc_cl_content_free(o1, &mem);
	lc_cl_content_free(o2, &mem);
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
