/* Counters of one worker, rendered in the Prometheus text format: what
 * chatd itself sees (sockets, bytes, loop turns, closes by reason, pushes,
 * HTTP answers) and what the server core counts (lc_server_stats_get). */
#include <stdio.h>
#include <string.h>

#include "chatd.h"

#define NBUCKETS 12
#define NREASONS 32

static const double bucket_s[NBUCKETS - 1] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1.0,
};

static struct {
	uint64_t conns_open, conns_total, bytes_in, bytes_out;
	uint64_t turns, turn_usec_sum, turn_bucket[NBUCKETS];
	uint64_t flush_errors, paused;
	int last_flush_rc;
	struct { int code; uint64_t n; } closed[NREASONS];
	uint64_t push_queued, push_sent, push_failed, push_dropped,
		push_retried, push_logged;
	uint64_t push_depth;
	uint64_t http[6]; /* 1xx..5xx by first digit */
	uint64_t ws[7];   /* WebSocket upgrades, by ws_status[] */
	const lc_server *srv;
} m;

static const char *const err_class[LC_SERVER_ERRCLASS_COUNT] = {
	[LC_SERVER_ERRCLASS_INVALID] = "invalid",
	[LC_SERVER_ERRCLASS_AUTH] = "auth",
	[LC_SERVER_ERRCLASS_FORBIDDEN] = "forbidden",
	[LC_SERVER_ERRCLASS_LIMITED] = "limited",
	[LC_SERVER_ERRCLASS_NOT_FOUND] = "not_found",
	[LC_SERVER_ERRCLASS_SERVER] = "server",
};

void chatd_metrics_server(const lc_server *srv)
{
	m.srv = srv;
}

void chatd_metrics_conn(int delta)
{
	if (delta > 0) {
		m.conns_open++;
		m.conns_total++;
	} else if (m.conns_open) {
		m.conns_open--;
	}
}

void chatd_metrics_closed(int reason)
{
	for (int i = 0; i < NREASONS; i++) {
		if (m.closed[i].n == 0 || m.closed[i].code == reason) {
			m.closed[i].code = reason;
			m.closed[i].n++;
			return;
		}
	}
}

void chatd_metrics_paused(void)
{
	m.paused++;
}

void chatd_metrics_bytes(uint64_t in, uint64_t out)
{
	m.bytes_in += in;
	m.bytes_out += out;
}

void chatd_metrics_turn(uint64_t usec, int flush_rc)
{
	size_t b = 0;

	while (b < NBUCKETS - 1 && (double)usec / 1e6 > bucket_s[b])
		b++;
	m.turn_bucket[b]++;
	m.turns++;
	m.turn_usec_sum += usec;
	m.last_flush_rc = flush_rc;
	if (flush_rc)
		m.flush_errors++;
}

void chatd_metrics_push(const char *what)
{
	if (strcmp(what, "queued") == 0)
		m.push_queued++;
	else if (strcmp(what, "sent") == 0)
		m.push_sent++;
	else if (strcmp(what, "failed") == 0)
		m.push_failed++;
	else if (strcmp(what, "dropped") == 0)
		m.push_dropped++;
	else if (strcmp(what, "retried") == 0)
		m.push_retried++;
	else if (strcmp(what, "logged") == 0)
		m.push_logged++;
}

void chatd_metrics_push_depth(size_t n)
{
	m.push_depth = n;
}

void chatd_metrics_http(int code)
{
	if (code >= 100 && code < 600)
		m.http[code / 100]++;
}

static const int ws_status[7] = { 101, 400, 403, 404, 405, 426, 0 };

void chatd_metrics_ws(int status)
{
	size_t i = 0;

	while (ws_status[i] && ws_status[i] != status)
		i++;
	m.ws[i]++; /* the last slot: any other status */
}

/* Healthy while the last commit of the store succeeded. */
int chatd_metrics_healthy(void)
{
	return m.last_flush_rc == 0;
}

static void counter(struct evbuffer *o, const char *name, const char *help,
		    const char *type, uint64_t v)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name,
			    help, name, type, name, (unsigned long long)v);
}

static void render_hist(struct evbuffer *o)
{
	uint64_t cum = 0;
	const char *n = "chatd_turn_duration_seconds";

	evbuffer_add_printf(o, "# HELP %s Time to handle one event-loop turn "
			       "of requests, commit included.\n# TYPE %s "
			       "histogram\n", n, n);
	for (size_t b = 0; b < NBUCKETS; b++) {
		cum += m.turn_bucket[b];
		if (b < NBUCKETS - 1)
			evbuffer_add_printf(o, "%s_bucket{le=\"%g\"} %llu\n", n,
					    bucket_s[b],
					    (unsigned long long)cum);
		else
			evbuffer_add_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n",
					    n, (unsigned long long)cum);
	}
	evbuffer_add_printf(o, "%s_sum %.6f\n%s_count %llu\n", n,
			    (double)m.turn_usec_sum / 1e6, n,
			    (unsigned long long)m.turns);
}

