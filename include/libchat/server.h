/**
 * @file server.h
 * @brief libchat-server: the sans-IO server core (link with libchat-server).
 *
 * Mobile applications never include this header; it belongs to the server
 * library, which is shipped and linked separately.
 */
#ifndef LIBCHAT_SERVER_H
#define LIBCHAT_SERVER_H

#include <libchat/common.h>
#include <libchat/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief The server library's version as "MAJOR.MINOR.PATCH".
 * @return a static string; never NULL, never freed.
 */
LC_API const char *lc_server_version(void);

/** A server core: accounts, devices, prekeys, routing, groups, presence. */
typedef struct lc_server lc_server;

/** One client connection of a server. */
typedef struct lc_server_conn lc_server_conn;

/** The version of ::lc_server_config and ::lc_server_callbacks this header
 *  describes; put it in their `version` field. Version 1 structures (built
 *  against an older header, without the fields marked "version 2") are
 *  still accepted: the fields they lack take their defaults. */
#define LC_SERVER_CONFIG_VERSION 2

/** Default idle timeout: a connection silent this long is closed (ms). */
#define LC_SERVER_IDLE_TIMEOUT_MS 60000u
/** Default heartbeat interval advertised to clients (ms). */
#define LC_SERVER_HEARTBEAT_MS 30000u
/** Default login token lifetime (ms): 30 days. */
#define LC_SERVER_TOKEN_LIFETIME_MS (30ull * 24 * 3600 * 1000)
/** Default message rate per user, per minute. */
#define LC_SERVER_RATE_PER_MINUTE 100u
/** Default one-time prekey pool size below which the owner is told. */
#define LC_SERVER_PREKEY_LOW 10u
/** Default minimum password length (bytes). */
#define LC_SERVER_MIN_PASSWORD 8u
/** Default number of members a group may hold. */
#define LC_SERVER_MAX_GROUP_MEMBERS 256u
/** Default time a message id is remembered for deduplication (ms): 7 days. */
#define LC_SERVER_DEDUPE_TTL_MS (7ull * 24 * 3600 * 1000)
/** Size of a message id and of a group id (bytes). */
#define LC_SERVER_ID_LEN 16
/** Size of a login token (bytes). */
#define LC_SERVER_TOKEN_LEN 32
/** Size of a device key: the client's Noise static public key (bytes). */
#define LC_SERVER_DEVICE_KEY_LEN 32
/** Default largest media blob a MediaTicket allows (bytes): 100 MiB. */
#define LC_SERVER_MEDIA_MAX_SIZE (100ull * 1024 * 1024)
/** Default Register requests allowed per source address per hour. */
#define LC_SERVER_REGISTER_PER_HOUR 20u
/** Default failed password logins allowed per source address per hour,
 *  whatever the accounts tried. */
#define LC_SERVER_LOGIN_FAILURES_PER_HOUR 60u
/** A per-address limit of this value is off (no limit). */
#define LC_SERVER_LIMIT_OFF UINT32_MAX
/** Largest source address lc_server_conn_open_peer() takes (bytes): an
 *  IPv6 address. */
#define LC_SERVER_PEER_MAX 16
/** Size of the buffer lc_server_token_verify() fills with a user id
 *  terminating NUL included (bytes). */
#define LC_SERVER_USER_ID_SIZE 65

/** Log levels of ::lc_server_callbacks.log. */
enum lc_server_log_level {
	LC_SERVER_LOG_ERROR = 0,
	LC_SERVER_LOG_WARN = 1,
	LC_SERVER_LOG_INFO = 2,
	LC_SERVER_LOG_DEBUG = 3
};

/**
 * @brief Server settings, copied by lc_server_new().
 *
 * Zero-initialise, set @p version to ::LC_SERVER_CONFIG_VERSION and set
 * what you need: every zero field takes the default named beside it.
 */
