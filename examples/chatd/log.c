/* Structured logs: "ts=... level=... worker=N event=NAME key=value ...",
 * one line per event on stderr. Callers never pass secrets. */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "chatd.h"

static int log_level = LC_SERVER_LOG_INFO;
static unsigned log_worker;

static const char *const names[] = { "error", "warn", "info", "debug" };

void chatd_log_init(int level, unsigned worker)
{
	log_level = level;
	log_worker = worker;
}

int chatd_log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

void chatd_log(int level, const char *event, const char *fmt, ...)
{
	char ts[32], body[1024];
	struct timespec t;
	struct tm tm;
	va_list ap;

	if (level > log_level || level < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &t);
	gmtime_r(&t.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	body[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(body, sizeof body, fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "ts=%s.%03ldZ level=%s worker=%u event=%s%s%s\n", ts,
		t.tv_nsec / 1000000, names[level], log_worker, event,
		*body ? " " : "", body);
}

uint64_t chatd_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}
