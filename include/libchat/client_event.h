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

/** The version of ::lc_client_event_config this header describes
 *  (version 1, without ws_path, is still accepted). */
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

/** @brief Stop and free the driver (not the session). NULL is a no-op. */
LC_API void lc_client_event_free(lc_client_event *ev);

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAT_CLIENT_EVENT_H */
