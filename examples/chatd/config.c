/* The configuration: defaults, a key = value file, flags on top. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chatd.h"

enum kind { K_STR, K_U32, K_U64, K_LEVEL, K_PUSH };

struct key {
	const char *name;
	enum kind kind;
	size_t off;
	size_t size;
	const char *def;
	const char *help;
};

#define F(m) offsetof(chatd_config, m), sizeof(((chatd_config *)0)->m)

static const struct key keys[] = {
	{ "listen", K_STR, F(listen), "127.0.0.1:7420",
	  "HOST:PORT of the frame listener (Noise + frames); port 0 picks one" },
	{ "http", K_STR, F(http), "127.0.0.1:7421",
	  "HOST:PORT of the HTTP listener (/healthz, /metrics, /v1/media)" },
	{ "ws", K_STR, F(ws), "",
	  "HOST:PORT of the WebSocket listener (Noise + frames, one per binary message); empty: off" },
	{ "ws_path", K_STR, F(ws_path), "/v1/ws",
	  "request path of the WebSocket upgrade" },
	{ "ws_origins", K_STR, F(ws_origins), "",
	  "Origins allowed to open a WebSocket, separated by commas; empty or *: any (no Origin: always)" },
	{ "data", K_STR, F(data), "./chatd-data",
	  "data directory: LMDB store and server.key (created 0700)" },
	{ "workers", K_U32, F(workers), "0",
	  "worker processes sharing the ports (SO_REUSEPORT); 0: one per processor" },
	{ "push", K_PUSH, F(push), "log",
	  "push provider for messages queued to offline devices: log|webhook" },
	{ "push_url", K_STR, F(push_url), "",
	  "webhook URL (http://HOST:PORT/PATH), required with push = webhook" },
	{ "push_queue", K_U32, F(push_queue), "1024",
	  "webhook notifications kept pending; beyond, the oldest is dropped" },
	{ "push_retries", K_U32, F(push_retries), "5",
	  "webhook attempts per notification" },
	{ "push_backoff_ms", K_U64, F(push_backoff_ms), "500",
	  "first webhook retry delay, doubled per attempt" },
	{ "log_level", K_LEVEL, F(log_level), "info",
	  "error|warn|info|debug" },
	{ "map_size_mb", K_U64, F(map_size_mb), "1024",
	  "LMDB map size (MiB): the largest the store may grow" },
	{ "idle_timeout_ms", K_U64, F(idle_timeout_ms), "60000",
	  "a connection silent this long is closed" },
	{ "token_lifetime_ms", K_U64, F(token_lifetime_ms), "2592000000",
	  "login token lifetime (30 days)" },
	{ "rate_per_minute", K_U32, F(rate_per_minute), "100",
	  "messages per user per minute (token bucket)" },
	{ "min_password_len", K_U32, F(min_password_len), "8",
	  "shortest password accepted at registration" },
	{ "max_group_members", K_U32, F(max_group_members), "256",
	  "members a group may hold" },
	{ "pwhash_opslimit", K_U64, F(pwhash_opslimit), "0",
	  "Argon2id passes; 0: libsodium's INTERACTIVE" },
	{ "pwhash_memlimit", K_U64, F(pwhash_memlimit), "0",
	  "Argon2id memory (bytes); 0: libsodium's INTERACTIVE" },
	{ "drain_timeout_ms", K_U64, F(drain_timeout_ms), "5000",
	  "time a closing connection's output (all, on SIGTERM) may take" },
	{ "max_conn_output", K_U64, F(max_conn_output), "262144",
	  "bytes buffered for a connection before it stops being read" },
	{ "media_max_size", K_U64, F(media_max_size), "104857600",
	  "largest media upload in bytes (100 MiB); also the MediaTicket limit" },
	{ "media_retention_days", K_U32, F(media_retention_days), "30",
	  "media blobs not uploaded or downloaded for this long are deleted; 0: never" },
	{ "media_sweep_interval_ms", K_U64, F(media_sweep_interval_ms), "3600000",
	  "how often the media retention sweep runs" },
	{ "register_per_hour", K_U32, F(register_per_hour), "20",
	  "Register requests per source address (IPv4, IPv6 /64) per hour; 0: no limit" },
	{ "login_failures_per_hour", K_U32, F(login_failures_per_hour), "60",
	  "failed password logins per source address per hour, any account; 0: no limit" },
};

#define NKEYS (sizeof keys / sizeof keys[0])

static int parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return -1;
	*out = x;
	return 0;
}

static int set_one(chatd_config *c, const struct key *k, const char *v)
{
	char *p = (char *)c + k->off;
	uint64_t x;
	int lvl;

	switch (k->kind) {
	case K_STR:
		if (strlen(v) >= k->size)
			return -1;
		strcpy(p, v);
		return 0;
	case K_PUSH:
		if (strcmp(v, "log") != 0 && strcmp(v, "webhook") != 0)
			return -1;
		strcpy(p, v);
		return 0;
	case K_LEVEL:
		if ((lvl = chatd_log_level_parse(v)) < 0)
			return -1;
		*(int *)(void *)p = lvl;
		return 0;
	case K_U32:
		if (parse_u64(v, UINT32_MAX, &x))
			return -1;
		*(uint32_t *)(void *)p = (uint32_t)x;
		return 0;
	case K_U64:
		if (parse_u64(v, UINT64_MAX, &x))
			return -1;
		*(uint64_t *)(void *)p = x;
		return 0;
	}
	return -1;
}

/* 0, or -1 with a message on stderr (unknown key or bad value). */
int chatd_config_set(chatd_config *c, const char *key, const char *val)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].name, key) != 0)
			continue;
		if (set_one(c, &keys[i], val) == 0)
			return 0;
		fprintf(stderr, "chatd: bad value for %s: \"%s\" (%s)\n", key,
			val, keys[i].help);
		return -1;
	}
	fprintf(stderr, "chatd: unknown configuration key \"%s\" "
			"(chatd --help lists them)\n", key);
	return -1;
}

void chatd_config_defaults(chatd_config *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NKEYS; i++)
		if (set_one(c, &keys[i], keys[i].def) != 0)
			abort(); /* a broken default table */
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Lines "key = value"; '#' starts a comment line; blank lines skipped. */
int chatd_config_file(chatd_config *c, const char *path)
{
	char line[1024];
	unsigned n = 0;
	int rc = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		fprintf(stderr, "chatd: cannot open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof line, f)) {
		char *s = trim(line), *eq;

		n++;
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			fprintf(stderr, "chatd: %s:%u: expected key = value\n",
				path, n);
			rc = -1;
			break;
		}
		*eq = '\0';
		if (chatd_config_set(c, trim(s), trim(eq + 1)) != 0) {
			fprintf(stderr, "chatd: in %s line %u\n", path, n);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

void chatd_config_help(FILE *out)
{
	fprintf(out, "Configuration keys (file: key = value; flag: --key VALUE"
		     " with '-' or '_'):\n");
	for (size_t i = 0; i < NKEYS; i++)
		fprintf(out, "  %-18s default %-14s %s\n", keys[i].name,
			*keys[i].def ? keys[i].def : "\"\"", keys[i].help);
}
