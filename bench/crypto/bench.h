/*
 * The crypto benchmark: one table of figures for libchat and its peers,
 * measured in one run on the same inputs.
 *
 * Every library is driven through the same set of operations (struct
 * bench_lib). A library that cannot do an operation leaves the hook NULL and
 * its cell is printed as "-".
 */
#ifndef BENCH_CRYPTO_BENCH_H
#define BENCH_CRYPTO_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Directions for bench_lib.send. */
#define BENCH_A_TO_B 0
#define BENCH_B_TO_A 1

/* Largest plaintext the benchmark sends. */
#define BENCH_MAX_PLAINTEXT 1024

typedef struct bench_lib {
	const char *name;
	/* 1 for a reference column, not a peer (the floor): its ratio is
	 * printed as libchat's fraction of it, with the largest ratio its
	 * figure allows against each peer. */
	int reference;
	/* Long-term state of two users, Alice (initiator) and Bob (responder):
	 * identities and whatever keys a server would publish for Bob. */
	void *(*create)(void);
	void (*destroy)(void *ctx);
	/*
	 * One complete session set-up with fresh one-time keys. Adds to *t_init
	 * the seconds Alice spends turning Bob's prekey bundle into a session
	 * and encrypting the first message (@p pt), and to *t_resp the seconds
	 * Bob spends processing that message into a session and its plaintext.
	 * Work a server or an earlier step would do (publishing keys, dropping
	 * the previous session) is not timed. Returns 0, or -1 when anything
	 * failed or the plaintext did not come back.
	 */
	int (*setup)(void *ctx, const uint8_t *pt, size_t len,
		double *t_init, double *t_resp);
	/* Leave an established session between Alice and Bob: a set-up and a
	 * reply, so both sides have received a message. */
	int (*establish)(void *ctx);
	/* Encrypt @p pt on one side, decrypt on the other, compare. 0 or -1. */
	int (*send)(void *ctx, int dir, const uint8_t *pt, size_t len);
	/* Bytes of Bob's serialised session, as the app would store it
	 * (negative: none, not printed). */
	long (*session_size)(void *ctx);
	/* Serialise both sides' sessions, as an app persisting after every
	 * message would (NULL when the library does that itself in send). */
	int (*persist)(void *ctx);
	/* Group: Alice creates a sender session, Bob receives its key. */
	int (*group_establish)(void *ctx);
	/* Alice encrypts one group message, Bob decrypts and compares. */
	int (*group_send)(void *ctx, const uint8_t *pt, size_t len);
	/* Both sides' group state through the app's store after a message:
	 * serialised, then loaded back in its place (NULL when the library
	 * does that itself in group_send). */
	int (*group_persist)(void *ctx);
	/* Bytes of Bob's serialised copy of Alice's group session. */
	long (*group_session_size)(void *ctx);
	/* A line for the header: version and crypto provider. */
	const char *(*describe)(void);
	/* Optional: a line of facts measured on an established session (for
	 * example store round trips per message); NULL when none. */
	const char *(*notes)(void *ctx);
} bench_lib;

extern const bench_lib bench_signal;
extern const bench_lib bench_olm;
/* The primitives alone, per operation (floor.c). */
extern const bench_lib bench_floor;
/* The AEAD alone: only establish and send. */
extern const bench_lib bench_raw;
#ifdef BENCH_HAVE_LIBCHAT
extern const bench_lib bench_libchat;
#endif

/* Seconds from CLOCK_MONOTONIC. */
double bench_now(void);

/* Deterministic test plaintext: the same bytes for every library. */
void bench_plaintext(uint8_t *buf, size_t len, uint32_t seed);

#endif
