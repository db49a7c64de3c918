/* Internals of the device store, shared by the files of lib/store. The
 * on-disk layout is described in doc/store.md. */
#ifndef LC_STORE_INT_H
#define LC_STORE_INT_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include <libchat/store.h>

#include "alloc.h"

/* Record version bytes. Sealed variants set the high bit. */
#define REC_V1 0x01
#define REC_SEALED 0x80

/* Key sizes. */
#define MSGKEY_LEN 16   /* chatnum 4 | time 8 | msgnum 4 */
#define POSTING_LEN 13  /* time 6 | chatnum 3 | msgnum 4 */
#define CHATNUM_MAX 0xffffffu
#define TERM_MAX 64     /* bytes of a folded word kept for indexing */
#define TERM_HASH_LEN 16
/* A term's database key: at most 3 folded code points and a NUL, or a
 * keyed hash. */
#define TERMKEY_MAX 16
/* Posting blocks (block.c) and the posting log (index.c). */
#define BLOCK_BYTES 480     /* coded gaps per block, at most */
#define BLOCK_POSTINGS 256  /* postings per block, at most */
#define BLOCK_VAL_MAX (BLOCK_BYTES + 2)
#define LOG_SEQ_LEN 8
#define LOG_SEQ_MAX 64         /* transactions held before a merge */
#define LOG_ENTRIES_MAX 16384  /* (transaction, term) entries, likewise */
/* The longest message record copied into its chat's activity entry. */
#define ACT_COPY_MAX 512

#define SEAL_NONCE 24
#define SEAL_TAG 16

/* An internal code: the map is full, grow it and run the write again.
 * Never returned to a caller. */
#define LC_STORE_EGROW (-1)

struct lc_store {
	lc_allocator mem;
	lc_rng rng;
	int has_rng;
	MDB_env *env;
	MDB_txn *rtxn; /* a reset read transaction, renewed by the next read */
	MDB_cursor *rcur; /* a read cursor on db_msg, renewed the same way */
	MDB_dbi db_meta, db_msg, db_idx, db_chat, db_chatname, db_act;
	MDB_dbi db_rcpt, db_outbox, db_ident, db_pblk, db_plog;
	MDB_dbi db_blob[4];
	int sealed;
	int opened; /* the sub-databases are open */
	uint8_t *keys; /* sodium_malloc: seal key 32 | index key 32 */
	uint64_t map_size, max_size;
	/* Counters, loaded at the start of each write transaction. */
	uint32_t next_msgnum, next_chatnum;
	int counters_dirty;
	/* Scratch buffer for encoding records (grown on demand). */
	uint8_t *buf;
	size_t buf_cap;
	/* Terms of the message being indexed: slots of TERM_SLOT bytes. */
	uint8_t *terms;
	size_t terms_cap, nterms;
	/* Postings of a transaction, logged sorted at its end
	 * (lc_index_flush). */
	struct lc_pending *pend;
	size_t pend_cap, npend;
	int deferring;
};

struct lc_pending {
	uint8_t klen;
	uint8_t key[TERMKEY_MAX];
	uint8_t post[POSTING_LEN];
};

#define TERM_SLOT (TERM_MAX + 1) /* length byte, then the term */

typedef int (*lc_store_wfn)(lc_store *s, MDB_txn *txn, void *arg);

/* env.c */
int lc_store_err(int mdb_rc);
int lc_store_write(lc_store *s, lc_store_wfn fn, void *arg);
int lc_store_read_begin(lc_store *s, MDB_txn **txn);
/* End a read transaction from lc_store_read_begin (kept for the next). */
void lc_store_read_end(lc_store *s, MDB_txn *txn);
void lc_store_read_drop(lc_store *s);
/* A cursor on db_msg in the read transaction txn: the kept one renewed,
 * or a new one. Give it back with lc_store_read_cursor_end. */
int lc_store_read_cursor(lc_store *s, MDB_txn *txn, MDB_cursor **cur);
void lc_store_read_cursor_end(lc_store *s, MDB_cursor *cur);
int lc_store_scratch(lc_store *s, size_t n, uint8_t **out);

/* bytes.c: big-endian integers and varints. */
void lc_be32(uint8_t *p, uint32_t v);
void lc_be64(uint8_t *p, uint64_t v);
/* Inline: they run once or twice per message read. */
static inline uint32_t lc_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t lc_get_be64(const uint8_t *p)
{
	return (uint64_t)lc_get_be32(p) << 32 | lc_get_be32(p + 4);
}
size_t lc_varint_put(uint8_t *p, uint64_t v);
/* Reads a varint at *pos; returns 0 or -1 on truncation/overflow. */
int lc_varint_get_slow(const uint8_t *p, size_t n, size_t *pos, uint64_t *v);
static inline int lc_varint_get(const uint8_t *p, size_t n, size_t *pos,
				uint64_t *v)
{
	if (*pos < n && p[*pos] < 0x80) { /* most varints are one byte */
		*v = p[(*pos)++];
		return 0;
	}
	return lc_varint_get_slow(p, n, pos, v);
}
int lc_store_name_ok(const char *s, size_t *len);
int lc_utf8_valid(const uint8_t *s, size_t n);
/* lc_utf8_valid with an ASCII fast path. */
int lc_store_utf8_ok(const uint8_t *s, size_t n);
/* The same, and no NUL byte (names: chat, user and sender ids). */
int lc_store_name_utf8_ok(const uint8_t *s, size_t n);

