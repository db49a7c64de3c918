/* Integration: two libchat sessions on the libevent driver send a file
 * end to end through a real chatd: encrypted and uploaded over HTTP, the
 * pointer sent in an end-to-end message, downloaded, checked, decrypted. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include <libchat/client_event.h>

#include "tclient.h"

static tchatd D;

typedef struct peer {
	char dir[64];
	lc_client *c;
	lc_client_event *ev;
	int state;
	int done_code;
	int n_msgs;
	lc_client_media media;   /* the last file received */
	int got_media;
} peer;

static struct event_base *base;
static int transfers, last_code;
static lc_client_media uploaded;
static char downloaded[600];

static void on_state(int state, int reason, void *ud)
{
	peer *p = ud;

	(void)reason;
	p->state = state;
}

static void on_done(int op, int code, const uint8_t *id, void *ud)
{
	peer *p = ud;

	(void)op;
	(void)id;
	p->done_code = code;
}

static void on_message(const lc_client_message *m, void *ud)
{
	peer *p = ud;

	p->n_msgs++;
	if (m->media) {
		ck_assert_int_eq(m->kind, LC_CLIENT_KIND_MEDIA);
		p->media = *m->media;
		p->got_media = 1;
	}
}

static const lc_client_callbacks callbacks = {
	.version = LC_CLIENT_CONFIG_VERSION,
	.state = on_state,
	.message = on_message,
	.done = on_done,
};

static uint64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

/* Every 10 ms: the longest time the loop went without running it. */
static uint64_t last_tick, max_gap;

static void tick(evutil_socket_t fd, short what, void *arg)
{
	uint64_t now = now_ms();

	(void)fd;
	(void)what;
	(void)arg;
	if (last_tick && now - last_tick > max_gap)
		max_gap = now - last_tick;
	last_tick = now;
}

/* Run the loop until *flag is set or ms pass. */
static int run_until(const int *flag, int ms)
{
	for (int i = 0; i < ms / 10 && !*flag; i++)
		event_base_loop(base, EVLOOP_ONCE);
	return *flag;
}

