/* Internal: the client session state, shared by the files of lib/client. */
#ifndef LC_CLIENT_INT_H
#define LC_CLIENT_INT_H

#include <libchat/client.h>
#include <libchat/frame.h>
#include <libchat/crypto.h>
#include <libchat/noise.h>
#include <libchat/receipts.h>

#include "envelope.h"
#include "content.pb-c.h"

#define LC_CL_UID_MAX 64
#define LC_CL_MAX_DEVICES 16

/* What a pending request was for. */
enum lc_cl_req {
	LC_CL_REQ_REGISTER = 1,
	LC_CL_REQ_LOGIN_PW,
	LC_CL_REQ_LOGIN_TOKEN,
	LC_CL_REQ_LOGOUT,
	LC_CL_REQ_PROFILE,
	LC_CL_REQ_KEYS,
	LC_CL_REQ_FETCH,
	LC_CL_REQ_SEND,
	LC_CL_REQ_READ,
	LC_CL_REQ_GROUP,
	LC_CL_REQ_PRESENCE,
	LC_CL_REQ_HEARTBEAT,
	LC_CL_REQ_LOOKUP,
	LC_CL_REQ_PRESENCE_RENEW, /* a subscription renewed after a reconnect */
	LC_CL_REQ_TICKET          /* a MediaUploadRequest */
};

typedef struct lc_cl_pending {
	uint64_t rid;          /* 0: free slot */
	int kind;              /* enum lc_cl_req */
	uint64_t deadline;
	uint8_t mid[LC_CLIENT_ID_LEN]; /* SEND */
	char uid[LC_CL_UID_MAX + 1];   /* FETCH */
	lc_client_ticket_cb tcb;       /* TICKET: NULL once cancelled */
	void *tud;
} lc_cl_pending;

/* Secrets, in sodium_malloc'd memory. */
typedef struct lc_cl_secrets {
	uint8_t noise_sk[32];
	uint8_t token[32];
} lc_cl_secrets;

struct lc_client {
	lc_allocator mem;
	lc_rng rng;
	int has_rng;
	lc_client_callbacks cb;
	void *ud;

	lc_store *store;
	int own_store;
	lc_cl_secrets *sec;
	lc_identity *id;
	lc_prekeys *pk;
	uint8_t pin[32];
	int has_pin;
	int cfg_pin;

	lc_noise_conn *nc;
	int state;
	uint64_t heartbeat_ms;
	uint64_t timeout_ms;
	uint32_t prekey_batch;
	uint64_t next_heartbeat;

	char uid[LC_CL_UID_MAX + 1];
	uint32_t dev;
	int has_account;  /* uid, dev, token stored */
	int keys_done;    /* identity and prekeys uploaded */
	int login_op;     /* a login waiting for its key upload */
	int hold;         /* LC_CLIENT_HOLD_ON_KEY_CHANGE */
	int blocked;      /* prekey fetches the outbox waits for */
	uint64_t retry_at; /* the outbox waits until then (rate limit) */
	uint8_t stale_mid[LC_CLIENT_ID_LEN]; /* the last STALE_DEVICES answer */
	int stale_count;   /* how many in a row for stale_mid */

	uint64_t next_rid;
	lc_cl_pending pend[LC_CLIENT_MAX_PENDING];

	/* reads.c: the queued read receipt in flight */
	int reads_busy;
	char reads_uid[LC_CL_UID_MAX + 1];
	uint32_t reads_dev;
	size_t reads_count;
	/* presence.c: subscriptions the server accepted, renewed on READY,
	 * kept in the store */
	size_t n_subs;
	char subs[LC_CLIENT_MAX_PRESENCE][LC_CL_UID_MAX + 1];
};

/* io.c: one decrypted Envelope from the server (tests and fuzzing feed
 * it directly) */
void lc_cl_payload(lc_client *c, const uint8_t *p, size_t n, uint64_t now);

/* util.c */
void lc_cl_random(lc_client *c, void *buf, size_t n);
int lc_cl_emit(lc_client *c, lc_envelope *e, int kind, uint64_t now,
	       lc_cl_pending **slot);
lc_cl_pending *lc_cl_pending_take(lc_client *c, uint64_t rid);
int lc_cl_pending_has(const lc_client *c, int kind);
void lc_cl_set_state(lc_client *c, int state, int reason);
void lc_cl_done(lc_client *c, int op, int code, const uint8_t *id);
void lc_cl_error(lc_client *c, int code, const uint8_t *id);
int lc_cl_valid_uid(const char *uid);
void lc_cl_group_chat_id(const uint8_t gid[16], char out[35]);
size_t lc_cl_session_name(const char *uid, uint32_t dev, uint8_t *out);

