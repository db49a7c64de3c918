/**
 * @file store.h
 * @brief The device store: message history, chat list, outbox, receipts,
 *        key material and local full-text search in one LMDB environment.
 *
 * One store holds one account on one device, in one directory. Every call
 * is one LMDB transaction: a write either happens completely or not at all,
 * also across a crash. What a crash can lose depends on the sync mode
 * (::lc_store_sync_mode); a killed process never loses a committed write.
 *
 * With an at-rest key (32 bytes, given on open) message texts and data,
 * sessions, sender keys, prekeys and other key blobs are sealed with
 * XChaCha20-Poly1305, and the search index holds keyed hashes of words,
 * never the words. Metadata stays readable: chat ids, sender ids,
 * timestamps, receipt states (what the server sees anyway).
 *
 * Results are returned in result objects the caller frees
 * (::lc_store_page, ::lc_store_chats, ::lc_store_hits). Every pointer read
 * from a result (strings, texts, data) lives exactly as long as the result
 * object; results do not depend on the store and may outlive it.
 *
 * Records read from disk are validated: a record that does not decode gives
 * ::LC_ERR_STORE_CORRUPT for that record (or an item flagged
 * ::LC_STORE_MSG_CORRUPT inside a page), never a crash.
 *
 * The on-disk format is described in doc/store.md.
 *
 * @note Thread rules: a store is used by one thread at a time (calls on one
 *       store must be serialised by the caller); result objects are plain
 *       memory and may be read from any thread. A directory is opened by at
 *       most one ::lc_store per process (an LMDB rule); other processes may
 *       open it too (LMDB's locking serialises their writes).
 */
#ifndef LIBCHAT_STORE_H
#define LIBCHAT_STORE_H

#include <libchat/common.h>
#include <libchat/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ sizes */

/** Length of the at-rest key. */
#define LC_STORE_KEY_LEN 32
/** Length of a message id (random, chosen by the sender). */
#define LC_STORE_ID_LEN 16
/** The longest chat id or user id, in bytes of UTF-8 (without the NUL). */
#define LC_STORE_NAME_MAX 128
/** The longest message text, in bytes of UTF-8. */
#define LC_STORE_TEXT_MAX 65536
/** The longest opaque message data (e.g. a serialised media pointer). */
#define LC_STORE_DATA_MAX 65536
/** The longest key blob (session, sender key, prekey, identity key). */
#define LC_STORE_BLOB_MAX 65536
/** The longest blob name. */
#define LC_STORE_BLOB_NAME_MAX 255
/** The longest identity public key. */
#define LC_STORE_IDENTITY_KEY_MAX 64
/** The number of timestamps a receipt record carries. */
#define LC_STORE_RECEIPT_TIMES 4
/** The page size used when a caller passes a limit of 0. */
#define LC_STORE_PAGE_DEFAULT 50
/** The largest page (messages, chats or search hits per call). */
#define LC_STORE_PAGE_MAX 1000
/** The longest search query, in bytes of UTF-8. */
#define LC_STORE_QUERY_MAX 256
/** The longest snippet of a search hit, in bytes (without the NUL). */
#define LC_STORE_SNIPPET_MAX 160
/** The latest message time accepted, in ms since the epoch (2^48 - 1,
 *  in the year 10889). */
#define LC_STORE_TIME_MAX 0xffffffffffffull
/** The schema version this library writes (doc/store.md). */
#define LC_STORE_SCHEMA_VERSION 3

/** Run-time copies of the size macros, for bindings. */
LC_API size_t lc_store_key_len(void);
LC_API size_t lc_store_id_len(void);
LC_API size_t lc_store_name_max(void);
LC_API size_t lc_store_text_max(void);
LC_API size_t lc_store_data_max(void);
LC_API size_t lc_store_blob_max(void);
LC_API size_t lc_store_page_max(void);
LC_API unsigned lc_store_schema_version(void);

/* ------------------------------------------------------------ open/close */

/** An open store (opaque). */
typedef struct lc_store lc_store;

