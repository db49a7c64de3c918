/* The SQLite side of the store benchmark, set up as carefully as we know
 * how:
 * - WAL journal; synchronous=FULL (fsync of the WAL at every commit) for
 *   full durability, NORMAL (fsync only at checkpoints: a power loss may
 *   undo the last commits, never corrupt) for the weaker mode;
 * - every statement prepared once; one transaction per batch;
 * - messages in a WITHOUT ROWID table clustered by (chat, time, id), so a
 *   chat's page is one range scan; a unique index on id rejects
 *   re-deliveries;
 * - an external-content FTS5 index (unicode61, diacritics removed, prefix
 *   indexes for 2 and 3 characters) whose rowid is seq = time * 1024 + a
 *   tie-breaker, so "newest first" is FTS5's descending rowid order and a
 *   LIMIT stops the scan early;
 * - a chats table (last activity, last message key, unread count) updated
 *   in the same transaction, with an index on last activity for the list;
 * - 32 MiB page cache and memory-mapped reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "peer.h"

/* seq = time << SEQ_BITS | tie-breaker. */
#define SEQ_BITS 10
#define SEQ_TIES (1 << SEQ_BITS)

enum {
	S_BEGIN, S_COMMIT, S_ROLLBACK, S_INSERT, S_IS_DUP, S_FTS, S_CHAT,
	S_NEWEST, S_BEFORE, S_CHATS, S_SEARCH, S_COUNT
};

static const char *const sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_INSERT] =
		"INSERT OR IGNORE INTO messages(chat, time, id, seq, sender, "
		"device, flags, state, kind, body, data) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 1, ?8, NULL)",
	[S_IS_DUP] = "SELECT 1 FROM messages WHERE id = ?1",
	[S_FTS] = "INSERT INTO messages_fts(rowid, body) VALUES(?1, ?2)",
	[S_CHAT] =
		"INSERT INTO chats(chat, last_time, last_id, unread, count) "
		"VALUES(?1, ?2, ?3, ?4, 1) ON CONFLICT(chat) DO UPDATE SET "
		"last_id = CASE WHEN excluded.last_time > last_time "
		"THEN excluded.last_id ELSE last_id END, "
		"last_time = max(last_time, excluded.last_time), "
		"unread = unread + excluded.unread, count = count + 1",
	[S_NEWEST] =
		"SELECT time, id, sender, device, flags, state, kind, body, data "
		"FROM messages WHERE chat = ?1 "
		"ORDER BY time DESC, id DESC LIMIT ?2",
	[S_BEFORE] =
		"SELECT time, id, sender, device, flags, state, kind, body, data "
		"FROM messages WHERE chat = ?1 AND (time, id) < (?2, ?3) "
		"ORDER BY time DESC, id DESC LIMIT ?4",
	[S_CHATS] =
		"SELECT c.chat, c.last_time, c.unread, c.count, m.id, m.sender, "
		"m.device, m.flags, m.state, m.kind, m.body, m.data "
		"FROM chats c JOIN messages m ON m.chat = c.chat "
		"AND m.time = c.last_time AND m.id = c.last_id "
		"ORDER BY c.last_time DESC LIMIT ?1",
	[S_SEARCH] =
		"SELECT m.time, m.id, m.chat, m.sender, m.device, m.flags, "
		"m.state, m.kind, m.body, "
		"snippet(messages_fts, 0, '', '', '...', 12) "
		"FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid "
		"WHERE messages_fts MATCH ?1 "
		"ORDER BY messages_fts.rowid DESC LIMIT ?2",
};

static const char schema[] =
	"CREATE TABLE messages("
	" chat TEXT NOT NULL, time INTEGER NOT NULL, id BLOB NOT NULL,"
	" seq INTEGER NOT NULL, sender TEXT NOT NULL, device INTEGER NOT NULL,"
	" flags INTEGER NOT NULL, state INTEGER NOT NULL,"
	" kind INTEGER NOT NULL, body TEXT NOT NULL, data BLOB,"
	" PRIMARY KEY (chat, time, id)) WITHOUT ROWID;"
	"CREATE UNIQUE INDEX messages_id ON messages(id);"
	"CREATE UNIQUE INDEX messages_seq ON messages(seq);"
	"CREATE VIRTUAL TABLE messages_fts USING fts5(body,"
	" content='messages', content_rowid='seq',"
	" tokenize='unicode61 remove_diacritics 2', prefix='2 3');"
	"CREATE TABLE chats("
	" chat TEXT PRIMARY KEY, last_time INTEGER NOT NULL,"
	" last_id BLOB NOT NULL, unread INTEGER NOT NULL,"
	" count INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX chats_activity ON chats(last_time);";

