/* Media over HTTP for the driver: encrypt a file and POST the ciphertext
 * (doc/protocol.md section 8), GET a ciphertext and decrypt it as it
 * arrives. One evhttp connection per driver carries every transfer. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "driver_int.h"

#define IO_CHUNK LC_MEDIA_CHUNK
#define HTTP_TIMEOUT_S 60
#define UPLOAD_PATH "/v1/media/upload"
#define MEDIA_PREFIX "/v1/media/"

typedef struct lc_cev_transfer {
	struct lc_cev_transfer *next;
	lc_client_event *ev;
	int download;
	int error;                /* the first failure while streaming */
	lc_media_stream *st;      /* download */
	int fd;                   /* download: PATH.part */
	char *path, *part;
	uint8_t *in, *out;        /* download buffers */
	lc_client_media *media;   /* upload: the pointer (sodium memory) */
	lc_client_event_upload_cb ucb;
	lc_client_event_download_cb dcb;
	void *ud;
} lc_cev_transfer;

static void transfer_free(lc_cev_transfer *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->part) {
		unlink(t->part); /* a finished download was renamed already */
		free(t->part);
	}
	free(t->path);
	lc_media_stream_free(t->st);
	if (t->out) {
		sodium_memzero(t->out, lc_media_update_max(IO_CHUNK));
		free(t->out);
	}
	if (t->in)
		free(t->in);
	if (t->media)
		sodium_free(t->media);
	free(t);
}

static void unlink_transfer(lc_cev_transfer *t)
{
	lc_cev_transfer **pp = &t->ev->transfers;

	while (*pp && *pp != t)
		pp = &(*pp)->next;
	if (*pp)
		*pp = t->next;
}

void lc_cev_media_free_all(lc_client_event *ev)
{
	/* freeing the connection drops its requests without callbacks */
	if (ev->http)
		evhttp_connection_free(ev->http);
	ev->http = NULL;
	while (ev->transfers) {
		lc_cev_transfer *t = ev->transfers;

		ev->transfers = t->next;
		transfer_free(t);
	}
}

static int status_error(int status)
{
	switch (status) {
	case 0:
		return LC_ERR_IO;   /* no answer: connection failed or timed out */
	case 400:
		return LC_ERR_INVALID_ARG;
	case 401:
		return LC_ERR_AUTH_FAILED;
	case 404:
		return LC_ERR_NOT_FOUND;
	case 413:
		return LC_ERR_MEDIA_TOO_LARGE;
	default:
		return status >= 500 ? LC_ERR_UNAVAILABLE : LC_ERR_IO;
	}
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return LC_ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read up to n bytes (less only at the end of the file). */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static struct evhttp_connection *http(lc_client_event *ev)
{
	if (ev->http == NULL) {
		ev->http = evhttp_connection_base_new(ev->base, NULL,
						      ev->http_host,
						      ev->http_port);
		if (ev->http) {
			evhttp_connection_set_timeout(ev->http, HTTP_TIMEOUT_S);
			evhttp_connection_set_retries(ev->http, 0);
		}
	}
	return ev->http;
}

static void on_done(struct evhttp_request *req, void *arg);
static void on_chunk(struct evhttp_request *req, void *arg);

/* Queue the request of t; on success t joins the driver's list. */
static int start(lc_cev_transfer *t, struct evhttp_request *req,
		 enum evhttp_cmd_type type, const char *uri)
{
	lc_client_event *ev = t->ev;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evhttp_connection *conn = http(ev);
	char token[LC_CLIENT_TOKEN_HEX_SIZE], auth[16 + LC_CLIENT_TOKEN_HEX_SIZE];
	int rc = lc_client_http_token(ev->c, token, sizeof token);

	if (rc == 0 && conn == NULL)
		rc = LC_ERR_NOMEM;
	if (rc == 0) {
		snprintf(auth, sizeof auth, "Bearer %s", token);
		if (evhttp_add_header(h, "Host", ev->http_host) != 0 ||
		    evhttp_add_header(h, "Authorization", auth) != 0)
			rc = LC_ERR_NOMEM;
	}
	sodium_memzero(token, sizeof token);
	sodium_memzero(auth, sizeof auth);
	if (rc) {
		evhttp_request_free(req);
		return rc;
	}
	t->next = ev->transfers;
	ev->transfers = t;
	ev->starting = t;
	/* evhttp owns req from here, also when this fails */
	rc = evhttp_make_request(conn, req, type, uri);
	if (rc != 0 && ev->starting == NULL)
		return 0; /* failed and reported to the callback already */
	ev->starting = NULL;
	if (rc != 0) {
		unlink_transfer(t);
		return LC_ERR_IO;
	}
	return 0;
}

/* ------------------------------------------------------------- upload */

/* Encrypt the file at in into the temporary file out. */
static int encrypt_file(int in, uint64_t size, int out, lc_client_media *m)
{
	size_t cap = lc_media_update_max(IO_CHUNK);
	uint8_t *ib = malloc(IO_CHUNK), *ob = malloc(cap);
	lc_media_stream *s = NULL;
	ssize_t n;
	int rc = ib && ob ? lc_media_encrypt_new(&s, size, m->key, NULL, NULL) :
			    LC_ERR_NOMEM;

	do {
		size_t w = 0;

		if (rc)
			break;
		n = read_full(in, ib, IO_CHUNK);
		if (n < 0) {
			rc = LC_ERR_IO;
			break;
		}
		rc = lc_media_stream_update(s, ib, (size_t)n, ob, cap, &w);
		if (rc == LC_ERR_INVALID_ARG)
			rc = LC_ERR_IO; /* the file grew while read */
		if (rc == 0)
			rc = write_all(out, ob, w);
	} while (rc == 0 && n == IO_CHUNK);
	if (rc == 0)
		rc = lc_media_stream_final(s, m->digest);
	if (rc == LC_ERR_INVALID_STATE)
		rc = LC_ERR_IO; /* the file shrank while read */
	lc_media_stream_free(s);
	if (ib) {
		sodium_memzero(ib, IO_CHUNK);
		free(ib);
	}
	free(ob);
	return rc;
}

/* An unlinked temporary file. */
static int temp_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/lc-media-XXXXXX",
		 dir && dir[0] ? dir : "/tmp");
	if ((fd = mkstemp(path)) >= 0)
		unlink(path);
	return fd;
}

