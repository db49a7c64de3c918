/* Internal: the server core's state, shared by its source files. */
#ifndef LC_SERVER_INT_H
#define LC_SERVER_INT_H

#include <sodium.h>

#include <libchat/error.h>
#include <libchat/frame.h>
#include <libchat/noise.h>
#include <libchat/server.h>

#include "alloc.h"
#include "backend.h"
#include "envelope.h"

#define LC_UID_MAX 64          /* user id bytes (protocol limit) */
#define LC_NAME_MAX 64         /* display and device name bytes */
#define LC_GROUP_NAME_MAX 128
#define LC_MEDIA_ID_MAX 64
#define LC_IDENT_MAX 258       /* "p:" or "e:" + 254-byte address + NUL */
#define LC_INFLIGHT_MAX 32     /* unacknowledged pushes per connection */
#define LC_USER_BUCKETS 1024   /* user registry hash buckets */
#define LC_MAX_OTK_UPLOAD 100  /* one-time prekeys per KeysUpload */
#define LC_MAX_OTK_POOL 1000   /* one-time prekeys kept per device */
#define LC_MAX_DEVICES 16      /* devices per user */
#define LC_MAX_LIST 256        /* ids in one request (users, receipts) */
#define LC_MAX_WATCHES 256     /* presence subscriptions per connection */
#define LC_QKEY_MAX (LC_UID_MAX + 1 + 4 + 8)

typedef struct lc_addr {
	char uid[LC_UID_MAX + 1];
	uint32_t dev;
} lc_addr;

/* One packed Envelope waiting for flush (srv->held) or for the
 * transport (conn->out). */
struct lc_out {
	struct lc_out *next;
	lc_server_conn *conn;
	size_t len;
	uint8_t data[];
};

struct lc_inflight {
	uint64_t rid;  /* the push's request id on this connection */
	uint64_t seq;  /* its queue entry */
};

struct lc_ustate;

/* A presence subscription of conn to target. */
struct lc_watch {
	struct lc_watch *next_t; /* in target->watchers */
	struct lc_watch *next_c; /* in conn->watches */
	lc_server_conn *conn;
	struct lc_ustate *target;
};

/* A device connected to another process (lc_server_remote_device). */
struct lc_remote_dev {
	uint32_t dev;
	uint32_t n; /* its connections there */
};

/* A user known in memory: online connections, rate bucket, watchers. */
struct lc_ustate {
	struct lc_ustate *hnext;
	char uid[LC_UID_MAX + 1];
	lc_server_conn *conns;    /* authenticated, linked by unext */
	unsigned n_conns;
	struct lc_remote_dev *remote; /* devices connected elsewhere */
	unsigned n_remote;        /* entries of remote */
	unsigned remote_conns;    /* the sum of their n */
	uint64_t tokens;          /* rate bucket, in 1/60000 messages */
	uint64_t refilled_at;
	struct lc_watch *watchers;
};

struct lc_server_conn {
	lc_server *srv;
	void *user_data;
	lc_server_conn *prev, *next; /* every connection */
	lc_server_conn *unext;       /* in user->conns */
	struct lc_ustate *user;      /* set while authenticated */
	uint32_t dev;
	uint8_t device_key[LC_SERVER_DEVICE_KEY_LEN];
	int has_key;
	int closing;
	uint64_t last_rx;
	uint64_t authed_at;          /* when it logged in */
	struct lc_out *out_head, *out_tail, *popped;
	uint64_t next_rid;           /* next push request id */
	uint64_t next_seq;           /* first queue seq not yet pushed */
	struct lc_inflight inflight[LC_INFLIGHT_MAX];
	unsigned n_inflight;
	struct lc_watch *watches;
	unsigned n_watches;
	lc_noise_conn *noise;        /* NULL when the server has no key */
	size_t sent;                 /* output bytes handed out last time */
	uint8_t peer[LC_SERVER_PEER_MAX]; /* source address; peer_len 0: none */
	uint8_t peer_len;
};

