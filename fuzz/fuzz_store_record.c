/* Fuzz the device store's record decoders and the tokeniser, which read
 * bytes from disk: the first input byte picks the decoder. A record that
 * decodes must re-encode to bytes that decode to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "store_int.h"

static void msg_record(const uint8_t *p, size_t n)
{
	msgrec a, b;
	uint8_t *buf;
	size_t m;

	if (lc_msgrec_decode(p, n, &a) != 0)
		return;
	buf = malloc(lc_msgrec_size(&a));
	if (buf == NULL)
		abort();
	m = lc_msgrec_encode(&a, buf);
	if (m > lc_msgrec_size(&a) || lc_msgrec_decode(buf, m, &b) != 0 ||
	    a.flags != b.flags || a.state != b.state || a.kind != b.kind ||
	    a.sender_device != b.sender_device ||
	    memcmp(a.id, b.id, LC_STORE_ID_LEN) != 0 ||
	    a.sender_len != b.sender_len || a.text_len != b.text_len ||
	    a.data_len != b.data_len ||
	    memcmp(a.text, b.text, a.text_len) != 0)
		abort();
	free(buf);
}

static void chat_record(const uint8_t *p, size_t n)
{
	chatrec a, b;
	uint8_t buf[CHATREC_MAX];
	size_t m;

	if (lc_chatrec_decode(p, n, &a) != 0)
		return;
	m = lc_chatrec_encode(&a, buf);
	if (lc_chatrec_decode(buf, m, &b) != 0 || a.count != b.count ||
	    a.unread != b.unread || a.activity != b.activity ||
	    a.name_len != b.name_len || strcmp(a.name, b.name) != 0)
		abort();
}

static void receipt_record(const uint8_t *p, size_t n)
{
	lc_store_receipt a, b;
	uint8_t buf[RCPTREC_MAX];
	size_t m;

	if (lc_rcptrec_decode(p, n, &a) != 0)
		return;
	m = lc_rcptrec_encode(&a, buf);
	if (lc_rcptrec_decode(buf, m, &b) != 0 || a.state != b.state ||
	    memcmp(a.times, b.times, sizeof a.times) != 0)
		abort();
}

static void identity_record(const uint8_t *p, size_t n)
{
	lc_store_identity a, b;
	uint8_t buf[IDENTREC_MAX];
	size_t m;

	if (lc_identrec_decode(p, n, &a) != 0)
		return;
	m = lc_identrec_encode(&a, buf);
	if (m > sizeof buf || lc_identrec_decode(buf, m, &b) != 0 ||
	    memcmp(&a, &b, sizeof a) != 0)
		abort();
}

struct tok {
	size_t n;
};

static int check_token(const uint8_t *f, size_t flen, size_t ncp, size_t off,
		       size_t len, void *arg)
{
	struct tok *t = arg;

	if (flen == 0 || flen > TERM_MAX || ncp == 0 || ncp > flen ||
	    len == 0 || off > t->n || len > t->n - off ||
	    !lc_utf8_valid(f, flen) ||
	    lc_utf8_prefix(f, flen, ncp) != flen)
		abort();
	return 0;
}

/* A posting block: 13 bytes of first posting, then the coded value. One
 * that decodes must re-encode (in one or more blocks) to the same
 * postings. */
static void posting_block(const uint8_t *p, size_t n)
{
	static lc_block a, b;
	uint8_t val[BLOCK_VAL_MAX];
	size_t off = 0;

	if (n < POSTING_LEN ||
	    lc_block_decode(p, p + POSTING_LEN, n - POSTING_LEN, &a) != 0)
		return;
	while (off < a.n) {
		size_t len, took;

		took = lc_block_encode((const uint8_t (*)[POSTING_LEN])a.p + off,
				       a.n - off, val, &len);
		if (took == 0 || took > a.n - off || len > BLOCK_VAL_MAX ||
		    lc_block_decode(a.p[off], val, len, &b) != 0 ||
		    b.n != took ||
		    memcmp(b.p, a.p[off], took * POSTING_LEN) != 0)
			abort();
		off += took;
	}
}

/* The store's fast UTF-8 checks agree with the reference one. */
static void utf8_checks(const uint8_t *p, size_t n)
{
	int ref = lc_utf8_valid(p, n);

	if (lc_store_utf8_ok(p, n) != ref ||
	    lc_store_name_utf8_ok(p, n) != (ref && memchr(p, 0, n) == NULL))
		abort();
}

/* An activity entry's value: the chat record must decode as one, and
 * the message parts must lie inside the value. */
static void activity_value(const uint8_t *p, size_t n)
{
	MDB_val v = { n, (void *)p }, key, rec;
	chatrec c;

	if (lc_act_decode(&v, 1, &c, &key, &rec) != 0)
		return;
	if ((key.mv_size != 0 && key.mv_size != MSGKEY_LEN) ||
	    (key.mv_size == 0 && rec.mv_size != 0) ||
	    (key.mv_size && ((const uint8_t *)key.mv_data < p ||
			     (const uint8_t *)rec.mv_data + rec.mv_size !=
			     p + n)) ||
	    c.name_len == 0 || c.name_len > LC_STORE_NAME_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tok t;

	if (size < 1)
		return 0;
	/* Lead bytes 0xf0..0xff pick the later decoders. */
	if (data[0] >= 0xf0) {
		if (data[0] < 0xf8)
			posting_block(data + 1, size - 1);
		else if (data[0] < 0xfc)
			utf8_checks(data + 1, size - 1);
		else
			activity_value(data + 1, size - 1);
		return 0;
	}
	switch (data[0] % 5) {
	case 0:
		msg_record(data + 1, size - 1);
		break;
	case 1:
		chat_record(data + 1, size - 1);
		break;
	case 2:
		receipt_record(data + 1, size - 1);
		break;
	case 3:
		identity_record(data + 1, size - 1);
		break;
	default:
		t.n = size - 1;
		if (lc_tokenize(data + 1, size - 1, check_token, &t) != 0)
			abort();
		break;
	}
	return 0;
}
