/* Suite "store": the device store (messages, chats, outbox, receipts, key
 * blobs, identities, search, sealing, versions, corruption, allocation
 * failures and a SIGKILL crash test). */
#include <dirent.h>
#include <errno.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libchat/store.h>

#include "testutil.h"

/* ------------------------------------------------------------ helpers */

static char tmpdir[256];

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static const char *fresh_dir(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof tmpdir, "%s/lcstore-XXXXXX",
		 base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	return tmpdir;
}

static void setup(void)
{
	fresh_dir();
}

static void teardown(void)
{
	rm_rf(tmpdir);
}

static lc_store *open_store(const uint8_t *key)
{
	lc_store *s = NULL;
	lc_store_options o;

	lc_store_options_init(&o);
	o.sync = LC_STORE_SYNC_NONE;
	ck_assert_int_eq(lc_store_open(&s, tmpdir, key, &o), 0);
	return s;
}

static void make_id(uint8_t id[LC_STORE_ID_LEN], unsigned n)
{
	memset(id, 0xa5, LC_STORE_ID_LEN);
	id[0] = (uint8_t)(n >> 24);
	id[1] = (uint8_t)(n >> 16);
	id[2] = (uint8_t)(n >> 8);
	id[3] = (uint8_t)n;
}

static lc_store_message msg(unsigned n, const char *chat, uint64_t t,
			    const char *text)
{
	lc_store_message m;

	memset(&m, 0, sizeof m);
	make_id(m.id, n);
	m.chat_id = chat;
	m.sender_id = "alice";
	m.sender_device = 1;
	m.time_ms = t;
	m.kind = 1;
	m.text = text;
	m.text_len = text ? strlen(text) : 0;
	return m;
}

static int put(lc_store *s, unsigned n, const char *chat, uint64_t t,
	       const char *text, uint32_t flags)
{
	lc_store_message m = msg(n, chat, t, text);

	m.flags = flags;
	return lc_store_message_put(s, &m, 0);
}

static unsigned id_num(const uint8_t *id)
{
	return (unsigned)id[0] << 24 | (unsigned)id[1] << 16 |
	       (unsigned)id[2] << 8 | id[3];
}

static size_t search_count(lc_store *s, const char *q, const char *chat)
{
	lc_store_hits *h = NULL;
	size_t n;

	ck_assert_int_eq(lc_store_search(s, q, chat, NULL, 0, &h), 0);
	n = lc_store_hits_count(h);
	lc_store_hits_free(h);
	return n;
}

/* ------------------------------------------------------------ basics */

static void roundtrip(const uint8_t *key)
{
	lc_store *s = open_store(key);
	lc_store_message m = msg(7, "chat-1", 1000, "hello world");
	uint8_t data[3] = { 1, 2, 3 };
	lc_store_page *p = NULL;
	const lc_store_message *g;

	m.data = data;
	m.data_len = 3;
	m.state = 2;
	m.kind = 9;
	ck_assert_int_eq(lc_store_message_put(s, &m, 0), 0);
	ck_assert_int_eq(lc_store_message_put(s, &m, 0), LC_ERR_EXISTS);
	lc_store_close(s);
	s = open_store(key);
	ck_assert_int_eq(lc_store_message_get(s, m.id, &p), 0);
	ck_assert_uint_eq(lc_store_page_count(p), 1);
	g = lc_store_page_get(p, 0);
	ck_assert_mem_eq(g->id, m.id, LC_STORE_ID_LEN);
	ck_assert_str_eq(g->chat_id, "chat-1");
	ck_assert_str_eq(g->sender_id, "alice");
	ck_assert_str_eq(g->text, "hello world");
	ck_assert_uint_eq(g->text_len, 11);
	ck_assert_uint_eq(g->data_len, 3);
	ck_assert_mem_eq(g->data, data, 3);
	ck_assert_uint_eq(g->state, 2);
	ck_assert_uint_eq(g->kind, 9);
	ck_assert_uint_eq(g->time_ms, 1000);
	ck_assert_uint_eq(g->sender_device, 1);
	ck_assert_ptr_null(lc_store_page_get(p, 1));
	lc_store_page_free(p);
	make_id(m.id, 8);
	ck_assert_int_eq(lc_store_message_get(s, m.id, &p), LC_ERR_NOT_FOUND);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(lc_store_is_sealed(s), key != NULL);
	lc_store_close(s);
}

START_TEST(store_roundtrip_plain)
{
	roundtrip(NULL);
}
END_TEST

START_TEST(store_roundtrip_sealed)
{
	uint8_t key[LC_STORE_KEY_LEN];

	memset(key, 7, sizeof key);
	roundtrip(key);
}
END_TEST

