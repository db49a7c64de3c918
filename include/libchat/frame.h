/**
 * @file frame.h
 * @brief The frame codec: prologue and 2-byte length-prefixed frames.
 *
 * A libchat TCP stream is, in each direction, a 6-byte prologue ("LCHAT"
 * followed by the protocol version byte) and then frames. A frame is a
 * 2-byte big-endian length N (1..65535) followed by N bytes: one Noise
 * handshake or transport message (doc/protocol.md). The codec is sans-IO:
 * it never reads or writes a socket; the caller feeds received bytes in and
 * writes encoded bytes out.
 *
 * A frame whose length prefix exceeds the decoder's limit is refused from
 * the prefix alone, before anything is allocated or buffered.
 *
 * @note Thread rules: a decoder is used by one thread at a time; distinct
 *       decoders are independent. The encoding functions are reentrant.
 */
#ifndef LIBCHAT_FRAME_H
#define LIBCHAT_FRAME_H

#include <libchat/common.h>
#include <libchat/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The stream's first bytes, before the version byte. */
#define LC_FRAME_MAGIC "LCHAT"
/** Length of ::LC_FRAME_MAGIC. */
#define LC_FRAME_MAGIC_LEN 5
/** Length of the prologue: magic and one version byte. */
#define LC_FRAME_PROLOGUE_LEN 6
/** Length of a frame's length prefix. */
#define LC_FRAME_HEADER_LEN 2
/** The largest frame payload: the largest Noise message. */
#define LC_FRAME_MAX 65535
/** The largest Envelope: a frame payload less the 16-byte Noise tag. */
#define LC_ENVELOPE_MAX 65519

/** Run-time copies of the size macros, for bindings. */
LC_API size_t lc_frame_max(void);
LC_API size_t lc_envelope_max(void);

/** Decoder flag: the stream starts with the peer's prologue. */
#define LC_FRAME_EXPECT_PROLOGUE 0x1u

/** An incremental frame decoder (opaque). */
typedef struct lc_frame_decoder lc_frame_decoder;

/**
 * @brief Create a decoder.
 * @param[out] out the new decoder, to be freed with lc_frame_decoder_free().
 * @param[in] flags 0 or ::LC_FRAME_EXPECT_PROLOGUE.
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @return 0, or
 *   - ::LC_ERR_INVALID_ARG: @p out is NULL or @p flags has unknown bits;
 *   - ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_frame_decoder_new(lc_frame_decoder **out,
					       unsigned flags,
					       const lc_allocator *mem);

/** @brief Free a decoder and any buffered bytes. NULL is a no-op. */
LC_API void lc_frame_decoder_free(lc_frame_decoder *dec);

/**
 * @brief Set the largest frame payload the decoder accepts.
 * @param[in] dec the decoder.
 * @param[in] max 1 .. ::LC_FRAME_MAX (the default).
 * @return 0, or ::LC_ERR_INVALID_ARG when @p max is outside that range. A
 *         limit can lower the protocol's maximum, never raise it.
 * @note A frame already being buffered is not re-checked.
 */
LC_API int lc_frame_decoder_set_max(lc_frame_decoder *dec, size_t max);

/**
 * @brief Feed received bytes; stop after the first complete frame.
 *
 * Consumes input up to the end of the first frame it completes, or all of
 * it when no frame completes. The caller loops, advancing its input by
 * @p *consumed, until the input is used up:
 * @code
 *   while (len > 0) {
 *       size_t used; const uint8_t *f; size_t flen;
 *       int rv = lc_frame_decode(dec, in, len, &used, &f, &flen);
 *       if (rv < 0) { close the connection; break; }
 *       in += used; len -= used;
 *       if (rv == 1) handle(f, flen);
 *   }
 * @endcode
 *
 * @param[in] dec the decoder.
 * @param[in] in received bytes; may be NULL when @p len is 0.
 * @param[in] len number of bytes at @p in.
 * @param[out] consumed bytes of @p in used by this call.
 * @param[out] frame on return 1: the frame payload. It points into @p in
 *             or into the decoder's buffer and stays valid until the next
 *             call on @p dec or until @p in is released, whichever comes
 *             first. The caller never frees it.
 * @param[out] frame_len on return 1: the payload length (>= 1).
 * @return 1 when a frame is ready, 0 when more input is needed, or a fatal
 *         error after which the decoder returns the same error forever:
 *   - ::LC_ERR_BAD_PROLOGUE: the stream does not start with "LCHAT";
 *   - ::LC_ERR_VERSION: the peer's version is not supported
 *     (lc_frame_decoder_peer_version() tells which it is);
 *   - ::LC_ERR_MALFORMED: a frame of length 0;
 *   - ::LC_ERR_FRAME_TOO_LARGE: a length prefix above the limit;
 *   - ::LC_ERR_NOMEM;
 *   - ::LC_ERR_INVALID_ARG: a NULL output pointer, or @p in NULL with
 *     @p len > 0 (not fatal).
 */
LC_API LC_WARN_UNUSED int lc_frame_decode(lc_frame_decoder *dec,
					  const uint8_t *in, size_t len,
					  size_t *consumed,
					  const uint8_t **frame,
					  size_t *frame_len);

/**
 * @brief Tell the decoder the stream ended (the peer closed).
 * @return 0 when the stream ended on a frame boundary, ::LC_ERR_TRUNCATED
 *         when it ended inside the prologue or a frame, or the decoder's
 *         earlier fatal error.
 */
LC_API int lc_frame_decoder_finish(const lc_frame_decoder *dec);

/**
 * @brief The version byte of the peer's prologue.
 * @return the version (1..255) once the prologue is read, else 0.
 */
LC_API int lc_frame_decoder_peer_version(const lc_frame_decoder *dec);

/**
 * @brief Write this side's prologue.
 * @param[out] out ::LC_FRAME_PROLOGUE_LEN bytes.
 */
LC_API void lc_frame_prologue(uint8_t out[LC_FRAME_PROLOGUE_LEN]);

/**
 * @brief Write a frame's length prefix, for callers that send the header
 *        and the payload from separate buffers (writev).
 * @param[out] out ::LC_FRAME_HEADER_LEN bytes.
 * @param[in] payload_len 1 .. ::LC_FRAME_MAX.
 * @return 0, or ::LC_ERR_INVALID_ARG for a length of 0 and
 *         ::LC_ERR_FRAME_TOO_LARGE above ::LC_FRAME_MAX.
 */
LC_API int lc_frame_header(uint8_t out[LC_FRAME_HEADER_LEN],
			   size_t payload_len);

/**
 * @brief Encode one frame (prefix and payload) into a caller buffer.
 * @param[out] out where to write; @p out_len >= @p len + 2.
 * @param[in] out_len size of @p out.
 * @param[in] payload the frame payload; it may overlap @p out (for example
 *            sit at @p out + 2, to frame in place).
 * @param[in] len 1 .. ::LC_FRAME_MAX.
 * @return the number of bytes written (len + 2), or
 *   - ::LC_ERR_INVALID_ARG: NULL pointers or @p len 0;
 *   - ::LC_ERR_FRAME_TOO_LARGE: @p len above ::LC_FRAME_MAX;
 *   - ::LC_ERR_BUFFER_TOO_SMALL: @p out_len too small.
 */
LC_API int lc_frame_encode(uint8_t *out, size_t out_len,
			   const uint8_t *payload, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAT_FRAME_H */
