/* Suite "noise": the Noise objects (protocol names, state order, the
 * CipherState's nonce rules and Rekey, HMAC, bad input, allocation
 * failures) and, in test_noise_conn.c, the secure channel. The vectors
 * run in test_noise_vectors.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <libchat/noise.h>

#include "noise_internal.h"
#include "test_noise.h"
#include "testutil.h"

static const char *const XX = "Noise_XX_25519_ChaChaPoly_BLAKE2b";

void noise_test_key(lc_test_rng *rng, uint8_t priv[32], uint8_t pub[32])
{
	lc_test_rng_bytes(rng, priv, 32);
	if (pub != NULL)
		crypto_scalarmult_base(pub, priv);
}

START_TEST(noise_protocol_names)
{
	static const char *const good[] = {
		"Noise_N_25519_ChaChaPoly_SHA256",
		"Noise_XXpsk3_25519_AESGCM_SHA512",
		"Noise_XXpsk0+psk1+psk2+psk3_25519_ChaChaPoly_BLAKE2b",
		"Noise_I1X1_25519_ChaChaPoly_BLAKE2b",
		"Noise_IK_25519_ChaChaPoly_BLAKE2b",
	};
	static const char *const bad[] = {
		"", "Noise", "Noise_XX", "Noise_XX_25519_ChaChaPoly",
		"Noise_XX_448_ChaChaPoly_BLAKE2b",
		"Noise_XX_25519_ChaChaPoly_BLAKE2s",
		"Noise_XX_25519_ChaCha_BLAKE2b",
		"Noise_ZZ_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXfallback_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk4_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk0+psk0_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk0+_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk_25519_ChaChaPoly_BLAKE2b",
		"Noise_XX_25519_ChaChaPoly_BLAKE2b_",
		"Noise_XX_25519_ChaChaPoly_BLAKE2b_x",
		"noise_XX_25519_ChaChaPoly_BLAKE2b",
		"Noise_X1X1X1X1X1X1X1X1X1X1X1X1X1X1X1X1_25519_ChaChaPoly_SHA256",
	};
	lc_noise_handshake *hs;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (strstr(good[i], "AESGCM") &&
		    !crypto_aead_aes256gcm_is_available())
			continue;
		ck_assert_int_eq(lc_noise_handshake_new(&hs, good[i],
				 LC_NOISE_INITIATOR, NULL, NULL), 0);
		lc_noise_handshake_free(hs);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(lc_noise_handshake_new(&hs, bad[i],
			      LC_NOISE_INITIATOR, NULL, NULL) ==
			      LC_ERR_NOISE_PATTERN, "accepted %s", bad[i]);
		ck_assert_ptr_null(hs);
	}
	ck_assert_int_eq(lc_noise_handshake_new(&hs, XX, 2, NULL, NULL),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_noise_handshake_new(NULL, XX, 0, NULL, NULL),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_noise_handshake_new(&hs, NULL, 0, NULL, NULL),
			 LC_ERR_INVALID_ARG);
	lc_noise_handshake_free(NULL);
	lc_noise_cipher_free(NULL);
}
END_TEST

START_TEST(noise_state_order)
{
	lc_noise_handshake *hs;
	uint8_t k[32] = { 1 }, buf[256];
	lc_noise_cipher *s, *r;

	ck_assert_int_eq(lc_noise_handshake_new(&hs,
		"Noise_XXpsk3_25519_ChaChaPoly_SHA256", LC_NOISE_INITIATOR,
		NULL, NULL), 0);
	ck_assert_int_eq(lc_noise_handshake_action(hs), LC_NOISE_ACTION_NONE);
	ck_assert_int_eq(lc_noise_handshake_write(hs, NULL, 0, buf, sizeof buf),
			 LC_ERR_NOISE_STATE);
	ck_assert_int_eq(lc_noise_handshake_hash(hs, buf, sizeof buf),
			 LC_ERR_NOISE_STATE);
	/* Missing static key, missing PSK, an unexpected remote key. */
	ck_assert_int_eq(lc_noise_handshake_start(hs, NULL, 0),
			 LC_ERR_NOISE_STATE);
	ck_assert_int_eq(lc_noise_handshake_set_static(hs, k), 0);
	ck_assert_int_eq(lc_noise_handshake_start(hs, NULL, 0),
			 LC_ERR_NOISE_STATE);
	ck_assert_int_eq(lc_noise_handshake_add_psk(hs, k), 0);
	ck_assert_int_eq(lc_noise_handshake_add_psk(hs, k), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_noise_handshake_set_remote_static(hs, k), 0);
	ck_assert_int_eq(lc_noise_handshake_start(hs, NULL, 0),
			 LC_ERR_NOISE_STATE);
	lc_noise_handshake_free(hs);

	ck_assert_int_eq(lc_noise_handshake_new(&hs, XX, LC_NOISE_INITIATOR,
						NULL, NULL), 0);
	ck_assert_int_eq(lc_noise_handshake_set_static(hs, k), 0);
	ck_assert_int_eq(lc_noise_handshake_start(hs, NULL, 1),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_noise_handshake_start(hs, NULL, 0), 0);
	ck_assert_int_eq(lc_noise_handshake_start(hs, NULL, 0),
			 LC_ERR_NOISE_STATE);
	ck_assert_int_eq(lc_noise_handshake_set_static(hs, k),
			 LC_ERR_NOISE_STATE);
	ck_assert_int_eq(lc_noise_handshake_action(hs), LC_NOISE_ACTION_WRITE);
	ck_assert_int_eq(lc_noise_handshake_read(hs, buf, 32, buf, sizeof buf),
			 LC_ERR_NOISE_STATE);
	ck_assert_int_eq(lc_noise_handshake_split(hs, &s, &r),
			 LC_ERR_NOISE_STATE);
	ck_assert_int_eq(lc_noise_handshake_remote_static(hs, buf),
			 LC_ERR_NOISE_STATE);
	/* Too small an output buffer changes nothing. */
	ck_assert_int_eq(lc_noise_handshake_write(hs, NULL, 0, buf, 31),
			 LC_ERR_BUFFER_TOO_SMALL);
	ck_assert_int_eq(lc_noise_handshake_write(hs, NULL, 0, buf, 32), 32);
	ck_assert_int_eq(lc_noise_handshake_action(hs), LC_NOISE_ACTION_READ);
	lc_noise_handshake_free(hs);
}
END_TEST

