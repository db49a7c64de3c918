/**
 * @file noise.h
 * @brief The Noise Protocol Framework (revision 34) and libchat's secure
 *        channel over it.
 *
 * Two levels:
 *
 * - **Noise objects**: lc_noise_handshake (a HandshakeState) and
 *   lc_noise_cipher (a CipherState after Split), for any protocol name
 *   `Noise_<pattern>_25519_<cipher>_<hash>` with cipher ChaChaPoly or
 *   AESGCM (AESGCM only where libsodium reports hardware AES-GCM) and hash
 *   BLAKE2b, SHA256 or SHA512; every one-way, interactive and deferred
 *   pattern of the specification and PSK modifiers (`XXpsk3`,
 *   `NNpsk0+psk2`). DH is X25519.
 * - **The secure channel** lc_noise_conn: libchat's connection security
 *   (doc/protocol.md, "Transport security (Noise)"): the prologue, an XX or
 *   IK handshake with `Noise_XX_25519_ChaChaPoly_BLAKE2b` /
 *   `Noise_IK_25519_ChaChaPoly_BLAKE2b`, server key pinning, then one
 *   Envelope per transport message, all in 2-byte length frames.
 *
 * Everything is sans-IO: no socket, clock or thread. Keys are 32-byte
 * X25519 private keys (any 32 bytes; clamping is part of X25519).
 *
 * @note Thread rules: an object is used by one thread at a time; distinct
 *       objects are independent.
 */
#ifndef LIBCHAT_NOISE_H
#define LIBCHAT_NOISE_H

#include <libchat/common.h>
#include <libchat/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** X25519 key length, private or public; also the PSK length. */
#define LC_NOISE_KEY_LEN 32
/** The AEAD tag added to every encrypted payload. */
#define LC_NOISE_TAG_LEN 16
/** The largest Noise message, handshake or transport. */
#define LC_NOISE_MAX_MESSAGE 65535
/** The largest plaintext of a transport message. */
#define LC_NOISE_MAX_PAYLOAD (LC_NOISE_MAX_MESSAGE - LC_NOISE_TAG_LEN)
/** The largest handshake hash (BLAKE2b, SHA512). */
#define LC_NOISE_MAX_HASH_LEN 64

/** Run-time copies of the size macros, for bindings. */
LC_API size_t lc_noise_key_len(void);
LC_API size_t lc_noise_max_message(void);

/** Handshake roles. */
enum lc_noise_role {
	LC_NOISE_INITIATOR = 0,
	LC_NOISE_RESPONDER = 1
};

/** What a handshake expects next (lc_noise_handshake_action()). */
enum lc_noise_action {
	LC_NOISE_ACTION_NONE = 0,   /**< not started, or failed */
	LC_NOISE_ACTION_WRITE = 1,  /**< call lc_noise_handshake_write() */
	LC_NOISE_ACTION_READ = 2,   /**< call lc_noise_handshake_read() */
	LC_NOISE_ACTION_SPLIT = 3   /**< complete: call lc_noise_handshake_split() */
};

/* ------------------------------------------------------------ handshake */

/** A Noise HandshakeState (opaque). */
typedef struct lc_noise_handshake lc_noise_handshake;
/** A Noise CipherState for transport messages (opaque). */
typedef struct lc_noise_cipher lc_noise_cipher;

/**
 * @brief Create a handshake for a protocol name.
 * @param[out] out the new handshake, freed with lc_noise_handshake_free().
 * @param[in] protocol_name e.g. "Noise_XX_25519_ChaChaPoly_BLAKE2b";
 *            copied.
 * @param[in] role ::LC_NOISE_INITIATOR or ::LC_NOISE_RESPONDER.
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @param[in] rng source of ephemeral keys, copied; NULL for libsodium's.
 * @return 0, or
 *   - ::LC_ERR_INVALID_ARG: @p out or @p protocol_name NULL, a bad role,
 *     @p mem lacks a hook, or @p rng has no fill function;
 *   - ::LC_ERR_NOISE_PATTERN: a name this library does not support
 *     (another DH, AESGCM without hardware support, BLAKE2s, fallback);
 *   - ::LC_ERR_INIT: libsodium failed to initialise;
 *   - ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_noise_handshake_new(lc_noise_handshake **out,
						 const char *protocol_name,
						 int role,
						 const lc_allocator *mem,
						 const lc_rng *rng);

/** @brief Free a handshake, wiping its keys. NULL is a no-op. */
LC_API void lc_noise_handshake_free(lc_noise_handshake *hs);

