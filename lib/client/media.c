/* Media encryption: a file's bytes under a fresh key, chunk by chunk
 * (doc/client.md, "Media"). Composed of libsodium's primitives only:
 *
 *   stream key = crypto_kdf_derive_from_key(id 1, ctx "lcmedia1", key)
 *   check key  = crypto_kdf_derive_from_key(id 2, ctx "lcmedia1", key)
 *
 *   0    1   version, 1
 *   1    24  crypto_secretstream_xchacha20poly1305 header (stream key)
 *   25   32  key check: BLAKE2b-256 keyed with the check key over bytes 0..24
 *   57   ..  chunks: each LC_MEDIA_CHUNK plaintext bytes (the last one
 *            0..LC_MEDIA_CHUNK, tagged TAG_FINAL) + 17
 *
 * secretstream authenticates each chunk and its position, so a damaged,
 * dropped, reordered or foreign chunk fails; the key check tells a wrong
 * key apart from a damaged chunk; the digest (SHA-256 of the whole
 * ciphertext, as the server names blobs) binds the file to its pointer. */
#include <string.h>

#include <sodium.h>

#include "alloc.h"
#include "client_int.h"

#define HDR LC_MEDIA_HEADER_LEN
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define SS_HDR crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define VERSION 1
static const char KDF_CTX[crypto_kdf_CONTEXTBYTES] = { 'l', 'c', 'm', 'e',
						       'd', 'i', 'a', '1' };

/* Keys and cipher state, in sodium_malloc'd memory. */
typedef struct secrets {
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t stream_key[32];              /* decrypting: until the header */
	uint8_t check_key[32];
	uint8_t digest[LC_MEDIA_DIGEST_LEN]; /* decrypting: the expected one */
} secrets;

struct lc_media_stream {
	lc_allocator mem;
	secrets *sec;
	crypto_hash_sha256_state h;   /* over the ciphertext */
	int decrypt;
	int error;                    /* sticky, once the stream failed */
	int header_done;
	int finished;                 /* the final chunk went through */
	uint64_t size, done;          /* plaintext: total, processed */
	size_t buf_len;
	uint8_t *buf;                 /* a pending chunk: LC_MEDIA_CHUNK + 17 */
};

size_t lc_media_key_len(void) { return LC_MEDIA_KEY_LEN; }
size_t lc_media_digest_len(void) { return LC_MEDIA_DIGEST_LEN; }
size_t lc_media_chunk(void) { return LC_MEDIA_CHUNK; }
size_t lc_client_media_struct_size(void) { return sizeof(lc_client_media); }

uint64_t lc_media_ciphertext_size(uint64_t size)
{
	uint64_t chunks;

	if (size > LC_MEDIA_SIZE_MAX)
		return 0;
	chunks = size == 0 ? 1 : (size + LC_MEDIA_CHUNK - 1) / LC_MEDIA_CHUNK;
	return HDR + size + chunks * ABYTES;
}

size_t lc_media_update_max(size_t len)
{
	size_t fixed = LC_MEDIA_CHUNK + HDR + 2 * ABYTES;
	size_t per = (len / LC_MEDIA_CHUNK) * ABYTES;

	if (len > SIZE_MAX - fixed - per)
		return 0;
	return len + fixed + per;
}

static int stream_new(lc_media_stream **out, uint64_t size,
		      const lc_allocator *mem, int decrypt)
{
	lc_media_stream *s;
	lc_allocator a;

	if (out == NULL || size > LC_MEDIA_SIZE_MAX)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if (lc_alloc_init(&a, mem) != 0)
		return LC_ERR_INVALID_ARG;
	if (sodium_init() < 0)
		return LC_ERR_INIT;
	if ((s = lc_calloc(&a, 1, sizeof *s)) == NULL)
		return LC_ERR_NOMEM;
	s->mem = a;
	s->decrypt = decrypt;
	s->size = size;
	s->buf = lc_malloc(&a, LC_MEDIA_CHUNK + ABYTES);
	s->sec = sodium_malloc(sizeof *s->sec);
	if (s->buf == NULL || s->sec == NULL) {
		lc_media_stream_free(s);
		return LC_ERR_NOMEM;
	}
	crypto_hash_sha256_init(&s->h);
	*out = s;
	return 0;
}

static void derive(const uint8_t key[32], uint8_t stream_key[32],
		   uint8_t check_key[32])
{
	crypto_kdf_derive_from_key(stream_key, 32, 1, KDF_CTX, key);
	crypto_kdf_derive_from_key(check_key, 32, 2, KDF_CTX, key);
}

static void key_check(const secrets *sec, const uint8_t *hdr, uint8_t out[32])
{
	crypto_generichash(out, 32, hdr, 1 + SS_HDR, sec->check_key, 32);
}

