/* The server's Noise static key: 32 random bytes in DATA/server.key,
 * written once with mode 0600; the public key is derived. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "chatd.h"

static int read_all(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int create_key(const char *path, uint8_t *priv)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ssize_t w;

	if (fd < 0)
		return -1;
	randombytes_buf(priv, 32);
	w = write(fd, priv, 32);
	if (w != 32 || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	chatd_log(LC_SERVER_LOG_INFO, "key_generated", "path=%s", path);
	return 0;
}

/* Load (or create on first start) the key; priv is 32 bytes the caller
 * keeps in sodium_malloc'd memory. 0 or -1 (logged). */
int chatd_key_load(const char *dir, uint8_t *priv, uint8_t pub[32])
{
	char path[CHATD_PATH_MAX + 16];
	struct stat st;
	int fd;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		chatd_log(LC_SERVER_LOG_ERROR, "data_dir", "path=%s err=\"%s\"",
			  dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/server.key", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0 && errno == ENOENT && create_key(path, priv) == 0)
		return crypto_scalarmult_base(pub, priv) == 0 ? 0 : -1;
	if (fd < 0) {
		chatd_log(LC_SERVER_LOG_ERROR, "key_open", "path=%s err=\"%s\"",
			  path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || st.st_size != 32 || (st.st_mode & 077) ||
	    read_all(fd, priv, 32) != 0) {
		close(fd);
		chatd_log(LC_SERVER_LOG_ERROR, "key_invalid",
			  "path=%s want=\"32 bytes, mode 0600\"", path);
		return -1;
	}
	close(fd);
	return crypto_scalarmult_base(pub, priv) == 0 ? 0 : -1;
}
