/* bench-store: the device store side by side with SQLite.
 *
 * Both sides run the same seeded workload with the same durability:
 * insert a message stream (with re-deliveries that must be rejected) in
 * batches, then open chats (newest page), scroll back a busy chat with a
 * cursor, list the most recent chats, and search a word and a prefix.
 * Every result is checked against the generator's answers and a mismatch
 * stops the run. Each figure is the median over several runs in which the
 * sides alternate. See bench/README.md. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "peer.h"

#define MAX_PEERS 2
#define MAX_RUNS 101
#define REPEAT_CHATS 20  /* chat lists per round */
#define REPEAT_SEARCH 10 /* searches per round */

typedef struct options {
	gen_params gen;
	size_t batch;
	int runs, rounds, keep, made_dir;
	enum peer_durability durability;
	const char *dir;
	const char *only;
} options;

enum metric {
	M_INSERT, M_WRITTEN, M_OPEN, M_SCROLL, M_CHATS, M_WORD, M_PREFIX,
	M_COUNT
};

typedef struct side {
	const peer_ops *ops;
	peer *p;
	char dir[4096];
	double m[M_COUNT][MAX_RUNS];
	int n[M_COUNT];
	double disk_mib;
} side;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *side_name, const char *what, const char *why)
{
	fprintf(stderr, "bench-store: FAIL: %s: %s: %s\n", side_name, what, why);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	if (n == 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------ files */

static int remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4352];

	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >=
		    (int)sizeof path)
			continue;
		if (unlink(path) != 0)
			remove_tree(path);
	}
	closedir(d);
	return rmdir(dir);
}

/* Bytes allocated on disk by the files of dir, in MiB. */
static double disk_mib(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	char path[4352];
	double bytes = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >=
		    (int)sizeof path)
			continue;
		if (e->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISREG(st.st_mode))
			bytes += (double)st.st_blocks * 512;
	}
	closedir(d);
	return bytes / (1024.0 * 1024.0);
}

/* Bytes this process has passed to write calls so far (Linux: "wchar"
 * of /proc/self/io), or -1 where that is not available. */
static double bytes_written(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	double v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "wchar:", 6) == 0)
			v = strtod(line + 6, NULL);
	fclose(f);
	return v;
}

/* ------------------------------------------------------------ insert */

static void run_insert(const options *o, const gen_expect *e, side *s,
		       int run)
{
	gen_msg *batch = malloc(o->batch * sizeof *batch);
	gen_stream st;
	size_t n = 0, stored, total = 0, txns = 0;
	double t = 0, t0, w0;
	int more = 1;

	if (batch == NULL)
		die(s->ops->name, "insert", "out of memory");
	snprintf(s->dir, sizeof s->dir, "%s/%s-%d", o->dir, s->ops->name, run);
	remove_tree(s->dir);
	if (mkdir(s->dir, 0700) != 0)
		die(s->ops->name, s->dir, strerror(errno));
	if (s->ops->open(&s->p, s->dir, o->durability) != 0)
		die(s->ops->name, "open", "failed");
	gen_stream_init(&st, &o->gen);
	w0 = bytes_written();
	while (more) {
		more = gen_stream_next(&st, &batch[n]);
		n += (size_t)more;
		if (n == o->batch || (!more && n > 0)) {
			t0 = now();
			if (s->ops->insert(s->p, batch, n, &stored) != 0)
				die(s->ops->name, "insert", "failed");
			t += now() - t0;
			total += stored;
			txns++;
			n = 0;
		}
	}
	free(batch);
	if (total != o->gen.messages || st.pos != e->stream_len) {
		char why[128];

		snprintf(why, sizeof why, "%zu of %llu offered stored, "
			 "expected %llu (re-deliveries must be rejected)",
			 total, (unsigned long long)st.pos,
			 (unsigned long long)o->gen.messages);
		die(s->ops->name, "insert", why);
	}
	s->m[M_INSERT][s->n[M_INSERT]++] = (double)e->stream_len / t;
	if (w0 >= 0 && txns > 0)
		s->m[M_WRITTEN][s->n[M_WRITTEN]++] =
			(bytes_written() - w0) / 1024.0 / (double)txns;
}

/* ------------------------------------------------------------ queries */

static void check(const options *o, const side *s, const char *what,
		  const gen_row *rows, size_t n, const gen_ref *want,
		  size_t want_n)
{
	const char *why = gen_check_rows(&o->gen, rows, n, want, want_n);

	if (why)
		die(s->ops->name, what, why);
}

