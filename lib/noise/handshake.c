/* The HandshakeState (Noise spec section 5.3), driven by the pattern
 * table: one loop interprets the tokens of every pattern. */
#include <string.h>

#include "handshake.h"

size_t lc_noise_key_len(void)
{
	return LC_NOISE_KEY_LEN;
}

size_t lc_noise_max_message(void)
{
	return LC_NOISE_MAX_MESSAGE;
}

int lc_noise_handshake_new(lc_noise_handshake **out, const char *protocol_name,
			   int role, const lc_allocator *mem, const lc_rng *rng)
{
	lc_noise_handshake *hs;
	lc_allocator a;
	noise_pattern p;
	const noise_cipher *c;
	const noise_hash *h;
	int rv;

	if (out == NULL)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if (protocol_name == NULL ||
	    (role != LC_NOISE_INITIATOR && role != LC_NOISE_RESPONDER) ||
	    (rng != NULL && rng->fill == NULL) || lc_alloc_init(&a, mem) != 0)
		return LC_ERR_INVALID_ARG;
	if (sodium_init() < 0)
		return LC_ERR_INIT;
	if (strlen(protocol_name) >= sizeof hs->protocol)
		return LC_ERR_NOISE_PATTERN;
	if ((rv = noise_protocol_parse(protocol_name, &p, &c, &h)) < 0)
		return rv;
	hs = lc_calloc(&a, 1, sizeof *hs);
	if (hs == NULL)
		return LC_ERR_NOMEM;
	hs->mem = a;
	if (rng != NULL) {
		hs->rng = *rng;
		hs->has_rng = 1;
	}
	hs->initiator = role == LC_NOISE_INITIATOR;
	hs->pat = p;
	hs->cipher = c;
	hs->hash = h;
	strcpy(hs->protocol, protocol_name);
	hs->state = HS_CONFIG;
	*out = hs;
	return 0;
}

void lc_noise_handshake_free(lc_noise_handshake *hs)
{
	lc_allocator a;

	if (hs == NULL)
		return;
	a = hs->mem;
	sodium_memzero(hs, sizeof *hs);
	lc_free(&a, hs);
}

static int configurable(const lc_noise_handshake *hs, const void *key)
{
	if (hs == NULL || key == NULL)
		return LC_ERR_INVALID_ARG;
	return hs->state == HS_CONFIG ? 0 : LC_ERR_NOISE_STATE;
}

int lc_noise_handshake_set_static(lc_noise_handshake *hs, const uint8_t *key)
{
	int rv = configurable(hs, key);

	if (rv < 0)
		return rv;
	memcpy(hs->s, key, NOISE_DHLEN);
	noise_dh_public(hs->s_pub, hs->s);
	hs->has_s = 1;
	return 0;
}

int lc_noise_handshake_set_remote_static(lc_noise_handshake *hs,
					 const uint8_t *key)
{
	int rv = configurable(hs, key);

	if (rv < 0)
		return rv;
	memcpy(hs->rs, key, NOISE_DHLEN);
	hs->has_rs = 1;
	return 0;
}

int lc_noise_handshake_set_ephemeral(lc_noise_handshake *hs,
				     const uint8_t *key)
{
	int rv = configurable(hs, key);

	if (rv < 0)
		return rv;
	memcpy(hs->e, key, NOISE_DHLEN);
	noise_dh_public(hs->e_pub, hs->e);
	hs->e_fixed = 1;
	return 0;
}

int lc_noise_handshake_add_psk(lc_noise_handshake *hs, const uint8_t *psk)
{
	int rv = configurable(hs, psk);

	if (rv < 0)
		return rv;
	if (hs->npsk_set >= hs->pat.npsk)
		return LC_ERR_INVALID_ARG;
	memcpy(hs->psk[hs->npsk_set++], psk, NOISE_KEYLEN);
	return 0;
}

static int has_token(const uint8_t *toks, int t)
{
	for (; *toks != TOK_END; toks++)
		if (*toks == t)
			return 1;
	return 0;
}

/* Does this side send an "s" token in some message? */
static int sends_static(const lc_noise_handshake *hs)
{
	for (unsigned i = hs->initiator ? 0 : 1; i < hs->pat.nmsg; i += 2)
		if (has_token(hs->pat.msg[i], TOK_S))
			return 1;
	return 0;
}

