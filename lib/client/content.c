/* The plaintext inside every end-to-end message (doc/client.md, "Content"):
 *
 *   0      1  version, 1
 *   1      1  kind: 1 text, 2 media pointer (reserved)
 *   2      1  L, length of the chat hint (0..64)
 *   3      L  chat hint: for a direct message the recipient's user id, so
 *             the sender's other devices file their copy in the right chat
 *   3+L    .. text: UTF-8, the rest of the plaintext
 *              media (reserved, not yet sent): id (32), key (32),
 *              SHA-256 digest (32), size (8), MIME length (1), MIME type
 *
 * The content is then padded (lc_pad) before encryption. */
#include <string.h>

#include "client_int.h"

int lc_cl_content_text(const char *chat, const char *text, size_t len,
		       uint8_t *out, size_t cap, size_t *out_len)
{
	size_t cl = chat ? strlen(chat) : 0;

	if (cl > LC_CL_UID_MAX || len > LC_CLIENT_TEXT_MAX)
		return LC_ERR_INVALID_ARG;
	if (cap < 3 + cl + len)
		return LC_ERR_BUFFER_TOO_SMALL;
	out[0] = 1;
	out[1] = LC_CL_CONTENT_TEXT;
	out[2] = (uint8_t)cl;
	if (cl)
		memcpy(out + 3, chat, cl);
	if (len)
		memcpy(out + 3 + cl, text, len);
	*out_len = 3 + cl + len;
	return 0;
}

int lc_cl_content_parse(const uint8_t *buf, size_t len, int *kind,
			const char **chat, size_t *chat_len,
			const char **text, size_t *text_len)
{
	size_t cl;

	if (len < 3 || buf[0] != 1)
		return LC_ERR_MALFORMED;
	cl = buf[2];
	if (cl > LC_CL_UID_MAX || len < 3 + cl ||
	    !lc_utf8_valid(buf + 3, cl))
		return LC_ERR_MALFORMED;
	*kind = buf[1];
	*chat = (const char *)buf + 3;
	*chat_len = cl;
	if (buf[1] != LC_CL_CONTENT_TEXT)
		return LC_ERR_UNSUPPORTED;
	*text = (const char *)buf + 3 + cl;
	*text_len = len - 3 - cl;
	if (*text_len > LC_CLIENT_TEXT_MAX ||
	    !lc_utf8_valid(buf + 3 + cl, *text_len))
		return LC_ERR_MALFORMED;
	return 0;
}
