/**
 * @file crypto.h
 * @brief End-to-end cryptography: identities, prekeys, X3DH, the Double
 *        Ratchet, sender keys for groups, safety numbers and padding.
 *
 * Everything here is sans-IO: no sockets, no clocks, no threads, no files.
 * The caller stores what needs storing (each stateful object serialises to
 * a versioned byte string) and moves bytes to and from the network.
 *
 * Algorithms (byte formats in doc/protocol.md, "End-to-end encryption"):
 * - Identity keys are Ed25519. For X3DH's Diffie-Hellman they are used in
 *   their X25519 form (libsodium's crypto_sign_ed25519_pk_to_curve25519 and
 *   _sk_to_curve25519): the "Ed25519 with conversion" option of X3DH.
 * - Prekeys and ratchet keys are X25519. A Diffie-Hellman output of all
 *   zeros (a low-order peer key) is refused with ::LC_ERR_BAD_KEY.
 * - X3DH (Signal's specification, revision 1) with HKDF-SHA256, and the
 *   Double Ratchet (Signal's specification, revision 1): KDF_RK is
 *   HKDF-SHA256, KDF_CK is HMAC-SHA256 with constants 0x01 / 0x02, ENCRYPT
 *   is ChaCha20-Poly1305-IETF keyed by the message key with a constant
 *   all-zero nonce (each message key encrypts exactly one message).
 * - Sender keys (groups) follow Signal's sender keys: a chain key stepped
 *   like KDF_CK and an Ed25519 signing key per (group, sender).
 *
 * Every encrypting or decrypting function writes into a caller buffer and
 * allocates nothing except when it must store skipped message keys. No
 * error returned by a function of this header is fatal to its object: a
 * message that fails leaves the session exactly as it was.
 *
 * @note Thread rules: an object (identity, prekeys, session, sender key) is
 *       used by one thread at a time; distinct objects are independent, and
 *       a const object may be read by several threads at once. Functions
 *       that take no object are reentrant.
 */
#ifndef LIBCHAT_CRYPTO_H
#define LIBCHAT_CRYPTO_H

#include <libchat/common.h>
#include <libchat/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ sizes */

/** An Ed25519 identity public key. */
#define LC_IDENTITY_KEY_LEN 32
/** The secret seed an identity key pair is derived from. */
#define LC_IDENTITY_SEED_LEN 32
/** An X25519 public key (prekeys, ratchet keys). */
#define LC_PUBLIC_KEY_LEN 32
/** An Ed25519 signature. */
#define LC_SIGNATURE_LEN 64
/** The longest user id a prekey bundle carries (doc/protocol.md). */
#define LC_BUNDLE_USER_ID_MAX 64

/** Version of the end-to-end message formats (first nibble of each). */
#define LC_CRYPTO_VERSION 1

/** Bytes a ratchet message adds to its plaintext (41 header + 16 tag). */
#define LC_RATCHET_OVERHEAD 57
/** Bytes a prekey message adds before its ratchet message. */
#define LC_PREKEY_HEADER_LEN 74
/** Bytes a prekey message adds to its plaintext. */
#define LC_PREKEY_OVERHEAD (LC_PREKEY_HEADER_LEN + LC_RATCHET_OVERHEAD)
/** Bytes a sender-key message adds to its plaintext (9 + 16 + 64). */
#define LC_SENDER_KEY_OVERHEAD 89
/** Length of a sender-key distribution message. */
#define LC_SENDER_KEY_DISTRIBUTION_LEN 73

/** Default bound on message keys skipped in one chain (MAX_SKIP). */
#define LC_MAX_SKIP_DEFAULT 1000
/** Default bound on skipped message keys stored per session. */
#define LC_MAX_STORED_SKIPPED_DEFAULT 2000
/** Largest one-time prekey pool an lc_prekeys object holds. */
#define LC_PREKEYS_MAX_ONE_TIME 10000

/** Digits in a displayed safety number (two halves of 30). */
#define LC_SAFETY_NUMBER_DIGITS 60
/** Version mixed into the safety number hash. */
#define LC_SAFETY_NUMBER_VERSION 0
/** SHA-512 iterations per safety-number half. */
#define LC_SAFETY_NUMBER_ITERATIONS 5200

/** Smallest padded length; see lc_pad(). */
#define LC_PAD_MIN 32
/** Above this, padded lengths are multiples of it; below, powers of two. */
#define LC_PAD_STEP 4096
/** The longest input lc_pad() accepts. */
#define LC_PAD_MAX_INPUT 65535

/** Run-time copies of the size macros, for bindings. */
LC_API size_t lc_ratchet_overhead(void);
LC_API size_t lc_prekey_overhead(void);
LC_API size_t lc_sender_key_overhead(void);

