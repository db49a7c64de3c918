/* chat: the interactive mode (no command given). Lines starting with '/'
 * are the one-shot commands (/send TO TEXT, /chats, /history CHAT, ...);
 * /open CHAT makes every other line a message to that chat. Lines wait in
 * a queue and run one at a time, each through the same code as its
 * one-shot command (start_command()); the first ones wait until the
 * session is online. Messages, receipts, presence and group changes are
 * printed as they arrive. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"

#define MAX_QUEUE 32
#define LINE_MAX_LEN 4096
#define DRAIN_S 10 /* at end of input, how long to wait for the outbox */

static struct {
	char *queue[MAX_QUEUE];
	size_t head, len;
	int online;          /* the session was READY once */
	int eof;             /* no more input: quit once idle */
	struct event *step;  /* runs the next queued line from the loop */
	struct event *drain; /* end of input: stop waiting for the outbox */
	char line[LINE_MAX_LEN];     /* the running command's words */
	char *argv[MAX_ARGS + 2];
} I;

static const char help_text[] =
	"  /send TO TEXT          TO: +PHONE, EMAIL, USER_ID or group:NAME\n"
	"  /send-file TO PATH     upload a file and send it (received files\n"
	"                         are saved to DIR/media/)\n"
	"  /open CHAT             plain lines go to CHAT from now on\n"
	"  /chats                 the chat list\n"
	"  /history [CHAT]        the last messages (of the open chat)\n"
	"  /read [CHAT]           mark read, send read receipts\n"
	"  /search QUERY          search every chat\n"
	"  /group create NAME MEMBER... | add|remove GROUP MEMBER...\n"
	"  /group leave GROUP | info GROUP\n"
	"  /status TO             online / last seen (and later changes)\n"
	"  /fingerprint TO        the safety number with TO\n"
	"  /trust TO              accept TO's new key, send what was held\n"
	"  /contact TO            look a user up\n"
	"  /help  /quit\n";

/* Forget the last command's arguments and options. */
static void reset_command(void)
{
	for (int k = 0; k < MAX_ARGS; k++) {
		free(A.res[k]);
		A.res[k] = NULL;
	}
	free(A.chat_res);
	A.chat_res = NULL;
	A.chat_opt = NULL;
	A.lookup_idx = -1;
	A.waiting_lookup = 0;
	A.pending = 0;
	A.wait_s = 0;
	A.limit = A.offset = 0;
	A.caption = A.mime = NULL;
}

