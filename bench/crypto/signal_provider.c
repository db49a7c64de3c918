/*
 * The crypto provider libsignal-protocol-c requires of its caller, on
 * OpenSSL 3: RAND_bytes, HMAC-SHA256 through EVP_MAC, SHA-512 through
 * EVP_MD, AES-CBC (PKCS#5) and AES-CTR through EVP_CIPHER.
 *
 * libsignal creates and frees an HMAC context for every HMAC it computes
 * (about seven per message on each side). Done naively on OpenSSL 3 (a new
 * EVP_MAC_CTX with its digest parameter each time) that plumbing costs more
 * than the library itself, so this provider does what a careful application
 * would: algorithms are fetched once, HMAC contexts are kept in a small pool
 * and re-keyed with EVP_MAC_init, and one cipher context is re-initialised
 * for every AES call. The provider is for one thread (the benchmark's).
 */
#include "signal_glue.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <signal_protocol.h>

static EVP_MAC *hmac_alg;
static EVP_MD *sha512_alg;
static EVP_CIPHER *aes_alg[2][3]; /* [cbc, ctr][128, 192, 256] */
static EVP_CIPHER_CTX *aes_ctx;

/* Idle HMAC contexts, digest already set: init takes one, cleanup returns
 * it. libsignal holds at most a few at once. */
#define HMAC_POOL 8
static EVP_MAC_CTX *hmac_pool[HMAC_POOL];
static int hmac_idle;