/* Two handshakes of `name` run to completion; keys from a seeded rng. */
static int pair(const char *name, lc_noise_handshake **hi,
		 lc_noise_handshake **hr, const uint8_t *prologue_r)
{
	lc_test_rng rng;
	uint8_t si[32], sr[32], pr[32], buf[512], pt[512];
	lc_noise_handshake *h[2];
	int turn = 0, n;

	lc_test_rng_seed(&rng, 7);
	noise_test_key(&rng, si, NULL);
	noise_test_key(&rng, sr, pr);
	ck_assert_int_eq(lc_noise_handshake_new(&h[0], name,
			 LC_NOISE_INITIATOR, NULL, NULL), 0);
	ck_assert_int_eq(lc_noise_handshake_new(&h[1], name,
			 LC_NOISE_RESPONDER, NULL, NULL), 0);
	ck_assert_int_eq(lc_noise_handshake_set_static(h[0], si), 0);
	ck_assert_int_eq(lc_noise_handshake_set_static(h[1], sr), 0);
	if (strstr(name, "_IK_") != NULL)
		ck_assert_int_eq(lc_noise_handshake_set_remote_static(h[0], pr), 0);
	ck_assert_int_eq(lc_noise_handshake_start(h[0],
			 (const uint8_t *)"LCHAT\x01", 6), 0);
	ck_assert_int_eq(lc_noise_handshake_start(h[1], prologue_r, 6), 0);
	*hi = h[0];
	*hr = h[1];
	while (lc_noise_handshake_action(h[turn]) == LC_NOISE_ACTION_WRITE) {
		n = lc_noise_handshake_write(h[turn], (const uint8_t *)"hi", 2,
					     buf, sizeof buf);
		ck_assert_int_gt(n, 0);
		n = lc_noise_handshake_read(h[1 - turn], buf, (size_t)n, pt,
					    sizeof pt);
		if (n < 0)
			return n;
		ck_assert_int_eq(n, 2);
		turn = 1 - turn;
	}
	return 0;
}

