/* chat: the reference client, for people and scripts.
 *
 *   chat --home DIR --server HOST:PORT [--http HOST:PORT] [--json]
 *        [--on-key-change hold|continue] [COMMAND [ARGS]]
 *   chat --home DIR --server ws://HOST:PORT/PATH ...   (WebSocket)
 *
 * Without a command: the interactive mode (interactive.c, /help).
 *
 *   register --phone P | --email E --name NAME   password: CHAT_PASSWORD
 *   login --phone P | --email E                  or a prompt
 *   logout
 *   send TO TEXT          TO: +phone, email, user id, group:NAME or
 *                         group:HEXID (CHAT, MEMBER and GROUP alike)
 *   sync [--wait SECONDS] receive what is pending, print it
 *   read CHAT             mark read, send read receipts
 *   chats                 the chat list (from the store)
 *   history CHAT [--offset N] [--limit N]
 *   search QUERY [--chat CHAT]
 *   contact TO            look a user up and remember the name
 *   group create NAME MEMBER... | group add|remove GROUP MEMBER...
 *   group leave GROUP | group info GROUP
 *   fingerprint TO        the safety number with TO
 *   status TO             online / last seen
 *   trust TO              accept TO's new identity key, send what was held
 *   send-file TO PATH [--caption TEXT] [--mime TYPE]
 *                         encrypt, upload over HTTP, send the pointer
 *
 * --http is the server's HTTP listener for files (default: the --server
 * host and, as in chatd's default layout, its port + 1 over TCP or its
 * port - 1 over WebSocket). On sync, received files
 * are downloaded, checked and saved under DIR/media/.
 *
 * Every command connects, logs in by token, does its work, waits until the
 * server has answered and exits 0 (1 on failure). With --json each event
 * is one JSON object per line.
 *
 * Display names (from lookups) and group names (from group events) are
 * remembered in DIR/names, so that human output shows names, not ids, and
 * group:NAME resolves. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "chat.h"

struct chat_state A;

/* --on-key-change hold|continue: what a contact's new key does to the
 * messages for them (doc/client.md, "Safety numbers and key changes"). */
static int key_policy(const char *v)
{
	if (strcmp(v, "hold") == 0)
		A.hold = 1;
	else if (strcmp(v, "continue") == 0)
		A.hold = 0;
	else
		return -1;
	return 0;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { 1, 0 };

	(void)fd;
	(void)what;
	(void)arg;
	if (A.downloads > 0 && A.extra_waits++ < 60) {
		evtimer_add(A.deadline, &tv); /* let the files arrive */
		return;
	}
	finish(A.cmd == C_SYNC && A.downloads == 0 && A.file_errors == 0 ? 0 : 1);
}

/* "HOST:PORT" (TCP) or "ws://HOST:PORT[/PATH]" (WebSocket; the path
 * defaults to /v1/ws) into host (a buffer of cap), port and *ws_path (NULL
 * for TCP). A host in brackets is an IPv6 address. */
static int parse_server(const char *s, char *host, size_t cap, long *port,
			const char **ws_path)
{
	const char *hp = s, *end, *colon;
	char *stop;
	long p;

	*ws_path = NULL;
	if (s == NULL)
		return -1;
	if (strncmp(s, "ws://", 5) == 0) {
		hp = s + 5;
		end = strchr(hp, '/');
		*ws_path = end ? end : "/v1/ws";
	}
	end = *ws_path && strchr(hp, '/') ? strchr(hp, '/') : hp + strlen(hp);
	for (colon = end; colon > hp && colon[-1] != ':'; colon--)
		;
	if (colon <= hp + 1) /* no ':', or no host before it */
		return -1;
	colon--; /* at the last ':' before the path */
	if ((size_t)(colon - hp) >= cap)
		return -1;
	p = strtol(colon + 1, &stop, 10);
	if (stop != end || colon + 1 == end || p <= 0 || p > 65535)
		return -1;
	if (hp[0] == '[' && colon[-1] == ']') { /* [v6]:port */
		hp++;
		colon--;
	}
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = 0;
	*port = p;
	return 0;
}

int main(int argc, char **argv)
{
	const char *home = NULL, *server = NULL, *http = NULL;
	lc_client_config cfg = {0};
	lc_client_callbacks cb = {0};
	lc_client_event_config ec = {0};
	char host[256], http_host[256];
	const char *ws_path = NULL, *http_ws = NULL;
	long port = 0, http_port = 0;
	struct timeval tv;
	int i = 1;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			home = argv[++i];
		else if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
			server = argv[++i];
		else if (strcmp(argv[i], "--http") == 0 && i + 1 < argc)
			http = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			A.json = 1;
		else if (strcmp(argv[i], "--on-key-change") == 0 &&
			 i + 1 < argc && key_policy(argv[++i]) == 0)
			continue;
		else
			return usage();
	}
	if (!home ||
	    parse_server(server, host, sizeof host, &port, &ws_path) ||
	    (i < argc && parse_command(argc - i, argv + i)))
		return usage();
	if (i == argc)
		A.cmd = C_INTERACTIVE;
	if (http == NULL) { /* chatd's default layout: 7420 tcp, 7421 http,
			       7422 ws */
		strcpy(http_host, host);
		http_port = ws_path ? port - 1 : port < 65535 ? port + 1 : 0;
	} else if (parse_server(http, http_host, sizeof http_host, &http_port,
				&http_ws) || http_ws) {
		return usage();
	}
	A.home = home;
	if (A.cmd == C_REGISTER || A.cmd == C_LOGIN)
		read_password();
	cfg.version = LC_CLIENT_CONFIG_VERSION;
	cfg.store_dir = home;
	cfg.flags = A.hold ? LC_CLIENT_HOLD_ON_KEY_CHANGE : 0;
	callbacks_fill(&cb);
	A.rc = 1;
	A.lookup_idx = -1;
	names_load(home);
	/* a server that closes a socket mid-write (chatd answers 413 before
	 * reading an oversized upload) must not end the program */
	signal(SIGPIPE, SIG_IGN);
	A.base = event_base_new();
	if (A.base == NULL || lc_client_new(&A.c, &cfg, &cb, NULL) != 0) {
		fprintf(stderr, "cannot open %s\n", home);
		return 1;
	}
	ec.version = LC_CLIENT_EVENT_CONFIG_VERSION;
	ec.host = host;
	ec.port = (uint16_t)port;
	ec.http_host = http_host;
	ec.http_port = (uint16_t)http_port;
	ec.ws_path = ws_path;
	if (lc_client_event_new(&A.ev, A.base, A.c, &ec) ||
	    lc_client_event_start(A.ev))
		return 1;
	if (i == argc) {
		if (interactive_start()) {
			fprintf(stderr, "cannot read the terminal\n");
			return 1;
		}
	} else {
		A.deadline = evtimer_new(A.base, on_deadline, NULL);
		tv.tv_sec = A.cmd == C_SYNC ? (A.wait_s ? A.wait_s : 2) : 30;
		tv.tv_usec = 0;
		evtimer_add(A.deadline, &tv);
	}
	event_base_dispatch(A.base);
	if (A.interactive)
		interactive_stop();
	if (A.deadline)
		event_free(A.deadline);
	lc_client_event_free(A.ev);
	lc_client_free(A.c);
	event_base_free(A.base);
	for (int k = 0; k < MAX_ARGS; k++)
		free(A.res[k]);
	free(A.chat_res);
	sodium_memzero(A.password, sizeof A.password);
	return A.rc;
}
