/* Fuzz the reader of a queued push's Deliver time (lib/server/pbscan.c),
 * which scans stored Envelope bytes without unpacking them.
 * Invariants: no crash or overread on any bytes (the input as stored
 * push), and for an Envelope this build packs (time from the input's
 * first 8 bytes, the rest as the body) the scan returns exactly that
 * time. */
#include <stdlib.h>
#include <string.h>

#include <libchat/frame.h>

#include "envelope.h"
#include "fuzz.h"
#include "pbscan.h"

static void round_trip(const uint8_t *data, size_t size)
{
	Libchat__Deliver d = LIBCHAT__DELIVER__INIT;
	Libchat__Address from = LIBCHAT__ADDRESS__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	static uint8_t buf[LC_ENVELOPE_MAX];
	uint8_t mid[16] = { 1 };
	uint64_t t = 0, got;
	int n;

	for (size_t i = 0; i < 8 && i < size; i++)
		t = t << 8 | data[i];
	from.user_id = "sender";
	from.device_id = 1;
	d.message_id.data = mid;
	d.message_id.len = sizeof mid;
	d.from = &from;
	d.body.data = (uint8_t *)(size > 8 ? data + 8 : data);
	d.body.len = size > 8 ? size - 8 : 0;
	if (d.body.len > 60000)
		d.body.len = 60000;
	d.server_time_ms = t;
	e.body_case = LIBCHAT__ENVELOPE__BODY_DELIVER;
	e.deliver = &d;
	n = lc_envelope_pack(&e, buf, sizeof buf);
	if (n < 0)
		abort();
	if (lc_pb_deliver_time(buf, (size_t)n, &got) != 0 || got != t) {
		if (t != 0) /* proto3 omits a zero time: nothing to find */
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t t;
	int rc = lc_pb_deliver_time(data, size, &t);

	if (rc != 0 && rc != -1)
		abort();
	round_trip(data, size);
	return 0;
}
