/**
 * @file client.h
 * @brief The client session: accounts, invisible end-to-end encryption,
 *        a durable outbox, receipts, presence and groups, sans-IO.
 *
 * An ::lc_client is one account on one device. It never opens a socket or
 * reads a clock: the application
 *
 * 1. opens a connection to the server and calls lc_client_connect();
 * 2. writes out whatever lc_client_send() shows and reports it written with
 *    lc_client_consume();
 * 3. feeds every byte it reads to lc_client_recv();
 * 4. calls lc_client_handle_expiry() when lc_client_get_expiry() is due
 *    (heartbeats, request timeouts);
 * 5. calls lc_client_disconnected() when the socket closes, and
 *    lc_client_connect() again later (with its own backoff).
 *
 * Operations (register, login, send, ...) may be called at any time;
 * their results and everything the server pushes arrive through the
 * callbacks of ::lc_client_callbacks, always from inside a call the
 * application made on the same thread.
 *
 * Everything that must survive a crash is kept in the device store
 * (include/libchat/store.h): the device key, identity and prekeys, the
 * account and its token, the pinned server key, pairwise sessions, every
 * message, the outbox and receipts. Messages are written before they are
 * sent and acknowledged to the server only after they are committed.
 *
 * @note Thread rules: a session and its store are used by one thread at a
 *   time; callbacks run on that thread, inside the session's functions, and
 *   may call any lc_client_* function except lc_client_free(). Several
 *   sessions (accounts) may live in one process, one store each.
 */
#ifndef LIBCHAT_CLIENT_H
#define LIBCHAT_CLIENT_H

#include <libchat/common.h>
#include <libchat/error.h>
#include <libchat/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A client session (opaque). */
typedef struct lc_client lc_client;

/** The version of ::lc_client_config and ::lc_client_callbacks this header
 *  describes; put it in their `version` field. */
#define LC_CLIENT_CONFIG_VERSION 1

/** Length of a message id (bytes). */
#define LC_CLIENT_ID_LEN 16
/** Length of a group id (bytes). */
#define LC_CLIENT_GROUP_ID_LEN 16
/** Default heartbeat interval (ms). */
#define LC_CLIENT_HEARTBEAT_MS 30000u
/** Default time the server has to answer a request (ms). */
#define LC_CLIENT_REQUEST_TIMEOUT_MS 30000u
/** Default number of one-time prekeys uploaded at a time. */
#define LC_CLIENT_PREKEY_BATCH 50u
/** Most requests awaiting an answer at once. */
#define LC_CLIENT_MAX_PENDING 64u
/** Size of a safety number string with its NUL. */
#define LC_CLIENT_SAFETY_NUMBER_SIZE 61
/** Longest text one message carries (bytes of UTF-8). */
#define LC_CLIENT_TEXT_MAX 60000u
/** Most users one session keeps presence subscriptions for (renewed after
 *  every reconnect). */
#define LC_CLIENT_MAX_PRESENCE 256u

/** @brief ::LC_CLIENT_ID_LEN, for bindings. */
LC_API size_t lc_client_id_len(void);

/** Config flag: after a contact's identity key changes, keep direct
 *  messages to that user, and messages to every group the user is a member
 *  of (their sender key would reach the new key), in the outbox until
 *  lc_client_trust_identity(). */
#define LC_CLIENT_HOLD_ON_KEY_CHANGE 0x1u

/** Connection states (::lc_client_callbacks.state). */
typedef enum lc_client_state {
	LC_CLIENT_DISCONNECTED = 0, /**< no connection */
	LC_CLIENT_HANDSHAKE = 1,    /**< prologue and Noise handshake */
	LC_CLIENT_CONNECTED = 2,    /**< secure channel, not logged in */
	LC_CLIENT_LOGGING_IN = 3,   /**< register or login (and the first key
	                                 upload of the device) in flight */
	LC_CLIENT_READY = 4         /**< logged in, keys published: messages flow */
} lc_client_state;

/** Operations reported by ::lc_client_callbacks.done. */
typedef enum lc_client_op {
	LC_CLIENT_OP_REGISTER = 1,
	LC_CLIENT_OP_LOGIN = 2,
	LC_CLIENT_OP_LOGOUT = 3,
	LC_CLIENT_OP_PROFILE = 4,
	LC_CLIENT_OP_KEYS = 5,      /**< a prekey upload (automatic) */
	LC_CLIENT_OP_SEND = 6,      /**< a message the server refused */
	LC_CLIENT_OP_READ = 7,      /**< read receipts */
	LC_CLIENT_OP_GROUP = 8,     /**< create, add, remove, leave */
	LC_CLIENT_OP_PRESENCE = 9,
	LC_CLIENT_OP_LOOKUP = 10
} lc_client_op;

/* ------------------------------------------------------------- media */

/** Length of a file's key (bytes). */
#define LC_MEDIA_KEY_LEN 32
/** Length of a media digest: SHA-256 of the whole ciphertext (bytes). */
#define LC_MEDIA_DIGEST_LEN 32
/** Plaintext bytes per chunk of a media ciphertext (every chunk but the
 *  last holds exactly this many). */
#define LC_MEDIA_CHUNK 65536u
/** Bytes before the first chunk: version (1), secretstream header (24),
 *  key check (32). */
