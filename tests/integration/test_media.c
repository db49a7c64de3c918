/* Integration: media over HTTP against a real chatd on 127.0.0.1. */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "tclient.h"

#define MAX_SIZE 300000
#define DAY_S (24 * 3600)

static tchatd D;
static unsigned phone_seq;

static void start(const char *const *extra)
{
	ck_assert_int_eq(tchatd_start(&D, "", extra), 0);
}

static void stop(void)
{
	ck_assert_int_eq(tchatd_stop(&D), 0);
	tchatd_cleanup(&D);
}

/* A registered client: its token comes from Register's Ack. */
static tclient *user(void)
{
	char phone[32];
	tclient *t = tc_connect(D.port, NULL, NULL);

	ck_assert_ptr_nonnull(t);
	snprintf(phone, sizeof phone, "+1556%07u%02u", phone_seq++,
		 (unsigned)getpid() % 100);
	ck_assert_int_eq(tc_register(t, phone, "correct horse"), 0);
	return t;
}

static void bearer(char *out, size_t cap, const uint8_t token[32])
{
	char hex[65];

	sodium_bin2hex(hex, sizeof hex, token, 32);
	snprintf(out, cap, "Authorization: Bearer %s\r\n", hex);
}

/* POST the bytes; the status, and the id from a 201 into id. */
static int upload(const char *auth, const void *p, size_t n, char id[65])
{
	char body[256], *q;
	int st = thttp(D.http_port, "POST", "/v1/media/upload", auth, p, n,
		       body, sizeof body);

	if (st == 201) {
		q = strstr(body, "{\"id\": \"");
		ck_assert_ptr_nonnull(q);
		ck_assert_int_eq(sscanf(q + 8, "%64[0-9a-f]", id), 1);
		ck_assert_uint_eq(strlen(id), 64);
	}
	return st;
}

static int download(const char *auth, const char *id, void *out, size_t cap,
		    size_t *n)
{
	char path[128];

	snprintf(path, sizeof path, "/v1/media/%.100s", id);
	return thttp_bin(D.http_port, "GET", path, auth, NULL, 0, out, cap, n);
}

static void blob_path(char *out, size_t cap, const char *id)
{
	snprintf(out, cap, "%s/media/%.2s/%s", D.dir, id, id);
}

static void hex_sha256(char out[65], const void *p, size_t n)
{
	uint8_t h[32];

	crypto_hash_sha256(h, p, n);
	sodium_bin2hex(out, 65, h, 32);
}

/* Only a header saying the body is too large: no body is ever sent. */
static int post_length_only(const char *auth, unsigned long long len)
{
	struct sockaddr_in a = { 0 };
	char req[512], resp[512];
	size_t got = 0;
	struct pollfd pfd;
	int fd = socket(AF_INET, SOCK_STREAM, 0), st = -1;

	ck_assert_int_ge(fd, 0);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)D.http_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	snprintf(req, sizeof req, "POST /v1/media/upload HTTP/1.1\r\n"
		 "Host: 127.0.0.1\r\nContent-Length: %llu\r\n%s\r\n", len,
		 auth);
	ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL),
			 (ssize_t)strlen(req));
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got < sizeof resp - 1 && poll(&pfd, 1, 5000) > 0) {
		ssize_t r = recv(fd, resp + got, sizeof resp - 1 - got, 0);

		if (r <= 0)
			break;
		got += (size_t)r;
		resp[got] = '\0';
		if (strstr(resp, "\r\n\r\n"))
			break;
	}
	resp[got] = '\0';
	close(fd);
	if (sscanf(resp, "HTTP/1.%*d %d", &st) != 1)
		st = -1;
	return st;
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static const char *const media_args[] = {
	"--media-max-size", "300000", "--media-sweep-interval-ms", "200", NULL
};

