/* Internal Noise building blocks (rev 34): hash functions with HMAC and
 * HKDF, ciphers, X25519, CipherState, SymmetricState and the pattern table.
 * Never installed. */
#ifndef LC_NOISE_INTERNAL_H
#define LC_NOISE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include <libchat/noise.h>

#define NOISE_KEYLEN 32       /* cipher key, DH key sizes */
#define NOISE_DHLEN 32
#define NOISE_TAGLEN 16
#define NOISE_MAXHASH 64
#define NOISE_MAXBLOCK 128
#define NOISE_MAX_NONCE UINT64_MAX /* reserved: never used to encrypt */

/* ---------------------------------------------------------------- hash */

typedef union noise_hash_ctx {
	crypto_generichash_blake2b_state b2b;
	crypto_hash_sha256_state s256;
	crypto_hash_sha512_state s512;
} noise_hash_ctx;

typedef struct noise_hash {
	const char *name;
	size_t hashlen;
	size_t blocklen;
	void (*init)(noise_hash_ctx *ctx);
	void (*update)(noise_hash_ctx *ctx, const uint8_t *in, size_t len);
	void (*final)(noise_hash_ctx *ctx, uint8_t *out);
} noise_hash;

const noise_hash *noise_hash_find(const char *name, size_t len);

/* HASH(a || b); either part may be empty. */
void noise_hash2(const noise_hash *h, uint8_t *out, const uint8_t *a,
		 size_t alen, const uint8_t *b, size_t blen);

/* HMAC-HASH(key, a || b) with the hash's block length (RFC 2104). */
void noise_hmac(const noise_hash *h, uint8_t *out, const uint8_t *key,
		size_t keylen, const uint8_t *a, size_t alen, const uint8_t *b,
		size_t blen);

/* HKDF(ck, ikm, n) of the spec, n = 2 or 3; o3 is NULL when n = 2. Each
 * output is hashlen bytes. */
void noise_hkdf(const noise_hash *h, const uint8_t *ck, const uint8_t *ikm,
		size_t ikmlen, uint8_t *o1, uint8_t *o2, uint8_t *o3);

/* -------------------------------------------------------------- cipher */

typedef struct noise_cipher {
	const char *name;
	/* out = ciphertext || tag (len + 16 bytes); returns 0. */
	int (*encrypt)(uint8_t *out, const uint8_t *k, uint64_t n,
		       const uint8_t *ad, size_t adlen, const uint8_t *in,
		       size_t len);
	/* in = ciphertext || tag (len >= 16); out gets len - 16 bytes;
	 * returns 0 or -1 when the tag does not verify. */
	int (*decrypt)(uint8_t *out, const uint8_t *k, uint64_t n,
		       const uint8_t *ad, size_t adlen, const uint8_t *in,
		       size_t len);
} noise_cipher;

const noise_cipher *noise_cipher_find(const char *name, size_t len);

/* ---------------------------------------------------------------- DH */

/* X25519. Returns 0, or LC_ERR_NOISE_BAD_KEY for an all-zero output (a
 * low-order public key). */
int noise_dh(uint8_t out[NOISE_DHLEN], const uint8_t priv[NOISE_DHLEN],
	     const uint8_t pub[NOISE_DHLEN]);
void noise_dh_public(uint8_t pub[NOISE_DHLEN], const uint8_t priv[NOISE_DHLEN]);

/* --------------------------------------------------------- CipherState */

typedef struct noise_cs {
	const noise_cipher *cipher;
	uint8_t k[NOISE_KEYLEN];
	int has_key;
	uint64_t n;
} noise_cs;

void noise_cs_init(noise_cs *cs, const noise_cipher *c, const uint8_t *k);
/* out gets len + 16 bytes (or len without a key). Returns the output
 * length, or LC_ERR_NOISE_NONCE_EXHAUSTED. */
int noise_cs_encrypt(noise_cs *cs, const uint8_t *ad, size_t adlen,
		     const uint8_t *in, size_t len, uint8_t *out);
/* Returns the plaintext length, LC_ERR_NOISE_BAD_LENGTH (shorter than a
 * tag), LC_ERR_NOISE_DECRYPT or LC_ERR_NOISE_NONCE_EXHAUSTED. The nonce
 * advances only on success. */
int noise_cs_decrypt(noise_cs *cs, const uint8_t *ad, size_t adlen,
		     const uint8_t *in, size_t len, uint8_t *out);
void noise_cs_rekey(noise_cs *cs);

/* ------------------------------------------------------ SymmetricState */

typedef struct noise_ss {
	const noise_hash *hash;
	noise_cs cs;
	uint8_t ck[NOISE_MAXHASH];
	uint8_t h[NOISE_MAXHASH];
} noise_ss;

void noise_ss_init(noise_ss *ss, const noise_hash *h, const noise_cipher *c,
		   const char *protocol_name);
void noise_ss_mix_key(noise_ss *ss, const uint8_t *ikm, size_t len);
void noise_ss_mix_hash(noise_ss *ss, const uint8_t *data, size_t len);
void noise_ss_mix_key_and_hash(noise_ss *ss, const uint8_t *ikm, size_t len);
int noise_ss_encrypt_and_hash(noise_ss *ss, const uint8_t *in, size_t len,
			      uint8_t *out);
int noise_ss_decrypt_and_hash(noise_ss *ss, const uint8_t *in, size_t len,
			      uint8_t *out);
void noise_ss_split(noise_ss *ss, noise_cs *c1, noise_cs *c2);

/* ------------------------------------------------------------ patterns */

enum noise_token {
	TOK_END = 0, TOK_E, TOK_S, TOK_EE, TOK_ES, TOK_SE, TOK_SS, TOK_PSK
};

#define NOISE_MAX_MESSAGES 8
#define NOISE_MAX_TOKENS 8
#define NOISE_MAX_PSKS 4

/* A handshake pattern as data: pre-messages and message token lists.
 * Messages alternate, the initiator sending message 0. */
typedef struct noise_pattern {
	char name[32];     /* e.g. "XXpsk0+psk3" */
	uint8_t pre_i[3];  /* initiator pre-message: TOK_E / TOK_S, END */
	uint8_t pre_r[3];  /* responder pre-message */
	uint8_t nmsg;
	uint8_t one_way;
	uint8_t msg[NOISE_MAX_MESSAGES][NOISE_MAX_TOKENS];
	uint8_t npsk;      /* psk tokens after the modifiers are applied */
} noise_pattern;

/* Parse "Noise_<pattern>_25519_<cipher>_<hash>". Fills *p with the base
 * pattern and its PSK modifiers applied. Returns 0 or LC_ERR_NOISE_PATTERN. */
int noise_protocol_parse(const char *name, noise_pattern *p,
			 const noise_cipher **cipher, const noise_hash **hash);

#endif
