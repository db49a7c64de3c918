/* Suite "client": media encryption (lc_media_*) and the end-to-end
 * Content codec, without sessions. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "alloc.h"
#include "client_int.h"
#include "testutil.h"

#define C LC_MEDIA_CHUNK

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	lc_test_rng r;

	lc_test_rng_seed(&r, seed);
	lc_test_rng_bytes(&r, p, n);
}

static void test_rng_fill(void *buf, size_t len, void *ud)
{
	lc_test_rng_bytes(ud, buf, len);
}

/* Encrypt n bytes streaming in pieces of step; returns the ciphertext. */
static uint8_t *enc_stream(const uint8_t *pt, size_t n, size_t step,
			   uint8_t key[32], uint8_t digest[32], size_t *ct_len)
{
	uint64_t want = lc_media_ciphertext_size(n);
	uint8_t *ct = malloc(want), *out = malloc(lc_media_update_max(step));
	lc_media_stream *s = NULL;
	size_t off = 0, w = 0;

	ck_assert_ptr_nonnull(ct);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(lc_media_encrypt_new(&s, n, key, NULL, NULL), 0);
	do {
		size_t k = n - off < step ? n - off : step, got = 0;

		ck_assert_int_eq(lc_media_stream_update(s, pt + off, k, out,
							lc_media_update_max(step),
							&got), 0);
		ck_assert_uint_le(w + got, want);
		memcpy(ct + w, out, got);
		w += got;
		off += k;
	} while (off < n);
	ck_assert_int_eq(lc_media_stream_final(s, digest), 0);
	lc_media_stream_free(s);
	free(out);
	ck_assert_uint_eq(w, want);
	*ct_len = w;
	return ct;
}

/* Decrypt streaming in pieces of step: the final result code. */
static int dec_stream(const uint8_t *ct, size_t len, size_t step,
		      uint64_t size, const uint8_t key[32],
		      const uint8_t digest[32], uint8_t *pt, size_t *pt_len)
{
	uint8_t *out = malloc(lc_media_update_max(step));
	lc_media_stream *s = NULL;
	size_t off = 0;
	int rc;

	ck_assert_ptr_nonnull(out);
	*pt_len = 0;
	ck_assert_int_eq(lc_media_decrypt_new(&s, size, key, digest, NULL), 0);
	rc = 0;
	while (rc == 0 && off < len) {
		size_t k = len - off < step ? len - off : step, got = 0;

		rc = lc_media_stream_update(s, ct + off, k, out,
					    lc_media_update_max(step), &got);
		if (rc == 0) {
			memcpy(pt + *pt_len, out, got);
			*pt_len += got;
		} else {
			ck_assert_uint_eq(got, 0);
			/* a dead stream keeps its error */
			ck_assert_int_eq(lc_media_stream_update(s, ct, 1, out,
					 lc_media_update_max(step), &got), rc);
			ck_assert_int_eq(lc_media_stream_final(s, NULL), rc);
		}
		off += k;
	}
	if (rc == 0)
		rc = lc_media_stream_final(s, NULL);
	lc_media_stream_free(s);
	free(out);
	return rc;
}

static lc_client_media pointer(const uint8_t key[32], const uint8_t d[32],
			       uint64_t size)
{
	lc_client_media m;

	memset(&m, 0, sizeof m);
	strcpy(m.id, "blob");
	memcpy(m.key, key, 32);
	memcpy(m.digest, d, 32);
	m.size = size;
	return m;
}