/** Message kinds, the low nibble of an end-to-end message's first byte. */
enum lc_crypto_message_type {
	LC_MSG_PREKEY = 1,           /**< X3DH initial message + ratchet message */
	LC_MSG_RATCHET = 2,          /**< Double Ratchet message */
	LC_MSG_SENDER_KEY = 3,       /**< group message under a sender key */
	LC_MSG_SENDER_KEY_DISTRIBUTION = 4 /**< a sender key, sent pairwise */
};

/**
 * @brief Tell what kind of end-to-end message some bytes are.
 * @param[in] msg the message; may be NULL when @p len is 0.
 * @param[in] len its length.
 * @return one of ::lc_crypto_message_type (positive), or
 *   - ::LC_ERR_MALFORMED: empty, or an unknown kind;
 *   - ::LC_ERR_UNSUPPORTED: a format version other than
 *     ::LC_CRYPTO_VERSION.
 * @note Only the first byte is read; nothing is authenticated.
 */
LC_API LC_WARN_UNUSED int lc_crypto_message_type(const uint8_t *msg,
						 size_t len);

/* --------------------------------------------------------------- identity */

/** A device's identity key pair (opaque; the secret never leaves it except
 *  through lc_identity_seed()). */
typedef struct lc_identity lc_identity;

/**
 * @brief Create a fresh identity key pair.
 * @param[out] out the identity, freed with lc_identity_free().
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @param[in] rng random source, used now only; NULL for libsodium's.
 * @return 0, or ::LC_ERR_INVALID_ARG (@p out NULL, @p mem lacking a hook),
 *         ::LC_ERR_NOMEM, ::LC_ERR_INIT.
 */
LC_API LC_WARN_UNUSED int lc_identity_new(lc_identity **out,
					  const lc_allocator *mem,
					  const lc_rng *rng);

/**
 * @brief Recreate an identity from its stored seed.
 * @param[out] out the identity, freed with lc_identity_free().
 * @param[in] seed ::LC_IDENTITY_SEED_LEN bytes from lc_identity_seed();
 *            read only during the call.
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM, ::LC_ERR_INIT.
 */
LC_API LC_WARN_UNUSED int lc_identity_from_seed(lc_identity **out,
						const uint8_t *seed,
						const lc_allocator *mem);

/** @brief Wipe and free an identity. NULL is a no-op. */
LC_API void lc_identity_free(lc_identity *id);

/**
 * @brief Copy out the secret seed, for the caller's encrypted store.
 * @param[in] id the identity.
 * @param[out] seed ::LC_IDENTITY_SEED_LEN bytes; the caller wipes them.
 */
LC_API void lc_identity_seed(const lc_identity *id, uint8_t *seed);

/**
 * @brief The Ed25519 public key.
 * @param[in] id the identity.
 * @return ::LC_IDENTITY_KEY_LEN bytes owned by @p id, valid until it is
 *         freed.
 */
LC_API const uint8_t *lc_identity_public_key(const lc_identity *id);

/**
 * @brief Sign bytes with the identity key (Ed25519).
 * @param[in] id the identity.
 * @param[in] msg the bytes; may be NULL when @p len is 0.
 * @param[in] len their length.
 * @param[out] sig ::LC_SIGNATURE_LEN bytes.
 */
LC_API void lc_identity_sign(const lc_identity *id, const uint8_t *msg,
			     size_t len, uint8_t *sig);

/**
 * @brief Verify an Ed25519 signature by an identity public key.
 * @param[in] identity_key ::LC_IDENTITY_KEY_LEN bytes.
 * @param[in] msg the signed bytes; may be NULL when @p len is 0.
 * @param[in] len their length.
 * @param[in] sig ::LC_SIGNATURE_LEN bytes.
 * @return 0, or ::LC_ERR_BAD_SIGNATURE, ::LC_ERR_INVALID_ARG, ::LC_ERR_INIT.
 */
LC_API LC_WARN_UNUSED int lc_identity_verify(const uint8_t *identity_key,
					     const uint8_t *msg, size_t len,
					     const uint8_t *sig);

/* ---------------------------------------------------------------- prekeys */

/**
 * A device's prekey secrets (opaque): the current signed prekey, the one
 * it replaced (kept so messages started against it still open), and the
 * pool of one-time prekeys. One-time prekey ids count up from 1 and are
 * never reused, so an id below the next one that is no longer in the pool
 * is known to be used (::LC_ERR_PREKEY_REUSED) with no list of used ids.
 */
typedef struct lc_prekeys lc_prekeys;

