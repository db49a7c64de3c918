/* chat: the session's callbacks: connection steps, messages, receipts,
 * presence, groups, key changes, answers to requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libchat/receipts.h>

#include "chat.h"

/* This account as people read it: its own display name, or its id. */
static const char *self_name(void)
{
	const char *uid = lc_client_user_id(A.c);
	const struct name *e = names_find('u', uid, 1);

	return e && e->name[0] ? e->name : uid;
}

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
		ui_out();
		fprintf(stderr, "not logged in: run `chat login` first\n");
		quit(1);
	} else if (state == LC_CLIENT_READY && A.interactive) {
		ui_out();
		if (!A.json)
			printf("-- online as %s\n", self_name());
		interactive_done();
	} else if (state == LC_CLIENT_READY) {
		start_command();
	} else if (state == LC_CLIENT_DISCONNECTED && reason) {
		ui_out();
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
	sm.kind = (uint32_t)m->kind;
	sm.text = m->text;
	print_message(&sm, m->chat_id, m->media);
	if (m->media)
		file_received(m);
}

static void on_receipt(const uint8_t *id, const char *uid, uint32_t dev,
		       int state, int aggregate, void *ud)
{
	char h[33];

	(void)ud;
	hex(id, 16, h);
	if (A.interactive)
		interactive_receipt();
	if (A.interactive && !A.json && marks_update(id, aggregate))
		return;
	ui_out();
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
	if (!A.interactive && A.cmd == C_TRUST &&
	    aggregate >= LC_RECEIPT_SENT)
		outbox_check();
	if (!A.interactive && (A.cmd == C_SEND || A.cmd == C_SEND_FILE) &&
	    memcmp(id, A.sent_id, 16) == 0 &&
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
	ui_out();
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
	ui_out();
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

/* After the key-change event: a one-shot send to a held user ends, its
 * message waiting in the outbox for `trust`. */
static void held_check(const char *uid)
{
	if (!A.interactive && A.cmd == C_SEND && A.res[0] &&
	    strcmp(A.res[0], uid) == 0 && lc_client_identity_held(A.c, uid) == 1)
		held_notice(uid);
}

/* A contact's key changed: say so, and what the policy does about it. */
static void on_identity(const char *uid, uint32_t dev, void *ud)
{
	int held = A.hold && lc_client_identity_held(A.c, uid) == 1;

	(void)ud;
	ui_out();
	if (A.json) {
		printf("{\"event\":\"identity_changed\",\"user\":\"%s\","
		       "\"device\":%u,\"name\":", uid, dev);
		json_str(user_name(uid));
		printf(",\"held\":%s}\n", held ? "true" : "false");
		held_check(uid);
		return;
	}
	printf("warning: %s/%u has a new identity key: compare "
	       "`fingerprint` again\n", user_name(uid), dev);
	if (held)
		printf("  messages to %s are held until `trust %s`\n",
		       user_name(uid), user_name(uid));
	held_check(uid);
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
		ui_out();
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
	if (--A.pending <= 0 && A.wait_s == 0 && A.cmd != C_SEND &&
	    A.cmd != C_SEND_FILE)
		finish(0);
}

static void on_error(int code, const uint8_t *id, void *ud)
{
	(void)ud;
	(void)id;
	ui_out();
	fprintf(stderr, "error: %s\n", lc_strerror(code));
}

void callbacks_fill(lc_client_callbacks *cb)
{
	cb->version = LC_CLIENT_CONFIG_VERSION;
	cb->state = on_state;
	cb->message = on_message;
	cb->receipt = on_receipt;
	cb->presence = on_presence;
	cb->group = on_group;
	cb->identity_changed = on_identity;
	cb->done = on_done;
	cb->error = on_error;
	cb->user = on_user;
}