/**
 * @brief Durability of committed writes.
 *
 * A killed process (SIGKILL, crash) never loses a committed write in any
 * mode: the data is in the kernel's page cache. The modes differ only when
 * the machine loses power or the OS crashes.
 */
typedef enum lc_store_sync_mode {
	/** fsync at every commit: nothing committed is ever lost (default). */
	LC_STORE_SYNC_FULL = 0,
	/** Data is flushed at every commit, the meta page lazily
	 *  (MDB_NOMETASYNC): a power loss may undo the last transaction,
	 *  never corrupt the store. */
	LC_STORE_SYNC_META = 1,
	/** No fsync (MDB_NOSYNC): a power loss may undo recent transactions
	 *  and, on file systems that reorder writes, damage the store. Call
	 *  lc_store_sync() at safe points. */
	LC_STORE_SYNC_NONE = 2
} lc_store_sync_mode;

/** The current version of ::lc_store_options. */
#define LC_STORE_OPTIONS_VERSION 1

/** Options for lc_store_open(); fill with lc_store_options_init(). */
typedef struct lc_store_options {
	unsigned struct_version;   /**< ::LC_STORE_OPTIONS_VERSION */
	lc_store_sync_mode sync;        /**< durability; default ::LC_STORE_SYNC_FULL */
	/** The largest the store may grow, in bytes; 0 for the default
	 *  (64 GiB on 64-bit systems, 1 GiB on 32-bit). The map starts small
	 *  and grows by doubling; past this limit writes fail with
	 *  ::LC_ERR_STORE_FULL. */
	uint64_t max_size;
	const lc_allocator *mem;   /**< allocator, copied; NULL for default */
	const lc_rng *rng;         /**< nonce source, copied; NULL for default */
} lc_store_options;

/**
 * @brief Fill @p opts with the defaults.
 * @param[out] opts the options to initialise.
 */
LC_API void lc_store_options_init(lc_store_options *opts);

/**
 * @brief Open (or create) the store in directory @p dir.
 *
 * Creates @p dir (mode 0700) when it does not exist. A new store records
 * the schema version and, when @p key is given, a sealed check value; an
 * existing store is checked against both, and a store of an older schema
 * version is migrated in place.
 *
 * @param[out] out the new store, to be closed with lc_store_close().
 * @param[in] dir the account directory (UTF-8 path); not kept.
 * @param[in] key NULL, or ::LC_STORE_KEY_LEN bytes of at-rest key, copied
 *            into protected memory; the caller may wipe its copy.
 * @param[in] opts NULL for the defaults, or options (copied).
 * @return 0, or
 *   - ::LC_ERR_INVALID_ARG: NULL @p out or @p dir, unknown
 *     @p opts->struct_version or sync mode, an allocator lacking a hook;
 *   - ::LC_ERR_STORE_VERSION: the store was written by a newer schema;
 *   - ::LC_ERR_STORE_KEY: the key is wrong, or a key was given for an
 *     unsealed store, or none for a sealed one;
 *   - ::LC_ERR_STORE_CORRUPT: the meta records do not decode;
 *   - ::LC_ERR_STORE_BUSY: the lock file is held in an incompatible way or
 *     the reader table is full;
 *   - ::LC_ERR_STORE_FULL: the store is larger than @p opts->max_size;
 *   - ::LC_ERR_IO: the directory or files cannot be created or opened;
 *   - ::LC_ERR_INIT: libsodium could not initialise;
 *   - ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_store_open(lc_store **out, const char *dir,
					const uint8_t *key,
					const lc_store_options *opts);

/**
 * @brief Close the store, wiping the key. NULL is a no-op.
 * @param[in] store the store; invalid afterwards. Result objects it
 *            returned stay valid.
 */
LC_API void lc_store_close(lc_store *store);

/**
 * @brief Flush every committed write to disk (for ::LC_STORE_SYNC_NONE and
 *        ::LC_STORE_SYNC_META).
 * @return 0, or ::LC_ERR_IO, or ::LC_ERR_INVALID_ARG for NULL.
 */
