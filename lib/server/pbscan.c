/* Reading one field of a packed protobuf message without unpacking it:
 * the Deliver time of a queued push, whose body may be 64 KiB of
 * ciphertext that the core never needs to copy or decode. Stored pushes
 * were packed by this core, but they come from disk: every length is
 * checked. */
#include "pbscan.h"

#include "envelope.h"

static int varint(const uint8_t *p, size_t n, size_t *off, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*off >= n)
			return -1;
		*v |= (uint64_t)(p[*off] & 0x7f) << shift;
		if ((p[(*off)++] & 0x80) == 0)
			return 0;
	}
	return -1;
}

/* The value of varint field `want` in the message p[0..n), or of its
 * length-delimited field `want` as a sub-slice; -1 when absent. Stored
 * pushes were packed by this core, but are read as untrusted bytes. */
static int find_field(const uint8_t *p, size_t n, uint64_t want, int wt,
		      uint64_t *v, lc_slice *sub)
{
	size_t off = 0;
	uint64_t key, len;

	while (off < n) {
		if (varint(p, n, &off, &key))
			return -1;
		switch (key & 7) {
		case 0:
			if (varint(p, n, &off, &len))
				return -1;
			if (wt == 0 && key >> 3 == want) {
				*v = len;
				return 0;
			}
			break;
		case 1:
			if (n - off < 8)
				return -1;
			off += 8;
			break;
		case 2:
			if (varint(p, n, &off, &len) || len > n - off)
				return -1;
			if (wt == 2 && key >> 3 == want) {
				*sub = lc_sl(p + off, (size_t)len);
				return 0;
			}
			off += (size_t)len;
			break;
		case 5:
			if (n - off < 4)
				return -1;
			off += 4;
			break;
		default:
			return -1;
		}
	}
	return -1;
}

int lc_pb_deliver_time(const uint8_t *p, size_t n, uint64_t *t)
{
	lc_slice d;
	uint64_t unused;

	if (find_field(p, n, LIBCHAT__ENVELOPE__BODY_DELIVER, 2, &unused, &d))
		return -1;
	return find_field(d.p, d.n, 6, 0, t, &d);
}

