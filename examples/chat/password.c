/* chat: the password, from CHAT_PASSWORD or a prompt without echo. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

#include "chat.h"

void read_password(void)
{
	const char *env = getenv("CHAT_PASSWORD");
	struct termios t, q;

	if (env) {
		snprintf(A.password, sizeof A.password, "%s", env);
		return;
	}
	fprintf(stderr, "password: ");
	if (tcgetattr(0, &t) == 0) {
		q = t;
		q.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSANOW, &q);
	}
	if (fgets(A.password, sizeof A.password, stdin) == NULL)
		A.password[0] = 0;
	tcsetattr(0, TCSANOW, &t);
	fprintf(stderr, "\n");
	A.password[strcspn(A.password, "\n")] = 0;
}