/**
 * @brief Set the local static key pair from its private key (before start).
 * @param[in] hs the handshake.
 * @param[in] private_key ::LC_NOISE_KEY_LEN bytes, copied.
 * @return 0, ::LC_ERR_INVALID_ARG (NULL) or ::LC_ERR_NOISE_STATE (started).
 */
LC_API int lc_noise_handshake_set_static(lc_noise_handshake *hs,
					 const uint8_t *private_key);

/**
 * @brief Set the peer's static public key of a pre-message (before start):
 *        the responder's key for `NK`, `IK`, `XK`, `K`, ...
 * @return 0, ::LC_ERR_INVALID_ARG (NULL) or ::LC_ERR_NOISE_STATE (started).
 */
LC_API int lc_noise_handshake_set_remote_static(lc_noise_handshake *hs,
						const uint8_t *public_key);

/**
 * @brief Fix the ephemeral private key instead of drawing it (before
 *        start). For test vectors only: a reused ephemeral key destroys
 *        the handshake's security.
 * @return 0, ::LC_ERR_INVALID_ARG (NULL) or ::LC_ERR_NOISE_STATE (started).
 */
LC_API int lc_noise_handshake_set_ephemeral(lc_noise_handshake *hs,
					    const uint8_t *private_key);

/**
 * @brief Add the next pre-shared key (before start). PSKs are used in the
 *        order their `psk` tokens appear in the pattern.
 * @param[in] psk ::LC_NOISE_KEY_LEN bytes, copied.
 * @return 0, ::LC_ERR_INVALID_ARG (NULL, or more PSKs than the pattern
 *         has tokens) or ::LC_ERR_NOISE_STATE (started).
 */
LC_API int lc_noise_handshake_add_psk(lc_noise_handshake *hs,
				      const uint8_t *psk);

/**
 * @brief Initialize(): mix the protocol name, the prologue and the
 *        pre-message keys.
 * @param[in] hs the handshake.
 * @param[in] prologue bytes both sides must agree on; NULL when
 *            @p prologue_len is 0. Not kept.
 * @param[in] prologue_len its length.
 * @return 0, or
 *   - ::LC_ERR_INVALID_ARG: @p prologue NULL with a length;
 *   - ::LC_ERR_NOISE_STATE: started already, or a key the pattern needs
 *     (local static, pre-message remote static, every PSK) is missing, or a
 *     remote static key was given that the pattern does not pre-message.
 */
LC_API LC_WARN_UNUSED int lc_noise_handshake_start(lc_noise_handshake *hs,
						   const uint8_t *prologue,
						   size_t prologue_len);

/**
 * @brief What the handshake expects next.
 * @return one of ::lc_noise_action.
 */
LC_API int lc_noise_handshake_action(const lc_noise_handshake *hs);

/**
 * @brief WriteMessage(): the next handshake message with its payload.
 * @param[in] hs a handshake whose action is ::LC_NOISE_ACTION_WRITE.
 * @param[in] payload may be NULL when @p payload_len is 0.
 * @param[in] payload_len payload length.
 * @param[out] out the message; may not overlap @p payload.
 * @param[in] out_cap size of @p out.
 * @return the message length, or
 *   - ::LC_ERR_INVALID_ARG: NULL pointers;
 *   - ::LC_ERR_NOISE_STATE: not this side's turn to write;
 *   - ::LC_ERR_BUFFER_TOO_SMALL: @p out_cap too small (nothing changed);
 *   - ::LC_ERR_NOISE_BAD_LENGTH: the message would exceed
 *     ::LC_NOISE_MAX_MESSAGE (nothing changed);
 *   - ::LC_ERR_NOISE_BAD_KEY: a DH gave the all-zero output (fatal).
 */