START_TEST(noise_prologue_is_bound)
{
	lc_noise_handshake *hi, *hr;
	uint8_t buf[512], pt[512];
	int n;

	/* The responder saw another version byte: message 2 fails. */
	ck_assert_int_eq(pair(XX, &hi, &hr, (const uint8_t *)"LCHAT\x02"),
			 LC_ERR_NOISE_DECRYPT);
	ck_assert_int_eq(lc_noise_handshake_action(hi), LC_NOISE_ACTION_NONE);
	n = lc_noise_handshake_read(hi, buf, 96, pt, sizeof pt);
	ck_assert_int_eq(n, LC_ERR_NOISE_STATE);
	lc_noise_handshake_free(hi);
	lc_noise_handshake_free(hr);

	ck_assert_int_eq(pair(XX, &hi, &hr, (const uint8_t *)"LCHAT\x01"), 0);
	ck_assert_int_eq(lc_noise_handshake_action(hi), LC_NOISE_ACTION_SPLIT);
	ck_assert_int_eq(lc_noise_handshake_action(hr), LC_NOISE_ACTION_SPLIT);
	lc_noise_handshake_free(hi);
	lc_noise_handshake_free(hr);
}
END_TEST

START_TEST(noise_bad_handshake_input)
{
	lc_noise_handshake *hi, *hr;
	uint8_t msg[512], pt[512], zero[32] = { 0 };
	int n;

	/* Message 1 shorter than e: BAD_LENGTH, then dead. */
	ck_assert_int_eq(lc_noise_handshake_new(&hi, XX, LC_NOISE_INITIATOR,
						NULL, NULL), 0);
	ck_assert_int_eq(lc_noise_handshake_new(&hr, XX, LC_NOISE_RESPONDER,
						NULL, NULL), 0);
	ck_assert_int_eq(lc_noise_handshake_set_static(hi, msg), 0);
	ck_assert_int_eq(lc_noise_handshake_set_static(hr, msg), 0);
	ck_assert_int_eq(lc_noise_handshake_start(hi, NULL, 0), 0);
	ck_assert_int_eq(lc_noise_handshake_start(hr, NULL, 0), 0);
	ck_assert_int_eq(lc_noise_handshake_read(hr, msg, 31, pt, sizeof pt),
			 LC_ERR_NOISE_BAD_LENGTH);
	ck_assert_int_eq(lc_noise_handshake_action(hr), LC_NOISE_ACTION_NONE);
	lc_noise_handshake_free(hr);

	/* A low-order ephemeral key: the responder's ee DH is all zero. */
	ck_assert_int_eq(lc_noise_handshake_new(&hr, XX, LC_NOISE_RESPONDER,
						NULL, NULL), 0);
	ck_assert_int_eq(lc_noise_handshake_set_static(hr, msg), 0);
	ck_assert_int_eq(lc_noise_handshake_start(hr, NULL, 0), 0);
	ck_assert_int_eq(lc_noise_handshake_read(hr, zero, 32, pt, sizeof pt), 0);
	ck_assert_int_eq(lc_noise_handshake_write(hr, NULL, 0, msg, sizeof msg),
			 LC_ERR_NOISE_BAD_KEY);
	lc_noise_handshake_free(hr);

	/* A flipped bit in message 2's encrypted static key. */
	ck_assert_int_eq(lc_noise_handshake_new(&hr, XX, LC_NOISE_RESPONDER,
						NULL, NULL), 0);
	ck_assert_int_eq(lc_noise_handshake_set_static(hr, pt), 0);
	ck_assert_int_eq(lc_noise_handshake_start(hr, NULL, 0), 0);
	n = lc_noise_handshake_write(hi, NULL, 0, msg, sizeof msg);
	ck_assert_int_eq(n, 32);
	ck_assert_int_eq(lc_noise_handshake_read(hr, msg, 32, pt, sizeof pt), 0);
	n = lc_noise_handshake_write(hr, NULL, 0, msg, sizeof msg);
	ck_assert_int_eq(n, 96);
	msg[40] ^= 1;
	ck_assert_int_eq(lc_noise_handshake_read(hi, msg, 96, pt, sizeof pt),
			 LC_ERR_NOISE_DECRYPT);
	ck_assert_int_eq(lc_noise_handshake_read(hi, msg, 96, pt, sizeof pt),
			 LC_ERR_NOISE_STATE);
	lc_noise_handshake_free(hi);
	lc_noise_handshake_free(hr);
}
END_TEST