LC_API int lc_store_sync(lc_store *store);

/**
 * @brief Tell whether the store is sealed with an at-rest key.
 * @return 1 when sealed, 0 when not (or @p store is NULL).
 */
LC_API int lc_store_is_sealed(const lc_store *store);

/* ------------------------------------------------------------ messages */

/** Message flag: written by this account (sent from one of its devices).
 *  Outgoing messages never count as unread. */
#define LC_STORE_MSG_OUTGOING 0x1u
/** Message flag: incoming, but already read when stored (does not raise
 *  the chat's unread count). */
#define LC_STORE_MSG_READ 0x2u
/** Message flag, output only: the record did not decode; only @c chat_id
 *  and @c time_ms are valid (and @c id in lc_store_outbox_list()), the
 *  strings are empty and the rest is zero. */
#define LC_STORE_MSG_CORRUPT 0x80000000u
/** The flags a caller may set. */
#define LC_STORE_MSG_FLAGS_MASK 0xffffu

/**
 * @brief A message, as given to lc_store_message_put() and as returned
 *        in pages and search hits.
 *
 * As input, every pointer is read during the call only. As output, every
 * pointer lives as long as the result object that holds the message.
 * Strings are NUL-terminated; @c text is NUL-terminated too on output.
 */
typedef struct lc_store_message {
	uint8_t id[LC_STORE_ID_LEN]; /**< unique message id */
	const char *chat_id;   /**< UTF-8, 1..::LC_STORE_NAME_MAX bytes */
	const char *sender_id; /**< UTF-8 user id, 0..::LC_STORE_NAME_MAX bytes
				    (NULL reads as "") */
	uint32_t sender_device; /**< sender's device id (0 when unknown) */
	uint64_t time_ms;      /**< sort time: orders the chat's messages;
				    at most ::LC_STORE_TIME_MAX */
	uint32_t flags;        /**< ::LC_STORE_MSG_OUTGOING, ... */
	uint32_t state;        /**< aggregate receipt state; its values belong
				    to lc_receipt_* (the store keeps it) */
	uint32_t kind;         /**< content kind, defined by the caller */
	const char *text;      /**< UTF-8 text, indexed for search (may be
				    NULL when @c text_len is 0) */
	size_t text_len;       /**< 0..::LC_STORE_TEXT_MAX */
	const uint8_t *data;   /**< opaque data, not indexed (may be NULL) */
	size_t data_len;       /**< 0..::LC_STORE_DATA_MAX */
} lc_store_message;

/** Put flag: also append the message to the outbox, in the same
 *  transaction (the send path). */
#define LC_STORE_PUT_OUTBOX 0x1u

/**
 * @brief Store one message (and index it for search, update its chat, and
 *        optionally queue it in the outbox) in one transaction.
 *
 * A message whose id is already stored is not written again (duplicates
 * are stored once), and nothing else changes.
 *
 * @param[in] store the store.
 * @param[in] msg the message; read during the call only. @c state is
 *            stored as given; ::LC_STORE_MSG_CORRUPT must be clear.
 * @param[in] flags 0 or ::LC_STORE_PUT_OUTBOX.
 * @return 0 when stored, or
 *   - ::LC_ERR_EXISTS: the id is stored already (nothing written);
 *   - ::LC_ERR_INVALID_ARG: NULL pointers, an empty, too long or
 *     non-UTF-8 chat id or sender id, a text that is too long or not
 *     UTF-8, data too long, unknown flags, a time above
 *     ::LC_STORE_TIME_MAX;
 *   - ::LC_ERR_STORE_FULL (also: 2^24 - 1 chats or 2^32 - 1 messages
 *     were created), ::LC_ERR_STORE_CORRUPT (of the chat record),
 *     ::LC_ERR_IO, ::LC_ERR_NOMEM.
 */
LC_API int lc_store_message_put(lc_store *store, const lc_store_message *msg,
				unsigned flags);