START_TEST(media_round_trip)
{
	static const size_t sizes[] = { 0, 1, 100, C - 1, C, C + 1, 3 * C + 5 };
	static const size_t steps[] = { 1, 7, 4096, C + 17, 4 * C };
	uint8_t *pt = malloc(4 * C), *back = malloc(4 * C);
	uint8_t key[32], digest[32], h[32];

	ck_assert_ptr_nonnull(pt);
	ck_assert_ptr_nonnull(back);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t n = sizes[i];

		fill(pt, n, n + 1);
		for (size_t j = 0; j < sizeof steps / sizeof steps[0]; j++) {
			size_t ct_len, got;
			uint8_t *ct;
			lc_client_media m;

			if (steps[j] == 1 && n > C + 1)
				continue; /* slow and adds nothing */
			ct = enc_stream(pt, n, steps[j], key, digest, &ct_len);
			crypto_hash_sha256(h, ct, ct_len);
			ck_assert_mem_eq(h, digest, 32);
			ck_assert_uint_eq(ct_len, LC_MEDIA_HEADER_LEN + n +
					  LC_MEDIA_CHUNK_OVERHEAD *
					  (n ? (n + C - 1) / C : 1));
			for (size_t k = 0; k < sizeof steps / sizeof steps[0];
			     k++) {
				if (steps[k] == 1 && n > C + 1)
					continue;
				ck_assert_int_eq(dec_stream(ct, ct_len, steps[k], n,
							    key, digest, back,
							    &got), 0);
				ck_assert_uint_eq(got, n);
				ck_assert(n == 0 || memcmp(back, pt, n) == 0);
			}
			m = pointer(key, digest, n);
			ck_assert_int_eq(lc_media_decrypt(&m, ct, ct_len, back,
							  n, &got, NULL), 0);
			ck_assert_uint_eq(got, n);
			ck_assert(n == 0 || memcmp(back, pt, n) == 0);
			free(ct);
		}
	}
	free(pt);
	free(back);
}
END_TEST

START_TEST(media_one_shot_and_rng)
{
	uint8_t pt[1000], ct[1200], ct2[1200], back[1000];
	uint8_t key[32], key2[32], digest[32], digest2[32];
	size_t n = 0, n2 = 0, got = 0;
	lc_test_rng r1, r2;
	lc_rng g1 = { test_rng_fill, &r1 }, g2 = { test_rng_fill, &r2 };
	lc_client_media m;

	fill(pt, sizeof pt, 5);
	/* the key comes from the generator given */
	lc_test_rng_seed(&r1, 9);
	lc_test_rng_seed(&r2, 9);
	ck_assert_int_eq(lc_media_encrypt(pt, sizeof pt, key, digest, ct,
					  sizeof ct, &n, NULL, &g1), 0);
	ck_assert_int_eq(lc_media_encrypt(pt, sizeof pt, key2, digest2, ct2,
					  sizeof ct2, &n2, NULL, &g2), 0);
	ck_assert_mem_eq(key, key2, 32);
	ck_assert_uint_eq(n, lc_media_ciphertext_size(sizeof pt));
	/* the secretstream header is random: same key, other ciphertext */
	ck_assert(memcmp(digest, digest2, 32) != 0);
	m = pointer(key, digest, sizeof pt);
	ck_assert_int_eq(lc_media_decrypt(&m, ct, n, back, sizeof back, &got,
					  NULL), 0);
	ck_assert_mem_eq(back, pt, sizeof pt);
	/* too small an output: refused before any work */
	ck_assert_int_eq(lc_media_encrypt(pt, sizeof pt, key, digest, ct,
					  (size_t)n - 1, &n2, NULL, NULL),
			 LC_ERR_BUFFER_TOO_SMALL);
	ck_assert_int_eq(lc_media_decrypt(&m, ct, n, back, sizeof back - 1,
					  &got, NULL), LC_ERR_BUFFER_TOO_SMALL);
	/* an empty file is a header and an empty final chunk */
	ck_assert_int_eq(lc_media_encrypt(NULL, 0, key, digest, ct, sizeof ct,
					  &n, NULL, NULL), 0);
	ck_assert_uint_eq(n, LC_MEDIA_HEADER_LEN + LC_MEDIA_CHUNK_OVERHEAD);
	m = pointer(key, digest, 0);
	ck_assert_int_eq(lc_media_decrypt(&m, ct, n, NULL, 0, &got, NULL), 0);
	ck_assert_uint_eq(got, 0);
	ck_assert_uint_eq(lc_media_key_len(), 32);
	ck_assert_uint_eq(lc_media_digest_len(), 32);
	ck_assert_uint_eq(lc_media_chunk(), C);
	ck_assert_uint_eq(lc_client_media_struct_size(), sizeof(lc_client_media));
	ck_assert_uint_eq(lc_media_ciphertext_size(LC_MEDIA_SIZE_MAX + 1), 0);
	ck_assert_uint_eq(lc_media_update_max(SIZE_MAX), 0);
}
END_TEST