/* Counter changes waiting for the writes they describe to be kept. */
struct lc_stat_delta {
	uint64_t direct, group, live, offline, acked;
	int64_t depth;
};

/* A device named in a STALE_DEVICES answer. */
struct lc_stale {
	lc_addr a;
	uint8_t extra; /* 1: named but not current; 0: current but missing */
};

/* Work to do once the current request's writes are kept. */
struct lc_touch {
	lc_addr to;
	lc_addr from;
	uint8_t msg_id[LC_SERVER_ID_LEN];
	int is_msg;
};

struct lc_server {
	lc_allocator mem;
	lc_rng rng;
	lc_server_config cfg;
	lc_server_callbacks cb;
	void *user_data;
	lc_backend be;
	lc_server_conn *conns;
	struct lc_ustate *users[LC_USER_BUCKETS];
	struct lc_out *held, *held_tail;
	struct lc_touch *touched;    /* by the current request */
	size_t n_touched, cap_touched;
	struct lc_touch *hooks;      /* push hooks due after the commit */
	size_t n_hooks, cap_hooks;
	struct lc_touch *rq;         /* queued callbacks due after the commit */
	size_t n_rq, cap_rq;
	uint64_t retry_after;        /* set by a handler with its error */
	struct lc_stale *stale;      /* set by a handler with STALE_DEVICES */
	size_t n_stale, cap_stale;
	char dummy_hash[crypto_pwhash_STRBYTES]; /* for unknown accounts */
	uint8_t *static_private;     /* sodium_malloc'd, or NULL */
	lc_server_stats stats;       /* what lc_server_stats_get() copies */
	struct lc_stat_delta req;    /* by the current request, until release */
	struct lc_stat_delta turn;   /* by the turn's kept requests, until commit */
	uint64_t *lat_at[2];         /* receipt times waiting for the flush: */
	size_t n_lat[2], cap_lat[2]; /* [0] sent Acks, [1] live deliveries */
	uint8_t al_cursor[1 + LC_SERVER_PEER_MAX]; /* addrlimit sweep position */
	size_t al_cursor_len;
};

/* Record of a user (LC_T_USERS). */
typedef struct lc_user_rec {
	char name[LC_NAME_MAX + 1];
	uint8_t avatar[LC_MEDIA_ID_MAX];
	size_t avatar_len;
	char pwhash[crypto_pwhash_STRBYTES];
	uint32_t next_dev;
	uint64_t created;
} lc_user_rec;

/* Record of a device (LC_T_DEVICES). */
typedef struct lc_dev_rec {
	uint8_t key[LC_SERVER_DEVICE_KEY_LEN];
	uint8_t has_ik, has_spk, has_token;
	uint8_t ik[32];
	uint32_t spk_id;
	uint8_t spk[32];
	uint8_t spk_sig[64];
	uint8_t token_hash[32];
	char name[LC_NAME_MAX + 1];
} lc_dev_rec;

/* ---- store.c: records over the backend */
int lc_st_user_get(lc_server *s, const char *uid, lc_user_rec *u);
int lc_st_user_put(lc_server *s, const char *uid, const lc_user_rec *u);
int lc_st_dev_get(lc_server *s, const char *uid, uint32_t dev, lc_dev_rec *d);
int lc_st_dev_put(lc_server *s, const char *uid, uint32_t dev,
		  const lc_dev_rec *d);
/* The user's device ids in ascending order (at most LC_MAX_DEVICES). */
int lc_st_dev_list(lc_server *s, const char *uid, uint32_t *ids, size_t *n);
size_t lc_st_dev_key(uint8_t *out, const char *uid, uint32_t dev);
/* Queue an entry for a device; kind and sender go in its header. */
int lc_st_queue_push(lc_server *s, const lc_addr *to, const lc_envelope *e,
		     const lc_addr *from, const uint8_t *msg_id);
int lc_st_get_u64(lc_server *s, int table, lc_slice key, uint64_t *v);
int lc_st_put_u64(lc_server *s, int table, lc_slice key, uint64_t v);

