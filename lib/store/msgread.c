/* Decoding message records read from disk, unsealing them when the store
 * is sealed, into result objects. */
#include <sodium.h>
#include <string.h>

#include "store_int.h"

int lc_msg_open(lc_store *s, const uint8_t key[MSGKEY_LEN],
		const MDB_val *val, msgplain *out)
{
	const uint8_t *p = val->mv_data;
	int rv;

	out->pt = NULL;
	out->pt_len = 0;
	if (val->mv_size < 1)
		return LC_ERR_STORE_CORRUPT;
	if (!s->sealed)
		return p[0] & REC_SEALED
			       ? LC_ERR_STORE_CORRUPT
			       : lc_msgrec_decode(p, val->mv_size, &out->rec);
	if (!(p[0] & REC_SEALED))
		return LC_ERR_STORE_CORRUPT;
	rv = lc_unseal(s, key, MSGKEY_LEN, p, val->mv_size, &out->pt,
		       &out->pt_len);
	if (rv != 0)
		return rv;
	rv = lc_msgrec_decode(out->pt, out->pt_len, &out->rec);
	if (rv != 0)
		lc_msg_release(s, out);
	return rv;
}

void lc_msg_release(lc_store *s, msgplain *p)
{
	if (p->pt == NULL) /* an unsealed store's record: nothing to wipe */
		return;
	lc_unseal_free(s, p->pt, p->pt_len);
	p->pt = NULL;
	p->pt_len = 0;
}

/* A message with only its key-derived fields (the rest zero). */
static void msg_empty(lc_store_message *m, const uint8_t key[MSGKEY_LEN],
		      const char *chat_id)
{
	memset(m, 0, sizeof *m);
	m->chat_id = chat_id;
	m->time_ms = lc_get_be64(key + 4);
}

/* Every field is assigned (no memset first: it is on the per-message
 * path); sender and text share one arena allocation. */
static int copy_out(lc_arena *a, const uint8_t key[MSGKEY_LEN],
		    const char *chat_id, const msgrec *r, lc_store_message *m)
{
	char *b = lc_arena_alloc(a, r->sender_len + r->text_len + 2);
	uint8_t *data = NULL;

	if (r->data_len && b != NULL)
		data = lc_arena_alloc(a, r->data_len);
	if (b == NULL || (r->data_len && data == NULL)) {
		msg_empty(m, key, chat_id);
		return LC_ERR_NOMEM;
	}
	memcpy(m->id, r->id, LC_STORE_ID_LEN);
	m->chat_id = chat_id;
	m->time_ms = lc_get_be64(key + 4);
	m->flags = r->flags;
	m->state = r->state;
	m->kind = r->kind;
	m->sender_device = r->sender_device;
	memcpy(b, r->sender, r->sender_len);
	b[r->sender_len] = 0;
	m->sender_id = b;
	b += r->sender_len + 1;
	if (r->text_len)
		memcpy(b, r->text, r->text_len);
	b[r->text_len] = 0;
	m->text = b;
	m->text_len = r->text_len;
	if (r->data_len)
		memcpy(data, r->data, r->data_len);
	m->data = data;
	m->data_len = r->data_len;
	return 0;
}

int lc_msg_load(lc_store *s, MDB_txn *txn, const uint8_t key[MSGKEY_LEN],
		const MDB_val *val, const char *chat_id, lc_arena *a,
		lc_store_message *m)
{
	msgplain mp;
	MDB_val k = { MSGKEY_LEN, (void *)key }, v;
	int rv;

	if (val == NULL) {
		rv = mdb_get(txn, s->db_msg, &k, &v);
		if (rv != 0) {
			msg_empty(m, key, chat_id);
			return lc_store_err(rv);
		}
		val = &v;
	}
	rv = lc_msg_open(s, key, val, &mp);
	if (rv != 0) {
		msg_empty(m, key, chat_id);
		if (rv == LC_ERR_STORE_CORRUPT) {
			m->sender_id = "";
			m->text = "";
			m->flags = LC_STORE_MSG_CORRUPT;
		}
		return rv;
	}
	rv = copy_out(a, key, chat_id, &mp.rec, m);
	lc_msg_release(s, &mp);
	return rv;
}