typedef struct lc_server_config {
	uint32_t version;               /**< ::LC_SERVER_CONFIG_VERSION */
	const char *data_dir;           /**< existing directory for the LMDB store (required) */
	const uint8_t *static_private;  /**< the server's Noise static X25519 private key,
	                                     ::LC_SERVER_DEVICE_KEY_LEN bytes, copied
	                                     (required for lc_server_conn_recv()) */
	uint64_t map_size;              /**< LMDB map size in bytes; 0: 1 GiB */
	uint64_t idle_timeout_ms;       /**< 0: ::LC_SERVER_IDLE_TIMEOUT_MS */
	uint64_t token_lifetime_ms;     /**< 0: ::LC_SERVER_TOKEN_LIFETIME_MS */
	uint64_t dedupe_ttl_ms;         /**< 0: ::LC_SERVER_DEDUPE_TTL_MS */
	uint32_t rate_per_minute;       /**< messages per user per minute; 0: ::LC_SERVER_RATE_PER_MINUTE */
	uint32_t prekey_low;            /**< 0: ::LC_SERVER_PREKEY_LOW */
	uint32_t min_password_len;      /**< 0: ::LC_SERVER_MIN_PASSWORD */
	uint32_t max_group_members;     /**< 0: ::LC_SERVER_MAX_GROUP_MEMBERS */
	uint32_t login_free_failures;   /**< failed logins per identifier before backoff; 0: 3 */
	uint64_t login_backoff_ms;      /**< first backoff, doubled per failure; 0: 1000 */
	uint64_t login_backoff_max_ms;  /**< 0: 15 minutes */
	uint64_t pwhash_opslimit;       /**< Argon2id; 0: crypto_pwhash_OPSLIMIT_INTERACTIVE */
	size_t pwhash_memlimit;         /**< Argon2id; 0: crypto_pwhash_MEMLIMIT_INTERACTIVE */
	const lc_allocator *mem;        /**< NULL: malloc; copied */
	const lc_rng *rng;              /**< NULL: randombytes_buf; copied */
	uint64_t media_max_size;        /**< largest blob a MediaTicket allows (bytes);
	                                     0: ::LC_SERVER_MEDIA_MAX_SIZE */
	/* version 2 */
	uint32_t register_per_hour;     /**< Register requests per source address
	                                     (lc_server_conn_open_peer()) per hour,
	                                     refilled continuously; 0:
	                                     ::LC_SERVER_REGISTER_PER_HOUR,
	                                     ::LC_SERVER_LIMIT_OFF: no limit */
	uint32_t login_failures_per_hour; /**< failed password logins per source
	                                     address per hour, across accounts; 0:
	                                     ::LC_SERVER_LOGIN_FAILURES_PER_HOUR,
	                                     ::LC_SERVER_LIMIT_OFF: no limit */
} lc_server_config;

/**
 * @brief What the server tells its caller, copied by lc_server_new().
 *
 * Every callback is optional (NULL) and receives the @p user_data given to
 * lc_server_new() as its last argument. Callbacks run inside the server's
 * functions and must not call back into the server, except
 * lc_server_conn_user_data().
 */
typedef struct lc_server_callbacks {
	uint32_t version; /**< ::LC_SERVER_CONFIG_VERSION */
	/** Close @p conn: idle, or a protocol error. Its remaining output may
	 *  still be taken; then call lc_server_conn_close(). @p reason is an
	 *  LC_ERR_* code (::LC_ERR_TIMEOUT, ::LC_ERR_MALFORMED, ...). */
	void (*close_conn)(lc_server_conn *conn, int reason, void *user_data);
	/** @p conn has output to send (called from lc_server_flush()). */
	void (*want_write)(lc_server_conn *conn, void *user_data);
	/** A message was durably queued for a device with no connection.
	 *  Carries no content. Strings and @p message_id live during the call. */
	void (*push)(const char *user_id, uint32_t device_id,
		     const char *sender_user_id, uint32_t sender_device_id,
		     const uint8_t message_id[LC_SERVER_ID_LEN], void *user_data);
	/** A log line (never with secrets); @p msg lives during the call. */
	void (*log)(int level, const char *msg, void *user_data);
	/* version 2 */
	/** Called by lc_server_flush() after its commit, once per device that
	 *  got new queue entries (messages, receipts, group events, notices)
	 *  in the turn and has no connection on this server. Another process
	 *  on the same data directory that holds the device's connection
	 *  delivers them when told through lc_server_remote_queued(). The
	 *  string lives during the call. */
	void (*queued)(const char *user_id, uint32_t device_id, void *user_data);
	/** A device's connection on this server logged in (@p online 1) or
	 *  closed or logged out (0); tell the other processes through
	 *  lc_server_remote_device(). Runs inside the call that caused it;
	 *  the string lives during the call. */
	void (*device_state)(const char *user_id, uint32_t device_id,
			     int online, void *user_data);
} lc_server_callbacks;

