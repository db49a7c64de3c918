/* chat: the reference client's one-shot commands, for people and scripts.
 *
 *   chat --home DIR --server HOST:PORT [--json] COMMAND [ARGS]
 *   chat --home DIR --server ws://HOST:PORT/PATH ...   (WebSocket)
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
#include <sys/time.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include <libchat/client_event.h>
#include <libchat/receipts.h>

enum cmd { C_REGISTER, C_LOGIN, C_LOGOUT, C_SEND, C_SYNC, C_READ, C_CHATS,
	   C_HISTORY, C_SEARCH, C_GROUP, C_FINGERPRINT, C_STATUS, C_CONTACT,
	   C_COUNT };

#define MAX_ARGS 64

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
	char *res[MAX_ARGS]; /* resolved arguments: user ids or "g:HEX" */
	const char *chat_opt; /* search --chat */
	char *chat_res;
	int lookup_idx;      /* the argument a lookup answers, -1: none */
	uint8_t sent_id[16]; /* send: the message whose ack ends the command */
	int waiting_lookup;
	int pending;         /* answers still expected */
	int wait_s;
	size_t limit, offset;
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

/* ---------------------------------------------------------------- names */

/* Names learned along the way, kept beside the store in DIR/names: lines
 * "u UID NAME-HANDLE..." are tab-separated as "u\tUID\tHANDLE\tNAME" and
 * "g\tHEX\t\tNAME"; a later line wins. The library keeps ids only. */
#define MAX_NAMES 1024

struct name {
	char kind;
	char key[80];
	char handle[128];
	char name[128];
};

static struct name known[MAX_NAMES];
static size_t n_names;
static char names_path[4096];

static void names_put(char kind, const char *key, const char *handle,
		      const char *name)
{
	struct name *e;
	FILE *f;

	if (n_names == MAX_NAMES || strlen(key) >= sizeof e->key ||
	    strpbrk(name, "\t\n") || strpbrk(handle, "\t\n"))
		return;
	e = &known[n_names++];
	e->kind = kind;
	snprintf(e->key, sizeof e->key, "%s", key);
	snprintf(e->handle, sizeof e->handle, "%s", handle);
	snprintf(e->name, sizeof e->name, "%s", name);
	if ((f = fopen(names_path, "a")) != NULL) {
		fprintf(f, "%c\t%s\t%s\t%s\n", kind, key, handle, name);
		fclose(f);
	}
}

/* Split off the next tab-separated field of *s (NULL when none is left). */
static char *field(char **s)
{
	char *f = *s, *tab;

	if (f == NULL)
		return NULL;
	tab = strchr(f, '\t');
	if (tab)
		*tab++ = 0;
	*s = tab;
	return f;
}

static void names_load(const char *home)
{
	char line[512];
	FILE *f;

	snprintf(names_path, sizeof names_path, "%s/names", home);
	if ((f = fopen(names_path, "r")) == NULL)
		return;
	while (n_names < MAX_NAMES && fgets(line, sizeof line, f)) {
		struct name *e = &known[n_names];
		char *rest = line, *kind, *key, *handle, *name;

		line[strcspn(line, "\n")] = 0;
		kind = field(&rest);
		key = field(&rest);
		handle = field(&rest);
		name = field(&rest);
		if (name == NULL || rest != NULL || strlen(kind) != 1 ||
		    (kind[0] != 'u' && kind[0] != 'g') ||
		    strlen(key) >= sizeof e->key)
			continue; /* not a line this program wrote */
		e->kind = kind[0];
		snprintf(e->key, sizeof e->key, "%s", key);
		snprintf(e->handle, sizeof e->handle, "%s", handle);
		snprintf(e->name, sizeof e->name, "%s", name);
		n_names++;
	}
	fclose(f);
}

/* The newest entry of @p kind whose key (by_key) or handle/name matches. */
static const struct name *names_find(char kind, const char *v, int by_key)
{
	for (size_t i = n_names; i-- > 0;) {
		const struct name *e = &known[i];
		if (e->kind != kind)
			continue;
		if (by_key ? strcmp(e->key, v) == 0 :
			     strcmp(e->handle, v) == 0 ||
			     (kind == 'g' && strcmp(e->name, v) == 0))
			return e;
	}
	return NULL;
}