static int copy_str(char *dst, size_t cap, const char *src)
{
	if (src == NULL)
		src = "";
	if (strlen(src) >= cap)
		return LC_ERR_INVALID_ARG;
	strcpy(dst, src);
	return 0;
}

/* The id in the answer {"id": "HEX"}. */
static int answer_id(struct evhttp_request *req, char *id)
{
	struct evbuffer *b = evhttp_request_get_input_buffer(req);
	char body[512], *p, *q;
	ev_ssize_t n = evbuffer_copyout(b, body, sizeof body - 1);

	body[n > 0 ? n : 0] = 0;
	if ((p = strstr(body, "\"id\"")) == NULL ||
	    (p = strchr(p + 4, '"')) == NULL ||
	    (q = strchr(p + 1, '"')) == NULL || q == p + 1 ||
	    q - p - 1 >= LC_CLIENT_MEDIA_ID_SIZE)
		return LC_ERR_MALFORMED;
	memcpy(id, p + 1, (size_t)(q - p - 1));
	id[q - p - 1] = 0;
	return 0;
}

static int prepare_upload(const char *path, const char *mime,
			  const char *name,
			  const char *caption, lc_cev_transfer *t,
			  struct evhttp_request *req)
{
	const char *base = strrchr(path, '/');
	struct stat sb;
	int in, out = -1, rc;
	uint64_t ct;
	char len[32];