/**
 * @brief Create a server core over the LMDB store in @p cfg->data_dir.
 *
 * @param[out] srv       the new server; free with lc_server_free().
 * @param[in]  cfg       settings, copied (data_dir is used during the call only).
 * @param[in]  cb        callbacks, copied; NULL for none.
 * @param[in]  user_data passed to every callback.
 * @return 0, or
 *   ::LC_ERR_INVALID_ARG (NULL srv or cfg, wrong version, no data_dir,
 *   allocator lacking a hook), ::LC_ERR_INIT (libsodium), ::LC_ERR_NOMEM,
 *   ::LC_ERR_IO (the directory cannot be opened), ::LC_ERR_STORE_BUSY,
 *   ::LC_ERR_STORE_VERSION, ::LC_ERR_STORE_CORRUPT.
 * @note A server is used by one thread at a time. Several processes may
 *   open the same directory (LMDB's locking); each routes to its own
 *   connections, and reaches the others' through the queued and
 *   device_state callbacks, lc_server_remote_queued() and
 *   lc_server_remote_device().
 */
LC_API LC_WARN_UNUSED int lc_server_new(lc_server **srv,
					const lc_server_config *cfg,
					const lc_server_callbacks *cb,
					void *user_data);

/**
 * @brief Free a server: drops unflushed work, frees every connection.
 * @param[in] srv the server, or NULL (no-op).
 */
LC_API void lc_server_free(lc_server *srv);

/**
 * @brief Commit the work of this event-loop turn and release its output.
 *
 * Requests stage their writes in one open transaction; nothing a request
 * answers leaves the server before this call has made it durable (one
 * fsync per call, however many requests). Then every connection's output
 * is released (want_write is called) and the push callback runs for
 * messages queued to offline devices. Call it once at the end of every
 * event-loop turn that fed the server anything.
 *
 * @param[in] srv the server.
 * @param[in] now the current time, milliseconds since the Unix epoch.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_IO, ::LC_ERR_STORE_FULL:
 *   the commit failed, every connection with output held in this turn was
 *   closed (close_conn) and that output dropped; no Ack was sent for the
 *   lost work, so clients retry it.
 */
LC_API int lc_server_flush(lc_server *srv, uint64_t now);

/**
 * @brief The next time lc_server_handle_expiry() has work.
 * @param[in] srv the server.
 * @return a time in milliseconds since the epoch, or UINT64_MAX for none.
 */
LC_API uint64_t lc_server_get_expiry(const lc_server *srv);

/**
 * @brief Close idle connections and drop expired deduplication records.
 * @param[in] srv the server.
 * @param[in] now the current time (ms since the epoch).
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_IO (call lc_server_flush()
 *   after it, as after any input).
 */
LC_API int lc_server_handle_expiry(lc_server *srv, uint64_t now);

/**
 * @brief Open a connection (when the socket is accepted).
 * @param[in]  srv       the server.
 * @param[out] conn      the connection, owned by @p srv until
 *                       lc_server_conn_close().
 * @param[in]  user_data returned by lc_server_conn_user_data().
 * @param[in]  now       the current time (ms since the epoch).
 * @return 0, ::LC_ERR_INVALID_ARG, ::LC_ERR_NOMEM, ::LC_ERR_INIT.
 * @note With a static key the connection starts its Noise responder at
 *   once: lc_server_conn_send() then gives the server's prologue.
 * @note The connection has no source address, so the per-address limits
 *   (::lc_server_config.register_per_hour, login_failures_per_hour) do not
 *   apply to it; a server facing the Internet uses
 *   lc_server_conn_open_peer().
 */
LC_API LC_WARN_UNUSED int lc_server_conn_open(lc_server *srv,
					      lc_server_conn **conn,
					      void *user_data, uint64_t now);

