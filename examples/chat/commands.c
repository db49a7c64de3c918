/* chat: the commands that talk to the server, and the dispatch of all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "chat.h"

static void cmd_send(void)
{
	uint8_t gid[16];
	int rc;

	if (strncmp(A.res[0], "g:", 2) == 0) {
		(void)sodium_hex2bin(gid, 16, A.res[0] + 2, 32, NULL, NULL, NULL);
		rc = lc_client_send_group_text(A.c, gid, A.args[1],
					       strlen(A.args[1]), A.sent_id,
					       now_ms());
	} else {
		rc = lc_client_send_text(A.c, A.res[0], A.args[1],
					 strlen(A.args[1]), A.sent_id, now_ms());
	}
	if (rc) {
		fprintf(stderr, "failed: %s\n", lc_strerror(rc));
		finish(1);
	}
	lc_client_event_kick(A.ev);
}

static void cmd_fingerprint(void)
{
	char sn[LC_CLIENT_SAFETY_NUMBER_SIZE];

	if (user_only(A.res[0], A.args[0])) {
		finish(1);
		return;
	}
	if (lc_client_safety_number(A.c, A.res[0], 0, sn)) {
		fprintf(stderr, "no key known for %s yet\n", A.args[0]);
		finish(1);
		return;
	}
	if (A.json) {
		printf("{\"user\":\"%s\",\"name\":", A.res[0]);
		json_str(user_name(A.res[0]));
		printf(",\"safety_number\":\"%s\"}\n", sn);
	} else {
		printf("safety number with %s:\n", user_name(A.res[0]));
		for (int i = 0; i < 12; i++)
			printf("%.5s%c", sn + 5 * i, i % 4 == 3 ? '\n' : ' ');
	}
	finish(0);
}

static void cmd_contact(void)
{
	if (user_only(A.res[0], A.args[0])) {
		finish(1);
		return;
	}
	if (A.json) {
		printf("{\"user\":\"%s\",\"name\":", A.res[0]);
		json_str(user_name(A.res[0]));
		printf("}\n");
	} else {
		printf("%s is %s\n", A.args[0], user_name(A.res[0]));
	}
	finish(0);
}

static void cmd_group(void)
{
	const char *const *rest = (const char *const *)A.res + 2;
	size_t n = (size_t)A.nargs - 2;
	const char *op = A.args[0];
	uint8_t gid[16];
	int rc = LC_ERR_INVALID_ARG;

	for (size_t i = 0; i < n; i++) {
		if (user_only(rest[i], A.args[2 + i])) {
			finish(1);
			return;
		}
	}
	A.pending = 1;
	if (strcmp(op, "create") == 0 && n > 0)
		rc = lc_client_group_create(A.c, A.args[1], rest, n, now_ms());
	else if (strncmp(A.res[1], "g:", 2) != 0)
		fprintf(stderr, "GROUP is group:NAME or group:HEXID\n");
	else if (sodium_hex2bin(gid, 16, A.res[1] + 2, 32, NULL, NULL, NULL))
		rc = LC_ERR_INVALID_ARG;
	else if (strcmp(op, "add") == 0 && n > 0)
		rc = lc_client_group_add(A.c, gid, rest, n, now_ms());
	else if (strcmp(op, "remove") == 0 && n > 0)
		rc = lc_client_group_remove(A.c, gid, rest, n, now_ms());
	else if (strcmp(op, "leave") == 0 && n == 0)
		rc = lc_client_group_leave(A.c, gid, now_ms());
	else if (strcmp(op, "info") == 0 && n == 0)
		rc = lc_client_group_info(A.c, gid, now_ms());
	if (rc) {
		fprintf(stderr, "failed: %s\n", lc_strerror(rc));
		finish(1);
	}
}

void start_command(void)
{
	const char *one[1];
	int rc;

	if (A.cmd != C_REGISTER && A.cmd != C_LOGIN && A.cmd != C_LOGOUT &&
	    (rc = resolve_all()) != 0) {
		if (rc < 0)
			finish(1);
		return;
	}
	switch (A.cmd) {
	case C_REGISTER:
	case C_LOGIN:
		if (A.name)
			names_put('u', lc_client_user_id(A.c),
				  A.phone ? A.phone : A.email, A.name);
		printf(A.json ? "{\"event\":\"account\",\"user\":\"%s\","
				"\"device\":%u}\n" : "logged in as %s (device %u)\n",
		       lc_client_user_id(A.c), lc_client_device_id(A.c));
		finish(0);
		return;
	case C_LOGOUT:
		A.pending = 1;
		(void)lc_client_logout(A.c, 0, now_ms());
		break;
	case C_SEND:
		cmd_send();
		break;
	case C_SEND_FILE:
		cmd_send_file();
		return;
	case C_SYNC:
		if (A.wait_s == 0)
			A.wait_s = 1; /* pushes arrive right after login */
		break;
	case C_READ:
		A.pending = 1;
		if (lc_client_mark_read(A.c, A.res[0], now_ms()))
			finish(1);
		break;
	case C_CHATS:
		cmd_chats();
		return;
	case C_HISTORY:
		cmd_history();
		return;
	case C_SEARCH:
		cmd_search();
		return;
	case C_GROUP:
		cmd_group();
		break;
	case C_FINGERPRINT:
		cmd_fingerprint();
		return;
	case C_CONTACT:
		cmd_contact();
		return;
	case C_STATUS:
		if (user_only(A.res[0], A.args[0])) {
			finish(1);
			return;
		}
		one[0] = A.res[0];
		A.pending = 1;
		(void)lc_client_presence_subscribe(A.c, one, 1, 0, now_ms());
		break;
	case C_COUNT:
		break;
	}
	lc_client_event_kick(A.ev);
}
