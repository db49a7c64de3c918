/* Fuzz a WebSocket connection as a peer drives it: the first input byte
 * picks the side (server or client), the message limit and how the rest
 * is split into reads. Whatever arrives, the stream handed to the
 * session is a prologue of 6 bytes then frames of 1 to limit bytes, the
 * connection stops reading after its first error, and writing the
 * session's own stream never fails before a close. */
#include <stdlib.h>
#include <string.h>

#include <libchat/error.h>
#include <libchat/frame.h>

#include "fuzz.h"
#include "ws.h"

/* Check the stream taken so far; *state: bytes of prologue still due
 * (6 down to 0), then the rest of a frame being read. */
typedef struct stream_check {
	size_t prologue_left, frame_left, limit;
	uint8_t hdr[2];
	int hdr_have;
} stream_check;

static void check_stream(stream_check *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s->prologue_left) {
			s->prologue_left--;
		} else if (s->frame_left) {
			s->frame_left--;
		} else {
			s->hdr[s->hdr_have++] = p[i];
			if (s->hdr_have == 2) {
				size_t len = (size_t)s->hdr[0] << 8 | s->hdr[1];

				if (len == 0 || len > s->limit)
					abort();
				s->frame_left = len;
				s->hdr_have = 0;
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const lc_ws_policy pol = { "/v1/ws", NULL };
	const uint8_t key[LC_WS_KEY_LEN] = { 0 };
	stream_check sc = { LC_FRAME_PROLOGUE_LEN, 0, 0, { 0, 0 }, 0 };
	uint8_t mine[LC_FRAME_PROLOGUE_LEN + 2 + 40];
	lc_ws *ws;
	size_t pos = 1, limit;
	unsigned ctl;
	int rc = 0, failed = 0;

	if (size < 1)
		return 0;
	ctl = data[0];
	limit = (ctl & 2) ? 16 + (ctl >> 2) * 8 : 0;
	sc.limit = limit ? limit : LC_FRAME_MAX;
	if ((ctl & 1) ? lc_ws_client_new(&ws, "h:1", "/v1/ws", key, limit)
		      : lc_ws_server_new(&ws, &pol, limit))
		return 0;
	lc_frame_prologue(mine);
	mine[6] = 0;
	mine[7] = 40;
	memset(mine + 8, 0xab, 40);
	if (lc_ws_write_stream(ws, mine, sizeof mine) != 0)
		abort();
	while (pos < size) {
		size_t chunk = 1 + (pos * 13 + ctl) % 301;
		size_t end = pos + chunk > size ? size : pos + chunk;
		const uint8_t *p;
		size_t n;

		rc = lc_ws_recv(ws, data + pos, end - pos);
		while ((n = lc_ws_read_stream(ws, &p)) > 0)
			check_stream(&sc, p, n);
		while ((n = lc_ws_send(ws, &p)) > 0)
			;
		if (failed && rc == 0)
			abort(); /* reading again after an error */
		if (rc != 0) {
			failed = 1;
			if (lc_ws_want_read(ws) || rc != lc_ws_error(ws))
				abort();
		}
		pos = end;
	}
	lc_ws_close(ws, LC_WS_CLOSE_NORMAL);
	{
		const uint8_t *p;

		while (lc_ws_send(ws, &p) > 0)
			;
	}
	lc_ws_free(ws);
	return 0;
}