/**
 * @brief Store many messages in one transaction (the fast path).
 *
 * Validates every message first: if any is invalid nothing is written.
 * Messages whose id is stored already, or repeats an earlier one of the
 * batch, are skipped.
 *
 * @param[in] store the store.
 * @param[in] msgs @p n messages; read during the call only.
 * @param[in] n number of messages (0 is allowed and writes nothing).
 * @param[in] flags 0 or ::LC_STORE_PUT_OUTBOX (applies to each message
 *            stored, in array order).
 * @param[out] results NULL, or @p n ints: 0 for a stored message,
 *             ::LC_ERR_EXISTS for a skipped duplicate,
 *             ::LC_ERR_INVALID_ARG for an invalid one.
 * @return the number of messages stored (>= 0), or
 *   - ::LC_ERR_INVALID_ARG: a NULL pointer or an invalid message;
 *   - ::LC_ERR_STORE_FULL, ::LC_ERR_STORE_CORRUPT, ::LC_ERR_IO,
 *     ::LC_ERR_NOMEM (nothing written).
 */
LC_API int lc_store_messages_put(lc_store *store, const lc_store_message *msgs,
				 size_t n, unsigned flags, int *results);

/**
 * @brief Delete one message: its record, id index entry, search postings,
 *        receipts and outbox entry; the chat's last message and unread
 *        count follow.
 * @return 0, or ::LC_ERR_NOT_FOUND, ::LC_ERR_INVALID_ARG (NULL),
 *         ::LC_ERR_STORE_CORRUPT, ::LC_ERR_STORE_FULL, ::LC_ERR_IO,
 *         ::LC_ERR_NOMEM.
 * @note A corrupt message record is still deleted (its postings cannot be
 *       found and stay behind; search skips postings of missing messages).
 */
LC_API int lc_store_message_delete(lc_store *store,
				   const uint8_t id[LC_STORE_ID_LEN]);

/**
 * @brief Set a message's aggregate receipt state.
 * @return 0, or ::LC_ERR_NOT_FOUND, ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_STORE_CORRUPT, ::LC_ERR_STORE_FULL, ::LC_ERR_IO,
 *         ::LC_ERR_NOMEM.
 */
LC_API int lc_store_message_set_state(lc_store *store,
				      const uint8_t id[LC_STORE_ID_LEN],
				      uint32_t state);

/** A page of messages (opaque); free with lc_store_page_free(). */
typedef struct lc_store_page lc_store_page;

/**
 * @brief Read one message by id.
 * @param[out] out a page holding exactly that message.
 * @return 0, or ::LC_ERR_NOT_FOUND, ::LC_ERR_STORE_CORRUPT (the record does
 *         not decode, or the key is wrong for it), ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_IO, ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_store_message_get(lc_store *store,
					       const uint8_t id[LC_STORE_ID_LEN],
					       lc_store_page **out);

/**
 * @brief Read a chat's messages newest first, skipping @p offset.
 *
 * For lazy loading prefer lc_store_messages_before(): an offset shifts
 * when new messages arrive, a cursor does not.
 *
 * @param[in] chat_id the chat.
 * @param[in] offset how many of the newest messages to skip.
 * @param[in] limit 0 for ::LC_STORE_PAGE_DEFAULT, at most
 *            ::LC_STORE_PAGE_MAX.
 * @param[out] out the page (possibly empty: an unknown chat has no
 *             messages); lc_store_page_has_more() tells whether older
 *             messages exist.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_IO, ::LC_ERR_NOMEM. A record
 *         that does not decode is returned flagged ::LC_STORE_MSG_CORRUPT.
 */
LC_API LC_WARN_UNUSED int lc_store_messages_page(lc_store *store,
						 const char *chat_id,
						 size_t offset, size_t limit,
						 lc_store_page **out);