int lc_media_encrypt_new(lc_media_stream **out, uint64_t size,
			 uint8_t key[LC_MEDIA_KEY_LEN], const lc_allocator *mem,
			 const lc_rng *rng)
{
	uint8_t sk[32];
	int rc;

	if (key == NULL || (rng && rng->fill == NULL))
		return LC_ERR_INVALID_ARG;
	if ((rc = stream_new(out, size, mem, 0)))
		return rc;
	if (rng)
		rng->fill(key, LC_MEDIA_KEY_LEN, rng->user_data);
	else
		randombytes_buf(key, LC_MEDIA_KEY_LEN);
	derive(key, sk, (*out)->sec->check_key);
	/* the header is made now, written by the first update */
	(*out)->buf[0] = VERSION;
	crypto_secretstream_xchacha20poly1305_init_push(&(*out)->sec->st,
							(*out)->buf + 1, sk);
	key_check((*out)->sec, (*out)->buf, (*out)->buf + 1 + SS_HDR);
	sodium_memzero(sk, sizeof sk);
	return 0;
}

int lc_media_decrypt_new(lc_media_stream **out, uint64_t size,
			 const uint8_t key[LC_MEDIA_KEY_LEN],
			 const uint8_t digest[LC_MEDIA_DIGEST_LEN],
			 const lc_allocator *mem)
{
	int rc;

	if (key == NULL || digest == NULL)
		return LC_ERR_INVALID_ARG;
	if ((rc = stream_new(out, size, mem, 1)))
		return rc;
	derive(key, (*out)->sec->stream_key, (*out)->sec->check_key);
	memcpy((*out)->sec->digest, digest, LC_MEDIA_DIGEST_LEN);
	return 0;
}

/* Plaintext bytes of the next chunk. */
static size_t chunk_len(const lc_media_stream *s)
{
	uint64_t left = s->size - s->done;

	return left < LC_MEDIA_CHUNK ? (size_t)left : LC_MEDIA_CHUNK;
}

static void emit(const uint8_t *p, size_t n, uint8_t *out, size_t *w)
{
	memcpy(out + *w, p, n);
	*w += n;
}