/**
 * @brief Create prekeys with a first signed prekey (id 1) and no
 *        one-time prekeys.
 * @param[out] out the prekeys, freed with lc_prekeys_free().
 * @param[in] id the identity that signs the signed prekey; read only
 *            during the call.
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @param[in] rng random source, copied (used by later calls too); NULL for
 *            libsodium's.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM, ::LC_ERR_INIT.
 */
LC_API LC_WARN_UNUSED int lc_prekeys_new(lc_prekeys **out,
					 const lc_identity *id,
					 const lc_allocator *mem,
					 const lc_rng *rng);

/** @brief Wipe and free prekeys. NULL is a no-op. */
LC_API void lc_prekeys_free(lc_prekeys *pk);

/**
 * @brief Replace the signed prekey with a fresh one (next id). The
 *        replaced one is kept as the previous prekey; the one before it
 *        is wiped.
 * @param[in] pk the prekeys.
 * @param[in] id the identity that signs; read only during the call.
 * @return 0, or ::LC_ERR_INVALID_ARG.
 */
LC_API int lc_prekeys_rotate_signed(lc_prekeys *pk, const lc_identity *id);

/**
 * @brief Forget the previous signed prekey (once every session started
 *        against it has been answered). No-op when there is none.
 * @param[in] pk the prekeys.
 */
LC_API void lc_prekeys_drop_previous_signed(lc_prekeys *pk);

/**
 * @brief The current signed prekey, to publish.
 * @param[in] pk the prekeys.
 * @param[out] key_id its id (may be NULL).
 * @param[out] public_key ::LC_PUBLIC_KEY_LEN bytes (may be NULL).
 * @param[out] signature ::LC_SIGNATURE_LEN bytes: the identity's Ed25519
 *             signature over @p public_key (may be NULL).
 */
LC_API void lc_prekeys_signed(const lc_prekeys *pk, uint32_t *key_id,
			      uint8_t *public_key, uint8_t *signature);

/**
 * @brief Add @p count fresh one-time prekeys to the pool.
 * @param[in] pk the prekeys.
 * @param[in] count 1 .. ::LC_PREKEYS_MAX_ONE_TIME minus the pool's size.
 * @return 0, or ::LC_ERR_INVALID_ARG (count out of range),
 *         ::LC_ERR_NOMEM (the pool is unchanged).
 */
LC_API LC_WARN_UNUSED int lc_prekeys_generate(lc_prekeys *pk, size_t count);

/** @brief Number of one-time prekeys in the pool. */
LC_API size_t lc_prekeys_count(const lc_prekeys *pk);

/**
 * @brief A one-time prekey of the pool, to publish.
 * @param[in] pk the prekeys.
 * @param[in] index 0 .. lc_prekeys_count() - 1, oldest first.
 * @param[out] key_id its id.
 * @param[out] public_key ::LC_PUBLIC_KEY_LEN bytes.
 * @return 0, or ::LC_ERR_INVALID_ARG (index out of range).
 */
LC_API int lc_prekeys_one_time(const lc_prekeys *pk, size_t index,
			       uint32_t *key_id, uint8_t *public_key);

/**
 * @brief Exact length lc_prekeys_serialize() writes.
 * @param[in] pk the prekeys.
 */
LC_API size_t lc_prekeys_serialized_size(const lc_prekeys *pk);

/**
 * @brief Serialise the prekeys (secrets included) for the caller's
 *        encrypted store.
 * @param[in] pk the prekeys.
 * @param[out] out the buffer; the caller wipes it after use.
 * @param[in] cap its size.
 * @param[out] out_len bytes written.
 * @return 0, or ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_INVALID_ARG.
 */
LC_API int lc_prekeys_serialize(const lc_prekeys *pk, uint8_t *out,
				size_t cap, size_t *out_len);

/**
 * @brief Rebuild prekeys from lc_prekeys_serialize()'s bytes.
 * @param[out] out the prekeys, freed with lc_prekeys_free().
 * @param[in] buf the bytes (from disk: fully checked); read only during
 *            the call.
 * @param[in] len their length.
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @param[in] rng random source, copied; NULL for libsodium's.
 * @return 0, or ::LC_ERR_SESSION_VERSION (unknown version),
 *         ::LC_ERR_MALFORMED, ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM,
 *         ::LC_ERR_INIT.
 */
LC_API LC_WARN_UNUSED int lc_prekeys_parse(lc_prekeys **out,
					   const uint8_t *buf, size_t len,
					   const lc_allocator *mem,
					   const lc_rng *rng);

/* ---------------------------------------------------------- prekey bundle */

/** Sentinel for lc_prekeys_bundle(): no one-time prekey in the bundle. */
#define LC_BUNDLE_NO_ONE_TIME ((size_t)-1)

