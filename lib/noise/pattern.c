/* Handshake patterns as data (Noise spec sections 7.4, 7.5, 7.6 and 9) and
 * the parser of protocol names. Each pattern is written here as in the
 * spec: pre-messages and one token list per message, messages alternating
 * from the initiator. PSK modifiers are applied when a name is parsed. */
#include <string.h>

#include "noise_internal.h"

struct pattern_src {
	const char *name;
	const char *pre_i;  /* initiator pre-message ("" for none) */
	const char *pre_r;  /* responder pre-message */
	const char *msg[4];
};

static const struct pattern_src patterns[] = {
	/* one-way (7.4) */
	{ "N", "", "s", { "e es" } },
	{ "K", "s", "s", { "e es ss" } },
	{ "X", "", "s", { "e es s ss" } },
	/* interactive (7.5) */
	{ "NN", "", "", { "e", "e ee" } },
	{ "NK", "", "s", { "e es", "e ee" } },
	{ "NX", "", "", { "e", "e ee s es" } },
	{ "KN", "s", "", { "e", "e ee se" } },
	{ "KK", "s", "s", { "e es ss", "e ee se" } },
	{ "KX", "s", "", { "e", "e ee se s es" } },
	{ "XN", "", "", { "e", "e ee", "s se" } },
	{ "XK", "", "s", { "e es", "e ee", "s se" } },
	{ "XX", "", "", { "e", "e ee s es", "s se" } },
	{ "IN", "", "", { "e s", "e ee se" } },
	{ "IK", "", "s", { "e es s ss", "e ee se" } },
	{ "IX", "", "", { "e s", "e ee se s es" } },
	/* deferred (7.6) */
	{ "NK1", "", "s", { "e", "e ee es" } },
	{ "NX1", "", "", { "e", "e ee s", "es" } },
	{ "X1N", "", "", { "e", "e ee", "s", "se" } },
	{ "X1K", "", "s", { "e es", "e ee", "s", "se" } },
	{ "XK1", "", "s", { "e", "e ee es", "s se" } },
	{ "X1K1", "", "s", { "e", "e ee es", "s", "se" } },
	{ "X1X", "", "", { "e", "e ee s es", "s", "se" } },
	{ "XX1", "", "", { "e", "e ee s", "es s se" } },
	{ "X1X1", "", "", { "e", "e ee s", "es s", "se" } },
	{ "K1N", "s", "", { "e", "e ee", "se" } },
	{ "K1K", "s", "s", { "e es", "e ee", "se" } },
	{ "KK1", "s", "s", { "e", "e ee se es" } },
	{ "K1K1", "s", "s", { "e", "e ee es", "se" } },
	{ "K1X", "s", "", { "e", "e ee s es", "se" } },
	{ "KX1", "s", "", { "e", "e ee se s", "es" } },
	{ "K1X1", "s", "", { "e", "e ee s", "se es" } },
	{ "I1N", "", "", { "e s", "e ee", "se" } },
	{ "I1K", "", "s", { "e es s", "e ee", "se" } },
	{ "IK1", "", "s", { "e s", "e ee se es" } },
	{ "I1K1", "", "s", { "e s", "e ee es", "se" } },
	{ "I1X", "", "", { "e s", "e ee s es", "se" } },
	{ "IX1", "", "", { "e s", "e ee se s", "es" } },
	{ "I1X1", "", "", { "e s", "e ee s", "se es" } },
};

static int token_of(const char *w, size_t n)
{
	static const char *const names[] = {
		NULL, "e", "s", "ee", "es", "se", "ss", "psk"
	};

	for (int t = TOK_E; t <= TOK_PSK; t++)
		if (strlen(names[t]) == n && memcmp(names[t], w, n) == 0)
			return t;
	return -1;
}

/* Space-separated tokens into a TOK_END-terminated list. */
static int tokens(const char *src, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (*src) {
		size_t w = strcspn(src, " ");
		int t = token_of(src, w);

		if (t < 0 || n + 1 >= cap)
			return -1;
		out[n++] = (uint8_t)t;
		src += w;
		src += strspn(src, " ");
	}
	out[n] = TOK_END;
	return (int)n;
}

