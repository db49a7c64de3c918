/*
 * bench/crypto: libchat's end-to-end encryption side by side with
 * libsignal-protocol-c and libolm, plus the raw AEAD limit, in one run on the
 * same inputs. See bench/README.md for what each row measures.
 *
 * Usage: bench-crypto [--rounds N] [--min-time SECONDS] [--quick] [--verbose]
 *                     [--lib NAME]... (only these: libchat, libsignal, olm,
 *                     floor, raw-aead; for profiling)
 */
#include "bench.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

enum row {
	ROW_SETUP_INIT,
	ROW_SETUP_RESP,
	ROW_EST_100,
	ROW_EST_1K,
	ROW_EST_100_PERSIST,
	ROW_PINGPONG,
	ROW_GROUP_100,
	ROW_GROUP_1K,
	ROW_GROUP_100_STORE,
	ROW_COUNT
};

static const char *const row_names[ROW_COUNT] = {
	"setup initiator",
	"setup responder",
	"established 100B",
	"established 1KiB",
	"est. 100B+persist",
	"ping-pong 100B",
	"group 100B",
	"group 1KiB",
	"group 100B+store",
};

/* The library whose figures are divided by every other's ("ours"). */
static const bench_lib *const libs[] = {
#ifdef BENCH_HAVE_LIBCHAT
	&bench_libchat,
#endif
	&bench_signal,
	&bench_olm,
	&bench_floor,
};
#define NLIBS (sizeof libs / sizeof libs[0])
#ifdef BENCH_HAVE_LIBCHAT
#define HAVE_OURS 1
#else
#define HAVE_OURS 0
#endif

#define MAX_ROUNDS 31

static double min_time = 0.3;
static int rounds = 5;
static int verbose;
/* Which libraries run (--lib); the last entry is raw-aead. */
static int active[NLIBS + 1];