LC_API LC_WARN_UNUSED int lc_noise_handshake_write(lc_noise_handshake *hs,
						   const uint8_t *payload,
						   size_t payload_len,
						   uint8_t *out,
						   size_t out_cap);

/**
 * @brief ReadMessage(): process the peer's handshake message.
 * @param[in] hs a handshake whose action is ::LC_NOISE_ACTION_READ.
 * @param[in] msg the message.
 * @param[in] len its length.
 * @param[out] payload the decrypted payload; must not overlap @p msg.
 * @param[in] payload_cap size of @p payload; @p len always suffices.
 * @return the payload length, or
 *   - ::LC_ERR_INVALID_ARG: NULL pointers;
 *   - ::LC_ERR_NOISE_STATE: not this side's turn to read;
 *   - ::LC_ERR_BUFFER_TOO_SMALL: @p payload_cap too small (nothing changed);
 *   - fatal, after which only lc_noise_handshake_free() is useful:
 *     ::LC_ERR_NOISE_BAD_LENGTH (shorter than the pattern's keys and tag,
 *     or longer than ::LC_NOISE_MAX_MESSAGE), ::LC_ERR_NOISE_DECRYPT (a
 *     key or payload fails authentication), ::LC_ERR_NOISE_BAD_KEY (a
 *     low-order public key).
 */
LC_API LC_WARN_UNUSED int lc_noise_handshake_read(lc_noise_handshake *hs,
						  const uint8_t *msg,
						  size_t len,
						  uint8_t *payload,
						  size_t payload_cap);

/**
 * @brief Split(): the two transport ciphers of a complete handshake.
 * @param[in] hs a handshake whose action is ::LC_NOISE_ACTION_SPLIT.
 * @param[out] send the cipher for messages this side sends.
 * @param[out] recv the cipher for messages it receives. Both are freed
 *             with lc_noise_cipher_free() and outlive @p hs. In one-way
 *             patterns only the initiator's @p send and the responder's
 *             @p recv are meaningful.
 * @return 0, ::LC_ERR_INVALID_ARG, ::LC_ERR_NOISE_STATE (not complete, or
 *         split already) or ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_noise_handshake_split(lc_noise_handshake *hs,
						   lc_noise_cipher **send,
						   lc_noise_cipher **recv);

/**
 * @brief GetHandshakeHash(): the current h (the channel binding once the
 *        handshake is complete).
 * @param[out] out receives the hash length of the protocol (32 or 64).
 * @param[in] cap size of @p out.
 * @return the hash length, ::LC_ERR_INVALID_ARG, ::LC_ERR_NOISE_STATE (not
 *         started) or ::LC_ERR_BUFFER_TOO_SMALL.
 */
LC_API int lc_noise_handshake_hash(const lc_noise_handshake *hs, uint8_t *out,
				   size_t cap);

/**
 * @brief The peer's static public key, once known (pre-message or
 *        received).
 * @param[out] out ::LC_NOISE_KEY_LEN bytes.
 * @return 0, ::LC_ERR_INVALID_ARG or ::LC_ERR_NOISE_STATE (not known).
 */
LC_API int lc_noise_handshake_remote_static(const lc_noise_handshake *hs,
					    uint8_t *out);

/* ---------------------------------------------------------------- cipher */

/**
 * @brief EncryptWithAd() with the cipher's nonce n, then n + 1.
 * @param[in] c the cipher.
 * @param[in] ad associated data; NULL when @p ad_len is 0.
 * @param[in] in plaintext, at most ::LC_NOISE_MAX_PAYLOAD bytes.
 * @param[out] out ciphertext and tag; may equal @p in.
 * @param[in] out_cap at least @p len + ::LC_NOISE_TAG_LEN.
 * @return the ciphertext length, or ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_NOISE_BAD_LENGTH (plaintext too long),
 *         ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_NOISE_NONCE_EXHAUSTED (n
 *         reached 2^64-1, which is reserved; fatal).
 */