/**
 * A device's published keys, as fetched from the server (plain data, no
 * secrets). Serialised as the wire schema's `PrekeyBundle` message.
 */
typedef struct lc_prekey_bundle {
	char user_id[LC_BUNDLE_USER_ID_MAX + 1]; /**< NUL-terminated UTF-8 */
	uint32_t device_id;
	uint8_t identity_key[LC_IDENTITY_KEY_LEN];    /**< Ed25519 */
	uint32_t signed_prekey_id;
	uint8_t signed_prekey[LC_PUBLIC_KEY_LEN];     /**< X25519 */
	uint8_t signed_prekey_signature[LC_SIGNATURE_LEN];
	int has_one_time_prekey;                      /**< 0 or 1 */
	uint32_t one_time_prekey_id;
	uint8_t one_time_prekey[LC_PUBLIC_KEY_LEN];   /**< X25519 */
} lc_prekey_bundle;

/**
 * @brief Fill a bundle from this device's own keys (the server's job,
 *        offered for tests and benchmarks). user_id is left empty and
 *        device_id 0.
 * @param[in] pk the prekeys.
 * @param[in] id the identity they belong to.
 * @param[in] one_time_index a pool index, or ::LC_BUNDLE_NO_ONE_TIME.
 * @param[out] out the bundle.
 * @return 0, or ::LC_ERR_INVALID_ARG (index out of range).
 */
LC_API int lc_prekeys_bundle(const lc_prekeys *pk, const lc_identity *id,
			     size_t one_time_index, lc_prekey_bundle *out);

/**
 * @brief Exact length lc_prekey_bundle_serialize() writes.
 * @param[in] b the bundle.
 */
LC_API size_t lc_prekey_bundle_serialized_size(const lc_prekey_bundle *b);

/**
 * @brief Encode a bundle as a wire `PrekeyBundle` message.
 * @param[in] b the bundle.
 * @param[out] out the buffer.
 * @param[in] cap its size.
 * @param[out] out_len bytes written.
 * @return 0, or ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_INVALID_ARG (user_id
 *         longer than ::LC_BUNDLE_USER_ID_MAX or not UTF-8).
 */
LC_API int lc_prekey_bundle_serialize(const lc_prekey_bundle *b,
				      uint8_t *out, size_t cap,
				      size_t *out_len);

/**
 * @brief Decode a wire `PrekeyBundle` message. Every key and signature
 *        length is checked; the signature is not verified here (X3DH
 *        does that).
 * @param[out] out the bundle (unchanged on error).
 * @param[in] buf the bytes (from the network); read only during the call.
 * @param[in] len their length.
 * @param[in] mem allocator hooks used while decoding; NULL for the default.
 * @return 0, or
 *   - ::LC_ERR_MALFORMED: not a PrekeyBundle, a missing identity key or
 *     signed prekey, a signature not 64 bytes, a user id too long or not
 *     UTF-8;
 *   - ::LC_ERR_BAD_KEY: a public key that is not 32 bytes;
 *   - ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_prekey_bundle_parse(lc_prekey_bundle *out,
						 const uint8_t *buf,
						 size_t len,
						 const lc_allocator *mem);

/* ------------------------------------------------- X3DH and Double Ratchet */

/** A pairwise Double Ratchet session with one remote device (opaque). */
typedef struct lc_ratchet lc_ratchet;

/**
 * @brief Start a session to a device from its prekey bundle (X3DH,
 *        initiator side).
 *
 * Until the first message from the responder decrypts, every message
 * lc_ratchet_encrypt() makes is a prekey message (::LC_MSG_PREKEY)
 * carrying the X3DH initial message; after, ratchet messages.
 *
 * @param[out] out the session, freed with lc_ratchet_free().
 * @param[in] me this device's identity; read only during the call.
 * @param[in] bundle the remote device's bundle; read only during the call.
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @param[in] rng random source, copied; NULL for libsodium's.
 * @return 0, or
 *   - ::LC_ERR_BAD_SIGNATURE: the signed prekey's signature fails (also
 *     when the identity key is not a valid Ed25519 public key);
 *   - ::LC_ERR_BAD_KEY: a prekey of low order (a Diffie-Hellman output of
 *     zeros);
 *   - ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM, ::LC_ERR_INIT.
 */
LC_API LC_WARN_UNUSED int lc_x3dh_initiate(lc_ratchet **out,
					   const lc_identity *me,
					   const lc_prekey_bundle *bundle,
					   const lc_allocator *mem,
					   const lc_rng *rng);

