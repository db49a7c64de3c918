/* Counters of chatd, rendered in the Prometheus text format: what chatd
 * itself sees (sockets, bytes, loop turns, closes by reason, pushes, HTTP
 * answers, sibling notices) and what the server core counts
 * (lc_server_stats_get). Each worker keeps its figures in its own slot of
 * a mapping shared by all workers (metrics_slot.c); whichever worker
 * answers /metrics sums every slot, so the series describe the whole
 * server. The queue depth is read from the store itself. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "chatd.h"
#include "metrics_slot.h"

#define NBUCKETS MS_BUCKETS
#define NREASONS MS_REASONS

static const double bucket_s[NBUCKETS - 1] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1.0,
};

static const lc_server *srv;

/* Add d to a field of this worker's slot, inside a write section. */
#define BUMP(field, d)                                                   \
	do {                                                             \
		ms_counters *c_ = ms_mine();                             \
		if (c_) {                                                \
			ms_begin();                                      \
			ms_set(&c_->field, ms_get(&c_->field) + (d));    \
			ms_end();                                        \
		}                                                        \
	} while (0)

#define SET(field, v)                                                    \
	do {                                                             \
		ms_counters *c_ = ms_mine();                             \
		if (c_) {                                                \
			ms_begin();                                      \
			ms_set(&c_->field, (v));                         \
			ms_end();                                        \
		}                                                        \
	} while (0)

static const char *const err_class[LC_SERVER_ERRCLASS_COUNT] = {
	[LC_SERVER_ERRCLASS_INVALID] = "invalid",
	[LC_SERVER_ERRCLASS_AUTH] = "auth",
	[LC_SERVER_ERRCLASS_FORBIDDEN] = "forbidden",
	[LC_SERVER_ERRCLASS_LIMITED] = "limited",
	[LC_SERVER_ERRCLASS_NOT_FOUND] = "not_found",
	[LC_SERVER_ERRCLASS_SERVER] = "server",
};

int chatd_metrics_create(unsigned workers)
{
	return ms_create(workers);
}

void chatd_metrics_attach(unsigned index)
{
	ms_attach(index);
}

void chatd_metrics_release(unsigned index)
{
	ms_release(index);
}

void chatd_metrics_server(const lc_server *s)
{
	if (s == NULL) { /* the core goes: its last figures stay */
		chatd_metrics_publish();
		srv = NULL;
		return;
	}
	srv = s;
	chatd_metrics_publish();
}

/* Copy the core's counters and the sibling notices' into the slot: one
 * lc_server_stats_get() and a few hundred bytes of stores. */
void chatd_metrics_publish(void)
{
	ms_counters *c = ms_mine();
	lc_server_stats st;
	uint64_t w[MS_CORE_WORDS], sib[3];

	memset(&st, 0, sizeof st);
	st.version = LC_SERVER_STATS_VERSION;
	if (c == NULL || srv == NULL || lc_server_stats_get(srv, &st) != 0)
		return;
	memcpy(w, &st, sizeof w);
	chatd_sib_counts(&sib[0], &sib[1], &sib[2]);
	ms_begin();
	for (size_t i = 0; i < MS_CORE_WORDS; i++)
		ms_set(&c->core[i], w[i]);
	for (size_t i = 0; i < 3; i++)
		ms_set(&c->sib[i], sib[i]);
	ms_end();
}

void chatd_metrics_conn(int delta)
{
	ms_counters *c = ms_mine();

	if (c == NULL)
		return;
	ms_begin();
	if (delta > 0) {
		ms_set(&c->conns_open, ms_get(&c->conns_open) + 1);
		ms_set(&c->conns_total, ms_get(&c->conns_total) + 1);
	} else if (ms_get(&c->conns_open)) {
		ms_set(&c->conns_open, ms_get(&c->conns_open) - 1);
	}
	ms_end();
	chatd_metrics_publish(); /* the core's connection gauges moved */
}

void chatd_metrics_closed(int reason)
{
	ms_counters *c = ms_mine();
	uint64_t code = (uint64_t)(int64_t)reason;

	if (c == NULL)
		return;
	for (int i = 0; i < NREASONS; i++) {
		if (ms_get(&c->closed_n[i]) == 0 ||
		    ms_get(&c->closed_code[i]) == code) {
			ms_begin();
			ms_set(&c->closed_code[i], code);
			ms_set(&c->closed_n[i], ms_get(&c->closed_n[i]) + 1);
			ms_end();
			return;
		}
	}
}

void chatd_metrics_paused(void)
{
	BUMP(paused, 1);
}