START_TEST(test_media_upload_download)
{
	tclient *a = user(), *b = user();
	char auth_a[128], auth_b[128], id[65], id2[65], want[65];
	char path[600];
	uint8_t *data = malloc(200000), *got = malloc(MAX_SIZE + 16);
	size_t n = 0;
	struct stat sb;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(got);
	randombytes_buf(data, 200000);
	data[10] = 0; /* binary, NULs included */
	bearer(auth_a, sizeof auth_a, a->token);
	bearer(auth_b, sizeof auth_b, b->token);

	/* upload: 201, the id is the SHA-256, stored content-addressed */
	ck_assert_int_eq(upload(auth_a, data, 200000, id), 201);
	hex_sha256(want, data, 200000);
	ck_assert_str_eq(id, want);
	blob_path(path, sizeof path, id);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 200000);

	/* any authenticated user downloads the same bytes */
	ck_assert_int_eq(download(auth_b, id, got, MAX_SIZE + 16, &n), 200);
	ck_assert_uint_eq(n, 200000);
	ck_assert_mem_eq(got, data, 200000);

	/* the same bytes again: the same id, one blob */
	ck_assert_int_eq(upload(auth_b, data, 200000, id2), 201);
	ck_assert_str_eq(id2, id);
	ck_assert_int_eq(upload(auth_a, "x", 1, id2), 201);
	hex_sha256(want, "x", 1);
	ck_assert_str_eq(id2, want);

	/* exactly the limit is accepted */
	data = realloc(data, MAX_SIZE);
	ck_assert_ptr_nonnull(data);
	randombytes_buf(data, MAX_SIZE);
	ck_assert_int_eq(upload(auth_a, data, MAX_SIZE, id2), 201);
	ck_assert_int_eq(download(auth_a, id2, got, MAX_SIZE + 16, &n), 200);
	ck_assert_uint_eq(n, MAX_SIZE);
	ck_assert_mem_eq(got, data, MAX_SIZE);

	/* an empty body is refused */
	ck_assert_int_eq(upload(auth_a, NULL, 0, id2), 400);
	/* nothing is left behind in tmp */
	snprintf(path, sizeof path, "%s/media/tmp", D.dir);
	ck_assert_int_eq(entries(path), 0);
	free(data);
	free(got);
	tc_free(a);
	tc_free(b);
}
END_TEST

START_TEST(test_media_refusals)
{
	tclient *a = user();
	lc_envelope e = LIBCHAT__ENVELOPE__INIT, *r;
	Libchat__Logout lo = LIBCHAT__LOGOUT__INIT;
	Libchat__MediaUploadRequest m = LIBCHAT__MEDIA_UPLOAD_REQUEST__INIT;
	char auth[128], bad[128], id[65], path[128], body[256];
	uint8_t tok[32], got[64];
	size_t n;

	bearer(auth, sizeof auth, a->token);
	ck_assert_int_eq(upload(auth, "hello", 5, id), 201);

	/* no token, another scheme, a malformed or wrong token: 401 */
	ck_assert_int_eq(upload(NULL, "hello", 5, id), 401);
	ck_assert_int_eq(download(NULL, id, got, sizeof got, &n), 401);
	ck_assert_int_eq(upload("Authorization: Basic eDp5\r\n", "hello", 5,
				id), 401);
	ck_assert_int_eq(upload("Authorization: Bearer 1234\r\n", "hello", 5,
				id), 401);
	memcpy(tok, a->token, 32);
	tok[5] ^= 1;
	bearer(bad, sizeof bad, tok);
	ck_assert_int_eq(upload(bad, "hello", 5, id), 401);
	ck_assert_int_eq(download(bad, id, got, sizeof got, &n), 401);
	ck_assert_int_eq(thttp(D.http_port, "GET", "/v1/media/upload", auth,
			       NULL, 0, body, sizeof body), 405);

	/* bad ids: 400; a well-formed id never stored: 404 */
	ck_assert_int_eq(download(auth, "xyz", got, sizeof got, &n), 400);
	ck_assert_int_eq(download(auth, "../../server.key", got, sizeof got,
				  &n), 400);
	for (size_t i = 0; i < 64; i++)
		path[i] = id[i] >= 'a' ? (char)(id[i] - 'a' + 'A') : id[i];
	path[64] = '\0';
	if (strcmp(path, id) != 0)
		ck_assert_int_eq(download(auth, path, got, sizeof got, &n),
				 400);
	memcpy(path, id, 65);
	path[63] = '\0';
	ck_assert_int_eq(download(auth, path, got, sizeof got, &n), 400);
	memset(path, '0', 64);
	path[64] = '\0';
	ck_assert_int_eq(download(auth, path, got, sizeof got, &n), 404);
	ck_assert_int_eq(download(auth, id, got, sizeof got, &n), 200);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(got, "hello", 5);

	/* over the limit: 413 from the header alone, before any body */
	ck_assert_int_eq(post_length_only(auth, MAX_SIZE + 1), 413);
	ck_assert_int_eq(post_length_only(auth, 1ull << 40), 413);

	/* the ticket advertises the configured limit */
	m.size = MAX_SIZE;
	e.body_case = LIBCHAT__ENVELOPE__BODY_MEDIA_UPLOAD;
	e.media_upload = &m;
	r = tc_answer(a, tc_send(a, &e), 5000);
	ck_assert_int_eq(tc_code(r), 0);
	ck_assert_uint_eq(r->ack->media->max_size, MAX_SIZE);
	ck_assert_str_eq(r->ack->media->upload_path, "/v1/media/upload");
	lc_envelope_free(r, NULL);
	m.size = MAX_SIZE + 1;
	r = tc_answer(a, tc_send(a, &e), 5000);
	ck_assert_int_eq(tc_code(r),
			 -LIBCHAT__ERROR_CODE__ERROR_MEDIA_TOO_LARGE);
	lc_envelope_free(r, NULL);

	/* after logout the token no longer opens media */
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGOUT;
	e.logout = &lo;
	r = tc_answer(a, tc_send(a, &e), 5000);
	ck_assert_int_eq(tc_code(r), 0);
	lc_envelope_free(r, NULL);
	ck_assert_int_eq(download(auth, id, got, sizeof got, &n), 401);
	ck_assert_int_eq(upload(auth, "hello", 5, id), 401);
	tc_free(a);
}
END_TEST