#define LC_MEDIA_HEADER_LEN 57u
/** Bytes each chunk adds (crypto_secretstream_xchacha20poly1305_ABYTES). */
#define LC_MEDIA_CHUNK_OVERHEAD 17u
/** Largest plaintext a media stream accepts (bytes). */
#define LC_MEDIA_SIZE_MAX (UINT64_C(1) << 40)
/** Longest media id with its NUL (ids are 1..128 of [0-9A-Za-z._-]). */
#define LC_CLIENT_MEDIA_ID_SIZE 129
/** Longest MIME type with its NUL. */
#define LC_CLIENT_MIME_SIZE 128
/** Longest file name with its NUL (bytes of UTF-8). */
#define LC_CLIENT_FILE_NAME_SIZE 256
/** Longest caption with its NUL (bytes of UTF-8). */
#define LC_CLIENT_CAPTION_SIZE 4097

/** Content kinds (::lc_client_message.kind, ::lc_store_message.kind). */
typedef enum lc_client_kind {
	LC_CLIENT_KIND_TEXT = 1,  /**< a text */
	LC_CLIENT_KIND_MEDIA = 2  /**< a file: ::lc_client_media */
} lc_client_kind;

/**
 * @brief A media pointer: what a receiver needs to download, check and
 *        decrypt a file. Plain fixed-size fields (no pointers), so
 *        bindings can copy it as one block.
 *
 * Strings are NUL-terminated UTF-8. A file name never contains '/', '\'
 * or control characters and is never "." or ".." (checked on send and on
 * receipt), but an application saving a file still chooses its directory.
 */
typedef struct lc_client_media {
	char id[LC_CLIENT_MEDIA_ID_SIZE];      /**< the server's blob id */
	uint8_t key[LC_MEDIA_KEY_LEN];         /**< the file's key (a secret) */
	uint8_t digest[LC_MEDIA_DIGEST_LEN];   /**< SHA-256 of the ciphertext */
	uint64_t size;                         /**< plaintext bytes */
	char mime_type[LC_CLIENT_MIME_SIZE];   /**< "" when unknown */
	char file_name[LC_CLIENT_FILE_NAME_SIZE]; /**< "" when none */
	char caption[LC_CLIENT_CAPTION_SIZE];  /**< "" when none */
} lc_client_media;

/** A media stream: encrypts or decrypts one file chunk by chunk (opaque). */
typedef struct lc_media_stream lc_media_stream;

/** @brief ::LC_MEDIA_KEY_LEN, for bindings. */
LC_API size_t lc_media_key_len(void);
/** @brief ::LC_MEDIA_DIGEST_LEN, for bindings. */
LC_API size_t lc_media_digest_len(void);
/** @brief ::LC_MEDIA_CHUNK, for bindings. */
LC_API size_t lc_media_chunk(void);
/** @brief sizeof(::lc_client_media), for bindings. */
LC_API size_t lc_client_media_struct_size(void);

/**
 * @brief The exact ciphertext size of a file of @p size bytes:
 *        ::LC_MEDIA_HEADER_LEN + @p size + ::LC_MEDIA_CHUNK_OVERHEAD per
 *        chunk (at least one chunk, also for an empty file).
 * @return the size, or 0 when @p size is above ::LC_MEDIA_SIZE_MAX.
 */
LC_API uint64_t lc_media_ciphertext_size(uint64_t size);

/**
 * @brief The largest output one lc_media_stream_update() of @p len input
 *        bytes may write, in either direction.
 * @return the bound, or 0 when it would overflow.
 */
LC_API size_t lc_media_update_max(size_t len);

/**
 * @brief Start encrypting a file of @p size bytes under a fresh random key.
 *
 * The ciphertext is ::LC_MEDIA_HEADER_LEN bytes (version 1, the header of
 * libsodium's crypto_secretstream_xchacha20poly1305, and a BLAKE2b check
 * value of the key) followed by one secretstream chunk per
 * ::LC_MEDIA_CHUNK plaintext bytes, the last one tagged final. The stream
 * and check keys are derived from the file key with crypto_kdf.
 *
 * @param[out] out  the stream; free with lc_media_stream_free().
 * @param[in]  size the plaintext size, 0 .. ::LC_MEDIA_SIZE_MAX; exactly
 *                  this many bytes must be fed.
 * @param[out] key  ::LC_MEDIA_KEY_LEN bytes: the fresh key (a secret:
 *                  it travels only inside the end-to-end message).
 * @param[in]  mem  NULL or an allocator, copied.
 * @param[in]  rng  NULL (randombytes_buf) or a generator, copied.
 * @return 0, or ::LC_ERR_INVALID_ARG (NULL pointers, @p size too large, an
 *   allocator lacking a hook), ::LC_ERR_INIT, ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_media_encrypt_new(lc_media_stream **out,
					       uint64_t size,
					       uint8_t key[LC_MEDIA_KEY_LEN],
					       const lc_allocator *mem,
					       const lc_rng *rng);

/**
 * @brief Start decrypting a file described by a media pointer.
 *
 * Every chunk is authenticated as it arrives, so output is never forged;
 * but the whole-file digest is known only at lc_media_stream_final():
 * keep the output apart (a temporary file) until it returns 0. To check
 * the digest before decrypting anything, use lc_media_decrypt().
 *
 * @param[out] out    the stream; free with lc_media_stream_free().
 * @param[in]  size   the plaintext size from the pointer.
 * @param[in]  key    ::LC_MEDIA_KEY_LEN bytes, copied.
 * @param[in]  digest ::LC_MEDIA_DIGEST_LEN bytes, copied.
 * @param[in]  mem    NULL or an allocator, copied.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_INIT, ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_media_decrypt_new(lc_media_stream **out,
					       uint64_t size,
					       const uint8_t key[LC_MEDIA_KEY_LEN],
					       const uint8_t digest[LC_MEDIA_DIGEST_LEN],
					       const lc_allocator *mem);

/**
 * @brief Feed input (plaintext to an encrypting stream, ciphertext to a
 *        decrypting one), split anywhere; whole chunks are written out.
 *
 * An encrypting stream writes its header on the first call and the final
 * chunk once @p size bytes were fed (an empty file: call it once with
 * @p len 0). After an error the stream is dead and returns that error.
 *
 * @param[in]  s       the stream.
 * @param[in]  in      input (NULL when @p len is 0).
 * @param[in]  len     its length.
 * @param[out] out     output buffer of @p cap bytes.
 * @param[in]  cap     at least lc_media_update_max(@p len).
 * @param[out] out_len bytes written.
 * @return 0, or ::LC_ERR_INVALID_ARG (NULL pointers; more input than the
 *   stream's size), ::LC_ERR_BUFFER_TOO_SMALL (nothing consumed),
 *   and when decrypting: ::LC_ERR_UNSUPPORTED (another format version),
 *   ::LC_ERR_MEDIA_KEY (the key does not open this file),
 *   ::LC_ERR_MEDIA_CHUNK (a chunk is damaged, reordered, or from another
 *   file, or the final tag is misplaced), ::LC_ERR_MALFORMED (bytes after
 *   the final chunk).
 */