static void peer_open(peer *p, int http)
{
	lc_client_config cfg = { 0 };
	lc_client_event_config ec = { 0 };

	memset(p, 0, sizeof *p);
	strcpy(p->dir, "/tmp/lc-cmedia-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(p->dir));
	cfg.version = LC_CLIENT_CONFIG_VERSION;
	cfg.store_dir = p->dir;
	ck_assert_int_eq(lc_client_new(&p->c, &cfg, &callbacks, p), 0);
	ec.version = LC_CLIENT_EVENT_CONFIG_VERSION;
	ec.host = "127.0.0.1";
	ec.port = (uint16_t)D.port;
	ec.http_port = http ? (uint16_t)D.http_port : 0;
	ck_assert_int_eq(lc_client_event_new(&p->ev, base, p->c, &ec), 0);
	ck_assert_int_eq(lc_client_event_start(p->ev), 0);
}

static void peer_register(peer *p, const char *phone)
{
	int connected = 0, ready = 0;

	for (int i = 0; i < 500 && !connected; i++) {
		event_base_loop(base, EVLOOP_ONCE);
		connected = p->state == LC_CLIENT_CONNECTED;
	}
	ck_assert(connected);
	ck_assert_int_eq(lc_client_register(p->c, phone, NULL, "someone",
					    "correct horse", now_ms()), 0);
	lc_client_event_kick(p->ev);
	for (int i = 0; i < 1000 && !ready; i++) {
		event_base_loop(base, EVLOOP_ONCE);
		ready = p->state == LC_CLIENT_READY;
	}
	ck_assert_msg(ready, "state %d code %d", p->state, p->done_code);
}

static void peer_close(peer *p)
{
	char cmd[128];

	lc_client_event_free(p->ev);
	lc_client_free(p->c);
	snprintf(cmd, sizeof cmd, "rm -rf %s", p->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void on_upload(int code, const lc_client_media *m, void *ud)
{
	(void)ud;
	last_code = code;
	if (code == 0)
		uploaded = *m;
	else
		ck_assert_ptr_null(m);
	transfers++;
}

static void on_download(int code, const char *path, void *ud)
{
	(void)ud;
	last_code = code;
	snprintf(downloaded, sizeof downloaded, "%s", code ? "" : path);
	transfers++;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long len;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	b = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return b;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* Upload path as bob; the code given to the callback. */
static int upload(peer *bob, const char *path, const char *mime,
		  const char *caption)
{
	int before = transfers, rc, flag;

	rc = lc_client_event_upload(bob->ev, path, mime, NULL, caption,
				    on_upload, NULL);
	if (rc)
		return rc;
	for (int i = 0; i < 1000 && transfers == before; i++)
		event_base_loop(base, EVLOOP_ONCE);
	flag = transfers > before;
	ck_assert(flag);
	return last_code;
}

static int download(peer *alice, const lc_client_media *m, const char *to)
{
	int before = transfers, rc;

	rc = lc_client_event_download(alice->ev, m, to, on_download, NULL);
	if (rc)
		return rc;
	for (int i = 0; i < 1000 && transfers == before; i++)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_gt(transfers, before);
	return last_code;
}

START_TEST(test_send_file_end_to_end)
{
	peer alice, bob;
	struct event *t;
	struct timeval tv = { 0, 10000 };
	char src[128], dst[128], part[140], blob[600], hex[65];
	uint8_t *data, *got;
	size_t n = 3 * LC_MEDIA_CHUNK + 1000, gn = 0;
	lc_client_media bad;
	uint8_t id[16];

	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	t = event_new(base, -1, EV_PERSIST, tick, NULL);
	event_add(t, &tv);
	peer_open(&alice, 1);
	peer_open(&bob, 1);
	peer_register(&alice, "+15557000001");
	peer_register(&bob, "+15557000002");

	/* Bob's file: 4 chunks of random bytes */
	data = malloc(n);
	ck_assert_ptr_nonnull(data);
	randombytes_buf(data, n);
	snprintf(src, sizeof src, "%s/photo.png", bob.dir);
	spit(src, data, n);
	ck_assert_int_eq(upload(&bob, src, "image/png", "the lake"), 0);
	ck_assert_str_eq(uploaded.file_name, "photo.png");
	ck_assert_uint_eq(uploaded.size, n);
	/* chatd names the blob by the digest of the ciphertext */
	sodium_bin2hex(hex, sizeof hex, uploaded.digest, 32);
	ck_assert_str_eq(uploaded.id, hex);
	snprintf(blob, sizeof blob, "%s/media/%.2s/%s", D.dir, hex, hex);
	ck_assert(exists(blob));
	got = slurp(blob, &gn);
	ck_assert_uint_eq(gn, lc_media_ciphertext_size(n));
	ck_assert(memmem(got, gn, data, 64) == NULL); /* not in the clear */
	free(got);

	/* the pointer travels end to end */
	ck_assert_int_eq(lc_client_send_media(bob.c, lc_client_user_id(alice.c),
					      &uploaded, id, now_ms()), 0);
	lc_client_event_kick(bob.ev);
	ck_assert(run_until(&alice.got_media, 10000));
	ck_assert_mem_eq(&alice.media, &uploaded, sizeof uploaded);

	/* Alice downloads, checks and decrypts: the same bytes */
	snprintf(dst, sizeof dst, "%s/photo.png", alice.dir);
	snprintf(part, sizeof part, "%s.part", dst);
	ck_assert_int_eq(download(&alice, &alice.media, dst), 0);
	ck_assert_str_eq(downloaded, dst);
	got = slurp(dst, &gn);
	ck_assert_uint_eq(gn, n);
	ck_assert_mem_eq(got, data, n);
	free(got);
	ck_assert(!exists(part));

	/* a wrong digest, a wrong key, an unknown id: nothing is left */
	unlink(dst);
	bad = alice.media;
	bad.digest[0] ^= 1;
	ck_assert_int_eq(download(&alice, &bad, dst), LC_ERR_MEDIA_DIGEST);
	ck_assert(!exists(dst) && !exists(part));
	bad = alice.media;
	bad.key[0] ^= 1;
	ck_assert_int_eq(download(&alice, &bad, dst), LC_ERR_MEDIA_KEY);
	ck_assert(!exists(dst) && !exists(part));
	bad = alice.media;
	memset(bad.id, 'a', 64);
	ck_assert_int_eq(download(&alice, &bad, dst), LC_ERR_NOT_FOUND);
	ck_assert(!exists(dst) && !exists(part));

	/* an empty file; a file that does not exist */
	snprintf(src, sizeof src, "%s/empty", bob.dir);
	spit(src, data, 0);
	ck_assert_int_eq(upload(&bob, src, NULL, NULL), 0);
	ck_assert_uint_eq(uploaded.size, 0);
	ck_assert_int_eq(download(&alice, &uploaded, dst), 0);
	got = slurp(dst, &gn);
	ck_assert_uint_eq(gn, 0);
	free(got);
	snprintf(src, sizeof src, "%s/missing", bob.dir);
	ck_assert_int_eq(upload(&bob, src, NULL, NULL), LC_ERR_IO);
	ck_assert_int_eq(lc_client_event_upload(bob.ev, src, "bad\n", NULL,
						NULL, on_upload, NULL),
			 LC_ERR_INVALID_ARG);

	free(data);
	peer_close(&alice);
	peer_close(&bob);
	event_free(t);
	event_base_free(base);
}
END_TEST

START_TEST(test_no_http_address)
{
	peer p;
	lc_client_media m;

	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	peer_open(&p, 0);
	memset(&m, 0, sizeof m);
	strcpy(m.id, "abc");
	ck_assert_int_eq(lc_client_event_upload(p.ev, "/etc/hostname", NULL,
						NULL, NULL, on_upload, NULL),
			 LC_ERR_INVALID_STATE);
	ck_assert_int_eq(lc_client_event_download(p.ev, &m, "/tmp/x",
						  on_download, NULL),
			 LC_ERR_INVALID_STATE);
	peer_close(&p);
	event_base_free(base);
}
END_TEST


/* A large upload runs on the loop: the loop keeps turning (no long stall
 * inside lc_client_event_upload()), and a message sent meanwhile arrives
 * before the upload ends. */
START_TEST(test_upload_does_not_stall_the_loop)
{
	peer alice, bob;
	struct event *t;
	struct timeval tv = { 0, 10000 };
	char src[128];
	size_t n = 48u << 20;
	uint8_t *data, id[16];
	uint64_t t0, total;
	int before, msgs_at_end = -1;
	FILE *f;

	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	t = event_new(base, -1, EV_PERSIST, tick, NULL);
	event_add(t, &tv);
	peer_open(&alice, 1);
	peer_open(&bob, 1);
	peer_register(&alice, "+15557000011");
	peer_register(&bob, "+15557000012");
	snprintf(src, sizeof src, "%s/big.bin", bob.dir);
	data = malloc(1u << 20);
	ck_assert_ptr_nonnull(data);
	randombytes_buf(data, 1u << 20);
	f = fopen(src, "wb");
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n >> 20; i++)
		ck_assert_uint_eq(fwrite(data, 1, 1u << 20, f), 1u << 20);
	fclose(f);
	free(data);

	before = transfers;
	last_tick = max_gap = 0;
	t0 = now_ms();
	last_tick = t0;
	ck_assert_int_eq(lc_client_event_upload(bob.ev, src, NULL, NULL, NULL,
						on_upload, NULL), 0);
	ck_assert_int_eq(lc_client_send_text(alice.c,
					     lc_client_user_id(bob.c), "meanwhile",
					     9, id, now_ms()), 0);
	lc_client_event_kick(alice.ev);
	for (int i = 0; i < 6000 && transfers == before; i++) {
		event_base_loop(base, EVLOOP_ONCE);
		if (bob.n_msgs && msgs_at_end < 0)
			msgs_at_end = transfers - before; /* 0: still uploading */
	}
	total = now_ms() - t0;
	ck_assert_int_gt(transfers, before);
	ck_assert_int_eq(last_code, 0);
	ck_assert_uint_eq(uploaded.size, n);
	ck_assert_msg(msgs_at_end == 0, "the message came after the upload");
	/* the loop never stopped for a long stretch of the upload */
	ck_assert_msg(max_gap < 250 && max_gap * 4 < total,
		      "loop stalled %llu ms of %llu ms",
		      (unsigned long long)max_gap, (unsigned long long)total);
	fprintf(stderr, "upload of %zu MiB: %llu ms, longest stall %llu ms\n",
		n >> 20, (unsigned long long)total,
		(unsigned long long)max_gap);
	ck_assert_int_eq(bob.state, LC_CLIENT_READY);
	unlink(src);
	peer_close(&alice);
	peer_close(&bob);
	event_free(t);
	event_base_free(base);
}
END_TEST

/* chatd takes at most 1 MiB (ciphertext): a larger file is refused by
 * the ticket before anything is encrypted or sent (a 256 MiB file ends
 * at once), a smaller one goes through. */
START_TEST(test_upload_over_the_limit)
{
	peer bob;
	char src[128], blob[600];
	uint64_t t0, took;
	int fd;
	uint8_t small[1000];

	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	peer_open(&bob, 1);
	peer_register(&bob, "+15557000021");
	snprintf(src, sizeof src, "%s/huge.bin", bob.dir);
	fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 256 << 20), 0); /* sparse */
	close(fd);
	t0 = now_ms();
	ck_assert_int_eq(upload(&bob, src, NULL, NULL),
			 LC_ERR_MEDIA_TOO_LARGE);
	took = now_ms() - t0;
	ck_assert_msg(took < 1000, "refused after %llu ms",
		      (unsigned long long)took);
	unlink(src);

	/* the limit counts ciphertext: a file whose ciphertext is just over */
	snprintf(src, sizeof src, "%s/edge.bin", bob.dir);
	fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(1u << 20) - 100), 0);
	close(fd);
	ck_assert_int_eq(upload(&bob, src, NULL, NULL),
			 LC_ERR_MEDIA_TOO_LARGE);

	snprintf(src, sizeof src, "%s/small.bin", bob.dir);
	randombytes_buf(small, sizeof small);
	spit(src, small, sizeof small);
	ck_assert_int_eq(upload(&bob, src, NULL, NULL), 0);
	snprintf(blob, sizeof blob, "%s/media/%.2s/%s", D.dir, uploaded.id,
		 uploaded.id);
	ck_assert(exists(blob));
	peer_close(&bob);
	event_base_free(base);
}
END_TEST

