/* The HandshakeState object, shared by handshake.c and conn.c. */
#ifndef LC_NOISE_HANDSHAKE_H
#define LC_NOISE_HANDSHAKE_H

#include "alloc.h"
#include "noise_internal.h"

enum hs_state { HS_CONFIG, HS_RUNNING, HS_DONE, HS_SPLIT, HS_FAILED };

struct lc_noise_handshake {
	lc_allocator mem;
	lc_rng rng;
	int has_rng;
	int initiator;
	enum hs_state state;
	noise_pattern pat;
	const noise_cipher *cipher;
	const noise_hash *hash;
	char protocol[64];
	noise_ss ss;
	unsigned msg_index;
	unsigned psk_next;          /* next PSK to mix */
	unsigned npsk_set;
	int has_s, has_e, e_fixed, has_rs, has_re;
	uint8_t s[NOISE_DHLEN], s_pub[NOISE_DHLEN];
	uint8_t e[NOISE_DHLEN], e_pub[NOISE_DHLEN];
	uint8_t rs[NOISE_DHLEN], re[NOISE_DHLEN];
	uint8_t psk[NOISE_MAX_PSKS][NOISE_KEYLEN];
};

struct lc_noise_cipher {
	lc_allocator mem;
	noise_cs cs;
};

#endif
