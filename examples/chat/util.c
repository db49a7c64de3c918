/* chat: small helpers shared by every file: the clock, ending the
 * command, JSON strings, hex. */
#include <stdio.h>
#include <sys/time.h>

#include <sodium.h>

#include "chat.h"

uint64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

void quit(int rc)
{
	if (A.finished)
		return;
	A.finished = 1;
	A.rc = rc;
	event_base_loopbreak(A.base);
}

void finish(int rc)
{
	if (!A.interactive) {
		quit(rc);
		return;
	}
	if (A.busy) {
		A.busy = 0;
		A.rc = rc;
		interactive_done();
	}
}

/* A string as a JSON string body (quotes and controls escaped). */
void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

void hex(const uint8_t *b, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, b, n);
}