static int needs_static(const lc_noise_handshake *hs)
{
	const uint8_t *own_pre = hs->initiator ? hs->pat.pre_i : hs->pat.pre_r;

	return has_token(own_pre, TOK_S) || sends_static(hs);
}

int lc_noise_handshake_start(lc_noise_handshake *hs, const uint8_t *prologue,
			     size_t prologue_len)
{
	const uint8_t *rpre;

	if (hs == NULL || (prologue == NULL && prologue_len > 0))
		return LC_ERR_INVALID_ARG;
	if (hs->state != HS_CONFIG)
		return LC_ERR_NOISE_STATE;
	rpre = hs->initiator ? hs->pat.pre_r : hs->pat.pre_i;
	if ((needs_static(hs) && !hs->has_s) ||
	    has_token(rpre, TOK_S) != hs->has_rs ||
	    hs->npsk_set != hs->pat.npsk)
		return LC_ERR_NOISE_STATE;

	noise_ss_init(&hs->ss, hs->hash, hs->cipher, hs->protocol);
	noise_ss_mix_hash(&hs->ss, prologue, prologue_len);
	/* Pre-message keys: the initiator's first, then the responder's.
	 * No supported pattern pre-messages an ephemeral key. */
	if (has_token(hs->pat.pre_i, TOK_S))
		noise_ss_mix_hash(&hs->ss, hs->initiator ? hs->s_pub : hs->rs,
				  NOISE_DHLEN);
	if (has_token(hs->pat.pre_r, TOK_S))
		noise_ss_mix_hash(&hs->ss, hs->initiator ? hs->rs : hs->s_pub,
				  NOISE_DHLEN);
	hs->state = HS_RUNNING;
	return 0;
}

int lc_noise_handshake_action(const lc_noise_handshake *hs)
{
	int my_turn;

	if (hs == NULL)
		return LC_NOISE_ACTION_NONE;
	switch (hs->state) {
	case HS_RUNNING:
		my_turn = (hs->msg_index % 2 == 0) == (hs->initiator != 0);
		return my_turn ? LC_NOISE_ACTION_WRITE : LC_NOISE_ACTION_READ;
	case HS_DONE:
		return LC_NOISE_ACTION_SPLIT;
	default:
		return LC_NOISE_ACTION_NONE;
	}
}

/* Bytes the current message adds before its payload, and whether the
 * payload is encrypted: both follow from the tokens alone. */
static size_t overhead(const lc_noise_handshake *hs, int *keyed)
{
	const uint8_t *t = hs->pat.msg[hs->msg_index];
	int k = hs->ss.cs.has_key;
	size_t n = 0;

	for (; *t != TOK_END; t++) {
		if (*t == TOK_E) {
			n += NOISE_DHLEN;
			k |= hs->pat.npsk > 0;
		} else if (*t == TOK_S) {
			n += NOISE_DHLEN + (k ? NOISE_TAGLEN : 0);
		} else {
			k = 1;
		}
	}
	*keyed = k;
	return n;
}

/* The DH of a two-letter token, from this side's point of view: the
 * first letter is the initiator's key, the second the responder's. */
static int mix_dh(lc_noise_handshake *hs, int tok)
{
	int init_e = tok == TOK_EE || tok == TOK_ES;
	int resp_e = tok == TOK_EE || tok == TOK_SE;
	int local_e = hs->initiator ? init_e : resp_e;
	int remote_e = hs->initiator ? resp_e : init_e;
	const uint8_t *priv = local_e ? hs->e : hs->s;
	const uint8_t *pub = remote_e ? hs->re : hs->rs;
	uint8_t out[NOISE_DHLEN];
	int rv;

	if ((local_e ? !hs->has_e : !hs->has_s) ||
	    (remote_e ? !hs->has_re : !hs->has_rs))
		return LC_ERR_INTERNAL;
	if ((rv = noise_dh(out, priv, pub)) < 0)
		return rv;
	noise_ss_mix_key(&hs->ss, out, sizeof out);
	sodium_memzero(out, sizeof out);
	return 0;
}

