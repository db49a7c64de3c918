/* Schema migrations, run in the opening transaction (after the key is
 * checked) one version step at a time. */
#include "store_int.h"

/* Messages indexed between two writes of the deferred postings: bounds
 * the memory a large store's migration takes. */
#define REINDEX_STEP 512

/* Version 1 also posted the whole word of every word of 4 or more
 * characters; no search reads those lists. The index is rebuilt from the
 * message texts (sealed terms are hashes, so the stale keys cannot be
 * told apart). A record that does not decode gets no postings, as
 * after its deletion. */
static int v1_to_v2(lc_store *s, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val k, v;
	size_t done = 0;
	int rc = mdb_drop(txn, s->db_post, 0), rv = 0;

	if (rc == 0)
		rc = mdb_cursor_open(txn, s->db_msg, &c);
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
			rv = lc_index_flush(s, txn);
	}
	mdb_cursor_close(c);
	if (rv == 0 && rc != MDB_NOTFOUND)
		rv = lc_store_err(rc);
	if (rv == 0)
		rv = lc_index_flush(s, txn);
	s->deferring = 0;
	s->npend = 0;
	return rv;
}

int lc_store_migrate(lc_store *s, MDB_txn *txn, uint32_t from)
{
	int rv = 0;

	if (from == 1)
		rv = v1_to_v2(s, txn);
	return rv;
}