/* keys.c: device keys, account record, pin, sessions, device lists */
int lc_cl_keys_load(lc_client *c);
int lc_cl_account_save(lc_client *c);
int lc_cl_account_forget(lc_client *c);
int lc_cl_pin_save(lc_client *c, const uint8_t key[32]);
int lc_cl_prekeys_save(lc_client *c);
int lc_cl_keys_upload(lc_client *c, int full, uint64_t now);
int lc_cl_session_load(lc_client *c, const char *uid, uint32_t dev,
		       lc_ratchet **out);
int lc_cl_session_save(lc_client *c, const char *uid, uint32_t dev,
		       const lc_ratchet *s);
int lc_cl_devices_get(lc_client *c, const char *uid, uint32_t *devs,
		      size_t *n);
int lc_cl_devices_put(lc_client *c, const char *uid, const uint32_t *devs,
		      size_t n);
int lc_cl_identity_seen(lc_client *c, const char *uid, uint32_t dev,
			const uint8_t key[32], uint64_t now);
int lc_cl_held(lc_client *c, const char *uid);
int lc_cl_device_seen(lc_client *c, const char *uid, uint32_t dev);

/* account.c */
void lc_cl_on_login(lc_client *c, const Libchat__Ack *ack, int kind,
		    uint64_t now);

/* content.c: the end-to-end plaintext, a protobuf Content */
#define LC_CL_CONTENT_TEXT LC_CLIENT_KIND_TEXT
#define LC_CL_CONTENT_MEDIA LC_CLIENT_KIND_MEDIA
#define LC_CL_CONTENT_SENDER_KEY 100 /* never stored or reported */
#define LC_CL_SKD_MAX 256
/* The largest Content this version writes or reads (a text's tags, hint
 * and text), well below lc_pad's 65535. */
#define LC_CL_CONTENT_MAX (LC_CLIENT_TEXT_MAX + 256)

typedef struct lc_cl_content {
	int kind;                      /* LC_CL_CONTENT_* */
	const char *hint;              /* "" or a user id; NULL reads as "" */
	const char *text;              /* TEXT: NUL-terminated UTF-8 */
	size_t text_len;
	const lc_client_media *media;  /* MEDIA */
	const uint8_t *skd;            /* SENDER_KEY */
	size_t skd_len;
} lc_cl_content;

int lc_cl_content_encode(const lc_cl_content *ct, uint8_t *out, size_t cap,
			 size_t *out_len);
/* 0, LC_ERR_MALFORMED, LC_ERR_NOMEM, or LC_ERR_UNSUPPORTED (a kind this
 * version does not know: *owner is set, free it). On 0 the pointers of
 * ct point into *owner (free with lc_cl_content_free) and a media pointer
 * is copied into *media (wipe it). */
int lc_cl_content_parse(const uint8_t *buf, size_t len,
			const lc_allocator *mem, lc_cl_content *ct,
			lc_client_media *media, Libchat__Content **owner);
void lc_cl_content_free(Libchat__Content *owner, const lc_allocator *mem);
int lc_cl_media_valid(const lc_client_media *m);
/* The stored, searchable text of a file: its name, a newline, its
 * caption (either may be absent). */
int lc_cl_media_text(const lc_client_media *m, char *out, size_t cap,
		     size_t *len);
#define LC_CL_MEDIA_TEXT_SIZE (LC_CLIENT_FILE_NAME_SIZE + LC_CLIENT_CAPTION_SIZE)

/* outbox.c: the devices a message goes to, with their sessions */
#define LC_CL_MAX_TARGETS 256
typedef struct lc_targets {
	const char *uid[LC_CL_MAX_TARGETS];
	uint32_t dev[LC_CL_MAX_TARGETS];
	lc_ratchet *s[LC_CL_MAX_TARGETS];
	size_t n, n_peer;
} lc_targets;

lc_targets *lc_cl_targets_new(lc_client *c);
void lc_cl_targets_free(lc_targets *t);
int lc_cl_fetch(lc_client *c, const char *uid, uint64_t now);
int lc_cl_add_user(lc_client *c, lc_targets *t, const char *uid, int self,
		   uint64_t now);
int lc_cl_encrypt_all(lc_client *c, lc_targets *t, const uint8_t *pt,
		      size_t n, Libchat__Ciphertext *ct, Libchat__Address *ad,
		      uint8_t **bodies);