	rc = copy_str(t->media->mime_type, sizeof t->media->mime_type, mime);
	if (rc == 0)
		rc = copy_str(t->media->file_name,
			      sizeof t->media->file_name,
			      name ? name : base ? base + 1 : path);
	if (rc == 0)
		rc = copy_str(t->media->caption, sizeof t->media->caption,
			      caption);
	strcpy(t->media->id, "pending"); /* checked with the real id later */
	if (rc == 0 && !lc_client_media_valid(t->media))
		rc = LC_ERR_INVALID_ARG;
	if (rc)
		return rc;
	if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return LC_ERR_IO;
	if (fstat(in, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > LC_MEDIA_SIZE_MAX || (out = temp_file()) < 0)
		rc = LC_ERR_IO;
	t->media->size = rc ? 0 : (uint64_t)sb.st_size;
	if (rc == 0)
		rc = encrypt_file(in, t->media->size, out, t->media);
	close(in);
	ct = lc_media_ciphertext_size(t->media->size);
	snprintf(len, sizeof len, "%" PRIu64, ct);
	if (rc == 0 &&
	    (evhttp_add_header(evhttp_request_get_output_headers(req),
			       "Content-Type", "application/octet-stream") ||
	     evhttp_add_header(evhttp_request_get_output_headers(req),
			       "Content-Length", len)))
		rc = LC_ERR_NOMEM;
	/* libevent sends it from the file and closes it */
	if (rc == 0 && evbuffer_add_file(evhttp_request_get_output_buffer(req),
					 out, 0, (ev_off_t)ct) != 0)
		rc = LC_ERR_IO;
	if (rc && out >= 0)
		close(out);
	return rc;
}

int lc_client_event_upload(lc_client_event *ev, const char *path,
			   const char *mime_type, const char *file_name,
			   const char *caption, lc_client_event_upload_cb cb,
			   void *user_data)
{
	lc_cev_transfer *t;
	struct evhttp_request *req;
	int rc;

	if (ev == NULL || path == NULL || cb == NULL)
		return LC_ERR_INVALID_ARG;
	if (ev->http_host == NULL)
		return LC_ERR_INVALID_STATE;
	if (lc_client_user_id(ev->c)[0] == 0)
		return LC_ERR_NOT_LOGGED_IN;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return LC_ERR_NOMEM;
	t->ev = ev;
	t->fd = -1;
	t->ucb = cb;
	t->ud = user_data;
	t->media = sodium_malloc(sizeof *t->media);
	req = t->media ? evhttp_request_new(on_done, t) : NULL;
	if (req == NULL) {
		transfer_free(t);
		return LC_ERR_NOMEM;
	}
	memset(t->media, 0, sizeof *t->media);
	rc = prepare_upload(path, mime_type, file_name, caption, t, req);
	if (rc) {
		evhttp_request_free(req);
		transfer_free(t);
		return rc;
	}
	if ((rc = start(t, req, EVHTTP_REQ_POST, UPLOAD_PATH)))
		transfer_free(t);
	return rc;
}

/* ----------------------------------------------------------- download */

/* Decrypt what arrived into PATH.part. */
static void feed(lc_cev_transfer *t, struct evbuffer *b)
{
	size_t cap = lc_media_update_max(IO_CHUNK);
	int n;

	while (t->error == 0 &&
	       (n = evbuffer_remove(b, t->in, IO_CHUNK)) > 0) {
		size_t w = 0;

		t->error = lc_media_stream_update(t->st, t->in, (size_t)n,
						  t->out, cap, &w);
		if (t->error == 0)
			t->error = write_all(t->fd, t->out, w);
	}
	evbuffer_drain(b, evbuffer_get_length(b)); /* after a failure */
}

static void on_chunk(struct evhttp_request *req, void *arg)
{
	if (evhttp_request_get_response_code(req) == 200)
		feed(arg, evhttp_request_get_input_buffer(req));
}

static int finish_download(lc_cev_transfer *t, struct evhttp_request *req)
{
	int rc;

	feed(t, evhttp_request_get_input_buffer(req));
	rc = t->error;
	if (rc == 0)
		rc = lc_media_stream_final(t->st, NULL);
	if (rc == 0 && (fsync(t->fd) != 0 || close(t->fd) != 0))
		rc = LC_ERR_IO;
	if (rc == 0)
		t->fd = -1;
	if (rc == 0 && rename(t->part, t->path) != 0)
		rc = LC_ERR_IO;
	if (rc == 0) {
		free(t->part); /* nothing left to remove */
		t->part = NULL;
	}
	return rc;
}

int lc_client_event_download(lc_client_event *ev,
			     const lc_client_media *media, const char *path,
			     lc_client_event_download_cb cb, void *user_data)
{
	char uri[sizeof MEDIA_PREFIX + LC_CLIENT_MEDIA_ID_SIZE];
	struct evhttp_request *req = NULL;
	lc_cev_transfer *t;
	size_t pl;
	int rc;

	if (ev == NULL || media == NULL || path == NULL || path[0] == 0 ||
	    cb == NULL || !lc_client_media_valid(media))
		return LC_ERR_INVALID_ARG;
	if (ev->http_host == NULL)
		return LC_ERR_INVALID_STATE;
	if (lc_client_user_id(ev->c)[0] == 0)
		return LC_ERR_NOT_LOGGED_IN;
	if ((t = calloc(1, sizeof *t)) == NULL)
		return LC_ERR_NOMEM;
	t->ev = ev;
	t->fd = -1;
	t->download = 1;
	t->dcb = cb;
	t->ud = user_data;
	pl = strlen(path);
	t->path = strdup(path);
	t->part = malloc(pl + 6);
	t->in = malloc(IO_CHUNK);
	t->out = malloc(lc_media_update_max(IO_CHUNK));
	rc = t->path && t->part && t->in && t->out ?
	     lc_media_decrypt_new(&t->st, media->size, media->key,
				  media->digest, NULL) : LC_ERR_NOMEM;
	if (rc == 0 && (req = evhttp_request_new(on_done, t)) == NULL)
		rc = LC_ERR_NOMEM;
	if (rc == 0) {
		memcpy(t->part, path, pl);
		memcpy(t->part + pl, ".part", 6);
		t->fd = open(t->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0600);
		if (t->fd < 0) {
			free(t->part);
			t->part = NULL; /* not ours to remove */
			rc = LC_ERR_IO;
		}
	}
	if (rc) {
		if (req)
			evhttp_request_free(req);
		transfer_free(t);
		return rc;
	}
	evhttp_request_set_chunked_cb(req, on_chunk);
	snprintf(uri, sizeof uri, "%s%s", MEDIA_PREFIX, media->id);
	if ((rc = start(t, req, EVHTTP_REQ_GET, uri)))
		transfer_free(t);
	return rc;
}

/* -------------------------------------------------------------- answers */

static void on_done(struct evhttp_request *req, void *arg)
{
	lc_cev_transfer *t = arg;
	int status = req ? evhttp_request_get_response_code(req) : 0;
	int rc = 0;

	unlink_transfer(t);
	if (t->ev->starting == t)
		t->ev->starting = NULL;
	if (t->download) {
		rc = status == 200 ? finish_download(t, req) :
		     status_error(status);
		t->dcb(rc, rc ? NULL : t->path, t->ud);
	} else {
		rc = status == 201 ? answer_id(req, t->media->id) :
		     status_error(status);
		if (rc == 0 && !lc_client_media_valid(t->media))
			rc = LC_ERR_MALFORMED;
		t->ucb(rc, rc ? NULL : t->media, t->ud);
	}
	transfer_free(t);
}
