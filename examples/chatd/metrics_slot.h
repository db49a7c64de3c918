/* The counters of every worker in one shared anonymous mapping, one slot
 * per worker, each written by its worker only under a sequence counter
 * (a seqlock) and read whole by whichever worker answers /metrics. */
#ifndef CHATD_METRICS_SLOT_H
#define CHATD_METRICS_SLOT_H

#include <stdint.h>

#include <libchat/server.h>

#define MS_BUCKETS 12
#define MS_REASONS 32
#define MS_CORE_WORDS (sizeof(lc_server_stats) / sizeof(uint64_t))

/* Every field is a uint64_t, so a slot is copied word by word. Gauges:
 * conns_open, push_depth, last_flush_rc and the core's conns_open,
 * conns_authed and queue_depth; the rest are counters. */
typedef struct ms_counters {
	uint64_t pid;            /* the worker writing it; 0: none */
	uint64_t conns_open, conns_total, bytes_in, bytes_out;
	uint64_t turns, turn_usec_sum, turn_bucket[MS_BUCKETS];
	uint64_t flush_errors, paused, last_flush_rc;
	uint64_t closed_code[MS_REASONS], closed_n[MS_REASONS];
	uint64_t push_queued, push_sent, push_failed, push_dropped,
		push_retried, push_logged, push_depth;
	uint64_t http[6];        /* 1xx..5xx by first digit */
	uint64_t ws[7];          /* WebSocket upgrades, by ws_status[] */
	uint64_t sib[3];         /* sibling datagrams sent, dropped, received */
	uint64_t core[MS_CORE_WORDS];      /* this process's core snapshot */
	uint64_t core_past[MS_CORE_WORDS]; /* earlier processes' counters */
} ms_counters;

/* Map n slots (before forking); -1 if the mapping fails. */
int ms_create(unsigned n);
unsigned ms_count(void);
/* Worker `index` takes its slot: the counters of an earlier process in
 * it are kept, its gauges zeroed, its core counters moved to core_past. */
void ms_attach(unsigned index);
/* The supervisor, after worker `index` exited: zero its gauges. */
void ms_release(unsigned index);
/* This worker's slot (NULL before ms_attach) and its write section. */
ms_counters *ms_mine(void);
void ms_begin(void);
void ms_end(void);
/* Store v into a field of this worker's slot (inside begin/end). */
void ms_set(uint64_t *field, uint64_t v);
uint64_t ms_get(const uint64_t *field);
/* A consistent copy of slot i; 0, or -1 after giving up on a writer that
 * stays inside its write section (the copy is then best effort). */
int ms_read(unsigned i, ms_counters *out);

#endif