LC_API LC_WARN_UNUSED int lc_media_stream_update(lc_media_stream *s,
						 const uint8_t *in, size_t len,
						 uint8_t *out, size_t cap,
						 size_t *out_len);

/**
 * @brief End a stream.
 * @param[in]  s      the stream.
 * @param[out] digest encrypting: ::LC_MEDIA_DIGEST_LEN bytes, the SHA-256
 *                    of the ciphertext written; decrypting: NULL.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_INVALID_STATE (encrypting:
 *   fewer bytes fed than its size), ::LC_ERR_MEDIA_TRUNCATED (decrypting:
 *   the ciphertext ended before its final chunk), ::LC_ERR_MEDIA_DIGEST
 *   (decrypting: the ciphertext is not the one the pointer names: drop
 *   the output), or the error that killed the stream.
 */
LC_API LC_WARN_UNUSED int lc_media_stream_final(lc_media_stream *s,
						uint8_t *digest);

/** @brief Free a stream, wiping its keys and buffers. NULL is a no-op. */
LC_API void lc_media_stream_free(lc_media_stream *s);

/**
 * @brief Encrypt a whole file held in memory (see lc_media_encrypt_new()).
 * @param[in]  in      the plaintext (NULL when @p len is 0).
 * @param[out] key     ::LC_MEDIA_KEY_LEN bytes: the fresh key.
 * @param[out] digest  ::LC_MEDIA_DIGEST_LEN bytes: SHA-256 of @p out.
 * @param[out] out     at least lc_media_ciphertext_size(@p len) bytes.
 * @param[out] out_len bytes written.
 * @return 0, or the errors of lc_media_encrypt_new() and
 *   ::LC_ERR_BUFFER_TOO_SMALL.
 */
LC_API LC_WARN_UNUSED int lc_media_encrypt(const uint8_t *in, size_t len,
					   uint8_t key[LC_MEDIA_KEY_LEN],
					   uint8_t digest[LC_MEDIA_DIGEST_LEN],
					   uint8_t *out, size_t cap,
					   size_t *out_len,
					   const lc_allocator *mem,
					   const lc_rng *rng);

/**
 * @brief Check a whole ciphertext against its digest, then decrypt it:
 *        nothing is decrypted unless the digest matches.
 * @param[in]  m       the pointer (key, digest, size).
 * @param[in]  in      the ciphertext as downloaded.
 * @param[out] out     at least @p m->size bytes.
 * @param[out] out_len bytes written (@p m->size).
 * @return 0, or ::LC_ERR_MEDIA_DIGEST (checked first), the errors of
 *   lc_media_stream_update() and lc_media_stream_final(),
 *   ::LC_ERR_BUFFER_TOO_SMALL, ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM.
 *   On error nothing of @p out is meaningful (it is wiped).
 */
LC_API LC_WARN_UNUSED int lc_media_decrypt(const lc_client_media *m,
					   const uint8_t *in, size_t len,
					   uint8_t *out, size_t cap,
					   size_t *out_len,
					   const lc_allocator *mem);

/** A message given to ::lc_client_callbacks.message; every pointer lives
 *  during the call only. */
typedef struct lc_client_message {
	const uint8_t *id;        /**< ::LC_CLIENT_ID_LEN bytes */
	const char *chat_id;      /**< the store's chat: the peer's user id,
				       or "g:" and 32 hex digits of a group */
	const char *sender_id;    /**< the authenticated sender's user id */
	uint32_t sender_device;   /**< and device */
	uint64_t time_ms;         /**< the server's time of acceptance */
	int outgoing;             /**< 1: sent by another device of this account */
	const char *text;         /**< UTF-8, NUL-terminated; for a file its
				       name, and on a second line its caption
				       (what search finds) */
	size_t text_len;
	int kind;                 /**< an ::lc_client_kind */
	const lc_client_media *media; /**< ::LC_CLIENT_KIND_MEDIA: the file to
				       download; else NULL */
} lc_client_message;

