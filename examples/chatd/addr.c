/* Listening sockets from "HOST:PORT" (IPv4 dotted or [IPv6]). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chatd.h"

static int parse(const char *hp, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[CHATD_ADDR_MAX];
	const char *colon = strrchr(hp, ':');
	char *end;
	long port;
	size_t hl;

	if (colon == NULL || (hl = (size_t)(colon - hp)) >= sizeof host)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == '\0' || port < 0 || port > 65535)
		return -1;
	memcpy(host, hp, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof *ss);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof *a6;
		return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ? 0
									 : -1;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	*len = sizeof *a4;
	return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -1;
}

/* A non-blocking listening socket, or -1 (logged). */
int chatd_listen_socket(const char *hostport, int reuseport)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd;

	if (parse(hostport, &ss, &len) != 0) {
		chatd_log(LC_SERVER_LOG_ERROR, "bad_address", "addr=%s",
			  hostport);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(fd, 1024) != 0) {
		chatd_log(LC_SERVER_LOG_ERROR, "listen_failed",
			  "addr=%s err=\"%s\"", hostport, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The local port of a bound socket, or -1. */
int chatd_sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

size_t chatd_peer_key(const struct sockaddr *sa, unsigned len,
		      uint8_t out[LC_SERVER_PEER_MAX])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		memcpy(out, &((const struct sockaddr_in *)(const void *)sa)
				     ->sin_addr, 4);
		return 4;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const uint8_t *a = ((const struct sockaddr_in6 *)(const void *)
					    sa)->sin6_addr.s6_addr;

		if (memcmp(a, mapped, sizeof mapped) == 0) {
			memcpy(out, a + 12, 4);
			return 4;
		}
		memcpy(out, a, 8); /* one subscriber usually holds a /64 */
		return 8;
	}
	return 0;
}

/* The source port of an accepted connection, for logs; -1 if none. */
int chatd_peer_port(const struct sockaddr *sa)
{
	if (sa && sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)
				     ->sin_port);
	if (sa && sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)
				     ->sin6_port);
	return -1;
}