static void mix_e(lc_noise_handshake *hs, const uint8_t *pub)
{
	noise_ss_mix_hash(&hs->ss, pub, NOISE_DHLEN);
	if (hs->pat.npsk > 0)
		noise_ss_mix_key(&hs->ss, pub, NOISE_DHLEN);
}

static int mix_psk(lc_noise_handshake *hs)
{
	if (hs->psk_next >= hs->npsk_set)
		return LC_ERR_INTERNAL;
	noise_ss_mix_key_and_hash(&hs->ss, hs->psk[hs->psk_next++],
				  NOISE_KEYLEN);
	return 0;
}

static void new_ephemeral(lc_noise_handshake *hs)
{
	if (!hs->e_fixed) {
		if (hs->has_rng)
			hs->rng.fill(hs->e, NOISE_DHLEN, hs->rng.user_data);
		else
			randombytes_buf(hs->e, NOISE_DHLEN);
		noise_dh_public(hs->e_pub, hs->e);
	}
	hs->has_e = 1;
}

static int fail(lc_noise_handshake *hs, int rv)
{
	hs->state = HS_FAILED;
	sodium_memzero(&hs->ss, sizeof hs->ss);
	return rv;
}

static void next_message(lc_noise_handshake *hs)
{
	if (++hs->msg_index == hs->pat.nmsg)
		hs->state = HS_DONE;
}

static int check_turn(const lc_noise_handshake *hs, int action)
{
	return lc_noise_handshake_action(hs) == action ? 0 : LC_ERR_NOISE_STATE;
}

int lc_noise_handshake_write(lc_noise_handshake *hs, const uint8_t *payload,
			     size_t payload_len, uint8_t *out, size_t out_cap)
{
	const uint8_t *t;
	size_t pos, need;
	int keyed, rv;

	if (hs == NULL || out == NULL || (payload == NULL && payload_len > 0))
		return LC_ERR_INVALID_ARG;
	if ((rv = check_turn(hs, LC_NOISE_ACTION_WRITE)) < 0)
		return rv;
	need = overhead(hs, &keyed);
	if (payload_len > LC_NOISE_MAX_MESSAGE ||
	    need + payload_len + (keyed ? NOISE_TAGLEN : 0) > LC_NOISE_MAX_MESSAGE)
		return LC_ERR_NOISE_BAD_LENGTH;
	need += payload_len + (keyed ? NOISE_TAGLEN : 0);
	if (out_cap < need)
		return LC_ERR_BUFFER_TOO_SMALL;

	pos = 0;
	for (t = hs->pat.msg[hs->msg_index]; *t != TOK_END; t++) {
		switch (*t) {
		case TOK_E:
			new_ephemeral(hs);
			memcpy(out + pos, hs->e_pub, NOISE_DHLEN);
			pos += NOISE_DHLEN;
			mix_e(hs, hs->e_pub);
			break;
		case TOK_S:
			rv = noise_ss_encrypt_and_hash(&hs->ss, hs->s_pub,
						       NOISE_DHLEN, out + pos);
			if (rv < 0)
				return fail(hs, rv);
			pos += (size_t)rv;
			break;
		case TOK_PSK:
			if ((rv = mix_psk(hs)) < 0)
				return fail(hs, rv);
			break;
		default:
			if ((rv = mix_dh(hs, *t)) < 0)
				return fail(hs, rv);
			break;
		}
	}
	rv = noise_ss_encrypt_and_hash(&hs->ss, payload, payload_len,
				       out + pos);
	if (rv < 0)
		return fail(hs, rv);
	pos += (size_t)rv;
	next_message(hs);
	return (int)pos;
}