/** A group as the server described it; pointers live during the call. */
typedef struct lc_client_group {
	const uint8_t *id;            /**< ::LC_CLIENT_GROUP_ID_LEN bytes */
	const char *name;
	uint64_t version;             /**< grows with every change */
	size_t n_members;
	const char *const *members;   /**< user ids */
	const int *admins;            /**< 1 for an admin, per member */
} lc_client_group;

/** Group changes (::lc_client_callbacks.group); the protocol's GroupChange. */
typedef enum lc_client_group_change {
	LC_CLIENT_GROUP_CREATED = 0,
	LC_CLIENT_GROUP_ADDED = 1,
	LC_CLIENT_GROUP_REMOVED = 2,
	LC_CLIENT_GROUP_LEFT = 3,
	LC_CLIENT_GROUP_RENAMED = 4,
	LC_CLIENT_GROUP_INFO = 100    /**< the answer to an own request */
} lc_client_group_change;

/**
 * @brief What the session tells the application, copied by lc_client_new().
 *
 * Every callback is optional (NULL) and gets the @p user_data given to
 * lc_client_new() as its last argument. Pointers passed to a callback live
 * during the call only.
 */
typedef struct lc_client_callbacks {
	uint32_t version; /**< ::LC_CLIENT_CONFIG_VERSION */
	/** The connection state changed; @p reason is 0 or the LC_ERR_* code
	 *  that ended the connection. */
	void (*state)(int state, int reason, void *user_data);
	/** A message arrived; it is committed to the store already. */
	void (*message)(const lc_client_message *msg, void *user_data);
	/** The receipt of an own message for one recipient device changed
	 *  (@p state is an ::lc_receipt_state); @p aggregate is the message's
	 *  state over all its recipients, as stored. */
	void (*receipt)(const uint8_t *id, const char *user_id,
			uint32_t device_id, int state, int aggregate,
			void *user_data);
	/** A user's presence: from lc_client_presence_subscribe()'s answer or
	 *  a later change. */
	void (*presence)(const char *user_id, int online,
			 uint64_t last_seen_ms, void *user_data);
	/** A group changed (an ::lc_client_group_change), or the answer to an
	 *  own group request. @p actor is NULL for an own request. */
	void (*group)(const lc_client_group *group, int change,
		      const char *actor, void *user_data);
	/** The identity key a contact presents differs from the one seen
	 *  before (a reinstall, a new device, or an attack): compare safety
	 *  numbers again. Messages still flow, unless the session was
	 *  created with ::LC_CLIENT_HOLD_ON_KEY_CHANGE: then direct messages
	 *  to the user, and messages to groups the user is in, wait until
	 *  lc_client_trust_identity(). */
	void (*identity_changed)(const char *user_id, uint32_t device_id,
				 void *user_data);
	/** An operation finished: @p code is 0 or an LC_ERR_* code (the
	 *  server's answer, ::LC_ERR_TIMEOUT, ::LC_ERR_NOT_CONNECTED when the
	 *  connection closed first). @p id is the message id for
	 *  ::LC_CLIENT_OP_SEND, else NULL. */
	void (*done)(int op, int code, const uint8_t *id, void *user_data);
	/** A problem that belongs to no operation (a message that cannot be
	 *  decrypted and was dropped, a store failure). @p id is the message
	 *  id concerned, or NULL. */
	void (*error)(int code, const uint8_t *id, void *user_data);
	/** The answer to lc_client_lookup(): the user's id and display name
	 *  (then ::lc_client_callbacks.done reports ::LC_CLIENT_OP_LOOKUP). */
	void (*user)(const char *user_id, const char *display_name,
		     void *user_data);
} lc_client_callbacks;

/**
 * @brief Session settings, copied by lc_client_new().
 *
 * Zero-initialise, set @p version, and either @p store_dir or @p store.
 */
typedef struct lc_client_config {
	uint32_t version;            /**< ::LC_CLIENT_CONFIG_VERSION */
	const char *store_dir;       /**< the account's store directory, opened
					  (created) by the session; or NULL */
	lc_store *store;             /**< an open store, used instead of
					  @p store_dir; the caller closes it
					  after lc_client_free() */
	const uint8_t *store_key;    /**< with @p store_dir: NULL, or the
					  ::LC_STORE_KEY_LEN at-rest key (copied
					  by the store) */
	const uint8_t *server_key;   /**< NULL, or the server's static key
					  (32 bytes) to pin; without it the
					  first key seen is pinned in the store */
	uint64_t heartbeat_ms;       /**< 0: ::LC_CLIENT_HEARTBEAT_MS */
	uint64_t request_timeout_ms; /**< 0: ::LC_CLIENT_REQUEST_TIMEOUT_MS */
	uint32_t prekey_batch;       /**< 0: ::LC_CLIENT_PREKEY_BATCH (1..100) */
	uint32_t flags;              /**< 0 or ::LC_CLIENT_HOLD_ON_KEY_CHANGE */
	const lc_allocator *mem;     /**< NULL: malloc; copied */
	const lc_rng *rng;           /**< NULL: randombytes_buf; copied */
} lc_client_config;