void chatd_metrics_bytes(uint64_t in, uint64_t out)
{
	ms_counters *c = ms_mine();

	if (c == NULL)
		return;
	ms_begin();
	ms_set(&c->bytes_in, ms_get(&c->bytes_in) + in);
	ms_set(&c->bytes_out, ms_get(&c->bytes_out) + out);
	ms_end();
}

void chatd_metrics_turn(uint64_t usec, int flush_rc)
{
	ms_counters *c = ms_mine();
	size_t b = 0;

	if (c == NULL)
		return;
	while (b < NBUCKETS - 1 && (double)usec / 1e6 > bucket_s[b])
		b++;
	ms_begin();
	ms_set(&c->turn_bucket[b], ms_get(&c->turn_bucket[b]) + 1);
	ms_set(&c->turns, ms_get(&c->turns) + 1);
	ms_set(&c->turn_usec_sum, ms_get(&c->turn_usec_sum) + usec);
	ms_set(&c->last_flush_rc, (uint64_t)(int64_t)flush_rc);
	if (flush_rc)
		ms_set(&c->flush_errors, ms_get(&c->flush_errors) + 1);
	ms_end();
}

void chatd_metrics_push(const char *what)
{
	if (strcmp(what, "queued") == 0)
		BUMP(push_queued, 1);
	else if (strcmp(what, "sent") == 0)
		BUMP(push_sent, 1);
	else if (strcmp(what, "failed") == 0)
		BUMP(push_failed, 1);
	else if (strcmp(what, "dropped") == 0)
		BUMP(push_dropped, 1);
	else if (strcmp(what, "retried") == 0)
		BUMP(push_retried, 1);
	else if (strcmp(what, "logged") == 0)
		BUMP(push_logged, 1);
}

void chatd_metrics_push_depth(size_t n)
{
	SET(push_depth, (uint64_t)n);
}

void chatd_metrics_http(int code)
{
	if (code >= 100 && code < 600)
		BUMP(http[code / 100], 1);
}

static const int ws_status[7] = { 101, 400, 403, 404, 405, 426, 0 };

void chatd_metrics_ws(int status)
{
	size_t i = 0;

	while (ws_status[i] && ws_status[i] != status)
		i++;
	BUMP(ws[i], 1); /* the last slot: any other status */
}

/* Healthy while the last commit of every running worker succeeded. */
int chatd_metrics_healthy(void)
{
	ms_counters c;

	for (unsigned i = 0; i < ms_count(); i++) {
		ms_read(i, &c);
		if (c.pid && c.last_flush_rc)
			return 0;
	}
	return 1;
}

/* ---- the sum of every slot */

typedef struct totals {
	ms_counters c;             /* summed; closed_* merged by code */
	lc_server_stats core;      /* summed over processes, past ones too */
	unsigned workers;          /* slots with a running worker */
} totals;

static void add_closed(ms_counters *t, uint64_t code, uint64_t n)
{
	for (int i = 0; i < NREASONS; i++) {
		if (t->closed_n[i] == 0 || t->closed_code[i] == code) {
			t->closed_code[i] = code;
			t->closed_n[i] += n;
			return;
		}
	}
}

/* Summed word by word: every field but pid, the closes (merged by code)
 * and the core's words (summed with the earlier processes'). */
_Static_assert(offsetof(ms_counters, closed_n) +
	       sizeof(((ms_counters *)0)->closed_n) ==
	       offsetof(ms_counters, push_queued), "closes between sums");
_Static_assert(offsetof(ms_counters, closed_code) +
	       sizeof(((ms_counters *)0)->closed_code) ==
	       offsetof(ms_counters, closed_n), "closes together");

static void sum_slots(totals *t)
{
	const size_t nw = offsetof(ms_counters, closed_code) /
			  sizeof(uint64_t);
	const size_t tail = offsetof(ms_counters, push_queued) /
			    sizeof(uint64_t);
	const size_t all = sizeof(ms_counters) / sizeof(uint64_t);
	uint64_t core[MS_CORE_WORDS] = { 0 };

	memset(t, 0, sizeof *t);
	for (unsigned s = 0; s < ms_count(); s++) {
		ms_counters c;
		uint64_t *from = (uint64_t *)&c, *to = (uint64_t *)&t->c;

		if (ms_read(s, &c) != 0)
			chatd_log(LC_SERVER_LOG_WARN, "metrics_slot_busy",
				  "slot=%u", s);
		t->workers += c.pid != 0;
		for (size_t i = 1; i < nw; i++) /* after pid */
			to[i] += from[i];
		for (int i = 0; i < NREASONS && c.closed_n[i]; i++)
			add_closed(&t->c, c.closed_code[i], c.closed_n[i]);
		for (size_t i = tail; i < all - 2 * MS_CORE_WORDS; i++)
			to[i] += from[i];
		for (size_t i = 1; i < MS_CORE_WORDS; i++)
			core[i] += c.core[i] + c.core_past[i];
	}
	memcpy(&t->core, core, sizeof core);
	t->core.version = LC_SERVER_STATS_VERSION;
}

