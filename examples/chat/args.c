/* chat: the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"

int usage(void)
{
	fprintf(stderr,
		"usage: chat --home DIR --server HOST:PORT [--http HOST:PORT]\n"
		"            [--json] [--on-key-change hold|continue] [COMMAND]\n"
		"  (no command: the interactive mode, /help lists its commands)\n"
		"  (--server ws://HOST:PORT/PATH: over WebSocket, e.g.\n"
		"   ws://127.0.0.1:7422/v1/ws; the path defaults to /v1/ws)\n"
		"  register --phone P | --email E --name NAME\n"
		"  login --phone P | --email E\n  logout\n  send TO TEXT\n"
		"  sync [--wait SECONDS]\n  read CHAT\n  chats\n"
		"  history CHAT [--offset N] [--limit N]\n"
		"  search QUERY [--chat CHAT]\n  contact TO\n"
		"  group create NAME MEMBER...\n  group add|remove GROUP MEMBER...\n"
		"  group leave GROUP\n  group info GROUP\n"
		"  fingerprint TO\n  status TO\n  trust TO\n"
		"  send-file TO PATH [--caption TEXT] [--mime TYPE]\n"
		"TO, CHAT, GROUP and MEMBER: +PHONE, EMAIL, USER_ID, group:NAME\n");
	return 2;
}

int parse_command(int argc, char **argv)
{
	static const char *const names[] = { "register", "login", "logout",
		"send", "sync", "read", "chats", "history", "search", "group",
		"fingerprint", "status", "contact", "send-file", "trust" };
	static const int need[] = { 0, 0, 0, 2, 0, 1, 0, 1, 1, 2, 1, 1, 1, 2,
				    1 };
	int k = -1;

	for (int i = 0; i < C_COUNT && argc > 0; i++)
		if (strcmp(argv[0], names[i]) == 0)
			k = i;
	if (k < 0)
		return -1;
	A.cmd = (enum cmd)k;
	A.args = argv + 1;
	A.nargs = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--phone") == 0 && i + 1 < argc)
			A.phone = argv[++i];
		else if (strcmp(argv[i], "--email") == 0 && i + 1 < argc)
			A.email = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			A.name = argv[++i];
		else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc)
			A.wait_s = atoi(argv[++i]);
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
			A.limit = (size_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--offset") == 0 && i + 1 < argc)
			A.offset = (size_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--chat") == 0 && i + 1 < argc)
			A.chat_opt = argv[++i];
		else if (strcmp(argv[i], "--caption") == 0 && i + 1 < argc)
			A.caption = argv[++i];
		else if (strcmp(argv[i], "--mime") == 0 && i + 1 < argc)
			A.mime = argv[++i];
		else if (A.nargs < MAX_ARGS)
			A.args[A.nargs++] = argv[i];
		else
			return -1;
	}
	if (A.nargs < need[k] ||
	    (A.cmd == C_GROUP && strcmp(A.args[0], "create") == 0 && A.nargs < 3))
		return -1;
	if ((A.cmd == C_REGISTER || A.cmd == C_LOGIN) &&
	    (A.phone == NULL) == (A.email == NULL))
		return -1;
	return 0;
}