/**
 * @brief Read the initiator's identity key from a prekey message, so the
 *        caller can check trust before lc_x3dh_respond().
 * @param[in] msg the prekey message.
 * @param[in] len its length.
 * @param[out] identity_key ::LC_IDENTITY_KEY_LEN bytes (unauthenticated
 *             until lc_x3dh_respond() succeeds).
 * @return 0, or ::LC_ERR_MALFORMED (not a prekey message),
 *         ::LC_ERR_UNSUPPORTED (another version), ::LC_ERR_INVALID_ARG.
 */
LC_API LC_WARN_UNUSED int lc_prekey_message_identity(const uint8_t *msg,
						     size_t len,
						     uint8_t *identity_key);

/**
 * @brief Accept a prekey message (X3DH, responder side): create the
 *        session and decrypt the message's payload.
 *
 * Nothing changes unless the payload authenticates: then the one-time
 * prekey used (if any) is removed from @p pk (the caller stores @p pk
 * again) and the session is returned.
 *
 * @param[out] out the session, freed with lc_ratchet_free().
 * @param[in] me this device's identity; read only during the call.
 * @param[in,out] pk this device's prekeys.
 * @param[in] msg the prekey message; read only during the call.
 * @param[in] len its length.
 * @param[out] pt the plaintext buffer.
 * @param[in] pt_cap its size (len - ::LC_PREKEY_OVERHEAD is enough).
 * @param[out] pt_len plaintext bytes written.
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @param[in] rng random source, copied; NULL for libsodium's.
 * @return 0, or
 *   - ::LC_ERR_MALFORMED: not a prekey message (too short, another kind);
 *   - ::LC_ERR_UNSUPPORTED: another format version;
 *   - ::LC_ERR_UNKNOWN_PREKEY: a signed or one-time prekey id this device
 *     does not have;
 *   - ::LC_ERR_PREKEY_REUSED: a one-time prekey already used;
 *   - ::LC_ERR_BAD_KEY: a low-order or invalid key in the message;
 *   - ::LC_ERR_DECRYPT: the payload does not authenticate;
 *   - ::LC_ERR_TOO_MANY_SKIPPED: the payload's counter is beyond MAX_SKIP;
 *   - ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM,
 *     ::LC_ERR_INIT.
 */
LC_API LC_WARN_UNUSED int lc_x3dh_respond(lc_ratchet **out,
					  const lc_identity *me,
					  lc_prekeys *pk,
					  const uint8_t *msg, size_t len,
					  uint8_t *pt, size_t pt_cap,
					  size_t *pt_len,
					  const lc_allocator *mem,
					  const lc_rng *rng);

/** @brief Wipe and free a session. NULL is a no-op. */
LC_API void lc_ratchet_free(lc_ratchet *s);

/**
 * @brief Change the skipped-key bounds (defaults ::LC_MAX_SKIP_DEFAULT
 *        and ::LC_MAX_STORED_SKIPPED_DEFAULT). Not serialised.
 * @param[in] s the session.
 * @param[in] max_skip most message keys one message may skip in a chain
 *            (1 .. 100000).
 * @param[in] max_stored most skipped keys kept; the oldest are evicted
 *            (and those messages can no longer be read) beyond it
 *            (@p max_skip .. 1000000).
 * @return 0, or ::LC_ERR_INVALID_ARG. Keys already stored beyond a lower
 *         bound are evicted at the next store.
 */
LC_API int lc_ratchet_set_limits(lc_ratchet *s, uint32_t max_skip,
				 uint32_t max_stored);

/**
 * @brief Exact length of the message lc_ratchet_encrypt() makes now.
 * @param[in] s the session.
 * @param[in] pt_len the plaintext length.
 * @return @p pt_len + ::LC_PREKEY_OVERHEAD while the session is unanswered
 *         (initiator), else @p pt_len + ::LC_RATCHET_OVERHEAD.
 */
LC_API size_t lc_ratchet_encrypted_size(const lc_ratchet *s, size_t pt_len);

/**
 * @brief Encrypt a message to the remote device.
 * @param[in] s the session.
 * @param[in] pt the plaintext (pad it first: lc_pad()); may be NULL when
 *            @p pt_len is 0. It may not overlap @p out.
 * @param[in] pt_len its length, at most 2^31.
 * @param[out] out the message buffer.
 * @param[in] out_cap its size; lc_ratchet_encrypted_size() is enough.
 * @param[out] out_len bytes written.
 * @return 0, or ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_INVALID_STATE (the chain's 2^32 counter is spent: no
 *         message is made; a reply from the peer resets it).
 * @note Allocates nothing; the message key is wiped after use. The first
 *       message after a new ratchet key of the peer also makes this
 *       side's next ratchet key pair (from the session's rng) and its
 *       DH: the sending half of the Double Ratchet's DH step, deferred
 *       from lc_ratchet_decrypt() to here.
 */
