/*
 * Glue an application needs to use libsignal-protocol-c: a crypto provider
 * (signal_provider.c) and in-memory stores (signal_store.c).
 */
#ifndef BENCH_CRYPTO_SIGNAL_GLUE_H
#define BENCH_CRYPTO_SIGNAL_GLUE_H

#include <signal_protocol.h>

/* Fill @p p with the OpenSSL provider. 0, or -1 when OpenSSL lacks an
 * algorithm. */
int signal_glue_provider(signal_crypto_provider *p);
void signal_glue_provider_release(void);

/* One user's stores: sessions, prekeys, signed prekeys, identity, sender
 * keys, all in memory, each record kept as the serialised bytes the library
 * hands over (an app would write the same bytes to disk). */
typedef struct signal_glue_user signal_glue_user;

/* Create a user with identity @p identity and registration id @p reg_id and
 * attach its stores to a new store context in *out_store. */
signal_glue_user *signal_glue_user_new(signal_context *gctx,
	ratchet_identity_key_pair *identity, uint32_t reg_id,
	signal_protocol_store_context **out_store);
void signal_glue_user_free(signal_glue_user *u);

/* Bytes of the stored session with @p addr, or -1. */
long signal_glue_session_size(signal_glue_user *u,
	const signal_protocol_address *addr);
/* Bytes of the stored sender key record @p name, or -1. */
long signal_glue_sender_key_size(signal_glue_user *u,
	const signal_protocol_sender_key_name *name);
/* Store round trips (loads + stores of any record) so far. */
unsigned long signal_glue_round_trips(const signal_glue_user *u);

#endif
