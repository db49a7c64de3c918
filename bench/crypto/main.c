/*
 * bench/crypto: libchat's end-to-end encryption side by side with
 * libsignal-protocol-c and libolm, plus the raw AEAD limit, in one run on the
 * same inputs. See bench/README.md for what each row measures.
 *
 * Usage: bench-crypto [--rounds N] [--min-time SECONDS] [--quick] [--verbose]
 */
#include "bench.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

enum row {
	ROW_SETUP_INIT,
	ROW_SETUP_RESP,
	ROW_EST_100,
	ROW_EST_1K,
	ROW_EST_100_PERSIST,
	ROW_PINGPONG,
	ROW_GROUP_100,
	ROW_GROUP_1K,
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
};

/* The library whose figures are divided by every other's ("ours"). */
static const bench_lib *const libs[] = {
#ifdef BENCH_HAVE_LIBCHAT
	&bench_libchat,
#endif
	&bench_signal,
	&bench_olm,
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
	default:
		return -1;
	}
}

/* Operations per second of @p row, over at least min_time seconds; batches
 * grow until one takes 10 ms so reading the clock costs nothing. */
static double measure(const bench_lib *L, void *ctx, int row)
{
	double total = 0;
	unsigned long iters = 0, batch = 1;

	if (run_op(L, ctx, row) < 0) /* warm-up */
		die(L->name, row_names[row]);
	while (total < min_time) {
		double t0 = bench_now(), t1;

		for (unsigned long i = 0; i < batch; i++)
			if (run_op(L, ctx, row) < 0)
				die(L->name, row_names[row]);
		t1 = bench_now();
		total += t1 - t0;
		iters += batch;
		if (t1 - t0 < 0.01)
			batch *= 2;
	}
	return (double)iters / total;
}

/* Set-up: both sides' rates from the same handshakes. */
static void measure_setup(const bench_lib *L, void *ctx, double *init,
	double *resp)
{
	double ti = 0, tr = 0;
	unsigned long n = 0;

	if (L->setup(ctx, pt100, sizeof pt100, &ti, &tr) < 0)
		die(L->name, "session set-up");
	ti = tr = 0;
	while (ti < min_time || tr < min_time) {
		if (L->setup(ctx, pt100, sizeof pt100, &ti, &tr) < 0)
			die(L->name, "session set-up");
		n++;
	}
	*init = (double)n / ti;
	*resp = (double)n / tr;
}

/* The physical limit: libsodium's AEAD alone, same plaintexts, fresh nonce
 * per message, decrypt checked. */
typedef struct raw_aead {
	const char *name;
	size_t npub;
	int (*enc)(unsigned char *, unsigned long long *, const unsigned char *,
		unsigned long long, const unsigned char *, unsigned long long,
		const unsigned char *, const unsigned char *,
		const unsigned char *);
	int (*dec)(unsigned char *, unsigned long long *, unsigned char *,
		const unsigned char *, unsigned long long, const unsigned char *,
		unsigned long long, const unsigned char *,
		const unsigned char *);
} raw_aead;

static const raw_aead raw_algs[] = {
	{ "chacha20poly1305-ietf", crypto_aead_chacha20poly1305_IETF_NPUBBYTES,
	  crypto_aead_chacha20poly1305_ietf_encrypt,
	  crypto_aead_chacha20poly1305_ietf_decrypt },
	{ "xchacha20poly1305-ietf", crypto_aead_xchacha20poly1305_IETF_NPUBBYTES,
	  crypto_aead_xchacha20poly1305_ietf_encrypt,
	  crypto_aead_xchacha20poly1305_ietf_decrypt },
};
#ifndef BENCH_RAW_AEAD
#define BENCH_RAW_AEAD 0
#endif
static const raw_aead *raw = &raw_algs[BENCH_RAW_AEAD];