/* Split ciphers of a completed XX handshake: [0] initiator's send,
 * [1] responder's recv, [2] responder's send, [3] initiator's recv. */
static void transport_pair(lc_noise_cipher *c[4])
{
	lc_noise_handshake *hi, *hr;

	ck_assert_int_eq(pair(XX, &hi, &hr, (const uint8_t *)"LCHAT\x01"), 0);
	ck_assert_int_eq(lc_noise_handshake_split(hi, &c[0], &c[3]), 0);
	ck_assert_int_eq(lc_noise_handshake_split(hr, &c[2], &c[1]), 0);
	lc_noise_cipher *x, *y;
	ck_assert_int_eq(lc_noise_handshake_split(hr, &x, &y),
			 LC_ERR_NOISE_STATE);
	ck_assert_ptr_null(x);
	/* After split the handshake still reports its hash. */
	uint8_t h1[64], h2[64];
	ck_assert_int_eq(lc_noise_handshake_hash(hi, h1, sizeof h1), 64);
	ck_assert_int_eq(lc_noise_handshake_hash(hr, h2, sizeof h2), 64);
	ck_assert_mem_eq(h1, h2, 64);
	lc_noise_handshake_free(hi);
	lc_noise_handshake_free(hr);
	ck_assert_int_eq(lc_noise_handshake_split(NULL, &x, &y),
			 LC_ERR_INVALID_ARG);
}

static void free4(lc_noise_cipher *c[4])
{
	for (int i = 0; i < 4; i++)
		lc_noise_cipher_free(c[i]);
}

START_TEST(noise_transport_rules)
{
	static uint8_t buf[LC_NOISE_MAX_MESSAGE + 16], pt[LC_NOISE_MAX_MESSAGE];
	lc_noise_cipher *c[4];
	int n;

	transport_pair(c);
	/* The largest message, then one byte more. */
	n = lc_noise_cipher_encrypt(c[0], NULL, 0, pt, LC_NOISE_MAX_PAYLOAD,
				    buf, sizeof buf);
	ck_assert_int_eq(n, LC_NOISE_MAX_MESSAGE);
	ck_assert_int_eq(lc_noise_cipher_decrypt(c[1], NULL, 0, buf, (size_t)n,
				 pt, sizeof pt), LC_NOISE_MAX_PAYLOAD);
	ck_assert_int_eq(lc_noise_cipher_encrypt(c[0], NULL, 0, pt,
			 LC_NOISE_MAX_PAYLOAD + 1, buf, sizeof buf),
			 LC_ERR_NOISE_BAD_LENGTH);
	ck_assert_int_eq(lc_noise_cipher_decrypt(c[1], NULL, 0, buf,
			 LC_NOISE_MAX_MESSAGE + 1, pt, sizeof pt),
			 LC_ERR_NOISE_BAD_LENGTH);
	ck_assert_int_eq(lc_noise_cipher_decrypt(c[1], NULL, 0, buf, 15, pt,
			 sizeof pt), LC_ERR_NOISE_BAD_LENGTH);
	ck_assert_int_eq(lc_noise_cipher_encrypt(c[0], NULL, 0, pt, 10, buf,
			 25), LC_ERR_BUFFER_TOO_SMALL);

	/* A bad tag does not move the nonce; the good message still opens. */
	n = lc_noise_cipher_encrypt(c[0], (const uint8_t *)"ad", 2, pt, 10,
				    buf, sizeof buf);
	ck_assert_int_eq(n, 26);
	buf[25] ^= 0x80;
	ck_assert_int_eq(lc_noise_cipher_decrypt(c[1], (const uint8_t *)"ad", 2,
			 buf, 26, pt, sizeof pt), LC_ERR_NOISE_DECRYPT);
	ck_assert_uint_eq(lc_noise_cipher_nonce(c[1]), 1);
	buf[25] ^= 0x80;
	ck_assert_int_eq(lc_noise_cipher_decrypt(c[1], (const uint8_t *)"ad", 2,
			 buf, 26, pt, sizeof pt), 10);

	/* 2^64-1 is reserved: the last usable nonce is 2^64-2. */
	lc_noise_cipher_set_nonce(c[2], UINT64_MAX - 1);
	lc_noise_cipher_set_nonce(c[3], UINT64_MAX - 1);
	n = lc_noise_cipher_encrypt(c[2], NULL, 0, pt, 5, buf, sizeof buf);
	ck_assert_int_eq(n, 21);
	ck_assert_int_eq(lc_noise_cipher_decrypt(c[3], NULL, 0, buf, 21, pt,
			 sizeof pt), 5);
	ck_assert_uint_eq(lc_noise_cipher_nonce(c[2]), UINT64_MAX);
	ck_assert_int_eq(lc_noise_cipher_encrypt(c[2], NULL, 0, pt, 5, buf,
			 sizeof buf), LC_ERR_NOISE_NONCE_EXHAUSTED);
	ck_assert_int_eq(lc_noise_cipher_decrypt(c[3], NULL, 0, buf, 21, pt,
			 sizeof pt), LC_ERR_NOISE_NONCE_EXHAUSTED);
	free4(c);
}
END_TEST