START_TEST(store_invalid_args)
{
	lc_store *s = open_store(NULL);
	lc_store_message m = msg(1, "c", 1, "x");
	char longname[LC_STORE_NAME_MAX + 2];
	int res[2];
	lc_store_message two[2];
	lc_store_options o;
	lc_store *s2;

	ck_assert_int_eq(lc_store_open(NULL, tmpdir, NULL, NULL),
			 LC_ERR_INVALID_ARG);
	lc_store_options_init(&o);
	o.struct_version = 99;
	ck_assert_int_eq(lc_store_open(&s2, tmpdir, NULL, &o),
			 LC_ERR_INVALID_ARG);
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	m.chat_id = longname;
	ck_assert_int_eq(lc_store_message_put(s, &m, 0), LC_ERR_INVALID_ARG);
	m.chat_id = "";
	ck_assert_int_eq(lc_store_message_put(s, &m, 0), LC_ERR_INVALID_ARG);
	m.chat_id = "c";
	m.text = "\xff\xfe";
	m.text_len = 2;
	ck_assert_int_eq(lc_store_message_put(s, &m, 0), LC_ERR_INVALID_ARG);
	m = msg(1, "c", 1, "x");
	m.flags = LC_STORE_MSG_CORRUPT;
	ck_assert_int_eq(lc_store_message_put(s, &m, 0), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_store_message_put(s, NULL, 0), LC_ERR_INVALID_ARG);
	m = msg(1, "c", LC_STORE_TIME_MAX + 1, "late");
	ck_assert_int_eq(lc_store_message_put(s, &m, 0), LC_ERR_INVALID_ARG);
	m = msg(1, "c", LC_STORE_TIME_MAX, "latest");
	ck_assert_int_eq(lc_store_message_put(s, &m, 0), 0);
	m = msg(2, "c", 0, "earliest");
	ck_assert_int_eq(lc_store_message_put(s, &m, 0), 0);
	{
		lc_store_hits *h = NULL;

		ck_assert_int_eq(lc_store_search(s, "lat", "c", NULL, 0, &h), 0);
		ck_assert_uint_eq(lc_store_hits_count(h), 1);
		ck_assert_uint_eq(lc_store_hits_get(h, 0)->message.time_ms,
				  LC_STORE_TIME_MAX);
		lc_store_hits_free(h);
		ck_assert_uint_eq(search_count(s, "earliest", NULL), 1);
	}
	m = msg(3, "c", 1, "x");
	ck_assert_int_eq(lc_store_message_put(s, &m, 0x10), LC_ERR_INVALID_ARG);
	/* One bad message in a batch: nothing is written. */
	two[0] = msg(1, "c", 1, "ok");
	two[1] = msg(2, "", 1, "bad");
	ck_assert_int_eq(lc_store_messages_put(s, two, 2, 0, res),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(res[0], 0);
	ck_assert_int_eq(res[1], LC_ERR_INVALID_ARG);
	ck_assert_uint_eq(search_count(s, "ok", NULL), 0);
	ck_assert_int_eq(lc_store_search(s, NULL, NULL, NULL, 0, NULL),
			 LC_ERR_INVALID_ARG);
	ck_assert_uint_eq(lc_store_page_count(NULL), 0);
	ck_assert_uint_eq(lc_store_chats_count(NULL), 0);
	ck_assert_uint_eq(lc_store_hits_count(NULL), 0);
	lc_store_page_free(NULL);
	lc_store_chats_free(NULL);
	lc_store_hits_free(NULL);
	lc_store_close(NULL);
	ck_assert_uint_eq(lc_store_key_len(), LC_STORE_KEY_LEN);
	ck_assert_uint_eq(lc_store_id_len(), LC_STORE_ID_LEN);
	ck_assert_uint_eq(lc_store_name_max(), LC_STORE_NAME_MAX);
	ck_assert_uint_eq(lc_store_text_max(), LC_STORE_TEXT_MAX);
	ck_assert_uint_eq(lc_store_data_max(), LC_STORE_DATA_MAX);
	ck_assert_uint_eq(lc_store_blob_max(), LC_STORE_BLOB_MAX);
	ck_assert_uint_eq(lc_store_page_max(), LC_STORE_PAGE_MAX);
	ck_assert_uint_eq(lc_store_schema_version(), LC_STORE_SCHEMA_VERSION);
	lc_store_close(s);
}
END_TEST

START_TEST(store_dedupe_batch)
{
	lc_store *s = open_store(NULL);
	lc_store_message b[4];
	int res[4];
	lc_store_chats *c = NULL;

	b[0] = msg(1, "c", 10, "one");
	b[1] = msg(2, "c", 20, "two");
	b[2] = msg(1, "c", 30, "one again");
	b[3] = msg(3, "d", 40, "three");
	ck_assert_int_eq(lc_store_messages_put(s, b, 4, 0, res), 3);
	ck_assert_int_eq(res[0], 0);
	ck_assert_int_eq(res[1], 0);
	ck_assert_int_eq(res[2], LC_ERR_EXISTS);
	ck_assert_int_eq(res[3], 0);
	ck_assert_int_eq(lc_store_messages_put(s, b, 4, 0, res), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(res[i], LC_ERR_EXISTS);
	ck_assert_int_eq(lc_store_chat_get(s, "c", &c), 0);
	ck_assert_uint_eq(lc_store_chats_get(c, 0)->message_count, 2);
	ck_assert_uint_eq(lc_store_chats_get(c, 0)->unread, 2);
	lc_store_chats_free(c);
	ck_assert_uint_eq(search_count(s, "again", NULL), 0);
	ck_assert_int_eq(lc_store_messages_put(s, NULL, 0, 0, NULL), 0);
	lc_store_close(s);
}
END_TEST

/* ------------------------------------------------------------ paging */

START_TEST(store_paging_offset)
{
	lc_store *s = open_store(NULL);
	lc_store_message b[120];
	lc_store_page *p = NULL;
	char text[120][16];

	for (unsigned i = 0; i < 120; i++) {
		snprintf(text[i], sizeof text[i], "m%u", i);
		b[i] = msg(i, "c", 1000 + i, text[i]);
	}
	ck_assert_int_eq(lc_store_messages_put(s, b, 120, 0, NULL), 120);
	put(s, 500, "other", 5000, "x", 0);
	ck_assert_int_eq(lc_store_messages_page(s, "c", 0, 0, &p), 0);
	ck_assert_uint_eq(lc_store_page_count(p), LC_STORE_PAGE_DEFAULT);
	ck_assert_int_eq(lc_store_page_has_more(p), 1);
	for (unsigned i = 0; i < 50; i++)
		ck_assert_uint_eq(id_num(lc_store_page_get(p, i)->id), 119 - i);
	lc_store_page_free(p);
	ck_assert_int_eq(lc_store_messages_page(s, "c", 100, 50, &p), 0);
	ck_assert_uint_eq(lc_store_page_count(p), 20);
	ck_assert_int_eq(lc_store_page_has_more(p), 0);
	ck_assert_uint_eq(id_num(lc_store_page_get(p, 19)->id), 0);
	lc_store_page_free(p);
	ck_assert_int_eq(lc_store_messages_page(s, "c", 70, 50, &p), 0);
	ck_assert_uint_eq(lc_store_page_count(p), 50);
	ck_assert_int_eq(lc_store_page_has_more(p), 0);
	lc_store_page_free(p);
	ck_assert_int_eq(lc_store_messages_page(s, "nochat", 0, 0, &p), 0);
	ck_assert_uint_eq(lc_store_page_count(p), 0);
	lc_store_page_free(p);
	ck_assert_int_eq(lc_store_messages_page(s, "c", 0, LC_STORE_PAGE_MAX + 1,
						&p),
			 LC_ERR_INVALID_ARG);
	lc_store_close(s);
}
END_TEST

START_TEST(store_paging_cursor_stable)
{
	lc_store *s = open_store(NULL);
	lc_test_rng r;
	uint8_t seen[400] = { 0 };
	uint8_t before[LC_STORE_ID_LEN];
	int have_before = 0;
	unsigned total = 0, next = 200;

	lc_test_rng_seed(&r, 42);
	for (unsigned i = 0; i < 200; i++)
		ck_assert_int_eq(put(s, i, "c", 10000 + i * 10, "old", 0), 0);
	for (;;) {
		lc_store_page *p = NULL;
		size_t n;
		uint64_t last_t = UINT64_MAX;

		ck_assert_int_eq(lc_store_messages_before(s, "c",
			have_before ? before : NULL, 23, &p), 0);
		n = lc_store_page_count(p);
		for (size_t i = 0; i < n; i++) {
			const lc_store_message *m = lc_store_page_get(p, i);
			unsigned id = id_num(m->id);

			ck_assert_uint_le(m->time_ms, last_t);
			last_t = m->time_ms;
			ck_assert_uint_lt(id, 400);
			ck_assert_int_eq(seen[id], 0);
			seen[id] = 1;
			total++;
		}
		if (n)
			memcpy(before, lc_store_page_get(p, n - 1)->id,
			       LC_STORE_ID_LEN), have_before = 1;
		if (!lc_store_page_has_more(p)) {
			lc_store_page_free(p);
			break;
		}
		lc_store_page_free(p);
		/* New messages arrive between pages, newer than all. */
		for (int k = 0; k < 5; k++, next++)
			ck_assert_int_eq(put(s, next, "c", 50000 + next,
					     "new", 0), 0);
		(void)lc_test_rng_next(&r);
	}
	ck_assert_uint_eq(total, 200);
	for (unsigned i = 0; i < 200; i++)
		ck_assert_int_eq(seen[i], 1);
	{
		lc_store_page *p = NULL;
		uint8_t id[LC_STORE_ID_LEN];

		make_id(id, 9999);
		ck_assert_int_eq(lc_store_messages_before(s, "c", id, 0, &p),
				 LC_ERR_NOT_FOUND);
		put(s, 9999, "d", 1, "elsewhere", 0);
		ck_assert_int_eq(lc_store_messages_before(s, "c", id, 0, &p),
				 LC_ERR_NOT_FOUND);
	}
	lc_store_close(s);
}
END_TEST

/* ------------------------------------------------------------ chats */

START_TEST(store_chat_list)
{
	lc_store *s = open_store(NULL);
	lc_store_chats *c = NULL;
	const lc_store_chat *e;

	put(s, 1, "a", 100, "a1", 0);
	put(s, 2, "b", 200, "b1", 0);
	put(s, 3, "c", 300, "c1", LC_STORE_MSG_OUTGOING);
	put(s, 4, "a", 400, "a2", 0);
	put(s, 5, "b", 150, "b-late", 0); /* older: activity stays */
	put(s, 6, "c", 250, "c-read", LC_STORE_MSG_READ);
	ck_assert_int_eq(lc_store_chats_list(s, 0, 0, &c), 0);
	ck_assert_uint_eq(lc_store_chats_count(c), 3);
	ck_assert_int_eq(lc_store_chats_has_more(c), 0);
	e = lc_store_chats_get(c, 0);
	ck_assert_str_eq(e->chat_id, "a");
	ck_assert_uint_eq(e->last_activity_ms, 400);
	ck_assert_uint_eq(e->unread, 2);
	ck_assert_int_eq(e->has_last, 1);
	ck_assert_str_eq(e->last.text, "a2");
	ck_assert_str_eq(e->last.chat_id, "a");
	e = lc_store_chats_get(c, 1);
	ck_assert_str_eq(e->chat_id, "c");
	ck_assert_uint_eq(e->unread, 0);
	ck_assert_str_eq(e->last.text, "c1");
	e = lc_store_chats_get(c, 2);
	ck_assert_str_eq(e->chat_id, "b");
	ck_assert_uint_eq(e->unread, 2);
	ck_assert_uint_eq(e->message_count, 2);
	ck_assert_str_eq(e->last.text, "b1");
	lc_store_chats_free(c);

	ck_assert_int_eq(lc_store_chats_list(s, 1, 1, &c), 0);
	ck_assert_uint_eq(lc_store_chats_count(c), 1);
	ck_assert_int_eq(lc_store_chats_has_more(c), 1);
	ck_assert_str_eq(lc_store_chats_get(c, 0)->chat_id, "c");
	lc_store_chats_free(c);

	/* Mark read, then a new message counts again. */
	ck_assert_int_eq(lc_store_chat_mark_read(s, "b"), 0);
	ck_assert_int_eq(lc_store_chat_mark_read(s, "zz"), LC_ERR_NOT_FOUND);
	put(s, 7, "b", 500, "b2", 0);
	ck_assert_int_eq(lc_store_chat_get(s, "b", &c), 0);
	ck_assert_uint_eq(lc_store_chats_get(c, 0)->unread, 1);
	lc_store_chats_free(c);
	/* Deleting an already-read message leaves the count alone; deleting
	 * the unread one lowers it. */
	{
		uint8_t id[LC_STORE_ID_LEN];

		make_id(id, 2);
		ck_assert_int_eq(lc_store_message_delete(s, id), 0);
		ck_assert_int_eq(lc_store_chat_get(s, "b", &c), 0);
		ck_assert_uint_eq(lc_store_chats_get(c, 0)->unread, 1);
		lc_store_chats_free(c);
		make_id(id, 7);
		ck_assert_int_eq(lc_store_message_delete(s, id), 0);
		ck_assert_int_eq(lc_store_message_delete(s, id),
				 LC_ERR_NOT_FOUND);
		ck_assert_int_eq(lc_store_chat_get(s, "b", &c), 0);
		ck_assert_uint_eq(lc_store_chats_get(c, 0)->unread, 0);
		ck_assert_uint_eq(lc_store_chats_get(c, 0)->message_count, 1);
		ck_assert_str_eq(lc_store_chats_get(c, 0)->last.text, "b-late");
		lc_store_chats_free(c);
	}
	/* The newest chat moves to the top. */
	put(s, 8, "b", 600, "b3", 0);
	ck_assert_int_eq(lc_store_chats_list(s, 0, 0, &c), 0);
	ck_assert_str_eq(lc_store_chats_get(c, 0)->chat_id, "b");
	lc_store_chats_free(c);
	ck_assert_int_eq(lc_store_chat_get(s, "nope", &c), LC_ERR_NOT_FOUND);
	lc_store_close(s);
}
END_TEST

/* The chat list reads the newest message from the chat's activity entry:
 * it follows state changes, deletions and long records (kept by key). */
static const lc_store_chat *list_one(lc_store *s, lc_store_chats **c)
{
	ck_assert_int_eq(lc_store_chats_list(s, 0, 0, c), 0);
	ck_assert_uint_eq(lc_store_chats_count(*c), 1);
	return lc_store_chats_get(*c, 0);
}

static void chat_list_last(const uint8_t *key)
{
	lc_store *s = open_store(key);
	lc_store_chats *c = NULL;
	const lc_store_chat *e;
	char long_text[700];
	uint8_t id[LC_STORE_ID_LEN];

	memset(long_text, 'w', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = 0;
	ck_assert_int_eq(put(s, 1, "q", 10, "one", 0), 0);
	ck_assert_int_eq(put(s, 2, "q", 20, "two", 0), 0);
	e = list_one(s, &c);
	ck_assert_str_eq(e->last.text, "two");
	ck_assert_uint_eq(e->last.state, 0);
	lc_store_chats_free(c);
	make_id(id, 2);
	ck_assert_int_eq(lc_store_message_set_state(s, id, 3), 0);
	make_id(id, 1);
	ck_assert_int_eq(lc_store_message_set_state(s, id, 5), 0);
	e = list_one(s, &c);
	ck_assert_str_eq(e->last.text, "two");
	ck_assert_uint_eq(e->last.state, 3);
	lc_store_chats_free(c);
	ck_assert_int_eq(put(s, 3, "q", 30, long_text, 0), 0);
	e = list_one(s, &c);
	ck_assert_str_eq(e->last.text, long_text);
	lc_store_chats_free(c);
	make_id(id, 3);
	ck_assert_int_eq(lc_store_message_set_state(s, id, 4), 0);
	e = list_one(s, &c);
	ck_assert_uint_eq(e->last.state, 4);
	lc_store_chats_free(c);
	ck_assert_int_eq(lc_store_message_delete(s, id), 0);
	e = list_one(s, &c);
	ck_assert_str_eq(e->last.text, "two");
	ck_assert_uint_eq(e->last.state, 3);
	ck_assert_uint_eq(e->message_count, 2);
	lc_store_chats_free(c);
	make_id(id, 2);
	ck_assert_int_eq(lc_store_message_delete(s, id), 0);
	make_id(id, 1);
	ck_assert_int_eq(lc_store_message_delete(s, id), 0);
	e = list_one(s, &c);
	ck_assert_int_eq(e->has_last, 0);
	lc_store_chats_free(c);
	lc_store_close(s);
}

START_TEST(store_chat_list_last_plain)
{
	chat_list_last(NULL);
}
END_TEST

START_TEST(store_chat_list_last_sealed)
{
	uint8_t key[LC_STORE_KEY_LEN];

	memset(key, 8, sizeof key);
	chat_list_last(key);
}
END_TEST

START_TEST(store_delete_chat)
{
	lc_store *s = open_store(NULL);
	lc_store_chats *c = NULL;
	lc_store_page *p = NULL;
	uint8_t id[LC_STORE_ID_LEN];
	lc_store_receipt r;
	size_t n;
	lc_store_message m = msg(3, "a", 3, "gamma pizza");

	put(s, 1, "a", 1, "alpha pizza", 0);
	put(s, 2, "b", 2, "beta pizza", 0);
	ck_assert_int_eq(lc_store_message_put(s, &m, LC_STORE_PUT_OUTBOX), 0);
	memset(&r, 0, sizeof r);
	strcpy(r.user_id, "bob");
	ck_assert_int_eq(lc_store_receipts_put(s, m.id, &r, 1, NULL), 0);
	ck_assert_uint_eq(search_count(s, "pizza", NULL), 3);
	ck_assert_int_eq(lc_store_chat_delete(s, "a"), 0);
	ck_assert_int_eq(lc_store_chat_delete(s, "a"), LC_ERR_NOT_FOUND);
	ck_assert_uint_eq(search_count(s, "pizza", NULL), 1);
	ck_assert_uint_eq(search_count(s, "alpha", NULL), 0);
	make_id(id, 1);
	ck_assert_int_eq(lc_store_message_get(s, id, &p), LC_ERR_NOT_FOUND);
	ck_assert_int_eq(lc_store_receipts_get(s, m.id, NULL, 0, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(lc_store_outbox_list(s, 0, &p), 0);
	ck_assert_uint_eq(lc_store_page_count(p), 0);
	lc_store_page_free(p);
	ck_assert_int_eq(lc_store_chats_list(s, 0, 0, &c), 0);
	ck_assert_uint_eq(lc_store_chats_count(c), 1);
	ck_assert_str_eq(lc_store_chats_get(c, 0)->chat_id, "b");
	lc_store_chats_free(c);
	/* The id is free again. */
	ck_assert_int_eq(put(s, 1, "a", 9, "alpha again", 0), 0);
	lc_store_close(s);
}
END_TEST

START_TEST(store_retention)
{
	lc_store *s = open_store(NULL);
	lc_store_chats *c = NULL;
	lc_store_page *p = NULL;
	char t[16];

	for (unsigned i = 0; i < 10; i++) {
		snprintf(t, sizeof t, "word%u", i);
		put(s, i, "c", 100 + i, t, 0);
	}
	ck_assert_int_eq(lc_store_chat_set_retention(s, "c", 5), 0);
	ck_assert_int_eq(lc_store_chat_get(s, "c", &c), 0);
	ck_assert_uint_eq(lc_store_chats_get(c, 0)->message_count, 5);
	ck_assert_uint_eq(lc_store_chats_get(c, 0)->retention, 5);
	ck_assert_uint_eq(lc_store_chats_get(c, 0)->unread, 5);
	lc_store_chats_free(c);
	ck_assert_uint_eq(search_count(s, "word4", NULL), 0);
	ck_assert_uint_eq(search_count(s, "word5", NULL), 1);
	put(s, 10, "c", 200, "word10", 0);
	ck_assert_int_eq(lc_store_messages_page(s, "c", 0, 0, &p), 0);
	ck_assert_uint_eq(lc_store_page_count(p), 5);
	ck_assert_uint_eq(id_num(lc_store_page_get(p, 0)->id), 10);
	ck_assert_uint_eq(id_num(lc_store_page_get(p, 4)->id), 6);
	lc_store_page_free(p);
	ck_assert_uint_eq(search_count(s, "wor", NULL), 5);
	/* Retention on a new chat creates it. */
	ck_assert_int_eq(lc_store_chat_set_retention(s, "new", 3), 0);
	ck_assert_int_eq(lc_store_chat_get(s, "new", &c), 0);
	ck_assert_int_eq(lc_store_chats_get(c, 0)->has_last, 0);
	lc_store_chats_free(c);
	ck_assert_int_eq(lc_store_chat_set_retention(s, "c", 0), 0);
	lc_store_close(s);
}
END_TEST

/* ------------------------------------------------------------ outbox */

START_TEST(store_outbox_replay)
{
	lc_store *s = open_store(NULL);
	lc_store_page *p = NULL;
	uint8_t id[LC_STORE_ID_LEN];
	const unsigned expect[] = { 1, 3, 4, 5, 2 };

	for (unsigned i = 1; i <= 5; i++) {
		lc_store_message m = msg(i, "c", 100 - i, "out");

		m.flags = LC_STORE_MSG_OUTGOING;
		ck_assert_int_eq(lc_store_message_put(s, &m, LC_STORE_PUT_OUTBOX),
				 0);
	}
	make_id(id, 2);
	ck_assert_int_eq(lc_store_outbox_ack(s, id), 0);
	ck_assert_int_eq(lc_store_outbox_ack(s, id), LC_ERR_NOT_FOUND);
	lc_store_close(s);
	s = open_store(NULL);
	ck_assert_int_eq(lc_store_outbox_add(s, id), 0); /* a retry */
	make_id(id, 3);
	ck_assert_int_eq(lc_store_outbox_add(s, id), 0); /* queued already */
	make_id(id, 77);
	ck_assert_int_eq(lc_store_outbox_add(s, id), LC_ERR_NOT_FOUND);
	ck_assert_int_eq(lc_store_outbox_list(s, 0, &p), 0);
	ck_assert_uint_eq(lc_store_page_count(p), 5);
	for (unsigned i = 0; i < 5; i++) {
		const lc_store_message *m = lc_store_page_get(p, i);

		ck_assert_uint_eq(id_num(m->id), expect[i]);
		ck_assert_str_eq(m->text, "out");
		ck_assert_str_eq(m->chat_id, "c");
	}
	lc_store_page_free(p);
	ck_assert_int_eq(lc_store_outbox_list(s, 2, &p), 0);
	ck_assert_uint_eq(lc_store_page_count(p), 2);
	ck_assert_int_eq(lc_store_page_has_more(p), 1);
	lc_store_page_free(p);
	/* Outgoing messages never count as unread. */
	{
		lc_store_chats *c = NULL;

		ck_assert_int_eq(lc_store_chat_get(s, "c", &c), 0);
		ck_assert_uint_eq(lc_store_chats_get(c, 0)->unread, 0);
		lc_store_chats_free(c);
	}
	lc_store_close(s);
}
END_TEST

/* ------------------------------------------------------------ receipts */

START_TEST(store_receipts)
{
	lc_store *s = open_store(NULL);
	lc_store_receipt r[3], got[3];
	uint8_t id[LC_STORE_ID_LEN];
	uint32_t st = 3;
	size_t n;
	lc_store_page *p = NULL;

	put(s, 1, "g", 1, "hi", LC_STORE_MSG_OUTGOING);
	make_id(id, 1);
	memset(r, 0, sizeof r);
	strcpy(r[0].user_id, "carol");
	r[0].device_id = 2;
	r[0].state = 1;
	r[0].times[0] = 11;
	strcpy(r[1].user_id, "bob");
	r[1].device_id = 7;
	r[1].state = 2;
	r[1].times[3] = UINT64_MAX;
	strcpy(r[2].user_id, "bob");
	r[2].device_id = 1;
	r[2].state = 4;
	ck_assert_int_eq(lc_store_receipts_put(s, id, r, 3, &st), 0);
	ck_assert_int_eq(lc_store_receipts_get(s, id, got, 1, &n),
			 LC_ERR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(lc_store_receipts_get(s, id, got, 3, &n), 0);
	ck_assert_str_eq(got[0].user_id, "bob");
	ck_assert_uint_eq(got[0].device_id, 1);
	ck_assert_uint_eq(got[0].state, 4);
	ck_assert_uint_eq(got[1].device_id, 7);
	ck_assert_uint_eq(got[1].times[3], UINT64_MAX);
	ck_assert_str_eq(got[2].user_id, "carol");
	ck_assert_uint_eq(got[2].times[0], 11);
	ck_assert_int_eq(lc_store_message_get(s, id, &p), 0);
	ck_assert_uint_eq(lc_store_page_get(p, 0)->state, 3);
	lc_store_page_free(p);
	/* Replace one, delete one. */
	r[0].state = 9;
	ck_assert_int_eq(lc_store_receipts_put(s, id, r, 1, NULL), 0);
	ck_assert_int_eq(lc_store_receipt_delete(s, id, "bob", 7), 0);
	ck_assert_int_eq(lc_store_receipt_delete(s, id, "bob", 7),
			 LC_ERR_NOT_FOUND);
	ck_assert_int_eq(lc_store_receipts_get(s, id, got, 3, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(got[1].state, 9);
	ck_assert_int_eq(lc_store_message_set_state(s, id, 5), 0);
	ck_assert_int_eq(lc_store_message_get(s, id, &p), 0);
	ck_assert_uint_eq(lc_store_page_get(p, 0)->state, 5);
	ck_assert_str_eq(lc_store_page_get(p, 0)->text, "hi");
	lc_store_page_free(p);
	make_id(id, 2);
	ck_assert_int_eq(lc_store_receipts_put(s, id, r, 1, NULL),
			 LC_ERR_NOT_FOUND);
	ck_assert_int_eq(lc_store_message_set_state(s, id, 1), LC_ERR_NOT_FOUND);
	lc_store_close(s);
}
END_TEST

/* ------------------------------------------------------------ key blobs */

static void blobs(const uint8_t *key)
{
	lc_store *s = open_store(key);
	uint8_t out[64];
	size_t n;
	const uint8_t name[] = "bob\0\0\0\0\1";
	lc_store_identity id;
	uint8_t k1[32], k2[32];

	ck_assert_int_eq(lc_store_blob_put(s, LC_STORE_BLOB_SESSION, name,
					   sizeof name, (const uint8_t *)
					   "session-state", 13), 0);
	ck_assert_int_eq(lc_store_blob_get(s, LC_STORE_BLOB_SESSION, name,
					   sizeof name, out, 4, &n),
			 LC_ERR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(n, 13);
	ck_assert_int_eq(lc_store_blob_get(s, LC_STORE_BLOB_SESSION, name,
					   sizeof name, out, sizeof out, &n), 0);
	ck_assert_mem_eq(out, "session-state", 13);
	ck_assert_int_eq(lc_store_blob_get(s, LC_STORE_BLOB_PREKEY, name,
					   sizeof name, out, sizeof out, &n),
			 LC_ERR_NOT_FOUND);
	ck_assert_int_eq(lc_store_blob_put(s, LC_STORE_BLOB_PREKEY, name, 3,
					   NULL, 0), 0);
	ck_assert_int_eq(lc_store_blob_get(s, LC_STORE_BLOB_PREKEY, name, 3,
					   NULL, 0, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(lc_store_blob_delete(s, LC_STORE_BLOB_SESSION, name,
					      sizeof name), 0);
	ck_assert_int_eq(lc_store_blob_delete(s, LC_STORE_BLOB_SESSION, name,
					      sizeof name), LC_ERR_NOT_FOUND);
	ck_assert_int_eq(lc_store_blob_put(s, (lc_store_blob_kind)9, name, 3,
					   NULL, 0), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_store_blob_put(s, LC_STORE_BLOB_LOCAL, name, 0,
					   NULL, 0), LC_ERR_INVALID_ARG);

	memset(k1, 1, sizeof k1);
	memset(k2, 2, sizeof k2);
	ck_assert_int_eq(lc_store_identity_get(s, "bob", 1, &id),
			 LC_ERR_NOT_FOUND);
	ck_assert_int_eq(lc_store_identity_save(s, "bob", 1, k1, 32, 100),
			 LC_STORE_IDENTITY_NEW);
	ck_assert_int_eq(lc_store_identity_save(s, "bob", 1, k1, 32, 200),
			 LC_STORE_IDENTITY_SAME);
	ck_assert_int_eq(lc_store_identity_save(s, "bob", 2, k2, 32, 200),
			 LC_STORE_IDENTITY_NEW);
	ck_assert_int_eq(lc_store_identity_save(s, "bob", 1, k2, 32, 300),
			 LC_STORE_IDENTITY_CHANGED);
	ck_assert_int_eq(lc_store_identity_get(s, "bob", 1, &id), 0);
	ck_assert_uint_eq(id.key_len, 32);
	ck_assert_mem_eq(id.key, k2, 32);
	ck_assert_mem_eq(id.prev_key, k1, 32);
	ck_assert_uint_eq(id.first_seen_ms, 100);
	ck_assert_uint_eq(id.changed_ms, 300);
	ck_assert_uint_eq(id.changes, 1);
	ck_assert_int_eq(lc_store_identity_save(s, "bob", 1, k1, 65, 300),
			 LC_ERR_INVALID_ARG);
	lc_store_close(s);
}

START_TEST(store_blobs_plain)
{
	blobs(NULL);
}
END_TEST

START_TEST(store_blobs_sealed)
{
	uint8_t key[LC_STORE_KEY_LEN];

	memset(key, 3, sizeof key);
	blobs(key);
}
END_TEST

/* ------------------------------------------------------------ versions */

/* Write raw bytes into a sub-database, as a damaged or future file would. */
static void raw_put(const char *db, const void *k, size_t kn, const void *v,
		    size_t vn)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = { kn, (void *)k }, val = { vn, (void *)v };

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 16), 0);
	ck_assert_int_eq(mdb_env_open(env, tmpdir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, db, 0, &dbi), 0);
	ck_assert_int_eq(mdb_put(txn, dbi, &key, &val, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

START_TEST(store_version_refused)
{
	lc_store *s = open_store(NULL);
	const uint8_t v2[4] = { 0, 0, 0, LC_STORE_SCHEMA_VERSION + 1 };
	const uint8_t bad[3] = { 0, 0, 1 };

	lc_store_close(s);
	raw_put("meta", "version", 7, v2, 4);
	ck_assert_int_eq(lc_store_open(&s, tmpdir, NULL, NULL),
			 LC_ERR_STORE_VERSION);
	ck_assert_ptr_null(s);
	raw_put("meta", "version", 7, bad, 3);
	ck_assert_int_eq(lc_store_open(&s, tmpdir, NULL, NULL),
			 LC_ERR_STORE_CORRUPT);
}
END_TEST

/* Rewinds a store to schema version ver (1 or 2): the version record, the
 * version-3 index emptied, and the index of those versions ("post", one
 * LMDB duplicate per posting) written as they wrote it: version 2 the
 * 3-character prefix list of "pizzeria tonight" (message 1 of chat 1 at
 * time 10, see migrate_old), version 1 also a whole-word list. */
static void make_old(uint32_t ver)
{
	const uint8_t v[4] = { 0, 0, 0, (uint8_t)ver };
	const uint8_t post[13] = { 0, 0, 0, 0, 0, 10, 0, 0, 1, 0, 0, 0, 1 };
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, pdb, blk, log;
	MDB_val k = { 7, "version" }, vv = { 4, (void *)v };
	MDB_val wk = { 9, "pizzeria" }, pk = { 4, "piz" };
	MDB_val sv = { 13, (void *)post };

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 20), 0);
	ck_assert_int_eq(mdb_env_open(env, tmpdir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "pblock", 0, &blk), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "plog", 0, &log), 0);
	ck_assert_int_eq(mdb_drop(txn, blk, 1), 0);
	ck_assert_int_eq(mdb_drop(txn, log, 1), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "post", MDB_CREATE | MDB_DUPSORT |
				      MDB_DUPFIXED, &pdb), 0);
	ck_assert_int_eq(mdb_put(txn, meta, &k, &vv, 0), 0);
	ck_assert_int_eq(mdb_put(txn, pdb, &pk, &sv, 0), 0);
	{
		/* The id index held the whole 16-byte message key. */
		MDB_dbi ids;
		MDB_cursor *ic;
		MDB_val ik, iv;

		ck_assert_int_eq(mdb_dbi_open(txn, "msgid", 0, &ids), 0);
		ck_assert_int_eq(mdb_cursor_open(txn, ids, &ic), 0);
		while (mdb_cursor_get(ic, &ik, &iv, MDB_NEXT) == 0) {
			const uint8_t *p = iv.mv_data;
			uint8_t full[16] = { 0 };

			ck_assert_uint_eq(iv.mv_size, 13);
			memcpy(full + 1, p + 6, 3);  /* chat */
			memcpy(full + 6, p, 6);      /* time */
			memcpy(full + 12, p + 9, 4); /* msgnum */
			uint8_t kb[16];

			/* The key points into the page the put changes. */
			ck_assert_uint_eq(ik.mv_size, 16);
			memcpy(kb, ik.mv_data, 16);
			ik.mv_data = kb;
			iv.mv_size = 16;
			iv.mv_data = full;
			ck_assert_int_eq(mdb_cursor_put(ic, &ik, &iv,
							MDB_CURRENT), 0);
		}
		mdb_cursor_close(ic);
	}
	{
		/* Activity entries held the chat record alone. */
		MDB_dbi act, chat;
		MDB_cursor *c;
		MDB_val ak, av, ck, cv;
		uint8_t num[4];

		ck_assert_int_eq(mdb_dbi_open(txn, "activity", 0, &act), 0);
		ck_assert_int_eq(mdb_dbi_open(txn, "chat", 0, &chat), 0);
		ck_assert_int_eq(mdb_cursor_open(txn, act, &c), 0);
		while (mdb_cursor_get(c, &ak, &av, MDB_NEXT) == 0) {
			uint8_t kb[12];

			ck_assert_uint_eq(ak.mv_size, 12);
			memcpy(kb, ak.mv_data, 12);
			ak.mv_data = kb;
			memcpy(num, kb + 8, 4);
			ck.mv_size = 4;
			ck.mv_data = num;
			ck_assert_int_eq(mdb_get(txn, chat, &ck, &cv), 0);
			ck_assert_int_eq(mdb_cursor_put(c, &ak, &cv,
							MDB_CURRENT), 0);
		}
		mdb_cursor_close(c);
	}
	if (ver == 1)
		ck_assert_int_eq(mdb_put(txn, pdb, &wk, &sv, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* The schema version and whether the old index ("post") is still there. */
static uint32_t raw_version(int *stale)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, pdb;
	MDB_val k = { 7, "version" }, v;
	const uint8_t *p;
	uint32_t ver;

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 20), 0);
	ck_assert_int_eq(mdb_env_open(env, tmpdir, MDB_RDONLY, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	ck_assert_int_eq(mdb_get(txn, meta, &k, &v), 0);
	ck_assert_uint_eq(v.mv_size, 4);
	p = v.mv_data;
	ver = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	      (uint32_t)p[2] << 8 | p[3];
	*stale = mdb_dbi_open(txn, "post", 0, &pdb) == 0;
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return ver;
}

static void migrate_old(const uint8_t *key, uint32_t ver)
{
	uint8_t wrong[LC_STORE_KEY_LEN];
	lc_store *s = open_store(key);
	int stale;

	ck_assert_int_eq(put(s, 1, "a", 10, "pizzeria tonight", 0), 0);
	ck_assert_int_eq(put(s, 2, "b", 20, "Pizza later?", 0), 0);
	ck_assert_int_eq(put(s, 3, "b", 30, "no text here", 0), 0);
	lc_store_close(s);
	make_old(ver);
	ck_assert_uint_eq(raw_version(&stale), ver);
	ck_assert_int_eq(stale, 1);
	if (key) {
		/* Not migrated under a wrong key. */
		memset(wrong, 0x77, sizeof wrong);
		s = NULL;
		ck_assert_int_eq(lc_store_open(&s, tmpdir, wrong, NULL),
				 LC_ERR_STORE_KEY);
		ck_assert_ptr_null(s);
		ck_assert_uint_eq(raw_version(&stale), ver);
	}
	s = open_store(key);
	{
		lc_store_chats *c = NULL;

		ck_assert_int_eq(lc_store_chats_list(s, 0, 0, &c), 0);
		ck_assert_uint_eq(lc_store_chats_count(c), 2);
		ck_assert_str_eq(lc_store_chats_get(c, 0)->last.text,
				 "no text here");
		ck_assert_str_eq(lc_store_chats_get(c, 1)->last.text,
				 "pizzeria tonight");
		lc_store_chats_free(c);
	}
	ck_assert_uint_eq(search_count(s, "piz", NULL), 2);
	ck_assert_uint_eq(search_count(s, "pizze", NULL), 1);
	ck_assert_uint_eq(search_count(s, "tonight", NULL), 1);
	ck_assert_uint_eq(search_count(s, "text", "b"), 1);
	ck_assert_uint_eq(search_count(s, "no", NULL), 1);
	ck_assert_uint_eq(search_count(s, "la", NULL), 1);
	/* Deleting cleans the rebuilt index. */
	ck_assert_int_eq(lc_store_message_delete(s, msg(2, "b", 20, NULL).id),
			 0);
	ck_assert_uint_eq(search_count(s, "piz", NULL), 1);
	ck_assert_uint_eq(search_count(s, "la", NULL), 0);
	lc_store_close(s);
	ck_assert_uint_eq(raw_version(&stale), LC_STORE_SCHEMA_VERSION);
	ck_assert_int_eq(stale, 0);
}

static void migrate_v1(const uint8_t *key)
{
	migrate_old(key, 1);
}

START_TEST(store_migrate_v2_plain)
{
	migrate_old(NULL, 2);
}
END_TEST

START_TEST(store_migrate_v2_sealed)
{
	uint8_t key[LC_STORE_KEY_LEN];

	memset(key, 6, sizeof key);
	migrate_old(key, 2);
}
END_TEST

/* A store larger than the initial map reopens with a map just big enough
 * for its pages, so the migration's opening transaction fills it: the
 * map is grown and the opening transaction run again. */
START_TEST(store_migrate_grows_map)
{
	lc_store *s = open_store(NULL);
	static lc_store_message ms[100];
	static char texts[100][2048];
	struct stat st;
	char path[300];
	int stale;

	for (unsigned b = 0; b < 30; b++) {
		for (unsigned i = 0; i < 100; i++) {
			unsigned n = b * 100 + i + 1;

			snprintf(texts[i], sizeof texts[i], "pizza %u ", n);
			memset(texts[i] + strlen(texts[i]), 'x', 1500);
			texts[i][2000] = 0;
			ms[i] = msg(n, i % 2 ? "g1" : "g2", n, texts[i]);
		}
		ck_assert_int_eq(lc_store_messages_put(s, ms, 100, 0, NULL),
				 100);
	}
	lc_store_close(s);
	snprintf(path, sizeof path, "%s/data.mdb", tmpdir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_gt(st.st_size, 4 << 20);
	make_old(2);
	s = open_store(NULL);
	ck_assert_uint_eq(raw_version(&stale), LC_STORE_SCHEMA_VERSION);
	ck_assert_uint_eq(search_count(s, "pizza", "g1"), 50);
	lc_store_close(s);
}
END_TEST

START_TEST(store_migrate_v1_plain)
{
	migrate_v1(NULL);
}
END_TEST

/* A record that does not decode does not stop the migration. */
START_TEST(store_migrate_v1_corrupt)
{
	lc_store *s = open_store(NULL);
	uint8_t id[LC_STORE_ID_LEN], key[16];
	const uint8_t junk[5] = { 1, 0xff, 0xff, 0xff, 0xff };
	int stale;

	put(s, 1, "c", 10, "first pizza", 0);
	put(s, 2, "c", 20, "second pizza", 0);
	lc_store_close(s);
	memset(key, 0, sizeof key); /* chat 1, time 20, msgnum 2 */
	key[3] = 1;
	key[11] = 20;
	key[15] = 2;
	raw_put("msg", key, 16, junk, sizeof junk);
	make_old(1);
	s = open_store(NULL);
	ck_assert_uint_eq(search_count(s, "pizza", NULL), 1);
	ck_assert_uint_eq(search_count(s, "first", NULL), 1);
	make_id(id, 2);
	ck_assert_int_eq(lc_store_message_delete(s, id), 0);
	lc_store_close(s);
	ck_assert_uint_eq(raw_version(&stale), LC_STORE_SCHEMA_VERSION);
	ck_assert_int_eq(stale, 0);
}
END_TEST

START_TEST(store_migrate_v1_sealed)
{
	uint8_t key[LC_STORE_KEY_LEN];

	memset(key, 5, sizeof key);
	migrate_v1(key);
}
END_TEST

START_TEST(store_wrong_key)
{
	uint8_t a[LC_STORE_KEY_LEN], b[LC_STORE_KEY_LEN];
	lc_store *s = NULL;

	memset(a, 1, sizeof a);
	memset(b, 2, sizeof b);
	s = open_store(a);
	put(s, 1, "c", 1, "secret", 0);
	lc_store_close(s);
	ck_assert_int_eq(lc_store_open(&s, tmpdir, b, NULL), LC_ERR_STORE_KEY);
	ck_assert_int_eq(lc_store_open(&s, tmpdir, NULL, NULL),
			 LC_ERR_STORE_KEY);
	s = open_store(a);
	lc_store_close(s);
	/* A plain store with messages refuses a key. */
	rm_rf(tmpdir);
	fresh_dir();
	s = open_store(NULL);
	put(s, 1, "c", 1, "plain", 0);
	lc_store_close(s);
	ck_assert_int_eq(lc_store_open(&s, tmpdir, a, NULL), LC_ERR_STORE_KEY);
}
END_TEST

static int file_contains(const char *path, const char *needle)
{
	size_t n, k = strlen(needle);
	char *buf = lc_test_read_file(path, &n);
	int found = 0;

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i + k <= n && !found; i++)
		found = memcmp(buf + i, needle, k) == 0;
	free(buf);
	return found;
}

START_TEST(store_sealed_no_plaintext)
{
	uint8_t key[LC_STORE_KEY_LEN];
	lc_store *s;
	char path[512];
	lc_store_message m[50];
	char text[50][64];

	memset(key, 9, sizeof key);
	s = open_store(key);
	for (unsigned i = 0; i < 50; i++) {
		snprintf(text[i], sizeof text[i],
			 "zebrafish xylophone quokka%u", i);
		m[i] = msg(i, "chat", i, text[i]);
	}
	ck_assert_int_eq(lc_store_messages_put(s, m, 50, 0, NULL), 50);
	ck_assert_int_eq(lc_store_blob_put(s, LC_STORE_BLOB_LOCAL,
					   (const uint8_t *)"me", 2,
					   (const uint8_t *)"PRIVATEKEYBYTES",
					   15), 0);
	ck_assert_uint_eq(search_count(s, "zebra", NULL), 50);
	ck_assert_uint_eq(search_count(s, "QUOKKA1", NULL), 11);
	ck_assert_uint_eq(search_count(s, "xy", NULL), 50);
	ck_assert_uint_eq(search_count(s, "xy quokka1", NULL), 11);
	ck_assert_uint_eq(search_count(s, "zebrafish q", NULL), 0);
	ck_assert_uint_eq(search_count(s, "quokka12 zeb", NULL), 1);
	lc_store_close(s);
	snprintf(path, sizeof path, "%s/data.mdb", tmpdir);
	ck_assert_int_eq(file_contains(path, "zebrafish"), 0);
	ck_assert_int_eq(file_contains(path, "zebr"), 0);
	ck_assert_int_eq(file_contains(path, "xylo"), 0);
	ck_assert_int_eq(file_contains(path, "quokka"), 0);
	ck_assert_int_eq(file_contains(path, "PRIVATEKEY"), 0);
	/* The same in a plain store is readable: the check can fail. */
	rm_rf(tmpdir);
	fresh_dir();
	s = open_store(NULL);
	ck_assert_int_eq(lc_store_messages_put(s, m, 50, 0, NULL), 50);
	lc_store_close(s);
	snprintf(path, sizeof path, "%s/data.mdb", tmpdir);
	ck_assert_int_eq(file_contains(path, "zebrafish"), 1);
}
END_TEST

/* ------------------------------------------------------------ search */

START_TEST(store_search_folding)
{
	lc_store *s = open_store(NULL);
	static const struct {
		const char *text, *query;
	} cases[] = {
		{ "Élan vital", "elan" },
		{ "élan vital", "ÉLAN" },
		{ "Die Straße", "strasse" },
		{ "STRASSE", "straße" },
		{ "Łódź is a city", "lodz" },
		{ "naïve café", "CAFE" },
		{ "Ærøskøbing", "aeroskobing" },
		{ "Œuvre complète", "oeuvre" },
		{ "Ĳsselmeer", "ijssel" },
		{ "ÅNGSTRÖM", "angstrom" },
		{ "Αθήνα", "αθηνα" },
		{ "МОСКВА", "москва" },
		{ "Ёлка", "елка" },
		{ "東京タワー", "京" },
		{ "cafe\xcc\x81 decomposed", "cafe" },
		{ "ＦＵＬＬwidth", "fullwidth" },
		{ "state-of-the-art", "art" },
		{ "École", "ÉC" },
		{ "Łąka", "ła" },
	};
	const size_t n = sizeof cases / sizeof cases[0];

	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(put(s, (unsigned)i, "c", i, cases[i].text, 0),
				 0);
	for (size_t i = 0; i < n; i++) {
		lc_store_hits *h = NULL;
		int found = 0;

		ck_assert_int_eq(lc_store_search(s, cases[i].query, NULL, NULL,
						 0, &h), 0);
		for (size_t j = 0; j < lc_store_hits_count(h); j++)
			found |= id_num(lc_store_hits_get(h, j)->message.id) ==
				 i;
		ck_assert_msg(found, "'%s' not found by '%s'", cases[i].text,
			      cases[i].query);
		lc_store_hits_free(h);
	}
	ck_assert_uint_eq(search_count(s, "zzz", NULL), 0);
	ck_assert_uint_eq(search_count(s, "  ,,, ", NULL), 0);
	lc_store_close(s);
}
END_TEST

START_TEST(store_search_prefix_and_filters)
{
	lc_store *s = open_store(NULL);
	lc_store_hits *h = NULL;
	const lc_store_hit *hit;

	put(s, 1, "a", 100, "we ate pizza tonight", 0);
	put(s, 2, "b", 200, "the pizzeria is closed", 0);
	put(s, 3, "a", 300, "Pizza again? pizza!", 0);
	put(s, 4, "b", 400, "pie is not pizza", 0);
	put(s, 5, "a", 500, "a tiny word: pi", 0);
	ck_assert_uint_eq(search_count(s, "piz", NULL), 4);
	ck_assert_uint_eq(search_count(s, "pi", NULL), 5);
	ck_assert_uint_eq(search_count(s, "pizz", NULL), 4);
	ck_assert_uint_eq(search_count(s, "pizze", NULL), 1);
	ck_assert_uint_eq(search_count(s, "pizza", NULL), 3);
	ck_assert_uint_eq(search_count(s, "pizza", "a"), 2);
	ck_assert_uint_eq(search_count(s, "pizza", "nochat"), 0);
	ck_assert_uint_eq(search_count(s, "pizza pie", NULL), 1);
	ck_assert_uint_eq(search_count(s, "closed pizz", NULL), 1);
	ck_assert_uint_eq(search_count(s, "a", NULL), 1); /* one-char word */
	/* Two characters: merged lists, each message once, paged. */
	{
		lc_store_hits *h1 = NULL, *h2 = NULL;
		uint8_t before[LC_STORE_ID_LEN];

		ck_assert_int_eq(lc_store_search(s, "Pi", NULL, NULL, 2, &h1),
				 0);
		ck_assert_uint_eq(lc_store_hits_count(h1), 2);
		ck_assert_uint_eq(id_num(lc_store_hits_get(h1, 0)->message.id),
				  5);
		ck_assert_uint_eq(id_num(lc_store_hits_get(h1, 1)->message.id),
				  4);
		memcpy(before, lc_store_hits_get(h1, 1)->message.id,
		       LC_STORE_ID_LEN);
		ck_assert_int_eq(lc_store_search(s, "pi", NULL, before, 0, &h2),
				 0);
		ck_assert_uint_eq(lc_store_hits_count(h2), 3);
		ck_assert_uint_eq(id_num(lc_store_hits_get(h2, 0)->message.id),
				  3);
		ck_assert_uint_eq(id_num(lc_store_hits_get(h2, 2)->message.id),
				  1);
		lc_store_hits_free(h1);
		lc_store_hits_free(h2);
		ck_assert_uint_eq(search_count(s, "pi", "b"), 2);
	}
	/* Newest first, snippet with the match. */
	ck_assert_int_eq(lc_store_search(s, "PIZ", NULL, NULL, 2, &h), 0);
	ck_assert_uint_eq(lc_store_hits_count(h), 2);
	ck_assert_int_eq(lc_store_hits_has_more(h), 1);
	hit = lc_store_hits_get(h, 0);
	ck_assert_uint_eq(id_num(hit->message.id), 4);
	ck_assert_str_eq(hit->message.chat_id, "b");
	ck_assert_str_eq(hit->snippet, "pie is not pizza");
	ck_assert_uint_eq(hit->match_off, 11);
	ck_assert_uint_eq(hit->match_len, 5);
	hit = lc_store_hits_get(h, 1);
	ck_assert_uint_eq(id_num(hit->message.id), 3);
	ck_assert_uint_eq(hit->match_off, 0);
	{
		lc_store_hits *h2 = NULL;
		uint8_t before[LC_STORE_ID_LEN];

		memcpy(before, hit->message.id, LC_STORE_ID_LEN);
		ck_assert_int_eq(lc_store_search(s, "piz", NULL, before, 0,
						 &h2), 0);
		ck_assert_uint_eq(lc_store_hits_count(h2), 2);
		ck_assert_uint_eq(id_num(lc_store_hits_get(h2, 0)->message.id),
				  2);
		ck_assert_uint_eq(id_num(lc_store_hits_get(h2, 1)->message.id),
				  1);
		ck_assert_int_eq(lc_store_hits_has_more(h2), 0);
		lc_store_hits_free(h2);
	}
	lc_store_hits_free(h);
	/* Delete cleans the index. */
	{
		uint8_t id[LC_STORE_ID_LEN];

		make_id(id, 2);
		ck_assert_int_eq(lc_store_message_delete(s, id), 0);
		ck_assert_uint_eq(search_count(s, "pizze", NULL), 0);
		ck_assert_uint_eq(search_count(s, "clo", NULL), 0);
	}
	lc_store_close(s);
}
END_TEST

/* A small chat in a store where the word is common: the chat is read
 * instead of the posting list; results must be the same. */
START_TEST(store_search_small_chat)
{
	lc_store *s = open_store(NULL);
	lc_store_message b[200];
	lc_store_hits *h = NULL, *h2 = NULL;
	uint8_t before[LC_STORE_ID_LEN];

	for (unsigned i = 0; i < 200; i++)
		b[i] = msg(i, "big", 1000 + i, "pizza everywhere");
	ck_assert_int_eq(lc_store_messages_put(s, b, 200, 0, NULL), 200);
	put(s, 1001, "small", 500, "pizza one", 0);
	put(s, 1002, "small", 1500, "no match here", 0);
	put(s, 1003, "small", 2500, "more pizzas", 0);
	put(s, 1004, "small", 3500, "pizza three", 0);
	ck_assert_int_eq(lc_store_search(s, "piz", "small", NULL, 2, &h), 0);
	ck_assert_uint_eq(lc_store_hits_count(h), 2);
	ck_assert_int_eq(lc_store_hits_has_more(h), 1);
	ck_assert_uint_eq(id_num(lc_store_hits_get(h, 0)->message.id), 1004);
	ck_assert_uint_eq(id_num(lc_store_hits_get(h, 1)->message.id), 1003);
	ck_assert_str_eq(lc_store_hits_get(h, 1)->message.chat_id, "small");
	memcpy(before, lc_store_hits_get(h, 1)->message.id, LC_STORE_ID_LEN);
	ck_assert_int_eq(lc_store_search(s, "piz", "small", before, 0, &h2), 0);
	ck_assert_uint_eq(lc_store_hits_count(h2), 1);
	ck_assert_uint_eq(id_num(lc_store_hits_get(h2, 0)->message.id), 1001);
	lc_store_hits_free(h);
	lc_store_hits_free(h2);
	ck_assert_uint_eq(search_count(s, "pizza", "small"), 3);
	ck_assert_uint_eq(search_count(s, "pizza", "big"), 50);
	ck_assert_uint_eq(search_count(s, "match", "small"), 1);
	lc_store_close(s);
}
END_TEST

/* The index against a model: many write transactions of mixed sizes (so
 * the posting log fills and is merged, blocks split, and one batch is
 * large enough to bypass the log), late messages, equal times, deletions
 * of messages and of a chat, and a reopen. Every query's complete answer
 * (paged with a cursor) must equal the model's, in order. */
#define IX_MAX 9000
#define IX_CHATS 5

struct ix_msg {
	unsigned n, chat, chatnum, msgnum;
	uint64_t t;
	char text[64];
	int gone;
};

static struct ix_msg ix[IX_MAX];
static size_t ix_n;

static const char *const ix_words[] = {
	"pizza", "pizzeria", "pasta", "party", "pa", "apple", "alpha", "al",
	"zebra", "zen", "code", "coffee", "cafe", "night",
};

static int ix_prefix_of_word(const char *text, const char *w)
{
	size_t wl = strlen(w);

	for (const char *p = text; *p; ) {
		size_t l = strcspn(p, " ");

		if (l >= wl && strncmp(p, w, wl) == 0)
			return 1;
		p += l;
		p += *p == ' ';
	}
	return 0;
}

static int ix_matches(const struct ix_msg *m, const char *q)
{
	char buf[64], *save = NULL;

	snprintf(buf, sizeof buf, "%s", q);
	for (char *w = strtok_r(buf, " ", &save); w;
	     w = strtok_r(NULL, " ", &save))
		if (!ix_prefix_of_word(m->text, w))
			return 0;
	return 1;
}

/* Newest first: time, then chat number, then message number. */
static int ix_newer(const void *pa, const void *pb)
{
	const struct ix_msg *a = *(const struct ix_msg *const *)pa;
	const struct ix_msg *b = *(const struct ix_msg *const *)pb;

	if (a->t != b->t)
		return a->t < b->t ? 1 : -1;
	if (a->chatnum != b->chatnum)
		return a->chatnum < b->chatnum ? 1 : -1;
	return a->msgnum < b->msgnum ? 1 : a->msgnum > b->msgnum ? -1 : 0;
}

static void ix_check(lc_store *s, const char *q, int chat)
{
	static const struct ix_msg *want[IX_MAX];
	char cname[16];
	size_t nw = 0, got = 0;
	uint8_t before[LC_STORE_ID_LEN];
	int more = 1, first = 1;

	snprintf(cname, sizeof cname, "ix-%d", chat);
	for (size_t i = 0; i < ix_n; i++)
		if (!ix[i].gone && (chat < 0 || (int)ix[i].chat == chat) &&
		    ix_matches(&ix[i], q))
			want[nw++] = &ix[i];
	qsort(want, nw, sizeof want[0], ix_newer);
	while (more) {
		lc_store_hits *h = NULL;
		size_t k;

		ck_assert_int_eq(lc_store_search(s, q, chat < 0 ? NULL : cname,
						 first ? NULL : before, 37,
						 &h), 0);
		k = lc_store_hits_count(h);
		for (size_t i = 0; i < k; i++) {
			const lc_store_hit *hit = lc_store_hits_get(h, i);

			ck_assert_msg(got < nw, "%s: extra hit %u", q,
				      id_num(hit->message.id));
			ck_assert_msg(id_num(hit->message.id) == want[got]->n,
				      "%s (chat %d): hit %zu is %u, want %u", q,
				      chat, got, id_num(hit->message.id),
				      want[got]->n);
			got++;
		}
		more = lc_store_hits_has_more(h);
		if (k > 0)
			memcpy(before, lc_store_hits_get(h, k - 1)->message.id,
			       LC_STORE_ID_LEN);
		ck_assert(k > 0 || !more);
		lc_store_hits_free(h);
		first = 0;
	}
	ck_assert_msg(got == nw, "%s (chat %d): %zu hits, want %zu", q, chat,
		      got, nw);
}

static void ix_check_all(lc_store *s)
{
	static const char *const qs[] = {
		"piz", "pizze", "pa", "pas", "party", "al", "alpha", "zen",
		"co", "caf", "pasta party", "zebra night", "al pa", "zzz",
	};

	for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
		ix_check(s, qs[i], -1);
		ix_check(s, qs[i], (int)(i % IX_CHATS));
	}
}

static void ix_batch(lc_store *s, lc_test_rng *r, size_t n, size_t words)
{
	static lc_store_message ms[IX_MAX];
	static char chats[IX_CHATS][16];
	static unsigned chatnums[IX_CHATS], next_chatnum = 1, next_msgnum = 1;

	ck_assert_uint_le(ix_n + n, IX_MAX);
	if (ix_n == 0) {
		next_chatnum = next_msgnum = 1;
		memset(chatnums, 0, sizeof chatnums);
	}
	for (size_t i = 0; i < n; i++) {
		struct ix_msg *m = &ix[ix_n + i];
		unsigned late = (unsigned)lc_test_rng_next(r) % 20 == 0;
		size_t len = 0, nw = 1 + (unsigned)lc_test_rng_next(r) % words;

		m->n = (unsigned)(ix_n + i + 1);
		m->chat = (unsigned)lc_test_rng_next(r) % IX_CHATS;
		snprintf(chats[m->chat], sizeof chats[m->chat], "ix-%u",
			 m->chat);
		if (chatnums[m->chat] == 0)
			chatnums[m->chat] = next_chatnum++;
		m->chatnum = chatnums[m->chat];
		m->msgnum = next_msgnum++;
		/* Mostly in order; some late; some equal times. */
		m->t = 100000 + (uint64_t)m->n * 10 -
		       (late ? 10 * ((unsigned)lc_test_rng_next(r) % 400) : 0) -
		       ((unsigned)lc_test_rng_next(r) % 7 == 0 ? 10 : 0);
		m->gone = 0;
		for (size_t w = 0; w < nw; w++) {
			const char *word = ix_words[(unsigned)lc_test_rng_next(r) %
					   (sizeof ix_words / sizeof ix_words[0])];

			len += (size_t)snprintf(m->text + len,
						sizeof m->text - len, "%s%s",
						w ? " " : "", word);
		}
		ms[i] = msg(m->n, chats[m->chat], m->t, m->text);
	}
	ck_assert_int_eq(lc_store_messages_put(s, ms, n, 0, NULL), (int)n);
	ix_n += n;
}

/* The postings the index holds (blocks and log), read raw. */
static size_t raw_postings(void)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi blk, log;
	MDB_cursor *c;
	MDB_val k, v;
	size_t n = 0;

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 20), 0);
	ck_assert_int_eq(mdb_env_open(env, tmpdir, MDB_RDONLY, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "pblock", 0, &blk), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "plog", 0, &log), 0);
	ck_assert_int_eq(mdb_cursor_open(txn, blk, &c), 0);
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
		const uint8_t *p = v.mv_data;
		size_t cnt = 0, shift = 0, i = 0;

		do {
			cnt |= (size_t)(p[i] & 0x7f) << shift;
			shift += 7;
		} while (p[i++] & 0x80);
		n += cnt + 1;
	}
	mdb_cursor_close(c);
	ck_assert_int_eq(mdb_cursor_open(txn, log, &c), 0);
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0)
		n += v.mv_size / 13;
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return n;
}

/* The postings the model's live messages need: one per distinct term
 * (a word of up to 2 letters, the 3-letter prefix of a longer one and,
 * sealed, its 2-letter prefix too). */
static size_t model_postings(int sealed)
{
	size_t total = 0;

	for (size_t i = 0; i < ix_n; i++) {
		char terms[16][4], buf[64], *save = NULL;
		size_t nt = 0;

		if (ix[i].gone)
			continue;
		snprintf(buf, sizeof buf, "%s", ix[i].text);
		for (char *w = strtok_r(buf, " ", &save); w;
		     w = strtok_r(NULL, " ", &save)) {
			size_t wl = strlen(w);

			for (size_t cut = 2; cut <= 3; cut++) {
				char t[4];
				size_t tl = wl <= 2 ? wl : cut, j;

				if (cut == 2 && wl > 2 && !sealed)
					continue;
				if (cut == 3 && wl <= 2)
					continue;
				memcpy(t, w, tl);
				t[tl] = 0;
				for (j = 0; j < nt && strcmp(terms[j], t); j++)
					;
				if (j == nt)
					memcpy(terms[nt++], t, tl + 1);
			}
		}
		total += nt;
	}
	return total;
}

static void index_model(const uint8_t *key)
{
	lc_store *s = open_store(key);
	lc_test_rng r;

	ix_n = 0;
	lc_test_rng_seed(&r, 77);
	for (int b = 0; b < 90; b++)
		ix_batch(s, &r, 1 + (unsigned)lc_test_rng_next(&r) % 60, 3);
	ix_check_all(s);
	ix_batch(s, &r, 4000, 6); /* past the log: straight to blocks */
	ix_check_all(s);
	for (int b = 0; b < 30; b++)
		ix_batch(s, &r, 1 + (unsigned)lc_test_rng_next(&r) % 20, 3);
	ix_check_all(s);
	for (int d = 0; d < 300; d++) {
		struct ix_msg *m = &ix[(unsigned)lc_test_rng_next(&r) % ix_n];
		uint8_t id[LC_STORE_ID_LEN];

		make_id(id, m->n);
		ck_assert_int_eq(lc_store_message_delete(s, id),
				 m->gone ? LC_ERR_NOT_FOUND : 0);
		m->gone = 1;
		if (d % 50 == 0)
			ix_batch(s, &r, 5, 3); /* the log again */
	}
	ix_check_all(s);
	ck_assert_int_eq(lc_store_chat_delete(s, "ix-3"), 0);
	for (size_t i = 0; i < ix_n; i++)
		if (ix[i].chat == 3)
			ix[i].gone = 1;
	ix_check_all(s);
	lc_store_close(s);
	/* Deleting cleaned the index: no posting left behind. */
	ck_assert_uint_eq(raw_postings(), model_postings(key != NULL));
	s = open_store(key);
	ix_check_all(s);
	lc_store_close(s);
}

START_TEST(store_index_model_plain)
{
	index_model(NULL);
}
END_TEST

START_TEST(store_index_model_sealed)
{
	uint8_t key[LC_STORE_KEY_LEN];

	memset(key, 9, sizeof key);
	index_model(key);
}
END_TEST

START_TEST(store_search_snippet_long)
{
	lc_store *s = open_store(NULL);
	char text[2000];
	lc_store_hits *h = NULL;
	const lc_store_hit *hit;
	size_t k = 0;

	for (int i = 0; i < 100; i++)
		k += (size_t)snprintf(text + k, sizeof text - k, "é%02d ", i);
	snprintf(text + k, sizeof text - k, "needle ");
	k += 7;
	for (int i = 0; i < 60 && k < sizeof text - 8; i++)
		k += (size_t)snprintf(text + k, sizeof text - k, "ü%02d ", i);
	put(s, 1, "c", 1, text, 0);
	ck_assert_int_eq(lc_store_search(s, "needle", NULL, NULL, 0, &h), 0);
	ck_assert_uint_eq(lc_store_hits_count(h), 1);
	hit = lc_store_hits_get(h, 0);
	ck_assert_uint_le(hit->snippet_len, LC_STORE_SNIPPET_MAX);
	ck_assert_uint_eq(strlen(hit->snippet), hit->snippet_len);
	ck_assert_int_eq(memcmp(hit->snippet, "...", 3), 0);
	ck_assert_int_eq(memcmp(hit->snippet + hit->snippet_len - 3, "...", 3),
			 0);
	ck_assert_int_eq(memcmp(hit->snippet + hit->match_off, "needle", 6), 0);
	ck_assert_uint_eq(hit->match_len, 6);
	lc_store_hits_free(h);
	lc_store_close(s);
}
END_TEST

/* ------------------------------------------------------------ corruption */

/* Replace the copy of the newest message in the (only) activity entry
 * with junk: varint length | chat record | message key 16 | record. */
static void act_copy_corrupt(const uint8_t *junk, size_t n)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi act;
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t buf[512], kbuf[12];
	size_t head;

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 20), 0);
	ck_assert_int_eq(mdb_env_open(env, tmpdir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "activity", 0, &act), 0);
	ck_assert_int_eq(mdb_cursor_open(txn, act, &c), 0);
	ck_assert_int_eq(mdb_cursor_get(c, &k, &v, MDB_FIRST), 0);
	head = 1 + ((const uint8_t *)v.mv_data)[0] + 16;
	ck_assert_uint_lt(((const uint8_t *)v.mv_data)[0], 0x80);
	ck_assert_uint_gt(v.mv_size, head);
	ck_assert_uint_le(head + n, sizeof buf);
	memcpy(buf, v.mv_data, head);
	memcpy(buf + head, junk, n);
	v.mv_data = buf;
	v.mv_size = head + n;
	ck_assert_uint_eq(k.mv_size, 12);
	memcpy(kbuf, k.mv_data, 12); /* the key points into the page */
	k.mv_data = kbuf;
	ck_assert_int_eq(mdb_cursor_put(c, &k, &v, MDB_CURRENT), 0);
	mdb_cursor_close(c);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

