/* The plaintext inside every end-to-end message: one protobuf Content
 * (lib/client/proto/content.proto, doc/client.md "Content"), padded with
 * lc_pad before encryption. Everything in it comes from a peer's device
 * and is checked here before anyone reads it. */
#include <string.h>

#include <sodium.h>

#include "alloc.h"
#include "client_int.h"

/* protobuf-c reports a failed allocation and bad input alike (NULL); the
 * bridge remembers a failure so parse can tell NOMEM from MALFORMED. */
struct bridge {
	const lc_allocator *a;
	int failed;
};

static void *pb_alloc(void *ud, size_t n)
{
	struct bridge *b = ud;
	void *p = lc_malloc(b->a, n);

	if (p == NULL)
		b->failed = 1;
	return p;
}

static void pb_free(void *ud, void *p)
{
	struct bridge *b = ud;

	lc_free(b->a, p);
}

static int utf8(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n <= max && lc_utf8_valid((const uint8_t *)s, n);
}

/* 1..128 of [0-9A-Za-z._-]: safe in a URL path and a file name. */
static int id_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n >= LC_CLIENT_MEDIA_ID_SIZE - 1 ||
		    !((s[n] >= '0' && s[n] <= '9') ||
		      (s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= 'A' && s[n] <= 'Z') || s[n] == '.' ||
		      s[n] == '_' || s[n] == '-'))
			return 0;
	return n > 0 && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* Printable ASCII, shorter than LC_CLIENT_MIME_SIZE. */
static int mime_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n >= LC_CLIENT_MIME_SIZE - 1 || s[n] < 0x20 || s[n] > 0x7e)
			return 0;
	return 1;
}

/* UTF-8 without directories or control characters. */
static int name_valid(const char *s)
{
	if (!utf8(s, LC_CLIENT_FILE_NAME_SIZE - 1) || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '/' ||
		    *s == '\\')
			return 0;
	return 1;
}

int lc_cl_media_valid(const lc_client_media *m)
{
	return memchr(m->id, 0, sizeof m->id) && id_valid(m->id) &&
	       m->size <= LC_MEDIA_SIZE_MAX &&
	       memchr(m->mime_type, 0, sizeof m->mime_type) &&
	       mime_valid(m->mime_type) &&
	       memchr(m->file_name, 0, sizeof m->file_name) &&
	       name_valid(m->file_name) &&
	       memchr(m->caption, 0, sizeof m->caption) &&
	       utf8(m->caption, LC_CLIENT_CAPTION_SIZE - 1);
}

int lc_cl_media_text(const lc_client_media *m, char *out, size_t cap,
		     size_t *len)
{
	size_t fl = strlen(m->file_name), cl = strlen(m->caption);
	size_t n = fl + (fl && cl) + cl;

	if (n + 1 > cap)
		return LC_ERR_BUFFER_TOO_SMALL;
	memcpy(out, m->file_name, fl);
	if (fl && cl)
		out[fl] = '\n';
	memcpy(out + fl + (fl && cl), m->caption, cl);
	out[n] = 0;
	*len = n;
	return 0;
}

int lc_cl_content_encode(const lc_cl_content *ct, uint8_t *out, size_t cap,
			 size_t *out_len)
{
	Libchat__Content c = LIBCHAT__CONTENT__INIT;
	Libchat__MediaPointer mp = LIBCHAT__MEDIA_POINTER__INIT;
	const char *hint = ct->hint ? ct->hint : "";
	size_t n;

	if (!utf8(hint, LC_CL_UID_MAX))
		return LC_ERR_INVALID_ARG;
	c.chat_hint = (char *)hint;
	switch (ct->kind) {
	case LC_CL_CONTENT_TEXT:
		if (ct->text_len == 0 || ct->text_len > LC_CLIENT_TEXT_MAX ||
		    memchr(ct->text, 0, ct->text_len) ||
		    !lc_utf8_valid((const uint8_t *)ct->text, ct->text_len))
			return LC_ERR_INVALID_ARG;
		c.body_case = LIBCHAT__CONTENT__BODY_TEXT;
		c.text = (char *)ct->text; /* NUL-terminated by the caller */
		break;
	case LC_CL_CONTENT_MEDIA:
		if (!lc_cl_media_valid(ct->media))
			return LC_ERR_INVALID_ARG;
		mp.id = (char *)ct->media->id;
		mp.key.data = (uint8_t *)ct->media->key;
		mp.key.len = LC_MEDIA_KEY_LEN;
		mp.sha256.data = (uint8_t *)ct->media->digest;
		mp.sha256.len = LC_MEDIA_DIGEST_LEN;
		mp.size = ct->media->size;
		mp.mime_type = (char *)ct->media->mime_type;
		mp.file_name = (char *)ct->media->file_name;
		mp.caption = (char *)ct->media->caption;
		c.body_case = LIBCHAT__CONTENT__BODY_MEDIA;
		c.media = &mp;
		break;
	case LC_CL_CONTENT_SENDER_KEY:
		if (ct->skd_len == 0 || ct->skd_len > LC_CL_SKD_MAX)
			return LC_ERR_INVALID_ARG;
		c.body_case = LIBCHAT__CONTENT__BODY_SENDER_KEY_DISTRIBUTION;
		c.sender_key_distribution.data = (uint8_t *)ct->skd;
		c.sender_key_distribution.len = ct->skd_len;
		break;
	default:
		return LC_ERR_INVALID_ARG;
	}
	n = libchat__content__get_packed_size(&c);
	if (n > cap)
		return LC_ERR_BUFFER_TOO_SMALL;
	*out_len = libchat__content__pack(&c, out);
	return 0;
}

