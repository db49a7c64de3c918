/* chat: the reference client's private header: the program's one state
 * and the functions its files share. Never installed. */
#ifndef CHAT_H
#define CHAT_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include <libchat/client_event.h>

enum cmd { C_REGISTER, C_LOGIN, C_LOGOUT, C_SEND, C_SYNC, C_READ, C_CHATS,
	   C_HISTORY, C_SEARCH, C_GROUP, C_FINGERPRINT, C_STATUS, C_CONTACT,
	   C_SEND_FILE, C_TRUST, C_COUNT,
	   /* interactive mode only */
	   C_OPEN, C_INTERACTIVE };

#define MAX_ARGS 64

/* Everything one run of the program knows, in one place (main.c). */
struct chat_state {
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
	const char *home;
	const char *caption, *mime; /* send-file --caption, --mime */
	int downloads;       /* files still downloading (sync) */
	int file_errors;     /* files that could not be saved */
	int extra_waits;     /* deadline extensions spent on downloads */
	int hold;            /* --on-key-change hold */
	/* interactive mode */
	int interactive;
	int busy;            /* a command is under way */
	char *open_chat;     /* /open: where plain lines go (resolved id) */
	char *open_label;    /* and how the user named it */
};

extern struct chat_state A;

/* util.c */
uint64_t now_ms(void);
/* The command ended: one-shot, the program exits with @p rc; interactive,
 * the next line is read. */
void finish(int rc);
/* Leave the event loop: the program exits with @p rc. */
void quit(int rc);
void json_str(const char *s);
void hex(const uint8_t *b, size_t n, char *out);

/* names.c: names learned along the way, kept in DIR/names. */
struct name {
	char kind; /* 'u' a user, 'g' a group */
	char key[80];
	char handle[128];
	char name[128];
};

void names_load(const char *home);
void names_put(char kind, const char *key, const char *handle,
	       const char *name);
const struct name *names_find(char kind, const char *v, int by_key);
const char *user_name(const char *uid);
const char *chat_name(const char *chat, char *buf, size_t n);

/* print.c */
extern const char *const state_names[];
extern const char *const ticks[];
void print_message(const lc_store_message *m, const char *chat,
		   const lc_client_media *media);

/* files.c: send-file, and files received on sync saved to DIR/media */
void cmd_send_file(void);
void file_received(const lc_client_message *m);
void file_label(const lc_client_media *m, char *out, size_t n);

/* events.c */
void callbacks_fill(lc_client_callbacks *cb);

/* resolve.c: 0 every argument resolved, 1 a lookup is under way (the
 * command resumes after its answer), -1 failed. */
int resolve_all(void);
int user_only(const char *v, const char *arg);

/* commands.c, local.c */
void start_command(void);
/* A message to @p uid waits for `trust` (printed; ends a one-shot send). */
void held_notice(const char *uid);
/* trust: ends the command once the outbox is empty. */
void outbox_check(void);
void cmd_chats(void);
void cmd_history(void);
void cmd_search(void);

/* marks.c: own messages of this run, so that a receipt change re-prints
 * the message with its new mark. */
void marks_add(const uint8_t id[16], const char *chat, const char *text);
/* 1 when the change was printed (a known message whose aggregate moved). */
int marks_update(const uint8_t id[16], int aggregate);

/* interactive.c: the interactive mode (no command given). */
int interactive_start(void);
void interactive_line(char *line);
void interactive_done(void);
void interactive_receipt(void);
void interactive_stop(void);

/* ui.c: the terminal. Call ui_out() before printing anything that is not
 * the answer to the line just typed: it clears the line being edited,
 * which comes back once the loop is idle. */
int ui_start(void);
void ui_out(void);
void ui_prompt(void);
void ui_stop(void);

/* password.c, args.c */
void read_password(void);
int usage(void);
int parse_command(int argc, char **argv);

#endif
