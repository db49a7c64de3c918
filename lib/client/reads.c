/* Read receipts: lc_client_mark_read() queues them in the store, so that
 * receipts made offline (or cut off by a lost connection) are sent once
 * the session is READY again. One Receipt is in flight at a time: the
 * queued messages of one sender device, at most READS_PER_RECEIPT of them;
 * they leave the queue when the server answers. Delivery to the server is
 * at least once (a receipt whose ack was lost is sent again; the sender's
 * receipt state ignores a repeated READ).
 *
 * The queue is the LOCAL blob "reads": entries of message id (16), sender
 * device (4, big-endian), sender user id length (1) and user id, oldest
 * first. When it is full the oldest entries are dropped. */
#include <string.h>

#include <sodium.h>

#include "client_int.h"

#define READS_NAME "reads"
#define READS_PER_RECEIPT 256 /* the server's limit of ids per request */
#define ENTRY_MIN 21

typedef struct entry {
	const uint8_t *id;
	uint32_t dev;
	const char *uid; /* not NUL-terminated: ulen bytes */
	size_t ulen, size;
} entry;

/* The entry at @p off of a queue of @p len bytes; 0, or -1 when damaged. */
static int entry_at(const uint8_t *q, size_t len, size_t off, entry *e)
{
	if (len - off < ENTRY_MIN)
		return -1;
	e->id = q + off;
	e->dev = (uint32_t)q[off + 16] << 24 | (uint32_t)q[off + 17] << 16 |
		 (uint32_t)q[off + 18] << 8 | q[off + 19];
	e->ulen = q[off + 20];
	e->uid = (const char *)q + off + ENTRY_MIN;
	e->size = ENTRY_MIN + e->ulen;
	if (e->ulen == 0 || e->ulen > LC_CL_UID_MAX || len - off < e->size)
		return -1;
	return 0;
}

static int same_sender(const entry *e, const char *uid, uint32_t dev)
{
	return e->dev == dev && e->ulen == strlen(uid) &&
	       memcmp(e->uid, uid, e->ulen) == 0;
}

/* Load the queue into a fresh LC_STORE_BLOB_MAX buffer (empty: len 0). */
static int load(lc_client *c, uint8_t **q, size_t *len)
{
	int rc;

	*len = 0;
	if ((*q = c->mem.malloc(LC_STORE_BLOB_MAX, c->mem.user_data)) == NULL)
		return LC_ERR_NOMEM;
	rc = lc_store_blob_get(c->store, LC_STORE_BLOB_LOCAL,
			       (const uint8_t *)READS_NAME, strlen(READS_NAME),
			       *q, LC_STORE_BLOB_MAX, len);
	if (rc == LC_ERR_NOT_FOUND) {
		*len = 0;
		rc = 0;
	}
	if (rc) {
		c->mem.free(*q, c->mem.user_data);
		*q = NULL;
	}
	return rc;
}

static int save(lc_client *c, const uint8_t *q, size_t len)
{
	int rc;

	if (len)
		return lc_store_blob_put(c->store, LC_STORE_BLOB_LOCAL,
					 (const uint8_t *)READS_NAME,
					 strlen(READS_NAME), q, len);
	rc = lc_store_blob_delete(c->store, LC_STORE_BLOB_LOCAL,
				  (const uint8_t *)READS_NAME,
				  strlen(READS_NAME));
	return rc == LC_ERR_NOT_FOUND ? 0 : rc;
}

/* Drop whole entries from the front until @p need more bytes fit. */
static void make_room(uint8_t *q, size_t *len, size_t need)
{
	size_t off = 0;
	entry e;

	while (*len - off + need > LC_STORE_BLOB_MAX &&
	       entry_at(q, *len, off, &e) == 0)
		off += e.size;
	if (*len - off + need > LC_STORE_BLOB_MAX)
		off = *len; /* damaged: start afresh */
	memmove(q, q + off, *len - off);
	*len -= off;
}