static char *skip_space(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

/* Cut the next word off *s. */
static char *word(char **s)
{
	char *w = skip_space(*s), *e = w;

	while (*e && !isspace((unsigned char)*e))
		e++;
	if (*e)
		*e++ = 0;
	*s = e;
	return w;
}

/* Split I.line into I.argv: words, but after /send TO, /send-file TO and
 * /search the rest of the line is one argument (the text, the path, the
 * query). */
static int split(void)
{
	char *s = I.line + 1;
	int n = 0, rest_at;

	I.argv[n++] = word(&s);
	rest_at = strcmp(I.argv[0], "send") == 0 ? 2 :
		  strcmp(I.argv[0], "send-file") == 0 ? 2 :
		  strcmp(I.argv[0], "search") == 0 ? 1 : -1;
	while (n < MAX_ARGS) {
		s = skip_space(s);
		if (*s == 0)
			break;
		if (n == rest_at) {
			I.argv[n++] = s;
			break;
		}
		I.argv[n++] = word(&s);
	}
	I.argv[n] = NULL;
	return n;
}

/* /read and /history without CHAT mean the open chat. */
static int default_chat(int argc)
{
	if (argc != 1 || A.open_chat == NULL ||
	    (strcmp(I.argv[0], "read") && strcmp(I.argv[0], "history")))
		return argc;
	I.argv[1] = A.open_label;
	I.argv[2] = NULL;
	return 2;
}

static void start(void)
{
	A.busy = 1;
	start_command();
}

static void run_slash(void)
{
	int argc = split();
	const char *cmd = I.argv[0];

	if (strcmp(cmd, "help") == 0 || cmd[0] == 0) {
		printf("%s", help_text);
	} else if (strcmp(cmd, "quit") == 0) {
		quit(0);
	} else if (strcmp(cmd, "open") == 0 && argc == 2) {
		A.cmd = C_OPEN;
		A.args = I.argv + 1;
		A.nargs = 1;
		start();
	} else if (!strcmp(cmd, "register") || !strcmp(cmd, "login") ||
		   !strcmp(cmd, "logout") || !strcmp(cmd, "sync")) {
		printf("/%s: use the one-shot command `chat %s`\n", cmd, cmd);
	} else if (parse_command(default_chat(argc), I.argv) == 0) {
		start();
	} else {
		printf("/%s: wrong arguments (/help lists the commands)\n", cmd);
	}
}

/* A plain line: a message to the open chat. */
static void run_text(void)
{
	if (A.open_chat == NULL) {
		printf("no open chat: /open CHAT first, or /send TO TEXT\n");
		return;
	}
	I.argv[0] = "send";
	I.argv[1] = A.open_label;
	I.argv[2] = I.line;
	I.argv[3] = NULL;
	if (parse_command(3, I.argv) == 0 &&
	    (A.res[0] = strdup(A.open_chat)) != NULL)
		start();
}

static void run(const char *line)
{
	reset_command();
	snprintf(I.line, sizeof I.line, "%s", line);
	if (I.line[0] == '/')
		run_slash();
	else
		run_text();
	fflush(stdout);
}

/* Run queued lines while nothing is under way. */
static void on_step(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	while (!A.busy && !A.finished && I.len > 0) {
		char *l = I.queue[I.head];
		int local = !strcmp(l, "/quit") || !strcmp(l, "/help");
		if (!I.online && !local)
			break;
		I.head = (I.head + 1) % MAX_QUEUE;
		I.len--;
		run(l);
		free(l);
	}
	if (I.eof && !A.busy && I.len == 0)
		interactive_receipt();
	ui_prompt();
}

static int outbox_empty(void)
{
	lc_store_page *pg = NULL;
	size_t n = 0;

	if (lc_store_outbox_list(lc_client_store(A.c), 1, &pg) == 0)
		n = lc_store_page_count(pg);
	lc_store_page_free(pg);
	return n == 0;
}

static void on_drain(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	quit(0); /* the rest goes out with the next run */
}

/* At the end of the input, leave once what was typed has reached the
 * server (the outbox is empty) and received files are saved, or after
 * DRAIN_S seconds. */
void interactive_receipt(void)
{
	struct timeval tv = { DRAIN_S, 0 };

	if (!I.eof || A.busy || I.len > 0)
		return;
	if ((outbox_empty() && A.downloads == 0) || !I.online) {
		quit(0);
		return;
	}
	if (!evtimer_pending(I.drain, NULL))
		evtimer_add(I.drain, &tv);
}

void interactive_line(char *line)
{
	char *l;

	if (line == NULL) {
		I.eof = 1;
	} else {
		l = skip_space(line);
		l[strcspn(l, "\r\n")] = 0;
		if (l[0] == 0)
			return;
		if (I.len == MAX_QUEUE || strlen(l) >= LINE_MAX_LEN) {
			printf("line dropped: %s\n", I.len == MAX_QUEUE ?
			       "too many waiting" : "too long");
			return;
		}
		if ((l = strdup(l)) == NULL)
			return;
		I.queue[(I.head + I.len++) % MAX_QUEUE] = l;
	}
	event_active(I.step, EV_TIMEOUT, 1);
}

void interactive_done(void)
{
	if (lc_client_state_get(A.c) == LC_CLIENT_READY)
		I.online = 1;
	event_active(I.step, EV_TIMEOUT, 1);
}

int interactive_start(void)
{
	A.interactive = 1;
	A.cmd = C_INTERACTIVE;
	setvbuf(stdout, NULL, _IOLBF, 0);
	I.step = event_new(A.base, -1, 0, on_step, NULL);
	I.drain = evtimer_new(A.base, on_drain, NULL);
	if (I.step == NULL || I.drain == NULL)
		return -1;
	if (!A.json && isatty(1))
		printf("chat: /help lists the commands, /quit leaves\n");
	return ui_start();
}

void interactive_stop(void)
{
	ui_stop();
	if (I.step)
		event_free(I.step);
	if (I.drain)
		event_free(I.drain);
	I.step = I.drain = NULL;
	while (I.len > 0) {
		free(I.queue[I.head]);
		I.head = (I.head + 1) % MAX_QUEUE;
		I.len--;
	}
	reset_command();
	free(A.open_chat);
	free(A.open_label);
}
