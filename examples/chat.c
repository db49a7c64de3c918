/* chat: the reference client's one-shot commands, for people and scripts.
 *
 *   chat --home DIR --server HOST:PORT [--json] COMMAND [ARGS]
 *
 *   register --phone P | --email E --name NAME   password: CHAT_PASSWORD
 *   login --phone P | --email E                  or a prompt
 *   logout
 *   send TO TEXT          TO: +phone, email, user id, or group:HEXID
 *   sync [--wait SECONDS] receive what is pending, print it
 *   read CHAT             mark read, send read receipts
 *   chats                 the chat list (from the store)
 *   history CHAT [--limit N]
 *   search QUERY
 *   group create NAME MEMBER... | group add|remove GROUP MEMBER...
 *   group leave GROUP | group info GROUP
 *   fingerprint TO        the safety number with TO
 *   status TO             online / last seen
 *
 * Every command connects, logs in by token, does its work, waits until the
 * server has answered and exits 0 (1 on failure). With --json each event
 * is one JSON object per line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include <libchat/client_event.h>
#include <libchat/receipts.h>

enum cmd { C_REGISTER, C_LOGIN, C_LOGOUT, C_SEND, C_SYNC, C_READ, C_CHATS,
	   C_HISTORY, C_SEARCH, C_GROUP, C_FINGERPRINT, C_STATUS };

static struct {
	struct event_base *base;
	struct event *deadline;
	lc_client *c;
	lc_client_event *ev;
	int json;
	enum cmd cmd;
	char **args;
	int nargs;
	const char *phone, *email, *name;
	char password[256];
	char target[80];     /* a resolved user id */
	int waiting_lookup;
	int pending;         /* answers still expected */
	int wait_s;
	size_t limit;
	int rc;
	int finished;
} A;

static uint64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static void finish(int rc)
{
	if (A.finished)
		return;
	A.finished = 1;
	A.rc = rc;
	event_base_loopbreak(A.base);
}

/* A string as a JSON string body (quotes and controls escaped). */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, b, n);
}

static void print_message(const lc_store_message *m, const char *chat)
{
	char id[33];

	hex(m->id, 16, id);
	if (A.json) {
		printf("{\"event\":\"message\",\"id\":\"%s\",\"chat\":", id);
		json_str(chat);
		printf(",\"from\":");
		json_str(m->sender_id ? m->sender_id : "");
		printf(",\"time_ms\":%llu,\"outgoing\":%s,\"state\":%u,\"text\":",
		       (unsigned long long)m->time_ms,
		       m->flags & LC_STORE_MSG_OUTGOING ? "true" : "false",
		       m->state);
		json_str(m->text ? m->text : "");
		printf("}\n");
	} else {
		printf("[%s] %s: %s\n", chat,
		       m->flags & LC_STORE_MSG_OUTGOING ? "me" : m->sender_id,
		       m->text ? m->text : "");
	}
}

/* ------------------------------------------------------------ callbacks */

static void start_command(void);

static void on_state(int state, int reason, void *ud)
{
	(void)ud;
	if (state == LC_CLIENT_CONNECTED && A.cmd == C_REGISTER)
		(void)lc_client_register(A.c, A.phone, A.email, A.name,
					 A.password, now_ms());
	else if (state == LC_CLIENT_CONNECTED && A.cmd == C_LOGIN)
		(void)lc_client_login(A.c, A.phone, A.email, A.password,
				      now_ms());
	else if (state == LC_CLIENT_CONNECTED &&
		 lc_client_user_id(A.c)[0] == 0) {
		fprintf(stderr, "not logged in: run `chat login` first\n");
		finish(1);
	} else if (state == LC_CLIENT_READY) {
		start_command();
	} else if (state == LC_CLIENT_DISCONNECTED && reason) {
		fprintf(stderr, "connection lost (%s)\n", lc_strerror(reason));
	}
}

static void on_message(const lc_client_message *m, void *ud)
{
	lc_store_message sm;

	(void)ud;
	memset(&sm, 0, sizeof sm);
	memcpy(sm.id, m->id, 16);
	sm.sender_id = m->sender_id;
	sm.time_ms = m->time_ms;
	sm.flags = m->outgoing ? LC_STORE_MSG_OUTGOING : 0;
	sm.text = m->text;
	print_message(&sm, m->chat_id);
}