static void chat_name(char *buf, size_t len, uint32_t chat)
{
	snprintf(buf, len, "chat-%04u", chat);
}

/* Open every GEN_OPEN_STRIDE-th chat: read its newest page. */
static double q_open(const options *o, const gen_expect *e, side *s,
		     gen_row *rows)
{
	char chat[GEN_NAME_MAX];
	size_t *got = calloc(e->n_open, sizeof *got);
	double t0, t;

	if (got == NULL)
		die(s->ops->name, "open", "out of memory");
	t0 = now();
	for (uint32_t k = 0; k < e->n_open; k++) {
		chat_name(chat, sizeof chat, e->open_chat[k]);
		if (s->ops->page(s->p, chat, NULL, rows + (size_t)k * GEN_PAGE,
				 &got[k]) != 0)
			die(s->ops->name, "open chat", "failed");
	}
	t = (now() - t0) / e->n_open;
	for (uint32_t k = 0; k < e->n_open; k++)
		check(o, s, "open chat", rows + (size_t)k * GEN_PAGE, got[k],
		      e->open_page[k], e->open_n[k]);
	free(got);
	return t;
}

/* Read the busiest chat's newest page, then GEN_SCROLL_PAGES older pages
 * with the cursor (only those are timed). */
static double q_scroll(const options *o, const gen_expect *e, side *s,
		       gen_row *rows)
{
	char chat[GEN_NAME_MAX];
	size_t got[GEN_SCROLL_PAGES + 1];
	double t0, t;

	chat_name(chat, sizeof chat, e->busiest);
	if (s->ops->page(s->p, chat, NULL, rows, &got[0]) != 0)
		die(s->ops->name, "scroll", "failed");
	t0 = now();
	for (int pg = 1; pg <= GEN_SCROLL_PAGES; pg++) {
		const gen_row *prev = rows + (size_t)(pg - 1) * GEN_PAGE;

		if (got[pg - 1] == 0) {
			got[pg] = 0;
			continue;
		}
		if (s->ops->page(s->p, chat, prev + got[pg - 1] - 1,
				 rows + (size_t)pg * GEN_PAGE, &got[pg]) != 0)
			die(s->ops->name, "scroll", "failed");
	}
	t = now() - t0;
	for (int pg = 0; pg <= GEN_SCROLL_PAGES; pg++) {
		size_t from = (size_t)pg * GEN_PAGE, want = 0;

		if (from < e->busy_n)
			want = e->busy_n - from < GEN_PAGE ? e->busy_n - from :
							     GEN_PAGE;
		check(o, s, "scroll back", rows + from, got[pg],
		      e->busy + (from < e->busy_n ? from : 0), want);
	}
	return t;
}

static double q_chats(const options *o, const gen_expect *e, side *s,
		      gen_row *rows)
{
	char chat[GEN_NAME_MAX];
	size_t got = 0;
	double t0, t;

	t0 = now();
	for (int i = 0; i < REPEAT_CHATS; i++)
		if (s->ops->chats(s->p, rows, &got) != 0)
			die(s->ops->name, "chat list", "failed");
	t = (now() - t0) / REPEAT_CHATS;
	check(o, s, "chat list (last messages)", rows, got, e->list_last,
	      e->n_list);
	for (size_t k = 0; k < got; k++) {
		chat_name(chat, sizeof chat, e->list_chat[k]);
		if (strcmp(rows[k].chat_id, chat) != 0 ||
		    rows[k].unread != e->list_unread[k])
			die(s->ops->name, "chat list", "chat id or unread count");
	}
	return t;
}

static double q_search(const options *o, const gen_expect *e, side *s,
		       gen_row *rows, int prefix)
{
	size_t got = 0;
	double t0, t;

	t0 = now();
	for (int i = 0; i < REPEAT_SEARCH; i++)
		if (s->ops->search(s->p, prefix ? GEN_QUERY_PREFIX :
				   GEN_QUERY_WORD, prefix, rows, &got) != 0)
			die(s->ops->name, "search", "failed");
	t = (now() - t0) / REPEAT_SEARCH;
	check(o, s, prefix ? "prefix search" : "word search", rows, got,
	      prefix ? e->prefix : e->word, prefix ? e->prefix_n : e->word_n);
	return t;
}

