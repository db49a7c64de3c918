/* The libchat side of the store benchmark: the public lc_store API, used
 * as an application would use it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libchat/store.h>

#include "peer.h"

struct peer {
	lc_store *s;
	lc_store_message *msgs; /* the batch being stored */
	size_t cap;
};

static int fail(const char *what, int rv)
{
	fprintf(stderr, "libchat: %s: %s\n", what, lc_strerror(rv));
	return -1;
}

static const char *libchat_durability(enum peer_durability d)
{
	return d == PEER_DURABLE_FULL ?
		"LC_STORE_SYNC_FULL (LMDB syncs at every commit)" :
		"LC_STORE_SYNC_META (MDB_NOMETASYNC)";
}

static void libchat_close(peer *p)
{
	if (p == NULL)
		return;
	lc_store_close(p->s);
	free(p->msgs);
	free(p);
}

static int libchat_open(peer **out, const char *dir, enum peer_durability d)
{
	lc_store_options o;
	peer *p = calloc(1, sizeof *p);
	int rv;

	*out = NULL;
	if (p == NULL)
		return -1;
	lc_store_options_init(&o);
	o.sync = d == PEER_DURABLE_FULL ? LC_STORE_SYNC_FULL :
					  LC_STORE_SYNC_META;
	rv = lc_store_open(&p->s, dir, NULL, &o);
	if (rv != 0) {
		libchat_close(p);
		return fail("open", rv);
	}
	*out = p;
	return 0;
}

static int libchat_insert(peer *p, const gen_msg *msgs, size_t n,
			  size_t *stored)
{
	int rv;

	*stored = 0;
	if (n > p->cap) {
		lc_store_message *m = realloc(p->msgs, n * sizeof *m);

		if (m == NULL)
			return -1;
		p->msgs = m;
		p->cap = n;
	}
	for (size_t i = 0; i < n; i++) {
		lc_store_message *m = &p->msgs[i];

		memset(m, 0, sizeof *m);
		memcpy(m->id, msgs[i].id, LC_STORE_ID_LEN);
		m->chat_id = msgs[i].chat_id;
		m->sender_id = msgs[i].sender_id;
		m->sender_device = 1;
		m->time_ms = msgs[i].time;
		m->flags = msgs[i].sender == 0 ? LC_STORE_MSG_OUTGOING : 0;
		m->kind = 1;
		m->text = msgs[i].body;
		m->text_len = msgs[i].body_len;
	}
	rv = lc_store_messages_put(p->s, p->msgs, n, 0, NULL);
	if (rv < 0)
		return fail("messages_put", rv);
	*stored = (size_t)rv;
	return 0;
}

/* Copy a message into a result row; -1 for a record flagged corrupt. */
static int copy_row(gen_row *r, const lc_store_message *m)
{
	size_t len = m->text_len < GEN_BODY_MAX - 1 ? m->text_len :
						      GEN_BODY_MAX - 1;

	if (m->flags & LC_STORE_MSG_CORRUPT)
		return -1;
	r->time = m->time_ms;
	memcpy(r->id, m->id, GEN_ID_LEN);
	gen_copy_name(r->chat_id, m->chat_id);
	memcpy(r->body, m->text ? m->text : "", len);
	r->body[len] = '\0';
	r->body_len = len;
	return 0;
}

static int libchat_page(peer *p, const char *chat_id, const gen_row *before,
			gen_row *out, size_t *n)
{
	lc_store_page *pg = NULL;
	int rv = lc_store_messages_before(p->s, chat_id,
					  before ? before->id : NULL,
					  GEN_PAGE, &pg);

	*n = 0;
	if (rv != 0)
		return fail("messages_before", rv);
	for (size_t i = 0; i < lc_store_page_count(pg); i++)
		if (copy_row(&out[(*n)++], lc_store_page_get(pg, i)) != 0)
			rv = -1;
	lc_store_page_free(pg);
	return rv == 0 ? 0 : fail("messages_before", LC_ERR_STORE_CORRUPT);
}

static int libchat_chats(peer *p, gen_row *out, size_t *n)
{
	lc_store_chats *list = NULL;
	int rv = lc_store_chats_list(p->s, 0, GEN_PAGE, &list);

	*n = 0;
	if (rv != 0)
		return fail("chats_list", rv);
	for (size_t i = 0; i < lc_store_chats_count(list); i++) {
		const lc_store_chat *c = lc_store_chats_get(list, i);
		gen_row *r = &out[(*n)++];

		if (!c->has_last || copy_row(r, &c->last) != 0) {
			rv = -1;
			break;
		}
		gen_copy_name(r->chat_id, c->chat_id);
		r->unread = c->unread;
	}
	lc_store_chats_free(list);
	return rv == 0 ? 0 : fail("chats_list", LC_ERR_STORE_CORRUPT);
}

static int libchat_search(peer *p, const char *query, int prefix,
			  gen_row *out, size_t *n)
{
	lc_store_hits *hits = NULL;
	/* Every query word matches as a prefix; the workload's word has no
	 * longer relative, so the word query has exactly the word's hits. */
	int rv = lc_store_search(p->s, query, NULL, NULL, GEN_PAGE, &hits);

	(void)prefix;
	*n = 0;
	if (rv != 0)
		return fail("search", rv);
	for (size_t i = 0; i < lc_store_hits_count(hits); i++) {
		const lc_store_hit *h = lc_store_hits_get(hits, i);

		if (h->snippet_len == 0 ||
		    copy_row(&out[(*n)++], &h->message) != 0) {
			rv = -1;
			break;
		}
	}
	lc_store_hits_free(hits);
	return rv == 0 ? 0 : fail("search", LC_ERR_STORE_CORRUPT);
}

const peer_ops peer_libchat = {
	.name = "libchat",
	.open = libchat_open,
	.insert = libchat_insert,
	.page = libchat_page,
	.chats = libchat_chats,
	.search = libchat_search,
	.close = libchat_close,
	.durability_name = libchat_durability,
};