static void on_receipt(const uint8_t *id, const char *uid, uint32_t dev,
		       int state, int aggregate, void *ud)
{
	static const char *const names[] = { "pending", "sent", "delivered",
					     "read", "failed" };
	char h[33];

	(void)ud;
	hex(id, 16, h);
	if (A.json)
		printf("{\"event\":\"receipt\",\"id\":\"%s\",\"user\":\"%s\","
		       "\"device\":%u,\"state\":\"%s\",\"aggregate\":\"%s\"}\n",
		       h, uid, dev, names[state % 5], names[aggregate % 5]);
	else
		printf("%.8s %s/%u %s\n", h, uid, dev, names[state % 5]);
	if (A.cmd == C_SEND && aggregate >= LC_RECEIPT_SENT &&
	    aggregate != LC_RECEIPT_FAILED && A.wait_s == 0)
		finish(0);
}

static void on_presence(const char *uid, int online, uint64_t last,
			void *ud)
{
	(void)ud;
	if (A.json)
		printf("{\"event\":\"presence\",\"user\":\"%s\",\"online\":%s,"
		       "\"last_seen_ms\":%llu}\n", uid, online ? "true" : "false",
		       (unsigned long long)last);
	else if (online)
		printf("%s: online\n", uid);
	else
		printf("%s: last seen %llu\n", uid, (unsigned long long)last);
}

static void on_group(const lc_client_group *g, int change, const char *actor,
		     void *ud)
{
	char h[33];

	(void)ud;
	(void)actor;
	hex(g->id, 16, h);
	if (A.json)
		printf("{\"event\":\"group\",\"id\":\"%s\",\"change\":%d,"
		       "\"members\":%zu}\n", h, change, g->n_members);
	else {
		printf("group:%s %s (%zu members)\n", h, g->name, g->n_members);
		for (size_t i = 0; i < g->n_members; i++)
			printf("  %s%s\n", g->members[i],
			       g->admins[i] ? " (admin)" : "");
	}
}

static void on_identity(const char *uid, uint32_t dev, void *ud)
{
	(void)ud;
	printf(A.json ? "{\"event\":\"identity_changed\",\"user\":\"%s\","
			"\"device\":%u}\n" :
			"warning: %s/%u has a new identity key\n", uid, dev);
}

static void on_user(const char *uid, const char *name, void *ud)
{
	(void)ud;
	(void)name;
	snprintf(A.target, sizeof A.target, "%s", uid);
}

static void on_done(int op, int code, const uint8_t *id, void *ud)
{
	(void)ud;
	(void)id;
	if (A.finished)
		return; /* requests cut off by exiting */
	if (code) {
		fprintf(stderr, "failed: %s\n", lc_strerror(code));
		finish(1);
		return;
	}
	if (op == LC_CLIENT_OP_LOOKUP && A.waiting_lookup) {
		A.waiting_lookup = 0;
		start_command();
		return;
	}
	if ((op == LC_CLIENT_OP_REGISTER || op == LC_CLIENT_OP_LOGIN) &&
	    (A.cmd == C_REGISTER || A.cmd == C_LOGIN)) {
		printf(A.json ? "{\"event\":\"account\",\"user\":\"%s\","
				"\"device\":%u}\n" : "logged in as %s (device %u)\n",
		       lc_client_user_id(A.c), lc_client_device_id(A.c));
		return; /* READY follows: then finish */
	}
	if (op == LC_CLIENT_OP_REGISTER || op == LC_CLIENT_OP_LOGIN ||
	    op == LC_CLIENT_OP_KEYS || op == LC_CLIENT_OP_LOOKUP)
		return; /* steps on the way, not the command's answer */
	if (--A.pending <= 0 && A.wait_s == 0 && A.cmd != C_SEND)
		finish(0);
}

static void on_error(int code, const uint8_t *id, void *ud)
{
	(void)ud;
	(void)id;
	fprintf(stderr, "error: %s\n", lc_strerror(code));
}

/* ------------------------------------------------------------- commands */

/* Resolve TO (a phone, an email or a user id) into A.target; 1 when a
 * lookup was sent and the command resumes after it. */
static int resolve(const char *to)
{
	if (A.target[0])
		return 0;
	if (to[0] == '+' || strchr(to, '@')) {
		A.waiting_lookup = 1;
		(void)lc_client_lookup(A.c, to[0] == '+' ? to : NULL,
				       to[0] == '+' ? NULL : to, now_ms());
		return 1;
	}
	snprintf(A.target, sizeof A.target, "%s", to);
	return 0;
}

