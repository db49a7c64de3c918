/* Suite "crypto", vectors: HKDF-SHA256 against RFC 5869 and Wycheproof, and
 * libchat's use of HMAC-SHA256, X25519, Ed25519 and the ChaCha20-Poly1305
 * AEADs against Wycheproof (../shared/vectors/wycheproof).
 *
 * Every "valid" case must be accepted with the expected output and every
 * "invalid" one rejected. Wycheproof's "acceptable" cases occur only for
 * X25519: those whose shared secret is all zeros (low-order public keys)
 * must be refused by our DH path (LC_ERR_BAD_KEY); the others (twist
 * points, non-canonical encodings) are RFC 7748 behaviour and must give the
 * expected secret. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include <libchat/crypto.h>

#include "hkdf.h"
#include "internal.h"
#include "testutil.h"

/* --------------------------------------------------------------- helpers */

static size_t unhex(const char *s, uint8_t **out)
{
	size_t n = strlen(s) / 2;
	uint8_t *b = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	*out = b;
	return n;
}

static size_t jhex(json_t *t, const char *key, uint8_t **out)
{
	json_t *v = json_object_get(t, key);

	ck_assert_msg(json_is_string(v), "field %s missing", key);
	return unhex(json_string_value(v), out);
}

static json_t *load(const char *name)
{
	char rel[128];
	char *path;
	json_error_t err;
	json_t *root;

	snprintf(rel, sizeof rel, "wycheproof/%s", name);
	path = lc_test_vector_path(rel);
	root = json_load_file(path, 0, &err);
	ck_assert_msg(root != NULL, "%s: %s", path, err.text);
	free(path);
	return root;
}

static const char *result(json_t *t)
{
	return json_string_value(json_object_get(t, "result"));
}

/* Call fn on every test of every group; returns the number of tests. */
typedef void (*case_fn)(json_t *group, json_t *t, int *counts);

static int walk(const char *file, case_fn fn, int *counts)
{
	json_t *root = load(file);
	json_t *groups = json_object_get(root, "testGroups");
	size_t gi, ti;
	json_t *g, *t;
	int total = 0;

	json_array_foreach(groups, gi, g) {
		json_array_foreach(json_object_get(g, "tests"), ti, t) {
			fn(g, t, counts);
			total++;
		}
	}
	ck_assert_int_eq(total, json_integer_value(json_object_get(
					root, "numberOfTests")));
	json_decref(root);
	return total;
}

/* ------------------------------------------------------------- RFC 5869 */

struct rfc_case {
	const char *ikm, *salt, *info;
	size_t len;
	const char *okm;
};

static const struct rfc_case rfc5869[] = {
	/* A.1 */
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", 42,
	  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	  "34007208d5b887185865" },
	/* A.2 */
	{ "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	  "404142434445464748494a4b4c4d4e4f",
	  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	  82,
	  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	  "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
	/* A.3: empty salt and info */
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
	  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	  "9d201395faa4b61a96c8" },
};

START_TEST(hkdf_rfc5869)
{
	const struct rfc_case *c = &rfc5869[_i];
	uint8_t *ikm, *salt, *info, *okm, out[82];
	size_t ni = unhex(c->ikm, &ikm), ns = unhex(c->salt, &salt);
	size_t nf = unhex(c->info, &info), no = unhex(c->okm, &okm);

	ck_assert_uint_eq(no, c->len);
	ck_assert_int_eq(lc_hkdf_sha256(out, c->len, salt, ns, ikm, ni, info,
					nf), 0);
	ck_assert_mem_eq(out, okm, c->len);
	free(ikm);
	free(salt);
	free(info);
	free(okm);
}
END_TEST

START_TEST(hkdf_bounds)
{
	uint8_t out[LC_HKDF_SHA256_MAX + 1];

	ck_assert_int_eq(lc_hkdf_sha256(out, 0, NULL, 0, NULL, 0, NULL, 0),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_hkdf_sha256(out, sizeof out, NULL, 0, NULL, 0,
					NULL, 0), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_hkdf_sha256(out, sizeof out - 1, NULL, 0, NULL, 0,
					NULL, 0), 0);
}
END_TEST

/* ------------------------------------------------------------ Wycheproof */

static void hkdf_case(json_t *g, json_t *t, int *counts)
{
	uint8_t *ikm, *salt, *info, *okm, *out;
	size_t ni = jhex(t, "ikm", &ikm), ns = jhex(t, "salt", &salt);
	size_t nf = jhex(t, "info", &info), no = jhex(t, "okm", &okm);
	size_t size = (size_t)json_integer_value(json_object_get(t, "size"));
	int rv;

	(void)g;
	out = malloc(size ? size : 1);
	rv = lc_hkdf_sha256(out, size, salt, ns, ikm, ni, info, nf);
	if (strcmp(result(t), "valid") == 0) {
		ck_assert_int_eq(rv, 0);
		ck_assert_uint_eq(no, size);
		ck_assert_mem_eq(out, okm, size);
		counts[0]++;
	} else {
		ck_assert_msg(rv != 0, "tcId %lld accepted",
			      json_integer_value(json_object_get(t, "tcId")));
		counts[1]++;
	}
	free(ikm);
	free(salt);
	free(info);
	free(okm);
	free(out);
}