LC_API LC_WARN_UNUSED int lc_noise_cipher_encrypt(lc_noise_cipher *c,
						  const uint8_t *ad,
						  size_t ad_len,
						  const uint8_t *in, size_t len,
						  uint8_t *out, size_t out_cap);

/**
 * @brief DecryptWithAd() with the cipher's nonce n; n advances only when
 *        the message authenticates.
 * @param[in] in ciphertext and tag, ::LC_NOISE_TAG_LEN ..
 *            ::LC_NOISE_MAX_MESSAGE bytes.
 * @param[out] out plaintext; may equal @p in.
 * @param[in] out_cap at least @p len - ::LC_NOISE_TAG_LEN.
 * @return the plaintext length, or ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_NOISE_BAD_LENGTH,
 *         ::LC_ERR_NOISE_DECRYPT (bad tag), ::LC_ERR_NOISE_NONCE_EXHAUSTED.
 */
LC_API LC_WARN_UNUSED int lc_noise_cipher_decrypt(lc_noise_cipher *c,
						  const uint8_t *ad,
						  size_t ad_len,
						  const uint8_t *in, size_t len,
						  uint8_t *out, size_t out_cap);

/** @brief Rekey(): k = first 32 bytes of ENCRYPT(k, 2^64-1, "", zeros). */
LC_API void lc_noise_cipher_rekey(lc_noise_cipher *c);

/** @brief The next nonce n. */
LC_API uint64_t lc_noise_cipher_nonce(const lc_noise_cipher *c);

/**
 * @brief SetNonce(), for transports that carry explicit nonces. The
 *        caller owns the rule that no nonce is used twice.
 */
LC_API void lc_noise_cipher_set_nonce(lc_noise_cipher *c, uint64_t n);

/** @brief Free a cipher, wiping its key. NULL is a no-op. */
LC_API void lc_noise_cipher_free(lc_noise_cipher *c);

/* ------------------------------------------------------- secure channel */

/**
 * @defgroup noise_conn The secure channel
 *
 * A connection's security, sans-IO in the style of nghttp2: the caller
 * feeds every received byte to lc_noise_conn_recv(), which hands back one
 * decrypted payload (an Envelope's bytes) per Noise transport message, and
 * writes out whatever lc_noise_conn_output() shows, then tells
 * lc_noise_conn_output_consume() how much it wrote. Payloads to send go in
 * through lc_noise_conn_send() once lc_noise_conn_is_established().
 *
 * The wire format (doc/protocol.md, "Transport security (Noise)"): each
 * side sends the 6-byte prologue; the client then runs
 * `Noise_XX_25519_ChaChaPoly_BLAKE2b` or, when it has pinned the server's
 * key, `Noise_IK_25519_ChaChaPoly_BLAKE2b`, with the client's prologue as
 * the Noise prologue and empty handshake payloads; every handshake and
 * transport message travels in a 2-byte length frame.
 *
 * Any error from lc_noise_conn_recv() or lc_noise_conn_send() other than
 * ::LC_ERR_INVALID_ARG ends the connection: the object returns the same
 * error from then on, lc_noise_conn_want_read() and
 * lc_noise_conn_want_write() return 0, and the caller closes the socket
 * and frees the object. Other connections are not affected.
 * @{
 */

/** A secure channel (opaque). */
typedef struct lc_noise_conn lc_noise_conn;

/** The handshake a connection runs (lc_noise_conn_pattern()). */
enum lc_noise_conn_pattern {
	LC_NOISE_CONN_UNKNOWN = 0, /**< the server has not seen message 1 */
	LC_NOISE_CONN_XX = 1,      /**< Noise_XX_25519_ChaChaPoly_BLAKE2b */
	LC_NOISE_CONN_IK = 2       /**< Noise_IK_25519_ChaChaPoly_BLAKE2b */
};

/** Client flag: run XX although a server key is pinned, and check the
 *  key the server sends against the pin (diagnoses a changed key, which
 *  IK cannot tell from a broken connection). */
#define LC_NOISE_CONN_FORCE_XX 0x1u