/* A 3-chunk file, the fixture of the corruption cases. */
typedef struct fx {
	uint8_t *pt, *ct, *back;
	size_t ct_len, n;
	uint8_t key[32], digest[32];
} fx;

static void fx_make(fx *f)
{
	f->n = 3 * C;
	f->pt = malloc(f->n);
	f->back = malloc(f->n + C + 64);
	ck_assert_ptr_nonnull(f->pt);
	ck_assert_ptr_nonnull(f->back);
	fill(f->pt, f->n, 77);
	f->ct = enc_stream(f->pt, f->n, C, f->key, f->digest, &f->ct_len);
}

static void fx_free(fx *f)
{
	free(f->pt);
	free(f->ct);
	free(f->back);
}

/* Both decryptions of a damaged ciphertext whose digest is made to match
 * (so the framing itself is tested); the stream's code is returned and
 * must equal the one-shot's. */
static int framing(fx *f, const uint8_t *ct, size_t len, uint64_t size,
		   const uint8_t *key)
{
	uint8_t d[32];
	size_t got = 0;
	lc_client_media m;
	int r1, r2;

	crypto_hash_sha256(d, ct, len);
	r1 = dec_stream(ct, len, 1000, size, key, d, f->back, &got);
	m = pointer(key, d, size);
	r2 = lc_media_decrypt(&m, ct, len, f->back, f->n + C + 64, &got, NULL);
	ck_assert_int_eq(r1, r2);
	return r1;
}

START_TEST(media_corruption)
{
	fx f;
	uint8_t *bad, wrong[32];
	size_t got = 0, cl = C + LC_MEDIA_CHUNK_OVERHEAD, h = LC_MEDIA_HEADER_LEN;
	lc_client_media m;

	fx_make(&f);
	bad = malloc(f.ct_len + 1);
	ck_assert_ptr_nonnull(bad);

	/* a wrong digest: the one-shot call decrypts nothing */
	memcpy(wrong, f.digest, 32);
	wrong[3] ^= 1;
	m = pointer(f.key, wrong, f.n);
	memset(f.back, 0xee, f.n);
	ck_assert_int_eq(lc_media_decrypt(&m, f.ct, f.ct_len, f.back, f.n, &got,
					  NULL), LC_ERR_MEDIA_DIGEST);
	ck_assert_uint_eq(got, 0);
	ck_assert_uint_eq(f.back[0], 0xee);
	ck_assert_int_eq(dec_stream(f.ct, f.ct_len, C, f.n, f.key, wrong,
				    f.back, &got), LC_ERR_MEDIA_DIGEST);

	/* a wrong key */
	memcpy(wrong, f.key, 32);
	wrong[0] ^= 0x80;
	ck_assert_int_eq(framing(&f, f.ct, f.ct_len, f.n, wrong),
			 LC_ERR_MEDIA_KEY);

	/* a damaged byte in each chunk */
	for (int i = 0; i < 3; i++) {
		memcpy(bad, f.ct, f.ct_len);
		bad[h + (size_t)i * cl + 100] ^= 4;
		ck_assert_int_eq(framing(&f, bad, f.ct_len, f.n, f.key),
				 LC_ERR_MEDIA_CHUNK);
	}
	/* a damaged header or another version */
	memcpy(bad, f.ct, f.ct_len);
	bad[10] ^= 1;
	ck_assert_int_eq(framing(&f, bad, f.ct_len, f.n, f.key),
			 LC_ERR_MEDIA_KEY);
	memcpy(bad, f.ct, f.ct_len);
	bad[0] = 2;
	ck_assert_int_eq(framing(&f, bad, f.ct_len, f.n, f.key),
			 LC_ERR_UNSUPPORTED);

	/* chunks 1 and 2 swapped; chunk 2 replayed in place of 3 */
	memcpy(bad, f.ct, f.ct_len);
	memcpy(bad + h, f.ct + h + cl, cl);
	memcpy(bad + h + cl, f.ct + h, cl);
	ck_assert_int_eq(framing(&f, bad, f.ct_len, f.n, f.key),
			 LC_ERR_MEDIA_CHUNK);
	memcpy(bad, f.ct, f.ct_len);
	memcpy(bad + h + 2 * cl, f.ct + h + cl, cl);
	ck_assert_int_eq(framing(&f, bad, f.ct_len, f.n, f.key),
			 LC_ERR_MEDIA_CHUNK);

	/* truncated: a chunk dropped, a chunk cut, the header cut */
	ck_assert_int_eq(framing(&f, f.ct, f.ct_len - cl, f.n, f.key),
			 LC_ERR_MEDIA_TRUNCATED);
	ck_assert_int_eq(framing(&f, f.ct, f.ct_len - 5, f.n, f.key),
			 LC_ERR_MEDIA_TRUNCATED);
	ck_assert_int_eq(framing(&f, f.ct, 20, f.n, f.key),
			 LC_ERR_MEDIA_TRUNCATED);
	/* a byte after the final chunk */
	memcpy(bad, f.ct, f.ct_len);
	bad[f.ct_len] = 0;
	ck_assert_int_eq(framing(&f, bad, f.ct_len + 1, f.n, f.key),
			 LC_ERR_MALFORMED);
	/* the pointer's size disagrees with the file: the final tag is out
	 * of place, or the chunks are cut elsewhere */
	ck_assert_int_eq(framing(&f, f.ct, f.ct_len, f.n + C, f.key),
			 LC_ERR_MEDIA_CHUNK);
	ck_assert_int_eq(framing(&f, f.ct, f.ct_len, f.n - 1, f.key),
			 LC_ERR_MEDIA_CHUNK);
	ck_assert_int_eq(framing(&f, f.ct, f.ct_len, 2 * C, f.key),
			 LC_ERR_MEDIA_CHUNK);
	free(bad);
	fx_free(&f);
}
END_TEST