static void set_age(const char *path, time_t age_s)
{
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age_s;
	ts[1] = ts[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

START_TEST(test_media_sweep)
{
	tclient *a = user();
	char auth[128], old[65], fresh[65], p_old[600], p_fresh[600];
	char p_tmp[600];
	uint8_t got[64];
	size_t n;
	struct stat sb;
	int fd, gone = 0;

	bearer(auth, sizeof auth, a->token);
	ck_assert_int_eq(upload(auth, "old blob", 8, old), 201);
	ck_assert_int_eq(upload(auth, "fresh blob", 10, fresh), 201);
	blob_path(p_old, sizeof p_old, old);
	blob_path(p_fresh, sizeof p_fresh, fresh);

	/* a download restarts the retention clock */
	set_age(p_fresh, 29 * DAY_S);
	ck_assert_int_eq(download(auth, fresh, got, sizeof got, &n), 200);
	ck_assert_int_eq(stat(p_fresh, &sb), 0);
	ck_assert_int_ge(sb.st_mtime, time(NULL) - 60);

	/* a blob untouched for 31 days and a stale temporary file go */
	snprintf(p_tmp, sizeof p_tmp, "%s/media/tmp/1.1", D.dir);
	fd = open(p_tmp, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	set_age(p_tmp, 2 * 3600);
	set_age(p_old, 31 * DAY_S);
	for (int i = 0; i < 100 && !gone; i++) {
		usleep(50000);
		gone = !exists(p_old) && !exists(p_tmp);
	}
	ck_assert_msg(gone, "the sweep did not delete the old blob");
	ck_assert(exists(p_fresh));
	ck_assert_int_eq(download(auth, old, got, sizeof got, &n), 404);
	ck_assert_int_eq(download(auth, fresh, got, sizeof got, &n), 200);
	ck_assert_mem_eq(got, "fresh blob", 10);
	/* uploading it again brings it back */
	ck_assert_int_eq(upload(auth, "old blob", 8, fresh), 201);
	ck_assert_str_eq(fresh, old);
	ck_assert_int_eq(download(auth, old, got, sizeof got, &n), 200);
	tc_free(a);
}
END_TEST

/* ---- streaming: a chatd with a large limit */

/* AddressSanitizer keeps freed buffers in quarantine (256 MB by
 * default): RSS then says nothing about what is live, and the memory
 * bound is not checked (with ASAN_OPTIONS=quarantine_size_mb=1 it holds:
 * +1.3 MB for the 64 MiB upload). */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#define CHUNK (64u << 10)

static const char *const stream_args[] = {
	"--media-max-size", "134217728", NULL
};

static int dial(void)
{
	struct sockaddr_in a = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)D.http_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		ck_assert_int_gt(w, 0);
		b += w;
		n -= (size_t)w;
	}
}

/* An upload's head with a Content-Length header of its own (len). */
static int post_head(const char *auth, const char *len_header)
{
	char req[512];
	int fd = dial();

	snprintf(req, sizeof req, "POST /v1/media/upload HTTP/1.1\r\n"
		 "Host: 127.0.0.1\r\n%s%s\r\n", len_header, auth);
	send_all(fd, req, strlen(req));
	return fd;
}

/* Read the answer to its end: its status (-1 none), body in body. */
static int read_answer(int fd, char *body, size_t cap)
{
	char resp[4096], *b;
	size_t got = 0;
	struct pollfd pfd = { fd, POLLIN, 0 };
	int st = -1;

	while (got < sizeof resp - 1 && poll(&pfd, 1, 20000) > 0) {
		ssize_t r = recv(fd, resp + got, sizeof resp - 1 - got, 0);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	resp[got] = '\0';
	close(fd);
	if (sscanf(resp, "HTTP/1.%*d %d", &st) != 1)
		st = -1;
	b = strstr(resp, "\r\n\r\n");
	if (body && cap)
		snprintf(body, cap, "%s", b ? b + 4 : "");
	return st;
}

/* Chunk i of stream s: bytes fixed by (s, i). */
static void chunk(uint8_t *out, size_t n, unsigned s, uint64_t i)
{
	uint8_t seed[randombytes_SEEDBYTES] = { 0 };

	memcpy(seed, &i, sizeof i);
	memcpy(seed + 8, &s, sizeof s);
	randombytes_buf_deterministic(out, n, seed);
}

static long status_kb(const char *key)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)D.pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = atol(line + strlen(key) + 1);
	fclose(f);
	ck_assert_int_gt(v, 0);
	return v;
}

