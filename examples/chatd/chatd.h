/* chatd: the reference server around the libchat-server core.
 *
 * One worker = one libevent loop + one lc_server over the data directory:
 * a TCP listener for Noise + frames, optionally a WebSocket listener for
 * the same, an HTTP listener for health and metrics, timers from the core,
 * a push provider. Several workers are separate processes sharing the
 * ports through SO_REUSEPORT; they tell each other of queued entries and
 * device connections (sib.c). */
#ifndef CHATD_H
#define CHATD_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include <libchat/server.h>

#define CHATD_ADDR_MAX 128
#define CHATD_PATH_MAX 512

typedef struct chatd_config {
	char listen[CHATD_ADDR_MAX];   /* frames: HOST:PORT */
	char http[CHATD_ADDR_MAX];     /* health, metrics: HOST:PORT */
	char ws[CHATD_ADDR_MAX];       /* WebSocket frames: HOST:PORT; "": off */
	char ws_path[CHATD_ADDR_MAX];  /* the WebSocket's request path */
	char ws_origins[CHATD_PATH_MAX]; /* allowed Origins; "": any */
	char data[CHATD_PATH_MAX];     /* LMDB directory and server key */
	unsigned workers;
	char push[16];                 /* "log" or "webhook" */
	char push_url[CHATD_PATH_MAX];
	unsigned push_queue;           /* pending notifications kept */
	unsigned push_retries;         /* attempts per notification */
	uint64_t push_backoff_ms;      /* first retry delay, doubled */
	int log_level;                 /* LC_SERVER_LOG_* */
	uint64_t map_size_mb;
	uint64_t idle_timeout_ms;
	uint64_t token_lifetime_ms;
	uint32_t rate_per_minute;
	uint32_t min_password_len;
	uint32_t max_group_members;
	uint64_t pwhash_opslimit;
	uint64_t pwhash_memlimit;
	uint64_t drain_timeout_ms;
	uint64_t max_conn_output;      /* bytes buffered per connection */
	uint64_t media_max_size;       /* largest media upload (bytes) */
	uint32_t media_retention_days; /* unaccessed blobs kept; 0: forever */
	uint64_t media_sweep_interval_ms;
	uint32_t register_per_hour;       /* per source address; 0: no limit */
	uint32_t login_failures_per_hour; /* per source address; 0: no limit */
} chatd_config;

/* config.c */
void chatd_config_defaults(chatd_config *c);
int chatd_config_file(chatd_config *c, const char *path);
int chatd_config_set(chatd_config *c, const char *key, const char *val);
void chatd_config_help(FILE *out);