START_TEST(media_foreign_chunk)
{
	fx a, b;
	uint8_t *mix;
	size_t cl = C + LC_MEDIA_CHUNK_OVERHEAD, h = LC_MEDIA_HEADER_LEN;

	fx_make(&a);
	fx_make(&b);
	/* b's second chunk in a's file (even under a's key it fails) */
	mix = malloc(a.ct_len);
	ck_assert_ptr_nonnull(mix);
	memcpy(mix, a.ct, a.ct_len);
	memcpy(mix + h + cl, b.ct + h + cl, cl);
	ck_assert_int_eq(framing(&a, mix, a.ct_len, a.n, a.key),
			 LC_ERR_MEDIA_CHUNK);
	/* b's file under a's key */
	ck_assert_int_eq(framing(&a, b.ct, b.ct_len, b.n, a.key),
			 LC_ERR_MEDIA_KEY);
	free(mix);
	fx_free(&a);
	fx_free(&b);
}
END_TEST

START_TEST(media_arguments)
{
	lc_media_stream *s = NULL;
	uint8_t key[32] = { 0 }, d[32] = { 0 }, in[10] = { 0 }, out[200000];
	size_t w = 7;
	lc_allocator half = { 0 };
	lc_rng bad_rng = { NULL, NULL };

	ck_assert_int_eq(lc_media_encrypt_new(NULL, 1, key, NULL, NULL),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_media_encrypt_new(&s, 1, NULL, NULL, NULL),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_media_encrypt_new(&s, LC_MEDIA_SIZE_MAX + 1, key,
					      NULL, NULL), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_media_encrypt_new(&s, 1, key, &half, NULL),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_media_encrypt_new(&s, 1, key, NULL, &bad_rng),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_media_decrypt_new(&s, 1, NULL, d, NULL),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_media_decrypt_new(&s, 1, key, NULL, NULL),
			 LC_ERR_INVALID_ARG);

	ck_assert_int_eq(lc_media_encrypt_new(&s, 10, key, NULL, NULL), 0);
	ck_assert_int_eq(lc_media_stream_update(s, in, 5, out,
						lc_media_update_max(5) - 1, &w),
			 LC_ERR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(w, 0);
	ck_assert_int_eq(lc_media_stream_update(NULL, in, 5, out, sizeof out,
						&w), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_media_stream_update(s, NULL, 5, out, sizeof out,
						&w), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_media_stream_update(s, in, 11, out, sizeof out,
						&w), LC_ERR_INVALID_ARG);
	/* the refusals above consumed nothing */
	ck_assert_int_eq(lc_media_stream_update(s, in, 5, out, sizeof out, &w),
			 0);
	ck_assert_uint_eq(w, LC_MEDIA_HEADER_LEN);
	ck_assert_int_eq(lc_media_stream_final(s, d), LC_ERR_INVALID_STATE);
	ck_assert_int_eq(lc_media_stream_final(s, NULL), LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_media_stream_update(s, in, 6, out, sizeof out, &w),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_media_stream_update(s, in, 5, out, sizeof out, &w),
			 0);
	ck_assert_uint_eq(w, 10 + LC_MEDIA_CHUNK_OVERHEAD);
	ck_assert_int_eq(lc_media_stream_final(s, d), 0);
	/* ended: nothing more */
	ck_assert_int_eq(lc_media_stream_final(s, d), LC_ERR_INVALID_STATE);
	lc_media_stream_free(s);
	lc_media_stream_free(NULL);
	ck_assert_int_eq(lc_media_decrypt(NULL, in, 1, out, 1, &w, NULL),
			 LC_ERR_INVALID_ARG);
	ck_assert_int_eq(lc_media_encrypt(in, 1, key, NULL, out, sizeof out,
					  &w, NULL, NULL), LC_ERR_INVALID_ARG);
}
END_TEST

START_TEST(media_allocation_failures)
{
	uint8_t pt[3000], ct[4000], back[3000], key[32], d[32];
	size_t n = 0, got = 0;
	lc_test_alloc ta;
	lc_client_media m;
	int rc, ok = 0;

	fill(pt, sizeof pt, 3);
	for (long k = 1; k < 20 && !ok; k++) {
		lc_test_alloc_init(&ta, k);
		rc = lc_media_encrypt(pt, sizeof pt, key, d, ct, sizeof ct, &n,
				      &ta.hooks, NULL);
		ck_assert(rc == 0 || rc == LC_ERR_NOMEM);
		ck_assert_int_eq(ta.live, 0);
		ok = rc == 0;
	}
	ck_assert(ok);
	m = pointer(key, d, sizeof pt);
	ok = 0;
	for (long k = 1; k < 20 && !ok; k++) {
		lc_test_alloc_init(&ta, k);
		rc = lc_media_decrypt(&m, ct, n, back, sizeof back, &got,
				      &ta.hooks);
		ck_assert(rc == 0 || rc == LC_ERR_NOMEM);
		ck_assert_int_eq(ta.live, 0);
		ok = rc == 0;
	}
	ck_assert(ok);
	ck_assert_mem_eq(back, pt, sizeof pt);
}
END_TEST

/* ------------------------------------------------------------- content */

static lc_client_media sample_media(void)
{
	lc_client_media m;

	memset(&m, 0, sizeof m);
	strcpy(m.id, "9f86d081884c7d659a2feaa0c55ad015");
	memset(m.key, 7, sizeof m.key);
	memset(m.digest, 9, sizeof m.digest);
	m.size = 12345;
	strcpy(m.mime_type, "image/png");
	strcpy(m.file_name, "photo \xc3\xa9t\xc3\xa9.png");
	strcpy(m.caption, "the trip");
	return m;
}

/* Parse, expecting rc; frees what parse returned. */
static int parse_rc(const uint8_t *p, size_t n)
{
	lc_allocator mem;
	lc_cl_content ct;
	lc_client_media m;
	Libchat__Content *own = NULL;
	int rc;

	ck_assert_int_eq(lc_alloc_init(&mem, NULL), 0);
	rc = lc_cl_content_parse(p, n, &mem, &ct, &m, &own);
	if (rc == 0 || rc == LC_ERR_UNSUPPORTED)
		ck_assert_ptr_nonnull(own);
	else
		ck_assert_ptr_null(own);
	lc_cl_content_free(own, &mem);
	return rc;
}

static int packed_rc(const Libchat__Content *c)
{
	uint8_t buf[LC_CL_CONTENT_MAX + 1000];
	size_t n = libchat__content__get_packed_size(c);

	ck_assert_uint_le(n, sizeof buf);
	libchat__content__pack(c, buf);
	return parse_rc(buf, n);
}

START_TEST(content_round_trip)
{
	uint8_t buf[LC_CL_CONTENT_MAX], skd[73];
	lc_cl_content in, out;
	lc_client_media m = sample_media(), back;
	lc_allocator mem;
	Libchat__Content *own = NULL;
	size_t n = 0;
	char big[LC_CLIENT_TEXT_MAX + 1];

	ck_assert_int_eq(lc_alloc_init(&mem, NULL), 0);
	/* text with a hint, at the longest */
	memset(big, 'x', LC_CLIENT_TEXT_MAX);
	big[LC_CLIENT_TEXT_MAX] = 0;
	memset(&in, 0, sizeof in);
	in.kind = LC_CL_CONTENT_TEXT;
	in.hint = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	in.text = big;
	in.text_len = LC_CLIENT_TEXT_MAX;
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n), 0);
	ck_assert_int_eq(lc_cl_content_parse(buf, n, &mem, &out, &back, &own), 0);
	ck_assert_int_eq(out.kind, LC_CL_CONTENT_TEXT);
	ck_assert_str_eq(out.hint, in.hint);
	ck_assert_uint_eq(out.text_len, LC_CLIENT_TEXT_MAX);
	ck_assert_str_eq(out.text, big);
	lc_cl_content_free(own, &mem);

	/* media, every field */
	memset(&in, 0, sizeof in);
	in.kind = LC_CL_CONTENT_MEDIA;
	in.media = &m;
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n), 0);
	ck_assert_int_eq(lc_cl_content_parse(buf, n, &mem, &out, &back, &own), 0);
	ck_assert_int_eq(out.kind, LC_CL_CONTENT_MEDIA);
	ck_assert_str_eq(out.hint, "");
	ck_assert_ptr_eq(out.media, &back);
	ck_assert_mem_eq(&back, &m, sizeof m);
	lc_cl_content_free(own, &mem);

	/* sender-key distribution */
	memset(skd, 0x14, sizeof skd);
	memset(&in, 0, sizeof in);
	in.kind = LC_CL_CONTENT_SENDER_KEY;
	in.skd = skd;
	in.skd_len = sizeof skd;
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n), 0);
	ck_assert_int_eq(lc_cl_content_parse(buf, n, &mem, &out, &back, &own), 0);
	ck_assert_int_eq(out.kind, LC_CL_CONTENT_SENDER_KEY);
	ck_assert_uint_eq(out.skd_len, sizeof skd);
	ck_assert_mem_eq(out.skd, skd, sizeof skd);
	lc_cl_content_free(own, &mem);

	/* too small a buffer */
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, 10, &n),
			 LC_ERR_BUFFER_TOO_SMALL);
}
END_TEST

