/* The store benchmark's workload generator and its expected answers.
 *
 * Message i is a pure function of (seed, i): its chat (skewed: a few busy
 * chats, a long tail), sender, id, time and text. Times are unique:
 * messages arrive on a 1-second grid (i * 1000 ms) except about 3% that
 * arrive late, stamped up to ~1000 messages in the past at an odd
 * millisecond (1 + i mod 997) that no other message can have. Texts draw
 * words from a fixed vocabulary (with accented and non-Latin words); the
 * query word and the query prefix appear only where the generator puts
 * them, so it knows every answer. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "gen.h"

#define T0 1700000000000ull
#define VOCAB 4096

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t h(uint64_t seed, uint64_t tag, uint64_t i)
{
	return mix(mix(seed ^ (tag << 56)) ^ i);
}

static double unit(uint64_t r)
{
	return (double)(r >> 11) * (1.0 / 9007199254740992.0);
}

/* ------------------------------------------------------------ words */

static const char *const common[] = {
	"the", "you", "and", "to", "a", "is", "it", "that", "of", "in", "me",
	"we", "for", "on", "are", "have", "be", "see", "ok", "yes", "no",
	"what", "when", "where", "tomorrow", "today", "tonight", "later",
	"love", "thanks", "please", "sorry", "meet", "call", "home", "work",
	"time", "good", "great", "now", "soon", "dinner", "lunch", "train",
	"movie", "weekend", "photo", "haha", "lol", "really", "maybe", "sure",
	"coffee", "tea", "beer", "park", "station", "office", "meeting",
	"naïve", "déjà", "vu", "crème", "brûlée", "über", "señor", "façade",
	"résumé", "Zürich", "São", "Paulo", "Ångström", "smörgåsbord",
	"Straße", "œuvre", "jalapeño", "piñata", "Łódź", "Kraków",
	"привет", "спасибо", "завтра", "καλημέρα", "ευχαριστώ", "日本語",
	"你好", "한국어", "مرحبا", "שלום", "नमस्ते",
};

static const char *const syllables[] = {
	"ka", "lo", "mi", "ne", "ru", "to", "sa", "ve", "de", "po", "ga", "fu",
	"re", "bo", "zo", "an", "el", "or", "un", "is", "ta", "mo", "li", "nu",
};

/* Variants of the query word: one folded word, several spellings. */
static const char *const word_forms[] = {
	"café", "Café", "CAFÉ", "cafe", "Cafe",
};
/* Words with the query prefix. */
static const char *const prefix_forms[] = {
	"pizza", "Pizza", "pizzas", "pizzeria", "PIZZA", "pizzicato",
};

#define NCOMMON (sizeof common / sizeof common[0])
#define NSYL (sizeof syllables / sizeof syllables[0])

static char vocab[VOCAB][32];
static int vocab_ready;

static void vocab_init(void)
{
	if (vocab_ready)
		return;
	for (size_t w = 0; w < VOCAB; w++) {
		if (w < NCOMMON) {
			snprintf(vocab[w], sizeof vocab[w], "%s", common[w]);
			continue;
		}
		/* Syllable words: none starts with "cafe" or "piz". */
		uint64_t r = mix(w);
		size_t n = 2 + r % 3, o = 0;

		r >>= 2;
		for (size_t s = 0; s < n; s++, r /= NSYL)
			o += (size_t)snprintf(vocab[w] + o, sizeof vocab[w] - o,
					      "%s", syllables[r % NSYL]);
	}
	vocab_ready = 1;
}

static size_t put_word(char *body, size_t o, const char *w, uint64_t r)
{
	static const char *const punct[] = { "", "", "", "", ",", "!", "?", "." };
	size_t len = strlen(w);

	if (o > 0)
		body[o++] = ' ';
	memcpy(body + o, w, len);
	o += len;
	const char *p = punct[r % 8];
	size_t pl = strlen(p);

	memcpy(body + o, p, pl);
	return o + pl;
}

/* ------------------------------------------------------------ messages */

