/* Media over HTTP: content-addressed ciphertext blobs under DATA/media.
 *
 * POST /v1/media/upload stores the request body as DATA/media/XX/HEX where
 * HEX is the SHA-256 of the body and XX its first two digits; GET
 * /v1/media/HEX serves it. Both need a live login token (Authorization:
 * Bearer HEX). A blob's mtime is its last access (set on upload and on
 * every download); a periodic sweep deletes blobs not accessed for
 * media_retention_days. The server cannot tell which messages refer to a
 * blob (they are end-to-end encrypted), so retention is by last access. */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "chatd.h"

#define HEX_ID_LEN 64
#define TMP_MAX_AGE_S (3600)

struct chatd_media {
	const chatd_config *cfg;
	lc_server *srv;
	void (*end_turn)(void *);
	void *arg;
	struct event *sweep_ev;
	char dir[CHATD_PATH_MAX + 8];   /* DATA/media */
};

static void reply(struct evhttp_request *req, int code, const char *reason,
		  const char *msg)
{
	struct evbuffer *b = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(h, "Content-Type", "application/json");
	if (code == 401)
		evhttp_add_header(h, "WWW-Authenticate", "Bearer");
	evbuffer_add_printf(b, "{\"error\": \"%s\"}\n", msg);
	evhttp_send_reply(req, code, reason, b);
	chatd_metrics_http(code);
	evbuffer_free(b);
}

static int mkdir_p(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	chatd_log(LC_SERVER_LOG_ERROR, "media_mkdir_failed", "path=%s err=\"%s\"",
		  path, strerror(errno));
	return -1;
}

