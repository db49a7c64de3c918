#include "envelope.h"

/* Length of the sequence led by b, or 0 when b cannot lead one. */
static size_t seq_len(uint8_t b)
{
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if (b >= 0xe0 && b <= 0xef)
		return 3;
	if (b >= 0xf0 && b <= 0xf4)
		return 4;
	return 0;
}

int lc_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k = seq_len(s[i]);
		uint8_t lo = 0x80, hi = 0xbf;

		if (k == 0 || n - i < k)
			return 0;
		/* The second byte's range rules out overlongs, surrogates
		 * and code points above U+10FFFF. */
		if (s[i] == 0xe0)
			lo = 0xa0;
		else if (s[i] == 0xed)
			hi = 0x9f;
		else if (s[i] == 0xf0)
			lo = 0x90;
		else if (s[i] == 0xf4)
			hi = 0x8f;
		for (size_t j = 1; j < k; j++) {
			uint8_t c = s[i + j];

			if (c < (j == 1 ? lo : 0x80) || c > (j == 1 ? hi : 0xbf))
				return 0;
		}
		i += k;
	}
	return 1;
}