/* An upload waiting for its ticket: freeing the driver withdraws it
 * without a callback; stopping the connection ends it with
 * LC_ERR_NOT_CONNECTED. */
START_TEST(test_upload_cancelled)
{
	peer bob;
	char src[128];
	uint8_t small[1000];
	int before;

	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	peer_open(&bob, 1);
	peer_register(&bob, "+15557000031");
	snprintf(src, sizeof src, "%s/small.bin", bob.dir);
	randombytes_buf(small, sizeof small);
	spit(src, small, sizeof small);

	before = transfers;
	ck_assert_int_eq(lc_client_event_upload(bob.ev, src, NULL, NULL, NULL,
						on_upload, NULL), 0);
	lc_client_event_stop(bob.ev);
	ck_assert_int_eq(transfers, before + 1);
	ck_assert_int_eq(last_code, LC_ERR_NOT_CONNECTED);
	ck_assert_int_eq(lc_client_event_start(bob.ev), 0);
	for (int i = 0; i < 1000 && bob.state != LC_CLIENT_READY; i++)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_int_eq(bob.state, LC_CLIENT_READY);

	before = transfers;
	ck_assert_int_eq(lc_client_event_upload(bob.ev, src, NULL, NULL, NULL,
						on_upload, NULL), 0);
	lc_client_event_free(bob.ev);
	bob.ev = NULL;
	lc_client_disconnected(bob.c, now_ms());
	for (int i = 0; i < 20; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(transfers, before);
	peer_close(&bob);
	event_base_free(base);
}
END_TEST

static void setup_small(void)
{
	static const char *const extra[] = { "--media-max-size", "1048576",
					     NULL };

	ck_assert_int_eq(tchatd_start(&D, "", extra), 0);
}

static void setup(void)
{
	ck_assert_int_eq(tchatd_start(&D, "", NULL), 0);
}

static void teardown(void)
{
	ck_assert_int_eq(tchatd_stop(&D), 0);
	tchatd_cleanup(&D);
}

int main(void)
{
	Suite *s = suite_create("client-media");
	TCase *tc = tcase_create("client-media");
	SRunner *sr;
	int failed;

	if (sodium_init() < 0)
		return 1;
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_send_file_end_to_end);
	tcase_add_test(tc, test_no_http_address);
	tcase_add_test(tc, test_upload_does_not_stall_the_loop);
	tcase_add_test(tc, test_upload_cancelled);
	suite_add_tcase(s, tc);
	tc = tcase_create("client-media-limit");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup_small, teardown);
	tcase_add_test(tc, test_upload_over_the_limit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
