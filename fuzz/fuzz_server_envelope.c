/* Fuzz the server's dispatcher: the input is a sequence of Envelopes, each
 * with a 2-byte big-endian length, fed to user A's authenticated
 * connection (as the Noise layer would hand them over) while user B is
 * online. Invariants: no crash, no leak, every Envelope the server writes
 * parses, a flush fails only for a full store, and a connection that was
 * closed or logged out can authenticate again. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "fuzz_server_setup.h"

static struct fz F;
static char dir[256];

static void cleanup(void)
{
	char cmd[300];

	lc_server_conn_close(F.a, F.now);
	lc_server_conn_close(F.b, F.now);
	lc_server_free(F.s);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return;
}

static void init(void)
{
	const char *tmp = getenv("TMPDIR"); /* /dev/shm avoids fsync waits */

	snprintf(dir, sizeof dir, "%s/lc-fuzz-server-XXXXXX",
		 tmp && strlen(tmp) < 200 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	fz_setup(&F, dir);
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	if (F.s == NULL)
		init();
	while (size - off >= 2) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (n > size - off)
			n = size - off;
		if (!lc_srv_conn_closing(F.a))
			(void)lc_srv_conn_payload(F.a, data + off, n, F.now);
		off += n;
		F.now += 10;
	}
	fz_flush(&F);
	if (lc_srv_conn_closing(F.a) || !lc_srv_conn_authed(F.a, NULL)) {
		lc_server_conn_close(F.a, F.now);
		F.a = fz_conn(&F, 0xaa);
		fz_auth(&F, F.a, FZ_PHONE_A, &F.who_a);
	}
	return 0;
}
