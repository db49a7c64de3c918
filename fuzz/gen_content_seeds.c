/* Writes the seed corpora of the client_content and media_decrypt
 * harnesses: gen-content-seeds fuzz/corpus (run by hand when a format
 * changes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client_int.h"
#include "media_fixture.h"

static const char *root;

static void put(const char *dir, const char *name, const uint8_t *p,
		size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s/%s", root, dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

/* The content as is and padded. */
static void content(const char *name, const uint8_t *p, size_t n)
{
	static uint8_t pad[70000];
	char pn[128];
	size_t pl = 0;

	put("client_content", name, p, n);
	if (lc_pad(p, n, pad, sizeof pad, &pl) == 0) {
		snprintf(pn, sizeof pn, "%s-padded", name);
		put("client_content", pn, pad, pl);
	}
}

static void encoded(const char *name, const lc_cl_content *ct)
{
	static uint8_t buf[LC_CL_CONTENT_MAX];
	size_t n = 0;

	if (lc_cl_content_encode(ct, buf, sizeof buf, &n) != 0) {
		fprintf(stderr, "%s: does not encode\n", name);
		exit(1);
	}
	content(name, buf, n);
}

static void contents(void)
{
	static lc_client_media m;
	static const uint8_t unknown[] = { 0x0a, 0x03, 'b', 'o', 'b',
					   0x2a, 0x02, 'h', 'i' };
	static const uint8_t bad_utf8[] = { 0x12, 0x02, 0xc3, 0x28 };
	static const uint8_t truncated[] = { 0x12, 0x05, 'h', 'i' };
	static const uint8_t empty_text[] = { 0x12, 0x00 };
	uint8_t skd[LC_SENDER_KEY_DISTRIBUTION_LEN];
	lc_cl_content ct;

	memset(&ct, 0, sizeof ct);
	ct.kind = LC_CL_CONTENT_TEXT;
	ct.hint = "0123456789abcdef0123456789abcdef";
	ct.text = "hello, Bob";
	ct.text_len = strlen(ct.text);
	encoded("text-direct", &ct);
	ct.hint = "";
	ct.text = "h\xc3\xa9llo, group";
	ct.text_len = strlen(ct.text);
	encoded("text-group", &ct);

	memset(&m, 0, sizeof m);
	strcpy(m.id, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	memset(m.key, 7, sizeof m.key);
	memset(m.digest, 9, sizeof m.digest);
	m.size = 12345;
	strcpy(m.mime_type, "image/png");
	strcpy(m.file_name, "photo.png");
	strcpy(m.caption, "the trip");
	memset(&ct, 0, sizeof ct);
	ct.kind = LC_CL_CONTENT_MEDIA;
	ct.hint = "0123456789abcdef0123456789abcdef";
	ct.media = &m;
	encoded("media", &ct);

	memset(skd, 0x14, sizeof skd);
	memset(&ct, 0, sizeof ct);
	ct.kind = LC_CL_CONTENT_SENDER_KEY;
	ct.skd = skd;
	ct.skd_len = sizeof skd;
	encoded("sender-key", &ct);

	content("unknown-kind", unknown, sizeof unknown);
	content("bad-utf8", bad_utf8, sizeof bad_utf8);
	content("truncated", truncated, sizeof truncated);
	content("empty-text", empty_text, sizeof empty_text);
}

static void media(const char *name, size_t size, uint8_t split)
{
	uint64_t cl = lc_media_ciphertext_size(size);
	uint8_t *pt = calloc(1, size + 1), *in = malloc(FUZZ_MEDIA_PREFIX + cl);
	uint8_t key[32], digest[32];
	size_t n = 0;

	if (pt == NULL || in == NULL)
		exit(1);
	for (size_t i = 0; i < size; i++)
		pt[i] = (uint8_t)(i * 31);
	in[0] = (uint8_t)(size >> 24);
	in[1] = (uint8_t)(size >> 16);
	in[2] = (uint8_t)(size >> 8);
	in[3] = (uint8_t)size;
	in[4] = split;
	if (lc_media_encrypt(pt, size, key, digest, in + FUZZ_MEDIA_PREFIX, cl,
			     &n, NULL, &fuzz_media_rng) != 0)
		exit(1);
	put("media_decrypt", name, in, FUZZ_MEDIA_PREFIX + n);
	free(pt);
	free(in);
}

int main(int argc, char **argv)
{
	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: %s CORPUS_ROOT\n", argv[0]);
		return 2;
	}
	root = argv[1];
	contents();
	media("empty", 0, 0);
	media("small", 100, 3);
	media("one-chunk", LC_MEDIA_CHUNK, 200);
	media("two-chunks", LC_MEDIA_CHUNK + 10, 17);
	return 0;
}