START_TEST(content_encode_refusals)
{
	uint8_t buf[LC_CL_CONTENT_MAX];
	lc_cl_content in;
	lc_client_media m = sample_media();
	size_t n;

	memset(&in, 0, sizeof in);
	in.kind = LC_CL_CONTENT_TEXT;
	in.text = "a\0b";
	in.text_len = 3; /* a NUL inside */
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n),
			 LC_ERR_INVALID_ARG);
	in.text_len = 0;
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n),
			 LC_ERR_INVALID_ARG);
	in.text = "\xc3\x28";
	in.text_len = 2;
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n),
			 LC_ERR_INVALID_ARG);
	in.text = "ok";
	in.hint = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefX";
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n),
			 LC_ERR_INVALID_ARG);
	in.hint = NULL;
	in.kind = 99;
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n),
			 LC_ERR_INVALID_ARG);
	in.kind = LC_CL_CONTENT_SENDER_KEY;
	in.skd_len = 0;
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n),
			 LC_ERR_INVALID_ARG);
	in.kind = LC_CL_CONTENT_MEDIA;
	in.media = &m;
	strcpy(m.file_name, "../etc/passwd");
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n),
			 LC_ERR_INVALID_ARG);
	m = sample_media();
	strcpy(m.id, "a/b");
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n),
			 LC_ERR_INVALID_ARG);
	m = sample_media();
	memset(m.caption, 'c', sizeof m.caption); /* no NUL */
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n),
			 LC_ERR_INVALID_ARG);
}
END_TEST