void gen_message(const gen_params *p, uint64_t i, gen_msg *m)
{
	uint64_t r = h(p->seed, 1, i);
	double u = unit(r);
	size_t nwords, o = 0;
	uint64_t wr;
	int word_at = -1, prefix_at = -1;

	vocab_init();
	memset(m, 0, offsetof(gen_msg, body));
	m->index = i;
	m->chat = (uint32_t)((double)p->chats * u * u);
	if (m->chat >= p->chats)
		m->chat = p->chats - 1;
	snprintf(m->chat_id, sizeof m->chat_id, "chat-%04u", m->chat);
	m->sender = (uint32_t)(h(p->seed, 6, i) % 4);
	if (m->sender == 0)
		snprintf(m->sender_id, sizeof m->sender_id, "me");
	else
		snprintf(m->sender_id, sizeof m->sender_id, "user-%04u-%u",
			 m->chat, m->sender);

	r = h(p->seed, 2, i);
	if (i >= 1000 && r % 100 < 3) {
		uint64_t lag = 1 + (r >> 8) % 996;

		m->time = T0 + 1000 * (i - lag) + 1 + i % 997;
	} else {
		m->time = T0 + 1000 * i;
	}

	r = h(p->seed, 4, i);
	memcpy(m->id, &r, 8);
	r = h(p->seed, 5, i);
	memcpy(m->id + 8, &r, 8);

	wr = h(p->seed, 7, i);
	nwords = 3 + wr % 10;
	wr = mix(wr);
	if (wr % 1000 < 6)
		word_at = (int)((wr >> 10) % nwords);
	if ((wr >> 20) % 1000 < 10)
		prefix_at = (int)((wr >> 30) % nwords);
	for (size_t k = 0; k < nwords; k++) {
		wr = mix(wr + k);
		double v = unit(wr);
		const char *w = vocab[(size_t)(VOCAB * v * v * v)];

		if ((int)k == word_at) {
			w = word_forms[(wr >> 3) % 5];
			m->match |= GEN_MATCH_WORD;
		} else if ((int)k == prefix_at) {
			w = prefix_forms[(wr >> 3) % 6];
			m->match |= GEN_MATCH_PREFIX;
		}
		o = put_word(m->body, o, w, wr >> 40);
	}
	m->body[o] = '\0';
	m->body_len = o;
}

/* Stream position pos, with `next` unique messages emitted so far: 1 and
 * the re-delivered message in *j, or 0 for the next unique one. */
static int stream_dup(const gen_params *p, uint64_t pos, uint64_t next,
		      uint64_t *j)
{
	uint64_t r = h(p->seed, 8, pos);
	uint64_t window = next < 1000 ? next : 1000;

	if (next == 0 || r % 1000 >= p->dup_per_mille)
		return 0;
	*j = next - 1 - (r >> 16) % window;
	return 1;
}

void gen_stream_init(gen_stream *s, const gen_params *p)
{
	memset(s, 0, sizeof *s);
	s->p = p;
}

int gen_stream_next(gen_stream *s, gen_msg *m)
{
	uint64_t j;

	if (s->next >= s->p->messages)
		return 0;
	if (stream_dup(s->p, s->pos, s->next, &j)) {
		gen_message(s->p, j, m);
		m->dup = 1;
		s->dups++;
	} else {
		gen_message(s->p, s->next++, m);
	}
	s->pos++;
	return 1;
}

/* ------------------------------------------------------------ answers */

/* Keep the k newest refs, newest first. */
static void top_insert(gen_ref *top, size_t *n, size_t k, gen_ref r)
{
	size_t at = *n;

	if (*n == k && r.time <= top[k - 1].time)
		return;
	while (at > 0 && top[at - 1].time < r.time)
		at--;
	if (*n < k)
		(*n)++;
	memmove(top + at + 1, top + at, (*n - 1 - at) * sizeof *top);
	top[at] = r;
}

static int ref_newest_first(const void *a, const void *b)
{
	const gen_ref *x = a, *y = b;

	return x->time < y->time ? 1 : x->time > y->time ? -1 : 0;
}