LC_API int lc_ratchet_encrypt(lc_ratchet *s, const uint8_t *pt,
			      size_t pt_len, uint8_t *out, size_t out_cap,
			      size_t *out_len);

/**
 * @brief Decrypt a ratchet or prekey message from the remote device.
 *
 * The session changes only when the message authenticates; on any error it
 * is exactly as before (keys derived for the attempt are wiped). A prekey
 * message is accepted when it belongs to this session (its payload is
 * decrypted); one that starts another session is refused with
 * ::LC_ERR_NO_SESSION (pass it to lc_x3dh_respond()).
 *
 * @param[in] s the session.
 * @param[in] msg the message; read only during the call. It may not
 *            overlap @p pt.
 * @param[in] len its length.
 * @param[out] pt the plaintext buffer.
 * @param[in] pt_cap its size (len - ::LC_RATCHET_OVERHEAD is enough).
 * @param[out] pt_len plaintext bytes written.
 * @return 0, or
 *   - ::LC_ERR_DECRYPT: it does not authenticate (forged, corrupted,
 *     truncated, for another session, or its key was evicted);
 *   - ::LC_ERR_UNSUPPORTED: another format version, or not a ratchet or
 *     prekey message;
 *   - ::LC_ERR_DUPLICATE_MESSAGE: a message already decrypted (replay),
 *     or one of a recent chain whose skipped key is no longer stored;
 *   - ::LC_ERR_TOO_MANY_SKIPPED: it would skip more than MAX_SKIP keys;
 *   - ::LC_ERR_BAD_KEY: a low-order ratchet key;
 *   - ::LC_ERR_NO_SESSION: a prekey message for a new session;
 *   - ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM
 *     (not fatal: the session is unchanged).
 * @note Allocates only to store skipped message keys.
 */
LC_API LC_WARN_UNUSED int lc_ratchet_decrypt(lc_ratchet *s,
					     const uint8_t *msg, size_t len,
					     uint8_t *pt, size_t pt_cap,
					     size_t *pt_len);

/**
 * @brief The remote device's identity key, as authenticated by X3DH.
 * @param[in] s the session.
 * @return ::LC_IDENTITY_KEY_LEN bytes owned by @p s.
 */
LC_API const uint8_t *lc_ratchet_remote_identity(const lc_ratchet *s);

/**
 * @brief Whether the session still sends prekey messages (initiator that
 *        has not yet received a reply).
 * @return 1 or 0.
 */
LC_API int lc_ratchet_is_pending(const lc_ratchet *s);

/** @brief Number of skipped message keys stored. */
LC_API size_t lc_ratchet_skipped_count(const lc_ratchet *s);

/**
 * @brief Exact length lc_ratchet_serialize() writes now.
 * @param[in] s the session.
 */
LC_API size_t lc_ratchet_serialized_size(const lc_ratchet *s);

/**
 * @brief Serialise the session (secrets included) for the caller's
 *        encrypted store. Resuming with lc_ratchet_parse() gives a session
 *        that behaves exactly like @p s (the limits set by
 *        lc_ratchet_set_limits() excepted).
 * @param[in] s the session.
 * @param[out] out the buffer; the caller wipes it after use.
 * @param[in] cap its size; lc_ratchet_serialized_size() is enough.
 * @param[out] out_len bytes written.
 * @return 0, or ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_INVALID_ARG.
 * @note A session that has received a new ratchet key and not sent since
 *       is written as version 2, which libraries before it refuse with
 *       ::LC_ERR_SESSION_VERSION; every other session as version 1.
 */
LC_API int lc_ratchet_serialize(const lc_ratchet *s, uint8_t *out,
				size_t cap, size_t *out_len);

/**
 * @brief Resume a session from lc_ratchet_serialize()'s bytes.
 * @param[out] out the session, freed with lc_ratchet_free().
 * @param[in] buf the bytes (from disk: fully checked); read only during
 *            the call.
 * @param[in] len their length.
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @param[in] rng random source, copied; NULL for libsodium's.
 * @return 0, or ::LC_ERR_SESSION_VERSION (a version this library does not
 *         read), ::LC_ERR_MALFORMED (truncated, trailing bytes, or a field
 *         out of range), ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM,
 *         ::LC_ERR_INIT.
 */
LC_API LC_WARN_UNUSED int lc_ratchet_parse(lc_ratchet **out,
					   const uint8_t *buf, size_t len,
					   const lc_allocator *mem,
					   const lc_rng *rng);

/* ------------------------------------------------------------ sender keys */

