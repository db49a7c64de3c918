/* Media over HTTP: content-addressed ciphertext blobs under DATA/media.
 *
 * POST /v1/media/upload stores the request body as DATA/media/XX/HEX where
 * HEX is the SHA-256 of the body and XX its first two digits; GET
 * /v1/media/HEX serves it. http.c speaks HTTP; this file checks tokens,
 * streams an upload into DATA/media/tmp while hashing it, publishes it
 * under its hash and opens blobs for reading. Both need a live login token (Authorization:
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
#include <sodium.h>

#include "chatd.h"

#define HEX_ID_LEN 64
#define TMP_MAX_AGE_S (3600)
#define AUTH_MAX 256

struct chatd_media {
	const chatd_config *cfg;
	lc_server *srv;
	void (*end_turn)(void *);
	void *arg;
	struct event *sweep_ev;
	char dir[CHATD_PATH_MAX + 8];   /* DATA/media */
};

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

int chatd_media_auth(chatd_media *m, const char *value, size_t len,
		     char uid[LC_SERVER_USER_ID_SIZE], uint32_t *dev,
		     const char **why)
{
	char a_buf[AUTH_MAX];
	uint8_t token[LC_SERVER_TOKEN_LEN];
	size_t n = 0;
	const char *a = a_buf, *end;
	int rc;

	if (value == NULL || len < 7 || len >= sizeof a_buf ||
	    strncasecmp(value, "Bearer ", 7) != 0) {
		*why = "a bearer token is required";
		return 401;
	}
	memcpy(a_buf, value, len);
	a_buf[len] = '\0';
	a += 7;
	while (*a == ' ')
		a++;
	if (strlen(a) != 2 * LC_SERVER_TOKEN_LEN ||
	    sodium_hex2bin(token, sizeof token, a, strlen(a), NULL, &n,
			   &end) != 0 || n != sizeof token || *end) {
		sodium_memzero(a_buf, sizeof a_buf);
		*why = "malformed token";
		return 401;
	}
	sodium_memzero(a_buf, sizeof a_buf);
	rc = lc_server_token_verify(m->srv, token, n, chatd_now_ms(), uid,
				    dev);
	sodium_memzero(token, sizeof token);
	m->end_turn(m->arg); /* the read ends here: no store lock held */
	if (rc == 0)
		return 0;
	if (rc == LC_ERR_AUTH_FAILED || rc == LC_ERR_TOKEN_EXPIRED) {
		*why = rc == LC_ERR_TOKEN_EXPIRED ? "token expired or revoked"
						  : "unknown token";
		return 401;
	}
	chatd_log(LC_SERVER_LOG_ERROR, "media_auth_failed",
		  "code=%d err=\"%s\"", rc, lc_strerror(rc));
	*why = "store unavailable";
	return 503;
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

struct chatd_upload {
	chatd_media *m;
	int fd;
	uint64_t size;
	crypto_hash_sha256_state st;
	char tmp[CHATD_PATH_MAX + 80];
};

int chatd_upload_begin(chatd_media *m, chatd_upload **out)
{
	chatd_upload *u = calloc(1, sizeof *u);
	uint8_t rnd[8];
	char name[17];

	if (u == NULL)
		return -1;
	randombytes_buf(rnd, sizeof rnd); /* unique across workers and restarts */
	sodium_bin2hex(name, sizeof name, rnd, sizeof rnd);
	snprintf(u->tmp, sizeof u->tmp, "%s/tmp/%s", m->dir, name);
	u->fd = open(u->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (u->fd < 0) {
		chatd_log(LC_SERVER_LOG_ERROR, "media_store_failed",
			  "err=\"%s\"", strerror(errno));
		free(u);
		return -1;
	}
	u->m = m;
	crypto_hash_sha256_init(&u->st);
	*out = u;
	return 0;
}

int chatd_upload_write(chatd_upload *u, const void *p, size_t n)
{
	crypto_hash_sha256_update(&u->st, p, n);
	u->size += n;
	if (write_all(u->fd, p, n) == 0)
		return 0;
	chatd_log(LC_SERVER_LOG_ERROR, "media_store_failed", "err=\"%s\"",
		  strerror(errno));
	return -1;
}

void chatd_upload_abort(chatd_upload *u)
{
	if (u == NULL)
		return;
	close(u->fd);
	unlink(u->tmp);
	free(u);
}

int chatd_upload_finish(chatd_upload *u, char hex[65])
{
	uint8_t digest[crypto_hash_sha256_BYTES];
	int rc = -1;

	crypto_hash_sha256_final(&u->st, digest);
	sodium_bin2hex(hex, 65, digest, sizeof digest);
	if (fsync(u->fd) == 0)
		rc = publish(u->m, u->tmp, hex);
	if (rc != 0)
		chatd_log(LC_SERVER_LOG_ERROR, "media_store_failed",
			  "err=\"%s\"", strerror(errno));
	chatd_upload_abort(u); /* the temporary name goes either way */
	return rc;
}

int chatd_media_open(chatd_media *m, const char *id, size_t len, int *fd,
		     uint64_t *size)
{
	char hex[HEX_ID_LEN + 1], path[sizeof m->dir + 4 + HEX_ID_LEN + 2];
	struct stat sb;
	int f;

	if (len != HEX_ID_LEN)
		return 400;
	memcpy(hex, id, len);
	hex[len] = '\0';
	if (!hex_id_ok(hex))
		return 400;
	snprintf(path, sizeof path, "%s/%.2s/%s", m->dir, hex, hex);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return errno == ENOENT ? 404 : 500;
	if (fstat(f, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(f);
		return 500;
	}
	futimens(f, NULL); /* last access: the retention clock restarts */
	*fd = f;
	*size = (uint64_t)sb.st_size;
	return 200;
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