static double measure_raw(const uint8_t *pt, size_t len)
{
	static uint8_t key[32], nonce[24], ct[BENCH_MAX_PLAINTEXT + 16],
		out[BENCH_MAX_PLAINTEXT];
	double total = 0;
	unsigned long iters = 0, batch = 1;
	unsigned long long n;

	randombytes_buf(key, sizeof key);
	while (total < min_time) {
		double t0 = bench_now(), t1;

		for (unsigned long i = 0; i < batch; i++) {
			sodium_increment(nonce, raw->npub);
			raw->enc(ct, &n, pt, len, NULL, 0, NULL, nonce, key);
			if (raw->dec(out, &n, NULL, ct, n, NULL, 0, nonce,
				key) != 0 || n != len || memcmp(out, pt, len) != 0)
				die("raw-aead", "decrypt");
		}
		t1 = bench_now();
		total += t1 - t0;
		iters += batch;
		if (t1 - t0 < 0.01)
			batch *= 2;
	}
	return (double)iters / total;
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

static double res[ROW_COUNT][NLIBS][MAX_ROUNDS];
static double raw_res[2][MAX_ROUNDS];

static void print_row(int row, const double *raw_med)
{
	double ours = HAVE_OURS ? median(res[row][0], rounds) : 0;

	printf("%-19s", row_names[row]);
	for (size_t l = 0; l < NLIBS; l++) {
		double m = median(res[row][l], rounds);

		printf("  %s %.0f op/s", libs[l]->name, m);
		if (HAVE_OURS && l > 0)
			printf("  %.2fx", ours / m);
		printf(" ");
	}
	if (raw_med != NULL) {
		printf("  raw-aead %.0f op/s", *raw_med);
		if (HAVE_OURS)
			printf("  (%s at %.2f of raw)", libs[0]->name,
				ours / *raw_med);
	}
	if (!HAVE_OURS)
		printf("  (libchat column: lib/crypto not built)");
	printf("\n");
	if (verbose) {
		for (size_t l = 0; l < NLIBS; l++) {
			printf("    %-10s", libs[l]->name);
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
		printf("  %s %ld B", libs[l]->name, sizes[l]);
		if (HAVE_OURS && l > 0 && sizes[l] > 0)
			printf("  %.2fx", (double)sizes[0] / (double)sizes[l]);
		printf(" ");
	}
	printf("  (%s)\n", HAVE_OURS ? "ours/peer; below 1 libchat stores less" :
		"libchat column: lib/crypto not built");
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
	printf("bench-crypto: %s %s, %s; median of %d alternating rounds, "
		">= %.2f s per measurement\n", u.sysname, u.machine, model,
		rounds, min_time);
	for (size_t l = 0; l < NLIBS; l++)
		printf("  %-10s %s\n", libs[l]->name, libs[l]->describe());
	printf("  %-10s libsodium %s crypto_aead_%s, no ratchet\n", "raw-aead",
		sodium_version_string(), raw->name);
	if (!HAVE_OURS)
		printf("  libchat    not built: lib/crypto is missing, so there "
			"is no libchat column and no ratio\n");
	printf("  op = encrypt + decrypt + compare (setup: one side's "
		"handshake work; ping-pong: one round trip, 2 DH ratchet "
		"steps; group: one sender, one receiver decrypting)\n");
	printf("  ratios are %s/peer\n\n", HAVE_OURS ? libs[0]->name : "ours");
}

static int parse_args(int argc, char **argv)
{
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
		else
			return -1;
	}
	return rounds >= 1 && rounds <= MAX_ROUNDS && min_time > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	void *ctx[NLIBS];
	long sess[NLIBS], group[NLIBS];
	double raw_med[2];

	if (parse_args(argc, argv) < 0) {
		fprintf(stderr, "usage: %s [--rounds N<=%d] [--min-time S] "
			"[--quick] [--verbose]\n", argv[0], MAX_ROUNDS);
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	bench_plaintext(pt100, sizeof pt100, 100);
	bench_plaintext(pt1k, sizeof pt1k, 1024);

	for (size_t l = 0; l < NLIBS; l++) {
		ctx[l] = libs[l]->create();
		if (ctx[l] == NULL)
			die(libs[l]->name, "create");
		if (libs[l]->establish(ctx[l]) < 0)
			die(libs[l]->name, "establish");
		if (libs[l]->group_establish(ctx[l]) < 0)
			die(libs[l]->name, "group establish");
		sess[l] = libs[l]->session_size(ctx[l]);
		group[l] = libs[l]->group_session_size(ctx[l]);
	}
	print_header();
	fflush(stdout);

	/* Rounds alternate the libraries, and each round starts with a
	 * different one, so drift in machine load spreads over all. */
	for (int r = 0; r < rounds; r++) {
		for (size_t k = 0; k < NLIBS; k++) {
			size_t l = (k + (size_t)r) % NLIBS;

			measure_setup(libs[l], ctx[l], &res[ROW_SETUP_INIT][l][r],
				&res[ROW_SETUP_RESP][l][r]);
			/* Set-up replaced the session; make a fresh one. */
			if (libs[l]->establish(ctx[l]) < 0)
				die(libs[l]->name, "establish");
		}
		for (int row = ROW_EST_100; row < ROW_COUNT; row++) {
			for (size_t k = 0; k < NLIBS; k++) {
				size_t l = (k + (size_t)r) % NLIBS;

				res[row][l][r] = measure(libs[l], ctx[l], row);
			}
			if (row == ROW_EST_100)
				raw_res[0][r] = measure_raw(pt100, sizeof pt100);
			if (row == ROW_EST_1K)
				raw_res[1][r] = measure_raw(pt1k, sizeof pt1k);
		}
		fprintf(stderr, "round %d/%d done\n", r + 1, rounds);
	}

	raw_med[0] = median(raw_res[0], rounds);
	raw_med[1] = median(raw_res[1], rounds);
	for (int row = 0; row < ROW_COUNT; row++)
		print_row(row, row == ROW_EST_100 ? &raw_med[0] :
			row == ROW_EST_1K ? &raw_med[1] : NULL);
	print_size("session size", sess);
	print_size("group session size", group);
	printf("\n");
	for (size_t l = 0; l < NLIBS; l++) {
		if (libs[l]->notes != NULL)
			printf("%s\n", libs[l]->notes(ctx[l]));
		libs[l]->destroy(ctx[l]);
	}
	return 0;
}