/**
 * One sender's key in one group (opaque): a chain key, its iteration and an
 * Ed25519 signing key. Created fresh by the sender (who can encrypt), or
 * from the sender's distribution message by each other member (who can
 * only decrypt). To remove a member, every remaining member creates a fresh
 * sender key and distributes it to the remaining members only.
 */
typedef struct lc_sender_key lc_sender_key;

/**
 * @brief Create this device's fresh sender key for a group.
 * @param[out] out the key, freed with lc_sender_key_free().
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @param[in] rng random source, used now only; NULL for libsodium's.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM, ::LC_ERR_INIT.
 */
LC_API LC_WARN_UNUSED int lc_sender_key_new(lc_sender_key **out,
					    const lc_allocator *mem,
					    const lc_rng *rng);

/**
 * @brief Make the distribution message of an own sender key (its id,
 *        current iteration, chain key and signing public key), to send to
 *        each member over the pairwise sessions.
 * @param[in] sk an own sender key.
 * @param[out] out ::LC_SENDER_KEY_DISTRIBUTION_LEN bytes; secret: the
 *             caller wipes them after encrypting.
 * @param[in] cap its size.
 * @param[out] out_len bytes written.
 * @return 0, or ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_INVALID_ARG (a NULL
 *         pointer, a receiving key, or a key whose iterations are spent).
 */
LC_API int lc_sender_key_distribution(const lc_sender_key *sk, uint8_t *out,
				      size_t cap, size_t *out_len);

/**
 * @brief Create a member's receiving key from a distribution message.
 * @param[out] out the key, freed with lc_sender_key_free().
 * @param[in] msg the distribution message; read only during the call.
 * @param[in] len its length.
 * @param[in] mem allocator hooks, copied; NULL for the default.
 * @return 0, or ::LC_ERR_MALFORMED (not a distribution message),
 *         ::LC_ERR_UNSUPPORTED (another version), ::LC_ERR_BAD_KEY
 *         (the signing key is not a valid Ed25519 point),
 *         ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM, ::LC_ERR_INIT.
 */
LC_API LC_WARN_UNUSED int lc_sender_key_from_distribution(
	lc_sender_key **out, const uint8_t *msg, size_t len,
	const lc_allocator *mem);

/** @brief Wipe and free a sender key. NULL is a no-op. */
LC_API void lc_sender_key_free(lc_sender_key *sk);

/** @brief The key's random 32-bit id, carried in each of its messages. */
LC_API uint32_t lc_sender_key_id(const lc_sender_key *sk);

/**
 * @brief Read the key id of a sender-key message (to find the key).
 * @return 0, or ::LC_ERR_MALFORMED (not a sender-key message),
 *         ::LC_ERR_UNSUPPORTED (another version), ::LC_ERR_INVALID_ARG.
 */
LC_API LC_WARN_UNUSED int lc_sender_key_message_id(const uint8_t *msg,
						   size_t len,
						   uint32_t *key_id);

/**
 * @brief Change the skipped-key bound of a receiving key (default
 *        ::LC_MAX_SKIP_DEFAULT per message and at most that many stored).
 * @param[in] sk the key.
 * @param[in] max_skip 1 .. 100000.
 * @return 0, or ::LC_ERR_INVALID_ARG.
 */
LC_API int lc_sender_key_set_max_skip(lc_sender_key *sk, uint32_t max_skip);

/**
 * @brief Encrypt one group message once for every member, and sign it.
 * @param[in] sk an own sender key.
 * @param[in] pt the plaintext (padded first); may not overlap @p out.
 * @param[in] pt_len its length, at most 2^31.
 * @param[out] out the message buffer.
 * @param[in] cap its size; @p pt_len + ::LC_SENDER_KEY_OVERHEAD.
 * @param[out] out_len bytes written.
 * @return 0, or ::LC_ERR_INVALID_STATE (a receiving key, or its 2^32
 *         iterations are spent), ::LC_ERR_BUFFER_TOO_SMALL,
 *         ::LC_ERR_INVALID_ARG.
 */
LC_API int lc_sender_key_encrypt(lc_sender_key *sk, const uint8_t *pt,
				 size_t pt_len, uint8_t *out, size_t cap,
				 size_t *out_len);