static int media_take(const Libchat__MediaPointer *mp, lc_client_media *m)
{
	if (mp == NULL || !id_valid(mp->id) ||
	    mp->key.len != LC_MEDIA_KEY_LEN ||
	    mp->sha256.len != LC_MEDIA_DIGEST_LEN ||
	    mp->size > LC_MEDIA_SIZE_MAX || !mime_valid(mp->mime_type) ||
	    !name_valid(mp->file_name) ||
	    !utf8(mp->caption, LC_CLIENT_CAPTION_SIZE - 1))
		return LC_ERR_MALFORMED;
	memset(m, 0, sizeof *m);
	strcpy(m->id, mp->id);
	memcpy(m->key, mp->key.data, LC_MEDIA_KEY_LEN);
	memcpy(m->digest, mp->sha256.data, LC_MEDIA_DIGEST_LEN);
	m->size = mp->size;
	strcpy(m->mime_type, mp->mime_type);
	strcpy(m->file_name, mp->file_name);
	strcpy(m->caption, mp->caption);
	return 0;
}

static int unknown_ok(const ProtobufCMessage *m)
{
	/* protobuf-c accepts a field numbered 0 written as a non-minimal
	 * varint; no encoder writes one */
	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0)
			return 0;
	return 1;
}

static int check(const Libchat__Content *c, lc_cl_content *ct,
		 lc_client_media *media)
{
	if (!unknown_ok(&c->base) || !utf8(c->chat_hint, LC_CL_UID_MAX))
		return LC_ERR_MALFORMED;
	memset(ct, 0, sizeof *ct);
	ct->hint = c->chat_hint;
	switch (c->body_case) {
	case LIBCHAT__CONTENT__BODY_TEXT:
		ct->kind = LC_CL_CONTENT_TEXT;
		ct->text = c->text;
		ct->text_len = strlen(c->text);
		if (ct->text_len == 0 || !utf8(c->text, LC_CLIENT_TEXT_MAX))
			return LC_ERR_MALFORMED;
		return 0;
	case LIBCHAT__CONTENT__BODY_MEDIA:
		ct->kind = LC_CL_CONTENT_MEDIA;
		ct->media = media;
		if (!unknown_ok(&c->media->base))
			return LC_ERR_MALFORMED;
		return media_take(c->media, media);
	case LIBCHAT__CONTENT__BODY_SENDER_KEY_DISTRIBUTION:
		ct->kind = LC_CL_CONTENT_SENDER_KEY;
		ct->skd = c->sender_key_distribution.data;
		ct->skd_len = c->sender_key_distribution.len;
		return ct->skd_len == 0 || ct->skd_len > LC_CL_SKD_MAX ?
		       LC_ERR_MALFORMED : 0;
	default:
		return LC_ERR_UNSUPPORTED; /* a kind from a later version */
	}
}

int lc_cl_content_parse(const uint8_t *buf, size_t len,
			const lc_allocator *mem, lc_cl_content *ct,
			lc_client_media *media, Libchat__Content **owner)
{
	struct bridge b = { mem, 0 };
	ProtobufCAllocator pa = { pb_alloc, pb_free, &b };
	Libchat__Content *c;
	int rc;

	*owner = NULL;
	if (len > LC_CL_CONTENT_MAX)
		return LC_ERR_MALFORMED;
	c = libchat__content__unpack(&pa, len, buf);
	if (c == NULL)
		return b.failed ? LC_ERR_NOMEM : LC_ERR_MALFORMED;
	rc = check(c, ct, media);
	if (rc && rc != LC_ERR_UNSUPPORTED) {
		sodium_memzero(media, sizeof *media);
		libchat__content__free_unpacked(c, &pa);
		return rc;
	}
	*owner = c;
	return rc;
}

void lc_cl_content_free(Libchat__Content *owner, const lc_allocator *mem)
{
	struct bridge b = { mem, 0 };
	ProtobufCAllocator pa = { pb_alloc, pb_free, &b };

	if (owner == NULL)
		return;
	if (owner->body_case == LIBCHAT__CONTENT__BODY_MEDIA && owner->media &&
	    owner->media->key.data)
		sodium_memzero(owner->media->key.data, owner->media->key.len);
	if (owner->body_case == LIBCHAT__CONTENT__BODY_SENDER_KEY_DISTRIBUTION &&
	    owner->sender_key_distribution.data)
		sodium_memzero(owner->sender_key_distribution.data,
			       owner->sender_key_distribution.len);
	libchat__content__free_unpacked(owner, &pa);
}