/* log.c: one key=value line per event on stderr. */
void chatd_log_init(int level, unsigned worker);
int chatd_log_level_parse(const char *s);
void chatd_log(int level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* key.c: the server's Noise static key in DATA/server.key (0600). */
int chatd_key_load(const char *dir, uint8_t *priv, uint8_t pub[32]);

/* metrics.c: each worker's figures live in its slot of a mapping shared
 * by every worker (metrics_slot.c), so /metrics and /healthz describe the
 * whole server whichever worker answers. chatd_metrics_create() before
 * forking; worker `index` chatd_metrics_attach() first thing; the
 * supervisor chatd_metrics_release() once a worker has exited (its
 * gauges go to zero, its counters stay in the totals). */
int chatd_metrics_create(unsigned workers);
void chatd_metrics_attach(unsigned index);
void chatd_metrics_release(unsigned index);
/* Copy the core's counters into this worker's slot (once per turn). */
void chatd_metrics_publish(void);
void chatd_metrics_conn(int delta);
void chatd_metrics_closed(int reason);
void chatd_metrics_paused(void);
void chatd_metrics_bytes(uint64_t in, uint64_t out);
void chatd_metrics_turn(uint64_t usec, int flush_rc);
void chatd_metrics_push(const char *what);
void chatd_metrics_push_depth(size_t n);
void chatd_metrics_http(int code);
/* A WebSocket upgrade answered with this HTTP status. */
void chatd_metrics_ws(int status);
void chatd_metrics_render(struct evbuffer *out);
/* The worker's server core, whose counters /metrics adds; NULL: none. */
void chatd_metrics_server(const lc_server *srv);
int chatd_metrics_healthy(void);

/* push.c */
typedef struct chatd_push chatd_push;
int chatd_push_new(chatd_push **p, struct event_base *base,
		   const chatd_config *cfg);
void chatd_push_free(chatd_push *p);
void chatd_push_notify(chatd_push *p, const char *user, uint32_t dev,
		       const char *sender, uint32_t sender_dev,
		       const uint8_t mid[LC_SERVER_ID_LEN]);

/* media.c: tokens, streamed uploads, blobs, the sweep. end_turn(arg) is
 * called after each token check so the store's transaction does not stay
 * open during file I/O. */
typedef struct chatd_media chatd_media;
typedef struct chatd_upload chatd_upload;
int chatd_media_new(chatd_media **m, struct event_base *base,
		    const chatd_config *cfg, lc_server *srv,
		    void (*end_turn)(void *), void *arg);
void chatd_media_free(chatd_media *m);
/* An Authorization value [value, value+len) (NULL: none): 0 with the
 * token's user and device, or the HTTP status to answer (401, 503) with
 * *why. */
int chatd_media_auth(chatd_media *m, const char *value, size_t len,
		     char uid[LC_SERVER_USER_ID_SIZE], uint32_t *dev,
		     const char **why);
/* An upload: a temporary file in DATA/media/tmp written and hashed as the
 * body arrives; finish fsyncs it and links it to its content address
 * (hex), abort removes it. Both free u. 0 or -1. */
int chatd_upload_begin(chatd_media *m, chatd_upload **u);
int chatd_upload_write(chatd_upload *u, const void *p, size_t n);
int chatd_upload_finish(chatd_upload *u, char hex[65]);
void chatd_upload_abort(chatd_upload *u);
/* Open the blob id [id, id+len) for reading and restart its retention
 * clock: 200 with *fd (the caller's) and *size, or 400 (not an id), 404,
 * 500. */
int chatd_media_open(chatd_media *m, const char *id, size_t len, int *fd,
		     uint64_t *size);
void chatd_media_sweep(chatd_media *m);

/* http.c: the HTTP listener (health, metrics, media) on bufferevents,
 * with request bodies streamed to disk. */
typedef struct chatd_http chatd_http;
int chatd_http_start(struct event_base *base, const chatd_config *cfg,
		     chatd_media *media, int fd, chatd_http **out);
void chatd_http_free(chatd_http *h);

/* sib.c: notices between worker processes. chatd_sib_create() before
 * forking n workers; the supervisor then calls chatd_sib_close_all(),
 * worker `self` chatd_sib_start() (kick(arg) starts a turn after notices
 * were fed to the core). With fewer than 2 workers every call is a no-op. */
int chatd_sib_create(unsigned n);
void chatd_sib_close_all(void);
int chatd_sib_start(struct event_base *base, unsigned self, lc_server *srv,
		    void (*kick)(void *), void *arg);
void chatd_sib_stop(void);
void chatd_sib_queued(const char *uid, uint32_t dev);
void chatd_sib_device(const char *uid, uint32_t dev, int online);
/* Send the records of this turn (after lc_server_flush()). */
void chatd_sib_flush(void);
void chatd_sib_counts(uint64_t *sent, uint64_t *dropped, uint64_t *received);

/* worker.c: one event loop; returns the exit status. */
int chatd_worker_run(const chatd_config *cfg, const uint8_t *server_key,
		     unsigned index, int frame_fd, int http_fd, int ws_fd);

/* addr.c: "HOST:PORT" into a sockaddr; a listening socket. */
int chatd_listen_socket(const char *hostport, int reuseport);
int chatd_sock_port(int fd);
/* The source address the core's per-address limits count by: 4 bytes
 * for IPv4 (also IPv4-mapped IPv6), the /64 prefix (8 bytes) for IPv6;
 * 0 for anything else. */
struct sockaddr;
int chatd_peer_port(const struct sockaddr *sa);
size_t chatd_peer_key(const struct sockaddr *sa, unsigned len,
		      uint8_t out[LC_SERVER_PEER_MAX]);

uint64_t chatd_now_ms(void);

#endif