/**
 * @brief Create a session over an account's store.
 *
 * A new store gets a fresh device key (the Noise static key the server
 * binds to the account), identity key and prekeys; an existing one is
 * resumed with its account, pinned server key and outbox.
 *
 * @param[out] out       the session; free with lc_client_free().
 * @param[in]  cfg       settings, copied (strings are used during the call).
 * @param[in]  cb        callbacks, copied; NULL for none.
 * @param[in]  user_data passed to every callback; never touched.
 * @return 0, or ::LC_ERR_INVALID_ARG (NULL @p out or @p cfg, wrong version,
 *   neither or both of store_dir and store, an allocator lacking a hook,
 *   unknown flags,
 *   prekey_batch above 100), ::LC_ERR_INIT, ::LC_ERR_NOMEM, the store's
 *   open errors (::LC_ERR_IO, ::LC_ERR_STORE_KEY, ::LC_ERR_STORE_VERSION,
 *   ::LC_ERR_STORE_CORRUPT, ::LC_ERR_STORE_BUSY, ::LC_ERR_STORE_FULL), or
 *   the crypto layer's parse errors for damaged key blobs
 *   (::LC_ERR_MALFORMED, ::LC_ERR_SESSION_VERSION).
 */
LC_API LC_WARN_UNUSED int lc_client_new(lc_client **out,
					const lc_client_config *cfg,
					const lc_client_callbacks *cb,
					void *user_data);

/**
 * @brief Free a session, wiping its keys; closes the store it opened.
 * @param[in] c the session, or NULL (no-op). Not from a callback.
 */
LC_API void lc_client_free(lc_client *c);

/**
 * @brief The session's store, for history, chat list and search.
 * @return the store, owned by the session (or by the caller who passed it).
 */
LC_API lc_store *lc_client_store(lc_client *c);

/** @brief The current ::lc_client_state. */
LC_API int lc_client_state_get(const lc_client *c);

/**
 * @brief The account's user id once registered or logged in.
 * @return a NUL-terminated string owned by the session, valid until the
 *   next call on it; "" when there is no account.
 */
LC_API const char *lc_client_user_id(const lc_client *c);

/** @brief The account's device id, or 0. */
LC_API uint32_t lc_client_device_id(const lc_client *c);

/* ---------------------------------------------------------------- I/O */

/**
 * @brief Start a connection: the prologue and the first handshake message
 *        are queued for lc_client_send(). With a stored account the
 *        session logs in by token once the channel is up, then uploads
 *        keys if needed and resends the outbox.
 * @param[in] c   the session.
 * @param[in] now the current time (ms since the epoch).
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_INVALID_STATE (connected
 *   already: call lc_client_disconnected() first), ::LC_ERR_NOMEM.
 */
LC_API int lc_client_connect(lc_client *c, uint64_t now);

/**
 * @brief Feed bytes read from the connection. Answers, pushes and
 *        callbacks are handled inside.
 * @param[in] c   the session.
 * @param[in] in  the bytes (NULL when @p len is 0); not kept.
 * @param[in] len their count.
 * @param[in] now the current time.
 * @return 0, or an error that ended the connection (the session is then
 *   ::LC_CLIENT_DISCONNECTED, the state callback ran; close the socket):
 *   the Noise layer's errors (::LC_ERR_NOISE_DECRYPT,
 *   ::LC_ERR_NOISE_KEY_MISMATCH, ::LC_ERR_BAD_PROLOGUE, ...),
 *   ::LC_ERR_MALFORMED (an Envelope that does not parse), ::LC_ERR_NOMEM;
 *   or ::LC_ERR_NOT_CONNECTED, ::LC_ERR_INVALID_ARG.
 */
LC_API int lc_client_recv(lc_client *c, const uint8_t *in, size_t len,
			  uint64_t now);

/**
 * @brief The bytes to write to the connection.
 * @param[in]  c    the session.
 * @param[out] data the bytes, in the session's buffer, valid until the next
 *                  call on @p c other than lc_client_consume().
 * @return the byte count (0: nothing to write).
 */
LC_API size_t lc_client_send(lc_client *c, const uint8_t **data);

/**
 * @brief Report @p n bytes of lc_client_send() written.
 * @return 0, or ::LC_ERR_INVALID_ARG (more than pending).
 */
LC_API int lc_client_consume(lc_client *c, size_t n);

/**
 * @brief The socket closed (or the application closes it). Requests in
 *        flight fail with ::LC_ERR_NOT_CONNECTED; the outbox keeps every
 *        unacknowledged message for the next connection.
 * @param[in] c   the session.
 * @param[in] now the current time.
 */
LC_API void lc_client_disconnected(lc_client *c, uint64_t now);

/** @brief The next time lc_client_handle_expiry() has work (ms), or
 *         UINT64_MAX. */
LC_API uint64_t lc_client_get_expiry(const lc_client *c);

/**
 * @brief Send due heartbeats and time out unanswered requests.
 * @param[in] c   the session.
 * @param[in] now the current time.
 * @return 0, or ::LC_ERR_TIMEOUT: a request went unanswered, the
 *   connection is considered dead and the session is disconnected (close
 *   the socket and reconnect).
 */
LC_API int lc_client_handle_expiry(lc_client *c, uint64_t now);

/* --------------------------------------------------------- accounts */