int lc_cl_reads_queue(lc_client *c, const lc_store_page *pg)
{
	uint8_t *q;
	size_t len;
	int rc = load(c, &q, &len);

	if (rc)
		return rc;
	for (size_t i = 0; i < lc_store_page_count(pg); i++) {
		const lc_store_message *m = lc_store_page_get(pg, i);
		size_t ulen;

		if (m->flags & (LC_STORE_MSG_OUTGOING | LC_STORE_MSG_CORRUPT) ||
		    !lc_cl_valid_uid(m->sender_id))
			continue;
		ulen = strlen(m->sender_id);
		make_room(q, &len, ENTRY_MIN + ulen);
		memcpy(q + len, m->id, 16);
		q[len + 16] = (uint8_t)(m->sender_device >> 24);
		q[len + 17] = (uint8_t)(m->sender_device >> 16);
		q[len + 18] = (uint8_t)(m->sender_device >> 8);
		q[len + 19] = (uint8_t)m->sender_device;
		q[len + 20] = (uint8_t)ulen;
		memcpy(q + len + ENTRY_MIN, m->sender_id, ulen);
		len += ENTRY_MIN + ulen;
	}
	rc = save(c, q, len);
	c->mem.free(q, c->mem.user_data);
	return rc;
}

/* Emit one Receipt{READ} for the first entry's sender device. */
static int emit_first(lc_client *c, const uint8_t *q, size_t len,
		      uint64_t now)
{
	ProtobufCBinaryData ids[READS_PER_RECEIPT];
	Libchat__Receipt r = LIBCHAT__RECEIPT__INIT;
	Libchat__Address peer = LIBCHAT__ADDRESS__INIT;
	lc_envelope env = LIBCHAT__ENVELOPE__INIT;
	entry first, e;
	size_t k = 0;
	int rc;

	if (entry_at(q, len, 0, &first))
		return LC_ERR_STORE_CORRUPT;
	memcpy(c->reads_uid, first.uid, first.ulen);
	c->reads_uid[first.ulen] = 0;
	c->reads_dev = first.dev;
	for (size_t off = 0; off < len && k < READS_PER_RECEIPT; off += e.size) {
		if (entry_at(q, len, off, &e))
			return LC_ERR_STORE_CORRUPT;
		if (!same_sender(&e, c->reads_uid, c->reads_dev))
			continue;
		ids[k].data = (uint8_t *)e.id;
		ids[k++].len = LC_CLIENT_ID_LEN;
	}
	peer.user_id = c->reads_uid;
	peer.device_id = c->reads_dev;
	r.type = LIBCHAT__RECEIPT_TYPE__RECEIPT_READ;
	r.peer = &peer;
	r.message_ids = ids;
	r.n_message_ids = k;
	r.time_ms = now;
	env.body_case = LIBCHAT__ENVELOPE__BODY_RECEIPT;
	env.receipt = &r;
	if ((rc = lc_cl_emit(c, &env, LC_CL_REQ_READ, now, NULL)) == 0) {
		c->reads_busy = 1;
		c->reads_count = k;
	}
	return rc;
}

void lc_cl_reads_flush(lc_client *c, uint64_t now)
{
	uint8_t *q;
	size_t len;
	int rc;

	if (c->state != LC_CLIENT_READY || c->reads_busy)
		return;
	if ((rc = load(c, &q, &len)) != 0) {
		lc_cl_error(c, rc, NULL);
		return;
	}
	rc = len ? emit_first(c, q, len, now) : 0;
	if (rc == LC_ERR_STORE_CORRUPT) {
		(void)save(c, q, 0); /* a damaged queue is dropped, once */
		lc_cl_error(c, rc, NULL);
	}
	c->mem.free(q, c->mem.user_data);
}

/* Remove the entries the answered Receipt carried. */
static int drop_sent(lc_client *c)
{
	uint8_t *q;
	size_t len, off = 0, out = 0, left = c->reads_count;
	entry e;
	int rc = load(c, &q, &len);

	if (rc)
		return rc;
	while (off < len && entry_at(q, len, off, &e) == 0) {
		if (left && same_sender(&e, c->reads_uid, c->reads_dev)) {
			left--;
		} else {
			memmove(q + out, q + off, e.size);
			out += e.size;
		}
		off += e.size;
	}
	rc = save(c, q, off < len ? 0 : out);
	c->mem.free(q, c->mem.user_data);
	return rc;
}

void lc_cl_reads_answer(lc_client *c, int code, uint64_t now)
{
	/* a refusal for now keeps the entries for the next READY */
	int keep = code == LC_ERR_UNAVAILABLE || code == LC_ERR_THROTTLED ||
		   code == LC_ERR_INTERNAL;
	int rc = keep ? 0 : drop_sent(c);

	c->reads_busy = 0;
	if (rc)
		lc_cl_error(c, rc, NULL);
	lc_cl_done(c, LC_CLIENT_OP_READ, code, NULL);
	if (!keep && rc == 0)
		lc_cl_reads_flush(c, now);
}