START_TEST(noise_rekey)
{
	uint8_t buf[64], pt[64], k[32], want[64], nonce[12] = { 0 };
	uint8_t zeros[32] = { 0 }, tmp[48];
	lc_noise_cipher *c[4];
	noise_cs cs;

	transport_pair(c);
	/* Rekey on one side only: the next message no longer opens. */
	lc_noise_cipher_rekey(c[0]);
	ck_assert_int_eq(lc_noise_cipher_encrypt(c[0], NULL, 0, pt, 4, buf,
			 sizeof buf), 20);
	ck_assert_int_eq(lc_noise_cipher_decrypt(c[1], NULL, 0, buf, 20, pt,
			 sizeof pt), LC_ERR_NOISE_DECRYPT);
	lc_noise_cipher_rekey(c[1]);
	ck_assert_int_eq(lc_noise_cipher_decrypt(c[1], NULL, 0, buf, 20, pt,
			 sizeof pt), 4);
	free4(c);

	/* REKEY(k) = ENCRYPT(k, 2^64-1, "", 32 zero bytes)[0:32], and the
	 * nonce keeps counting. */
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)i;
	noise_cs_init(&cs, noise_cipher_find("ChaChaPoly", 10), k);
	cs.n = 5;
	noise_cs_rekey(&cs);
	ck_assert_uint_eq(cs.n, 5);
	memset(nonce, 0, 4);
	memset(nonce + 4, 0xff, 8);
	crypto_aead_chacha20poly1305_ietf_encrypt(tmp, NULL, zeros, 32, NULL, 0,
						  NULL, nonce, k);
	memset(nonce, 0, sizeof nonce);
	nonce[4] = 5;
	crypto_aead_chacha20poly1305_ietf_encrypt(want, NULL, pt, 4, NULL, 0,
						  NULL, nonce, tmp);
	ck_assert_int_eq(noise_cs_encrypt(&cs, NULL, 0, pt, 4, buf), 20);
	ck_assert_mem_eq(buf, want, 20);
}
END_TEST

/* HMAC built from the hash's block length equals libsodium's HMAC for
 * SHA256 and SHA512, including keys longer than a block. */
