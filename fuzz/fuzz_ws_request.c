/* Fuzz the WebSocket request-head parser as chatd meets it (with an
 * Origin list), and the client's check of an answer head: every outcome
 * has a status of its own, an answer that fits, and a 101 only with a
 * well-formed Sec-WebSocket-Accept. */
#include <stdlib.h>
#include <string.h>

#include <libchat/error.h>

#include "fuzz.h"
#include "ws.h"

static void check_request(const uint8_t *data, size_t size)
{
	const lc_ws_policy pol = { "/v1/ws", "https://a.example,https://b.example" };
	lc_ws_request r;
	char out[LC_WS_RESPONSE_MAX];
	int rc = lc_ws_request_parse(data, size, &pol, &r);
	size_t n = lc_ws_response(&r, out, sizeof out);

	if (n == 0 || lc_ws_head_len((const uint8_t *)out, n) == 0)
		abort();
	switch (rc) {
	case 0:
		if (r.status != 101 || strlen(r.accept) != LC_WS_ACCEPT_LEN)
			abort();
		break;
	case LC_ERR_MALFORMED:
		if (r.status != 400 && r.status != 405 && r.status != 426)
			abort();
		break;
	case LC_ERR_NOT_FOUND:
		if (r.status != 404)
			abort();
		break;
	case LC_ERR_FORBIDDEN:
		if (r.status != 403)
			abort();
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *acc = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
	size_t hl = lc_ws_head_len(data, size);
	int st = -1, rc;

	check_request(data, size);
	if (hl) {
		check_request(data, hl);
		rc = lc_ws_response_check(data, hl, acc, &st);
		if (rc != 0 && rc != LC_ERR_MALFORMED)
			abort();
		if ((rc == 0 && st != 101) || st < 0 || st > 999)
			abort();
	}
	return 0;
}