static void counter(struct evbuffer *o, const char *name, const char *help,
		    const char *type, uint64_t v)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name,
			    help, name, type, name, (unsigned long long)v);
}

static void render_hist(struct evbuffer *o, const ms_counters *m)
{
	uint64_t cum = 0;
	const char *n = "chatd_turn_duration_seconds";

	evbuffer_add_printf(o, "# HELP %s Time to handle one event-loop turn "
			       "of requests, commit included.\n# TYPE %s "
			       "histogram\n", n, n);
	for (size_t b = 0; b < NBUCKETS; b++) {
		cum += m->turn_bucket[b];
		if (b < NBUCKETS - 1)
			evbuffer_add_printf(o, "%s_bucket{le=\"%g\"} %llu\n", n,
					    bucket_s[b],
					    (unsigned long long)cum);
		else
			evbuffer_add_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n",
					    n, (unsigned long long)cum);
	}
	evbuffer_add_printf(o, "%s_sum %.6f\n%s_count %llu\n", n,
			    (double)m->turn_usec_sum / 1e6, n,
			    (unsigned long long)m->turns);
}

static void render_push(struct evbuffer *o, const ms_counters *m)
{
	static const char *const what[] = { "queued", "sent", "logged",
					    "retried", "failed", "dropped" };
	const uint64_t v[] = { m->push_queued, m->push_sent, m->push_logged,
			       m->push_retried, m->push_failed,
			       m->push_dropped };
	const char *n = "chatd_push_notifications_total";

	evbuffer_add_printf(o, "# HELP %s Push notifications by outcome.\n"
			       "# TYPE %s counter\n", n, n);
	for (size_t i = 0; i < 6; i++)
		evbuffer_add_printf(o, "%s{outcome=\"%s\"} %llu\n", n, what[i],
				    (unsigned long long)v[i]);
	counter(o, "chatd_push_queue_depth",
		"Notifications waiting for the push provider, over every "
		"worker.", "gauge", m->push_depth);
}

static void labelled(struct evbuffer *o, const char *name, const char *help,
		     const char *label, const char *const *values,
		     const uint64_t *v, size_t n)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s counter\n", name, help,
			    name);
	for (size_t i = 0; i < n; i++)
		evbuffer_add_printf(o, "%s{%s=\"%s\"} %llu\n", name, label,
				    values[i], (unsigned long long)v[i]);
}

/* A core latency histogram (ms, per bucket) as Prometheus seconds with
 * cumulative `le` buckets. */
static void latency(struct evbuffer *o, const char *n, const char *help,
		    const lc_server_latency *h)
{
	uint64_t cum = 0;

	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", n, help,
			    n);
	for (unsigned b = 0; b < LC_SERVER_LATENCY_BUCKETS; b++) {
		uint64_t le = lc_server_latency_bound(b);

		cum += h->buckets[b];
		if (le == UINT64_MAX)
			evbuffer_add_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n",
					    n, (unsigned long long)cum);
		else
			evbuffer_add_printf(o, "%s_bucket{le=\"%g\"} %llu\n", n,
					    (double)le / 1000.0,
					    (unsigned long long)cum);
	}
	evbuffer_add_printf(o, "%s_sum %.3f\n%s_count %llu\n", n,
			    (double)h->sum_ms / 1000.0, n,
			    (unsigned long long)h->count);
}

/* The queue lives in the one store every worker shares: its depth is
 * read from there, not summed (each core's own gauge drifts as the other
 * workers queue and ack). */
static void render_depth(struct evbuffer *o)
{
	uint64_t depth;
	int rc = srv ? lc_server_queue_depth(srv, &depth) : LC_ERR_INVALID_ARG;

	if (rc != 0) {
		chatd_log(LC_SERVER_LOG_WARN, "queue_depth_failed", "code=%d",
			  rc);
		return;
	}
	counter(o, "chatd_queue_depth", "Queue entries (message copies, "
		"receipts, notices) stored and not yet acknowledged.", "gauge",
		depth);
}