struct peer {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
};

static int fail(peer *p, const char *what)
{
	fprintf(stderr, "sqlite: %s: %s\n", what,
		p->db ? sqlite3_errmsg(p->db) : "no database");
	return -1;
}

static const char *sqlite_durability(enum peer_durability d)
{
	return d == PEER_DURABLE_FULL ? "journal_mode=WAL, synchronous=FULL" :
					"journal_mode=WAL, synchronous=NORMAL";
}

static void sqlite_close(peer *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(p->st[i]);
	sqlite3_close(p->db);
	free(p);
}

static int sqlite_open(peer **out, const char *dir, enum peer_durability d)
{
	char path[4096], pragmas[512];
	peer *p = calloc(1, sizeof *p);

	*out = NULL;
	if (p == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/chat.db", dir);
	if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		goto err;
	snprintf(pragmas, sizeof pragmas,
		 "PRAGMA page_size = 4096;"
		 "PRAGMA journal_mode = WAL;"
		 "PRAGMA synchronous = %s;"
		 "PRAGMA cache_size = -32768;"
		 "PRAGMA mmap_size = 4294967296;"
		 "PRAGMA temp_store = MEMORY;",
		 d == PEER_DURABLE_FULL ? "FULL" : "NORMAL");
	if (sqlite3_exec(p->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(p->db, schema, NULL, NULL, NULL) != SQLITE_OK)
		goto err;
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(p->db, sql[i], -1,
				       SQLITE_PREPARE_PERSISTENT, &p->st[i],
				       NULL) != SQLITE_OK)
			goto err;
	*out = p;
	return 0;
err:
	fail(p, "open");
	sqlite_close(p);
	return -1;
}

static int exec_stmt(peer *p, int which)
{
	sqlite3_stmt *s = p->st[which];
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(p, sql[which]);
}

/* Insert one message; *stored is 1 when it was new, 0 for a
 * re-delivery. */
static int insert_one(peer *p, const gen_msg *m, int *stored)
{
	sqlite3_stmt *ins = p->st[S_INSERT];
	sqlite3_int64 base = (sqlite3_int64)(m->time << SEQ_BITS);
	unsigned tie = (m->id[0] | (unsigned)m->id[1] << 8) % SEQ_TIES;
	sqlite3_int64 seq = 0;
	int rc;

	*stored = 0;
	sqlite3_bind_text(ins, 1, m->chat_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 2, (sqlite3_int64)m->time);
	sqlite3_bind_blob(ins, 3, m->id, GEN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(ins, 5, m->sender_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(ins, 6, 1);
	sqlite3_bind_int(ins, 7, m->sender == 0 ? 1 : 0);
	sqlite3_bind_text(ins, 8, m->body, (int)m->body_len, SQLITE_STATIC);
	for (unsigned k = 0; k < SEQ_TIES; k++) {
		seq = base + (tie + k) % SEQ_TIES;
		sqlite3_bind_int64(ins, 4, seq);
		rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (rc != SQLITE_DONE)
			return fail(p, "insert");
		if (sqlite3_changes(p->db) == 1)
			break;
		/* Ignored: a re-delivery, or another message in the same
		 * millisecond took this seq. */
		sqlite3_stmt *dup = p->st[S_IS_DUP];

		sqlite3_bind_blob(dup, 1, m->id, GEN_ID_LEN, SQLITE_STATIC);
		rc = sqlite3_step(dup);
		sqlite3_reset(dup);
		if (rc == SQLITE_ROW)
			return 0;
		if (rc != SQLITE_DONE)
			return fail(p, "duplicate check");
		if (k == SEQ_TIES - 1)
			return fail(p, "too many messages in one millisecond");
	}

	sqlite3_stmt *fts = p->st[S_FTS];

	sqlite3_bind_int64(fts, 1, seq);
	sqlite3_bind_text(fts, 2, m->body, (int)m->body_len, SQLITE_STATIC);
	if (exec_stmt(p, S_FTS) != 0)
		return -1;

	sqlite3_stmt *chat = p->st[S_CHAT];

	sqlite3_bind_text(chat, 1, m->chat_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(chat, 2, (sqlite3_int64)m->time);
	sqlite3_bind_blob(chat, 3, m->id, GEN_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int(chat, 4, m->sender != 0);
	if (exec_stmt(p, S_CHAT) != 0)
		return -1;
	*stored = 1;
	return 0;
}

static int sqlite_insert(peer *p, const gen_msg *msgs, size_t n,
			 size_t *stored)
{
	*stored = 0;
	if (exec_stmt(p, S_BEGIN) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int one;

		if (insert_one(p, &msgs[i], &one) != 0) {
			exec_stmt(p, S_ROLLBACK);
			return -1;
		}
		*stored += (size_t)one;
	}
	return exec_stmt(p, S_COMMIT);
}

static void copy_text(char *dst, size_t cap, size_t *len, sqlite3_stmt *s,
		      int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, t ? (const char *)t : "", n);
	dst[n] = '\0';
	if (len)
		*len = n;
}

static void copy_id(uint8_t *dst, sqlite3_stmt *s, int col)
{
	const void *b = sqlite3_column_blob(s, col);

	memset(dst, 0, GEN_ID_LEN);
	if (b && sqlite3_column_bytes(s, col) == GEN_ID_LEN)
		memcpy(dst, b, GEN_ID_LEN);
}

static int sqlite_page(peer *p, const char *chat_id, const gen_row *before,
		       gen_row *out, size_t *n)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if (before == NULL) {
		s = p->st[S_NEWEST];
		sqlite3_bind_text(s, 1, chat_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, GEN_PAGE);
	} else {
		s = p->st[S_BEFORE];
		sqlite3_bind_text(s, 1, chat_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)before->time);
		sqlite3_bind_blob(s, 3, before->id, GEN_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int(s, 4, GEN_PAGE);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		gen_row *r = &out[(*n)++];

		r->time = (uint64_t)sqlite3_column_int64(s, 0);
		copy_id(r->id, s, 1);
		gen_copy_name(r->chat_id, chat_id);
		copy_text(r->body, sizeof r->body, &r->body_len, s, 7);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : fail(p, "page");
}

static int sqlite_chats(peer *p, gen_row *out, size_t *n)
{
	sqlite3_stmt *s = p->st[S_CHATS];
	int rc;

	*n = 0;
	sqlite3_bind_int(s, 1, GEN_PAGE);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		gen_row *r = &out[(*n)++];
		size_t len;

		copy_text(r->chat_id, sizeof r->chat_id, &len, s, 0);
		r->time = (uint64_t)sqlite3_column_int64(s, 1);
		r->unread = (uint32_t)sqlite3_column_int(s, 2);
		copy_id(r->id, s, 4);
		copy_text(r->body, sizeof r->body, &r->body_len, s, 10);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : fail(p, "chats");
}

static int sqlite_search(peer *p, const char *query, int prefix,
			 gen_row *out, size_t *n)
{
	sqlite3_stmt *s = p->st[S_SEARCH];
	char q[128], snip[GEN_BODY_MAX];
	int rc;

	*n = 0;
	snprintf(q, sizeof q, prefix ? "\"%s\"*" : "\"%s\"", query);
	sqlite3_bind_text(s, 1, q, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, GEN_PAGE);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		gen_row *r = &out[(*n)++];
		size_t len, snip_len;

		r->time = (uint64_t)sqlite3_column_int64(s, 0);
		copy_id(r->id, s, 1);
		copy_text(r->chat_id, sizeof r->chat_id, &len, s, 2);
		copy_text(r->body, sizeof r->body, &r->body_len, s, 8);
		copy_text(snip, sizeof snip, &snip_len, s, 9);
		if (snip_len == 0) {
			rc = SQLITE_ERROR;
			break;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : fail(p, "search");
}

const peer_ops peer_sqlite = {
	.name = "sqlite",
	.open = sqlite_open,
	.insert = sqlite_insert,
	.page = sqlite_page,
	.chats = sqlite_chats,
	.search = sqlite_search,
	.close = sqlite_close,
	.durability_name = sqlite_durability,
};
