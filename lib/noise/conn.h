/* The secure channel's state, shared by conn.c (handshake, lifecycle) and
 * conn_io.c (output queue, transport messages). Never installed. */
#ifndef LC_NOISE_CONN_H
#define LC_NOISE_CONN_H

#include <libchat/frame.h>
#include <libchat/noise.h>

#include "handshake.h"

/* Nonces either side of the expected one tried to tell a replayed or
 * reordered transport message from a forged one. */
#define CONN_REPLAY_WINDOW 64
/* A plaintext buffer larger than this is released after use. */
#define CONN_KEEP_BUFFER 4096

enum conn_state { CONN_HANDSHAKE, CONN_OPEN, CONN_DEAD };

struct lc_noise_conn {
	lc_allocator mem;
	lc_rng rng;
	int has_rng;
	int client;
	int pattern;              /* enum lc_noise_conn_pattern */
	enum conn_state state;
	int error;                /* in CONN_DEAD */
	unsigned hs_index;        /* handshake messages done */
	uint8_t s[LC_NOISE_KEY_LEN];
	uint8_t pin[LC_NOISE_KEY_LEN];
	int has_pin;
	uint8_t remote[LC_NOISE_KEY_LEN];
	uint8_t hhash[LC_NOISE_MAX_HASH_LEN];
	lc_frame_decoder *dec;
	lc_noise_handshake *hs;
	lc_noise_cipher *tx, *rx;
	uint8_t *out;             /* queued output: [out_start, out_len) */
	size_t out_start, out_len, out_cap;
	uint8_t *plain;           /* last decrypted payload */
	size_t plain_cap;
	int release_plain;
};

/* conn_io.c */
int conn_fail(lc_noise_conn *c, int error);
int conn_queue(lc_noise_conn *c, const uint8_t *data, size_t len);
int conn_queue_frame(lc_noise_conn *c, const uint8_t *msg, size_t len);
int conn_transport(lc_noise_conn *c, const uint8_t *f, size_t flen,
		   const uint8_t **payload, size_t *payload_len);

/* conn.c */
int conn_handshake(lc_noise_conn *c, const uint8_t *f, size_t flen);

/* For tests: move both transport nonces (established connections). */
void noise_conn_test_set_nonces(lc_noise_conn *c, uint64_t send,
				uint64_t recv);

#endif
