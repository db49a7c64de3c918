/* chat: the reference client, for people and scripts.
 *
 *   chat --home DIR --server HOST:PORT [--json]
 *        [--on-key-change hold|continue] [COMMAND [ARGS]]
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
 *
 * Every command connects, logs in by token, does its work, waits until the
 * server has answered and exits 0 (1 on failure). With --json each event
 * is one JSON object per line.
 *
 * Display names (from lookups) and group names (from group events) are
 * remembered in DIR/names, so that human output shows names, not ids, and
 * group:NAME resolves. */
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
	(void)fd;
	(void)what;
	(void)arg;
	finish(A.cmd == C_SYNC ? 0 : 1);
}

int main(int argc, char **argv)
{
	const char *home = NULL, *server = NULL;
	lc_client_config cfg = {0};
	lc_client_callbacks cb = {0};
	lc_client_event_config ec = {0};
	char host[256];
	const char *colon;
	struct timeval tv;
	int i = 1;

	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			home = argv[++i];
		else if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
			server = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			A.json = 1;
		else if (strcmp(argv[i], "--on-key-change") == 0 &&
			 i + 1 < argc && key_policy(argv[++i]) == 0)
			continue;
		else
			return usage();
	}
	if (!home || !server || (colon = strrchr(server, ':')) == NULL ||
	    (size_t)(colon - server) >= sizeof host ||
	    (i < argc && parse_command(argc - i, argv + i)))
		return usage();
	if (i == argc)
		A.cmd = C_INTERACTIVE;
	memcpy(host, server, (size_t)(colon - server));
	host[colon - server] = 0;
	if (A.cmd == C_REGISTER || A.cmd == C_LOGIN)
		read_password();
	cfg.version = LC_CLIENT_CONFIG_VERSION;
	cfg.store_dir = home;
	cfg.flags = A.hold ? LC_CLIENT_HOLD_ON_KEY_CHANGE : 0;
	callbacks_fill(&cb);
	A.rc = 1;
	A.lookup_idx = -1;
	names_load(home);
	A.base = event_base_new();
	if (A.base == NULL || lc_client_new(&A.c, &cfg, &cb, NULL) != 0) {
		fprintf(stderr, "cannot open %s\n", home);
		return 1;
	}
	ec.version = LC_CLIENT_EVENT_CONFIG_VERSION;
	ec.host = host;
	ec.port = (uint16_t)atoi(colon + 1);
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