START_TEST(store_corrupt_records)
{
	lc_store *s = open_store(NULL);
	lc_store_page *p = NULL;
	lc_store_chats *c = NULL;
	uint8_t id[LC_STORE_ID_LEN], key[16];
	const uint8_t junk[5] = { 1, 0xff, 0xff, 0xff, 0xff };
	const uint8_t badchat[2] = { 1, 5 };

	put(s, 1, "c", 10, "first pizza", 0);
	put(s, 2, "c", 20, "second pizza", 0);
	lc_store_close(s);
	/* Message 2 is chat 1, time 20, msgnum 2. */
	memset(key, 0, sizeof key);
	key[3] = 1;
	key[11] = 20;
	key[15] = 2;
	raw_put("msg", key, 16, junk, sizeof junk);
	act_copy_corrupt(junk, sizeof junk);
	s = open_store(NULL);
	make_id(id, 2);
	ck_assert_int_eq(lc_store_message_get(s, id, &p), LC_ERR_STORE_CORRUPT);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(lc_store_messages_page(s, "c", 0, 0, &p), 0);
	ck_assert_uint_eq(lc_store_page_count(p), 2);
	ck_assert_uint_eq(lc_store_page_get(p, 0)->flags, LC_STORE_MSG_CORRUPT);
	ck_assert_uint_eq(lc_store_page_get(p, 0)->time_ms, 20);
	ck_assert_str_eq(lc_store_page_get(p, 1)->text, "first pizza");
	lc_store_page_free(p);
	ck_assert_int_eq(lc_store_chats_list(s, 0, 0, &c), 0);
	ck_assert_uint_eq(lc_store_chats_get(c, 0)->last.flags,
			  LC_STORE_MSG_CORRUPT);
	lc_store_chats_free(c);
	ck_assert_uint_eq(search_count(s, "pizza", NULL), 1);
	ck_assert_int_eq(lc_store_message_delete(s, id), 0);
	ck_assert_int_eq(lc_store_messages_page(s, "c", 0, 0, &p), 0);
	ck_assert_uint_eq(lc_store_page_count(p), 1);
	lc_store_page_free(p);
	lc_store_close(s);
	/* A chat record that does not decode. */
	memset(key, 0, 4);
	key[3] = 1;
	raw_put("chat", key, 4, badchat, sizeof badchat);
	{
		/* Its copy in the activity index: ~20 | chat 1. */
		uint8_t ak[12];

		memset(ak, 0xff, 8);
		ak[7] = (uint8_t)~20;
		memset(ak + 8, 0, 4);
		ak[11] = 1;
		raw_put("activity", ak, 12, badchat, sizeof badchat);
	}
	s = open_store(NULL);
	ck_assert_int_eq(lc_store_chats_list(s, 0, 0, &c), LC_ERR_STORE_CORRUPT);
	ck_assert_int_eq(put(s, 3, "c", 30, "x", 0), LC_ERR_STORE_CORRUPT);
	lc_store_close(s);
}
END_TEST