int lc_noise_handshake_read(lc_noise_handshake *hs, const uint8_t *msg,
			    size_t len, uint8_t *payload, size_t payload_cap)
{
	const uint8_t *t;
	size_t pos, need;
	int keyed, rv;

	if (hs == NULL || msg == NULL || payload == NULL)
		return LC_ERR_INVALID_ARG;
	if ((rv = check_turn(hs, LC_NOISE_ACTION_READ)) < 0)
		return rv;
	need = overhead(hs, &keyed) + (keyed ? NOISE_TAGLEN : 0);
	if (len < need || len > LC_NOISE_MAX_MESSAGE)
		return fail(hs, LC_ERR_NOISE_BAD_LENGTH);
	if (payload_cap < len - need)
		return LC_ERR_BUFFER_TOO_SMALL;

	pos = 0;
	for (t = hs->pat.msg[hs->msg_index]; *t != TOK_END; t++) {
		switch (*t) {
		case TOK_E:
			memcpy(hs->re, msg + pos, NOISE_DHLEN);
			hs->has_re = 1;
			pos += NOISE_DHLEN;
			mix_e(hs, hs->re);
			break;
		case TOK_S: {
			size_t n = NOISE_DHLEN +
				   (hs->ss.cs.has_key ? NOISE_TAGLEN : 0);
			uint8_t tmp[NOISE_DHLEN + NOISE_TAGLEN];

			rv = noise_ss_decrypt_and_hash(&hs->ss, msg + pos, n,
						       tmp);
			if (rv < 0)
				return fail(hs, rv);
			memcpy(hs->rs, tmp, NOISE_DHLEN);
			hs->has_rs = 1;
			pos += n;
			break;
		}
		case TOK_PSK:
			if ((rv = mix_psk(hs)) < 0)
				return fail(hs, rv);
			break;
		default:
			if ((rv = mix_dh(hs, *t)) < 0)
				return fail(hs, rv);
			break;
		}
	}
	rv = noise_ss_decrypt_and_hash(&hs->ss, msg + pos, len - pos, payload);
	if (rv < 0)
		return fail(hs, rv);
	next_message(hs);
	return rv;
}

static lc_noise_cipher *new_cipher(const lc_allocator *a, const noise_cs *cs)
{
	lc_noise_cipher *c = lc_calloc(a, 1, sizeof *c);

	if (c != NULL) {
		c->mem = *a;
		c->cs = *cs;
	}
	return c;
}

int lc_noise_handshake_split(lc_noise_handshake *hs, lc_noise_cipher **send,
			     lc_noise_cipher **recv)
{
	noise_cs c1, c2;
	lc_noise_cipher *s, *r;

	if (hs == NULL || send == NULL || recv == NULL)
		return LC_ERR_INVALID_ARG;
	*send = *recv = NULL;
	if (hs->state != HS_DONE)
		return LC_ERR_NOISE_STATE;
	noise_ss_split(&hs->ss, &c1, &c2);
	s = new_cipher(&hs->mem, hs->initiator ? &c1 : &c2);
	r = new_cipher(&hs->mem, hs->initiator ? &c2 : &c1);
	sodium_memzero(&c1, sizeof c1);
	sodium_memzero(&c2, sizeof c2);
	if (s == NULL || r == NULL) {
		lc_noise_cipher_free(s);
		lc_noise_cipher_free(r);
		return LC_ERR_NOMEM;
	}
	/* Only h stays: the chaining key and handshake cipher are done. */
	sodium_memzero(hs->ss.ck, sizeof hs->ss.ck);
	sodium_memzero(&hs->ss.cs, sizeof hs->ss.cs);
	hs->state = HS_SPLIT;
	*send = s;
	*recv = r;
	return 0;
}

int lc_noise_handshake_hash(const lc_noise_handshake *hs, uint8_t *out,
			    size_t cap)
{
	if (hs == NULL || out == NULL)
		return LC_ERR_INVALID_ARG;
	if (hs->state == HS_CONFIG || hs->state == HS_FAILED)
		return LC_ERR_NOISE_STATE;
	if (cap < hs->hash->hashlen)
		return LC_ERR_BUFFER_TOO_SMALL;
	memcpy(out, hs->ss.h, hs->hash->hashlen);
	return (int)hs->hash->hashlen;
}

int lc_noise_handshake_remote_static(const lc_noise_handshake *hs,
				     uint8_t *out)
{
	if (hs == NULL || out == NULL)
		return LC_ERR_INVALID_ARG;
	if (!hs->has_rs || hs->state == HS_FAILED)
		return LC_ERR_NOISE_STATE;
	memcpy(out, hs->rs, NOISE_DHLEN);
	return 0;
}