/* ---- out.c: output */
/* Pack e and hold it for conn until flush. */
int lc_srv_emit(lc_server *s, lc_server_conn *c, const lc_envelope *e);
int lc_srv_emit_raw(lc_server *s, lc_server_conn *c, const uint8_t *p,
		    size_t n, uint64_t rid);
int lc_srv_ack(lc_server *s, lc_server_conn *c, uint64_t rid,
	       Libchat__Ack *ack, uint64_t now);
void lc_srv_error(lc_server *s, lc_server_conn *c, uint64_t rid, int code,
		  uint64_t retry_after);
/* ---- group_cover.c: record a device for the STALE_DEVICES answer */
int lc_stale_add(lc_server *s, const char *uid, uint32_t dev, int extra);
void lc_srv_drop_held(lc_server *s, lc_server_conn *c);
void lc_srv_log(lc_server *s, int level, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
/* Run the deferred work of a request whose writes were kept. */
int lc_srv_settle(lc_server *s);
int lc_srv_touch(lc_server *s, const lc_addr *to, const lc_addr *from,
		 const uint8_t *msg_id);

/* ---- registry.c: users in memory, connections of devices */
struct lc_ustate *lc_reg_user(lc_server *s, const char *uid, int create);
lc_server_conn *lc_reg_conn(lc_server *s, const char *uid, uint32_t dev);
int lc_reg_attach(lc_server *s, lc_server_conn *c, const char *uid,
		  uint32_t dev, uint64_t now);
void lc_reg_detach(lc_server *s, lc_server_conn *c, uint64_t now);
void lc_reg_gc(lc_server *s, struct lc_ustate *u);
/* Online anywhere: a connection here or in another process. */
int lc_reg_online(const struct lc_ustate *u);
/* Whether (uid, dev) is connected to another process. */
int lc_reg_remote_conn(lc_server *s, const char *uid, uint32_t dev);
int lc_reg_remote(lc_server *s, const char *uid, uint32_t dev, int online,
		  uint64_t now);

/* ---- push.c: queue delivery */
int lc_push_pump(lc_server *s, lc_server_conn *c);
int lc_push_acked(lc_server *s, lc_server_conn *c, uint64_t rid,
		  uint64_t now);
/* Queue a push for every device of uid (but skip, when given). */
int lc_push_user(lc_server *s, const char *uid, const lc_envelope *e,
		 const lc_addr *skip);

/* ---- handlers (dispatch.c routes to them); each returns 0 after it
 * answered, or an error the dispatcher answers after a rollback. */
typedef int lc_handler(lc_server *s, lc_server_conn *c,
		       const lc_envelope *e, uint64_t now);
lc_handler lc_h_register, lc_h_login, lc_h_logout, lc_h_profile,
	lc_h_lookup, lc_h_keys_upload, lc_h_prekey_fetch, lc_h_send,
	lc_h_receipt, lc_h_group_create, lc_h_group_add, lc_h_group_remove,
	lc_h_group_leave, lc_h_group_info, lc_h_presence_sub,
	lc_h_heartbeat, lc_h_media;

/* ---- token.c */
int lc_token_issue(lc_server *s, const char *uid, uint32_t dev,
		   lc_dev_rec *d, uint64_t now, uint8_t token[32],
		   uint64_t *expires);
int lc_token_revoke(lc_server *s, const uint8_t hash[32]);
int lc_token_check(lc_server *s, const uint8_t *token, size_t len,
		   const char *uid, uint32_t dev, uint64_t now,
		   uint64_t *expires);

/* ---- throttle.c: failed password logins per identifier */
int lc_throttle_check(lc_server *s, const char *ident, uint64_t now);
int lc_throttle_fail(lc_server *s, const char *ident, uint64_t now);
int lc_throttle_clear(lc_server *s, const char *ident);

/* ---- addrlimit.c: limits per source address (token buckets per hour,
 * in the store) */
enum lc_addrlimit_kind {
	LC_AL_REGISTER = 'r', /* Register requests */
	LC_AL_LOGIN = 'l'     /* failed password logins */
};
/* Before the request's savepoint: a Register spends one unit (kept even
 * when the request fails), a password Login needs one unit left. 0, or
 * LC_ERR_THROTTLED with s->retry_after set, or a store error. */
int lc_addrlimit_pre(lc_server *s, lc_server_conn *c, const lc_envelope *e,
		     uint64_t now);
/* Spend one unit of c's bucket (never below empty). */
int lc_addrlimit_spend(lc_server *s, lc_server_conn *c, int kind,
		       uint64_t now);
/* Drop up to max records whose bucket is full again. */
int lc_addrlimit_purge(lc_server *s, uint64_t now, unsigned max);

/* ---- accounts.c */
/* The connection's address; the caller checked it is authenticated. */
void lc_conn_addr(const lc_server_conn *c, lc_addr *a);

/* ---- presence.c */
void lc_presence_unwatch_all(lc_server *s, lc_server_conn *c);

/* ---- route.c */
/* Queue one Deliver of a message for one device. */
int lc_deliver(lc_server *s, const lc_addr *to, const lc_addr *from,
	       const uint8_t *mid, const ProtobufCBinaryData *gid,
	       Libchat__CipherType type, const ProtobufCBinaryData *body,
	       uint64_t now);
int lc_group_fanout(lc_server *s, const Libchat__Send *m, const lc_addr *me,
		    uint64_t now);
int lc_dedupe_purge(lc_server *s, uint64_t now, unsigned max);

/* ---- stats.c */
/* Count the queue entries in the store (at creation). */
int lc_stats_open(lc_server *s);
/* Move the request's changes into the turn (kept) or drop them. */
void lc_stats_request_end(lc_server *s, int kept);
/* Publish the turn's changes (committed) or drop them. */
void lc_stats_turn_end(lc_server *s, int committed, uint64_t now);
/* Count an Error answer by its wire code. */
void lc_stats_error(lc_server *s, int wire_code);
enum { LC_LAT_SENT = 0, LC_LAT_DELIVERY = 1 };
/* Remember the receipt time of a message whose Ack (or live copy) waits
 * for the flush; observed at the flush's time if the commit succeeds. */
void lc_stats_latency(lc_server *s, int which, uint64_t received_at);

/* ---- validate.c */
int lc_valid_uid(const char *uid);
/* Normalise a phone or email into the LC_T_IDENTS key. Returns the key
 * length, or LC_ERR_INVALID_PHONE / LC_ERR_INVALID_EMAIL. */
int lc_ident_phone(const char *phone, char out[LC_IDENT_MAX]);
int lc_ident_email(const char *email, char out[LC_IDENT_MAX]);

/* ---- rate.c */
int lc_rate_take(lc_server *s, struct lc_ustate *u, uint64_t now,
		 uint64_t *retry_after);

/* ---- groups.c helpers used by routing and presence */
int lc_group_is_member(lc_server *s, const uint8_t gid[LC_SERVER_ID_LEN],
		       const char *uid, int *role);
int lc_share_chat(lc_server *s, const char *a, const char *b);

/* ---- internal test API (dispatch.c / server.c) */
/* What the Noise layer does after its handshake. */
void lc_srv_conn_set_device_key(lc_server_conn *c, const uint8_t key[32]);
/* Feed one decrypted Envelope payload: the single entry point of the
 * transport. A payload that does not parse is answered with an Error and
 * closes this connection only. Returns 0 or the error that closed it. */
int lc_srv_conn_payload(lc_server_conn *c, const uint8_t *p, size_t n,
			uint64_t now);
int lc_srv_handle_envelope(lc_server *s, lc_server_conn *c,
			   const lc_envelope *e, uint64_t now);
/* Take the next released Envelope for conn; valid until the next call.
 * Returns 1 with p and n set, 0 when empty. */
int lc_srv_conn_pop(lc_server_conn *c, const uint8_t **p, size_t *n);
int lc_srv_conn_closing(const lc_server_conn *c);
int lc_srv_conn_authed(const lc_server_conn *c, lc_addr *who);

#endif
