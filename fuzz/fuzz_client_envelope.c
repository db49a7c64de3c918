/* Fuzz the client session's handling of what the server sends: the input
 * is a sequence of Envelopes, each with a 2-byte big-endian length, fed as
 * decrypted payloads to a logged-in session that has one request of every
 * kind in flight (request ids 1 to 15). Pushes (Deliver with any body,
 * Receipt, GroupEvent, PresenceUpdate, PrekeysLow) and answers (bundles,
 * groups, presence, media tickets, errors) run their real paths into a
 * real store. Invariants: no crash, no leak, an account always has a
 * valid user id and device, the session waits for no more fetches than it
 * can have in flight, and a ticket given to its callback is usable (a
 * path of printable ASCII starting with '/', a nonzero limit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "client_fixture.h"
#include "fuzz.h"


static void on_ticket(int code, const lc_client_media_ticket *t, void *ud)
{
	(void)ud;
	if ((code == 0) != (t != NULL))
		abort();
	if (t == NULL)
		return;
	if (t->upload_path[0] != '/' || t->max_size == 0 ||
	    strlen(t->upload_path) >= sizeof t->upload_path)
		abort();
	for (const char *p = t->upload_path; *p; p++)
		if (*p <= ' ' || *p > '~')
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (C == NULL)
		fixture_open("client");
	strcpy(C->uid, "me"); /* an Ack to a login or logout changes these */
	C->dev = 1;
	C->has_account = 1;
	C->keys_done = 1;
	C->state = LC_CLIENT_READY;
	C->blocked = 0;
	C->reads_busy = 0;
	C->n_subs = 0;
	memset(C->pend, 0, sizeof C->pend);
	for (int k = 1; k <= LC_CL_REQ_TICKET; k++) {
		lc_cl_pending *p = &C->pend[k - 1];
		p->rid = (uint64_t)k;
		p->kind = k;
		p->deadline = UINT64_MAX;
		memset(p->mid, k, sizeof p->mid);
		strcpy(p->uid, k % 2 ? "peer" : "g:00112233445566778899aabbccddeeff");
		if (k == LC_CL_REQ_TICKET)
			p->tcb = on_ticket;
	}
	while (size >= 2) {
		size_t n = (size_t)data[0] << 8 | data[1];

		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		lc_cl_payload(C, data, n, 1700000000000ull);
		data += n;
		size -= n;
		if (C->blocked < 0 || C->blocked > (int)LC_CLIENT_MAX_PENDING)
			abort();
	}
	if (C->has_account && (!lc_cl_valid_uid(C->uid) || C->dev == 0))
		abort();
	return 0;
}
