/* Live delivery across worker processes.
 *
 * Every worker has its own core over the shared LMDB directory, so a
 * message committed by one worker is already in the queue of its
 * recipient device; what the worker holding that device's connection
 * lacks is the news. Before forking, the supervisor makes one Unix
 * datagram socket pair per worker: worker i reads end 0 of pair i, and
 * the others write to end 1 of it. After each commit a worker sends its
 * siblings one or more datagrams of records:
 *
 *   'q' device has new queue entries   -> lc_server_remote_queued()
 *   'd' device connected/disconnected  -> lc_server_remote_device()
 *   'r' notices were lost: pump every connection
 *
 * each as type(1) arg(1) uid length(1) device(4, big-endian) uid.
 * A datagram is sent whole or not at all. When a sibling's socket is
 * full the datagrams wait in memory (at most PENDING_MAX) and leave when
 * it is writable again; beyond that they are dropped and an 'r' follows,
 * so the sibling re-reads every queue it serves. Nothing is lost in a
 * crash either: the queue is durable and a reconnecting device reads it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "chatd.h"

#define DGRAM_MAX 8192
#define PENDING_MAX 4096 /* datagrams kept for one slow sibling */
#define HDR 7
#define SOCKBUF (1 << 20)

struct dgram {
	struct dgram *next;
	size_t len;
	uint8_t b[];
};

struct sib {
	int fd;             /* end 1 of its pair: we write */
	struct event *wev;  /* writable again */
	struct dgram *head, *tail;
	unsigned n;
	int resync;         /* datagrams were dropped: send 'r' next */
};

static struct {
	unsigned n, self;
	int (*pairs)[2];
	int rfd;
	struct event *rev;
	struct sib *sibs;
	lc_server *srv;
	void (*kick)(void *);
	void *arg;
	uint8_t cur[DGRAM_MAX];
	size_t cur_len;
	uint64_t sent, dropped, received;
} S = { .rfd = -1 };

int chatd_sib_create(unsigned n)
{
	S.pairs = calloc(n, sizeof *S.pairs);
	if (S.pairs == NULL)
		return -1;
	for (unsigned i = 0; i < n; i++)
		S.pairs[i][0] = S.pairs[i][1] = -1;
	S.n = n;
	for (unsigned i = 0; i < n; i++) {
		int sb = SOCKBUF;

		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
			       SOCK_CLOEXEC, 0, S.pairs[i]) != 0) {
			chatd_log(LC_SERVER_LOG_ERROR, "sibling_socket_failed",
				  "err=\"%s\"", strerror(errno));
			return -1;
		}
		setsockopt(S.pairs[i][0], SOL_SOCKET, SO_RCVBUF, &sb, sizeof sb);
		setsockopt(S.pairs[i][1], SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
	}
	return 0;
}

/* The supervisor keeps none of them once the workers are forked. */
void chatd_sib_close_all(void)
{
	for (unsigned i = 0; S.pairs && i < S.n; i++) {
		close(S.pairs[i][0]);
		close(S.pairs[i][1]);
	}
	free(S.pairs);
	S.pairs = NULL;
	S.n = 0;
}

static int try_send(struct sib *b, const uint8_t *p, size_t n)
{
	ssize_t w = send(b->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (w == (ssize_t)n) {
		S.sent++;
		return 0;
	}
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == ENOBUFS || errno == EINTR))
		return 1; /* later */
	return -1;        /* the sibling is gone: nothing to tell */
}

static void drop_pending(struct sib *b)
{
	while (b->head) {
		struct dgram *d = b->head;

		b->head = d->next;
		free(d);
		S.dropped++;
	}
	b->tail = NULL;
	b->n = 0;
}

static void keep(struct sib *b, const uint8_t *p, size_t n)
{
	struct dgram *d;

	if (b->n >= PENDING_MAX || (d = malloc(sizeof *d + n)) == NULL) {
		if (!b->resync)
			chatd_log(LC_SERVER_LOG_WARN, "sibling_behind",
				  "fd=%d pending=%u", b->fd, b->n);
		drop_pending(b);
		b->resync = 1;
		S.dropped++;
	} else {
		d->next = NULL;
		d->len = n;
		memcpy(d->b, p, n);
		if (b->tail)
			b->tail->next = d;
		else
			b->head = d;
		b->tail = d;
		b->n++;
	}
	event_add(b->wev, NULL);
}

/* Send what waits for b, in order; 'r' first after a drop. */
static void drain(struct sib *b)
{
	static const uint8_t r[HDR] = { 'r', 0, 0, 0, 0, 0, 0 };
	int rc;

	if (b->resync) {
		if ((rc = try_send(b, r, sizeof r)) > 0) {
			event_add(b->wev, NULL);
			return;
		}
		b->resync = 0;
	}
	while (b->head) {
		struct dgram *d = b->head;

		if ((rc = try_send(b, d->b, d->len)) > 0) {
			event_add(b->wev, NULL);
			return;
		}
		b->head = d->next;
		if (b->head == NULL)
			b->tail = NULL;
		b->n--;
		free(d);
	}
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drain(arg);
}