/**
 * @brief Create the client side (Noise initiator) of a connection.
 *
 * The prologue and the first handshake message are queued at once
 * (lc_noise_conn_output()); the client does not wait for the server's
 * prologue.
 *
 * @param[out] out the new connection, freed with lc_noise_conn_free().
 * @param[in] static_private the device's static X25519 private key
 *            (::LC_NOISE_KEY_LEN bytes), copied.
 * @param[in] server_public the pinned server static public key
 *            (::LC_NOISE_KEY_LEN bytes, copied), or NULL on first
 *            contact. With a pin the client runs IK, or XX under
 *            ::LC_NOISE_CONN_FORCE_XX; without one it runs XX and
 *            lc_noise_conn_remote_static() then gives the key to pin.
 * @param[in] flags 0 or ::LC_NOISE_CONN_FORCE_XX.
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @param[in] rng source of the ephemeral key, copied; NULL for libsodium's.
 * @return 0, or ::LC_ERR_INVALID_ARG (NULL pointer, unknown flag,
 *         incomplete @p mem), ::LC_ERR_INIT, ::LC_ERR_NOMEM,
 *         ::LC_ERR_NOISE_BAD_KEY (@p server_public is a low-order point).
 */
LC_API LC_WARN_UNUSED int lc_noise_conn_client_new(lc_noise_conn **out,
						   const uint8_t *static_private,
						   const uint8_t *server_public,
						   unsigned flags,
						   const lc_allocator *mem,
						   const lc_rng *rng);

/**
 * @brief Create the server side (Noise responder) of a connection.
 *
 * The prologue is queued at once. The pattern follows from the length of
 * the client's first handshake message (XX: 32 bytes, IK: 96 bytes).
 *
 * @param[out] out the new connection, freed with lc_noise_conn_free().
 * @param[in] static_private the server's static X25519 private key
 *            (::LC_NOISE_KEY_LEN bytes), copied.
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @param[in] rng source of the ephemeral key, copied; NULL for libsodium's.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_INIT, ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_noise_conn_server_new(lc_noise_conn **out,
						   const uint8_t *static_private,
						   const lc_allocator *mem,
						   const lc_rng *rng);

/** @brief Free a connection, wiping its keys. NULL is a no-op. */
LC_API void lc_noise_conn_free(lc_noise_conn *c);

/**
 * @brief Feed received bytes; stop after the first decrypted payload.
 *
 * Handshake messages are consumed internally (answers are queued for
 * output). The caller loops, advancing its input by @p *consumed, until
 * the input is used up, as with lc_frame_decode().
 *
 * @param[in] c the connection.
 * @param[in] in received bytes; NULL when @p len is 0.
 * @param[in] len their count.
 * @param[out] consumed bytes of @p in used.
 * @param[out] payload on return 1: the decrypted payload, in the
 *             connection's buffer, valid until the next call on @p c. The
 *             caller never frees it.
 * @param[out] payload_len on return 1: its length (0 ..
 *             ::LC_NOISE_MAX_PAYLOAD).
 * @return 1 when a payload is ready, 0 when the input is used up, or an
 *         error; every one but ::LC_ERR_INVALID_ARG ends the connection:
 *   - ::LC_ERR_INVALID_ARG: NULL pointers;
 *   - ::LC_ERR_BAD_PROLOGUE, ::LC_ERR_VERSION, ::LC_ERR_MALFORMED: from
 *     the frame layer (lc_frame_decode());
 *   - ::LC_ERR_NOISE_BAD_LENGTH: a handshake message of the wrong length,
 *     or a transport message shorter than the tag;
 *   - ::LC_ERR_NOISE_DECRYPT: a handshake or transport message fails
 *     authentication (a bad tag, a wrong key, a rewritten prologue);
 *   - ::LC_ERR_NOISE_REPLAY: a transport message authenticates, but under
 *     one of the 64 nonces before or after the expected one: replayed,
 *     reordered or dropped messages;
 *   - ::LC_ERR_NOISE_NONCE_EXHAUSTED: a transport message after the
 *     2^64-1 limit;
 *   - ::LC_ERR_NOISE_KEY_MISMATCH: (client, XX) the server's static key
 *     differs from the pinned one;
 *   - ::LC_ERR_NOISE_BAD_KEY: a low-order public key;
 *   - ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_noise_conn_recv(lc_noise_conn *c,
					     const uint8_t *in, size_t len,
					     size_t *consumed,
					     const uint8_t **payload,
					     size_t *payload_len);

/**
 * @brief Encrypt one payload (an Envelope) into a framed transport message
 *        queued for output.
 * @param[in] c an established connection.
 * @param[in] payload the bytes; NULL when @p len is 0. Not kept.
 * @param[in] len 0 .. ::LC_NOISE_MAX_PAYLOAD (= ::LC_ENVELOPE_MAX).
 * @note The output queue grows with every call until the caller drains
 *       it with lc_noise_conn_output_consume(); a caller that cannot write
 *       applies its own back-pressure (lc_noise_conn_want_write()).
 * @return 0, or
 *   - ::LC_ERR_INVALID_ARG: NULL pointers or @p len too large (the
 *     connection stays usable);
 *   - ::LC_ERR_NOISE_STATE: the handshake is not complete (usable);
 *   - ::LC_ERR_NOISE_NONCE_EXHAUSTED: 2^64-1 messages were sent (fatal);
 *   - ::LC_ERR_NOMEM (fatal); or the connection's earlier fatal error.
 */