/**
 * @brief Register a new account with this device (device 1). The result
 *        comes through ::lc_client_callbacks.done (::LC_CLIENT_OP_REGISTER)
 *        and the state callback (::LC_CLIENT_READY).
 * @param[in] c        a ::LC_CLIENT_CONNECTED session.
 * @param[in] phone    E.164 phone number, or NULL.
 * @param[in] email    email address, or NULL (exactly one of the two).
 * @param[in] name     display name (may be NULL).
 * @param[in] password the password; not kept.
 * @param[in] now      the current time.
 * @return 0 when sent, or ::LC_ERR_INVALID_ARG, ::LC_ERR_NOT_CONNECTED,
 *   ::LC_ERR_INVALID_STATE (logged in already, or has an account),
 *   ::LC_ERR_UNAVAILABLE (too many requests in flight), ::LC_ERR_NOMEM,
 *   ::LC_ERR_FRAME_TOO_LARGE.
 */
LC_API int lc_client_register(lc_client *c, const char *phone,
			      const char *email, const char *name,
			      const char *password, uint64_t now);

/**
 * @brief Log this device in with a password (a new device of an account,
 *        or a device whose token was revoked). Same results and errors as
 *        lc_client_register() (::LC_CLIENT_OP_LOGIN).
 */
LC_API int lc_client_login(lc_client *c, const char *phone,
			   const char *email, const char *password,
			   uint64_t now);

/**
 * @brief Log out: the server revokes this device's token (or every
 *        device's with @p all_devices) and the stored token is forgotten.
 * @return 0 when sent, or ::LC_ERR_NOT_LOGGED_IN, ::LC_ERR_UNAVAILABLE,
 *   ::LC_ERR_NOMEM.
 */
LC_API int lc_client_logout(lc_client *c, int all_devices, uint64_t now);

/**
 * @brief Change the display name (::LC_CLIENT_OP_PROFILE).
 * @return 0 when sent, or ::LC_ERR_INVALID_ARG, ::LC_ERR_NOT_LOGGED_IN,
 *   ::LC_ERR_UNAVAILABLE, ::LC_ERR_NOMEM.
 */
LC_API int lc_client_update_profile(lc_client *c, const char *name,
				    uint64_t now);

/* --------------------------------------------------------- messages */

/**
 * @brief Send a text to a user. The message is committed to the store and
 *        its outbox first, then encrypted to each of the user's devices
 *        (fetching prekey bundles and running X3DH the first time) and
 *        sent when the session is ::LC_CLIENT_READY, now or after a later
 *        reconnect, until the server acknowledges it.
 * @param[in]  c       the session (any state).
 * @param[in]  user_id the recipient.
 * @param[in]  text    UTF-8; @p len bytes, 1 .. ::LC_CLIENT_TEXT_MAX.
 * @param[in]  len     its length.
 * @param[out] id      ::LC_CLIENT_ID_LEN bytes: the message id, or NULL.
 * @param[in]  now     the current time.
 * @return 0 once stored, or ::LC_ERR_INVALID_ARG (a bad user id, a text
 *   that is empty, too long, not UTF-8 or holds a NUL),
 *   ::LC_ERR_NOT_LOGGED_IN (no account yet), the store's write errors.
 */
LC_API int lc_client_send_text(lc_client *c, const char *user_id,
			       const char *text, size_t len, uint8_t *id,
			       uint64_t now);

/**
 * @brief Send a text to a group. Like lc_client_send_text(): stored and
 *        queued first, then encrypted once under this device's sender key
 *        for the group (its key reaches members that lack it pairwise, in
 *        the same request) and sent until acknowledged. The session learns
 *        the members from the group's answers and events; when the member
 *        list shrinks it starts a fresh sender key, so removed members
 *        cannot read later messages.
 * @param[in]  group_id ::LC_CLIENT_GROUP_ID_LEN bytes.
 * @return as lc_client_send_text(). A group this session has not seen (or
 *   has left) makes the message fail later: ::lc_client_callbacks.done
 *   with ::LC_CLIENT_OP_SEND and ::LC_ERR_NOT_MEMBER.
 */
LC_API int lc_client_send_group_text(lc_client *c, const uint8_t *group_id,
				     const char *text, size_t len,
				     uint8_t *id, uint64_t now);

/**
 * @brief Send a file to a user: its media pointer (from an upload, e.g.
 *        lc_client_event_upload()) travels end-to-end like a text, with
 *        the same outbox, retries and receipts. The message is stored
 *        with kind ::LC_CLIENT_KIND_MEDIA, the file name and caption as
 *        its text (so history and search show them) and the pointer as
 *        its data (lc_client_media_decode()).
 * @param[in]  c       the session (any state).
 * @param[in]  user_id the recipient.
 * @param[in]  media   the pointer, read during the call: id, key, digest,
 *                     size, and optional MIME type, file name, caption.
 * @param[out] id      ::LC_CLIENT_ID_LEN bytes: the message id, or NULL.
 * @param[in]  now     the current time.
 * @return 0 once stored, or ::LC_ERR_INVALID_ARG (a bad user id; an id,
 *   MIME type, file name or caption out of its domain or not
 *   NUL-terminated; a size above ::LC_MEDIA_SIZE_MAX),
 *   ::LC_ERR_NOT_LOGGED_IN, ::LC_ERR_NOMEM, the store's write errors.
 */
LC_API int lc_client_send_media(lc_client *c, const char *user_id,
				const lc_client_media *media, uint8_t *id,
				uint64_t now);

/**
 * @brief Send a file to a group, as lc_client_send_group_text() sends a
 *        text. Errors as lc_client_send_media().
 * @param[in] group_id ::LC_CLIENT_GROUP_ID_LEN bytes.
 */
LC_API int lc_client_send_group_media(lc_client *c, const uint8_t *group_id,
				      const lc_client_media *media,
				      uint8_t *id, uint64_t now);