/**
 * @brief Read a chat's messages older than message @p before_id, newest
 *        first (a stable cursor: pass the id of the last message of the
 *        previous page).
 * @param[in] before_id NULL for the newest messages, else a message of
 *            this chat.
 * @param[in] limit 0 for ::LC_STORE_PAGE_DEFAULT, at most
 *            ::LC_STORE_PAGE_MAX.
 * @param[out] out the page.
 * @return 0, or ::LC_ERR_NOT_FOUND (@p before_id is not a message of the
 *         chat, e.g. deleted meanwhile), ::LC_ERR_INVALID_ARG, ::LC_ERR_IO,
 *         ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_store_messages_before(lc_store *store,
						   const char *chat_id,
						   const uint8_t *before_id,
						   size_t limit,
						   lc_store_page **out);

/** @brief The number of messages in @p page (0 for NULL). */
LC_API size_t lc_store_page_count(const lc_store_page *page);
/** @brief Message @p i of @p page, or NULL when out of range; lives as
 *         long as @p page. */
LC_API const lc_store_message *lc_store_page_get(const lc_store_page *page,
						 size_t i);
/** @brief 1 when more (older) messages follow the page, else 0. */
LC_API int lc_store_page_has_more(const lc_store_page *page);
/** @brief Free a page and every pointer read from it. NULL is a no-op. */
LC_API void lc_store_page_free(lc_store_page *page);

/* ------------------------------------------------------------ outbox */

/**
 * @brief Queue a stored message in the outbox again (e.g. a retry after a
 *        failed send). Already queued: no change.
 * @return 0, or ::LC_ERR_NOT_FOUND (no such message), ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_STORE_FULL, ::LC_ERR_IO, ::LC_ERR_NOMEM.
 */
LC_API int lc_store_outbox_add(lc_store *store,
			       const uint8_t id[LC_STORE_ID_LEN]);

/**
 * @brief Remove a message from the outbox: the server's `sent` ack arrived.
 * @return 0, or ::LC_ERR_NOT_FOUND (not queued: a repeated ack),
 *         ::LC_ERR_INVALID_ARG, ::LC_ERR_STORE_FULL, ::LC_ERR_IO,
 *         ::LC_ERR_NOMEM.
 */
LC_API int lc_store_outbox_ack(lc_store *store,
			       const uint8_t id[LC_STORE_ID_LEN]);

/**
 * @brief List queued messages oldest first (insertion order): the replay
 *        on restart.
 * @param[in] limit 0 for ::LC_STORE_PAGE_DEFAULT, at most
 *            ::LC_STORE_PAGE_MAX; has_more tells whether more are queued.
 * @param[out] out the page, in the order the messages were queued.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_IO, ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_store_outbox_list(lc_store *store, size_t limit,
					       lc_store_page **out);

/* ------------------------------------------------------------ chats */

/** A chat-list entry, as returned by lc_store_chats_list(). */
typedef struct lc_store_chat {
	const char *chat_id;        /**< NUL-terminated UTF-8 */
	uint64_t last_activity_ms;  /**< newest message time (0: none yet) */
	uint32_t unread;            /**< incoming messages not yet read */
	uint32_t retention;         /**< message limit, 0 for none */
	uint64_t message_count;     /**< messages stored */
	int has_last;               /**< 1 when @c last is set */
	lc_store_message last;      /**< the newest message */
} lc_store_chat;

/** A list of chats (opaque); free with lc_store_chats_free(). */
typedef struct lc_store_chats lc_store_chats;

/**
 * @brief List chats, most recent activity first.
 * @param[in] offset chats to skip.
 * @param[in] limit 0 for ::LC_STORE_PAGE_DEFAULT, at most
 *            ::LC_STORE_PAGE_MAX.
 * @param[out] out the list.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_STORE_CORRUPT (a chat
 *         record), ::LC_ERR_IO, ::LC_ERR_NOMEM. A last message that does
 *         not decode is returned flagged ::LC_STORE_MSG_CORRUPT.
 */
LC_API LC_WARN_UNUSED int lc_store_chats_list(lc_store *store, size_t offset,
					      size_t limit,
					      lc_store_chats **out);

