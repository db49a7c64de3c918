/* chat: display names and group names, remembered in DIR/names. */
#include <stdio.h>
#include <string.h>

#include "chat.h"

/* Names learned along the way, kept beside the store in DIR/names: lines
 * "u UID NAME-HANDLE..." are tab-separated as "u\tUID\tHANDLE\tNAME" and
 * "g\tHEX\t\tNAME"; a later line wins. The library keeps ids only. */
#define MAX_NAMES 1024

static struct name known[MAX_NAMES];
static size_t n_names;
static char names_path[4096];

void names_put(char kind, const char *key, const char *handle,
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

void names_load(const char *home)
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
const struct name *names_find(char kind, const char *v, int by_key)
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
const char *user_name(const char *uid)
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
const char *chat_name(const char *chat, char *buf, size_t n)
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