static uint8_t pt100[100], pt1k[1024];

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void bench_plaintext(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

static void die(const char *lib, const char *what)
{
	fprintf(stderr, "bench-crypto: %s: %s failed (or a decrypt did not "
		"return the plaintext)\n", lib, what);
	exit(1);
}

/* One operation of a throughput row. */
static int run_op(const bench_lib *L, void *ctx, int row)
{
	switch (row) {
	case ROW_EST_100:
		return L->send(ctx, BENCH_A_TO_B, pt100, sizeof pt100);
	case ROW_EST_1K:
		return L->send(ctx, BENCH_A_TO_B, pt1k, sizeof pt1k);
	case ROW_EST_100_PERSIST:
		if (L->send(ctx, BENCH_A_TO_B, pt100, sizeof pt100) < 0)
			return -1;
		return L->persist != NULL ? L->persist(ctx) : 0;
	case ROW_PINGPONG:
		/* One round trip; each message starts a new DH ratchet step. */
		if (L->send(ctx, BENCH_A_TO_B, pt100, sizeof pt100) < 0)
			return -1;
		return L->send(ctx, BENCH_B_TO_A, pt100, sizeof pt100);
	case ROW_GROUP_100:
		return L->group_send(ctx, pt100, sizeof pt100);
	case ROW_GROUP_1K:
		return L->group_send(ctx, pt1k, sizeof pt1k);
	case ROW_GROUP_100_STORE:
		if (L->group_send(ctx, pt100, sizeof pt100) < 0)
			return -1;
		return L->group_persist != NULL ? L->group_persist(ctx) : 0;
	default:
		return -1;
	}
}

/* One participant of a measurement: a library and what it has run. */
typedef struct slot {
	const bench_lib *lib;
	void *ctx;
	double t, t2;          /* seconds timed (set-up: initiator, responder) */
	unsigned long n;       /* operations run */
	unsigned long batch;   /* operations per slice, grown to SLICE */
} slot;

/* Each library runs in turn for about SLICE seconds until every one has
 * run for min_time, so load from elsewhere on the machine falls on all of
 * them alike. Batches grow until one lasts a slice, so reading the clock
 * costs nothing. */
#define SLICE 0.02

static void run_slice(slot *s, int row)
{
	double t0, t1;

	if (row == ROW_SETUP_INIT) {
		/* Both set-up rows come from the same handshakes, which time
		 * their own halves; untimed work (new one-time keys) is
		 * outside. */
		t0 = bench_now();
		do {
			if (s->lib->setup(s->ctx, pt100, sizeof pt100, &s->t,
				&s->t2) < 0)
				die(s->lib->name, "session set-up");
			s->n++;
		} while (bench_now() - t0 < SLICE);
		return;
	}
	t0 = bench_now();
	for (unsigned long i = 0; i < s->batch; i++)
		if (run_op(s->lib, s->ctx, row) < 0)
			die(s->lib->name, row_names[row]);
	t1 = bench_now();
	s->t += t1 - t0;
	s->n += s->batch;
	if (t1 - t0 < SLICE)
		s->batch *= 2;
}

static int slot_done(const slot *s, int row)
{
	return s->t >= min_time && (row != ROW_SETUP_INIT || s->t2 >= min_time);
}

/* Measure @p row for the @p n slots, starting with slot @p first. */
static void measure_row(slot *slots, size_t n, size_t first, int row)
{
	int done;

	for (size_t i = 0; i < n; i++) {
		if (!active[i])
			continue;
		slots[i].t = slots[i].t2 = 0;
		slots[i].n = 0;
		slots[i].batch = 1;
		if (row != ROW_SETUP_INIT && run_op(slots[i].lib, slots[i].ctx,
			row) < 0) /* warm-up, and a check */
			die(slots[i].lib->name, row_names[row]);
	}
	do {
		done = 1;
		for (size_t k = 0; k < n; k++) {
			slot *s = &slots[(first + k) % n];

			if (!active[(first + k) % n])
				continue;
			run_slice(s, row);
			done &= slot_done(s, row);
		}
	} while (!done);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, (size_t)n * sizeof *v);
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Per row, per library (the last column is raw-aead), per round. */
#define RAW NLIBS
static double res[ROW_COUNT][NLIBS + 1][MAX_ROUNDS];

static int is_raw_row(int row)
{
	return row == ROW_EST_100 || row == ROW_EST_1K;
}

static int has_ratio(size_t l)
{
	return HAVE_OURS && l > 0 && active[0] && active[l];
}

/* Median over rounds of column @p a / column @p l, round by round: each
 * round's figures were taken side by side, so their ratio is the
 * steadiest. */
static double ratio_of(int row, size_t a, size_t l)
{
	double v[MAX_ROUNDS];

	for (int r = 0; r < rounds; r++)
		v[r] = res[row][a][r] / res[row][l][r];
	return median(v, rounds);
}

/* Ours / column @p l. */
static double ratio(int row, size_t l)
{
	return ratio_of(row, 0, l);
}

/* The reference column (the floor): libchat's fraction of it, and the
 * largest ratio its figure allows against each peer. */
static void print_reference(int row, size_t f)
{
	const char *sep = "; at most ";

	if (!has_ratio(f))
		return;
	printf(" (%s at %.2f of %s", libs[0]->name, ratio(row, f),
		libs[f]->name);
	for (size_t l = 1; l < NLIBS; l++) {
		if (!active[l] || libs[l]->reference)
			continue;
		printf("%s%.2fx %s", sep, ratio_of(row, f, l), libs[l]->name);
		sep = ", ";
	}
	printf(")");
}

static void print_row(int row)
{
	printf("%-19s", row_names[row]);
	for (size_t l = 0; l < NLIBS; l++) {
		if (!active[l])
			continue;
		printf("  %s %.0f op/s", libs[l]->name,
			median(res[row][l], rounds));
		if (libs[l]->reference)
			print_reference(row, l);
		else if (has_ratio(l))
			printf("  %.2fx", ratio(row, l));
		printf(" ");
	}
	if (is_raw_row(row) && active[RAW]) {
		printf("  raw-aead %.0f op/s", median(res[row][RAW], rounds));
		if (has_ratio(RAW))
			printf("  (%s at %.2f of raw)", libs[0]->name,
				ratio(row, RAW));
	}
	if (!HAVE_OURS)
		printf("  (libchat column: lib/crypto not built)");
	printf("\n");
	if (verbose) {
		for (size_t l = 0; l <= NLIBS; l++) {
			if (!active[l] || (l == RAW && !is_raw_row(row)))
				continue;
			printf("    %-10s", l == RAW ? "raw-aead" : libs[l]->name);
			for (int r = 0; r < rounds; r++)
				printf(" %.0f", res[row][l][r]);
			printf("\n");
		}
	}
}

static void print_size(const char *name, long *sizes)
{
	printf("%-19s", name);
	for (size_t l = 0; l < NLIBS; l++) {
		if (!active[l] || sizes[l] < 0)
			continue;
		printf("  %s %ld B", libs[l]->name, sizes[l]);
		if (has_ratio(l) && sizes[l] > 0)
			printf("  %.2fx", (double)sizes[0] / (double)sizes[l]);
		printf(" ");
	}
	printf("  (%s)\n", HAVE_OURS ? "ours/peer; below 1 libchat stores less" :
		"libchat column: lib/crypto not built");
}

/* The machine's load average, to judge the noise of a run. */
static const char *loadavg(void)
{
	static char buf[64];
	FILE *f = fopen("/proc/loadavg", "r");

	snprintf(buf, sizeof buf, "?");
	if (f != NULL) {
		if (fgets(buf, sizeof buf, f) != NULL)
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
	return buf;
}

static void print_header(void)
{
	struct utsname u;
	char model[128] = "?";
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f != NULL) {
		char line[256];

		while (fgets(line, sizeof line, f) != NULL)
			if (strncmp(line, "model name", 10) == 0) {
				char *p = strchr(line, ':');

				if (p != NULL) {
					snprintf(model, sizeof model, "%s", p + 2);
					model[strcspn(model, "\n")] = 0;
				}
				break;
			}
		fclose(f);
	}
	uname(&u);
	printf("bench-crypto: %s %s, %s; median of %d rounds, libraries "
		"interleaved in %.0f ms slices, >= %.2f s each per row and "
		"round\n", u.sysname, u.machine, model, rounds, SLICE * 1e3,
		min_time);
	printf("  load average at start: %s (%ld CPUs online)\n", loadavg(),
		sysconf(_SC_NPROCESSORS_ONLN));
	for (size_t l = 0; l < NLIBS; l++)
		printf("  %-10s %s\n", libs[l]->name, libs[l]->describe());
	printf("  %-10s %s\n", bench_raw.name, bench_raw.describe());
	if (!HAVE_OURS)
		printf("  libchat    not built: lib/crypto is missing, so there "
			"is no libchat column and no ratio\n");
	printf("  op = encrypt + decrypt + compare (setup: one side's "
		"handshake work; ping-pong: one round trip, 2 DH ratchet "
		"steps; group: one sender, one receiver decrypting)\n");
	printf("  ratios: %s/peer, median of the per-round ratios\n\n",
		HAVE_OURS ? libs[0]->name : "ours");
}

static int parse_args(int argc, char **argv)
{
	int only = 0;

	for (size_t l = 0; l <= NLIBS; l++)
		active[l] = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--min-time") == 0 && i + 1 < argc)
			min_time = atof(argv[++i]);
		else if (strcmp(argv[i], "--quick") == 0) {
			rounds = 1;
			min_time = 0.05;
		} else if (strcmp(argv[i], "--verbose") == 0)
			verbose = 1;
		else if (strcmp(argv[i], "--lib") == 0 && i + 1 < argc) {
			const char *name = argv[++i];
			int found = 0;

			if (!only) /* the first --lib clears the default: all */
				memset(active, 0, sizeof active);
			only = 1;
			for (size_t l = 0; l <= NLIBS; l++)
				if (strcmp(name, l == RAW ? bench_raw.name :
					libs[l]->name) == 0)
					active[l] = found = 1;
			if (!found)
				return -1;
		} else
			return -1;
	}
	return rounds >= 1 && rounds <= MAX_ROUNDS && min_time > 0 ? 0 : -1;
}

