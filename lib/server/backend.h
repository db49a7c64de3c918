/* Internal: the storage backend under the server core.
 *
 * A backend is an ordered key-value store with named tables and one
 * write transaction at a time, reached through a table of function
 * pointers over an opaque handle. The core encodes its records itself
 * (records.h) and keeps every key layout in doc/server.md, so a backend
 * needs no knowledge of accounts or queues: the embedded default is LMDB
 * (backend/lmdb.c); a PostgreSQL or Redis backend implements the same
 * calls later.
 *
 * Transaction model: the first call after a commit opens a write
 * transaction; every read sees the writes staged since. commit() makes
 * them durable (one fsync); abort() drops them. The core calls commit()
 * once per event-loop turn from lc_server_flush(). */
#ifndef LC_SERVER_BACKEND_H
#define LC_SERVER_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include <libchat/common.h>

enum lc_table {
	LC_T_USERS,     /* user id -> user record */
	LC_T_IDENTS,    /* "p:" phone | "e:" email -> user id */
	LC_T_DEVICES,   /* user id 0x00 device(be32) -> device record */
	LC_T_TOKENS,    /* SHA-256(token) -> address + expiry */
	LC_T_OTKS,      /* user 0x00 device(be32) prekey id(be32) -> public key */
	LC_T_QUEUE,     /* user 0x00 device(be32) seq(be64) -> push Envelope */
	LC_T_DEDUPE,    /* user 0x00 device(be32) message id -> sent time, expiry */
	LC_T_DEDUPE_EXP, /* expiry(be64) user 0x00 device(be32) message id -> "" */
	LC_T_GROUPS,    /* group id -> group record */
	LC_T_MEMBERS,   /* user 0x00 group id -> role */
	LC_T_CONTACTS,  /* user 0x00 user -> "" (a direct conversation) */
	LC_T_LASTSEEN,  /* user id -> last seen (be64) */
	LC_T_THROTTLE,  /* identifier -> failures, retry time */
	LC_T_MEDIA,     /* media id -> reference record */
	LC_T_QSEQ,      /* user 0x00 device(be32) -> next queue seq (be64) */
	LC_T_ADDRLIMIT, /* kind(1) source address -> bucket level, refill time */
	LC_T_COUNT
};

/* put() flag: fail with LC_ERR_EXISTS when the key is present. */
#define LC_BACKEND_NOOVERWRITE 1u

/* A borrowed slice; valid until the next call on the backend. */
typedef struct lc_slice {
	const uint8_t *p;
	size_t n;
} lc_slice;

typedef struct lc_backend_ops {
	/* Returns 0 and sets *val, or LC_ERR_NOT_FOUND. */
	int (*get)(void *h, int table, lc_slice key, lc_slice *val);
	/* Returns 0, LC_ERR_EXISTS (with LC_BACKEND_NOOVERWRITE),
	 * LC_ERR_STORE_FULL, LC_ERR_IO. */
	int (*put)(void *h, int table, lc_slice key, lc_slice val,
		   unsigned flags);
	/* Returns 0 or LC_ERR_NOT_FOUND. */
	int (*del)(void *h, int table, lc_slice key);
	/* The first entry whose key starts with prefix and sorts after
	 * `after` (or the first with that prefix when after.n == 0).
	 * Returns 0 with *key and *val set, or LC_ERR_NOT_FOUND. */
	int (*next)(void *h, int table, lc_slice prefix, lc_slice after,
		    lc_slice *key, lc_slice *val);
	/* The last entry whose key starts with prefix; as next(). */
	int (*last)(void *h, int table, lc_slice prefix, lc_slice *key,
		    lc_slice *val);
	/* Nested transactions: everything staged after savepoint() is kept
	 * by release() or dropped by rollback(); the core wraps each request
	 * in one so a failed request leaves nothing behind. */
	int (*savepoint)(void *h);
	int (*release)(void *h);
	void (*rollback)(void *h);
	/* Make the staged writes durable. 0, LC_ERR_STORE_FULL, LC_ERR_IO. */
	int (*commit)(void *h);
	void (*abort)(void *h);
	void (*close)(void *h);
	/* The number of entries in a table: as the open write transaction
	 * sees it (its staged writes included), or, with none open, as last
	 * committed by any process sharing the store (a read-only snapshot;
	 * takes no write lock). 0, LC_ERR_INVALID_ARG, LC_ERR_STORE_BUSY,
	 * LC_ERR_IO. */
	int (*count)(void *h, int table, uint64_t *n);
} lc_backend_ops;

typedef struct lc_backend {
	const lc_backend_ops *ops;
	void *h;
} lc_backend;

/* Open the LMDB backend on the directory dir (created by the caller).
 * map_size 0 means 1 GiB. Returns 0, LC_ERR_IO, LC_ERR_NOMEM,
 * LC_ERR_STORE_BUSY. */
int lc_backend_lmdb_open(lc_backend *b, const char *dir, uint64_t map_size,
			 const lc_allocator *mem);

static inline lc_slice lc_sl(const void *p, size_t n)
{
	lc_slice s = { (const uint8_t *)p, n };
	return s;
}

#endif