/* seal.c */
int lc_seal(lc_store *s, uint8_t ver, const uint8_t *ad, size_t ad_len,
	    const uint8_t *pt, size_t pt_len, uint8_t **out, size_t *out_len);
/* Opens a sealed record into a freshly allocated buffer (wiped and freed
 * by the caller with lc_unseal_free). */
int lc_unseal(lc_store *s, const uint8_t *ad, size_t ad_len,
	      const uint8_t *rec, size_t rec_len, uint8_t **pt, size_t *pt_len);
void lc_unseal_free(lc_store *s, uint8_t *pt, size_t len);
void lc_term_hash(const lc_store *s, const uint8_t *term, size_t len,
		  uint8_t out[TERM_HASH_LEN]);

/* record.c: message records (plain form; sealing is done around it). */
typedef struct msgrec {
	uint32_t flags, state, kind, sender_device;
	const uint8_t *id;
	const char *sender;
	size_t sender_len;
	const char *text;
	size_t text_len;
	const uint8_t *data;
	size_t data_len;
} msgrec;

size_t lc_msgrec_size(const msgrec *m);
size_t lc_msgrec_encode(const msgrec *m, uint8_t *out);
int lc_msgrec_decode(const uint8_t *p, size_t n, msgrec *m);

typedef struct chatrec {
	uint64_t activity, unread, read_upto, retention, count;
	size_t name_len;
	char name[LC_STORE_NAME_MAX + 1]; /* NUL-terminated copy */
} chatrec;

#define CHATREC_MAX (1 + 5 * 10 + 2 + LC_STORE_NAME_MAX)
size_t lc_chatrec_encode(const chatrec *c, uint8_t *out);
int lc_chatrec_decode(const uint8_t *p, size_t n, chatrec *c);

#define RCPTREC_MAX (1 + 5 * 10)
size_t lc_rcptrec_encode(const lc_store_receipt *r, uint8_t *out);
int lc_rcptrec_decode(const uint8_t *p, size_t n, lc_store_receipt *r);

#define IDENTREC_MAX (1 + 3 * 10 + 2 * (1 + LC_STORE_IDENTITY_KEY_MAX))
size_t lc_identrec_encode(const lc_store_identity *r, uint8_t *out);
int lc_identrec_decode(const uint8_t *p, size_t n, lc_store_identity *r);

/* msgread.c: reading a message record into a result arena. */
typedef struct lc_arena lc_arena;
/* An arena whose first block holds at least first bytes. */
int lc_arena_new(lc_arena **out, const lc_allocator *mem, size_t first);
void *lc_arena_alloc(lc_arena *a, size_t n);
void lc_arena_free(lc_arena *a);
char *lc_arena_strdup(lc_arena *a, const char *s, size_t n);

/* Load and decode the record at msgkey into *m (strings copied into a).
 * A record that does not decode gives LC_ERR_STORE_CORRUPT with the
 * key-derived fields filled and the rest empty. */
int lc_msg_load(lc_store *s, MDB_txn *txn, const uint8_t key[MSGKEY_LEN],
		const MDB_val *val, const char *chat_id, lc_arena *a,
		lc_store_message *m);

/* Decode a message record (unsealing when needed) into caller memory
 * that lives until lc_msg_release(). */
typedef struct msgplain {
	msgrec rec;
	uint8_t *pt; /* unsealed buffer, or NULL */
	size_t pt_len;
} msgplain;
int lc_msg_open(lc_store *s, const uint8_t key[MSGKEY_LEN],
		const MDB_val *val, msgplain *out);
void lc_msg_release(lc_store *s, msgplain *p);

/* page.c: load the message at key, with its chat name (cached across
 * calls through *name_cache / *cache_num). */
int lc_load_by_key(lc_store *s, MDB_txn *txn, const uint8_t key[MSGKEY_LEN],
		   lc_arena *a, const char **name_cache, uint32_t *cache_num,
		   lc_store_message *m);

/* chat.c */
int lc_chat_lookup(lc_store *s, MDB_txn *txn, const char *name, size_t len,
		   uint32_t *num);
int lc_chat_get(lc_store *s, MDB_txn *txn, uint32_t num, chatrec *c);
int lc_chat_put(lc_store *s, MDB_txn *txn, uint32_t num, const chatrec *c);
/* An activity entry's value: the chat record, and the newest message's key
 * and record (either may be empty: mv_size 0). */