/* Encrypt the chunk held in buf into out. */
static void push_chunk(lc_media_stream *s, uint8_t *out, size_t *w)
{
	size_t n = s->buf_len;
	int last = s->done + n == s->size;
	unsigned long long clen = 0;

	crypto_secretstream_xchacha20poly1305_push(
		&s->sec->st, out + *w, &clen, s->buf, n, NULL, 0,
		last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL :
		       crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	crypto_hash_sha256_update(&s->h, out + *w, (size_t)clen);
	*w += (size_t)clen;
	s->done += n;
	s->finished = last;
	s->buf_len = 0;
}

static int encrypt_update(lc_media_stream *s, const uint8_t *in, size_t len,
			  uint8_t *out, size_t *w)
{
	if (!s->header_done) {
		crypto_hash_sha256_update(&s->h, s->buf, HDR);
		emit(s->buf, HDR, out, w);
		s->header_done = 1;
	}
	while (!s->finished) {
		size_t want = chunk_len(s), take = want - s->buf_len;

		if (take > len)
			take = len;
		if (take) /* in may be NULL for an empty file */
			memcpy(s->buf + s->buf_len, in, take);
		s->buf_len += take;
		in += take;
		len -= take;
		if (s->buf_len < want)
			break;
		push_chunk(s, out, w);
	}
	return 0;
}

/* The header is in buf: check version and key, start the stream. */
static int open_header(lc_media_stream *s)
{
	uint8_t want[32];
	int ok;

	if (s->buf[0] != VERSION)
		return LC_ERR_UNSUPPORTED;
	key_check(s->sec, s->buf, want);
	ok = sodium_memcmp(want, s->buf + 1 + SS_HDR, 32) == 0;
	if (!ok)
		return LC_ERR_MEDIA_KEY;
	crypto_secretstream_xchacha20poly1305_init_pull(&s->sec->st, s->buf + 1,
							s->sec->stream_key);
	sodium_memzero(s->sec->stream_key, 32);
	s->header_done = 1;
	s->buf_len = 0;
	return 0;
}

static int pull_chunk(lc_media_stream *s, uint8_t *out, size_t *w)
{
	unsigned long long mlen = 0;
	unsigned char tag = 0;
	size_t n = chunk_len(s);
	int last = s->done + n == s->size;

	if (crypto_secretstream_xchacha20poly1305_pull(
		    &s->sec->st, out + *w, &mlen, &tag, s->buf, s->buf_len,
		    NULL, 0) != 0 || mlen != n)
		return LC_ERR_MEDIA_CHUNK;
	if (last != (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)) {
		sodium_memzero(out + *w, n);
		return LC_ERR_MEDIA_CHUNK;
	}
	*w += n;
	s->done += n;
	s->finished = last;
	s->buf_len = 0;
	return 0;
}

static int decrypt_update(lc_media_stream *s, const uint8_t *in, size_t len,
			  uint8_t *out, size_t *w)
{
	int rc;

	crypto_hash_sha256_update(&s->h, in, len);
	while (len > 0) {
		size_t want, take;

		if (s->finished)
			return LC_ERR_MALFORMED; /* bytes after the final chunk */
		want = s->header_done ? chunk_len(s) + ABYTES : HDR;
		take = want - s->buf_len < len ? want - s->buf_len : len;
		memcpy(s->buf + s->buf_len, in, take);
		s->buf_len += take;
		in += take;
		len -= take;
		if (s->buf_len < want)
			break;
		rc = s->header_done ? pull_chunk(s, out, w) : open_header(s);
		if (rc)
			return rc;
	}
	return 0;
}

int lc_media_stream_update(lc_media_stream *s, const uint8_t *in, size_t len,
			   uint8_t *out, size_t cap, size_t *out_len)
{
	size_t max = lc_media_update_max(len), w = 0;
	int rc;

	if (s == NULL || out_len == NULL || (in == NULL && len) ||
	    (out == NULL && cap))
		return LC_ERR_INVALID_ARG;
	*out_len = 0;
	if (s->error)
		return s->error;
	if (max == 0 || cap < max)
		return LC_ERR_BUFFER_TOO_SMALL;
	if (!s->decrypt) {
		if (len > s->size - s->done - s->buf_len)
			return LC_ERR_INVALID_ARG;
		rc = encrypt_update(s, in, len, out, &w);
	} else {
		rc = decrypt_update(s, in, len, out, &w);
	}
	if (rc) {
		sodium_memzero(out, w);
		s->error = rc;
		return rc;
	}
	*out_len = w;
	return 0;
}

int lc_media_stream_final(lc_media_stream *s, uint8_t *digest)
{
	uint8_t got[LC_MEDIA_DIGEST_LEN];
	int rc = 0;

	if (s == NULL || (digest == NULL) != s->decrypt)
		return LC_ERR_INVALID_ARG;
	if (s->error)
		return s->error;
	if (!s->finished)
		return s->decrypt ? LC_ERR_MEDIA_TRUNCATED : LC_ERR_INVALID_STATE;
	crypto_hash_sha256_final(&s->h, got);
	if (!s->decrypt)
		memcpy(digest, got, sizeof got);
	else if (sodium_memcmp(got, s->sec->digest, sizeof got) != 0)
		rc = LC_ERR_MEDIA_DIGEST;
	s->error = rc ? rc : LC_ERR_INVALID_STATE; /* ended */
	return rc;
}

void lc_media_stream_free(lc_media_stream *s)
{
	if (s == NULL)
		return;
	if (s->buf) {
		sodium_memzero(s->buf, LC_MEDIA_CHUNK + ABYTES);
		lc_free(&s->mem, s->buf);
	}
	if (s->sec)
		sodium_free(s->sec);
	sodium_memzero(&s->h, sizeof s->h);
	lc_free(&s->mem, s);
}

int lc_media_encrypt(const uint8_t *in, size_t len,
		     uint8_t key[LC_MEDIA_KEY_LEN],
		     uint8_t digest[LC_MEDIA_DIGEST_LEN], uint8_t *out,
		     size_t cap, size_t *out_len, const lc_allocator *mem,
		     const lc_rng *rng)
{
	lc_media_stream *s = NULL;
	uint64_t need = lc_media_ciphertext_size(len);
	size_t w = 0;
	int rc;

	if ((in == NULL && len) || digest == NULL || out_len == NULL ||
	    out == NULL || need == 0)
		return LC_ERR_INVALID_ARG;
	if (cap < need)
		return LC_ERR_BUFFER_TOO_SMALL;
	if ((rc = lc_media_encrypt_new(&s, len, key, mem, rng)))
		return rc;
	/* the whole input at once: the output is exactly need bytes */
	(void)encrypt_update(s, in, len, out, &w);
	rc = lc_media_stream_final(s, digest);
	lc_media_stream_free(s);
	*out_len = w;
	return rc;
}

int lc_media_decrypt(const lc_client_media *m, const uint8_t *in, size_t len,
		     uint8_t *out, size_t cap, size_t *out_len,
		     const lc_allocator *mem)
{
	lc_media_stream *s = NULL;
	uint8_t got[LC_MEDIA_DIGEST_LEN];
	size_t w = 0;
	int rc;

	if (m == NULL || (in == NULL && len) || out_len == NULL ||
	    (out == NULL && cap) || m->size > LC_MEDIA_SIZE_MAX)
		return LC_ERR_INVALID_ARG;
	*out_len = 0;
	if (cap < m->size)
		return LC_ERR_BUFFER_TOO_SMALL;
	crypto_hash_sha256(got, in ? in : (const uint8_t *)"", len);
	if (sodium_memcmp(got, m->digest, sizeof got) != 0)
		return LC_ERR_MEDIA_DIGEST; /* checked before any decryption */
	if ((rc = lc_media_decrypt_new(&s, m->size, m->key, m->digest, mem)))
		return rc;
	/* the plaintext is at most m->size bytes: no larger bound needed */
	rc = decrypt_update(s, in, len, out, &w);
	if (rc == 0)
		rc = lc_media_stream_final(s, NULL);
	lc_media_stream_free(s);
	if (rc) {
		sodium_memzero(out, w);
		return rc;
	}
	*out_len = w;
	return 0;
}