/**
 * @brief The media pointer of a stored message (history, search hits).
 * @param[in]  msg a message read from the session's store.
 * @param[out] out the pointer (its key is a secret: wipe it after use).
 * @return 0, or ::LC_ERR_NOT_FOUND (not a file), ::LC_ERR_STORE_CORRUPT,
 *   ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_client_media_decode(const lc_store_message *msg,
						 lc_client_media *out);

/**
 * @brief Whether a media pointer can be sent: every string NUL-terminated
 *        and within its limits, an id of 1..128 of [0-9A-Za-z._-], a
 *        printable ASCII MIME type, a file name without '/', '\\' or
 *        control characters that is not "." or "..", UTF-8 name and
 *        caption, a size up to ::LC_MEDIA_SIZE_MAX.
 * @return 1 valid, 0 not (also for NULL).
 */
LC_API int lc_client_media_valid(const lc_client_media *m);

/** Size of the hex token of lc_client_http_token() with its NUL. */
#define LC_CLIENT_TOKEN_HEX_SIZE 65

/**
 * @brief The login token as 64 hex digits, for `Authorization: Bearer`
 *        on the server's media endpoints (doc/protocol.md section 8).
 *        It is a credential: never log it.
 * @param[out] out ::LC_CLIENT_TOKEN_HEX_SIZE bytes or more.
 * @return 0, or ::LC_ERR_NOT_LOGGED_IN (no account), ::LC_ERR_INVALID_ARG.
 */
LC_API LC_WARN_UNUSED int lc_client_http_token(const lc_client *c, char *out,
					       size_t cap);

/** Longest upload path of a ::lc_client_media_ticket with its NUL. */
#define LC_CLIENT_UPLOAD_PATH_SIZE 256

/** The server's consent to one upload (its answer to MediaUploadRequest,
 *  doc/protocol.md section 6). */
typedef struct lc_client_media_ticket {
	/** Where to POST the ciphertext: starts with '/', printable ASCII
	 *  without spaces, NUL-terminated. */
	char upload_path[LC_CLIENT_UPLOAD_PATH_SIZE];
	uint64_t max_size;   /**< bytes the server accepts (>= the size asked) */
	uint64_t expires_ms; /**< the server's time the ticket ends */
} lc_client_media_ticket;

/**
 * @brief The answer to lc_client_upload_ticket(): @p code is 0 and
 *        @p ticket the server's ticket, or @p code is an error and
 *        @p ticket NULL. @p ticket lives during the call only.
 */
typedef void (*lc_client_ticket_cb)(int code,
				    const lc_client_media_ticket *ticket,
				    void *user_data);

/**
 * @brief Ask the server whether it takes an upload of @p size bytes of
 *        ciphertext (lc_media_ciphertext_size() of the file), before any
 *        byte of it is sent.
 *
 * The answer comes to @p cb, once, on the thread that feeds the session:
 * 0 and the ticket, or ::LC_ERR_MEDIA_TOO_LARGE (over the server's
 * limit), ::LC_ERR_INVALID_ARG, ::LC_ERR_MALFORMED (an answer without a
 * usable ticket), ::LC_ERR_NOT_CONNECTED (the connection ended first) or
 * another server code. lc_client_upload_ticket_cancel() withdraws @p cb.
 *
 * @param[in] size      1 .. lc_media_ciphertext_size(::LC_MEDIA_SIZE_MAX).
 * @param[in] cb        required.
 * @param[in] user_data passed to @p cb; not owned.
 * @return 0 when the request was sent, or ::LC_ERR_INVALID_ARG,
 *   ::LC_ERR_NOT_LOGGED_IN (the session is not ::LC_CLIENT_READY),
 *   ::LC_ERR_UNAVAILABLE (::LC_CLIENT_MAX_PENDING requests in flight),
 *   ::LC_ERR_NOMEM.
 */
LC_API int lc_client_upload_ticket(lc_client *c, uint64_t size,
				  lc_client_ticket_cb cb, void *user_data,
				  uint64_t now);

/**
 * @brief Withdraw the callbacks of every ticket request in flight made
 *        with @p user_data: their answers are then ignored. For a caller
 *        that frees @p user_data before the answer came.
 */
LC_API void lc_client_upload_ticket_cancel(lc_client *c, const void *user_data);

/**
 * @brief Mark a chat read and send read receipts for its unread incoming
 *        messages to their senders.
 *
 * The receipts are queued in the store first and the chat is marked read
 * at once, in any connection state; they are sent now when the session is
 * ::LC_CLIENT_READY, else when it next becomes READY (also after a
 * restart), one Receipt per sender device at a time. A receipt leaves the
 * queue when the server answers it: ::lc_client_callbacks.done reports
 * ::LC_CLIENT_OP_READ with 0 or the server's code; a connection lost
 * before the answer keeps it queued (no done) and it is sent again. The
 * queue holds up to ::LC_STORE_BLOB_MAX bytes (21 bytes and the sender's
 * user id per message: about 1200 messages from 32-character ids); when
 * full, the oldest receipts are dropped.
 * @return 0 (also when nothing was unread), or ::LC_ERR_NOT_FOUND (no such
 *   chat), ::LC_ERR_NOT_LOGGED_IN (no account), ::LC_ERR_INVALID_ARG,
 *   ::LC_ERR_NOMEM, the store's errors (nothing is marked when queueing
 *   failed).
 */
