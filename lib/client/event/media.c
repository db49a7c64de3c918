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

/* The steps of an upload (below). */
enum { UP_ASK = 1, UP_ENCRYPT, UP_SEND };

typedef struct lc_cev_transfer {
	struct lc_cev_transfer *next;
	lc_client_event *ev;
	int download;
	int error;                /* the first failure while streaming */
	lc_media_stream *st;      /* download */
	int fd;                   /* download: PATH.part; upload: the file */
	char *path, *part;
	uint8_t *in, *out;        /* buffers of one chunk */
	lc_client_media *media;   /* upload: the pointer (sodium memory) */
	int phase;                /* upload: UP_* */
	int tmp;                  /* upload: the ciphertext (unlinked) */
	int eof;                  /* upload: the whole file was read */
	struct event *step;       /* upload: the next encryption step */
	char upload_path[LC_CLIENT_UPLOAD_PATH_SIZE];
	lc_client_event_upload_cb ucb;
	lc_client_event_download_cb dcb;
	void *ud;
} lc_cev_transfer;

static void transfer_free(lc_cev_transfer *t)
{
	if (t->phase == UP_ASK)
		lc_client_upload_ticket_cancel(t->ev->c, t);
	if (t->step)
		event_free(t->step);
	if (t->tmp >= 0)
		close(t->tmp);
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
	if (t->in) {
		sodium_memzero(t->in, IO_CHUNK); /* an upload's plaintext */
		free(t->in);
	}
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

/*
 * An upload runs on the loop in three steps, so the connection's
 * heartbeats and messages keep flowing however large the file:
 *  1. ASK: when the session is READY, a MediaUploadRequest for the
 *     ciphertext's size; a refusal (LC_ERR_MEDIA_TOO_LARGE) ends the
 *     upload before any byte is encrypted or sent.
 *  2. ENCRYPT: UPLOAD_STEP_CHUNKS chunks into an unlinked temporary file
 *     per loop iteration (a zero timer, so input is polled in between).
 *  3. SEND: libevent POSTs the temporary file.
 */
#define UPLOAD_STEP_CHUNKS 8 /* 512 KiB, a few milliseconds */

static uint64_t now_ms(lc_client_event *ev)
{
	struct timeval tv;

	event_base_gettimeofday_cached(ev->base, &tv);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static void report_upload(lc_cev_transfer *t, int rc)
{
	t->phase = 0;
	unlink_transfer(t);
	t->ucb(rc, NULL, t->ud);
	transfer_free(t);
}

/* The request of an encrypted file: POST it from the temporary file. */
static void send_upload(lc_cev_transfer *t)
{
	struct evhttp_request *req = evhttp_request_new(on_done, t);
	uint64_t ct = lc_media_ciphertext_size(t->media->size);
	struct evkeyvalq *h;
	char len[32];
	int rc = req ? 0 : LC_ERR_NOMEM;

	snprintf(len, sizeof len, "%" PRIu64, ct);
	if (rc == 0) {
		h = evhttp_request_get_output_headers(req);
		if (evhttp_add_header(h, "Content-Type",
				      "application/octet-stream") ||
		    evhttp_add_header(h, "Content-Length", len))
			rc = LC_ERR_NOMEM;
	}
	/* libevent sends it from the file and closes it */
	if (rc == 0 && evbuffer_add_file(evhttp_request_get_output_buffer(req),
					 t->tmp, 0, (ev_off_t)ct) != 0)
		rc = LC_ERR_IO;
	if (rc == 0)
		t->tmp = -1;
	if (rc) {
		if (req)
			evhttp_request_free(req);
		report_upload(t, rc);
		return;
	}
	t->phase = UP_SEND;
	unlink_transfer(t); /* start() lists it again */
	if ((rc = start(t, req, EVHTTP_REQ_POST, t->upload_path))) {
		t->ucb(rc, NULL, t->ud);
		transfer_free(t);
	}
}

/* One step of encryption; the next is due on the next loop iteration. */
static void on_step(evutil_socket_t fd, short what, void *arg)
{
	lc_cev_transfer *t = arg;
	size_t cap = lc_media_update_max(IO_CHUNK);
	static const struct timeval zero = { 0, 0 };
	int rc = 0;

	(void)fd;
	(void)what;
	if (t->phase == UP_ASK) {
		/* the request is out: write it; t may be gone after this */
		lc_client_event_kick(t->ev);
		return;
	}
	for (int i = 0; rc == 0 && i < UPLOAD_STEP_CHUNKS && !t->eof; i++) {
		ssize_t n = read_full(t->fd, t->in, IO_CHUNK);
		size_t w = 0;

		if (n < 0) {
			rc = LC_ERR_IO;
			break;
		}
		t->eof = n < (ssize_t)IO_CHUNK;
		rc = lc_media_stream_update(t->st, t->in, (size_t)n, t->out,
					    cap, &w);
		if (rc == LC_ERR_INVALID_ARG)
			rc = LC_ERR_IO; /* the file grew while read */
		if (rc == 0)
			rc = write_all(t->tmp, t->out, w);
	}
	if (rc == 0 && !t->eof) {
		evtimer_add(t->step, &zero);
		return;
	}
	if (rc == 0)
		rc = lc_media_stream_final(t->st, t->media->digest);
	if (rc == LC_ERR_INVALID_STATE)
		rc = LC_ERR_IO; /* the file shrank while read */
	if (rc) {
		report_upload(t, rc);
		return;
	}
	send_upload(t);
}

static void encrypt_later(lc_cev_transfer *t)
{
	static const struct timeval zero = { 0, 0 };

	t->phase = UP_ENCRYPT;
	evtimer_add(t->step, &zero);
}

/* The server's answer to the MediaUploadRequest (inside the session). */
static void on_ticket(int code, const lc_client_media_ticket *tk, void *arg)
{
	lc_cev_transfer *t = arg;

	if (code == 0 &&
	    tk->max_size < lc_media_ciphertext_size(t->media->size))
		code = LC_ERR_MEDIA_TOO_LARGE;
	if (code) {
		report_upload(t, code);
		return;
	}
	strcpy(t->upload_path, tk->upload_path);
	encrypt_later(t);
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

/* Check the pointer's strings, open the file, make the buffers. */
static int prepare_upload(lc_cev_transfer *t, const char *path,
			  const char *mime, const char *name,
			  const char *caption)
{
	const char *base = strrchr(path, '/');
	struct stat sb;
	int rc;

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
	if ((t->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return LC_ERR_IO;
	if (fstat(t->fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size > LC_MEDIA_SIZE_MAX ||
	    (t->tmp = temp_file()) < 0)
		return LC_ERR_IO;
	t->media->size = (uint64_t)sb.st_size;
	t->in = malloc(IO_CHUNK);
	t->out = malloc(lc_media_update_max(IO_CHUNK));
	t->step = evtimer_new(t->ev->base, on_step, t);
	if (t->in == NULL || t->out == NULL || t->step == NULL)
		return LC_ERR_NOMEM;
	strcpy(t->upload_path, UPLOAD_PATH);
	return lc_media_encrypt_new(&t->st, t->media->size, t->media->key,
				    NULL, NULL);
}

int lc_client_event_upload(lc_client_event *ev, const char *path,
			   const char *mime_type, const char *file_name,
			   const char *caption, lc_client_event_upload_cb cb,
			   void *user_data)
{
	lc_cev_transfer *t;
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
	t->fd = t->tmp = -1;
	t->ucb = cb;
	t->ud = user_data;
	t->media = sodium_malloc(sizeof *t->media);
	if (t->media)
		memset(t->media, 0, sizeof *t->media);
	rc = t->media ? prepare_upload(t, path, mime_type, file_name, caption)
		      : LC_ERR_NOMEM;
	if (rc == 0 && lc_client_state_get(ev->c) == LC_CLIENT_READY) {
		rc = lc_client_upload_ticket(
			ev->c, lc_media_ciphertext_size(t->media->size),
			on_ticket, t, now_ms(ev));
		if (rc == 0) {
			static const struct timeval zero = { 0, 0 };

			t->phase = UP_ASK; /* kicked on the loop, not in here */
			evtimer_add(t->step, &zero);
		}
	} else if (rc == 0) {
		encrypt_later(t); /* offline: the server's 413 still guards */
	}
	if (rc) {
		transfer_free(t);
		return rc;
	}
	t->next = ev->transfers;
	ev->transfers = t;
	return 0;
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
	t->fd = t->tmp = -1;
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
