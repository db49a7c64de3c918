/* chat: files. `send-file TO PATH` encrypts and uploads the file, then
 * sends its pointer end to end; on sync and in the interactive mode a
 * received file is downloaded,
 * checked against its digest, decrypted and saved as
 * DIR/media/ID8-NAME (ID8: the first 8 hex digits of the message id). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sodium.h>

#include "chat.h"

/* A MIME type from the file name's extension. */
static const char *guess_mime(const char *path)
{
	static const char *const map[][2] = {
		{ "png", "image/png" }, { "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" }, { "gif", "image/gif" },
		{ "webp", "image/webp" }, { "pdf", "application/pdf" },
		{ "txt", "text/plain" }, { "mp4", "video/mp4" },
		{ "mp3", "audio/mpeg" }, { "ogg", "audio/ogg" },
	};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(dot + 1, map[i][0]) == 0)
			return map[i][1];
	return "application/octet-stream";
}

void file_label(const lc_client_media *m, char *out, size_t n)
{
	char kind[32], size[32];
	const char *slash = strchr(m->mime_type, '/');
	size_t kl = slash ? (size_t)(slash - m->mime_type) : 0;

	if (kl == 0 || kl >= sizeof kind || strcmp(m->mime_type,
						    "application/octet-stream") == 0)
		strcpy(kind, "file");
	else
		snprintf(kind, sizeof kind, "%.*s", (int)kl, m->mime_type);
	if (m->size < 1024)
		snprintf(size, sizeof size, "%llu B", (unsigned long long)m->size);
	else if (m->size < 1024 * 1024)
		snprintf(size, sizeof size, "%llu KiB",
			 (unsigned long long)(m->size + 512) / 1024);
	else
		snprintf(size, sizeof size, "%.1f MiB",
			 (double)m->size / (1024.0 * 1024.0));
	snprintf(out, n, "[%s %s %s]%s%s", kind,
		 m->file_name[0] ? m->file_name : "(no name)", size,
		 m->caption[0] ? " " : "", m->caption);
}

static void show_own_file(const lc_client_media *f);

static void on_uploaded(int code, const lc_client_media *m, void *ud)
{
	uint8_t gid[16];
	char label[LC_CLIENT_FILE_NAME_SIZE + 200];
	int rc;

	(void)ud;
	ui_out();
	if (code) {
		fprintf(stderr, "upload failed: %s\n", lc_strerror(code));
		finish(1);
		return;
	}
	file_label(m, label, sizeof label);
	if (A.json) {
		printf("{\"event\":\"upload\",\"media_id\":");
		json_str(m->id);
		printf(",\"size\":%llu,\"name\":", (unsigned long long)m->size);
		json_str(m->file_name);
		printf("}\n");
	} else {
		printf("uploaded %s\n", label);
	}
	if (strncmp(A.res[0], "g:", 2) == 0) {
		(void)sodium_hex2bin(gid, 16, A.res[0] + 2, 32, NULL, NULL, NULL);
		rc = lc_client_send_group_media(A.c, gid, m, A.sent_id, now_ms());
	} else {
		rc = lc_client_send_media(A.c, A.res[0], m, A.sent_id, now_ms());
	}
	if (rc) {
		fprintf(stderr, "failed: %s\n", lc_strerror(rc));
		finish(1);
		return;
	}
	lc_client_event_kick(A.ev); /* the ack's receipt ends the command */
	if (A.interactive)
		show_own_file(m);
}

/* Interactive: the file just sent, as a line the marks will follow. */
static void show_own_file(const lc_client_media *f)
{
	char label[LC_CLIENT_FILE_NAME_SIZE + 200];
	lc_store_message m;

	memset(&m, 0, sizeof m);
	memcpy(m.id, A.sent_id, 16);
	m.sender_id = lc_client_user_id(A.c);
	m.time_ms = now_ms();
	m.flags = LC_STORE_MSG_OUTGOING;
	m.kind = LC_CLIENT_KIND_MEDIA;
	print_message(&m, A.res[0], f);
	file_label(f, label, sizeof label);
	marks_add(A.sent_id, A.res[0], label);
	finish(0);
}

void cmd_send_file(void)
{
	const char *mime = A.mime ? A.mime : guess_mime(A.args[1]);
	int rc = lc_client_event_upload(A.ev, A.args[1], mime, NULL, A.caption,
					on_uploaded, NULL);

	if (rc) {
		fprintf(stderr, "cannot send %s: %s\n", A.args[1],
			lc_strerror(rc));
		finish(1);
	}
}

struct dl {
	char id[33];
	uint64_t size;
};

static void on_downloaded(int code, const char *path, void *ud)
{
	struct dl *d = ud;

	ui_out();
	if (A.json) {
		printf("{\"event\":\"file\",\"id\":\"%s\",", d->id);
		if (code) {
			printf("\"error\":");
			json_str(lc_strerror(code));
		} else {
			printf("\"path\":");
			json_str(path);
			printf(",\"size\":%llu", (unsigned long long)d->size);
		}
		printf("}\n");
	} else if (code) {
		printf("  file of %.8s not saved: %s\n", d->id, lc_strerror(code));
	} else {
		printf("  saved %s\n", path);
	}
	if (code)
		A.file_errors++;
	free(d);
	if (--A.downloads == 0 && A.interactive)
		interactive_receipt(); /* end of input waits for downloads */
	else if (A.downloads == 0 && A.extra_waits > 0) /* the wait is over */
		finish(A.file_errors ? 1 : 0);
}

void file_received(const lc_client_message *m)
{
	char dir[4096], path[4096 + LC_CLIENT_FILE_NAME_SIZE + 16];
	struct dl *d = calloc(1, sizeof *d);
	int rc;

	if (d == NULL)
		return;
	hex(m->id, 16, d->id);
	d->size = m->media->size;
	snprintf(dir, sizeof dir, "%s/media", A.home);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "cannot create %s\n", dir);
		free(d);
		return;
	}
	/* the name was checked by the library: no '/', not "." or ".." */
	snprintf(path, sizeof path, "%s/%.8s-%s", dir, d->id,
		 m->media->file_name[0] ? m->media->file_name : "file");
	A.downloads++;
	rc = lc_client_event_download(A.ev, m->media, path, on_downloaded, d);
	if (rc)
		on_downloaded(rc, NULL, d);
}
