/* chat: arguments naming a user, a chat or a group, resolved to ids
 * (from DIR/names, or by a lookup on the server). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "chat.h"

/* Which arguments name a user, a chat or a group (and so get resolved). */
static int is_target(int i)
{
	switch (A.cmd) {
	case C_SEND:
	case C_SEND_FILE:
	case C_READ:
	case C_HISTORY:
	case C_FINGERPRINT:
	case C_STATUS:
	case C_CONTACT:
	case C_TRUST:
	case C_OPEN:
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
	int rc;

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
	if ((rc = lc_client_lookup(A.c, to[0] == '+' ? to : NULL,
				   to[0] == '+' ? NULL : to, now_ms())) != 0) {
		fprintf(stderr, "cannot look %s up: %s\n", to, lc_strerror(rc));
		return -1;
	}
	lc_client_event_kick(A.ev);
	return 1;
}

int resolve_all(void)
{
	int rc;

	for (int i = 0; i < A.nargs; i++)
		if (is_target(i) && (rc = resolve_one(A.args[i], &A.res[i], i)))
			return rc;
	if (A.chat_opt)
		return resolve_one(A.chat_opt, &A.chat_res, -1);
	return 0;
}

int user_only(const char *v, const char *arg)
{
	if (strncmp(v, "g:", 2) != 0)
		return 0;
	fprintf(stderr, "%s is a group, not a user\n", arg);
	return -1;
}
