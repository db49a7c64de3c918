/* Padding to fixed buckets (ISO/IEC 7816-4 style: 0x80 then zeros), so a
 * ciphertext's length tells only its bucket. */
#include <string.h>

#include <libchat/error.h>

#include "internal.h"

size_t lc_padded_size(size_t len)
{
	size_t need, b;

	if (len > LC_PAD_MAX_INPUT)
		return 0;
	need = len + 1;
	if (need > LC_PAD_STEP)
		return (need + LC_PAD_STEP - 1) / LC_PAD_STEP * LC_PAD_STEP;
	for (b = LC_PAD_MIN; b < need; b *= 2)
		;
	return b;
}

static int is_bucket(size_t len)
{
	if (len < LC_PAD_MIN)
		return 0;
	if (len > LC_PAD_STEP)
		return len % LC_PAD_STEP == 0 &&
		       len <= lc_padded_size(LC_PAD_MAX_INPUT);
	return (len & (len - 1)) == 0;
}

int lc_pad(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
	   size_t *out_len)
{
	size_t n;

	if (out == NULL || out_len == NULL || (in == NULL && len > 0) ||
	    len > LC_PAD_MAX_INPUT)
		return LC_ERR_INVALID_ARG;
	n = lc_padded_size(len);
	if (cap < n)
		return LC_ERR_BUFFER_TOO_SMALL;
	if (len > 0 && in != out)
		memmove(out, in, len);
	out[len] = 0x80;
	memset(out + len + 1, 0, n - len - 1);
	*out_len = n;
	return 0;
}

int lc_unpad(const uint8_t *buf, size_t len, size_t *out_len)
{
	size_t i = len;

	if (out_len == NULL || (buf == NULL && len > 0))
		return LC_ERR_INVALID_ARG;
	if (!is_bucket(len))
		return LC_ERR_BAD_PADDING;
	while (i > 0 && buf[i - 1] == 0)
		i--;
	if (i == 0 || buf[i - 1] != 0x80)
		return LC_ERR_BAD_PADDING;
	/* The marker must fall where lc_pad() puts it for this length. */
	if (lc_padded_size(i - 1) != len)
		return LC_ERR_BAD_PADDING;
	*out_len = i - 1;
	return 0;
}