LC_API LC_WARN_UNUSED int lc_noise_conn_send(lc_noise_conn *c,
					     const uint8_t *payload,
					     size_t len);

/**
 * @brief The bytes waiting to be written to the peer.
 * @param[in] c the connection.
 * @param[out] data set to the first byte; valid until the next call on
 *             @p c other than this one and the getters. Never freed by the
 *             caller.
 * @return the number of bytes (0 when nothing is pending or the
 *         connection failed).
 */
LC_API size_t lc_noise_conn_output(const lc_noise_conn *c,
				   const uint8_t **data);

/**
 * @brief Drop the first @p n bytes of the output: they were written.
 * @return 0, or ::LC_ERR_INVALID_ARG when @p n exceeds the pending count.
 */
LC_API int lc_noise_conn_output_consume(lc_noise_conn *c, size_t n);

/** @brief 1 while the connection expects input; 0 once it failed. */
LC_API int lc_noise_conn_want_read(const lc_noise_conn *c);

/** @brief 1 while output is pending; 0 when none is or it failed. When
 *         both want functions return 0 the caller closes the socket. */
LC_API int lc_noise_conn_want_write(const lc_noise_conn *c);

/** @brief 1 once the handshake is complete: payloads may flow. */
LC_API int lc_noise_conn_is_established(const lc_noise_conn *c);

/** @brief The connection's handshake, one of ::lc_noise_conn_pattern. */
LC_API int lc_noise_conn_pattern(const lc_noise_conn *c);

/**
 * @brief The peer's static public key, once established: on the client
 *        the server's key (to pin after a first XX contact), on the server
 *        the client's device key (to bind to an account).
 * @param[out] out ::LC_NOISE_KEY_LEN bytes.
 * @return 0, ::LC_ERR_INVALID_ARG or ::LC_ERR_NOISE_STATE (not
 *         established).
 */
LC_API int lc_noise_conn_remote_static(const lc_noise_conn *c, uint8_t *out);

/**
 * @brief The final handshake hash (64 bytes, BLAKE2b), once established:
 *        a channel binding both sides share.
 * @return 64, ::LC_ERR_INVALID_ARG, ::LC_ERR_BUFFER_TOO_SMALL or
 *         ::LC_ERR_NOISE_STATE.
 */
LC_API int lc_noise_conn_handshake_hash(const lc_noise_conn *c, uint8_t *out,
					size_t cap);

/** @brief The error that ended the connection, or 0. */
LC_API int lc_noise_conn_error(const lc_noise_conn *c);

/**
 * @brief Tell the connection the peer closed its side.
 * @return 0 when the stream ended between transport messages of an
 *         established connection, ::LC_ERR_TRUNCATED when it ended inside
 *         a frame or during the handshake, or the earlier fatal error.
 */
LC_API int lc_noise_conn_finish(lc_noise_conn *c);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAT_NOISE_H */