/**
 * @brief Open a connection from a source address.
 *
 * As lc_server_conn_open(), and the connection counts against the limits
 * kept per source address: Register requests
 * (::lc_server_config.register_per_hour, against account creation and
 * account enumeration by phone or email) and failed password logins across
 * accounts (::lc_server_config.login_failures_per_hour). Beyond either,
 * the request is answered `Error{THROTTLED}` with `retry_after_ms`. The
 * limits are kept in the store, so every process on the data directory
 * shares them and a restart keeps them.
 *
 * @param[in]  srv       the server.
 * @param[out] conn      the connection, owned by @p srv until
 *                       lc_server_conn_close().
 * @param[in]  peer      the source address as opaque bytes, copied; the
 *                       caller chooses what one address is. The usual
 *                       choice: the 4 bytes of an IPv4 address, the first
 *                       8 bytes (the /64) of an IPv6 one, never the port.
 *                       NULL when @p peer_len is 0 (no address: as
 *                       lc_server_conn_open()).
 * @param[in]  peer_len  its length, 0 to ::LC_SERVER_PEER_MAX.
 * @param[in]  user_data returned by lc_server_conn_user_data().
 * @param[in]  now       the current time (ms since the epoch).
 * @return 0, ::LC_ERR_INVALID_ARG (NULL @p srv or @p conn, @p peer_len
 *   above ::LC_SERVER_PEER_MAX, NULL @p peer with a length),
 *   ::LC_ERR_NOMEM, ::LC_ERR_INIT.
 */
LC_API LC_WARN_UNUSED int lc_server_conn_open_peer(lc_server *srv,
						   lc_server_conn **conn,
						   const uint8_t *peer,
						   size_t peer_len,
						   void *user_data,
						   uint64_t now);

/**
 * @brief Close and free a connection; its device goes offline.
 *
 * Pushes sent on it and not acknowledged stay queued and are sent again on
 * the device's next connection.
 * @param[in] conn the connection, or NULL (no-op); invalid afterwards.
 * @param[in] now  the current time (ms since the epoch).
 */
LC_API void lc_server_conn_close(lc_server_conn *conn, uint64_t now);

/**
 * @brief The user_data given to lc_server_conn_open().
 * @param[in] conn the connection.
 * @return the pointer, never touched by the server.
 */
LC_API void *lc_server_conn_user_data(const lc_server_conn *conn);

/**
 * @brief Feed bytes received on a connection's socket.
 *
 * The bytes run through the connection's Noise responder (prologue,
 * handshake, then one Envelope per transport message); once the handshake
 * completes the client's static key is the connection's device key, and
 * every Envelope is handled. Answers wait for lc_server_flush().
 *
 * @param[in] conn the connection.
 * @param[in] in   the bytes; NULL when @p len is 0. Not kept.
 * @param[in] len  their count.
 * @param[in] now  the current time (ms since the epoch).
 * @return @p len (everything is consumed), or an error after which the
 *   connection only drains its output (lc_server_conn_send()) and is then
 *   closed by the caller:
 *   ::LC_ERR_INVALID_ARG (NULL @p conn, or @p in with a length),
 *   ::LC_ERR_INVALID_STATE (the server has no static key),
 *   ::LC_ERR_CLOSED (the connection is closing),
 *   ::LC_ERR_MALFORMED, ::LC_ERR_FRAME_TOO_LARGE (an Envelope that does
 *   not parse; an Error was queued), or the Noise layer's error
 *   (::LC_ERR_BAD_PROLOGUE, ::LC_ERR_VERSION, ::LC_ERR_NOISE_DECRYPT,
 *   ::LC_ERR_NOISE_BAD_LENGTH, ::LC_ERR_NOISE_REPLAY, ...), ::LC_ERR_NOMEM.
 */
LC_API int lc_server_conn_recv(lc_server_conn *conn, const uint8_t *in,
			       size_t len, uint64_t now);

/**
 * @brief Take the bytes to write to a connection's socket.
 *
 * Encrypts the Envelopes released by lc_server_flush() and points @p data
 * at the pending bytes. The bytes count as written at the next call: pass
 * them all to the socket before calling again (keep them if it blocks).
 *
 * @param[in]  conn the connection.
 * @param[out] data the bytes, in the connection's buffer, valid until the
 *                  next call on @p conn; never freed by the caller.
 * @return the byte count (0: nothing to write), or ::LC_ERR_INVALID_ARG,
 *   ::LC_ERR_INVALID_STATE (no static key), ::LC_ERR_NOMEM or the Noise
 *   layer's fatal error (close the connection).
 */