LC_API int lc_client_mark_read(lc_client *c, const char *chat_id,
			       uint64_t now);

/**
 * @brief The safety number shared with a contact's device: 60 digits that
 *        both users see alike.
 * @param[in]  device_id the contact's device, or 0 for the last device
 *             whose key was seen.
 * @param[out] out ::LC_CLIENT_SAFETY_NUMBER_SIZE bytes.
 * @return 0, or ::LC_ERR_NOT_FOUND (no key seen yet: exchange a message
 *   first), ::LC_ERR_NOT_LOGGED_IN, ::LC_ERR_INVALID_ARG, the store's errors.
 */
LC_API int lc_client_safety_number(lc_client *c, const char *user_id,
				   uint32_t device_id, char *out);

/**
 * @brief Accept a contact's changed identity key: messages held for the
 *        user (::LC_CLIENT_HOLD_ON_KEY_CHANGE) are sent again.
 * @return 0 (also when nothing was held), or ::LC_ERR_INVALID_ARG, the
 *   store's errors.
 */
LC_API int lc_client_trust_identity(lc_client *c, const char *user_id,
				    uint64_t now);

/**
 * @brief Whether direct messages to a user are held after a key change.
 * @return 1 held, 0 not, or ::LC_ERR_INVALID_ARG, the store's errors.
 */
LC_API int lc_client_identity_held(lc_client *c, const char *user_id);

/**
 * @brief Whether messages to a chat wait for lc_client_trust_identity()
 *        under ::LC_CLIENT_HOLD_ON_KEY_CHANGE: a direct chat (the peer's
 *        user id) whose user is held, or a group chat ("g:" and 32 hex
 *        digits) with a held member in the last member list the session
 *        saw. Always 0 without the flag.
 * @return 1 held, 0 not, or ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM, the
 *   store's errors.
 */
LC_API int lc_client_chat_held(lc_client *c, const char *chat_id);

/**
 * @brief Find a user by phone number or email address (exactly one): the
 *        answer comes to ::lc_client_callbacks.user, a miss as
 *        done(::LC_CLIENT_OP_LOOKUP, ::LC_ERR_NO_SUCH_USER).
 * @return 0 when sent, or ::LC_ERR_INVALID_ARG, ::LC_ERR_NOT_LOGGED_IN,
 *   ::LC_ERR_UNAVAILABLE, ::LC_ERR_NOMEM.
 */
LC_API int lc_client_lookup(lc_client *c, const char *phone,
			    const char *email, uint64_t now);

/* ------------------------------------------------ groups and presence */

/**
 * @brief Create a group with this user as admin; the answer comes to
 *        ::lc_client_callbacks.group (::LC_CLIENT_GROUP_INFO).
 * @return 0 when sent, or ::LC_ERR_INVALID_ARG, ::LC_ERR_NOT_LOGGED_IN,
 *   ::LC_ERR_UNAVAILABLE, ::LC_ERR_NOMEM, ::LC_ERR_FRAME_TOO_LARGE.
 */
LC_API int lc_client_group_create(lc_client *c, const char *name,
				  const char *const *members, size_t n,
				  uint64_t now);

/** @brief Add members (admins only). Errors as lc_client_group_create(). */
LC_API int lc_client_group_add(lc_client *c, const uint8_t *group_id,
			       const char *const *members, size_t n,
			       uint64_t now);

/** @brief Remove members (admins only). Errors as lc_client_group_create(). */
LC_API int lc_client_group_remove(lc_client *c, const uint8_t *group_id,
				  const char *const *members, size_t n,
				  uint64_t now);

/** @brief Ask for a group's current members (members only); the answer
 *         comes to ::lc_client_callbacks.group. Errors as
 *         lc_client_group_create(). */
LC_API int lc_client_group_info(lc_client *c, const uint8_t *group_id,
				uint64_t now);

/** @brief Leave a group. Errors as lc_client_group_create(). */
LC_API int lc_client_group_leave(lc_client *c, const uint8_t *group_id,
				 uint64_t now);

/**
 * @brief Ask for users' presence and subscribe to changes (or
 *        unsubscribe). Answers come to ::lc_client_callbacks.presence.
 *
 * The session remembers the users whose subscription the server accepted
 * (up to ::LC_CLIENT_MAX_PRESENCE, in the store, so the list survives a
 * restart of the app) and subscribes to them again each time it becomes
 * ::LC_CLIENT_READY (after a reconnect, or the login after a restart);
 * that answer reports their current state through the presence callback
 * (no done). Unsubscribing and lc_client_logout() forget users. If the
 * server refuses the renewal (a user it no longer allows), the list is
 * forgotten and ::lc_client_callbacks.error gets the code: subscribe
 * again to the users still wanted. A failure to write the list to the
 * store is reported to ::lc_client_callbacks.error; the list in memory
 * stays.
 * @param[in] user_ids 1 .. ::LC_CLIENT_MAX_PRESENCE user ids.
 * @return 0 when sent, or ::LC_ERR_INVALID_ARG, ::LC_ERR_NOT_LOGGED_IN,
 *   ::LC_ERR_UNAVAILABLE (too many requests in flight, or more than
 *   ::LC_CLIENT_MAX_PRESENCE users would be subscribed), ::LC_ERR_NOMEM.
 */
LC_API int lc_client_presence_subscribe(lc_client *c,
					const char *const *user_ids,
					size_t n, int unsubscribe,
					uint64_t now);

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAT_CLIENT_H */