/**
 * @brief Verify and decrypt a group message under a sender's key. The key
 *        changes only when the message verifies and decrypts.
 * @param[in] sk the sender's key (own keys can decrypt too).
 * @param[in] msg the message; may not overlap @p pt.
 * @param[in] len its length.
 * @param[out] pt the plaintext buffer.
 * @param[in] cap its size (len - ::LC_SENDER_KEY_OVERHEAD is enough).
 * @param[out] pt_len bytes written.
 * @return 0, or
 *   - ::LC_ERR_DECRYPT: too short to be a sender-key message;
 *   - ::LC_ERR_UNSUPPORTED: another format version or kind;
 *   - ::LC_ERR_NO_SESSION: made under another key id;
 *   - ::LC_ERR_BAD_SIGNATURE: the signature fails;
 *   - ::LC_ERR_DECRYPT: it does not authenticate;
 *   - ::LC_ERR_DUPLICATE_MESSAGE: an iteration already read (or older than
 *     the key);
 *   - ::LC_ERR_TOO_MANY_SKIPPED: beyond the skip bound;
 *   - ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_sender_key_decrypt(lc_sender_key *sk,
						const uint8_t *msg, size_t len,
						uint8_t *pt, size_t cap,
						size_t *pt_len);

/** @brief Exact length lc_sender_key_serialize() writes now. */
LC_API size_t lc_sender_key_serialized_size(const lc_sender_key *sk);

/**
 * @brief Serialise a sender key (secrets included) for the caller's store.
 * @return 0, or ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_INVALID_ARG.
 */
LC_API int lc_sender_key_serialize(const lc_sender_key *sk, uint8_t *out,
				   size_t cap, size_t *out_len);

/**
 * @brief Rebuild a sender key from lc_sender_key_serialize()'s bytes
 *        (from disk: every length, count and flag checked).
 *
 * The signing public key is checked as a point when it first arrives
 * (lc_sender_key_from_distribution()), not on every load: a stored key
 * damaged into an invalid point makes every lc_sender_key_decrypt() fail
 * with ::LC_ERR_BAD_SIGNATURE, leaving the state unchanged.
 * @return 0, or ::LC_ERR_SESSION_VERSION, ::LC_ERR_MALFORMED,
 *         ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM, ::LC_ERR_INIT.
 */
LC_API LC_WARN_UNUSED int lc_sender_key_parse(lc_sender_key **out,
					      const uint8_t *buf, size_t len,
					      const lc_allocator *mem);

/* ---------------------------------------------------------- safety number */

/**
 * @brief Compute the safety number of two devices' identities: 60 decimal
 *        digits, the same on both sides.
 *
 * Each side's half is Signal's numeric fingerprint: h = version (2 bytes,
 * big-endian) || identity key || stable id, then 5200 times
 * h = SHA-512(h || identity key); the first 30 bytes as six 5-byte
 * big-endian numbers, each mod 100000 as 5 digits. The two 30-digit halves
 * are concatenated smaller first, so both sides show the same string.
 *
 * @param[in] local_key this device's ::LC_IDENTITY_KEY_LEN identity key.
 * @param[in] local_id this user's stable id (e.g. the user id).
 * @param[in] local_id_len its length.
 * @param[in] remote_key the contact's identity key.
 * @param[in] remote_id the contact's stable id.
 * @param[in] remote_id_len its length.
 * @param[out] out ::LC_SAFETY_NUMBER_DIGITS + 1 bytes: digits and NUL.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_INIT.
 */
LC_API int lc_safety_number(const uint8_t *local_key, const uint8_t *local_id,
			    size_t local_id_len, const uint8_t *remote_key,
			    const uint8_t *remote_id, size_t remote_id_len,
			    char *out);

/* ---------------------------------------------------------------- padding */

/**
 * @brief The padded length of @p len bytes: the smallest bucket holding
 *        @p len + 1 bytes, where buckets are the powers of two from
 *        ::LC_PAD_MIN to ::LC_PAD_STEP, then the multiples of
 *        ::LC_PAD_STEP.
 * @return the padded length, or 0 when @p len exceeds ::LC_PAD_MAX_INPUT.
 */
LC_API size_t lc_padded_size(size_t len);

/**
 * @brief Pad: the input, one 0x80 byte, then zeros up to
 *        lc_padded_size(@p len).
 * @param[in] in the bytes; may be NULL when @p len is 0; may equal @p out
 *            (in-place padding) but not otherwise overlap it.
 * @param[in] len their length, at most ::LC_PAD_MAX_INPUT.
 * @param[out] out the buffer.
 * @param[in] cap its size.
 * @param[out] out_len bytes written.
 * @return 0, or ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_INVALID_ARG.
 */
LC_API int lc_pad(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
		  size_t *out_len);

/**
 * @brief Check and remove padding in place.
 * @param[in] buf padded bytes.
 * @param[in] len their length: a bucket size.
 * @param[out] out_len the unpadded length.
 * @return 0, or ::LC_ERR_BAD_PADDING (a length that is not a bucket, no
 *         0x80 marker, or a nonzero byte after it), ::LC_ERR_INVALID_ARG.
 */
LC_API LC_WARN_UNUSED int lc_unpad(const uint8_t *buf, size_t len,
				   size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAT_CRYPTO_H */
