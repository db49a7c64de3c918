/**
 * @file client_event.h
 * @brief The optional libevent driver of a client session: TCP or
 *        WebSocket connect, reads and writes, heartbeats and timeouts,
 *        reconnect with exponential backoff and jitter.
 *
 * Link with the driver library (it needs libevent 2.1); the session itself
 * (include/libchat/client.h) does not. Apps that own their network stack
 * drive lc_client directly instead.
 *
 * @note Thread rules: the driver, its session and its event_base are used
 *   by the thread that runs the loop; the session's callbacks run on it.
 *   After calling a session operation (lc_client_send_text(), ...) from
 *   outside a callback, call lc_client_event_kick() so its output is
 *   written; inside a callback the driver writes it by itself.
 * @note libevent's socket writes (writev, sendfile) can raise SIGPIPE
 *   when the server closes a connection mid-write (chatd answers 413 to
 *   an oversized upload before reading it): ignore SIGPIPE in the process
 *   (as `chat` does).
 */
#ifndef LIBCHAT_CLIENT_EVENT_H
#define LIBCHAT_CLIENT_EVENT_H

#include <libchat/client.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;

/** A driver (opaque). */
typedef struct lc_client_event lc_client_event;

/** The version of ::lc_client_event_config this header describes (2 added
 *  the HTTP address and ws_path; version 1 structs are still accepted). */
#define LC_CLIENT_EVENT_CONFIG_VERSION 2
/** Default first reconnect delay (ms). */
#define LC_CLIENT_EVENT_BACKOFF_MIN_MS 500u
/** Default longest reconnect delay (ms). */
#define LC_CLIENT_EVENT_BACKOFF_MAX_MS 60000u

/** Driver settings, copied by lc_client_event_new(). */
typedef struct lc_client_event_config {
	uint32_t version;        /**< ::LC_CLIENT_EVENT_CONFIG_VERSION */
	const char *host;        /**< server name or address (copied) */
	uint16_t port;           /**< server TCP port */
	uint64_t backoff_min_ms; /**< 0: ::LC_CLIENT_EVENT_BACKOFF_MIN_MS */
	uint64_t backoff_max_ms; /**< 0: ::LC_CLIENT_EVENT_BACKOFF_MAX_MS */
	/* version 2 */
	const char *http_host;   /**< the server's HTTP listener for media
				      (chatd's `http`); NULL or "": @p host */
	uint16_t http_port;      /**< its port; 0: no media (uploads and
				      downloads fail with ::LC_ERR_INVALID_STATE) */
	/** Since version 2. NULL or "": the TCP transport (a 2-byte length
	 *  before each Noise message). A path starting with '/' (chatd's
	 *  default is "/v1/ws"): WebSocket (RFC 6455) to host:port, one
	 *  Noise message per binary message, for networks that pass only
	 *  HTTP. The driver checks the server's Sec-WebSocket-Accept and
	 *  masks its frames; the Noise channel inside is the same. Copied. */
	const char *ws_path;
} lc_client_event_config;

/**
 * @brief Bind a session to an event loop.
 * @param[out] out  the driver; free with lc_client_event_free().
 * @param[in]  base the loop; must outlive the driver.
 * @param[in]  c    the session; must outlive the driver; not owned.
 * @param[in]  cfg  settings, copied.
 * @return 0, or ::LC_ERR_INVALID_ARG (NULL pointers, unknown version, no
 *   host, port 0, min above max, a ws_path not starting with '/' or
 *   holding spaces or line breaks), ::LC_ERR_NOMEM.
 */
LC_API LC_WARN_UNUSED int lc_client_event_new(lc_client_event **out,
					      struct event_base *base,
					      lc_client *c,
					      const lc_client_event_config *cfg);

/**
 * @brief Connect now, and reconnect whenever the connection ends (after
 *        min, 2 min, 4 min ... up to max ms, each with up to 50 % random
 *        jitter; the delay resets once a connection reaches
 *        ::LC_CLIENT_READY).
 * @return 0, or ::LC_ERR_INVALID_STATE (started already), ::LC_ERR_NOMEM,
 *   ::LC_ERR_IO (no socket).
 */
LC_API int lc_client_event_start(lc_client_event *ev);

/** @brief Write the session's pending output and re-arm its timer. */
LC_API void lc_client_event_kick(lc_client_event *ev);

/** @brief Close the connection and stop reconnecting. */
LC_API void lc_client_event_stop(lc_client_event *ev);

/** @brief 1 while a TCP connection is open (over WebSocket: also while
 *         its upgrade is under way), else 0. */
LC_API int lc_client_event_connected(const lc_client_event *ev);

/* ------------------------------------------------------------- media */

/**
 * @brief The end of an upload: @p code is 0 and @p media the pointer to
 *        send (lc_client_send_media() or lc_client_send_group_media()),
 *        or @p code is an error and @p media NULL. @p media lives during
 *        the call only and holds the file's key: copy what you keep.
 */
typedef void (*lc_client_event_upload_cb)(int code,
					  const lc_client_media *media,
					  void *user_data);