LC_API int lc_server_conn_send(lc_server_conn *conn, const uint8_t **data);

/**
 * @brief Whether the connection has bytes to write.
 * @param[in] conn the connection.
 * @return 1 when lc_server_conn_send() would return bytes, else 0.
 */
LC_API int lc_server_conn_want_write(const lc_server_conn *conn);

/**
 * @brief Whether the connection still reads.
 * @param[in] conn the connection.
 * @return 1 while input is expected; 0 once it is closing or its channel
 *   failed. When lc_server_conn_want_read() and lc_server_conn_want_write()
 *   both return 0, close the socket and call lc_server_conn_close().
 */
LC_API int lc_server_conn_want_read(const lc_server_conn *conn);

/**
 * @brief Check a login token presented outside a connection (the media
 * HTTP endpoint's `Authorization: Bearer`) and name its device.
 * The token alone finds its record (the store is keyed by its SHA-256);
 * nothing is written.
 * @param[in]  srv       the server.
 * @param[in]  token     the token's bytes (not its hex); read during the call.
 * @param[in]  len       their count; anything but ::LC_SERVER_TOKEN_LEN fails
 *                       with ::LC_ERR_AUTH_FAILED.
 * @param[in]  now       the current time (ms since the epoch).
 * @param[out] user_id   filled with the owner's user id, NUL-terminated, on
 *                       success only; the caller's buffer.
 * @param[out] device_id the owner's device id, on success only; may be NULL.
 * @return 0, or ::LC_ERR_INVALID_ARG (NULL @p srv, @p token or @p user_id),
 *   ::LC_ERR_AUTH_FAILED (no such token), ::LC_ERR_TOKEN_EXPIRED (revoked
 *   by logout or a newer login, or past its expiry), ::LC_ERR_IO,
 *   ::LC_ERR_STORE_BUSY, ::LC_ERR_STORE_CORRUPT (the store could not be read).
 * @note Same thread rule as every call on @p srv: one thread at a time. It
 *   may be called inside a turn or between turns; it sees the writes the
 *   current turn has staged (a logout fed earlier in the turn already
 *   counts). It may open the store's transaction, so end the turn with
 *   lc_server_flush() as after any input (with nothing staged that commit
 *   writes nothing and does not fsync).
 */
LC_API LC_WARN_UNUSED int lc_server_token_verify(lc_server *srv,
						 const uint8_t *token,
						 size_t len, uint64_t now,
						 char user_id[LC_SERVER_USER_ID_SIZE],
						 uint32_t *device_id);

/**
 * @brief Another process on the same data directory committed queue
 * entries for a device (its ::lc_server_callbacks.queued): when the
 * device has a connection here, send it what its queue holds.
 *
 * The entries are already in the store, so a notice that never arrives
 * loses nothing: the device gets them at its next connection or event.
 * Call lc_server_flush() at the end of the turn, as after any input.
 *
 * @param[in] srv       the server.
 * @param[in] user_id   the device's user, NUL-terminated, read during the
 *                      call; NULL: every connection here (after notices
 *                      were lost).
 * @param[in] device_id the device (ignored with a NULL @p user_id).
 * @param[in] now       the current time (ms since the epoch).
 * @return 0 (also when the device has no connection here), or
 *   ::LC_ERR_INVALID_ARG (NULL @p srv), ::LC_ERR_NOMEM, ::LC_ERR_IO,
 *   ::LC_ERR_STORE_BUSY, ::LC_ERR_STORE_CORRUPT (the queue could not be
 *   read; the entries stay queued).
 * @note Same thread rule as every call on @p srv: one thread at a time.
 */
LC_API int lc_server_remote_queued(lc_server *srv, const char *user_id,
				   uint32_t device_id, uint64_t now);