/**
 * @brief Read one chat's entry.
 * @param[out] out a list holding exactly that chat.
 * @return 0, or ::LC_ERR_NOT_FOUND, ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_STORE_CORRUPT, ::LC_ERR_IO, ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_store_chat_get(lc_store *store,
					    const char *chat_id,
					    lc_store_chats **out);

/** @brief The number of chats in @p list (0 for NULL). */
LC_API size_t lc_store_chats_count(const lc_store_chats *list);
/** @brief Chat @p i of @p list, or NULL when out of range; lives as long
 *         as @p list. */
LC_API const lc_store_chat *lc_store_chats_get(const lc_store_chats *list,
					       size_t i);
/** @brief 1 when more chats follow the list, else 0. */
LC_API int lc_store_chats_has_more(const lc_store_chats *list);
/** @brief Free a list and every pointer read from it. NULL is a no-op. */
LC_API void lc_store_chats_free(lc_store_chats *list);

/**
 * @brief Mark every message of a chat read (unread count to 0).
 * @return 0, or ::LC_ERR_NOT_FOUND (no such chat), ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_STORE_CORRUPT, ::LC_ERR_STORE_FULL, ::LC_ERR_IO,
 *         ::LC_ERR_NOMEM.
 */
LC_API int lc_store_chat_mark_read(lc_store *store, const char *chat_id);

/**
 * @brief Delete a chat with all its messages (their index entries,
 *        postings, receipts and outbox entries).
 * @return 0, or ::LC_ERR_NOT_FOUND, ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_STORE_CORRUPT, ::LC_ERR_STORE_FULL, ::LC_ERR_IO,
 *         ::LC_ERR_NOMEM.
 */
LC_API int lc_store_chat_delete(lc_store *store, const char *chat_id);

/**
 * @brief Keep at most @p max_messages in a chat: the oldest beyond it are
 *        deleted now and whenever a message is added. Creates the chat
 *        when it does not exist.
 * @param[in] max_messages the limit; 0 for none.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_STORE_CORRUPT,
 *         ::LC_ERR_STORE_FULL, ::LC_ERR_IO, ::LC_ERR_NOMEM.
 */
LC_API int lc_store_chat_set_retention(lc_store *store, const char *chat_id,
				       uint32_t max_messages);

/* ------------------------------------------------------------ receipts */

/**
 * @brief The receipt record of one message for one recipient device.
 *
 * The store keeps @c state and @c times as given; their meaning belongs to
 * the receipt state machine (lc_receipt_*).
 */
typedef struct lc_store_receipt {
	char user_id[LC_STORE_NAME_MAX + 1]; /**< NUL-terminated UTF-8 */
	uint32_t device_id;                  /**< recipient device */
	uint32_t state;                      /**< raw state value */
	uint64_t times[LC_STORE_RECEIPT_TIMES]; /**< raw timestamps (ms) */
} lc_store_receipt;

/**
 * @brief Write receipt records of one message, and optionally its
 *        aggregate state, in one transaction. A record for the same
 *        (user, device) is replaced.
 * @param[in] id the message (must be stored).
 * @param[in] recs @p n records; read during the call only.
 * @param[in] msg_state NULL, or the message's new aggregate state.
 * @return 0, or ::LC_ERR_NOT_FOUND (no such message), ::LC_ERR_INVALID_ARG
 *         (NULL pointers, a bad user id), ::LC_ERR_STORE_CORRUPT,
 *         ::LC_ERR_STORE_FULL, ::LC_ERR_IO, ::LC_ERR_NOMEM.
 */
LC_API int lc_store_receipts_put(lc_store *store,
				 const uint8_t id[LC_STORE_ID_LEN],
				 const lc_store_receipt *recs, size_t n,
				 const uint32_t *msg_state);

/**
 * @brief Delete the receipt record of one recipient device (e.g. a member
 *        left the group).
 * @return 0, or ::LC_ERR_NOT_FOUND, ::LC_ERR_INVALID_ARG, ::LC_ERR_IO,
 *         ::LC_ERR_STORE_FULL, ::LC_ERR_NOMEM.
 */