static int parse_group(const char *to, uint8_t gid[16])
{
	size_t len = 0;

	return strncmp(to, "group:", 6) == 0 && strlen(to) == 38 &&
	       sodium_hex2bin(gid, 16, to + 6, 32, NULL, &len, NULL) == 0 &&
	       len == 16;
}

static void cmd_send(void)
{
	uint8_t gid[16];
	int rc;

	if (parse_group(A.args[0], gid)) {
		rc = lc_client_send_group_text(A.c, gid, A.args[1],
					       strlen(A.args[1]), NULL, now_ms());
	} else {
		if (resolve(A.args[0]))
			return;
		rc = lc_client_send_text(A.c, A.target, A.args[1],
					 strlen(A.args[1]), NULL, now_ms());
	}
	if (rc)
		finish(1);
	lc_client_event_kick(A.ev);
}

static void cmd_chats(void)
{
	lc_store_chats *l = NULL;

	if (lc_store_chats_list(lc_client_store(A.c), 0, 0, &l)) {
		finish(1);
		return;
	}
	for (size_t i = 0; i < lc_store_chats_count(l); i++) {
		const lc_store_chat *ch = lc_store_chats_get(l, i);
		if (A.json) {
			printf("{\"chat\":");
			json_str(ch->chat_id);
			printf(",\"unread\":%u,\"messages\":%llu}\n", ch->unread,
			       (unsigned long long)ch->message_count);
		} else {
			printf("%s  %u unread\n", ch->chat_id, ch->unread);
		}
	}
	lc_store_chats_free(l);
	finish(0);
}

static void cmd_history(void)
{
	lc_store_page *pg = NULL;
	size_t n;

	if (lc_store_messages_page(lc_client_store(A.c), A.args[0], 0, A.limit,
				   &pg)) {
		finish(1);
		return;
	}
	n = lc_store_page_count(pg);
	for (size_t i = n; i-- > 0;) /* oldest first */
		print_message(lc_store_page_get(pg, i), A.args[0]);
	lc_store_page_free(pg);
	finish(0);
}

static void cmd_search(void)
{
	lc_store_hits *h = NULL;

	if (lc_store_search(lc_client_store(A.c), A.args[0], NULL, NULL, 0, &h)) {
		finish(1);
		return;
	}
	for (size_t i = 0; i < lc_store_hits_count(h); i++) {
		const lc_store_hit *hit = lc_store_hits_get(h, i);
		print_message(&hit->message, hit->message.chat_id);
	}
	lc_store_hits_free(h);
	finish(0);
}

static void cmd_fingerprint(void)
{
	char sn[LC_CLIENT_SAFETY_NUMBER_SIZE];

	if (resolve(A.args[0]))
		return;
	if (lc_client_safety_number(A.c, A.target, 0, sn)) {
		fprintf(stderr, "no key known for %s yet\n", A.target);
		finish(1);
		return;
	}
	if (A.json)
		printf("{\"user\":\"%s\",\"safety_number\":\"%s\"}\n", A.target, sn);
	else
		for (int i = 0; i < 12; i++)
			printf("%.5s%c", sn + 5 * i, i % 4 == 3 ? '\n' : ' ');
	finish(0);
}

static void cmd_group(void)
{
	const char *const *rest = (const char *const *)A.args + 2;
	size_t n = (size_t)A.nargs - 2;
	const char *op = A.args[0];
	uint8_t gid[16];
	int rc = LC_ERR_INVALID_ARG;

	A.pending = 1;
	if (strcmp(op, "create") == 0 && n > 0)
		rc = lc_client_group_create(A.c, A.args[1], rest, n, now_ms());
	else if (!parse_group(A.args[1], gid))
		fprintf(stderr, "GROUP is group:HEXID\n");
	else if (strcmp(op, "add") == 0 && n > 0)
		rc = lc_client_group_add(A.c, gid, rest, n, now_ms());
	else if (strcmp(op, "remove") == 0 && n > 0)
		rc = lc_client_group_remove(A.c, gid, rest, n, now_ms());
	else if (strcmp(op, "leave") == 0)
		rc = lc_client_group_leave(A.c, gid, now_ms());
	else if (strcmp(op, "info") == 0)
		rc = lc_client_group_info(A.c, gid, now_ms());
	if (rc)
		finish(1);
}