START_TEST(wycheproof_hkdf_sha256)
{
	int counts[2] = { 0, 0 };

	walk("hkdf_sha256_test.json", hkdf_case, counts);
	ck_assert_int_gt(counts[0], 0);
	ck_assert_int_gt(counts[1], 0);
}
END_TEST

/* HMAC-SHA256 as HKDF and KDF_CK use it: init/update/final, full tags. */
static void hmac_case(json_t *g, json_t *t, int *counts)
{
	crypto_auth_hmacsha256_state st;
	uint8_t *key, *msg, *tag, out[32];
	size_t nk, nm, nt;

	if (json_integer_value(json_object_get(g, "tagSize")) != 256) {
		counts[2]++;
		return;
	}
	nk = jhex(t, "key", &key);
	nm = jhex(t, "msg", &msg);
	nt = jhex(t, "tag", &tag);
	crypto_auth_hmacsha256_init(&st, key, nk);
	crypto_auth_hmacsha256_update(&st, msg, nm);
	crypto_auth_hmacsha256_final(&st, out);
	if (strcmp(result(t), "valid") == 0) {
		ck_assert_uint_eq(nt, 32);
		ck_assert_mem_eq(out, tag, 32);
		counts[0]++;
	} else {
		ck_assert(nt != 32 || sodium_memcmp(out, tag, 32) != 0);
		counts[1]++;
	}
	free(key);
	free(msg);
	free(tag);
}

START_TEST(wycheproof_hmac_sha256)
{
	int counts[3] = { 0, 0, 0 };

	walk("hmac_sha256_test.json", hmac_case, counts);
	ck_assert_int_gt(counts[0], 0);
	ck_assert_int_gt(counts[1], 0);
}
END_TEST

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void x25519_case(json_t *g, json_t *t, int *counts)
{
	uint8_t *pub, *priv, *shared, out[32];
	size_t np = jhex(t, "public", &pub), nk = jhex(t, "private", &priv);
	size_t ns = jhex(t, "shared", &shared);
	int rv;

	(void)g;
	ck_assert_uint_eq(np, 32);
	ck_assert_uint_eq(nk, 32);
	ck_assert_uint_eq(ns, 32);
	rv = lc_x25519(out, priv, pub);
	if (all_zero(shared, 32)) {
		/* Low-order public key: our DH path refuses it. */
		ck_assert_int_eq(rv, LC_ERR_BAD_KEY);
		counts[2]++;
	} else if (strcmp(result(t), "invalid") == 0) {
		ck_assert_int_ne(rv, 0);
		counts[1]++;
	} else {
		ck_assert_int_eq(rv, 0);
		ck_assert_mem_eq(out, shared, 32);
		counts[0]++;
	}
	free(pub);
	free(priv);
	free(shared);
}

START_TEST(wycheproof_x25519)
{
	int counts[3] = { 0, 0, 0 };

	walk("x25519_test.json", x25519_case, counts);
	ck_assert_int_gt(counts[0], 0);
	ck_assert_int_gt(counts[2], 0);
}
END_TEST

static void ed25519_case(json_t *g, json_t *t, int *counts)
{
	uint8_t *pk, *msg, *sig;
	size_t npk = unhex(json_string_value(json_object_get(
			   json_object_get(g, "publicKey"), "pk")), &pk);
	size_t nm = jhex(t, "msg", &msg), ns = jhex(t, "sig", &sig);
	int rv = LC_ERR_BAD_SIGNATURE;

	ck_assert_uint_eq(npk, 32);
	/* A signature of the wrong length cannot reach lc_identity_verify():
	 * every caller checks LC_SIGNATURE_LEN first. */
	if (ns == LC_SIGNATURE_LEN)
		rv = lc_identity_verify(pk, msg, nm, sig);
	if (strcmp(result(t), "valid") == 0) {
		ck_assert_int_eq(rv, 0);
		counts[0]++;
	} else {
		ck_assert_msg(rv == LC_ERR_BAD_SIGNATURE, "tcId %lld accepted",
			      json_integer_value(json_object_get(t, "tcId")));
		counts[1]++;
	}
	free(pk);
	free(msg);
	free(sig);
}

START_TEST(wycheproof_ed25519)
{
	int counts[2] = { 0, 0 };

	walk("ed25519_test.json", ed25519_case, counts);
	ck_assert_int_gt(counts[0], 0);
	ck_assert_int_gt(counts[1], 0);
}
END_TEST