START_TEST(store_corrupt_sealed)
{
	uint8_t k[LC_STORE_KEY_LEN], key[16];
	lc_store *s;
	lc_store_page *p = NULL;
	uint8_t id[LC_STORE_ID_LEN], junk[64];

	memset(k, 5, sizeof k);
	s = open_store(k);
	put(s, 1, "c", 10, "sealed text", 0);
	lc_store_close(s);
	memset(junk, 0x81, sizeof junk); /* sealed, but does not open */
	memset(key, 0, sizeof key);
	key[3] = 1;
	key[11] = 10;
	key[15] = 1;
	raw_put("msg", key, 16, junk, sizeof junk);
	s = open_store(k);
	make_id(id, 1);
	ck_assert_int_eq(lc_store_message_get(s, id, &p), LC_ERR_STORE_CORRUPT);
	ck_assert_uint_eq(search_count(s, "sealed", NULL), 0);
	lc_store_close(s);
}
END_TEST

/* ------------------------------------------------------------ map size */

START_TEST(store_full_and_growth)
{
	lc_store *s = NULL;
	lc_store_options o;
	static char text[4000];
	lc_store_message b[100];
	int rv = 0;
	unsigned n = 0;

	memset(text, 'q', sizeof text - 1);
	lc_store_options_init(&o);
	o.sync = LC_STORE_SYNC_NONE;
	o.max_size = 16 << 20; /* grows from 4 MiB, then refuses */
	ck_assert_int_eq(lc_store_open(&s, tmpdir, NULL, &o), 0);
	while (rv >= 0 && n < 100000) {
		for (unsigned i = 0; i < 100; i++, n++)
			b[i] = msg(n, "c", n, text);
		rv = lc_store_messages_put(s, b, 100, 0, NULL);
	}
	ck_assert_int_eq(rv, LC_ERR_STORE_FULL);
	ck_assert_uint_gt(n, 2000); /* more than the initial 4 MiB held */
	/* Still readable, and deletes are possible. */
	{
		lc_store_page *p = NULL;

		ck_assert_int_eq(lc_store_messages_page(s, "c", 0, 0, &p), 0);
		ck_assert_uint_eq(lc_store_page_count(p), 50);
		lc_store_page_free(p);
	}
	lc_store_close(s);
}
END_TEST