static EVP_MAC_CTX *hmac_ctx_new(void)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac_alg);

	if (ctx == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		(char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int random_cb(uint8_t *data, size_t len, void *ud)
{
	(void)ud;
	return RAND_bytes(data, (int)len) == 1 ? 0 : SG_ERR_UNKNOWN;
}

static int hmac_init_cb(void **hctx, const uint8_t *key, size_t key_len,
	void *ud)
{
	EVP_MAC_CTX *ctx;

	(void)ud;
	ctx = hmac_idle > 0 ? hmac_pool[--hmac_idle] : hmac_ctx_new();
	if (ctx == NULL)
		return SG_ERR_NOMEM;
	if (EVP_MAC_init(ctx, key, key_len, NULL) != 1) {
		EVP_MAC_CTX_free(ctx);
		return SG_ERR_UNKNOWN;
	}
	*hctx = ctx;
	return 0;
}

static int hmac_update_cb(void *hctx, const uint8_t *data, size_t len,
	void *ud)
{
	(void)ud;
	return EVP_MAC_update(hctx, data, len) == 1 ? 0 : SG_ERR_UNKNOWN;
}

static int hmac_final_cb(void *hctx, signal_buffer **out, void *ud)
{
	uint8_t md[32];
	size_t md_len = 0;

	(void)ud;
	if (EVP_MAC_final(hctx, md, &md_len, sizeof md) != 1)
		return SG_ERR_UNKNOWN;
	*out = signal_buffer_create(md, md_len);
	return *out != NULL ? 0 : SG_ERR_NOMEM;
}

static void hmac_cleanup_cb(void *hctx, void *ud)
{
	(void)ud;
	if (hctx == NULL)
		return;
	/* The key is replaced by the next EVP_MAC_init before any use. */
	if (hmac_idle < HMAC_POOL)
		hmac_pool[hmac_idle++] = hctx;
	else
		EVP_MAC_CTX_free(hctx);
}

static int sha512_init_cb(void **dctx, void *ud)
{
	EVP_MD_CTX *ctx;

	(void)ud;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return SG_ERR_NOMEM;
	if (EVP_DigestInit_ex(ctx, sha512_alg, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return SG_ERR_UNKNOWN;
	}
	*dctx = ctx;
	return 0;
}

static int sha512_update_cb(void *dctx, const uint8_t *data, size_t len,
	void *ud)
{
	(void)ud;
	return EVP_DigestUpdate(dctx, data, len) == 1 ? 0 : SG_ERR_UNKNOWN;
}

static int sha512_final_cb(void *dctx, signal_buffer **out, void *ud)
{
	uint8_t md[64];
	unsigned int md_len = 0;

	(void)ud;
	/* The context must be ready for reuse afterwards. */
	if (EVP_DigestFinal_ex(dctx, md, &md_len) != 1 ||
	    EVP_DigestInit_ex(dctx, sha512_alg, NULL) != 1)
		return SG_ERR_UNKNOWN;
	*out = signal_buffer_create(md, md_len);
	return *out != NULL ? 0 : SG_ERR_NOMEM;
}

static void sha512_cleanup_cb(void *dctx, void *ud)
{
	(void)ud;
	EVP_MD_CTX_free(dctx);
}

static const EVP_CIPHER *pick_aes(int cipher, size_t key_len, size_t iv_len)
{
	int mode, size;

	if (cipher == SG_CIPHER_AES_CBC_PKCS5)
		mode = 0;
	else if (cipher == SG_CIPHER_AES_CTR_NOPADDING)
		mode = 1;
	else
		return NULL;
	switch (key_len) {
	case 16: size = 0; break;
	case 24: size = 1; break;
	case 32: size = 2; break;
	default: return NULL;
	}
	if (iv_len != 16)
		return NULL;
	return aes_alg[mode][size];
}

static int aes_run(signal_buffer **out, int cipher, const uint8_t *key,
	size_t key_len, const uint8_t *iv, size_t iv_len, const uint8_t *in,
	size_t in_len, int enc)
{
	const EVP_CIPHER *alg = pick_aes(cipher, key_len, iv_len);
	EVP_CIPHER_CTX *ctx = aes_ctx;
	uint8_t *buf;
	int n1 = 0, n2 = 0, rc = SG_ERR_UNKNOWN;

	if (alg == NULL || in_len > (size_t)INT32_MAX - 32)
		return SG_ERR_INVAL;
	buf = malloc(in_len + 32);
	if (buf == NULL) {
		rc = SG_ERR_NOMEM;
		goto out;
	}
	if (EVP_CipherInit_ex(ctx, alg, NULL, key, iv, enc) != 1 ||
	    EVP_CipherUpdate(ctx, buf, &n1, in, (int)in_len) != 1 ||
	    EVP_CipherFinal_ex(ctx, buf + n1, &n2) != 1)
		goto out;
	*out = signal_buffer_create(buf, (size_t)n1 + (size_t)n2);
	rc = *out != NULL ? 0 : SG_ERR_NOMEM;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, in_len + 32);
		free(buf);
	}
	return rc;
}

static int encrypt_cb(signal_buffer **out, int cipher, const uint8_t *key,
	size_t key_len, const uint8_t *iv, size_t iv_len, const uint8_t *pt,
	size_t pt_len, void *ud)
{
	(void)ud;
	return aes_run(out, cipher, key, key_len, iv, iv_len, pt, pt_len, 1);
}

static int decrypt_cb(signal_buffer **out, int cipher, const uint8_t *key,
	size_t key_len, const uint8_t *iv, size_t iv_len, const uint8_t *ct,
	size_t ct_len, void *ud)
{
	(void)ud;
	return aes_run(out, cipher, key, key_len, iv, iv_len, ct, ct_len, 0);
}

int signal_glue_provider(signal_crypto_provider *p)
{
	static const char *names[2][3] = {
		{ "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" },
		{ "AES-128-CTR", "AES-192-CTR", "AES-256-CTR" },
	};

	if (hmac_alg == NULL) {
		hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
		sha512_alg = EVP_MD_fetch(NULL, "SHA512", NULL);
		aes_ctx = EVP_CIPHER_CTX_new();
		if (hmac_alg == NULL || sha512_alg == NULL || aes_ctx == NULL)
			return -1;
		for (int m = 0; m < 2; m++)
			for (int s = 0; s < 3; s++) {
				aes_alg[m][s] = EVP_CIPHER_fetch(NULL,
					names[m][s], NULL);
				if (aes_alg[m][s] == NULL)
					return -1;
			}
	}
	*p = (signal_crypto_provider){
		.random_func = random_cb,
		.hmac_sha256_init_func = hmac_init_cb,
		.hmac_sha256_update_func = hmac_update_cb,
		.hmac_sha256_final_func = hmac_final_cb,
		.hmac_sha256_cleanup_func = hmac_cleanup_cb,
		.sha512_digest_init_func = sha512_init_cb,
		.sha512_digest_update_func = sha512_update_cb,
		.sha512_digest_final_func = sha512_final_cb,
		.sha512_digest_cleanup_func = sha512_cleanup_cb,
		.encrypt_func = encrypt_cb,
		.decrypt_func = decrypt_cb,
		.user_data = NULL,
	};
	return 0;
}

void signal_glue_provider_release(void)
{
	while (hmac_idle > 0)
		EVP_MAC_CTX_free(hmac_pool[--hmac_idle]);
	EVP_CIPHER_CTX_free(aes_ctx);
	aes_ctx = NULL;
	EVP_MAC_free(hmac_alg);
	EVP_MD_free(sha512_alg);
	hmac_alg = NULL;
	sha512_alg = NULL;
	for (int m = 0; m < 2; m++)
		for (int s = 0; s < 3; s++) {
			EVP_CIPHER_free(aes_alg[m][s]);
			aes_alg[m][s] = NULL;
		}
}