static void send_cur(void)
{
	for (unsigned i = 0; S.sibs && S.cur_len && i < S.n; i++) {
		struct sib *b = &S.sibs[i];

		if (b->fd < 0)
			continue;
		if (b->head == NULL && !b->resync &&
		    try_send(b, S.cur, S.cur_len) <= 0)
			continue;
		keep(b, S.cur, S.cur_len);
	}
	S.cur_len = 0;
}

static void record(uint8_t type, uint8_t arg, const char *uid, uint32_t dev)
{
	size_t ul = strlen(uid);
	uint8_t *p;

	if (S.sibs == NULL || ul > 255)
		return;
	if (S.cur_len + HDR + ul > sizeof S.cur)
		send_cur();
	p = S.cur + S.cur_len;
	p[0] = type;
	p[1] = arg;
	p[2] = (uint8_t)ul;
	p[3] = (uint8_t)(dev >> 24);
	p[4] = (uint8_t)(dev >> 16);
	p[5] = (uint8_t)(dev >> 8);
	p[6] = (uint8_t)dev;
	memcpy(p + HDR, uid, ul);
	S.cur_len += HDR + ul;
}

void chatd_sib_queued(const char *uid, uint32_t dev)
{
	record('q', 0, uid, dev);
}

void chatd_sib_device(const char *uid, uint32_t dev, int online)
{
	record('d', online ? 1 : 0, uid, dev);
}

void chatd_sib_flush(void)
{
	send_cur();
}

/* One datagram from a sibling; a malformed record ends it. */
static void handle(const uint8_t *p, size_t n)
{
	uint64_t now = chatd_now_ms();
	char uid[256];
	size_t off = 0;

	while (n - off >= HDR) {
		const uint8_t *h = p + off;
		uint32_t dev = (uint32_t)h[3] << 24 | (uint32_t)h[4] << 16 |
			       (uint32_t)h[5] << 8 | h[6];
		size_t ul = h[2];
		int rc = 0;

		if (ul > n - off - HDR)
			return;
		memcpy(uid, h + HDR, ul);
		uid[ul] = '\0';
		off += HDR + ul;
		if (h[0] == 'q')
			rc = lc_server_remote_queued(S.srv, uid, dev, now);
		else if (h[0] == 'd')
			rc = lc_server_remote_device(S.srv, uid, dev, h[1], now);
		else if (h[0] == 'r')
			rc = lc_server_remote_queued(S.srv, NULL, 0, now);
		if (rc != 0)
			chatd_log(LC_SERVER_LOG_WARN, "sibling_notice_failed",
				  "type=%c code=%d", h[0], rc);
	}
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	uint8_t buf[DGRAM_MAX];
	int got = 0;

	(void)what;
	(void)arg;
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

		if (n <= 0)
			break;
		S.received++;
		handle(buf, (size_t)n);
		got = 1;
	}
	if (got)
		S.kick(S.arg);
}

int chatd_sib_start(struct event_base *base, unsigned self, lc_server *srv,
		    void (*kick)(void *), void *arg)
{
	if (S.n < 2)
		return 0;
	S.self = self;
	S.srv = srv;
	S.kick = kick;
	S.arg = arg;
	S.sibs = calloc(S.n, sizeof *S.sibs);
	if (S.sibs == NULL)
		return -1;
	for (unsigned i = 0; i < S.n; i++) {
		S.sibs[i].fd = -1;
		if (i == self) {
			S.rfd = S.pairs[i][0];
			close(S.pairs[i][1]);
			continue;
		}
		close(S.pairs[i][0]);
		S.sibs[i].fd = S.pairs[i][1];
		S.sibs[i].wev = event_new(base, S.sibs[i].fd, EV_WRITE,
					  on_writable, &S.sibs[i]);
		if (S.sibs[i].wev == NULL)
			return -1;
	}
	free(S.pairs);
	S.pairs = NULL;
	S.rev = event_new(base, S.rfd, EV_READ | EV_PERSIST, on_read, NULL);
	if (S.rev == NULL || event_add(S.rev, NULL) != 0)
		return -1;
	return 0;
}

void chatd_sib_stop(void)
{
	for (unsigned i = 0; S.sibs && i < S.n; i++) {
		struct sib *b = &S.sibs[i];

		if (b->fd < 0)
			continue;
		drain(b); /* a last try, never waiting */
		drop_pending(b);
		if (b->wev)
			event_free(b->wev);
		close(b->fd);
	}
	free(S.sibs);
	S.sibs = NULL;
	if (S.rev)
		event_free(S.rev);
	S.rev = NULL;
	if (S.rfd >= 0)
		close(S.rfd);
	S.rfd = -1;
	S.n = 0;
	S.srv = NULL;
}

void chatd_sib_counts(uint64_t *sent, uint64_t *dropped, uint64_t *received)
{
	*sent = S.sent;
	*dropped = S.dropped;
	*received = S.received;
}
