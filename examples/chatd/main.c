/* chatd: the libchat reference server. See --help and doc/operations.md. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "chatd.h"

#define CHATD_WORKERS_MAX 256

static void usage(FILE *out)
{
	fprintf(out,
"usage: chatd [--config FILE] [--KEY VALUE ...]\n"
"       chatd --print-key [--data DIR]\n"
"       chatd --help\n"
"\n"
"chatd is the libchat reference server: a TCP listener speaking Noise and\n"
"frames to clients (and, with --ws, a WebSocket listener carrying the same\n"
"Noise messages, one per binary message, at ws_path), an HTTP listener\n"
"for GET /healthz (200 \"ok\" while the\n"
"store commits), GET /metrics (Prometheus text) and media (POST\n"
"/v1/media/upload, GET /v1/media/ID with Authorization: Bearer TOKEN;\n"
"blobs in DATA/media, deleted media_retention_days after their last\n"
"upload or download), and an LMDB store in the data directory. The server's Noise static key is generated on first\n"
"start into DATA/server.key (mode 0600); --print-key prints its public\n"
"half in hex for clients to pin.\n"
"\n"
"Settings come from the defaults, then --config FILE (lines \"key = value\",\n"
"'#' comments; an unknown key is an error), then flags: every key is also\n"
"a flag, --KEY VALUE, with '-' or '_' (e.g. --push-url URL, --log-level\n"
"debug). Common flags:\n"
"  --listen HOST:PORT   frame listener          --http HOST:PORT  HTTP\n"
"  --ws HOST:PORT       WebSocket listener (off unless set; path ws_path)\n"
"  --data DIR           data directory          --workers N       processes\n"
"  --push log|webhook   push provider           --push-url URL    webhook\n"
"  --log-level LEVEL    error|warn|info|debug\n"
"\n"
"Workers: N processes (default: one per processor) share the ports\n"
"through SO_REUSEPORT, each with its own event loop and its own core over\n"
"the same LMDB directory. After each commit a worker tells the others,\n"
"over Unix datagram sockets, which devices got new queue entries and\n"
"which devices connected or left; the worker holding a device's\n"
"connection then sends it its queue, so delivery and presence are live\n"
"whichever worker a client reached. /metrics and /healthz describe the\n"
"whole server whichever worker answers (the workers' counters live in\n"
"one shared mapping; the queue depth is read from the store).\n"
"\n"
"Signals: SIGTERM or SIGINT stop accepting, commit, let pending output\n"
"leave (drain_timeout_ms), close every connection and exit 0.\n"
"Logs: one line per event on stderr, key=value; never secrets.\n"
"\n");
	chatd_config_help(out);
}

static int print_key(const chatd_config *cfg)
{
	uint8_t *priv = sodium_malloc(32), pub[32];
	char hex[65];
	int rc;

	if (priv == NULL)
		return 1;
	rc = chatd_key_load(cfg->data, priv, pub);
	sodium_free(priv);
	if (rc != 0)
		return 1;
	sodium_bin2hex(hex, sizeof hex, pub, sizeof pub);
	printf("%s\n", hex);
	return 0;
}

/* Flags: --config first, then the rest on top. */
static int parse_args(int argc, char **argv, chatd_config *cfg, int *mode)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc &&
		    chatd_config_file(cfg, argv[++i]) != 0)
			return -1;
	for (int i = 1; i < argc; i++) {
		char key[64];
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			*mode = 'h';
			continue;
		}
		if (strcmp(a, "--print-key") == 0) {
			*mode = 'k';
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || strlen(a + 2) >= sizeof key ||
		    i + 1 >= argc) {
			fprintf(stderr, "chatd: bad argument \"%s\" (see "
					"--help)\n", a);
			return -1;
		}
		if (strcmp(a, "--config") == 0) {
			i++;
			continue;
		}
		strcpy(key, a + 2);
		for (char *p = key; *p; p++)
			if (*p == '-')
				*p = '_';
		if (chatd_config_set(cfg, key, argv[++i]) != 0)
			return -1;
	}
	return 0;
}

static pid_t children[CHATD_WORKERS_MAX];
static unsigned child_index[CHATD_WORKERS_MAX]; /* the worker's index */
static unsigned n_children;

static void forward(int sig)
{
	for (unsigned i = 0; i < n_children; i++)
		if (children[i] > 0)
			kill(children[i], sig);
}