/* ------------------------------------------------------------ allocation */

static int alloc_run(lc_test_alloc *ta, const uint8_t *key)
{
	lc_store *s = NULL;
	lc_store_options o;
	lc_store_page *p = NULL, *p2 = NULL;
	lc_store_chats *c = NULL;
	lc_store_hits *h = NULL;
	lc_store_message m = msg(1, "c", 1, "allocation walk pizza");
	uint8_t out[16];
	size_t n;
	int rv;

	lc_store_options_init(&o);
	o.sync = LC_STORE_SYNC_NONE;
	o.mem = &ta->hooks;
	if ((rv = lc_store_open(&s, tmpdir, key, &o)) != 0)
		return rv;
	rv = lc_store_message_put(s, &m, LC_STORE_PUT_OUTBOX);
	if (rv == 0 || rv == LC_ERR_EXISTS)
		rv = lc_store_messages_page(s, "c", 0, 0, &p);
	if (rv == 0)
		rv = lc_store_chats_list(s, 0, 0, &c);
	if (rv == 0)
		rv = lc_store_search(s, "piz", NULL, NULL, 0, &h);
	if (rv == 0)
		rv = lc_store_outbox_list(s, 0, &p2);
	if (rv == 0 && lc_store_hits_count(h) != 1)
		rv = LC_ERR_INTERNAL;
	if (rv == 0)
		rv = lc_store_blob_put(s, LC_STORE_BLOB_LOCAL,
				       (const uint8_t *)"k", 1,
				       (const uint8_t *)"v", 1);
	if (rv == 0)
		rv = lc_store_blob_get(s, LC_STORE_BLOB_LOCAL,
				       (const uint8_t *)"k", 1, out,
				       sizeof out, &n);
	if (rv == 0)
		rv = lc_store_message_delete(s, m.id);
	lc_store_hits_free(h);
	lc_store_chats_free(c);
	lc_store_page_free(p);
	lc_store_page_free(p2);
	lc_store_close(s);
	return rv;
}

