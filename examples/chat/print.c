/* chat: a stored or received message, for people or as JSON. */
#include <stdio.h>

#include "chat.h"

const char *const state_names[] = { "pending", "sent", "delivered",
					    "read", "failed" };
const char *const ticks[] = { "...", "\u2713", "\u2713\u2713", "read",
				     "failed" };

void print_message(const lc_store_message *m, const char *chat)
{
	char id[33], buf[200];
	int out = (m->flags & LC_STORE_MSG_OUTGOING) != 0;

	hex(m->id, 16, id);
	ui_out();
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