static void run_queries(const options *o, const gen_expect *e, side *s,
			gen_row *rows, int record)
{
	double t[M_COUNT];

	t[M_OPEN] = q_open(o, e, s, rows);
	t[M_SCROLL] = q_scroll(o, e, s, rows);
	t[M_CHATS] = q_chats(o, e, s, rows);
	t[M_WORD] = q_search(o, e, s, rows, 0);
	t[M_PREFIX] = q_search(o, e, s, rows, 1);
	if (!record)
		return;
	for (int m = M_OPEN; m < M_COUNT; m++)
		s->m[m][s->n[m]++] = t[m] * 1e6;
}

/* ------------------------------------------------------------ report */

static void row(const char *op, const side *s, double v, const char *unit,
		double ratio)
{
	printf("%-32s %-8s %12.1f %-6s", op, s->ops->name, v, unit);
	if (ratio > 0)
		printf(" %8.2f", ratio);
	printf("\n");
}

static void report(const options *o, const gen_expect *e, side *sides,
		   int nsides)
{
	static const char *const label[M_COUNT] = {
		"insert (batched)", "written per transaction",
		"open chat: newest 50",
		"scroll back 20 pages x 50", "list 50 recent chats",
		"search word, newest 50", "search 3-letter prefix, newest 50",
	};
	static const char *const unit[M_COUNT] = {
		"msg/s", "KiB", "us", "us", "us", "us", "us",
	};
	double med[MAX_PEERS][M_COUNT];

	for (int i = 0; i < nsides; i++)
		for (int m = 0; m < M_COUNT; m++)
			med[i][m] = median(sides[i].m[m], sides[i].n[m]);

	printf("\n%-32s %-8s %12s %-6s %8s\n", "operation", "peer", "median",
	       "unit", "ours/sqlite");
	for (int m = 0; m < M_COUNT; m++)
		for (int i = 0; i < nsides && sides[0].n[m] > 0; i++)
			row(label[m], &sides[i], med[i][m], unit[m],
			    i > 0 ? med[i][m] / med[0][m] : 0);
	for (int i = 0; i < nsides; i++)
		row("on-disk size (after close)", &sides[i], sides[i].disk_mib,
		    "MiB", i > 0 ? sides[i].disk_mib / sides[0].disk_mib : 0);
	printf("\nmsg/s: higher is better; KiB, us and MiB: lower is better. "
	       "word hits %llu, prefix hits %llu, busiest chat %u (%zu "
	       "messages).\n",
	       (unsigned long long)e->word_total,
	       (unsigned long long)e->prefix_total, e->busiest, e->busy_n);
	if (nsides == 1 && o->only == NULL)
		printf("libchat: not measured: this build has no lib/store "
		       "(the ours column is omitted, not estimated).\n");
}

/* ------------------------------------------------------------ main */

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-store [--messages N] [--chats N] [--batch N]\n"
		"                   [--runs N] [--rounds N] [--seed N]\n"
		"                   [--durability full|normal] [--dir DIR]\n"
		"                   [--keep] [--only sqlite|libchat]\n");
	exit(2);
}

static unsigned long long num(const char *s, unsigned long long lo,
			      unsigned long long hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s ? s : "", &end, 10);
	if (s == NULL || errno || *end || v < lo || v > hi)
		usage();
	return v;
}

static void parse(int argc, char **argv, options *o)
{
	memset(o, 0, sizeof *o);
	o->gen.seed = 1;
	o->gen.messages = 1000000;
	o->gen.chats = 1000;
	o->gen.dup_per_mille = 10;
	o->batch = 100;
	o->runs = 3;
	o->rounds = 7;
	o->durability = PEER_DURABLE_FULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--keep") == 0) {
			o->keep = 1;
			continue;
		}
		i++;
		if (strcmp(a, "--messages") == 0)
			o->gen.messages = num(v, 1000, 100000000);
		else if (strcmp(a, "--chats") == 0)
			o->gen.chats = (uint32_t)num(v, GEN_PAGE, 1000000);
		else if (strcmp(a, "--batch") == 0)
			o->batch = (size_t)num(v, 1, 1000);
		else if (strcmp(a, "--runs") == 0)
			o->runs = (int)num(v, 1, MAX_RUNS);
		else if (strcmp(a, "--rounds") == 0)
			o->rounds = (int)num(v, 1, MAX_RUNS);
		else if (strcmp(a, "--seed") == 0)
			o->gen.seed = num(v, 0, ~0ull);
		else if (strcmp(a, "--dir") == 0 && v)
			o->dir = v;
		else if (strcmp(a, "--only") == 0 && v)
			o->only = v;
		else if (strcmp(a, "--durability") == 0 && v &&
			 strcmp(v, "full") == 0)
			o->durability = PEER_DURABLE_FULL;
		else if (strcmp(a, "--durability") == 0 && v &&
			 strcmp(v, "normal") == 0)
			o->durability = PEER_DURABLE_NORMAL;
		else
			usage();
	}
}

