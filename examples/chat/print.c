/* chat: a stored or received message, for people or as JSON. */
#include <stdio.h>

#include <sodium.h>

#include "chat.h"

const char *const state_names[] = { "pending", "sent", "delivered",
					    "read", "failed" };
const char *const ticks[] = { "...", "\u2713", "\u2713\u2713", "read",
				     "failed" };

static void json_file(const lc_client_media *f)
{
	char d[65];

	hex(f->digest, 32, d);
	printf(",\"file\":{\"name\":");
	json_str(f->file_name);
	printf(",\"mime\":");
	json_str(f->mime_type);
	printf(",\"size\":%llu,\"media_id\":", (unsigned long long)f->size);
	json_str(f->id);
	printf(",\"sha256\":\"%s\"}", d);
}

void print_message(const lc_store_message *m, const char *chat,
		   const lc_client_media *media)
{
	char id[33], buf[200], label[LC_CLIENT_FILE_NAME_SIZE + 200];
	int out = (m->flags & LC_STORE_MSG_OUTGOING) != 0;
	const char *text = m->text ? m->text : "";
	lc_client_media stored;

	hex(m->id, 16, id);
	if (m->kind == LC_CLIENT_KIND_MEDIA && media == NULL &&
	    lc_client_media_decode(m, &stored) == 0)
		media = &stored;
	if (media) { /* "[image photo.png 12 KiB] caption" */
		file_label(media, label, sizeof label);
		text = label;
	}
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
		       "\"kind\":\"%s\",\"text\":", (unsigned long long)m->time_ms,
		       out ? "true" : "false", state_names[m->state % 5],
		       media ? "file" : "text");
		json_str(text);
		if (media)
			json_file(media);
		printf("}\n");
	} else if (out) {
		printf("[%s] me: %s  %s\n", chat_name(chat, buf, sizeof buf),
		       text, ticks[m->state % 5]);
	} else {
		printf("[%s] %s: %s\n", chat_name(chat, buf, sizeof buf),
		       user_name(m->sender_id), text);
	}
	if (media == &stored)
		sodium_memzero(&stored, sizeof stored);
}
