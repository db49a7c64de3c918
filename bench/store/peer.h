/* One side of the store benchmark: the same operations, each side doing
 * them its own best way. */
#ifndef BENCH_STORE_PEER_H
#define BENCH_STORE_PEER_H

#include "gen.h"

/* Durability, the same on both sides. */
enum peer_durability {
	/* fsync at every commit: a committed message survives power loss. */
	PEER_DURABLE_FULL,
	/* A power loss may undo the last commits, never corrupt the store. */
	PEER_DURABLE_NORMAL,
};

typedef struct peer peer;

typedef struct peer_ops {
	const char *name;
	/* Create a new store in the (empty) directory dir. */
	int (*open)(peer **out, const char *dir, enum peer_durability d);
	/* Store n messages in one transaction; *stored says how many were
	 * new (re-deliveries are rejected). */
	int (*insert)(peer *p, const gen_msg *msgs, size_t n, size_t *stored);
	/* A chat's newest GEN_PAGE messages older than *before (NULL: the
	 * newest), newest first. */
	int (*page)(peer *p, const char *chat_id, const gen_row *before,
		    gen_row *out, size_t *n);
	/* The GEN_PAGE chats with the most recent activity, newest first:
	 * chat id, unread count, and the last message. */
	int (*chats)(peer *p, gen_row *out, size_t *n);
	/* The GEN_PAGE newest messages matching a word (prefix = 0) or a
	 * prefix (prefix = 1), newest first, each with a snippet. */
	int (*search)(peer *p, const char *query, int prefix, gen_row *out,
		      size_t *n);
	void (*close)(peer *p);
	/* How durability maps to this side's settings (for the report). */
	const char *(*durability_name)(enum peer_durability d);
} peer_ops;

extern const peer_ops peer_sqlite;
#ifdef BENCH_HAVE_LC_STORE
extern const peer_ops peer_libchat;
#endif

#endif