static void render_push(struct evbuffer *o)
{
	const char *n = "chatd_push_notifications_total";

	evbuffer_add_printf(o, "# HELP %s Push notifications by outcome.\n"
			       "# TYPE %s counter\n", n, n);
	evbuffer_add_printf(o, "%s{outcome=\"queued\"} %llu\n", n,
			    (unsigned long long)m.push_queued);
	evbuffer_add_printf(o, "%s{outcome=\"sent\"} %llu\n", n,
			    (unsigned long long)m.push_sent);
	evbuffer_add_printf(o, "%s{outcome=\"logged\"} %llu\n", n,
			    (unsigned long long)m.push_logged);
	evbuffer_add_printf(o, "%s{outcome=\"retried\"} %llu\n", n,
			    (unsigned long long)m.push_retried);
	evbuffer_add_printf(o, "%s{outcome=\"failed\"} %llu\n", n,
			    (unsigned long long)m.push_failed);
	evbuffer_add_printf(o, "%s{outcome=\"dropped\"} %llu\n", n,
			    (unsigned long long)m.push_dropped);
	counter(o, "chatd_push_queue_depth",
		"Notifications waiting for the push provider.", "gauge",
		m.push_depth);
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

static void render_core(struct evbuffer *o)
{
	static const char *const kinds[] = { "direct", "group" };
	static const char *const routes[] = { "live", "offline" };
	lc_server_stats st;
	uint64_t v[2];

	memset(&st, 0, sizeof st);
	st.version = LC_SERVER_STATS_VERSION;
	if (m.srv == NULL || lc_server_stats_get(m.srv, &st) != 0)
		return;
	v[0] = st.messages_direct;
	v[1] = st.messages_group;
	labelled(o, "chatd_messages_total", "Messages accepted (acknowledged "
		 "sent, retries counted once), by kind.", "kind", kinds, v, 2);
	v[0] = st.copies_live;
	v[1] = st.copies_offline;
	labelled(o, "chatd_message_copies_total", "Per-device copies routed: "
		 "live to a connected device, or offline (push hook).",
		 "route", routes, v, 2);
	counter(o, "chatd_message_copies_acked_total", "Per-device copies "
		"acknowledged by their device (delivered).", "counter",
		st.copies_acked);
	counter(o, "chatd_queue_depth", "Queue entries (message copies, "
		"receipts, notices) stored and not yet acknowledged.", "gauge",
		st.queue_depth);
	counter(o, "chatd_errors_total", "Requests answered with an Error.",
		"counter", st.errors_total);
	labelled(o, "chatd_errors_by_class_total", "Requests answered with "
		 "an Error, by class.", "class", err_class, st.errors,
		 LC_SERVER_ERRCLASS_COUNT);
	counter(o, "chatd_connections_authenticated", "Frame connections "
		"logged in as a device.", "gauge", st.conns_authed);
	latency(o, "chatd_message_sent_latency_seconds", "From a Send's "
		"arrival to the release of its sent Ack (after the commit).",
		&st.sent_latency);
	latency(o, "chatd_message_delivery_latency_seconds", "From a "
		"message's arrival to the release of its copy to a recipient "
		"device that was connected (live delivery, any worker).",
		&st.delivery_latency);
}

static void render_sib(struct evbuffer *o)
{
	static const char *const outcomes[] = { "sent", "dropped",
						"received" };
	uint64_t v[3];

	chatd_sib_counts(&v[0], &v[1], &v[2]);
	labelled(o, "chatd_sibling_datagrams_total", "Notices between worker "
		 "processes (queued entries, device connections), by outcome.",
		 "outcome", outcomes, v, 3);
}

void chatd_metrics_render(struct evbuffer *o)
{
	const char *n = "chatd_connections_closed_total";

	counter(o, "chatd_connections_open", "Frame connections open.",
		"gauge", m.conns_open);
	counter(o, "chatd_connections_accepted_total",
		"Frame connections accepted.", "counter", m.conns_total);
	counter(o, "chatd_received_bytes_total", "Bytes read from clients.",
		"counter", m.bytes_in);
	counter(o, "chatd_sent_bytes_total", "Bytes written to clients.",
		"counter", m.bytes_out);
	counter(o, "chatd_connections_paused_total",
		"Times a connection stopped being read because its peer does "
		"not read its output.", "counter", m.paused);
	counter(o, "chatd_store_commit_errors_total",
		"Failed commits of the store (lc_server_flush).", "counter",
		m.flush_errors);
	evbuffer_add_printf(o, "# HELP %s Connections closed, by reason "
			       "(LC_ERR_* code; 0: the peer hung up).\n"
			       "# TYPE %s counter\n", n, n);
	for (int i = 0; i < NREASONS && m.closed[i].n; i++)
		evbuffer_add_printf(o, "%s{code=\"%d\"} %llu\n", n,
				    m.closed[i].code,
				    (unsigned long long)m.closed[i].n);
	render_hist(o);
	render_push(o);
	render_core(o);
	render_sib(o);
	evbuffer_add_printf(o, "# HELP chatd_http_responses_total HTTP "
			       "answers by class.\n# TYPE "
			       "chatd_http_responses_total counter\n");
	for (int c = 1; c < 6; c++)
		evbuffer_add_printf(o, "chatd_http_responses_total{class=\"%d"
				       "xx\"} %llu\n", c,
				    (unsigned long long)m.http[c]);
	evbuffer_add_printf(o, "# HELP chatd_ws_upgrades_total WebSocket "
			       "upgrade answers by status (101: accepted).\n"
			       "# TYPE chatd_ws_upgrades_total counter\n");
	for (size_t i = 0; i < 7; i++) {
		char st[8] = "other";

		if (ws_status[i])
			snprintf(st, sizeof st, "%d", ws_status[i]);
		evbuffer_add_printf(o, "chatd_ws_upgrades_total{status=\"%s\"}"
				       " %llu\n", st, (unsigned long long)m.ws[i]);
	}
}