static void render_core(struct evbuffer *o, const lc_server_stats *st)
{
	static const char *const kinds[] = { "direct", "group" };
	static const char *const routes[] = { "live", "offline" };
	uint64_t v[2];

	v[0] = st->messages_direct;
	v[1] = st->messages_group;
	labelled(o, "chatd_messages_total", "Messages accepted (acknowledged "
		 "sent, retries counted once), by kind.", "kind", kinds, v, 2);
	v[0] = st->copies_live;
	v[1] = st->copies_offline;
	labelled(o, "chatd_message_copies_total", "Per-device copies routed: "
		 "live to a connected device, or offline (push hook).",
		 "route", routes, v, 2);
	counter(o, "chatd_message_copies_acked_total", "Per-device copies "
		"acknowledged by their device (delivered).", "counter",
		st->copies_acked);
	render_depth(o);
	counter(o, "chatd_errors_total", "Requests answered with an Error.",
		"counter", st->errors_total);
	labelled(o, "chatd_errors_by_class_total", "Requests answered with "
		 "an Error, by class.", "class", err_class, st->errors,
		 LC_SERVER_ERRCLASS_COUNT);
	counter(o, "chatd_connections_authenticated", "Frame connections "
		"logged in as a device.", "gauge", st->conns_authed);
	latency(o, "chatd_message_sent_latency_seconds", "From a Send's "
		"arrival to the release of its sent Ack (after the commit).",
		&st->sent_latency);
	latency(o, "chatd_message_delivery_latency_seconds", "From a "
		"message's arrival to the release of its copy to a recipient "
		"device that was connected (live delivery, any worker).",
		&st->delivery_latency);
}

static void render_tail(struct evbuffer *o, const ms_counters *m)
{
	static const char *const outcomes[] = { "sent", "dropped",
						"received" };

	labelled(o, "chatd_sibling_datagrams_total", "Notices between worker "
		 "processes (queued entries, device connections), by outcome.",
		 "outcome", outcomes, m->sib, 3);
	evbuffer_add_printf(o, "# HELP chatd_http_responses_total HTTP "
			       "answers by class.\n# TYPE "
			       "chatd_http_responses_total counter\n");
	for (int c = 1; c < 6; c++)
		evbuffer_add_printf(o, "chatd_http_responses_total{class=\"%d"
				       "xx\"} %llu\n", c,
				    (unsigned long long)m->http[c]);
	evbuffer_add_printf(o, "# HELP chatd_ws_upgrades_total WebSocket "
			       "upgrade answers by status (101: accepted).\n"
			       "# TYPE chatd_ws_upgrades_total counter\n");
	for (size_t i = 0; i < 7; i++) {
		char st[8] = "other";

		if (ws_status[i])
			snprintf(st, sizeof st, "%d", ws_status[i]);
		evbuffer_add_printf(o, "chatd_ws_upgrades_total{status=\"%s\"}"
				       " %llu\n", st,
				    (unsigned long long)m->ws[i]);
	}
}

void chatd_metrics_render(struct evbuffer *o)
{
	const char *n = "chatd_connections_closed_total";
	totals t;
	const ms_counters *m = &t.c;

	chatd_metrics_publish(); /* this worker's core figures, fresh */
	sum_slots(&t);
	counter(o, "chatd_workers", "Worker processes running.", "gauge",
		t.workers);
	counter(o, "chatd_connections_open", "Frame connections open.",
		"gauge", m->conns_open);
	counter(o, "chatd_connections_accepted_total",
		"Frame connections accepted.", "counter", m->conns_total);
	counter(o, "chatd_received_bytes_total", "Bytes read from clients.",
		"counter", m->bytes_in);
	counter(o, "chatd_sent_bytes_total", "Bytes written to clients.",
		"counter", m->bytes_out);
	counter(o, "chatd_connections_paused_total",
		"Times a connection stopped being read because its peer does "
		"not read its output.", "counter", m->paused);
	counter(o, "chatd_store_commit_errors_total",
		"Failed commits of the store (lc_server_flush).", "counter",
		m->flush_errors);
	evbuffer_add_printf(o, "# HELP %s Connections closed, by reason "
			       "(LC_ERR_* code; 0: the peer hung up).\n"
			       "# TYPE %s counter\n", n, n);
	for (int i = 0; i < NREASONS && m->closed_n[i]; i++)
		evbuffer_add_printf(o, "%s{code=\"%d\"} %llu\n", n,
				    (int)(int64_t)m->closed_code[i],
				    (unsigned long long)m->closed_n[i]);
	render_hist(o, m);
	render_push(o, m);
	render_core(o, &t.core);
	render_tail(o, m);
}