START_TEST(content_malformed)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t truncated[] = { 0x12, 0x05, 'h', 'i' };
	static const uint8_t tag0[] = { 0x12, 0x02, 'h', 'i', 0x80, 0x00, 0x00 };
	static const uint8_t future[] = { 0x0a, 0x01, 'u', 0x2a, 0x01, 'x' };
	static const uint8_t extra[] = { 0x12, 0x02, 'h', 'i', 0xa0, 0x01, 0x05 };
	static const uint8_t empty[] = { 0x0a, 0x01, 'u' };
	Libchat__Content c = LIBCHAT__CONTENT__INIT;
	Libchat__MediaPointer mp = LIBCHAT__MEDIA_POINTER__INIT;
	uint8_t key[33] = { 0 }, dg[33] = { 0 };
	char hint[70], name[300], cap[LC_CLIENT_CAPTION_SIZE + 1];
	char *ids[] = { "", "..", "a/b", "x y", NULL };

	ck_assert_int_eq(parse_rc(garbage, sizeof garbage), LC_ERR_MALFORMED);
	ck_assert_int_eq(parse_rc(truncated, sizeof truncated), LC_ERR_MALFORMED);
	ck_assert_int_eq(parse_rc(tag0, sizeof tag0), LC_ERR_MALFORMED);
	/* a kind of a later version, and no kind at all: reported */
	ck_assert_int_eq(parse_rc(future, sizeof future), LC_ERR_UNSUPPORTED);
	ck_assert_int_eq(parse_rc(empty, sizeof empty), LC_ERR_UNSUPPORTED);
	ck_assert_int_eq(parse_rc(NULL, 0), LC_ERR_UNSUPPORTED);
	/* an unknown field beside a known kind is ignored */
	ck_assert_int_eq(parse_rc(extra, sizeof extra), 0);

	c.body_case = LIBCHAT__CONTENT__BODY_TEXT;
	c.text = "\xc3\x28";
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	c.text = "";
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	c.text = "ok";
	memset(hint, 'u', 65);
	hint[65] = 0;
	c.chat_hint = hint;
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	c.chat_hint = "\xff";
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	c.chat_hint = "";
	ck_assert_int_eq(packed_rc(&c), 0);

	c.body_case = LIBCHAT__CONTENT__BODY_SENDER_KEY_DISTRIBUTION;
	c.sender_key_distribution.data = NULL; /* the oneof is a union */
	c.sender_key_distribution.len = 0;
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED); /* empty */

	c.body_case = LIBCHAT__CONTENT__BODY_MEDIA;
	c.media = &mp;
	mp.id = "abc";
	mp.key.data = key;
	mp.key.len = 32;
	mp.sha256.data = dg;
	mp.sha256.len = 32;
	mp.size = 5;
	ck_assert_int_eq(packed_rc(&c), 0);
	mp.key.len = 31;
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	mp.key.len = 32;
	mp.sha256.len = 33;
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	mp.sha256.len = 32;
	mp.size = LC_MEDIA_SIZE_MAX + 1;
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	mp.size = 5;
	for (int i = 0; ids[i]; i++) {
		mp.id = ids[i];
		ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	}
	memset(name, 'a', 129);
	name[129] = 0;
	mp.id = name; /* 129 characters */
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	mp.id = "abc";
	mp.mime_type = "text/plain\n";
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	mp.mime_type = "text/plain; charset=utf-8";
	ck_assert_int_eq(packed_rc(&c), 0);
	mp.file_name = "a/b";
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	mp.file_name = "..";
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	mp.file_name = "a\\b";
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	mp.file_name = "a\tb";
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	memset(name, 'n', 256);
	name[256] = 0;
	mp.file_name = name;
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	name[255] = 0;
	ck_assert_int_eq(packed_rc(&c), 0);
	mp.file_name = "";
	memset(cap, 'c', LC_CLIENT_CAPTION_SIZE);
	cap[LC_CLIENT_CAPTION_SIZE] = 0;
	mp.caption = cap;
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
	mp.caption = "\xed\xa0\x80"; /* a surrogate */
	ck_assert_int_eq(packed_rc(&c), LC_ERR_MALFORMED);
}
END_TEST

