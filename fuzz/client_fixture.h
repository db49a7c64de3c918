/* A client session on a fresh store in a temporary directory, for the
 * harnesses that drive lib/client: opened once per process (the first
 * input), closed and removed at exit. */
#ifndef LC_FUZZ_CLIENT_FIXTURE_H
#define LC_FUZZ_CLIENT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libchat/client.h>
#include <libchat/store.h>

static lc_client *C;
static lc_store *S;
static char fixture_dir[256];

static void fixture_close(void)
{
	char cmd[300];

	lc_client_free(C);
	lc_store_close(S);
	snprintf(cmd, sizeof cmd, "rm -rf %s", fixture_dir);
	if (system(cmd) != 0)
		return;
}

/* Opens C over S in $TMPDIR (else /tmp)/lc-fuzz-TAG-XXXXXX; aborts on any
 * failure, since no input can be judged without it. */
static void fixture_open(const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	lc_store_options o;
	lc_client_config cfg;

	snprintf(fixture_dir, sizeof fixture_dir, "%s/lc-fuzz-%s-XXXXXX",
		 tmp && strlen(tmp) < 200 ? tmp : "/tmp", tag);
	if (mkdtemp(fixture_dir) == NULL)
		abort();
	lc_store_options_init(&o);
	o.sync = LC_STORE_SYNC_NONE;
	if (lc_store_open(&S, fixture_dir, NULL, &o))
		abort();
	memset(&cfg, 0, sizeof cfg);
	cfg.version = LC_CLIENT_CONFIG_VERSION;
	cfg.store = S;
	if (lc_client_new(&C, &cfg, NULL, NULL))
		abort();
	atexit(fixture_close);
}

#endif