LC_API int lc_store_receipt_delete(lc_store *store,
				   const uint8_t id[LC_STORE_ID_LEN],
				   const char *user_id, uint32_t device_id);

/**
 * @brief Read every receipt record of a message, ordered by user id then
 *        device id.
 * @param[out] out caller array of @p cap records (may be NULL when @p cap
 *             is 0).
 * @param[out] count the number of records the message has.
 * @return 0, or ::LC_ERR_BUFFER_TOO_SMALL (@p *count says how many are
 *         needed; the first @p cap are written), ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_STORE_CORRUPT, ::LC_ERR_IO. A message without records
 *         gives 0 with @p *count 0.
 */
LC_API LC_WARN_UNUSED int lc_store_receipts_get(lc_store *store,
						const uint8_t id[LC_STORE_ID_LEN],
						lc_store_receipt *out,
						size_t cap, size_t *count);

/* ------------------------------------------------------------ key blobs */

/** Kinds of key material kept for the cryptography layer. Each kind is its
 *  own sub-database; names are chosen by the caller (e.g. user id, a NUL
 *  and a 4-byte device id). Blobs are sealed when the store has a key. */
typedef enum lc_store_blob_kind {
	LC_STORE_BLOB_SESSION = 1,    /**< pairwise ratchet sessions */
	LC_STORE_BLOB_SENDER_KEY = 2, /**< group sender keys */
	LC_STORE_BLOB_PREKEY = 3,     /**< own prekeys (one-time, signed) */
	LC_STORE_BLOB_LOCAL = 4       /**< own identity and other secrets */
} lc_store_blob_kind;

/**
 * @brief Write (create or replace) a key blob.
 * @param[in] name 1..::LC_STORE_BLOB_NAME_MAX bytes.
 * @param[in] blob 0..::LC_STORE_BLOB_MAX bytes; read during the call only.
 * @return 0, or ::LC_ERR_INVALID_ARG, ::LC_ERR_STORE_FULL, ::LC_ERR_IO,
 *         ::LC_ERR_NOMEM.
 */
LC_API int lc_store_blob_put(lc_store *store, lc_store_blob_kind kind,
			     const uint8_t *name, size_t name_len,
			     const uint8_t *blob, size_t blob_len);

/**
 * @brief Read a key blob into a caller buffer.
 * @param[out] out @p cap bytes (may be NULL when @p cap is 0).
 * @param[out] len the blob's length.
 * @return 0, or ::LC_ERR_NOT_FOUND, ::LC_ERR_BUFFER_TOO_SMALL (@p *len
 *         says how much is needed; nothing written), ::LC_ERR_STORE_CORRUPT
 *         (does not decode or authenticate), ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_IO, ::LC_ERR_NOMEM.
 * @note The caller owns @p out and should wipe secrets from it.
 */
LC_API LC_WARN_UNUSED int lc_store_blob_get(lc_store *store,
					    lc_store_blob_kind kind,
					    const uint8_t *name,
					    size_t name_len, uint8_t *out,
					    size_t cap, size_t *len);

/**
 * @brief Delete a key blob.
 * @return 0, or ::LC_ERR_NOT_FOUND, ::LC_ERR_INVALID_ARG, ::LC_ERR_IO,
 *         ::LC_ERR_STORE_FULL, ::LC_ERR_NOMEM.
 */
LC_API int lc_store_blob_delete(lc_store *store, lc_store_blob_kind kind,
				const uint8_t *name, size_t name_len);

/* ------------------------------------------------------------ identities */

/** lc_store_identity_save(): the first key seen for this device. */
#define LC_STORE_IDENTITY_NEW 0
/** lc_store_identity_save(): the same key as stored. */
#define LC_STORE_IDENTITY_SAME 1
/** lc_store_identity_save(): a different key; it replaced the old one and
 *  a key-change event was recorded. */
#define LC_STORE_IDENTITY_CHANGED 2