static void id_of(const char *body, char id[65])
{
	const char *q = strstr(body, "{\"id\": \"");

	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(sscanf(q + 8, "%64[0-9a-f]", id), 1);
	ck_assert_uint_eq(strlen(id), 64);
}

static void hex_final(crypto_hash_sha256_state *st, char out[65])
{
	uint8_t h[32];

	crypto_hash_sha256_final(st, h);
	sodium_bin2hex(out, 65, h, 32);
}

static int media_entries(void)
{
	char path[600];

	snprintf(path, sizeof path, "%s/media", D.dir);
	return entries(path);
}

static int tmp_entries(void)
{
	char path[600];

	snprintf(path, sizeof path, "%s/media/tmp", D.dir);
	return entries(path);
}

/* Wait until the temporary directory holds n files. */
static int tmp_reaches(int n)
{
	for (int i = 0; i < 200; i++) {
		if (tmp_entries() == n)
			return 1;
		usleep(20000);
	}
	return 0;
}

/* GET /v1/media/id on a raw socket, the body hashed as it arrives: the
 * status; the body's length and SHA-256 into n and hex. */
static int download_hashed(const char *auth, const char *id, uint64_t *n,
			   char hex[65])
{
	char req[512];
	uint8_t *buf = malloc(CHUNK);
	char head[1024];
	size_t hl = 0;
	struct pollfd pfd;
	crypto_hash_sha256_state st;
	int fd = dial(), status = -1;

	ck_assert_ptr_nonnull(buf);
	snprintf(req, sizeof req, "GET /v1/media/%s HTTP/1.1\r\nHost: h\r\n"
		 "%s\r\n", id, auth);
	send_all(fd, req, strlen(req));
	pfd.fd = fd;
	pfd.events = POLLIN;
	crypto_hash_sha256_init(&st);
	*n = 0;
	head[0] = '\0';
	while (poll(&pfd, 1, 20000) > 0) {
		ssize_t r = recv(fd, buf, CHUNK, 0);
		char *e;

		if (r <= 0)
			break;
		if (hl < sizeof head - 1 && !strstr(head, "\r\n\r\n")) {
			size_t k = (size_t)r < sizeof head - 1 - hl ?
				   (size_t)r : sizeof head - 1 - hl;
			size_t before = hl;

			memcpy(head + hl, buf, k);
			hl += k;
			head[hl] = '\0';
			e = strstr(head, "\r\n\r\n");
			if (e) {
				size_t body = (size_t)(e + 4 - head) - before;

				crypto_hash_sha256_update(&st, buf + body,
							  (size_t)r - body);
				*n += (size_t)r - body;
			}
			continue;
		}
		crypto_hash_sha256_update(&st, buf, (size_t)r);
		*n += (size_t)r;
	}
	close(fd);
	free(buf);
	if (sscanf(head, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
	hex_final(&st, hex);
	return status;
}

/* 64 MiB in one upload and one download: chatd's peak RSS grows by far
 * less than the body (it is never held in memory), and the blob is its
 * SHA-256. */
START_TEST(test_media_large_upload)
{
	const uint64_t total = 64u << 20;
	tclient *a = user();
	char auth[128], lenh[64], body[256], id[65], want[65], path[600];
	uint8_t *buf = malloc(CHUNK);
	crypto_hash_sha256_state st;
	long before, after;
	uint64_t got = 0;
	struct stat sb;
	int fd;

	ck_assert_ptr_nonnull(buf);
	bearer(auth, sizeof auth, a->token);
	before = status_kb("VmHWM:");
	snprintf(lenh, sizeof lenh, "Content-Length: %llu\r\n",
		 (unsigned long long)total);
	fd = post_head(auth, lenh);
	crypto_hash_sha256_init(&st);
	for (uint64_t i = 0; i < total / CHUNK; i++) {
		chunk(buf, CHUNK, 1, i);
		crypto_hash_sha256_update(&st, buf, CHUNK);
		send_all(fd, buf, CHUNK);
	}
	ck_assert_int_eq(read_answer(fd, body, sizeof body), 201);
	id_of(body, id);
	hex_final(&st, want);
	ck_assert_str_eq(id, want);
	blob_path(path, sizeof path, id);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, (off_t)total);
	after = status_kb("VmHWM:");
	fprintf(stderr, "media: 64 MiB upload, chatd VmHWM %ld kB -> %ld kB "
		"(VmRSS %ld kB)\n", before, after, status_kb("VmRSS:"));
#ifndef UNDER_ASAN
	/* the body would add 65536 kB; the read buffer is 256 kB */
	ck_assert_int_lt(after - before, 8192);
#endif
	ck_assert_int_eq(tmp_entries(), 0);
	/* and back: the same bytes, sent from the file */
	ck_assert_int_eq(download_hashed(auth, id, &got, want), 200);
	ck_assert_uint_eq(got, total);
	ck_assert_str_eq(want, id);
	fprintf(stderr, "media: 64 MiB download, chatd VmHWM %ld kB\n",
		status_kb("VmHWM:"));
#ifndef UNDER_ASAN
	ck_assert_int_lt(status_kb("VmHWM:") - before, 8192);
#endif
	free(buf);
	tc_free(a);
}
END_TEST

/* A body cut off midway: it reached the disk while arriving, and leaves
 * neither a blob nor a temporary file. */
START_TEST(test_media_cut_upload)
{
	tclient *a = user();
	char auth[128];
	uint8_t *buf = malloc(CHUNK);
	int fd;

	ck_assert_ptr_nonnull(buf);
	bearer(auth, sizeof auth, a->token);
	fd = post_head(auth, "Content-Length: 4194304\r\n");
	for (uint64_t i = 0; i < 16; i++) {
		chunk(buf, CHUNK, 2, i);
		send_all(fd, buf, CHUNK);
	}
	ck_assert_msg(tmp_reaches(1), "no temporary file while uploading");
	ck_assert_int_eq(media_entries(), 1); /* tmp only: no blob yet */
	close(fd);
	ck_assert_msg(tmp_reaches(0), "the temporary file stayed");
	ck_assert_int_eq(media_entries(), 1);
	/* the server keeps serving */
	ck_assert_int_eq(thttp(D.http_port, "GET", "/healthz", NULL, NULL, 0,
			       NULL, 0), 200);
	free(buf);
	tc_free(a);
}
END_TEST

/* Content-Length that does not match the body, or is not one number;
 * chunked bodies; no length at all. */
START_TEST(test_media_wrong_length)
{
	tclient *a = user();
	char auth[128], body[256], id[65], want[65];
	int fd;

	bearer(auth, sizeof auth, a->token);
	/* longer than the body, then the client stops sending: no blob */
	fd = post_head(auth, "Content-Length: 100\r\n");
	send_all(fd, "only forty bytes of a hundred announced.", 40);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	ck_assert_int_eq(read_answer(fd, body, sizeof body), -1);
	ck_assert_msg(tmp_reaches(0), "the temporary file stayed");
	ck_assert_int_eq(media_entries(), 1);
	/* shorter than the body: the blob is the announced bytes only */
	fd = post_head(auth, "Content-Length: 5\r\n");
	send_all(fd, "hello, and more", 15);
	ck_assert_int_eq(read_answer(fd, body, sizeof body), 201);
	id_of(body, id);
	hex_sha256(want, "hello", 5);
	ck_assert_str_eq(id, want);
	/* not a number, signed, two values, absent, chunked */
	fd = post_head(auth, "Content-Length: 5x\r\n");
	ck_assert_int_eq(read_answer(fd, NULL, 0), 400);
	fd = post_head(auth, "Content-Length: -5\r\n");
	ck_assert_int_eq(read_answer(fd, NULL, 0), 400);
	fd = post_head(auth, "Content-Length: 5\r\nContent-Length: 6\r\n");
	ck_assert_int_eq(read_answer(fd, NULL, 0), 400);
	fd = post_head(auth, "Content-Length: 99999999999999999999999\r\n");
	ck_assert_int_eq(read_answer(fd, NULL, 0), 400);
	fd = post_head(auth, "");
	ck_assert_int_eq(read_answer(fd, NULL, 0), 411);
	fd = post_head(auth, "Transfer-Encoding: chunked\r\n");
	send_all(fd, "5\r\nhello\r\n0\r\n\r\n", 15);
	ck_assert_int_eq(read_answer(fd, NULL, 0), 501);
	/* the same length twice is one length */
	fd = post_head(auth, "Content-Length: 5\r\nContent-Length: 5\r\n");
	send_all(fd, "hello", 5);
	ck_assert_int_eq(read_answer(fd, body, sizeof body), 201);
	ck_assert_int_eq(tmp_entries(), 0);
	tc_free(a);
}
END_TEST

#define N_CONC 6

/* Uploads interleaved on one worker: each gets its own blob. */
START_TEST(test_media_concurrent_uploads)
{
	const unsigned chunks = 24; /* 1.5 MiB each */
	tclient *a = user();
	char auth[128], lenh[64], body[256], id[65], want[N_CONC][65];
	uint8_t *buf = malloc(CHUNK);
	crypto_hash_sha256_state st[N_CONC];
	int fd[N_CONC];

	ck_assert_ptr_nonnull(buf);
	bearer(auth, sizeof auth, a->token);
	snprintf(lenh, sizeof lenh, "Content-Length: %u\r\n", chunks * CHUNK);
	for (int k = 0; k < N_CONC; k++) {
		fd[k] = post_head(auth, lenh);
		crypto_hash_sha256_init(&st[k]);
	}
	for (unsigned i = 0; i < chunks; i++)
		for (int k = 0; k < N_CONC; k++) {
			chunk(buf, CHUNK, 10 + (unsigned)k, i);
			crypto_hash_sha256_update(&st[k], buf, CHUNK);
			send_all(fd[k], buf, CHUNK);
		}
	for (int k = 0; k < N_CONC; k++)
		hex_final(&st[k], want[k]);
	for (int k = N_CONC - 1; k >= 0; k--) {
		ck_assert_int_eq(read_answer(fd[k], body, sizeof body), 201);
		id_of(body, id);
		ck_assert_str_eq(id, want[k]);
	}
	ck_assert_int_eq(tmp_entries(), 0);
	free(buf);
	tc_free(a);
}
END_TEST

/* The head's limit, Expect: 100-continue, HEAD and a stray method. */
START_TEST(test_media_http_edges)
{
	tclient *a = user();
	char auth[128], body[256], id[65], want[65], line[64];
	char *big = malloc(9000);
	size_t got = 0;
	struct pollfd pfd;
	int fd;

	ck_assert_ptr_nonnull(big);
	bearer(auth, sizeof auth, a->token);
	/* a head that never ends within 8 KiB */
	fd = dial();
	memcpy(big, "GET /healthz HTTP/1.1\r\nX: ", 26);
	memset(big + 26, 'a', 9000 - 26);
	send_all(fd, big, 9000);
	ck_assert_int_eq(read_answer(fd, NULL, 0), 431);
	/* 100 Continue comes before any body byte is sent */
	fd = post_head(auth, "Content-Length: 5\r\nExpect: 100-continue\r\n");
	pfd.fd = fd;
	pfd.events = POLLIN;
	line[0] = '\0';
	while (got < sizeof line - 1 && !strstr(line, "\r\n\r\n") &&
	       poll(&pfd, 1, 5000) > 0) {
		ssize_t r = recv(fd, line + got, sizeof line - 1 - got, 0);

		ck_assert_int_gt(r, 0);
		got += (size_t)r;
		line[got] = '\0';
	}
	ck_assert_str_eq(line, "HTTP/1.1 100 Continue\r\n\r\n");
	send_all(fd, "hello", 5);
	ck_assert_int_eq(read_answer(fd, body, sizeof body), 201);
	id_of(body, id);
	hex_sha256(want, "hello", 5);
	ck_assert_str_eq(id, want);
	/* HEAD: the head only */
	ck_assert_int_eq(thttp(D.http_port, "HEAD", "/healthz", NULL, NULL, 0,
			       body, sizeof body), 200);
	ck_assert_str_eq(body, "");
	ck_assert_int_eq(thttp(D.http_port, "DELETE", "/healthz", NULL, NULL,
			       0, body, sizeof body), 405);
	ck_assert_int_eq(thttp(D.http_port, "GET", "/metrics?x", NULL, NULL,
			       0, body, sizeof body), 200);
	free(big);
	tc_free(a);
}
END_TEST

/* A refused upload whose body is already on its way (a client that
 * reads the answer only once it has sent the body): every byte is
 * taken, then the answer is read, not a reset. */
START_TEST(test_media_refused_body_read)
{
	char lenh[64], body[256];
	uint8_t *buf = calloc(1, CHUNK);
	int fd;

	ck_assert_ptr_nonnull(buf);
	snprintf(lenh, sizeof lenh, "Content-Length: %u\r\n", 512 * CHUNK);
	fd = post_head("Authorization: Bearer 00\r\n", lenh);
	for (int i = 0; i < 512; i++) /* 32 MiB */
		send_all(fd, buf, CHUNK);
	ck_assert_int_eq(read_answer(fd, body, sizeof body), 401);
	ck_assert_ptr_nonnull(strstr(body, "malformed token"));
	ck_assert_int_eq(tmp_entries(), 0);
	free(buf);
}
END_TEST

static void setup_stream(void)
{
	start(stream_args);
}

static void setup(void)
{
	start(media_args);
}

static Suite *suite(void)
{
	Suite *s = suite_create("media");
	TCase *tc = tcase_create("media");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, stop);
	tcase_add_test(tc, test_media_upload_download);
	tcase_add_test(tc, test_media_refusals);
	tcase_add_test(tc, test_media_sweep);
	suite_add_tcase(s, tc);
	tc = tcase_create("stream");
	tcase_set_timeout(tc, 240);
	tcase_add_checked_fixture(tc, setup_stream, stop);
	tcase_add_test(tc, test_media_large_upload);
	tcase_add_test(tc, test_media_cut_upload);
	tcase_add_test(tc, test_media_wrong_length);
	tcase_add_test(tc, test_media_concurrent_uploads);
	tcase_add_test(tc, test_media_http_edges);
	tcase_add_test(tc, test_media_refused_body_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	if (sodium_init() < 0)
		return 1;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