START_TEST(content_allocation_failures)
{
	uint8_t buf[LC_CL_CONTENT_MAX];
	lc_cl_content in, out;
	lc_client_media m = sample_media(), back;
	Libchat__Content *own = NULL;
	lc_test_alloc ta;
	size_t n = 0;
	int rc, ok = 0;

	memset(&in, 0, sizeof in);
	in.kind = LC_CL_CONTENT_MEDIA;
	in.hint = "someone";
	in.media = &m;
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n), 0);
	for (long k = 1; k < 50 && !ok; k++) {
		lc_test_alloc_init(&ta, k);
		rc = lc_cl_content_parse(buf, n, &ta.hooks, &out, &back, &own);
		ck_assert(rc == 0 || rc == LC_ERR_NOMEM);
		if (rc == 0) {
			ck_assert_mem_eq(&back, &m, sizeof m);
			ok = 1;
		}
		lc_cl_content_free(own, &ta.hooks);
		ck_assert_int_eq(ta.live, 0);
	}
	ck_assert(ok);
}
END_TEST

START_TEST(content_media_text_and_decode)
{
	lc_client_media m = sample_media(), back;
	lc_store_message sm;
	uint8_t buf[LC_CL_CONTENT_MAX];
	lc_cl_content in;
	char t[LC_CL_MEDIA_TEXT_SIZE];
	size_t n = 0;

	ck_assert_int_eq(lc_cl_media_text(&m, t, sizeof t, &n), 0);
	ck_assert_str_eq(t, "photo \xc3\xa9t\xc3\xa9.png\nthe trip");
	ck_assert_uint_eq(n, strlen(t));
	m.caption[0] = 0;
	ck_assert_int_eq(lc_cl_media_text(&m, t, sizeof t, &n), 0);
	ck_assert_str_eq(t, "photo \xc3\xa9t\xc3\xa9.png");
	m.file_name[0] = 0;
	strcpy(m.caption, "only words");
	ck_assert_int_eq(lc_cl_media_text(&m, t, sizeof t, &n), 0);
	ck_assert_str_eq(t, "only words");
	ck_assert_int_eq(lc_cl_media_text(&m, t, 5, &n),
			 LC_ERR_BUFFER_TOO_SMALL);

	/* a stored message's pointer */
	m = sample_media();
	memset(&in, 0, sizeof in);
	in.kind = LC_CL_CONTENT_MEDIA;
	in.media = &m;
	ck_assert_int_eq(lc_cl_content_encode(&in, buf, sizeof buf, &n), 0);
	memset(&sm, 0, sizeof sm);
	sm.kind = LC_CLIENT_KIND_MEDIA;
	sm.data = buf;
	sm.data_len = n;
	ck_assert_int_eq(lc_client_media_decode(&sm, &back), 0);
	ck_assert_mem_eq(&back, &m, sizeof m);
	buf[n - 1] ^= 0xff;
	ck_assert_int_eq(lc_client_media_decode(&sm, &back),
			 LC_ERR_STORE_CORRUPT);
	sm.kind = LC_CLIENT_KIND_TEXT;
	ck_assert_int_eq(lc_client_media_decode(&sm, &back), LC_ERR_NOT_FOUND);
	ck_assert_int_eq(lc_client_media_decode(NULL, &back),
			 LC_ERR_INVALID_ARG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("client-media");
	TCase *t = tcase_create("media");

	if (sodium_init() < 0)
		return 1;
	tcase_set_timeout(t, 120);
	tcase_add_test(t, media_round_trip);
	tcase_add_test(t, media_one_shot_and_rng);
	tcase_add_test(t, media_corruption);
	tcase_add_test(t, media_foreign_chunk);
	tcase_add_test(t, media_arguments);
	tcase_add_test(t, media_allocation_failures);
	tcase_add_test(t, content_round_trip);
	tcase_add_test(t, content_encode_refusals);
	tcase_add_test(t, content_malformed);
	tcase_add_test(t, content_allocation_failures);
	tcase_add_test(t, content_media_text_and_decode);
	suite_add_tcase(s, t);
	return lc_test_run(s);
}