/** What the store knows about a contact device's identity key. */
typedef struct lc_store_identity {
	uint8_t key[LC_STORE_IDENTITY_KEY_MAX]; /**< the current key */
	size_t key_len;
	uint64_t first_seen_ms;  /**< when the first key was saved */
	uint64_t changed_ms;     /**< when the key last changed (0: never) */
	uint32_t changes;        /**< how many times it changed */
	uint8_t prev_key[LC_STORE_IDENTITY_KEY_MAX]; /**< the key before the
						       last change */
	size_t prev_key_len;     /**< 0 when it never changed */
} lc_store_identity;

/**
 * @brief Save a contact device's identity key, trusting the first one seen
 *        (TOFU) and recording every change.
 * @param[in] key 1..::LC_STORE_IDENTITY_KEY_MAX bytes.
 * @param[in] now_ms the current time.
 * @return ::LC_STORE_IDENTITY_NEW, ::LC_STORE_IDENTITY_SAME or
 *         ::LC_STORE_IDENTITY_CHANGED (>= 0), or ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_STORE_CORRUPT, ::LC_ERR_STORE_FULL, ::LC_ERR_IO,
 *         ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_store_identity_save(lc_store *store,
						 const char *user_id,
						 uint32_t device_id,
						 const uint8_t *key,
						 size_t key_len,
						 uint64_t now_ms);

/**
 * @brief Read what is known of a contact device's identity.
 * @param[out] out filled on success.
 * @return 0, or ::LC_ERR_NOT_FOUND, ::LC_ERR_INVALID_ARG,
 *         ::LC_ERR_STORE_CORRUPT, ::LC_ERR_IO, ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_store_identity_get(lc_store *store,
						const char *user_id,
						uint32_t device_id,
						lc_store_identity *out);

/* ------------------------------------------------------------ search */

/** A search hit: a message and a snippet of its text. */
typedef struct lc_store_hit {
	lc_store_message message; /**< the matching message */
	const char *snippet;      /**< NUL-terminated UTF-8, at most
				       ::LC_STORE_SNIPPET_MAX bytes; "..." marks
				       cuts */
	size_t snippet_len;
	size_t match_off;         /**< first matching word in @c snippet */
	size_t match_len;
} lc_store_hit;

/** Search results (opaque); free with lc_store_hits_free(). */
typedef struct lc_store_hits lc_store_hits;

/**
 * @brief Full-text search, newest first.
 *
 * The query is tokenised like texts: words are folded to lower case
 * without accents (Latin scripts), other scripts are split on word
 * boundaries, CJK ideographs and kana are one word each. A message matches
 * when, for every query word, one of its words starts with it (`piz` finds
 * `pizza`). A query word of one character matches only that one-character
 * word.
 *
 * @param[in] query UTF-8, at most ::LC_STORE_QUERY_MAX bytes.
 * @param[in] chat_id NULL for every chat, or one chat.
 * @param[in] before_id NULL, or a hit of a previous call: continue after
 *            it (paging).
 * @param[in] limit 0 for ::LC_STORE_PAGE_DEFAULT, at most
 *            ::LC_STORE_PAGE_MAX.
 * @param[out] out the hits (empty when the query has no words).
 * @return 0, or ::LC_ERR_INVALID_ARG (NULL, too long or non-UTF-8 query),
 *         ::LC_ERR_NOT_FOUND (@p before_id unknown), ::LC_ERR_IO,
 *         ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_store_search(lc_store *store, const char *query,
					  const char *chat_id,
					  const uint8_t *before_id,
					  size_t limit, lc_store_hits **out);

/** @brief The number of hits (0 for NULL). */
LC_API size_t lc_store_hits_count(const lc_store_hits *hits);
/** @brief Hit @p i, or NULL when out of range; lives as long as @p hits. */
LC_API const lc_store_hit *lc_store_hits_get(const lc_store_hits *hits,
					     size_t i);
/** @brief 1 when more hits may follow, else 0. */
LC_API int lc_store_hits_has_more(const lc_store_hits *hits);
/** @brief Free hits and every pointer read from them. NULL is a no-op. */
LC_API void lc_store_hits_free(lc_store_hits *hits);

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAT_STORE_H */
