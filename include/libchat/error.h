/**
 * @file error.h
 * @brief libchat error codes.
 *
 * Every libchat function that can fail returns an `int`: 0 (or a
 * non-negative count where documented) on success, or one of the negative
 * `LC_ERR_*` codes below. The codes live in the band [-1999, -1000], one
 * block of 100 per area, so they never collide with errno values or with
 * the codes of libraries libchat sits on (LMDB, libsodium): those are mapped
 * to libchat codes and never returned raw.
 *
 * Codes are stable: a published value never changes meaning. The codes that
 * can travel on the wire have the same absolute value as the protocol's
 * `ErrorCode` enum (lib/wire/proto/libchat.proto).
 *
 * A code is *fatal* (lc_err_is_fatal()) when the object that returned it can
 * no longer be used and may only be freed.
 */
#ifndef LIBCHAT_ERROR_H
#define LIBCHAT_ERROR_H

#include <libchat/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum lc_error {
	LC_OK = 0,

	/* general: -1000 .. -1099 */
	LC_ERR_NOMEM = -1001,            /**< an allocation failed (fatal) */
	LC_ERR_INVALID_ARG = -1002,      /**< an argument is out of its domain */
	LC_ERR_INVALID_STATE = -1003,    /**< not allowed in the object's state */
	LC_ERR_BUFFER_TOO_SMALL = -1004, /**< the output buffer is too small */
	LC_ERR_CALLBACK_FAILURE = -1005, /**< a user callback failed (fatal) */
	LC_ERR_NOT_FOUND = -1006,        /**< no such item */
	LC_ERR_EXISTS = -1007,           /**< the item exists already */
	LC_ERR_INTERNAL = -1008,         /**< an invariant broke (fatal) */
	LC_ERR_INIT = -1009,             /**< libsodium could not initialise */
	LC_ERR_IO = -1010,               /**< an operating-system I/O error */
	LC_ERR_UNAVAILABLE = -1011,      /**< try again later */

	/* frames and envelopes: -1100 .. -1199 */
	LC_ERR_FRAME_TOO_LARGE = -1101, /**< a length prefix exceeds the limit (fatal) */
	LC_ERR_MALFORMED = -1102,       /**< bytes that do not parse (fatal for a stream) */
	LC_ERR_VERSION = -1103,         /**< the peer speaks another protocol version (fatal) */
	LC_ERR_BAD_PROLOGUE = -1104,    /**< the stream does not start with "LCHAT" (fatal) */
	LC_ERR_TRUNCATED = -1105,       /**< the input ended inside a frame */
	LC_ERR_UNSUPPORTED = -1106,     /**< a well-formed message this side does not know */

	/* Noise transport: -1200 .. -1299 */
	LC_ERR_NOISE_BAD_LENGTH = -1201, /**< a handshake or transport message of the wrong length */
	LC_ERR_NOISE_DECRYPT = -1202,    /**< a transport or handshake payload failed authentication */
	LC_ERR_NOISE_NONCE_EXHAUSTED = -1203, /**< the 2^64-1 nonce limit is reached (fatal) */
	LC_ERR_NOISE_STATE = -1204,      /**< a call out of the handshake's order */
	LC_ERR_NOISE_PATTERN = -1205,    /**< an unknown or unsupported protocol name */
	LC_ERR_NOISE_KEY_MISMATCH = -1206, /**< the peer's static key differs from the pinned one */
	LC_ERR_NOISE_BAD_KEY = -1207,    /**< a public key is invalid (low order) */
	LC_ERR_NOISE_REPLAY = -1208,     /**< a transport message was replayed or reordered */

	/* end-to-end cryptography: -1300 .. -1399 */
	LC_ERR_BAD_SIGNATURE = -1301,    /**< a signature does not verify */
	LC_ERR_UNKNOWN_PREKEY = -1302,   /**< a prekey id this device does not have */
	LC_ERR_PREKEY_REUSED = -1303,    /**< a one-time prekey was used before */
	LC_ERR_DECRYPT = -1304,          /**< a ciphertext failed authentication */
	LC_ERR_DUPLICATE_MESSAGE = -1305, /**< a message already decrypted (replay) */
	LC_ERR_TOO_MANY_SKIPPED = -1306, /**< a message skips beyond the skipped-key bounds */
	LC_ERR_BAD_KEY = -1307,          /**< a public key is invalid (low order, wrong size) */
	LC_ERR_SESSION_VERSION = -1308,  /**< a serialised session of an unknown version */
	LC_ERR_BAD_PADDING = -1309,      /**< padding that does not check */
	LC_ERR_UNTRUSTED_IDENTITY = -1310, /**< a contact's identity key changed */
	LC_ERR_NO_SESSION = -1311,       /**< no session with that device */

	/* device store: -1400 .. -1499 */
	LC_ERR_STORE_VERSION = -1401,    /**< a store written by a newer libchat */
	LC_ERR_STORE_KEY = -1402,        /**< the at-rest key is wrong or missing */
	LC_ERR_STORE_CORRUPT = -1403,    /**< a record that does not decode */
	LC_ERR_STORE_FULL = -1404,       /**< the store reached its size limit */
	LC_ERR_STORE_BUSY = -1405,       /**< too many readers or a lock is held */

	/* receipts: -1500 .. -1599 (reserved) */

	/* client session: -1600 .. -1699 */
	LC_ERR_NOT_CONNECTED = -1601,    /**< the session has no connection */
	LC_ERR_NOT_LOGGED_IN = -1602,    /**< the operation needs a login */
	LC_ERR_IDENTITY_CHANGED = -1603, /**< held: a contact's key changed */
	LC_ERR_MEDIA_DIGEST = -1604,     /**< downloaded media does not match its digest */
	LC_ERR_CLOSED = -1605,           /**< the session or connection is closed */
	LC_ERR_MEDIA_KEY = -1606,        /**< the key does not open this media */
	LC_ERR_MEDIA_CHUNK = -1607,      /**< a media chunk is damaged, reordered or foreign */
	LC_ERR_MEDIA_TRUNCATED = -1608,  /**< media ends before its final chunk */

	/* server answers: -1700 .. -1799 */
	LC_ERR_AUTH_REQUIRED = -1701,    /**< the request needs an authenticated connection */
	LC_ERR_AUTH_FAILED = -1702,      /**< wrong password or token */
	LC_ERR_FORBIDDEN = -1703,        /**< not allowed for this user */
	LC_ERR_RATE_LIMITED = -1704,     /**< too many messages; retry later */
	LC_ERR_ACCOUNT_EXISTS = -1705,   /**< the phone or email is registered already */
	LC_ERR_NO_SUCH_USER = -1706,     /**< no such user */
	LC_ERR_NO_SUCH_GROUP = -1707,    /**< no such group */
	LC_ERR_NOT_MEMBER = -1708,       /**< not a member of the group */
	LC_ERR_NOT_ADMIN = -1709,        /**< the operation needs a group admin */
	LC_ERR_TOKEN_EXPIRED = -1710,    /**< the login token expired or was revoked */
	LC_ERR_INVALID_PHONE = -1711,    /**< not an E.164 phone number */
	LC_ERR_INVALID_EMAIL = -1712,    /**< not an email address */
	LC_ERR_WEAK_PASSWORD = -1713,    /**< the password is too short */
	LC_ERR_THROTTLED = -1714,        /**< too many login attempts; retry later */
	LC_ERR_MEDIA_TOO_LARGE = -1715,  /**< the blob exceeds the size limit */
	LC_ERR_TIMEOUT = -1716,          /**< the peer did not answer in time */
	LC_ERR_NO_SUCH_DEVICE = -1718,   /**< no such device */
	LC_ERR_STALE_DEVICES = -1719     /**< the recipients' device list changed */
};

/**
 * @brief Name an error code.
 * @param[in] code a code returned by any libchat function.
 * @return a static, human-readable English string; never NULL. An unknown
 *         code gives "unknown error".
 */
LC_API const char *lc_strerror(int code);

/**
 * @brief Tell whether an error leaves its object unusable.
 * @param[in] code a code returned by any libchat function.
 * @return 1 when the object that returned @p code may only be freed,
 *         0 otherwise (including for 0 and unknown codes).
 */
LC_API int lc_err_is_fatal(int code);

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAT_ERROR_H */