static void alloc_walk(const uint8_t *key)
{
	long fail_at;
	int rv;

	for (fail_at = 1; fail_at < 500; fail_at++) {
		lc_test_alloc ta;

		rm_rf(tmpdir);
		fresh_dir();
		lc_test_alloc_init(&ta, fail_at);
		rv = alloc_run(&ta, key);
		ck_assert_int_eq(ta.live, 0);
		if (rv == 0)
			break;
		ck_assert_msg(rv == LC_ERR_NOMEM, "fail_at %ld gave %d (%s)",
			      fail_at, rv, lc_strerror(rv));
	}
	ck_assert_int_eq(rv, 0);
	ck_assert_int_gt(fail_at, 5);
}

START_TEST(store_alloc_failures)
{
	alloc_walk(NULL);
}
END_TEST

START_TEST(store_alloc_failures_sealed)
{
	uint8_t key[LC_STORE_KEY_LEN];

	memset(key, 4, sizeof key);
	alloc_walk(key);
}
END_TEST

/* Every allocation failure while a version-1 store is migrated on open:
 * LC_ERR_NOMEM, nothing leaked, the store left at version 1. */
static void alloc_walk_migrate(const uint8_t *key)
{
	long fail_at;
	int rv, stale;

	for (fail_at = 1; fail_at < 500; fail_at++) {
		lc_test_alloc ta;
		lc_store_options o;
		lc_store *s;

		rm_rf(tmpdir);
		fresh_dir();
		s = open_store(key);
		ck_assert_int_eq(put(s, 1, "a", 10, "pizzeria tonight", 0), 0);
		lc_store_close(s);
		make_old(1);
		lc_test_alloc_init(&ta, fail_at);
		lc_store_options_init(&o);
		o.sync = LC_STORE_SYNC_NONE;
		o.mem = &ta.hooks;
		s = NULL;
		rv = lc_store_open(&s, tmpdir, key, &o);
		lc_store_close(s);
		ck_assert_int_eq(ta.live, 0);
		if (rv == 0) {
			ck_assert_uint_eq(raw_version(&stale),
					  LC_STORE_SCHEMA_VERSION);
			s = open_store(key);
			ck_assert_uint_eq(search_count(s, "pizz", NULL), 1);
			lc_store_close(s);
			break;
		}
		ck_assert_msg(rv == LC_ERR_NOMEM, "fail_at %ld gave %d (%s)",
			      fail_at, rv, lc_strerror(rv));
		ck_assert_uint_eq(raw_version(&stale), 1);
	}
	ck_assert_int_eq(rv, 0);
	ck_assert_int_gt(fail_at, 2);
}

