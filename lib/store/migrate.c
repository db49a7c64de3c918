/* Schema migrations, run in the opening transaction (after the key is
 * checked) one version step at a time. */
#include "store_int.h"

/* Messages indexed between two merges of their postings into the blocks:
 * bounds the memory a large store's migration takes. */
#define REINDEX_STEP 1024

/* Index every message text again, straight into the blocks. A record
 * that does not decode gets no postings, as after its deletion. */
static int reindex(lc_store *s, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val k, v;
	size_t done = 0;
	int rc = mdb_cursor_open(txn, s->db_msg, &c), rv = 0;

	if (rc != 0)
		return lc_store_err(rc);
	s->npend = 0;
	s->deferring = 1;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && rv == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		msgplain p;

		if (k.mv_size != MSGKEY_LEN)
			continue;
		if ((rv = lc_msg_open(s, k.mv_data, &v, &p)) != 0) {
			rv = rv == LC_ERR_STORE_CORRUPT ? 0 : rv;
			continue;
		}
		if (p.rec.text_len)
			rv = lc_index_message(s, txn, k.mv_data, p.rec.text,
					      p.rec.text_len, 1);
		lc_msg_release(s, &p);
		if (rv == 0 && ++done % REINDEX_STEP == 0)
			rv = lc_index_merge(s, txn);
	}
	mdb_cursor_close(c);
	if (rv == 0 && rc != MDB_NOTFOUND)
		rv = lc_store_err(rc);
	if (rv == 0)
		rv = lc_index_merge(s, txn);
	s->deferring = 0;
	s->npend = 0;
	return rv;
}

/* Version 3 keeps a copy of each chat's newest message in its activity
 * entry: rewrite every chat's entries. */
static int rewrite_chats(lc_store *s, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc = mdb_cursor_open(txn, s->db_chat, &c), rv = 0;

	if (rc != 0)
		return lc_store_err(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && rv == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		chatrec cr;
		uint32_t num;
		uint8_t kb[4];

		if (k.mv_size != 4 ||
		    lc_chatrec_decode(v.mv_data, v.mv_size, &cr) != 0)
			continue; /* stays unreadable, as before */
		num = lc_get_be32(k.mv_data);
		rv = lc_chat_put(s, txn, num, &cr);
		/* Back to this chat (the put may move the page the key was
		 * read from: seek with a copy). */
		lc_be32(kb, num);
		k.mv_size = 4;
		k.mv_data = kb;
		if (rv == 0)
			rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
	}
	mdb_cursor_close(c);
	if (rv == 0 && rc != MDB_NOTFOUND)
		rv = lc_store_err(rc);
	return rv;
}

/* Versions 1 and 2 kept one LMDB duplicate per posting in "post" (version
 * 1 also whole-word terms). Version 3 keeps postings in coded blocks
 * ("pblock") fed through a log ("plog"): "post" is deleted and the index
 * rebuilt from the message texts (sealed terms are hashes, so the old
 * lists cannot be converted key by key); and the activity entries get
 * their copies of the newest messages. */
static int to_v3(lc_store *s, MDB_txn *txn)
{
	MDB_dbi old;
	int rv;
	int rc = mdb_dbi_open(txn, "post", MDB_DUPSORT | MDB_DUPFIXED, &old);

	if (rc == 0)
		rc = mdb_drop(txn, old, 1);
	else if (rc == MDB_NOTFOUND)
		rc = 0;
	if (rc == 0)
		rc = mdb_drop(txn, s->db_pblk, 0);
	if (rc == 0)
		rc = mdb_drop(txn, s->db_plog, 0);
	if (rc != 0)
		return lc_store_err(rc);
	rv = rewrite_chats(s, txn);
	return rv == 0 ? reindex(s, txn) : rv;
}

int lc_store_migrate(lc_store *s, MDB_txn *txn, uint32_t from)
{
	/* Version 2 dropped version 1's whole-word terms; the rebuild of
	 * version 3 covers both steps. */
	if (from == 2)
		return to_v3(s, txn);
	return 0;
}
