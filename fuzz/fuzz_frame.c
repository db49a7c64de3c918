/* Fuzz the frame decoder and the Envelope parser together, as a server
 * meets them: the first input byte picks prologue mode, the frame limit and
 * how the rest is split into reads; every frame is parsed as an Envelope and
 * a parsed Envelope must re-encode to a parse-equal one. */
#include <stdlib.h>
#include <string.h>

#include <libchat/frame.h>

#include "envelope.h"
#include "fuzz.h"

static void check_envelope(const uint8_t *f, size_t n)
{
	lc_envelope *env = NULL;
	int rv = lc_envelope_unpack(f, n, NULL, &env);

	if (rv == 0) {
		static uint8_t out[LC_ENVELOPE_MAX];
		int m = lc_envelope_pack(env, out, sizeof out);
		lc_envelope *again = NULL;

		/* Re-encoding may differ from the input (unknown fields,
		 * non-canonical varints) but must parse to the same body. */
		if (m > 0 && lc_envelope_unpack(out, (size_t)m, NULL, &again) != 0)
			abort();
		if (m > 0 && (again->body_case != env->body_case ||
			      again->request_id != env->request_id))
			abort();
		lc_envelope_free(again, NULL);
	} else if (rv != LC_ERR_MALFORMED && rv != LC_ERR_UNSUPPORTED &&
		   rv != LC_ERR_FRAME_TOO_LARGE) {
		abort();
	}
	lc_envelope_free(env, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lc_frame_decoder *d;
	size_t pos = 1;
	unsigned ctl;

	if (size < 1)
		return 0;
	ctl = data[0];
	if (lc_frame_decoder_new(&d, (ctl & 1) ? LC_FRAME_EXPECT_PROLOGUE : 0,
				 NULL) != 0)
		return 0;
	if (ctl & 2)
		(void)lc_frame_decoder_set_max(d, 1 + (ctl >> 2) * 64);
	while (pos < size) {
		/* Read sizes cycle through 1, 2, ... to hit every split. */
		size_t chunk = 1 + (pos * 7 + ctl) % 97;
		size_t end = pos + chunk > size ? size : pos + chunk;

		while (pos < end) {
			size_t used;
			const uint8_t *f;
			size_t flen;
			int rv = lc_frame_decode(d, data + pos, end - pos,
						 &used, &f, &flen);
			if (rv < 0) {
				if (!lc_err_is_fatal(rv))
					abort();
				goto done;
			}
			if (used > end - pos)
				abort();
			pos += used;
			if (rv == 1)
				check_envelope(f, flen);
		}
	}
done:
	(void)lc_frame_decoder_finish(d);
	lc_frame_decoder_free(d);
	return 0;
}
