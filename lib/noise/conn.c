/* The secure channel: lifecycle and the XX / IK handshakes over frames
 * (doc/protocol.md, "Transport security (Noise)"). Handshake payloads are
 * empty, so every handshake message has one exact length. */
#include <string.h>

#include "conn.h"

static const char *const protocol_names[] = {
	NULL,
	"Noise_XX_25519_ChaChaPoly_BLAKE2b",
	"Noise_IK_25519_ChaChaPoly_BLAKE2b",
};

/* Exact handshake message lengths, by pattern and message index. */
static const size_t msg_lens[3][3] = {
	{ 0, 0, 0 },
	{ 32, 32 + 48 + 16, 48 + 16 },  /* XX: e | e ee s es | s se */
	{ 32 + 48 + 16, 32 + 16, 0 },   /* IK: e es s ss | e ee se */
};
static const unsigned msg_counts[3] = { 0, 3, 2 };

static int conn_new(lc_noise_conn **out, const uint8_t *static_private,
		    const lc_allocator *mem, const lc_rng *rng, int client)
{
	lc_noise_conn *c;
	lc_allocator a;
	uint8_t prologue[LC_FRAME_PROLOGUE_LEN];
	int rv;

	if (out == NULL)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if (static_private == NULL || (rng != NULL && rng->fill == NULL) ||
	    lc_alloc_init(&a, mem) != 0)
		return LC_ERR_INVALID_ARG;
	if (sodium_init() < 0)
		return LC_ERR_INIT;
	c = lc_calloc(&a, 1, sizeof *c);
	if (c == NULL)
		return LC_ERR_NOMEM;
	c->mem = a;
	if (rng != NULL) {
		c->rng = *rng;
		c->has_rng = 1;
	}
	c->client = client;
	c->state = CONN_HANDSHAKE;
	memcpy(c->s, static_private, LC_NOISE_KEY_LEN);
	rv = lc_frame_decoder_new(&c->dec, LC_FRAME_EXPECT_PROLOGUE, &c->mem);
	if (rv == 0) {
		lc_frame_prologue(prologue);
		rv = conn_queue(c, prologue, sizeof prologue);
	}
	if (rv < 0) {
		lc_noise_conn_free(c);
		return rv;
	}
	*out = c;
	return 0;
}

void lc_noise_conn_free(lc_noise_conn *c)
{
	lc_allocator a;

	if (c == NULL)
		return;
	a = c->mem;
	lc_frame_decoder_free(c->dec);
	lc_noise_handshake_free(c->hs);
	lc_noise_cipher_free(c->tx);
	lc_noise_cipher_free(c->rx);
	if (c->plain != NULL) {
		sodium_memzero(c->plain, c->plain_cap);
		lc_free(&a, c->plain);
	}
	lc_free(&a, c->out);
	sodium_memzero(c, sizeof *c);
	lc_free(&a, c);
}

/* A handshake for the pattern, keyed and started on the given prologue. */
static int start_handshake(lc_noise_conn *c, int pattern,
			   const uint8_t prologue[LC_FRAME_PROLOGUE_LEN])
{
	int role = c->client ? LC_NOISE_INITIATOR : LC_NOISE_RESPONDER;
	int rv;

	rv = lc_noise_handshake_new(&c->hs, protocol_names[pattern], role,
				    &c->mem, c->has_rng ? &c->rng : NULL);
	if (rv < 0)
		return rv;
	c->pattern = pattern;
	if ((rv = lc_noise_handshake_set_static(c->hs, c->s)) < 0)
		return rv;
	if (c->client && pattern == LC_NOISE_CONN_IK &&
	    (rv = lc_noise_handshake_set_remote_static(c->hs, c->pin)) < 0)
		return rv;
	return lc_noise_handshake_start(c->hs, prologue, LC_FRAME_PROLOGUE_LEN);
}

/* After the last handshake message: the transport ciphers. */
static int finish_handshake(lc_noise_conn *c)
{
	int rv;

	if (lc_noise_handshake_action(c->hs) != LC_NOISE_ACTION_SPLIT)
		return 0;
	if ((rv = lc_noise_handshake_remote_static(c->hs, c->remote)) < 0 ||
	    (rv = lc_noise_handshake_hash(c->hs, c->hhash,
					  sizeof c->hhash)) < 0 ||
	    (rv = lc_noise_handshake_split(c->hs, &c->tx, &c->rx)) < 0)
		return rv;
	lc_noise_handshake_free(c->hs);
	c->hs = NULL;
	c->state = CONN_OPEN;
	return 0;
}

static int write_message(lc_noise_conn *c)
{
	uint8_t msg[128];
	int n = lc_noise_handshake_write(c->hs, NULL, 0, msg, sizeof msg);

	if (n < 0)
		return n;
	if ((size_t)n != msg_lens[c->pattern][c->hs_index])
		return LC_ERR_INTERNAL;
	c->hs_index++;
	n = conn_queue_frame(c, msg, (size_t)n);
	sodium_memzero(msg, sizeof msg);
	return n < 0 ? n : finish_handshake(c);
}

/* The client checks a server key learned in XX against its pin before
 * it reveals its own static key in message 3. */
