/* Counters for monitoring. Changes made by a request wait in s->req until
 * its savepoint is released, then in s->turn until the commit, so the
 * published numbers describe only kept work: a failed request or commit
 * leaves them as they were. */
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

void lc_stats_turn_end(lc_server *s, int committed)
{
	lc_server_stats *st = &s->stats;
	struct lc_stat_delta *d = &s->turn;

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
	if (srv == NULL || out == NULL ||
	    out->version != LC_SERVER_STATS_VERSION)
		return LC_ERR_INVALID_ARG;
	*out = srv->stats;
	out->version = LC_SERVER_STATS_VERSION;
	return 0;
}