START_TEST(store_alloc_failures_migrate)
{
	uint8_t key[LC_STORE_KEY_LEN];

	memset(key, 3, sizeof key);
	alloc_walk_migrate(NULL);
	alloc_walk_migrate(key);
}
END_TEST

/* ------------------------------------------------------------ crash */

/* The child's work is a function of the seed, so the parent can replay
 * it: op i either stores a batch of messages with outbox entries or acks
 * the oldest unacknowledged one. The child reports each committed op by
 * writing one byte to the pipe. */
struct model {
	unsigned next_id;
	unsigned queue[4096];
	size_t qhead, qtail;
};

/* Apply op i to the model (and to the store when s is not NULL). */
static int crash_op(lc_test_rng *r, struct model *m, lc_store *s)
{
	if (lc_test_rng_below(r, 3) == 0 && m->qhead < m->qtail) {
		uint8_t id[LC_STORE_ID_LEN];

		make_id(id, m->queue[m->qhead++]);
		return s ? lc_store_outbox_ack(s, id) : 0;
	} else {
		lc_store_message b[8];
		unsigned n = 1 + (unsigned)lc_test_rng_below(r, 8);
		char chat[8];

		snprintf(chat, sizeof chat, "c%u",
			 (unsigned)lc_test_rng_below(r, 5));
		for (unsigned i = 0; i < n; i++) {
			b[i] = msg(m->next_id, chat, m->next_id,
				   "crash test message text");
			b[i].flags = LC_STORE_MSG_OUTGOING;
			m->queue[m->qtail++] = m->next_id++;
		}
		return s ? lc_store_messages_put(s, b, n, LC_STORE_PUT_OUTBOX,
						 NULL)
			 : 0;
	}
}