static void prepare(const bench_lib *L, void *ctx)
{
	if (L->establish(ctx) < 0)
		die(L->name, "establish");
	if (L->group_establish != NULL && L->group_establish(ctx) < 0)
		die(L->name, "group establish");
}

int main(int argc, char **argv)
{
	slot slots[NLIBS + 1];
	long sess[NLIBS], group[NLIBS];

	if (parse_args(argc, argv) < 0) {
		fprintf(stderr, "usage: %s [--rounds N<=%d] [--min-time S] "
			"[--quick] [--verbose] [--lib NAME]...\n", argv[0],
			MAX_ROUNDS);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	bench_plaintext(pt100, sizeof pt100, 100);
	bench_plaintext(pt1k, sizeof pt1k, 1024);

	for (size_t l = 0; l <= NLIBS; l++) {
		slots[l].lib = l == RAW ? &bench_raw : libs[l];
		slots[l].ctx = slots[l].lib->create();
		if (slots[l].ctx == NULL)
			die(slots[l].lib->name, "create");
		prepare(slots[l].lib, slots[l].ctx);
		if (l < NLIBS) {
			sess[l] = libs[l]->session_size(slots[l].ctx);
			group[l] = libs[l]->group_session_size(slots[l].ctx);
		}
	}
	print_header();
	fflush(stdout);

	/* Each round starts with a different library. */
	for (int r = 0; r < rounds; r++) {
		size_t first = (size_t)r % NLIBS;

		measure_row(slots, NLIBS, first, ROW_SETUP_INIT);
		for (size_t l = 0; l < NLIBS; l++) {
			if (!active[l])
				continue;
			res[ROW_SETUP_INIT][l][r] = (double)slots[l].n / slots[l].t;
			res[ROW_SETUP_RESP][l][r] = (double)slots[l].n / slots[l].t2;
			/* Set-up replaced the sessions; make fresh ones. */
			prepare(libs[l], slots[l].ctx);
		}
		for (int row = ROW_EST_100; row < ROW_COUNT; row++) {
			size_t n = is_raw_row(row) ? NLIBS + 1 : NLIBS;

			measure_row(slots, n, first, row);
			for (size_t l = 0; l < n; l++)
				if (active[l])
					res[row][l][r] = (double)slots[l].n / slots[l].t;
		}
		fprintf(stderr, "round %d/%d done\n", r + 1, rounds);
	}

	for (int row = 0; row < ROW_COUNT; row++)
		print_row(row);
	print_size("session size", sess);
	print_size("group session size", group);
	printf("\nload average at end: %s\n", loadavg());
	for (size_t l = 0; l <= NLIBS; l++) {
		if (active[l] && slots[l].lib->notes != NULL)
			printf("%s\n", slots[l].lib->notes(slots[l].ctx));
		slots[l].lib->destroy(slots[l].ctx);
	}
	return 0;
}