/* A user id as people read it: "me", a display name, or the id. */
static const char *user_name(const char *uid)
{
	const struct name *e;

	if (uid == NULL || uid[0] == 0)
		return "?";
	if (A.c && strcmp(uid, lc_client_user_id(A.c)) == 0)
		return "me";
	e = names_find('u', uid, 1);
	return e && e->name[0] ? e->name : uid;
}

/* A chat id as people read it: a contact's name or "group:NAME". */
static const char *chat_name(const char *chat, char *buf, size_t n)
{
	const struct name *e;

	if (strncmp(chat, "g:", 2) != 0)
		return user_name(chat);
	e = names_find('g', chat + 2, 1);
	if (e && e->name[0])
		snprintf(buf, n, "group:%s", e->name);
	else
		snprintf(buf, n, "group:%s", chat + 2);
	return buf;
}

static const char *const state_names[] = { "pending", "sent", "delivered",
					    "read", "failed" };
static const char *const ticks[] = { "...", "\u2713", "\u2713\u2713", "read",
				     "failed" };

static void print_message(const lc_store_message *m, const char *chat)
{
	char id[33], buf[200];
	int out = (m->flags & LC_STORE_MSG_OUTGOING) != 0;

	hex(m->id, 16, id);
	if (A.json) {
		printf("{\"event\":\"message\",\"id\":\"%s\",\"chat\":", id);
		json_str(chat);
		printf(",\"chat_name\":");
		json_str(chat_name(chat, buf, sizeof buf));
		printf(",\"from\":");
		json_str(m->sender_id ? m->sender_id : "");
		printf(",\"from_name\":");
		json_str(out ? "me" : user_name(m->sender_id));
		printf(",\"time_ms\":%llu,\"outgoing\":%s,\"state\":\"%s\","
		       "\"text\":", (unsigned long long)m->time_ms,
		       out ? "true" : "false", state_names[m->state % 5]);
		json_str(m->text ? m->text : "");
		printf("}\n");
	} else if (out) {
		printf("[%s] me: %s  %s\n", chat_name(chat, buf, sizeof buf),
		       m->text ? m->text : "", ticks[m->state % 5]);
	} else {
		printf("[%s] %s: %s\n", chat_name(chat, buf, sizeof buf),
		       user_name(m->sender_id), m->text ? m->text : "");
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
	char h[33];

	(void)ud;
	hex(id, 16, h);
	if (A.json) {
		printf("{\"event\":\"receipt\",\"id\":\"%s\",\"user\":\"%s\","
		       "\"name\":", h, uid);
		json_str(user_name(uid));
		printf(",\"device\":%u,\"state\":\"%s\",\"aggregate\":\"%s\"}\n",
		       dev, state_names[state % 5], state_names[aggregate % 5]);
	} else {
		printf("%.8s %s: %s (%s)\n", h, user_name(uid),
		       ticks[state % 5], state_names[state % 5]);
	}
	if (A.cmd == C_SEND && memcmp(id, A.sent_id, 16) == 0 &&
	    aggregate >= LC_RECEIPT_SENT &&
	    aggregate != LC_RECEIPT_FAILED && A.wait_s == 0)
		finish(0);
}

static void on_presence(const char *uid, int online, uint64_t last,
			void *ud)
{
	time_t t = (time_t)(last / 1000u);
	struct tm tm;
	char when[32] = "never";

	(void)ud;
	if (last && gmtime_r(&t, &tm))
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (A.json) {
		printf("{\"event\":\"presence\",\"user\":\"%s\",\"name\":", uid);
		json_str(user_name(uid));
		printf(",\"online\":%s,\"last_seen_ms\":%llu}\n",
		       online ? "true" : "false", (unsigned long long)last);
	} else if (online) {
		printf("%s: online\n", user_name(uid));
	} else {
		printf("%s: last seen %s\n", user_name(uid), when);
	}
}

static void on_group(const lc_client_group *g, int change, const char *actor,
		     void *ud)
{
	char h[33];

	(void)ud;
	hex(g->id, 16, h);
	if (g->name && g->name[0]) {
		const struct name *e = names_find('g', h, 1);
		if (e == NULL || strcmp(e->name, g->name) != 0)
			names_put('g', h, "", g->name);
	}
	if (A.json) {
		printf("{\"event\":\"group\",\"id\":\"%s\",\"name\":", h);
		json_str(g->name ? g->name : "");
		printf(",\"change\":%d,\"actor\":", change);
		json_str(actor ? actor : "");
		printf(",\"members\":[");
		for (size_t i = 0; i < g->n_members; i++) {
			printf("%s{\"user\":\"%s\",\"name\":", i ? "," : "",
			       g->members[i]);
			json_str(user_name(g->members[i]));
			printf(",\"admin\":%s}", g->admins[i] ? "true" : "false");
		}
		printf("]}\n");
	} else {
		printf("group:%s (%s, %zu members)\n", g->name, h, g->n_members);
		for (size_t i = 0; i < g->n_members; i++)
			printf("  %s%s\n", user_name(g->members[i]),
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
	const char *handle = A.lookup_idx >= 0 ? A.args[A.lookup_idx] :
			     A.chat_opt;
	char **slot = A.lookup_idx >= 0 ? &A.res[A.lookup_idx] : &A.chat_res;

	(void)ud;
	free(*slot);
	*slot = strdup(uid);
	names_put('u', uid, handle ? handle : "", name ? name : "");
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
		A.lookup_idx = -1;
		start_command();
		return;
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

/* Which arguments name a user, a chat or a group (and so get resolved). */
static int is_target(int i)
{
	switch (A.cmd) {
	case C_SEND:
	case C_READ:
	case C_HISTORY:
	case C_FINGERPRINT:
	case C_STATUS:
	case C_CONTACT:
		return i == 0;
	case C_GROUP:
		return strcmp(A.args[0], "create") == 0 ? i >= 2 : i >= 1;
	default:
		return 0;
	}
}

/* "group:NAME" or "group:HEX" (or the store's "g:HEX") into "g:HEX". */
static int resolve_group(const char *to, char **out)
{
	const char *v = to + (strncmp(to, "g:", 2) == 0 ? 2 : 6);
	const struct name *e = names_find('g', v, 0);
	uint8_t gid[16];
	size_t len = 0;
	char buf[35];

	if (e != NULL && strlen(e->key) == 32) {
		snprintf(buf, sizeof buf, "g:%.32s", e->key);
	} else if (strlen(v) == 32 &&
		   sodium_hex2bin(gid, 16, v, 32, NULL, &len, NULL) == 0 &&
		   len == 16) {
		snprintf(buf, sizeof buf, "g:%s", v);
	} else {
		fprintf(stderr, "no group named %s (run `chat sync` to learn "
			"the groups you are in)\n", v);
		return -1;
	}
	*out = strdup(buf);
	return *out ? 0 : -1;
}

/* Resolve one argument: 0 done, 1 a lookup was sent (the command resumes
 * after its answer), -1 failed. */
static int resolve_one(const char *to, char **out, int idx)
{
	const struct name *e;

	if (*out)
		return 0;
	if (strncmp(to, "group:", 6) == 0 || strncmp(to, "g:", 2) == 0)
		return resolve_group(to, out);
	if (to[0] != '+' && !strchr(to, '@')) {
		*out = strdup(to); /* a user id */
		return *out ? 0 : -1;
	}
	if (A.cmd != C_CONTACT && (e = names_find('u', to, 0)) != NULL) {
		*out = strdup(e->key);
		return *out ? 0 : -1;
	}
	A.lookup_idx = idx;
	A.waiting_lookup = 1;
	if (lc_client_lookup(A.c, to[0] == '+' ? to : NULL,
			     to[0] == '+' ? NULL : to, now_ms()))
		return -1;
	lc_client_event_kick(A.ev);
	return 1;
}

static int resolve_all(void)
{
	int rc;

	for (int i = 0; i < A.nargs; i++)
		if (is_target(i) && (rc = resolve_one(A.args[i], &A.res[i], i)))
			return rc;
	if (A.chat_opt)
		return resolve_one(A.chat_opt, &A.chat_res, -1);
	return 0;
}

static int user_only(const char *v, const char *arg)
{
	if (strncmp(v, "g:", 2) != 0)
		return 0;
	fprintf(stderr, "%s is a group, not a user\n", arg);
	return -1;
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
	}
	lc_client_event_kick(A.ev);
}

static void cmd_chats(void)
{
	lc_store_chats *l = NULL;
	char buf[200];

	if (lc_store_chats_list(lc_client_store(A.c), 0, 0, &l)) {
		finish(1);
		return;
	}
	for (size_t i = 0; i < lc_store_chats_count(l); i++) {
		const lc_store_chat *ch = lc_store_chats_get(l, i);
		const char *name = chat_name(ch->chat_id, buf, sizeof buf);
		if (A.json) {
			printf("{\"chat\":");
			json_str(ch->chat_id);
			printf(",\"name\":");
			json_str(name);
			printf(",\"unread\":%u,\"messages\":%llu}\n", ch->unread,
			       (unsigned long long)ch->message_count);
		} else {
			printf("%s  %u unread\n", name, ch->unread);
		}
	}
	lc_store_chats_free(l);
	finish(0);
}

static void cmd_history(void)
{
	lc_store_page *pg = NULL;
	size_t n;

	if (lc_store_messages_page(lc_client_store(A.c), A.res[0], A.offset,
				   A.limit, &pg)) {
		finish(1);
		return;
	}
	n = lc_store_page_count(pg);
	for (size_t i = n; i-- > 0;) /* oldest first */
		print_message(lc_store_page_get(pg, i), A.res[0]);
	lc_store_page_free(pg);
	finish(0);
}

static void cmd_search(void)
{
	lc_store_hits *h = NULL;

	if (lc_store_search(lc_client_store(A.c), A.args[0], A.chat_res, NULL,
			    A.limit, &h)) {
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

static void start_command(void)
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
		"       (--server ws://HOST:PORT/PATH: over WebSocket, e.g.\n"
		"        ws://127.0.0.1:7422/v1/ws; the path defaults to /v1/ws)\n"
		"  register --phone P | --email E --name NAME\n"
		"  login --phone P | --email E\n  logout\n  send TO TEXT\n"
		"  sync [--wait SECONDS]\n  read CHAT\n  chats\n"
		"  history CHAT [--offset N] [--limit N]\n"
		"  search QUERY [--chat CHAT]\n  contact TO\n"
		"  group create NAME MEMBER...\n  group add|remove GROUP MEMBER...\n"
		"  group leave GROUP\n  group info GROUP\n"
		"  fingerprint TO\n  status TO\n"
		"TO, CHAT, GROUP and MEMBER: +PHONE, EMAIL, USER_ID, group:NAME\n");
	return 2;
}

static int parse_command(int argc, char **argv)
{
	static const char *const names[] = { "register", "login", "logout",
		"send", "sync", "read", "chats", "history", "search", "group",
		"fingerprint", "status", "contact" };
	static const int need[] = { 0, 0, 0, 2, 0, 1, 0, 1, 1, 2, 1, 1, 1 };
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

/* "HOST:PORT" (TCP) or "ws://HOST:PORT[/PATH]" (WebSocket; the path
 * defaults to /v1/ws). A host in brackets is an IPv6 address. */
static int parse_server(const char *s, char *host, size_t cap,
			uint16_t *port, const char **ws_path)
{
	const char *hp = s, *end, *colon;
	char *stop;
	long p;

	*ws_path = NULL;
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
	*port = (uint16_t)p;
	return 0;
}

int main(int argc, char **argv)
{
	const char *home = NULL, *server = NULL;
	lc_client_config cfg = {0};
	lc_client_callbacks cb = {0};
	lc_client_event_config ec = {0};
	char host[256];
	const char *ws_path = NULL;
	uint16_t port = 0;
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
	if (!home || !server || parse_server(server, host, sizeof host, &port,
					     &ws_path) != 0 ||
	    parse_command(argc - i, argv + i))
		return usage();
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
	A.lookup_idx = -1;
	names_load(home);
	A.base = event_base_new();
	if (A.base == NULL || lc_client_new(&A.c, &cfg, &cb, NULL) != 0) {
		fprintf(stderr, "cannot open %s\n", home);
		return 1;
	}
	ec.version = LC_CLIENT_EVENT_CONFIG_VERSION;
	ec.host = host;
	ec.port = port;
	ec.ws_path = ws_path;
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
	for (int k = 0; k < MAX_ARGS; k++)
		free(A.res[k]);
	free(A.chat_res);
	sodium_memzero(A.password, sizeof A.password);
	return A.rc;
}