static void crash_child(int fd, uint64_t seed, lc_store_sync_mode sync)
{
	lc_store *s = NULL;
	lc_store_options o;
	lc_test_rng r;
	struct model m = { 0 };

	lc_store_options_init(&o);
	o.sync = sync;
	if (lc_store_open(&s, tmpdir, NULL, &o) != 0)
		_exit(3);
	lc_test_rng_seed(&r, seed);
	/* Continue from the model state of earlier rounds: replay. */
	for (;;) {
		if (m.qtail > 4000)
			pause();
		if (crash_op(&r, &m, s) < 0)
			_exit(4);
		if (write(fd, "x", 1) != 1)
			_exit(5);
	}
}

static void check_model(const struct model *m)
{
	lc_store *s = NULL;
	lc_store_page *p = NULL;
	size_t n = m->qtail - m->qhead;

	ck_assert_int_eq(lc_store_open(&s, tmpdir, NULL, NULL), 0);
	ck_assert_int_eq(lc_store_outbox_list(s, LC_STORE_PAGE_MAX, &p), 0);
	ck_assert_uint_eq(lc_store_page_count(p), n < 1000 ? n : 1000);
	for (size_t i = 0; i < lc_store_page_count(p); i++)
		ck_assert_uint_eq(id_num(lc_store_page_get(p, i)->id),
				  m->queue[m->qhead + i]);
	lc_store_page_free(p);
	for (unsigned id = 0; id < m->next_id; id++) {
		uint8_t b[LC_STORE_ID_LEN];

		make_id(b, id);
		ck_assert_int_eq(lc_store_message_get(s, b, &p), 0);
		ck_assert_str_eq(lc_store_page_get(p, 0)->text,
				 "crash test message text");
		lc_store_page_free(p);
	}
	lc_store_close(s);
}

/* Is the store in the state of `done` ops, or of done + 1 (the op whose
 * commit was not yet reported)? */
static void crash_verify(uint64_t seed, size_t done)
{
	lc_test_rng r;
	struct model m = { 0 }, next;
	lc_store *s = NULL;
	lc_store_page *p = NULL;
	size_t count;

	lc_test_rng_seed(&r, seed);
	for (size_t i = 0; i < done; i++)
		crash_op(&r, &m, NULL);
	next = m;
	crash_op(&r, &next, NULL);
	ck_assert_int_eq(lc_store_open(&s, tmpdir, NULL, NULL), 0);
	ck_assert_int_eq(lc_store_outbox_list(s, LC_STORE_PAGE_MAX, &p), 0);
	count = lc_store_page_count(p);
	lc_store_page_free(p);
	{
		uint8_t b[LC_STORE_ID_LEN];
		int rv;

		make_id(b, m.next_id);
		rv = lc_store_message_get(s, b, &p);
		lc_store_page_free(p);
		lc_store_close(s);
		/* The unreported op committed when it left a trace: its first
		 * message exists (a put), or the outbox shrank (an ack). */
		if ((next.next_id > m.next_id && rv == 0) ||
		    (next.qhead > m.qhead &&
		     count == next.qtail - next.qhead))
			m = next;
	}
	check_model(&m);
}

START_TEST(store_crash_sigkill)
{
	const int rounds = 60;
	lc_test_rng r;

	lc_test_rng_seed(&r, 20261129);
	for (int round = 0; round < rounds; round++) {
		int fds[2], status;
		pid_t pid;
		uint64_t seed = lc_test_rng_next(&r);
		size_t want = 1 + lc_test_rng_below(&r, 150), done = 0;
		char buf[64];
		struct timespec ts = { 0, (long)lc_test_rng_below(&r, 3000) *
					   1000 };

		rm_rf(tmpdir);
		fresh_dir();
		ck_assert_int_eq(pipe(fds), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(fds[0]);
			crash_child(fds[1], seed, round % 2 ? LC_STORE_SYNC_NONE
							    : LC_STORE_SYNC_META);
		}
		close(fds[1]);
		while (done < want) {
			ssize_t k = read(fds[0], buf, sizeof buf);

			if (k < 0 && errno == EINTR)
				continue;
			ck_assert_int_gt(k, 0);
			done += (size_t)k;
		}
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFSIGNALED(status));
		for (;;) {
			ssize_t k = read(fds[0], buf, sizeof buf);

			if (k <= 0)
				break;
			done += (size_t)k;
		}
		close(fds[0]);
		crash_verify(seed, done);
	}
}
END_TEST

/* ------------------------------------------------------------ suite */

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *t = tcase_create("store");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, store_roundtrip_plain);
	tcase_add_test(t, store_roundtrip_sealed);
	tcase_add_test(t, store_invalid_args);
	tcase_add_test(t, store_dedupe_batch);
	tcase_add_test(t, store_paging_offset);
	tcase_add_test(t, store_paging_cursor_stable);
	tcase_add_test(t, store_chat_list);
	tcase_add_test(t, store_delete_chat);
	tcase_add_test(t, store_retention);
	tcase_add_test(t, store_outbox_replay);
	tcase_add_test(t, store_receipts);
	tcase_add_test(t, store_blobs_plain);
	tcase_add_test(t, store_blobs_sealed);
	tcase_add_test(t, store_version_refused);
	tcase_add_test(t, store_migrate_v1_plain);
	tcase_add_test(t, store_migrate_v1_sealed);
	tcase_add_test(t, store_migrate_v1_corrupt);
	tcase_add_test(t, store_chat_list_last_plain);
	tcase_add_test(t, store_chat_list_last_sealed);
	tcase_add_test(t, store_index_model_plain);
	tcase_add_test(t, store_index_model_sealed);
	tcase_add_test(t, store_migrate_v2_plain);
	tcase_add_test(t, store_migrate_grows_map);
	tcase_add_test(t, store_migrate_v2_sealed);
	tcase_add_test(t, store_wrong_key);
	tcase_add_test(t, store_sealed_no_plaintext);
	tcase_add_test(t, store_search_folding);
	tcase_add_test(t, store_search_prefix_and_filters);
	tcase_add_test(t, store_search_small_chat);
	tcase_add_test(t, store_search_snippet_long);
	tcase_add_test(t, store_corrupt_records);
	tcase_add_test(t, store_corrupt_sealed);
	tcase_add_test(t, store_full_and_growth);
	tcase_add_test(t, store_alloc_failures);
	tcase_add_test(t, store_alloc_failures_sealed);
	tcase_add_test(t, store_alloc_failures_migrate);
	tcase_add_test(t, store_crash_sigkill);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return lc_test_run(store_suite());
}
