/* Internal: Envelope encode/decode over the generated protobuf-c code.
 *
 * The protobuf-c types are never part of the public ABI: client and server
 * sessions use these helpers and expose their own lc_* API. */
#ifndef LC_WIRE_ENVELOPE_H
#define LC_WIRE_ENVELOPE_H

#include <libchat/common.h>

#include "libchat.pb-c.h"

typedef Libchat__Envelope lc_envelope;

/* Decode an Envelope of at most LC_ENVELOPE_MAX bytes.
 * Returns 0 with *out set; or
 *   LC_ERR_FRAME_TOO_LARGE  len > LC_ENVELOPE_MAX (*out NULL);
 *   LC_ERR_MALFORMED        not a valid Envelope, a string field that is
 *                           not UTF-8, or a field numbered 0 (*out NULL);
 *   LC_ERR_UNSUPPORTED      well-formed, but its body is absent or unknown
 *                           to this version; *out IS set so the caller can
 *                           answer its request_id, and must free it;
 *   LC_ERR_NOMEM, LC_ERR_INVALID_ARG.
 * mem may be NULL (default allocator); free with the same mem. */
int lc_envelope_unpack(const uint8_t *buf, size_t len,
		       const lc_allocator *mem, lc_envelope **out);

void lc_envelope_free(lc_envelope *env, const lc_allocator *mem);

/* Packed size of env; larger than LC_ENVELOPE_MAX means it cannot be sent. */
size_t lc_envelope_size(const lc_envelope *env);

/* Encode env into out. Returns the byte count, or LC_ERR_FRAME_TOO_LARGE
 * (over LC_ENVELOPE_MAX), LC_ERR_BUFFER_TOO_SMALL, LC_ERR_INVALID_ARG (no
 * body set). */
int lc_envelope_pack(const lc_envelope *env, uint8_t *out, size_t out_len);

/* 1 when the n bytes at s are well-formed UTF-8 (no overlongs, no
 * surrogates, at most U+10FFFF), else 0. */
int lc_utf8_valid(const uint8_t *s, size_t n);

#endif