/* 1 for exactly 64 lowercase hex digits. */
static int hex_id_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= HEX_ID_LEN ||
		    !((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == HEX_ID_LEN;
}

/* 0 when the request carries a live token (its device in uid, dev);
 * otherwise the reply was sent. */
static int authenticate(chatd_media *m, struct evhttp_request *req,
			char uid[LC_SERVER_USER_ID_SIZE], uint32_t *dev)
{
	const char *a = evhttp_find_header(evhttp_request_get_input_headers(req),
					   "Authorization");
	uint8_t token[LC_SERVER_TOKEN_LEN];
	size_t n = 0;
	const char *end;
	int rc;

	if (a == NULL || strncasecmp(a, "Bearer ", 7) != 0) {
		reply(req, 401, "Unauthorized", "a bearer token is required");
		return -1;
	}
	a += 7;
	while (*a == ' ')
		a++;
	if (strlen(a) != 2 * LC_SERVER_TOKEN_LEN ||
	    sodium_hex2bin(token, sizeof token, a, strlen(a), NULL, &n,
			   &end) != 0 || n != sizeof token || *end) {
		reply(req, 401, "Unauthorized", "malformed token");
		return -1;
	}
	rc = lc_server_token_verify(m->srv, token, n, chatd_now_ms(), uid,
				    dev);
	sodium_memzero(token, sizeof token);
	m->end_turn(m->arg); /* the read ends here: no store lock held */
	if (rc == 0)
		return 0;
	if (rc == LC_ERR_AUTH_FAILED || rc == LC_ERR_TOKEN_EXPIRED) {
		reply(req, 401, "Unauthorized", rc == LC_ERR_TOKEN_EXPIRED ?
		      "token expired or revoked" : "unknown token");
	} else {
		chatd_log(LC_SERVER_LOG_ERROR, "media_auth_failed",
			  "code=%d err=\"%s\"", rc, lc_strerror(rc));
		reply(req, 503, "Service Unavailable", "store unavailable");
	}
	return -1;
}

static int write_all(int fd, const uint8_t *p, size_t left)
{
	while (left) {
		ssize_t w = write(fd, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		left -= (size_t)w;
	}
	return 0;
}

/* Write every byte of buf to fd while hashing it, chain by chain with no
 * copy. 0 or -1 (errno). */
static int write_hash(int fd, struct evbuffer *buf,
		      crypto_hash_sha256_state *st)
{
	int n = evbuffer_peek(buf, -1, NULL, NULL, 0), rc = 0;
	struct evbuffer_iovec *v;

	if (n <= 0)
		return 0;
	if ((v = calloc((size_t)n, sizeof *v)) == NULL)
		return -1;
	n = evbuffer_peek(buf, -1, NULL, v, n);
	for (int i = 0; i < n && rc == 0; i++) {
		crypto_hash_sha256_update(st, v[i].iov_base, v[i].iov_len);
		rc = write_all(fd, v[i].iov_base, v[i].iov_len);
	}
	free(v);
	return rc;
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Move the written temporary file to its content address. An existing
 * blob is the same bytes: keep it and mark it accessed. */
static int publish(chatd_media *m, const char *tmp, const char *hex)
{
	char sub[sizeof m->dir + 4], path[sizeof m->dir + 4 + HEX_ID_LEN + 2];

	snprintf(sub, sizeof sub, "%s/%.2s", m->dir, hex);
	snprintf(path, sizeof path, "%s/%s", sub, hex);
	if (mkdir_p(sub) != 0)
		return -1;
	for (int tries = 0; tries < 3; tries++) {
		if (link(tmp, path) == 0)
			return fsync_dir(sub);
		if (errno != EEXIST)
			return -1;
		/* a sweep may remove it between the two calls: then retry */
		if (utimensat(AT_FDCWD, path, NULL, 0) == 0)
			return 0;
		if (errno != ENOENT)
			return -1;
	}
	return -1;
}

static int store_body(chatd_media *m, struct evbuffer *body, char hex[65])
{
	char tmp[sizeof m->dir + 64], name[17];
	crypto_hash_sha256_state st;
	uint8_t digest[crypto_hash_sha256_BYTES], rnd[8];
	int fd, rc = -1;

	randombytes_buf(rnd, sizeof rnd); /* unique across workers and restarts */
	sodium_bin2hex(name, sizeof name, rnd, sizeof rnd);
	snprintf(tmp, sizeof tmp, "%s/tmp/%s", m->dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	crypto_hash_sha256_init(&st);
	if (write_hash(fd, body, &st) == 0 && fsync(fd) == 0) {
		crypto_hash_sha256_final(&st, digest);
		sodium_bin2hex(hex, 65, digest, sizeof digest);
		rc = publish(m, tmp, hex);
	}
	if (rc != 0)
		chatd_log(LC_SERVER_LOG_ERROR, "media_store_failed",
			  "err=\"%s\"", strerror(errno));
	close(fd);
	unlink(tmp);
	return rc;
}

static void on_upload(struct evhttp_request *req, void *arg)
{
	chatd_media *m = arg;
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	struct evbuffer *b;
	size_t len = evbuffer_get_length(body);
	char hex[65], uid[LC_SERVER_USER_ID_SIZE];
	uint32_t dev;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		reply(req, 405, "Method Not Allowed", "POST only");
		return;
	}
	if (authenticate(m, req, uid, &dev) != 0)
		return;
	if (len > m->cfg->media_max_size) {
		reply(req, 413, "Payload Too Large", "over media_max_size");
		return;
	}
	if (len == 0) {
		reply(req, 400, "Bad Request", "empty body");
		return;
	}
	if (store_body(m, body, hex) != 0 || (b = evbuffer_new()) == NULL) {
		reply(req, 500, "Internal Server Error", "cannot store");
		return;
	}
	chatd_log(LC_SERVER_LOG_INFO, "media_stored",
		  "id=%s size=%zu user=%s device=%u", hex, len, uid,
		  (unsigned)dev);
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", "application/json");
	evbuffer_add_printf(b, "{\"id\": \"%s\"}\n", hex);
	evhttp_send_reply(req, 201, "Created", b);
	chatd_metrics_http(201);
	evbuffer_free(b);
}

/* GET or HEAD /v1/media/<id>. */
void chatd_media_get(chatd_media *m, struct evhttp_request *req,
		     const char *id)
{
	enum evhttp_cmd_type t = evhttp_request_get_command(req);
	char path[sizeof m->dir + 4 + HEX_ID_LEN + 2];
	struct evbuffer *b;
	char uid[LC_SERVER_USER_ID_SIZE];
	uint32_t dev;
	struct stat sb;
	int fd;

	if (t != EVHTTP_REQ_GET && t != EVHTTP_REQ_HEAD) {
		reply(req, 405, "Method Not Allowed", "GET only");
		return;
	}
	if (authenticate(m, req, uid, &dev) != 0)
		return;
	if (!hex_id_ok(id)) {
		reply(req, 400, "Bad Request", "an id is 64 lowercase hex digits");
		return;
	}
	snprintf(path, sizeof path, "%s/%.2s/%s", m->dir, id, id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		reply(req, 404, "Not Found", "no such media");
		return;
	}
	if (fd < 0 || fstat(fd, &sb) != 0 || (b = evbuffer_new()) == NULL) {
		if (fd >= 0)
			close(fd);
		reply(req, 500, "Internal Server Error", "cannot read");
		return;
	}
	futimens(fd, NULL); /* last access: the retention clock restarts */
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", "application/octet-stream");
	if (sb.st_size > 0 && evbuffer_add_file(b, fd, 0, sb.st_size) != 0) {
		close(fd);
		evbuffer_free(b);
		reply(req, 500, "Internal Server Error", "cannot read");
		return;
	}
	if (sb.st_size == 0)
		close(fd);
	evhttp_send_reply(req, 200, "OK", b);
	chatd_metrics_http(200);
	evbuffer_free(b);
}

/* Remove entries of dir older than cutoff (seconds since the epoch). */
static unsigned sweep_dir(const char *dir, time_t cutoff)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		struct stat sb;

		if (e->d_name[0] == '.' ||
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(sb.st_mode) || sb.st_mtime >= cutoff)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}

void chatd_media_sweep(chatd_media *m)
{
	time_t now = time(NULL);
	time_t cutoff = now - (time_t)m->cfg->media_retention_days * 86400;
	char sub[sizeof m->dir + 8];
	unsigned n = 0, tmp;
	static const char hexd[] = "0123456789abcdef";

	for (int i = 0; i < 256; i++) {
		snprintf(sub, sizeof sub, "%s/%c%c", m->dir, hexd[i >> 4],
			 hexd[i & 15]);
		n += sweep_dir(sub, cutoff);
	}
	snprintf(sub, sizeof sub, "%s/tmp", m->dir);
	tmp = sweep_dir(sub, now - TMP_MAX_AGE_S);
	chatd_log(LC_SERVER_LOG_INFO, "media_swept", "deleted=%u tmp=%u", n,
		  tmp);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	chatd_media_sweep(arg);
}

int chatd_media_new(chatd_media **out, struct event_base *base,
		    const chatd_config *cfg, lc_server *srv,
		    void (*end_turn)(void *), void *arg)
{
	chatd_media *m = calloc(1, sizeof *m);
	char tmp[sizeof m->dir + 8];
	uint64_t ms = cfg->media_sweep_interval_ms;
	struct timeval tv;

	if (m == NULL)
		return -1;
	m->cfg = cfg;
	m->srv = srv;
	m->end_turn = end_turn;
	m->arg = arg;
	snprintf(m->dir, sizeof m->dir, "%s/media", cfg->data);
	snprintf(tmp, sizeof tmp, "%s/tmp", m->dir);
	if (mkdir_p(m->dir) != 0 || mkdir_p(tmp) != 0) {
		free(m);
		return -1;
	}
	if (cfg->media_retention_days && ms) {
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
		m->sweep_ev = event_new(base, -1, EV_PERSIST, on_sweep, m);
		if (m->sweep_ev == NULL || event_add(m->sweep_ev, &tv) != 0) {
			chatd_media_free(m);
			return -1;
		}
	} /* else blobs are kept forever */
	*out = m;
	return 0;
}

void chatd_media_free(chatd_media *m)
{
	if (m == NULL)
		return;
	if (m->sweep_ev)
		event_free(m->sweep_ev);
	free(m);
}

void chatd_media_routes(chatd_media *m, struct evhttp *h)
{
	evhttp_set_cb(h, "/v1/media/upload", on_upload, m);
}