int lc_act_decode(const MDB_val *v, uint32_t num, chatrec *c, MDB_val *key,
		  MDB_val *rec);
int lc_chat_ensure(lc_store *s, MDB_txn *txn, const char *name, size_t len,
		   uint32_t *num, chatrec *c);
int lc_chat_set_activity(lc_store *s, MDB_txn *txn, uint32_t num,
			 chatrec *c, uint64_t t);
int lc_chat_edge(MDB_cursor *cur, uint32_t num, int newest, MDB_val *k,
		 MDB_val *v);
int lc_chat_trim(lc_store *s, MDB_txn *txn, uint32_t num, chatrec *c);

/* message.c */
void lc_msgkey(uint8_t out[MSGKEY_LEN], uint32_t chat, uint64_t t,
	       uint32_t num);
int lc_msg_find(lc_store *s, MDB_txn *txn, const uint8_t id[LC_STORE_ID_LEN],
		uint8_t key[MSGKEY_LEN]);
/* Delete the message at key with its index entries; updates *c (the
 * caller writes it back). */
int lc_msg_remove(lc_store *s, MDB_txn *txn, const uint8_t key[MSGKEY_LEN],
		  const uint8_t *id, chatrec *c);

int lc_msg_set_state(lc_store *s, MDB_txn *txn, const uint8_t *id,
		     uint32_t state);

/* migrate.c: bring a store of schema version from (below the current one)
 * up to date. */
int lc_store_migrate(lc_store *s, MDB_txn *txn, uint32_t from);

/* outbox.c */
int lc_outbox_push(lc_store *s, MDB_txn *txn, const uint8_t *id);
int lc_outbox_remove(lc_store *s, MDB_txn *txn, const uint8_t *id);

/* receipts.c */
int lc_rcpt_remove_all(lc_store *s, MDB_txn *txn,
		       const uint8_t id[LC_STORE_ID_LEN]);

/* fold.c: tokeniser. Calls fn for each word with its folded form and its
 * byte span in the input. fn returns nonzero to stop. */
typedef int (*lc_token_fn)(const uint8_t *folded, size_t flen,
			   size_t ncp, size_t off, size_t len, void *arg);
int lc_tokenize(const uint8_t *text, size_t n, lc_token_fn fn, void *arg);
/* Length in bytes of the first k code points of folded s. */
size_t lc_utf8_prefix(const uint8_t *s, size_t n, size_t k);

/* block.c: a term's postings in blocks. */
typedef struct lc_block {
	size_t n;
	uint8_t p[BLOCK_POSTINGS][POSTING_LEN];
} lc_block;
/* Codes p[0..n) (n >= 1) after the first, up to the block limits; returns
 * how many postings the block holds. */
size_t lc_block_encode(const uint8_t (*p)[POSTING_LEN], size_t n,
		       uint8_t out[BLOCK_VAL_MAX], size_t *len);
int lc_block_decode(const uint8_t first[POSTING_LEN], const uint8_t *v,
		    size_t n, lc_block *b);
int lc_block_load(const uint8_t *tk, size_t tlen, const MDB_val *k,
		  const MDB_val *v, lc_block *b);
int lc_block_of(const uint8_t *tk, size_t tlen, const MDB_val *k);
int lc_block_seek(MDB_cursor *c, const uint8_t *tk, size_t tlen,
		  const uint8_t p[POSTING_LEN], MDB_val *k, MDB_val *v,
		  int *at_or_before);
/* Add the sorted postings p[0..n) of term tk (repeats are kept once). */
int lc_blocks_add(lc_store *s, MDB_cursor *c, const uint8_t *tk, size_t tlen,
		  const uint8_t (*p)[POSTING_LEN], size_t n);
int lc_blocks_remove(lc_store *s, MDB_cursor *c, const uint8_t *tk,
		     size_t tlen, const uint8_t p[POSTING_LEN]);

/* index.c */
size_t lc_term_key(const lc_store *s, const uint8_t *t, size_t n,
		   uint8_t out[TERMKEY_MAX]);
void lc_posting(uint8_t out[POSTING_LEN], const uint8_t key[MSGKEY_LEN]);
void lc_posting_key(uint8_t key[MSGKEY_LEN], const uint8_t post[POSTING_LEN]);
int lc_index_message(lc_store *s, MDB_txn *txn, const uint8_t key[MSGKEY_LEN],
		     const char *text, size_t len, int add);
/* Log the postings deferred while s->deferring was set (merging the log
 * into the blocks when it is full). */
int lc_index_flush(lc_store *s, MDB_txn *txn);
/* Merge the log and the deferred postings into the blocks. */
int lc_index_merge(lc_store *s, MDB_txn *txn);

#endif
