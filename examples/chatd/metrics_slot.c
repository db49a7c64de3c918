/* Seqlock over a shared mapping: the writer makes the sequence odd,
 * stores the words, makes it even again (release); a reader loads it
 * (acquire), copies the words, fences (acquire) and loads it again, and
 * retries unless both loads saw the same even value. Every word is an
 * atomic access (relaxed), so a racing copy is merely discarded, never
 * undefined. One writer per slot; the supervisor writes a slot only once
 * its worker has exited. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "chatd.h"
#include "metrics_slot.h"

#define MS_SPINS 100000

_Static_assert(sizeof(lc_server_stats) % sizeof(uint64_t) == 0,
	       "lc_server_stats is copied as words");
_Static_assert(sizeof(ms_counters) % sizeof(uint64_t) == 0,
	       "a slot is copied as words");
_Static_assert(offsetof(ms_counters, core) + 2 * sizeof(lc_server_stats) ==
	       sizeof(ms_counters), "the core's words end the slot");
_Static_assert(offsetof(lc_server_stats, messages_direct) ==
	       sizeof(uint64_t), "only word 0 of lc_server_stats is no counter");

struct ms_slot {
	uint64_t seq;
	ms_counters c;
} __attribute__((aligned(64))); /* no false sharing between workers */

static struct ms_slot local; /* before ms_create, or if it failed */
static struct ms_slot *slots = &local;
static unsigned n_slots = 1;
static struct ms_slot *me;

int ms_create(unsigned n)
{
	void *p;

	if (n == 0)
		return -1;
	p = mmap(NULL, n * sizeof *slots, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		chatd_log(LC_SERVER_LOG_ERROR, "metrics_map_failed",
			  "err=\"%s\"", strerror(errno));
		return -1;
	}
	slots = p; /* zero-filled by the kernel */
	n_slots = n;
	return 0;
}

unsigned ms_count(void)
{
	return n_slots;
}

ms_counters *ms_mine(void)
{
	return me ? &me->c : NULL;
}

static uint64_t seq_of(struct ms_slot *s)
{
	return __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
}

/* Odd while writing. A writer that died inside leaves it odd: the next
 * writer of the slot keeps it odd and closes the section. */
static void begin_slot(struct ms_slot *s)
{
	__atomic_store_n(&s->seq, seq_of(s) | 1u, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void end_slot(struct ms_slot *s)
{
	__atomic_store_n(&s->seq, seq_of(s) + 1, __ATOMIC_RELEASE);
}

void ms_begin(void)
{
	if (me)
		begin_slot(me);
}

void ms_end(void)
{
	if (me)
		end_slot(me);
}

void ms_set(uint64_t *field, uint64_t v)
{
	__atomic_store_n(field, v, __ATOMIC_RELAXED);
}

uint64_t ms_get(const uint64_t *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

static void zero_gauges(ms_counters *c)
{
	size_t g[3] = { offsetof(lc_server_stats, conns_open),
			offsetof(lc_server_stats, conns_authed),
			offsetof(lc_server_stats, queue_depth) };

	ms_set(&c->conns_open, 0);
	ms_set(&c->push_depth, 0);
	ms_set(&c->last_flush_rc, 0);
	for (size_t i = 0; i < 3; i++) {
		ms_set(&c->core[g[i] / sizeof(uint64_t)], 0);
		ms_set(&c->core_past[g[i] / sizeof(uint64_t)], 0);
	}
}

void ms_attach(unsigned index)
{
	struct ms_slot *s;

	if (index >= n_slots)
		return;
	s = &slots[index];
	begin_slot(s);
	/* word 0 holds the version: not a counter */
	for (size_t i = 1; i < MS_CORE_WORDS; i++) {
		ms_set(&s->c.core_past[i], ms_get(&s->c.core_past[i]) +
					   ms_get(&s->c.core[i]));
		ms_set(&s->c.core[i], 0);
	}
	zero_gauges(&s->c);
	ms_set(&s->c.pid, (uint64_t)getpid());
	end_slot(s);
	me = s;
}

void ms_release(unsigned index)
{
	if (index >= n_slots)
		return;
	begin_slot(&slots[index]);
	zero_gauges(&slots[index].c);
	ms_set(&slots[index].c.pid, 0);
	end_slot(&slots[index]);
}

static void copy_words(uint64_t *to, const uint64_t *from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
}

int ms_read(unsigned i, ms_counters *out)
{
	struct ms_slot *s = &slots[i];
	size_t n = sizeof *out / sizeof(uint64_t);

	for (unsigned spin = 0; spin < MS_SPINS; spin++) {
		uint64_t a = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE), b;

		if (a & 1u) {
			if (spin % 64 == 63)
				sched_yield();
			continue;
		}
		copy_words((uint64_t *)out, (const uint64_t *)&s->c, n);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		b = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (a == b)
			return 0;
	}
	copy_words((uint64_t *)out, (const uint64_t *)&s->c, n);
	return -1;
}