typedef int (*aead_dec)(unsigned char *, unsigned char *,
			const unsigned char *, unsigned long long,
			const unsigned char *, const unsigned char *,
			unsigned long long, const unsigned char *,
			const unsigned char *);
typedef int (*aead_enc)(unsigned char *, unsigned char *,
			unsigned long long *,
			const unsigned char *, unsigned long long,
			const unsigned char *, unsigned long long,
			const unsigned char *, const unsigned char *,
			const unsigned char *);

struct aead {
	size_t nonce_len;
	aead_enc enc;
	aead_dec dec;
};

static const struct aead *cur_aead;

static void aead_case(json_t *g, json_t *t, int *counts)
{
	uint8_t *key, *iv, *aad, *msg, *ct, *tag, *out, otag[16];
	size_t nk = jhex(t, "key", &key), ni = jhex(t, "iv", &iv);
	size_t na = jhex(t, "aad", &aad), nm = jhex(t, "msg", &msg);
	size_t nc = jhex(t, "ct", &ct), nt = jhex(t, "tag", &tag);
	int valid = strcmp(result(t), "valid") == 0;
	int rv = -1;

	(void)g;
	out = malloc(nc + nm + 1);
	/* A nonce or key of another size cannot be passed: rejected. */
	if (nk == 32 && ni == cur_aead->nonce_len && nt == 16)
		rv = cur_aead->dec(out, NULL, ct, nc, tag, aad, na, iv, key);
	if (valid) {
		ck_assert_int_eq(rv, 0);
		ck_assert_uint_eq(nc, nm);
		ck_assert_mem_eq(out, msg, nm);
		ck_assert_int_eq(cur_aead->enc(out, otag, NULL, msg, nm, aad,
					       na, NULL, iv, key), 0);
		ck_assert_mem_eq(out, ct, nc);
		ck_assert_mem_eq(otag, tag, 16);
		counts[0]++;
	} else {
		ck_assert_msg(rv != 0, "tcId %lld accepted",
			      json_integer_value(json_object_get(t, "tcId")));
		counts[1]++;
	}
	free(key);
	free(iv);
	free(aad);
	free(msg);
	free(ct);
	free(tag);
	free(out);
}

static const struct aead chacha = {
	crypto_aead_chacha20poly1305_ietf_NPUBBYTES,
	crypto_aead_chacha20poly1305_ietf_encrypt_detached,
	crypto_aead_chacha20poly1305_ietf_decrypt_detached,
};

static const struct aead xchacha = {
	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached,
	crypto_aead_xchacha20poly1305_ietf_decrypt_detached,
};

START_TEST(wycheproof_chacha20_poly1305)
{
	int counts[2] = { 0, 0 };

	cur_aead = &chacha;
	walk("chacha20_poly1305_test.json", aead_case, counts);
	ck_assert_int_gt(counts[0], 0);
	ck_assert_int_gt(counts[1], 0);
}
END_TEST

START_TEST(wycheproof_xchacha20_poly1305)
{
	int counts[2] = { 0, 0 };

	cur_aead = &xchacha;
	walk("xchacha20_poly1305_test.json", aead_case, counts);
	ck_assert_int_gt(counts[0], 0);
	ck_assert_int_gt(counts[1], 0);
}
END_TEST

int main(void)
{
	static const char *files[] = {
		"hkdf_sha256_test.json", "hmac_sha256_test.json",
		"x25519_test.json", "ed25519_test.json",
		"chacha20_poly1305_test.json", "xchacha20_poly1305_test.json",
	};
	Suite *s = suite_create("crypto-vectors");
	TCase *rfc = tcase_create("rfc5869");
	TCase *w = tcase_create("wycheproof");

	if (sodium_init() < 0)
		return 1;
	tcase_add_loop_test(rfc, hkdf_rfc5869, 0,
			    (int)(sizeof rfc5869 / sizeof rfc5869[0]));
	tcase_add_test(rfc, hkdf_bounds);
	suite_add_tcase(s, rfc);

	/* Exits 77 (skipped) here, before any test runs, when the vectors are
	 * missing, or fails when they are required. */
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char rel[128];
		snprintf(rel, sizeof rel, "wycheproof/%s", files[i]);
		free(lc_test_vector_path(rel));
	}
	tcase_add_test(w, wycheproof_hkdf_sha256);
	tcase_add_test(w, wycheproof_hmac_sha256);
	tcase_add_test(w, wycheproof_x25519);
	tcase_add_test(w, wycheproof_ed25519);
	tcase_add_test(w, wycheproof_chacha20_poly1305);
	tcase_add_test(w, wycheproof_xchacha20_poly1305);
	suite_add_tcase(s, w);
	return lc_test_run(s);
}