int main(int argc, char **argv)
{
	static const peer_ops *const all[] = {
		&peer_sqlite,
#ifdef BENCH_HAVE_LC_STORE
		&peer_libchat,
#endif
	};
	options o;
	gen_expect e;
	side sides[MAX_PEERS];
	int nsides = 0;
	char tmpl[] = "/tmp/bench-store-XXXXXX";
	gen_row *rows;
	double t0;

	parse(argc, argv, &o);
	memset(sides, 0, sizeof sides);
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (o.only == NULL || strcmp(o.only, all[i]->name) == 0)
			sides[nsides++].ops = all[i];
	if (nsides == 0)
		usage();
	if (o.dir == NULL) {
		const char *tmp = getenv("TMPDIR");
		static char buf[4096];

		if (tmp && *tmp) {
			snprintf(buf, sizeof buf, "%s/bench-store-XXXXXX", tmp);
			o.dir = mkdtemp(buf);
		} else {
			o.dir = mkdtemp(tmpl);
		}
		if (o.dir == NULL)
			die("bench", "temporary directory", strerror(errno));
		o.made_dir = 1;
	}

	t0 = now();
	if (gen_expect_build(&o.gen, &e) != 0)
		die("bench", "generator", "out of memory");
	printf("bench-store: %llu messages + %llu re-deliveries (rejected) in "
	       "%u chats, seed %llu, batches of %zu; expected answers computed "
	       "in %.1f s\n",
	       (unsigned long long)o.gen.messages, (unsigned long long)e.dups,
	       o.gen.chats, (unsigned long long)o.gen.seed, o.batch,
	       now() - t0);
	printf("durability %s:", o.durability == PEER_DURABLE_FULL ? "full" :
	       "normal");
	for (int i = 0; i < nsides; i++)
		printf("%s %s: %s", i ? ";" : "", sides[i].ops->name,
		       sides[i].ops->durability_name(o.durability));
	printf("\nmedian of %d insert runs and %d query rounds, sides "
	       "alternating, warm page cache; every result checked; data in "
	       "%s\n", o.runs, o.rounds, o.dir);
	fflush(stdout);

	for (int r = 0; r < o.runs; r++) {
		for (int k = 0; k < nsides; k++) {
			side *s = &sides[r % 2 ? nsides - 1 - k : k];

			run_insert(&o, &e, s, r);
			if (r + 1 < o.runs) {
				s->ops->close(s->p);
				s->p = NULL;
				remove_tree(s->dir);
			}
			fprintf(stderr, "  insert run %d %-8s %.0f msg/s, %.1f KiB "
				"written per transaction\n", r + 1, s->ops->name,
				s->m[M_INSERT][s->n[M_INSERT] - 1],
				s->n[M_WRITTEN] ?
				s->m[M_WRITTEN][s->n[M_WRITTEN] - 1] : 0.0);
		}
	}

	rows = calloc((size_t)(e.n_open > GEN_SCROLL_PAGES + 1 ?
			       e.n_open : GEN_SCROLL_PAGES + 1) * GEN_PAGE,
		      sizeof *rows);
	if (rows == NULL)
		die("bench", "rows", "out of memory");
	for (int k = 0; k < nsides; k++)
		run_queries(&o, &e, &sides[k], rows, 0); /* warm-up */
	for (int r = 0; r < o.rounds; r++)
		for (int k = 0; k < nsides; k++)
			run_queries(&o, &e, &sides[r % 2 ? nsides - 1 - k : k],
				    rows, 1);
	free(rows);

	for (int k = 0; k < nsides; k++) {
		sides[k].ops->close(sides[k].p);
		sides[k].disk_mib = disk_mib(sides[k].dir);
		if (!o.keep)
			remove_tree(sides[k].dir);
	}
	if (!o.keep && o.made_dir)
		rmdir(o.dir);
	report(&o, &e, sides, nsides);
	gen_expect_free(&e);
	return 0;
}