static int load(const struct pattern_src *src, noise_pattern *p)
{
	memset(p, 0, sizeof *p);
	strcpy(p->name, src->name);
	if (tokens(src->pre_i, p->pre_i, sizeof p->pre_i) < 0 ||
	    tokens(src->pre_r, p->pre_r, sizeof p->pre_r) < 0)
		return LC_ERR_NOISE_PATTERN;
	for (int i = 0; i < 4 && src->msg[i] != NULL; i++) {
		if (tokens(src->msg[i], p->msg[i], NOISE_MAX_TOKENS) < 0)
			return LC_ERR_NOISE_PATTERN;
		p->nmsg++;
	}
	p->one_way = strlen(src->name) == 1;
	return 0;
}

static size_t msg_len(const uint8_t *m)
{
	size_t n = 0;

	while (m[n] != TOK_END)
		n++;
	return n;
}

/* Apply one modifier "pskN": psk0 opens message 0, pskN ends message N-1. */
static int add_psk(noise_pattern *p, const char *mod, size_t len)
{
	unsigned idx;
	uint8_t *m;
	size_t n;

	if (len != 4 || memcmp(mod, "psk", 3) != 0 || mod[3] < '0' ||
	    mod[3] > '9')
		return LC_ERR_NOISE_PATTERN;
	idx = (unsigned)(mod[3] - '0');
	if (idx > p->nmsg || p->npsk >= NOISE_MAX_PSKS)
		return LC_ERR_NOISE_PATTERN;
	m = p->msg[idx == 0 ? 0 : idx - 1];
	n = msg_len(m);
	if (n + 1 >= NOISE_MAX_TOKENS)
		return LC_ERR_NOISE_PATTERN;
	if (idx == 0) {
		if (m[0] == TOK_PSK)
			return LC_ERR_NOISE_PATTERN;
		memmove(m + 1, m, n + 1);
		m[0] = TOK_PSK;
	} else {
		if (n > 0 && m[n - 1] == TOK_PSK)
			return LC_ERR_NOISE_PATTERN;
		m[n] = TOK_PSK;
		m[n + 1] = TOK_END;
	}
	p->npsk++;
	return 0;
}

/* "XX", "XXpsk3", "XXpsk0+psk1": find the base, apply the modifiers. */
static int parse_pattern(const char *s, size_t len, noise_pattern *p)
{
	size_t base = 0, pos;
	int rv;

	if (len >= sizeof p->name)
		return LC_ERR_NOISE_PATTERN;
	/* The base name: capitals and the '1' of deferred patterns. */
	while (base < len && ((s[base] >= 'A' && s[base] <= 'Z') ||
			      s[base] == '1'))
		base++;
	for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		if (strlen(patterns[i].name) != base ||
		    memcmp(patterns[i].name, s, base) != 0)
			continue;
		if ((rv = load(&patterns[i], p)) < 0)
			return rv;
		pos = base;
		while (pos < len) {
			size_t w = pos;
			while (w < len && s[w] != '+')
				w++;
			if ((rv = add_psk(p, s + pos, w - pos)) < 0)
				return rv;
			pos = w == len ? w : w + 1;
			if (w < len && pos == len)
				return LC_ERR_NOISE_PATTERN; /* trailing '+' */
		}
		memcpy(p->name, s, len);
		p->name[len] = '\0';
		return 0;
	}
	return LC_ERR_NOISE_PATTERN;
}

int noise_protocol_parse(const char *name, noise_pattern *p,
			 const noise_cipher **cipher, const noise_hash **hash)
{
	const char *f[5];
	size_t flen[5];
	const char *s = name;
	int nf = 0;

	if (name == NULL)
		return LC_ERR_NOISE_PATTERN;
	/* Split on '_' into exactly five fields. */
	for (;;) {
		size_t w = strcspn(s, "_");

		if (nf == 5)
			return LC_ERR_NOISE_PATTERN;
		f[nf] = s;
		flen[nf++] = w;
		s += w;
		if (*s == '\0')
			break;
		s++;
	}
	if (nf != 5)
		return LC_ERR_NOISE_PATTERN;
	if (flen[0] != 5 || memcmp(f[0], "Noise", 5) != 0 ||
	    flen[2] != 5 || memcmp(f[2], "25519", 5) != 0)
		return LC_ERR_NOISE_PATTERN;
	*cipher = noise_cipher_find(f[3], flen[3]);
	*hash = noise_hash_find(f[4], flen[4]);
	if (*cipher == NULL || *hash == NULL)
		return LC_ERR_NOISE_PATTERN;
	return parse_pattern(f[1], flen[1], p);
}
