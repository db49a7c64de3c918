/* The store benchmark's workload: a seeded message stream and the answers
 * every query must give, computed from the stream alone. */
#ifndef BENCH_STORE_GEN_H
#define BENCH_STORE_GEN_H

#include <stddef.h>
#include <stdint.h>

#define GEN_ID_LEN 16
#define GEN_NAME_MAX 24
#define GEN_BODY_MAX 320
/* Results per page, per chat list, per search. */
#define GEN_PAGE 50
/* Pages read when scrolling back. */
#define GEN_SCROLL_PAGES 20
/* The chats opened (newest page read): every OPEN_STRIDE-th chat. */
#define GEN_OPEN_STRIDE 10
/* The queries: a word written with and without accents and in several
 * cases, and a prefix of several words. No other word of the vocabulary
 * starts with either, so word and prefix matching give the same hits. */
#define GEN_QUERY_WORD "cafe"
#define GEN_QUERY_PREFIX "piz"

/* One message of the stream. Times are unique across messages (see
 * gen.c), so "newest first" has exactly one answer. */
typedef struct gen_msg {
	uint64_t index;              /* which unique message, 0 .. n - 1 */
	int dup;                     /* a re-delivery of an earlier message */
	uint32_t chat;               /* 0 .. chats - 1 */
	char chat_id[GEN_NAME_MAX];  /* "chat-0042" */
	uint32_t sender;             /* 0: this account (outgoing) */
	char sender_id[GEN_NAME_MAX];
	uint64_t time;               /* ms */
	uint8_t id[GEN_ID_LEN];
	unsigned match;              /* GEN_MATCH_* */
	size_t body_len;
	char body[GEN_BODY_MAX];
} gen_msg;

#define GEN_MATCH_WORD 0x1u
#define GEN_MATCH_PREFIX 0x2u

typedef struct gen_params {
	uint64_t seed;
	uint64_t messages; /* unique messages */
	uint32_t chats;
	unsigned dup_per_mille; /* re-deliveries per 1000 stream entries */
} gen_params;

/* Message number i (a pure function of the parameters and i). */
void gen_message(const gen_params *p, uint64_t i, gen_msg *m);

/* The stream: unique messages in order, with re-deliveries of recent ones
 * mixed in. */
typedef struct gen_stream {
	const gen_params *p;
	uint64_t next;   /* next unique message */
	uint64_t pos;    /* stream position */
	uint64_t dups;   /* re-deliveries emitted */
} gen_stream;

void gen_stream_init(gen_stream *s, const gen_params *p);
/* Fill m with the next entry; 0 at the end of the stream. */
int gen_stream_next(gen_stream *s, gen_msg *m);

/* A result row as both sides report it. */
typedef struct gen_row {
	uint64_t time;
	uint8_t id[GEN_ID_LEN];
	char chat_id[GEN_NAME_MAX];
	size_t body_len;
	char body[GEN_BODY_MAX];
	uint32_t unread; /* chat list only */
} gen_row;

/* A reference to a message in an expected answer. */
typedef struct gen_ref {
	uint64_t time;
	uint64_t index;
} gen_ref;

/* What every query must return. */
typedef struct gen_expect {
	uint64_t stream_len;     /* entries offered (unique + dups) */
	uint64_t dups;
	uint32_t busiest;        /* the chat scrolled back */
	/* Messages of the busiest chat, newest first. */
	gen_ref *busy;
	size_t busy_n;
	/* The newest GEN_PAGE messages of each opened chat, newest first. */
	uint32_t n_open;
	uint32_t *open_chat;
	gen_ref (*open_page)[GEN_PAGE];
	size_t *open_n;
	/* The newest GEN_PAGE chats: chat, newest message, unread count. */
	size_t n_list;
	uint32_t list_chat[GEN_PAGE];
	gen_ref list_last[GEN_PAGE];
	uint32_t list_unread[GEN_PAGE];
	/* Newest GEN_PAGE hits of each query, newest first, and the totals. */
	gen_ref word[GEN_PAGE], prefix[GEN_PAGE];
	size_t word_n, prefix_n;
	uint64_t word_total, prefix_total;
} gen_expect;

/* Compute the expected answers; returns 0, or -1 when out of memory. */
int gen_expect_build(const gen_params *p, gen_expect *e);
void gen_expect_free(gen_expect *e);

/* Copy a NUL-terminated name into a row field of GEN_NAME_MAX bytes
 * (truncating): the same cheap copy on both sides, so the harness costs
 * both the same and little. */
static inline void gen_copy_name(char dst[GEN_NAME_MAX], const char *src)
{
	size_t i = 0;

	for (; i < GEN_NAME_MAX - 1 && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

/* Compare a side's rows with the expected messages; returns NULL when they
 * match, else a static description of the first difference. */
const char *gen_check_rows(const gen_params *p, const gen_row *rows,
			   size_t n, const gen_ref *want, size_t want_n);

#endif