static void start_command(void)
{
	const char *one[1];

	switch (A.cmd) {
	case C_REGISTER:
	case C_LOGIN:
		finish(0);
		return;
	case C_LOGOUT:
		A.pending = 1;
		(void)lc_client_logout(A.c, 0, now_ms());
		break;
	case C_SEND:
		cmd_send();
		break;
	case C_SYNC:
		if (A.wait_s == 0)
			A.wait_s = 1; /* pushes arrive right after login */
		break;
	case C_READ:
		A.pending = 1;
		if (lc_client_mark_read(A.c, A.args[0], now_ms()))
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
	case C_STATUS:
		if (resolve(A.args[0]))
			return;
		one[0] = A.target;
		A.pending = 1;
		(void)lc_client_presence_subscribe(A.c, one, 1, 0, now_ms());
		break;
	}
	lc_client_event_kick(A.ev);
}

/* ----------------------------------------------------------------- main */

static void read_password(void)
{
	const char *env = getenv("CHAT_PASSWORD");
	struct termios t, q;

	if (env) {
		snprintf(A.password, sizeof A.password, "%s", env);
		return;
	}
	fprintf(stderr, "password: ");
	if (tcgetattr(0, &t) == 0) {
		q = t;
		q.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSANOW, &q);
	}
	if (fgets(A.password, sizeof A.password, stdin) == NULL)
		A.password[0] = 0;
	tcsetattr(0, TCSANOW, &t);
	fprintf(stderr, "\n");
	A.password[strcspn(A.password, "\n")] = 0;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	finish(A.cmd == C_SYNC ? 0 : 1);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: chat --home DIR --server HOST:PORT [--json] COMMAND\n"
		"  register --phone P | --email E --name NAME\n"
		"  login --phone P | --email E\n  logout\n  send TO TEXT\n"
		"  sync [--wait SECONDS]\n  read CHAT\n  chats\n"
		"  history CHAT [--limit N]\n  search QUERY\n"
		"  group create NAME MEMBER...\n  group add|remove GROUP MEMBER...\n"
		"  group leave GROUP\n  group info GROUP\n"
		"  fingerprint TO\n  status TO\n");
	return 2;
}

static int parse_command(int argc, char **argv)
{
	static const char *const names[] = { "register", "login", "logout",
		"send", "sync", "read", "chats", "history", "search", "group",
		"fingerprint", "status" };
	static const int need[] = { 0, 0, 0, 2, 0, 1, 0, 1, 1, 2, 1, 1 };
	int k = -1;

	for (int i = 0; i < 12 && argc > 0; i++)
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
			A.limit = (size_t)atoi(argv[++i]);
		else
			A.args[A.nargs++] = argv[i];
	}
	if (A.nargs < need[k])
		return -1;
	if ((A.cmd == C_REGISTER || A.cmd == C_LOGIN) &&
	    (A.phone == NULL) == (A.email == NULL))
		return -1;
	return 0;
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
		else
			return usage();
	}
	if (!home || !server || (colon = strrchr(server, ':')) == NULL ||
	    (size_t)(colon - server) >= sizeof host ||
	    parse_command(argc - i, argv + i))
		return usage();
	memcpy(host, server, (size_t)(colon - server));
	host[colon - server] = 0;
	if (A.cmd == C_REGISTER || A.cmd == C_LOGIN)
		read_password();
	cfg.version = LC_CLIENT_CONFIG_VERSION;
	cfg.store_dir = home;
	cb.version = LC_CLIENT_CONFIG_VERSION;
	cb.state = on_state;
	cb.message = on_message;
	cb.receipt = on_receipt;
	cb.presence = on_presence;
	cb.group = on_group;
	cb.identity_changed = on_identity;
	cb.done = on_done;
	cb.error = on_error;
	cb.user = on_user;
	A.rc = 1;
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
	A.deadline = evtimer_new(A.base, on_deadline, NULL);
	tv.tv_sec = A.cmd == C_SYNC ? (A.wait_s ? A.wait_s : 2) : 30;
	tv.tv_usec = 0;
	evtimer_add(A.deadline, &tv);
	event_base_dispatch(A.base);
	event_free(A.deadline);
	lc_client_event_free(A.ev);
	lc_client_free(A.c);
	event_base_free(A.base);
	sodium_memzero(A.password, sizeof A.password);
	return A.rc;
}