static int check_pin(lc_noise_conn *c)
{
	uint8_t rs[LC_NOISE_KEY_LEN];
	int rv;

	if (!c->client || !c->has_pin)
		return 0;
	if ((rv = lc_noise_handshake_remote_static(c->hs, rs)) < 0)
		return rv;
	rv = sodium_memcmp(rs, c->pin, sizeof rs) == 0 ? 0
		: LC_ERR_NOISE_KEY_MISMATCH;
	sodium_memzero(rs, sizeof rs);
	return rv;
}

int conn_handshake(lc_noise_conn *c, const uint8_t *f, size_t flen)
{
	uint8_t empty[1];
	int rv;

	if (c->hs == NULL) {
		/* The server's first frame: its length names the pattern. */
		uint8_t prologue[LC_FRAME_PROLOGUE_LEN];
		int pattern = flen == msg_lens[LC_NOISE_CONN_XX][0]
			? LC_NOISE_CONN_XX
			: flen == msg_lens[LC_NOISE_CONN_IK][0]
			? LC_NOISE_CONN_IK : 0;

		if (pattern == 0)
			return LC_ERR_NOISE_BAD_LENGTH;
		/* The client's prologue as received: the Noise prologue. */
		memcpy(prologue, LC_FRAME_MAGIC, LC_FRAME_MAGIC_LEN);
		prologue[LC_FRAME_MAGIC_LEN] =
			(uint8_t)lc_frame_decoder_peer_version(c->dec);
		if ((rv = start_handshake(c, pattern, prologue)) < 0)
			return rv;
	}
	if (c->hs_index >= msg_counts[c->pattern] ||
	    flen != msg_lens[c->pattern][c->hs_index])
		return LC_ERR_NOISE_BAD_LENGTH;
	rv = lc_noise_handshake_read(c->hs, f, flen, empty, sizeof empty);
	if (rv < 0)
		return rv;
	if (rv != 0)
		return LC_ERR_INTERNAL;
	c->hs_index++;
	if (c->pattern == LC_NOISE_CONN_XX && c->hs_index == 2 &&
	    (rv = check_pin(c)) < 0)
		return rv;
	if (lc_noise_handshake_action(c->hs) == LC_NOISE_ACTION_WRITE)
		return write_message(c);
	return finish_handshake(c);
}

int lc_noise_conn_client_new(lc_noise_conn **out,
			     const uint8_t *static_private,
			     const uint8_t *server_public, unsigned flags,
			     const lc_allocator *mem, const lc_rng *rng)
{
	uint8_t prologue[LC_FRAME_PROLOGUE_LEN], probe[LC_NOISE_KEY_LEN];
	lc_noise_conn *c;
	int pattern, rv;

	if (out == NULL)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((flags & ~LC_NOISE_CONN_FORCE_XX) != 0)
		return LC_ERR_INVALID_ARG;
	if ((rv = conn_new(&c, static_private, mem, rng, 1)) < 0)
		return rv;
	if (server_public != NULL) {
		/* A low-order pin could never authenticate anything. */
		if (noise_dh(probe, c->s, server_public) < 0) {
			lc_noise_conn_free(c);
			return LC_ERR_NOISE_BAD_KEY;
		}
		sodium_memzero(probe, sizeof probe);
		memcpy(c->pin, server_public, LC_NOISE_KEY_LEN);
		c->has_pin = 1;
	}
	pattern = c->has_pin && !(flags & LC_NOISE_CONN_FORCE_XX)
		? LC_NOISE_CONN_IK : LC_NOISE_CONN_XX;
	lc_frame_prologue(prologue);
	if ((rv = start_handshake(c, pattern, prologue)) < 0 ||
	    (rv = write_message(c)) < 0) {
		lc_noise_conn_free(c);
		return rv;
	}
	*out = c;
	return 0;
}

int lc_noise_conn_server_new(lc_noise_conn **out,
			     const uint8_t *static_private,
			     const lc_allocator *mem, const lc_rng *rng)
{
	return conn_new(out, static_private, mem, rng, 0);
}

int lc_noise_conn_is_established(const lc_noise_conn *c)
{
	return c != NULL && c->state == CONN_OPEN;
}

int lc_noise_conn_pattern(const lc_noise_conn *c)
{
	return c != NULL ? c->pattern : LC_NOISE_CONN_UNKNOWN;
}

int lc_noise_conn_remote_static(const lc_noise_conn *c, uint8_t *out)
{
	if (c == NULL || out == NULL)
		return LC_ERR_INVALID_ARG;
	if (c->state != CONN_OPEN)
		return LC_ERR_NOISE_STATE;
	memcpy(out, c->remote, LC_NOISE_KEY_LEN);
	return 0;
}

int lc_noise_conn_handshake_hash(const lc_noise_conn *c, uint8_t *out,
				 size_t cap)
{
	if (c == NULL || out == NULL)
		return LC_ERR_INVALID_ARG;
	if (c->state != CONN_OPEN)
		return LC_ERR_NOISE_STATE;
	if (cap < sizeof c->hhash)
		return LC_ERR_BUFFER_TOO_SMALL;
	memcpy(out, c->hhash, sizeof c->hhash);
	return (int)sizeof c->hhash;
}

int lc_noise_conn_error(const lc_noise_conn *c)
{
	return c != NULL && c->state == CONN_DEAD ? c->error : 0;
}
