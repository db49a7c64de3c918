/* Suite "integration": chatd's metrics slots shared between processes
 * (examples/chatd/metrics_slot.c): a reader never sees a half-written
 * slot, a writer that died inside its write section does not hang
 * readers, and a slot taken over by a new process counts nothing twice. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chatd.h"
#include "metrics_slot.h"

#define LAST (MS_CORE_WORDS - 1)
#define WRITES 20000

void chatd_log(int level, const char *event, const char *fmt, ...)
{
	(void)level;
	(void)event;
	(void)fmt;
}

static pid_t child(void (*body)(void))
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		body();
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int st = -1;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Three words of one write section always carry the same value. The
 * sections come every few microseconds, as a busy worker's would (back
 * to back they would starve the reader, which is what a seqlock does). */
static void writer(void)
{
	const struct timespec gap = { 0, 2000 };
	ms_counters *c;

	ms_attach(1);
	c = ms_mine();
	for (uint64_t i = 1; i <= WRITES; i++) {
		ms_begin();
		ms_set(&c->bytes_in, i);
		ms_set(&c->core[1], i);
		ms_set(&c->core[LAST], i);
		ms_end();
		nanosleep(&gap, NULL);
	}
	ms_begin();
	ms_set(&c->conns_open, 3);
	ms_end();
}

START_TEST(slot_reads_are_whole)
{
	ms_counters c;
	uint64_t reads = 0, moved = 0, last = 0;
	pid_t w;
	int st;

	ck_assert_int_eq(ms_create(2), 0);
	ck_assert_uint_eq(ms_count(), 2);
	w = child(writer);
	do {
		ck_assert_int_eq(ms_read(1, &c), 0);
		ck_assert_uint_eq(c.core[1], c.bytes_in);
		ck_assert_uint_eq(c.core[LAST], c.bytes_in);
		ck_assert_uint_ge(c.bytes_in, last);
		moved += c.bytes_in != last;
		last = c.bytes_in;
		reads++;
	} while (waitpid(w, &st, WNOHANG) == 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(ms_read(1, &c), 0);
	ck_assert_uint_eq(c.bytes_in, WRITES);
	ck_assert_uint_eq(c.conns_open, 3);
	ck_assert_uint_gt(moved, 1); /* the reads raced the writes */
	/* the slot of an exited worker: gauges gone, counters kept */
	ms_release(1);
	ck_assert_int_eq(ms_read(1, &c), 0);
	ck_assert_uint_eq(c.conns_open, 0);
	ck_assert_uint_eq(c.pid, 0);
	ck_assert_uint_eq(c.bytes_in, WRITES);
	ck_assert_uint_eq(c.core[1], WRITES);
}
END_TEST

static void dies_inside(void)
{
	ms_attach(1);
	ms_begin();
	ms_set(&ms_mine()->bytes_in, 1);
	_exit(0);
}

START_TEST(slot_of_a_dead_writer)
{
	ms_counters c;

	ck_assert_int_eq(ms_create(2), 0);
	reap(child(dies_inside));
	ck_assert_int_eq(ms_read(1, &c), -1); /* gives up, does not hang */
	ck_assert_uint_eq(c.bytes_in, 1);
	ms_release(1);
	ck_assert_int_eq(ms_read(1, &c), 0);
}
END_TEST

/* A first process counts 7 messages (core word 1), 2 connections open
 * and 4 authenticated; the next one in the slot counts 5 messages. */
static void first(void)
{
	ms_counters *c;
	size_t authed = offsetof(lc_server_stats, conns_authed) / 8;

	ms_attach(0);
	c = ms_mine();
	ms_begin();
	ms_set(&c->core[1], 7);
	ms_set(&c->core[authed], 4);
	ms_set(&c->conns_open, 2);
	ms_set(&c->conns_total, 2);
	ms_end();
}

static void second(void)
{
	ms_counters *c;

	ms_attach(0);
	c = ms_mine();
	ms_begin();
	ms_set(&c->core[1], 5);
	ms_set(&c->conns_total, ms_get(&c->conns_total) + 1);
	ms_end();
}

START_TEST(slot_taken_over)
{
	ms_counters c;
	size_t authed = offsetof(lc_server_stats, conns_authed) / 8;

	ck_assert_int_eq(ms_create(1), 0);
	reap(child(first));
	reap(child(second)); /* took the slot without a release */
	ck_assert_int_eq(ms_read(0, &c), 0);
	ck_assert_uint_eq(c.core[1] + c.core_past[1], 12); /* 7 + 5 */
	ck_assert_uint_eq(c.core[authed] + c.core_past[authed], 0);
	ck_assert_uint_eq(c.conns_open, 0);
	ck_assert_uint_eq(c.conns_total, 3);
	ck_assert_uint_ne(c.pid, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics_slot");
	TCase *tc = tcase_create("slots");
	SRunner *r;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, slot_reads_are_whole);
	tcase_add_test(tc, slot_of_a_dead_writer);
	tcase_add_test(tc, slot_taken_over);
	suite_add_tcase(s, tc);
	r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