/* The parent of several workers forwards SIGTERM/SIGINT and waits. */
static int supervise(void)
{
	struct sigaction sa;
	int status, rc = 0;
	unsigned left = n_children;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = forward;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (left) {
		pid_t p = wait(&status);

		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			break;
		left--;
		for (unsigned i = 0; i < n_children; i++)
			if (children[i] == p) /* its gauges go, counters stay */
				chatd_metrics_release(child_index[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			rc = 1;
			forward(SIGTERM); /* one worker failed: stop all */
		}
	}
	return rc;
}

/* A later worker's socket on the port the first one got. */
static int rebind(const char *cfgaddr, int first)
{
	char addr[CHATD_ADDR_MAX + 8];
	const char *colon = strrchr(cfgaddr, ':');

	if (first < 0)
		return -1;
	snprintf(addr, sizeof addr, "%.*s:%d", (int)(colon - cfgaddr), cfgaddr,
		 chatd_sock_port(first));
	return chatd_listen_socket(addr, 1);
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* workers = 0: one per online processor. */
static unsigned worker_count(const chatd_config *cfg)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (cfg->workers)
		return cfg->workers;
	if (cores < 1)
		return 1;
	return cores > CHATD_WORKERS_MAX ? CHATD_WORKERS_MAX : (unsigned)cores;
}

static int run(const chatd_config *cfg, const uint8_t *key)
{
	unsigned n = worker_count(cfg);
	int ffd = chatd_listen_socket(cfg->listen, n > 1);
	int hfd = chatd_listen_socket(cfg->http, n > 1);
	int wfd = cfg->ws[0] ? chatd_listen_socket(cfg->ws, n > 1) : -1;

	if (ffd < 0 || hfd < 0 || (cfg->ws[0] && wfd < 0))
		return 1;
	chatd_log(LC_SERVER_LOG_INFO, "listening", "frames=%d http=%d ws=%d "
		  "workers=%u data=%s push=%s", chatd_sock_port(ffd),
		  chatd_sock_port(hfd), wfd >= 0 ? chatd_sock_port(wfd) : -1,
		  n, cfg->data, cfg->push);
	if (chatd_metrics_create(n) != 0)
		return 1;
	if (n == 1)
		return chatd_worker_run(cfg, key, 0, ffd, hfd, wfd);
	if (chatd_sib_create(n) != 0)
		return 1;
	for (unsigned i = 0; i < n; i++) {
		int f = ffd, h = hfd, w = wfd;
		pid_t pid;

		if (i > 0) { /* later workers bind the ports the first got */
			f = rebind(cfg->listen, ffd);
			h = rebind(cfg->http, hfd);
			w = wfd >= 0 ? rebind(cfg->ws, wfd) : -1;
			if (f < 0 || h < 0 || (wfd >= 0 && w < 0)) {
				close_fd(f);
				close_fd(h);
				close_fd(w);
				break;
			}
		}
		pid = fork();
		if (pid == 0) {
#ifdef __linux__
			/* a worker drains when its supervisor is gone */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
			if (i > 0) {
				close(ffd);
				close(hfd);
				close_fd(wfd);
			}
			_exit(chatd_worker_run(cfg, key, i, f, h, w));
		}
		if (pid > 0) {
			child_index[n_children] = i;
			children[n_children++] = pid;
		}
		if (i > 0) {
			close(f);
			close(h);
			close_fd(w);
		}
	}
	close(ffd);
	close(hfd);
	close_fd(wfd);
	chatd_sib_close_all();
	return supervise();
}

int main(int argc, char **argv)
{
	chatd_config cfg;
	uint8_t *priv, pub[32];
	int mode = 0, rc;

	chatd_config_defaults(&cfg);
	if (parse_args(argc, argv, &cfg, &mode) != 0)
		return 2;
	if (mode == 'h') {
		usage(stdout);
		return 0;
	}
	if (sodium_init() < 0)
		return 1;
	chatd_log_init(cfg.log_level, 0);
	if (mode == 'k')
		return print_key(&cfg);
	if (cfg.workers > CHATD_WORKERS_MAX ||
	    (strcmp(cfg.push, "webhook") == 0 && cfg.push_url[0] == '\0')) {
		fprintf(stderr, "chatd: workers at most %d; push = webhook "
				"needs push_url\n", CHATD_WORKERS_MAX);
		return 2;
	}
	if (cfg.media_max_size == 0 || cfg.media_max_size > (1ull << 40)) {
		fprintf(stderr, "chatd: media_max_size is 1 to 2^40 bytes\n");
		return 2;
	}
	if ((priv = sodium_malloc(32)) == NULL)
		return 1;
	rc = chatd_key_load(cfg.data, priv, pub);
	if (rc == 0)
		rc = run(&cfg, priv);
	else
		rc = 1;
	sodium_free(priv);
	return rc;
}