/**
 * @brief The end of a download: @p code is 0 and the file is at @p path,
 *        complete and checked, or @p code is an error and nothing is at
 *        @p path.
 */
typedef void (*lc_client_event_download_cb)(int code, const char *path,
					    void *user_data);

/**
 * @brief Encrypt a file under a fresh key and upload the ciphertext
 *        (`POST` to the ticket's path, `/v1/media/upload`, with the
 *        session's token).
 *
 * Everything after the checks below runs on the loop, so the
 * connection's heartbeats and messages keep flowing during a large
 * upload. When the session is ::LC_CLIENT_READY the driver first asks
 * the server for a ticket (lc_client_upload_ticket()) for the
 * ciphertext's size: a file over the server's limit then fails with
 * ::LC_ERR_MEDIA_TOO_LARGE before any byte is encrypted or sent. (When
 * it is not READY the upload starts without a ticket; the server's 413
 * still refuses a file over its limit.) Then the file is read and
 * encrypted (lc_media_encrypt_new()), 512 KiB per loop iteration, into an
 * unlinked temporary file (under `TMPDIR`, else /tmp) that libevent sends
 * from disk, so the file is never held in memory whole.
 *
 * @param[in] ev        the driver, configured with an HTTP address.
 * @param[in] path      the file to send; opened during the call and read
 *                      afterwards (do not change it until @p cb).
 * @param[in] mime_type NULL, or the MIME type to announce (copied).
 * @param[in] file_name NULL for the last component of @p path, or the
 *                      name to announce (copied).
 * @param[in] caption   NULL, or a caption (copied).
 * @param[in] cb        called once, on the loop's thread, unless the
 *                      driver is freed first.
 * @return 0 when the upload started, or ::LC_ERR_INVALID_ARG (NULL
 *   pointers; a MIME type, name or caption out of ::lc_client_media's
 *   limits), ::LC_ERR_INVALID_STATE (no HTTP address),
 *   ::LC_ERR_NOT_LOGGED_IN, ::LC_ERR_IO (the file cannot be read, or the
 *   temporary file created), ::LC_ERR_NOMEM. Later failures come to @p cb:
 *   ::LC_ERR_MEDIA_TOO_LARGE (the ticket refused, or 413),
 *   ::LC_ERR_NOT_CONNECTED (the connection ended while asking for the
 *   ticket), ::LC_ERR_IO (the file or the temporary file failed, the file
 *   changed size while read), ::LC_ERR_AUTH_FAILED (401),
 *   ::LC_ERR_UNAVAILABLE (5xx), ::LC_ERR_MALFORMED (an answer without an
 *   id), ::LC_ERR_IO (no connection, timeout).
 */
LC_API int lc_client_event_upload(lc_client_event *ev, const char *path,
				  const char *mime_type,
				  const char *file_name, const char *caption,
				  lc_client_event_upload_cb cb,
				  void *user_data);

/**
 * @brief Download a file a message pointed to, check and decrypt it into
 *        @p path.
 *
 * The ciphertext is decrypted as it arrives into `PATH.part`; every chunk
 * is authenticated on the way and the whole file's digest at the end.
 * Only then is `PATH.part` renamed to @p path; on any failure it is
 * removed.
 *
 * @param[in] ev    the driver, configured with an HTTP address.
 * @param[in] media the pointer (from ::lc_client_message.media or
 *                  lc_client_media_decode()); copied.
 * @param[in] path  where to write the file (copied); replaced if present.
 * @param[in] cb    called once, on the loop's thread, unless the driver
 *                  is freed first.
 * @return 0 when the download started, or ::LC_ERR_INVALID_ARG,
 *   ::LC_ERR_INVALID_STATE (no HTTP address), ::LC_ERR_NOT_LOGGED_IN,
 *   ::LC_ERR_IO (`PATH.part` cannot be created), ::LC_ERR_NOMEM. Later
 *   failures come to @p cb: ::LC_ERR_NOT_FOUND (404: never stored or
 *   expired), ::LC_ERR_AUTH_FAILED, ::LC_ERR_UNAVAILABLE, ::LC_ERR_IO,
 *   and the checks of lc_media_stream_update() and
 *   lc_media_stream_final(): ::LC_ERR_MEDIA_DIGEST, ::LC_ERR_MEDIA_KEY,
 *   ::LC_ERR_MEDIA_CHUNK, ::LC_ERR_MEDIA_TRUNCATED, ::LC_ERR_MALFORMED,
 *   ::LC_ERR_UNSUPPORTED.
 */
LC_API int lc_client_event_download(lc_client_event *ev,
				    const lc_client_media *media,
				    const char *path,
				    lc_client_event_download_cb cb,
				    void *user_data);

/** @brief Stop and free the driver (not the session). NULL is a no-op.
 *         Uploads and downloads in flight are cancelled without calling
 *         their callbacks (a partial download is removed). */
LC_API void lc_client_event_free(lc_client_event *ev);

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAT_CLIENT_EVENT_H */