int lc_cl_receipts_init(lc_client *c, const uint8_t *mid,
			const lc_targets *t);
/* kh: for a group message, the targets holding the sender key already
 * (those whose session is still in kh), or NULL. */
int lc_cl_emit_send(lc_client *c, const uint8_t *mid, const char *key,
		    lc_targets *t, const uint8_t *pt, size_t plen,
		    const uint8_t *gid, const uint8_t *gbody, size_t glen,
		    const lc_targets *kh, uint64_t now);
/* group.c: STALE_DEVICES to a group message: learn the devices named */
void lc_cl_group_stale(lc_client *c, const char *chat,
		       const Libchat__Error *err, uint64_t now);
uint8_t *lc_cl_padded_content(lc_client *c, const lc_store_message *m,
			      const char *hint, size_t *plen, int *rc);
int lc_cl_queue(lc_client *c, const char *chat, uint32_t kind,
		const char *text, size_t tlen, const uint8_t *data,
		size_t dlen, uint8_t *id, uint64_t now);
int lc_cl_text_ok(const char *text, size_t len);
void lc_cl_fail(lc_client *c, const uint8_t *mid, int code, uint64_t now);

void lc_cl_outbox_pump(lc_client *c, uint64_t now);
int lc_cl_receipts_event(lc_client *c, const uint8_t mid[16],
			 const char *uid, uint32_t dev, int event,
			 uint64_t time_ms);
void lc_cl_on_send_answer(lc_client *c, lc_cl_pending *p,
			  const lc_envelope *e, uint64_t now);
void lc_cl_on_bundles(lc_client *c, lc_cl_pending *p, const lc_envelope *e,
		      uint64_t now);

/* group.c: sender keys */
void lc_cl_group_update(lc_client *c, const Libchat__GroupInfo *gi);
void lc_cl_group_confirm(lc_client *c, const char *chat, const uint8_t *mid);
int lc_cl_group_send_one(lc_client *c, const lc_store_message *m,
			 uint64_t now);
/* 1 when a member of the group chat's last known list is held
 * (lc_cl_held()), 0 when none is, or a negative error. */
int lc_cl_group_held(lc_client *c, const char *chat);
int lc_cl_group_take_key(lc_client *c, const uint8_t *gid, const char *uid,
			 uint32_t dev, const uint8_t *msg, size_t len);
int lc_cl_group_decrypt(lc_client *c, const uint8_t *gid, const char *uid,
			uint32_t dev, const uint8_t *msg, size_t len,
			uint8_t *pt, size_t cap, size_t *pt_len,
			lc_sender_key **out);
int lc_cl_group_key_save(lc_client *c, const uint8_t *gid, const char *uid,
			 uint32_t dev, const lc_sender_key *sk);

/* inbox.c: pushes */
void lc_cl_on_deliver(lc_client *c, const lc_envelope *e, uint64_t now);
void lc_cl_on_receipt(lc_client *c, const lc_envelope *e, uint64_t now);
void lc_cl_ack_push(lc_client *c, uint64_t rid, uint64_t now);

/* social.c: groups, lookups */
void lc_cl_on_group(lc_client *c, const Libchat__GroupInfo *g, int change,
		    const char *actor);
void lc_cl_on_user(lc_client *c, const Libchat__Ack *a);
/* The session became READY: queued reads and presence subscriptions go
 * out again (after the outbox pump). */
void lc_cl_on_ready(lc_client *c, uint64_t now);

/* presence.c */
void lc_cl_on_presence(lc_client *c, const Libchat__PresenceUpdate *u);
void lc_cl_on_presence_list(lc_client *c, const Libchat__Ack *a);
void lc_cl_presence_renew(lc_client *c, uint64_t now);
void lc_cl_presence_renew_failed(lc_client *c, int code);
/* The list kept in the store: read at creation, emptied (and removed
 * from the store) at logout. */
int lc_cl_presence_load(lc_client *c);
void lc_cl_presence_clear(lc_client *c);

/* ticket.c: MediaUploadRequest */
void lc_cl_ticket_answer(lc_client *c, const lc_cl_pending *p, int code,
			 const Libchat__Ack *a);

/* reads.c: read receipts queued in the store */
int lc_cl_reads_queue(lc_client *c, const lc_store_page *pg);
void lc_cl_reads_flush(lc_client *c, uint64_t now);
void lc_cl_reads_answer(lc_client *c, int code, uint64_t now);

#endif
