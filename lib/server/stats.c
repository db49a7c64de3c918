/* Counters for monitoring. Changes made by a request wait in s->req until
 * its savepoint is released, then in s->turn until the commit, so the
 * published numbers describe only kept work: a failed request or commit
 * leaves them as they were. */
#include <stddef.h>
#include <string.h>

#include "server_int.h"

int lc_stats_open(lc_server *s)
{
	uint8_t after[LC_QKEY_MAX + 8];
	size_t alen = 0;
	lc_slice k, v;
	uint64_t n = 0;
	int rc;

	while ((rc = s->be.ops->next(s->be.h, LC_T_QUEUE, lc_sl(NULL, 0),
				     lc_sl(after, alen), &k, &v)) == 0) {
		if (k.n > sizeof after) {
			rc = LC_ERR_STORE_CORRUPT;
			break;
		}
		memcpy(after, k.p, k.n);
		alen = k.n;
		n++;
	}
	s->be.ops->abort(s->be.h); /* read only: hold no write lock */
	if (rc != LC_ERR_NOT_FOUND)
		return rc;
	s->stats.queue_depth = n;
	return 0;
}

static void add(struct lc_stat_delta *to, const struct lc_stat_delta *d)
{
	to->direct += d->direct;
	to->group += d->group;
	to->live += d->live;
	to->offline += d->offline;
	to->acked += d->acked;
	to->depth += d->depth;
}

void lc_stats_request_end(lc_server *s, int kept)
{
	if (kept)
		add(&s->turn, &s->req);
	memset(&s->req, 0, sizeof s->req);
}

static const uint64_t bounds[LC_SERVER_LATENCY_BUCKETS - 1] = {
	1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
};

uint64_t lc_server_latency_bound(unsigned i)
{
	return i < LC_SERVER_LATENCY_BUCKETS - 1 ? bounds[i] : UINT64_MAX;
}

static void observe(lc_server_latency *h, uint64_t ms)
{
	unsigned i = 0;

	while (i < LC_SERVER_LATENCY_BUCKETS - 1 && ms > bounds[i])
		i++;
	h->buckets[i]++;
	h->count++;
	h->sum_ms += ms;
}

void lc_stats_latency(lc_server *s, int which, uint64_t at)
{
	size_t *n = &s->n_lat[which], *cap = &s->cap_lat[which];

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		uint64_t *p = lc_realloc(&s->mem, s->lat_at[which],
					 ncap * sizeof *p);
		if (p == NULL)
			return; /* one observation fewer, nothing else */
		s->lat_at[which] = p;
		*cap = ncap;
	}
	s->lat_at[which][(*n)++] = at;
}

/* Observe the turn's latencies at the flush's time. */
static void latency_turn_end(lc_server *s, int committed, uint64_t now)
{
	lc_server_latency *h[2] = { &s->stats.sent_latency,
				    &s->stats.delivery_latency };

	for (int w = 0; w < 2; w++) {
		for (size_t i = 0; committed && i < s->n_lat[w]; i++)
			observe(h[w], now > s->lat_at[w][i]
					      ? now - s->lat_at[w][i] : 0);
		s->n_lat[w] = 0;
	}
}

void lc_stats_turn_end(lc_server *s, int committed, uint64_t now)
{
	lc_server_stats *st = &s->stats;
	struct lc_stat_delta *d = &s->turn;

	latency_turn_end(s, committed, now);
	if (committed) {
		add(d, &s->req); /* writes made outside a request */
		st->messages_direct += d->direct;
		st->messages_group += d->group;
		st->copies_live += d->live;
		st->copies_offline += d->offline;
		st->copies_acked += d->acked;
		if (d->depth < 0 && (uint64_t)-d->depth > st->queue_depth)
			st->queue_depth = 0; /* another process shares the store */
		else
			st->queue_depth += (uint64_t)d->depth;
	}
	memset(&s->req, 0, sizeof s->req);
	memset(d, 0, sizeof *d);
}

static int error_class(int code)
{
	switch (code) {
	case LC_ERR_AUTH_REQUIRED:
	case LC_ERR_AUTH_FAILED:
	case LC_ERR_TOKEN_EXPIRED:
		return LC_SERVER_ERRCLASS_AUTH;
	case LC_ERR_FORBIDDEN:
	case LC_ERR_NOT_MEMBER:
	case LC_ERR_NOT_ADMIN:
		return LC_SERVER_ERRCLASS_FORBIDDEN;
	case LC_ERR_RATE_LIMITED:
	case LC_ERR_THROTTLED:
		return LC_SERVER_ERRCLASS_LIMITED;
	case LC_ERR_NO_SUCH_USER:
	case LC_ERR_NO_SUCH_GROUP:
	case LC_ERR_NO_SUCH_DEVICE:
		return LC_SERVER_ERRCLASS_NOT_FOUND;
	case LC_ERR_INTERNAL:
	case LC_ERR_UNAVAILABLE:
	case LC_ERR_NOMEM:
		return LC_SERVER_ERRCLASS_SERVER;
	default:
		return LC_SERVER_ERRCLASS_INVALID;
	}
}

void lc_stats_error(lc_server *s, int wire_code)
{
	s->stats.errors_total++;
	s->stats.errors[error_class(wire_code)]++;
}

int lc_server_stats_get(const lc_server *srv, lc_server_stats *out)
{
	uint32_t v;

	if (srv == NULL || out == NULL)
		return LC_ERR_INVALID_ARG;
	v = out->version;
	if (v != 1 && v != LC_SERVER_STATS_VERSION)
		return LC_ERR_INVALID_ARG;
	/* a version 1 structure ends before the latency histograms */
	memcpy(out, &srv->stats, v == 1 ? offsetof(lc_server_stats,
						   sent_latency)
				       : sizeof *out);
	out->version = v;
	return 0;
}

/* The store's entry count, less this server's writes staged and not yet
 * committed (they are in the open transaction the count reads). */
int lc_server_queue_depth(const lc_server *srv, uint64_t *depth)
{
	int64_t pending;
	uint64_t n;
	int rc;

	if (srv == NULL || depth == NULL)
		return LC_ERR_INVALID_ARG;
	rc = srv->be.ops->count(srv->be.h, LC_T_QUEUE, &n);
	if (rc != 0)
		return rc;
	pending = srv->turn.depth + srv->req.depth;
	if (pending < 0 && (uint64_t)-pending > UINT64_MAX - n)
		return LC_ERR_INTERNAL;
	if (pending > 0 && (uint64_t)pending > n)
		return LC_ERR_INTERNAL;
	*depth = pending < 0 ? n + (uint64_t)-pending : n - (uint64_t)pending;
	return 0;
}
