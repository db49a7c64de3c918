/* chat: the marks of own messages (..., ✓, ✓✓, read) in the interactive
 * mode. Each message sent during the run is remembered with its chat, the
 * start of its text and its last aggregate state; a receipt that moves the
 * aggregate re-prints a short status line ("[Bob] me: hi  ✓✓"). A status
 * line per change, not a redraw of an earlier line in place: it reads the
 * same in a terminal, a log or a pipe, and needs no cursor addressing. */
#include <stdio.h>
#include <string.h>

#include "chat.h"

#define MAX_MARKS 256
#define MARK_TEXT 60

struct mark {
	uint8_t id[16];
	char chat[80];
	char text[MARK_TEXT + 4];
	int state;
	int used;
};

static struct mark marks[MAX_MARKS];
static size_t next_mark;

/* Copy at most MARK_TEXT bytes of @p text, cut at a UTF-8 boundary. */
static void clip(char *out, const char *text)
{
	size_t n = strlen(text);

	if (n > MARK_TEXT) {
		n = MARK_TEXT;
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, text, n);
	strcpy(out + n, strlen(text) > n ? "..." : "");
}

void marks_add(const uint8_t id[16], const char *chat, const char *text)
{
	struct mark *m = &marks[next_mark++ % MAX_MARKS];

	memcpy(m->id, id, 16);
	snprintf(m->chat, sizeof m->chat, "%s", chat);
	clip(m->text, text);
	m->state = 0;
	m->used = 1;
}

int marks_update(const uint8_t id[16], int aggregate)
{
	char buf[200];

	for (size_t i = 0; i < MAX_MARKS; i++) {
		struct mark *m = &marks[i];
		if (!m->used || memcmp(m->id, id, 16) != 0)
			continue;
		if (m->state == aggregate)
			return 1; /* another device's receipt, same mark */
		m->state = aggregate;
		ui_out();
		printf("[%s] me: %s  %s\n", chat_name(m->chat, buf, sizeof buf),
		       m->text, ticks[aggregate % 5]);
		return 1;
	}
	return 0;
}
