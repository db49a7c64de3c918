/* Test tooling: chatd processes on 127.0.0.1 and a tiny HTTP client. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tclient.h"

#define MAX_ARGS 64

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Scan the log for "event=worker_ready ... frames=P http=Q". */
static int read_ports(tchatd *d)
{
	char line[1024];
	FILE *f = fopen(d->log, "r");
	int found = 0;

	if (f == NULL)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		const char *p = strstr(line, "event=worker_ready");
		const char *fp = p ? strstr(p, "frames=") : NULL;
		const char *hp = p ? strstr(p, "http=") : NULL;

		if (fp && hp) {
			d->port = atoi(fp + 7);
			d->http_port = atoi(hp + 5);
			found = d->port > 0 && d->http_port > 0;
		}
	}
	fclose(f);
	return found;
}

int tchatd_start(tchatd *d, const char *dir, const char *const *extra)
{
	const char *bin = getenv("CHATD");
	const char *argv[MAX_ARGS];
	int n = 0;

	if (bin == NULL) {
		fprintf(stderr, "CHATD is not set\n");
		return -1;
	}
	if (dir == NULL || *dir == '\0') {
		strcpy(d->dir, "/tmp/chatd-test-XXXXXX");
		if (mkdtemp(d->dir) == NULL)
			return -1;
	} else {
		snprintf(d->dir, sizeof d->dir, "%s", dir);
	}
	snprintf(d->log, sizeof d->log, "%s.log", d->dir);
	d->port = d->http_port = 0;
	argv[n++] = bin;
	const char *base[] = { "--data", d->dir, "--listen", "127.0.0.1:0",
			       "--http", "127.0.0.1:0", "--pwhash-opslimit",
			       "1", "--pwhash-memlimit", "8192",
			       "--rate-per-minute", "1000000",
			       "--register-per-hour", "0", "--workers", "1",
			       "--log-level",
			       "debug", NULL };
	for (int i = 0; base[i]; i++)
		argv[n++] = base[i];
	for (int i = 0; extra && extra[i] && n < MAX_ARGS - 1; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	/* a restart reads only its own lines */
	if (truncate(d->log, 0) != 0 && errno != ENOENT)
		return -1;
	d->pid = fork();
	if (d->pid < 0)
		return -1;
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		/* never outlive a test that failed half-way */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0)
			dup2(fd, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {
		int st;

		if (read_ports(d))
			return 0;
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			return -1;
		}
		sleep_ms(10);
	}
	tchatd_kill(d);
	return -1;
}

int tchatd_stop(tchatd *d)
{
	int st;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	for (int i = 0; i < 1500; i++) {
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		}
		sleep_ms(10);
	}
	tchatd_kill(d);
	return -1;
}

void tchatd_kill(tchatd *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGKILL);
	waitpid(d->pid, NULL, 0);
	d->pid = 0;
}

void tchatd_cleanup(tchatd *d)
{
	char path[400];
	const char *files[] = { "data.mdb", "lock.mdb", "server.key", NULL };

	for (int i = 0; files[i]; i++) {
		snprintf(path, sizeof path, "%s/%s", d->dir, files[i]);
		unlink(path);
	}
	rmdir(d->dir);
	if (getenv("CHATD_KEEP_LOGS") == NULL)
		unlink(d->log);
}

int thttp_bin(int port, const char *method, const char *path,
	      const char *headers, const void *req_body, size_t req_len,
	      void *body, size_t cap, size_t *body_len)
{
	struct sockaddr_in a = { 0 };
	char head[1024], *resp;
	size_t got = 0, rcap = 4 << 20;
	int fd, status = -1;
	struct pollfd pfd;

	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	snprintf(head, sizeof head, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
		 "Content-Length: %zu\r\n%s\r\n", method, path, req_len,
		 headers ? headers : "");
	if (send(fd, head, strlen(head), MSG_NOSIGNAL) < 0 ||
	    (req_len && send(fd, req_body, req_len, MSG_NOSIGNAL) < 0)) {
		close(fd);
		return -1;
	}
	resp = malloc(rcap + 1);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (resp && got < rcap && poll(&pfd, 1, 10000) > 0) {
		ssize_t n = recv(fd, resp + got, rcap - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (resp == NULL)
		return -1;
	resp[got] = '\0';
	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
		status = -1;
	if (body_len)
		*body_len = 0;
	if (body) {
		char *b = strstr(resp, "\r\n\r\n"); /* headers hold no NUL */
		size_t n = b ? got - (size_t)(b + 4 - resp) : 0;

		if (n > cap)
			n = cap;
		if (n)
			memcpy(body, b + 4, n);
		if (body_len)
			*body_len = n;
	}
	free(resp);
	return status;
}

int thttp(int port, const char *method, const char *path,
	  const char *headers, const void *req_body, size_t req_len,
	  char *body, size_t cap)
{
	size_t n = 0;
	int status = thttp_bin(port, method, path, headers, req_body, req_len,
			       body, cap ? cap - 1 : 0, &n);

	if (body && cap)
		body[n] = '\0';
	return status;
}
