/* chat: the commands answered from the local store alone: chats,
 * history, search. */
#include <stdio.h>

#include "chat.h"

void cmd_chats(void)
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

void cmd_history(void)
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
		print_message(lc_store_page_get(pg, i), A.res[0], NULL);
	lc_store_page_free(pg);
	finish(0);
}

void cmd_search(void)
{
	lc_store_hits *h = NULL;

	if (lc_store_search(lc_client_store(A.c), A.args[0], A.chat_res, NULL,
			    A.limit, &h)) {
		finish(1);
		return;
	}
	for (size_t i = 0; i < lc_store_hits_count(h); i++) {
		const lc_store_hit *hit = lc_store_hits_get(h, i);
		print_message(&hit->message, hit->message.chat_id, NULL);
	}
	lc_store_hits_free(h);
	finish(0);
}