int gen_expect_build(const gen_params *p, gen_expect *e)
{
	uint64_t *count = calloc(p->chats, sizeof *count);
	uint32_t *incoming = calloc(p->chats, sizeof *incoming);
	gen_ref *last = calloc(p->chats, sizeof *last);
	int32_t *open_slot = malloc(p->chats * sizeof *open_slot);
	gen_stream s;
	gen_msg m;
	int rv = -1;

	memset(e, 0, sizeof *e);
	if (!count || !incoming || !last || !open_slot)
		goto out;

	gen_stream_init(&s, p);
	while (gen_stream_next(&s, &m))
		;
	e->stream_len = s.pos;
	e->dups = s.dups;

	for (uint32_t c = 0; c < p->chats; c++)
		open_slot[c] = -1;
	e->n_open = (p->chats + GEN_OPEN_STRIDE - 1) / GEN_OPEN_STRIDE;
	e->open_chat = calloc(e->n_open, sizeof *e->open_chat);
	e->open_page = calloc(e->n_open, sizeof *e->open_page);
	e->open_n = calloc(e->n_open, sizeof *e->open_n);
	if (!e->open_chat || !e->open_page || !e->open_n)
		goto out;
	for (uint32_t k = 0; k < e->n_open; k++) {
		e->open_chat[k] = k * GEN_OPEN_STRIDE;
		open_slot[k * GEN_OPEN_STRIDE] = (int32_t)k;
	}

	for (uint64_t i = 0; i < p->messages; i++) {
		gen_ref r;

		gen_message(p, i, &m);
		r.time = m.time;
		r.index = i;
		count[m.chat]++;
		if (m.sender != 0)
			incoming[m.chat]++;
		if (m.time >= last[m.chat].time)
			last[m.chat] = r;
		if (open_slot[m.chat] >= 0) {
			int32_t k = open_slot[m.chat];

			top_insert(e->open_page[k], &e->open_n[k], GEN_PAGE, r);
		}
		if (m.match & GEN_MATCH_WORD) {
			e->word_total++;
			top_insert(e->word, &e->word_n, GEN_PAGE, r);
		}
		if (m.match & GEN_MATCH_PREFIX) {
			e->prefix_total++;
			top_insert(e->prefix, &e->prefix_n, GEN_PAGE, r);
		}
	}

	for (uint32_t c = 1; c < p->chats; c++)
		if (count[c] > count[e->busiest])
			e->busiest = c;
	e->busy = malloc((count[e->busiest] + 1) * sizeof *e->busy);
	if (e->busy == NULL)
		goto out;
	for (uint64_t i = 0; i < p->messages; i++) {
		gen_message(p, i, &m);
		if (m.chat == e->busiest)
			e->busy[e->busy_n++] = (gen_ref){ m.time, i };
	}
	qsort(e->busy, e->busy_n, sizeof *e->busy, ref_newest_first);

	{
		gen_ref top[GEN_PAGE];
		size_t n = 0;

		for (uint32_t c = 0; c < p->chats; c++)
			if (count[c] > 0)
				top_insert(top, &n, GEN_PAGE,
					   (gen_ref){ last[c].time, c });
		e->n_list = n;
		for (size_t k = 0; k < n; k++) {
			uint32_t c = (uint32_t)top[k].index;

			e->list_chat[k] = c;
			e->list_last[k] = last[c];
			e->list_unread[k] = incoming[c];
		}
	}
	rv = 0;
out:
	free(count);
	free(incoming);
	free(last);
	free(open_slot);
	if (rv != 0)
		gen_expect_free(e);
	return rv;
}

void gen_expect_free(gen_expect *e)
{
	free(e->busy);
	free(e->open_chat);
	free(e->open_page);
	free(e->open_n);
	memset(e, 0, sizeof *e);
}

const char *gen_check_rows(const gen_params *p, const gen_row *rows,
			   size_t n, const gen_ref *want, size_t want_n)
{
	static char why[256];
	gen_msg m;

	if (n != want_n) {
		snprintf(why, sizeof why, "%zu rows, expected %zu", n, want_n);
		return why;
	}
	for (size_t k = 0; k < n; k++) {
		gen_message(p, want[k].index, &m);
		if (rows[k].time != m.time ||
		    memcmp(rows[k].id, m.id, GEN_ID_LEN) != 0) {
			snprintf(why, sizeof why,
				 "row %zu is (time %llu), expected message %llu "
				 "(time %llu)", k,
				 (unsigned long long)rows[k].time,
				 (unsigned long long)m.index,
				 (unsigned long long)m.time);
			return why;
		}
		if (strcmp(rows[k].chat_id, m.chat_id) != 0 ||
		    rows[k].body_len != m.body_len ||
		    memcmp(rows[k].body, m.body, m.body_len) != 0) {
			snprintf(why, sizeof why,
				 "row %zu (message %llu): chat or text differs",
				 k, (unsigned long long)m.index);
			return why;
		}
	}
	return NULL;
}
