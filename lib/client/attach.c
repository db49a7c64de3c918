/* Files as messages: a media pointer sent like a text, decoded back from
 * the store, and the token an application's HTTP client presents. */
#include <string.h>

#include <sodium.h>

#include "alloc.h"
#include "client_int.h"

/* Store and queue a media pointer for chat (a user id or a group's). */
static int send_media(lc_client *c, const char *chat,
		      const lc_client_media *m, uint8_t *id, uint64_t now)
{
	char text[LC_CL_MEDIA_TEXT_SIZE];
	lc_cl_content ct;
	uint8_t *data;
	size_t tl = 0, dl = 0;
	int rc;

	if (!c->has_account)
		return LC_ERR_NOT_LOGGED_IN;
	if ((data = sodium_malloc(LC_CL_CONTENT_MAX)) == NULL)
		return LC_ERR_NOMEM;
	memset(&ct, 0, sizeof ct);
	ct.kind = LC_CL_CONTENT_MEDIA;
	ct.media = m;
	rc = lc_cl_media_text(m, text, sizeof text, &tl);
	if (rc == 0)
		rc = lc_cl_content_encode(&ct, data, LC_CL_CONTENT_MAX, &dl);
	if (rc == 0)
		rc = lc_cl_queue(c, chat, LC_CL_CONTENT_MEDIA, text, tl, data,
				 dl, id, now);
	sodium_free(data);
	return rc;
}

int lc_client_send_media(lc_client *c, const char *user_id,
			 const lc_client_media *media, uint8_t *id,
			 uint64_t now)
{
	if (c == NULL || !lc_cl_valid_uid(user_id) || media == NULL ||
	    strncmp(user_id, "g:", 2) == 0 || !lc_cl_media_valid(media))
		return LC_ERR_INVALID_ARG;
	return send_media(c, user_id, media, id, now);
}

int lc_client_send_group_media(lc_client *c, const uint8_t *group_id,
			       const lc_client_media *media, uint8_t *id,
			       uint64_t now)
{
	char chat[35];

	if (c == NULL || group_id == NULL || media == NULL ||
	    !lc_cl_media_valid(media))
		return LC_ERR_INVALID_ARG;
	lc_cl_group_chat_id(group_id, chat);
	return send_media(c, chat, media, id, now);
}

int lc_client_media_valid(const lc_client_media *m)
{
	return m != NULL && lc_cl_media_valid(m);
}

int lc_client_media_decode(const lc_store_message *msg, lc_client_media *out)
{
	lc_allocator mem = { 0 };
	lc_cl_content ct;
	Libchat__Content *own = NULL;
	int rc;

	if (msg == NULL || out == NULL || (msg->data == NULL && msg->data_len))
		return LC_ERR_INVALID_ARG;
	if (msg->kind != LC_CL_CONTENT_MEDIA)
		return LC_ERR_NOT_FOUND;
	if ((rc = lc_alloc_init(&mem, NULL)))
		return rc;
	rc = lc_cl_content_parse(msg->data, msg->data_len, &mem, &ct, out,
				 &own);
	if (rc == 0 && ct.kind != LC_CL_CONTENT_MEDIA)
		rc = LC_ERR_STORE_CORRUPT;
	if (rc && rc != LC_ERR_NOMEM)
		rc = LC_ERR_STORE_CORRUPT;
	if (rc)
		sodium_memzero(out, sizeof *out);
	lc_cl_content_free(own, &mem);
	return rc;
}

int lc_client_http_token(const lc_client *c, char *out, size_t cap)
{
	if (c == NULL || out == NULL || cap < LC_CLIENT_TOKEN_HEX_SIZE)
		return LC_ERR_INVALID_ARG;
	if (!c->has_account)
		return LC_ERR_NOT_LOGGED_IN;
	sodium_bin2hex(out, cap, c->sec->token, sizeof c->sec->token);
	return 0;
}
