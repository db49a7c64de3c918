/* Fuzz the read-receipt queue as it comes back from the store (the LOCAL
 * blob "reads", lib/client/reads.c): the input is the blob. The session
 * (READY, no connection, so nothing is sent) walks it to build a receipt,
 * then takes an answer that removes the first input[0] % 8 entries of the
 * first entry's sender, and walks it again. Invariants: no crash, no read
 * out of bounds, and afterwards the queue is either gone (a damaged one is
 * dropped) or a sequence of whole, valid entries no larger than before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "client_fixture.h"
#include "fuzz.h"

#define NAME ((const uint8_t *)"reads")

static uint8_t out[LC_STORE_BLOB_MAX];

/* The queue left behind: absent, or whole valid entries. */
static void check(size_t before)
{
	size_t len = 0, off = 0;
	int rc = lc_store_blob_get(S, LC_STORE_BLOB_LOCAL, NAME, 5, out,
				   sizeof out, &len);

	if (rc == LC_ERR_NOT_FOUND)
		return;
	if (rc != 0 || len > before)
		abort();
	while (off < len) {
		size_t ulen;

		if (len - off < 21)
			abort();
		ulen = out[off + 20];
		if (ulen == 0 || ulen > LC_CL_UID_MAX || len - off < 21 + ulen)
			abort();
		off += 21 + ulen;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (C == NULL)
		fixture_open("reads");
	if (size > LC_STORE_BLOB_MAX)
		size = LC_STORE_BLOB_MAX;
	strcpy(C->uid, "me");
	C->dev = 1;
	C->has_account = 1;
	C->state = LC_CLIENT_READY;
	C->reads_busy = 0;
	C->reads_uid[0] = 0;
	C->reads_dev = 0;
	if (size == 0)
		(void)lc_store_blob_delete(S, LC_STORE_BLOB_LOCAL, NAME, 5);
	else if (lc_store_blob_put(S, LC_STORE_BLOB_LOCAL, NAME, 5, data, size))
		abort();
	lc_cl_reads_flush(C, 1700000000000ull); /* builds it, cannot send */
	C->reads_busy = 1;
	C->reads_count = size ? data[0] % 8u : 0;
	lc_cl_reads_answer(C, 0, 1700000000000ull);
	if (C->reads_busy)
		abort(); /* nothing can be in flight without a connection */
	check(size);
	return 0;
}