/**
 * @brief Another process on the same data directory reports that a device
 * connected (its ::lc_server_callbacks.device_state).
 *
 * The server counts the user online while a device is connected here or
 * elsewhere: presence answers say so, subscribers here get a
 * `PresenceUpdate` when the user's state changes overall, and no push is
 * called for a device connected elsewhere. Report every change, in order;
 * the counts start at zero, so every process must be told of the
 * connections made since it started.
 *
 * @param[in] srv       the server.
 * @param[in] user_id   the device's user, NUL-terminated, read during the
 *                      call.
 * @param[in] device_id the device.
 * @param[in] online    1: connected, 0: disconnected.
 * @param[in] now       the current time (ms since the epoch): the last-seen
 *                      time subscribers are told when the user goes offline.
 * @return 0, or ::LC_ERR_INVALID_ARG (NULL @p srv or @p user_id, or not a
 *   user id), ::LC_ERR_NOMEM.
 * @note Same thread rule as every call on @p srv: one thread at a time.
 *   Presence updates wait for lc_server_flush() like any output.
 */
LC_API int lc_server_remote_device(lc_server *srv, const char *user_id,
				   uint32_t device_id, int online,
				   uint64_t now);

/** The version of ::lc_server_stats this header describes; put it in its
 *  `version` field before lc_server_stats_get(). Version 1 callers (no
 *  latency fields) are still served. */
#define LC_SERVER_STATS_VERSION 2

/** Number of buckets of an ::lc_server_latency histogram. */
#define LC_SERVER_LATENCY_BUCKETS 14

/**
 * @brief A latency histogram, in milliseconds of the caller's clock.
 *
 * Bucket i counts the observations above the bound of bucket i - 1 and
 * at most lc_server_latency_bound(i) (the last bucket has no bound). The
 * buckets are not cumulative; Prometheus' `le` buckets are their running
 * sums.
 */
typedef struct lc_server_latency {
	uint64_t count;   /**< observations */
	uint64_t sum_ms;  /**< their sum (ms) */
	uint64_t buckets[LC_SERVER_LATENCY_BUCKETS]; /**< per bucket */
} lc_server_latency;

/**
 * @brief The upper bound of a latency bucket.
 * @param[in] i the bucket, 0 to ::LC_SERVER_LATENCY_BUCKETS - 1.
 * @return the bound in milliseconds (1, 2, 5, 10, 25, 50, 100, 250, 500,
 *   1000, 2500, 5000, 10000), or UINT64_MAX for the last bucket and for
 *   any @p i out of range.
 */
LC_API uint64_t lc_server_latency_bound(unsigned i);

/** Classes of the Error answers counted in ::lc_server_stats.errors, by
 *  the code sent on the wire. */
enum lc_server_error_class {
	/** malformed, oversize, unsupported or invalid requests, stale
	 *  device lists, bad phone, email or password, existing accounts */
	LC_SERVER_ERRCLASS_INVALID = 0,
	/** ::LC_ERR_AUTH_REQUIRED, ::LC_ERR_AUTH_FAILED, ::LC_ERR_TOKEN_EXPIRED */
	LC_SERVER_ERRCLASS_AUTH = 1,
	/** ::LC_ERR_FORBIDDEN, ::LC_ERR_NOT_MEMBER, ::LC_ERR_NOT_ADMIN */
	LC_SERVER_ERRCLASS_FORBIDDEN = 2,
	/** ::LC_ERR_RATE_LIMITED, ::LC_ERR_THROTTLED */
	LC_SERVER_ERRCLASS_LIMITED = 3,
	/** ::LC_ERR_NO_SUCH_USER, ::LC_ERR_NO_SUCH_GROUP, ::LC_ERR_NO_SUCH_DEVICE */
	LC_SERVER_ERRCLASS_NOT_FOUND = 4,
	/** the server's own failures: ::LC_ERR_INTERNAL, ::LC_ERR_UNAVAILABLE
	 *  (store full, busy or I/O), ::LC_ERR_NOMEM */
	LC_SERVER_ERRCLASS_SERVER = 5
};
/** Number of ::lc_server_error_class values (size of ::lc_server_stats.errors). */
#define LC_SERVER_ERRCLASS_COUNT 6

/**
 * @brief Counters and gauges of a server core, for monitoring.
 *
 * Set @p version to ::LC_SERVER_STATS_VERSION and call
 * lc_server_stats_get(). Later versions only append fields, so a caller
 * built against version 1 keeps working. Counters start at zero when the
 * server is created and never go down; they count only work whose writes
 * were committed by lc_server_flush() (a request that failed, or a turn
 * whose commit failed, changes nothing), except @p errors, counted when
 * the answer is made. Gauges are the current value.
 */
