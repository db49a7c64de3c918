/* chat: the terminal of the interactive mode.
 *
 * On a terminal (stdin and stdout both ttys) lines are edited with
 * libedit's readline interface in callback mode: the event loop watches
 * stdin and hands each byte to rl_callback_read_char(), so the session
 * keeps running while a line is typed. Anything printed while a line is
 * being edited first clears that line (ui_out()); an event made active at
 * the same time redraws the prompt and the partial line once the loop is
 * idle, below the new output. Otherwise (a pipe, a file, a script) stdin
 * is read line by line, no prompt is shown and nothing is redrawn. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "chat.h"

#define PROMPT_MAX 160
#define PLAIN_LINE_MAX 8192
#define HISTORY_MAX 500

static struct {
	struct event *input;
	struct event *redraw;
	int tty;      /* libedit is in charge of the terminal */
	int shown;    /* the prompt and the partial line are on screen */
	int in_line;  /* inside the line handler */
	int installed;
	char prompt[PROMPT_MAX];
	char buf[PLAIN_LINE_MAX]; /* plain mode: bytes of an unfinished line */
	size_t len;
} U;

static void set_prompt_text(void)
{
	char name[200];

	if (A.open_chat)
		snprintf(U.prompt, sizeof U.prompt, "[%s]> ",
			 chat_name(A.open_chat, name, sizeof name));
	else
		snprintf(U.prompt, sizeof U.prompt, "> ");
}

static void on_line(char *line)
{
	U.in_line = 1;
	U.shown = 0; /* libedit moved to a fresh line on Enter */
	if (line && line[0])
		add_history(line);
	interactive_line(line);
	free(line);
	U.in_line = 0;
	if (A.finished || U.input == NULL)
		return;
	set_prompt_text();
	rl_callback_handler_install(U.prompt, on_line);
	U.shown = 1;
}

/* Plain mode: split what was read into lines. */
static void plain_read(void)
{
	ssize_t n = read(0, U.buf + U.len, sizeof U.buf - 1 - U.len);
	char *nl;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		event_del(U.input);
		if (U.len) {
			U.buf[U.len] = 0;
			U.len = 0;
			interactive_line(U.buf);
		}
		interactive_line(NULL);
		return;
	}
	U.len += (size_t)n;
	U.buf[U.len] = 0;
	while ((nl = memchr(U.buf, '\n', U.len)) != NULL) {
		size_t k = (size_t)(nl - U.buf) + 1;
		*nl = 0;
		interactive_line(U.buf);
		memmove(U.buf, U.buf + k, U.len - k);
		U.len -= k;
	}
	if (U.len == sizeof U.buf - 1) { /* an endless line: take it as is */
		U.buf[U.len] = 0;
		U.len = 0;
		interactive_line(U.buf);
	}
}

static void on_input(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (U.tty)
		rl_callback_read_char();
	else
		plain_read();
	fflush(stdout);
}

static void on_redraw(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (!U.tty || U.shown || U.in_line || A.finished)
		return;
	fputs("\r\033[K", stdout);
	rl_forced_update_display();
	fflush(stdout);
	U.shown = 1;
}

int ui_start(void)
{
	U.tty = isatty(0) && isatty(1);
	U.input = event_new(A.base, 0, EV_READ | EV_PERSIST, on_input, NULL);
	U.redraw = event_new(A.base, -1, 0, on_redraw, NULL);
	if (U.input == NULL || U.redraw == NULL || event_add(U.input, NULL))
		return -1;
	if (U.tty) {
		rl_readline_name = "chat";
		stifle_history(HISTORY_MAX);
		set_prompt_text();
		rl_callback_handler_install(U.prompt, on_line);
		U.installed = 1;
		U.shown = 1;
		fflush(stdout);
	}
	return 0;
}

void ui_out(void)
{
	if (!U.tty || !U.shown)
		return;
	fputs("\r\033[K", stdout);
	U.shown = 0;
	event_active(U.redraw, EV_TIMEOUT, 1);
}

void ui_prompt(void)
{
	char old[PROMPT_MAX];

	if (!U.tty || U.in_line)
		return; /* the line handler installs the prompt as it ends */
	memcpy(old, U.prompt, sizeof old);
	set_prompt_text();
	if (strcmp(old, U.prompt) == 0)
		return;
	ui_out();
	rl_set_prompt(U.prompt);
	event_active(U.redraw, EV_TIMEOUT, 1);
}

void ui_stop(void)
{
	if (U.installed) {
		if (U.shown)
			fputs("\r\033[K", stdout);
		rl_callback_handler_remove();
		U.installed = 0;
	}
	if (U.input)
		event_free(U.input);
	if (U.redraw)
		event_free(U.redraw);
	U.input = U.redraw = NULL;
	fflush(stdout);
}
