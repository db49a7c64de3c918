/* chat: the commands that talk to the server, and the dispatch of all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "chat.h"

/* The message just sent, as a line the marks will follow. */
static void show_own(const char *chat, const char *text)
{
	lc_store_message m;

	memset(&m, 0, sizeof m);
	memcpy(m.id, A.sent_id, 16);
	m.sender_id = lc_client_user_id(A.c);
	m.time_ms = now_ms();
	m.flags = LC_STORE_MSG_OUTGOING;
	m.text = text;
	print_message(&m, chat, NULL);
	marks_add(A.sent_id, chat, text);
	finish(0);
}

void held_notice(const char *uid)
{
	char id[33], buf[200];

	ui_out();
	if (strncmp(uid, "g:", 2) == 0) { /* a group with a held member */
		hex(A.sent_id, 16, id);
		if (A.json) {
			printf("{\"event\":\"held\",\"id\":\"%s\","
			       "\"chat\":\"%s\",\"chat_name\":", id, uid);
			json_str(chat_name(uid, buf, sizeof buf));
			printf("}\n");
		} else {
			printf("held: a member of %s has a new key; `trust` "
			       "them to send the message\n",
			       chat_name(uid, buf, sizeof buf));
		}
	} else if (A.json) {
		hex(A.sent_id, 16, id);
		printf("{\"event\":\"held\",\"id\":\"%s\",\"user\":\"%s\","
		       "\"name\":", id, uid);
		json_str(user_name(uid));
		printf("}\n");
	} else {
		printf("held: %s has a new key; `trust %s` sends the message\n",
		       user_name(uid), user_name(uid));
	}
	if (!A.interactive && A.cmd == C_SEND)
		finish(0);
}

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
		return;
	}
	lc_client_event_kick(A.ev);
	if (A.interactive)
		show_own(A.res[0], A.args[1]);
	else if (lc_client_chat_held(A.c, A.res[0]) == 1)
		held_notice(A.res[0]); /* no ack will come until `trust` */
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

/* A request that could not be sent ends the command. */
static void check(int rc)
{
	if (rc == 0)
		return;
	fprintf(stderr, "failed: %s\n", lc_strerror(rc));
	finish(1);
}

/* read: ends when the server answered the receipts, or at once when
 * nothing was unread (no receipt to send). */
static void cmd_read(void)
{
	lc_store_chats *ch = NULL;
	uint32_t unread = 0;

	if (lc_store_chat_get(lc_client_store(A.c), A.res[0], &ch) == 0)
		unread = lc_store_chats_get(ch, 0)->unread;
	lc_store_chats_free(ch);
	A.pending = 1;
	check(lc_client_mark_read(A.c, A.res[0], now_ms()));
	if (unread == 0 && !A.finished)
		finish(0);
}

/* Accept a contact's new key: what was held is sent; the command ends
 * once the outbox is empty (or at the deadline). */
static void cmd_trust(void)
{
	int held, rc;

	if (user_only(A.res[0], A.args[0])) {
		finish(1);
		return;
	}
	held = lc_client_identity_held(A.c, A.res[0]);
	rc = held < 0 ? held : lc_client_trust_identity(A.c, A.res[0], now_ms());
	if (rc) {
		check(rc);
		return;
	}
	if (A.json) {
		printf("{\"event\":\"trusted\",\"user\":\"%s\",\"name\":",
		       A.res[0]);
		json_str(user_name(A.res[0]));
		printf(",\"was_held\":%s}\n", held ? "true" : "false");
	} else {
		printf("trusted the new key of %s%s\n", user_name(A.res[0]),
		       held ? ": sending what was held" : "");
	}
	outbox_check();
}

/* trust: done when no message to the user is left in the outbox (what
 * was held got its ack). */
void outbox_check(void)
{
	lc_store_page *pg = NULL;
	size_t n = 0;

	if (A.interactive) {
		finish(0);
		return;
	}
	if (lc_store_outbox_list(lc_client_store(A.c), LC_STORE_PAGE_MAX, &pg)) {
		finish(1);
		return;
	}
	for (size_t i = 0; i < lc_store_page_count(pg); i++)
		n += strcmp(lc_store_page_get(pg, i)->chat_id, A.res[0]) == 0;
	lc_store_page_free(pg);
	if (n == 0)
		finish(0);
}

/* /open: plain lines go to this chat from now on. */
static void cmd_open(void)
{
	char *chat = strdup(A.res[0]), *label = strdup(A.args[0]);

	if (chat == NULL || label == NULL) {
		free(chat);
		free(label);
		finish(1);
		return;
	}
	free(A.open_chat);
	free(A.open_label);
	A.open_chat = chat;
	A.open_label = label;
	finish(0);
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
		check(lc_client_logout(A.c, 0, now_ms()));
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
		cmd_read();
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
		check(lc_client_presence_subscribe(A.c, one, 1, 0, now_ms()));
		break;
	case C_TRUST:
		cmd_trust();
		break;
	case C_OPEN:
		cmd_open();
		return;
	case C_COUNT:
	case C_INTERACTIVE:
		break;
	}
	lc_client_event_kick(A.ev);
}