typedef struct lc_server_stats {
	uint32_t version;          /**< ::LC_SERVER_STATS_VERSION, set by the caller */
	uint64_t messages_direct;  /**< Sends to one peer acknowledged `sent`
	                                (retries deduplicated: counted once) */
	uint64_t messages_group;   /**< group Sends acknowledged `sent`, once each */
	uint64_t copies_live;      /**< message copies queued for a device that had
	                                a connection when they were routed (pushed
	                                to it at once) */
	uint64_t copies_offline;   /**< message copies queued for a device with no
	                                connection (the push callback is called) */
	uint64_t copies_acked;     /**< message copies the recipient device acked
	                                (each sends its sender a delivered receipt,
	                                unless the sender is the same user) */
	uint64_t queue_depth;      /**< gauge: queue entries (message copies,
	                                receipts, notices) stored and not yet
	                                acked, over every device; counted from the
	                                store when the server is created, then
	                                kept current by this server's own commits
	                                only: when other processes share the data
	                                directory it drifts, and
	                                lc_server_queue_depth() is the exact
	                                figure */
	uint64_t errors_total;     /**< requests answered with an Error */
	uint64_t errors[LC_SERVER_ERRCLASS_COUNT]; /**< the same, by
	                                ::lc_server_error_class */
	uint64_t conns_open;       /**< gauge: connections open (lc_server_conn_open()
	                                and not yet lc_server_conn_close()) */
	uint64_t conns_authed;     /**< gauge: those logged in as a device */
	/* version 2 */
	lc_server_latency sent_latency; /**< from a Send's input
	                                (lc_server_conn_recv()'s @p now) to
	                                the lc_server_flush() that releases
	                                its `sent` Ack (also a retry's) */
	lc_server_latency delivery_latency; /**< from a message's Send input
	                                to the lc_server_flush() that releases
	                                the copy to its recipient device's
	                                connection, for copies whose device was
	                                logged in when the message came (live
	                                delivery, here or through
	                                lc_server_remote_queued()); a copy
	                                drained from the queue at login is not
	                                counted, nor one sent again on a
	                                new connection */
} lc_server_stats;

/**
 * @brief Read the counters of a server.
 *
 * Plain reads of integers the core keeps up to date as it works: cheap
 * enough to call on every scrape; writes nothing, reads no store.
 * @param[in]  srv the server.
 * @param[out] out the caller's structure with @p version set; every field
 *                 of that version is filled on success, nothing otherwise.
 * @return 0, or ::LC_ERR_INVALID_ARG (NULL @p srv or @p out, @p version
 *   neither 1 nor ::LC_SERVER_STATS_VERSION).
 * @note Same thread rule as every call on @p srv: one thread at a time.
 *   Inside a turn the values do not yet include the turn's work; they do
 *   once lc_server_flush() has committed it.
 */
LC_API int lc_server_stats_get(const lc_server *srv, lc_server_stats *out);

/**
 * @brief Count the queue entries in the store, whoever wrote them.
 *
 * Every process serving the same data directory adds and removes queue
 * entries, so the ::lc_server_stats.queue_depth gauge of one server,
 * which follows only its own commits, drifts. This reads the exact
 * figure from the store instead: the entries (message copies, receipts,
 * notices) committed and not yet acked, over every device, by this
 * server and by every other process on the directory. Writes of the
 * current turn not yet committed by lc_server_flush() are not counted.
 * With the LMDB backend the count is kept by the store (no scan): a
 * read-only snapshot outside a turn, so it takes no write lock.
 * @param[in]  srv   the server.
 * @param[out] depth the count, set on success only.
 * @return 0, ::LC_ERR_INVALID_ARG (NULL @p srv or @p depth),
 *   ::LC_ERR_STORE_BUSY (no reader slot left in the store),
 *   ::LC_ERR_STORE_CORRUPT, ::LC_ERR_STORE_VERSION, ::LC_ERR_NOMEM,
 *   ::LC_ERR_IO (the store could not be read),
 *   ::LC_ERR_INTERNAL (the store disagrees with this turn's own writes).
 * @note Same thread rule as every call on @p srv: one thread at a time.
 */
LC_API int lc_server_queue_depth(const lc_server *srv, uint64_t *depth);

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAT_SERVER_H */