START_TEST(noise_hmac_matches_libsodium)
{
	lc_test_rng rng;
	uint8_t key[300], msg[1000], got[64], want[64];
	const noise_hash *s256 = noise_hash_find("SHA256", 6);
	const noise_hash *s512 = noise_hash_find("SHA512", 6);

	lc_test_rng_seed(&rng, 3);
	for (int i = 0; i < 50; i++) {
		size_t kl = lc_test_rng_below(&rng, sizeof key);
		size_t ml = lc_test_rng_below(&rng, sizeof msg);
		size_t split = ml ? lc_test_rng_below(&rng, ml) : 0;
		crypto_auth_hmacsha256_state h256;
		crypto_auth_hmacsha512_state h512;

		lc_test_rng_bytes(&rng, key, kl);
		lc_test_rng_bytes(&rng, msg, ml);
		noise_hmac(s256, got, key, kl, msg, split, msg + split,
			   ml - split);
		crypto_auth_hmacsha256_init(&h256, key, kl);
		crypto_auth_hmacsha256_update(&h256, msg, ml);
		crypto_auth_hmacsha256_final(&h256, want);
		ck_assert_mem_eq(got, want, 32);
		noise_hmac(s512, got, key, kl, msg, split, msg + split,
			   ml - split);
		crypto_auth_hmacsha512_init(&h512, key, kl);
		crypto_auth_hmacsha512_update(&h512, msg, ml);
		crypto_auth_hmacsha512_final(&h512, want);
		ck_assert_mem_eq(got, want, 64);
	}
}
END_TEST

/* Every allocation of a handshake and its split can fail cleanly. */
START_TEST(noise_failing_allocator)
{
	uint8_t k[32] = { 9 }, msg[128], pt[128];
	long fail_at = 1;

	for (;; fail_at++) {
		lc_test_alloc ta;
		lc_noise_handshake *hs = NULL;
		lc_noise_cipher *s = NULL, *r = NULL;
		int rv;

		lc_test_alloc_init(&ta, fail_at);
		rv = lc_noise_handshake_new(&hs, "Noise_NN_25519_ChaChaPoly_SHA256",
					    LC_NOISE_INITIATOR, &ta.hooks, NULL);
		if (rv == 0) {
			lc_noise_handshake *peer;
			ck_assert_int_eq(lc_noise_handshake_new(&peer,
				"Noise_NN_25519_ChaChaPoly_SHA256",
				LC_NOISE_RESPONDER, NULL, NULL), 0);
			ck_assert_int_eq(lc_noise_handshake_start(hs, NULL, 0), 0);
			ck_assert_int_eq(lc_noise_handshake_start(peer, NULL, 0), 0);
			ck_assert_int_eq(lc_noise_handshake_write(hs, NULL, 0,
					 msg, sizeof msg), 32);
			ck_assert_int_eq(lc_noise_handshake_read(peer, msg, 32,
					 pt, sizeof pt), 0);
			ck_assert_int_eq(lc_noise_handshake_write(peer, k, 3,
					 msg, sizeof msg), 32 + 3 + 16);
			ck_assert_int_eq(lc_noise_handshake_read(hs, msg, 51,
					 pt, sizeof pt), 3);
			rv = lc_noise_handshake_split(hs, &s, &r);
			lc_noise_handshake_free(peer);
		}
		if (rv == 0) {
			lc_noise_cipher_free(s);
			lc_noise_cipher_free(r);
		} else {
			ck_assert_int_eq(rv, LC_ERR_NOMEM);
			ck_assert_ptr_null(s);
		}
		lc_noise_handshake_free(hs);
		ck_assert_int_eq(ta.live, 0);
		if (rv == 0)
			break;
	}
	ck_assert_int_ge(fail_at, 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("noise");
	TCase *t = tcase_create("noise");

	if (sodium_init() < 0)
		return 1;
	tcase_add_test(t, noise_protocol_names);
	tcase_add_test(t, noise_state_order);
	tcase_add_test(t, noise_prologue_is_bound);
	tcase_add_test(t, noise_bad_handshake_input);
	tcase_add_test(t, noise_transport_rules);
	tcase_add_test(t, noise_rekey);
	tcase_add_test(t, noise_hmac_matches_libsodium);
	tcase_add_test(t, noise_failing_allocator);
	suite_add_tcase(s, t);
	suite_add_tcase(s, noise_conn_tcase());
	return lc_test_run(s);
}
