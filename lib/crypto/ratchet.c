/* The Double Ratchet (Signal's specification, revision 1): RatchetEncrypt,
 * RatchetDecrypt with skipped keys, and the DH ratchet step. A message that
 * fails leaves the session exactly as it was: keys for the attempt are
 * derived into locals and skipped keys are stored tentatively, then either
 * committed or wiped.
 *
 * The sending half of a DH ratchet step (a new key pair, DH with the
 * peer's key, KDF_RK) waits for the next encrypt: the specification's
 * state is reached lazily, with nothing different on the wire. A session
 * that only receives never pays for it, and a state captured before the
 * send holds no sending key at all. */
#include <string.h>

#include <sodium.h>

#include <libchat/error.h>

#include "hkdf.h"
#include "ratchet.h"

/* Each message key encrypts one message, so the nonce is a constant. */
static const uint8_t nonce0[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

#define AD_LEN (LC_X3DH_AD_LEN + LC_RATCHET_HEADER_LEN)

int lc_ratchet_alloc(lc_ratchet **out, const lc_allocator *mem,
		     const lc_rng *rng)
{
	lc_allocator a;
	lc_ratchet *s;
	int rv;

	*out = NULL;
	if ((rv = lc_alloc_init(&a, mem)) != 0)
		return rv;
	if ((rv = lc_crypto_init()) != 0)
		return rv;
	s = lc_calloc(&a, 1, sizeof *s);
	if (s == NULL)
		return LC_ERR_NOMEM;
	s->mem = a;
	lc_crypto_rng_copy(&s->rng, rng);
	s->max_skip = LC_MAX_SKIP_DEFAULT;
	s->max_stored = LC_MAX_STORED_SKIPPED_DEFAULT;
	*out = s;
	return 0;
}

void lc_ratchet_free(lc_ratchet *s)
{
	lc_allocator a;

	if (s == NULL)
		return;
	a = s->mem;
	lc_skipped_free(&a, &s->sk);
	sodium_memzero(s, sizeof *s);
	lc_free(&a, s);
}

int lc_ratchet_set_limits(lc_ratchet *s, uint32_t max_skip,
			  uint32_t max_stored)
{
	if (s == NULL || max_skip < 1 || max_skip > LC_MAX_SKIP_LIMIT ||
	    max_stored < max_skip || max_stored > LC_MAX_STORED_LIMIT)
		return LC_ERR_INVALID_ARG;
	s->max_skip = max_skip;
	s->max_stored = max_stored;
	return 0;
}

size_t lc_ratchet_encrypted_size(const lc_ratchet *s, size_t pt_len)
{
	return pt_len + (s->pending ? LC_PREKEY_OVERHEAD : LC_RATCHET_OVERHEAD);
}

const uint8_t *lc_ratchet_remote_identity(const lc_ratchet *s)
{
	return s->role == LC_ROLE_INITIATOR ? s->ad + 32 : s->ad;
}

int lc_ratchet_is_pending(const lc_ratchet *s)
{
	return s->pending;
}

size_t lc_ratchet_skipped_count(const lc_ratchet *s)
{
	return s->sk.n;
}

/* The sending half of a DH ratchet step from the root rk against DHr:
 * a fresh key pair (sk, pk), then rk_out, cks = KDF_RK(rk, DH(sk, DHr)).
 * rk and rk_out may alias. */
static void send_half(lc_ratchet *s, const uint8_t *rk, uint8_t *sk,
		      uint8_t *pk, uint8_t *rk_out, uint8_t *cks)
{
	uint8_t out[32];

	lc_x25519_keypair(&s->rng, sk, pk);
	/* DHr passed the low-order check on arrival: this cannot fail. */
	(void)lc_x25519(out, sk, s->dhr);
	lc_kdf_rk(rk, out, rk_out, cks);
	sodium_memzero(out, sizeof out);
}

int lc_ratchet_encrypt(lc_ratchet *s, const uint8_t *pt, size_t pt_len,
		       uint8_t *out, size_t out_cap, size_t *out_len)
{
	uint8_t ad[AD_LEN];
	uint8_t mk[32];
	uint8_t *h;
	size_t need;

	if (s == NULL || out == NULL || out_len == NULL ||
	    (pt == NULL && pt_len > 0) || pt_len > ((size_t)1 << 31))
		return LC_ERR_INVALID_ARG;
	if ((!s->has_cks && !s->send_due) || s->ns >= LC_CHAIN_SPENT)
		return LC_ERR_INVALID_STATE;
	need = lc_ratchet_encrypted_size(s, pt_len);
	if (out_cap < need)
		return LC_ERR_BUFFER_TOO_SMALL;
	if (s->send_due) {
		send_half(s, s->rk, s->dhs_sk, s->dhs_pk, s->rk, s->cks);
		s->send_due = 0;
		s->has_cks = 1;
	}
	h = out;
	if (s->pending) {
		memcpy(h, s->x3dh, LC_PREKEY_HEADER_LEN);
		h += LC_PREKEY_HEADER_LEN;
	}
	h[0] = LC_MSG_BYTE(LC_MSG_RATCHET);
	memcpy(h + 1, s->dhs_pk, 32);
	lc_put32(h + 33, s->pn);
	lc_put32(h + 37, (uint32_t)s->ns);
	memcpy(ad, s->ad, LC_X3DH_AD_LEN);
	memcpy(ad + LC_X3DH_AD_LEN, h, LC_RATCHET_HEADER_LEN);

	lc_kdf_ck(s->cks, mk, s->cks);
	s->ns++;
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(
		h + LC_RATCHET_HEADER_LEN, h + LC_RATCHET_HEADER_LEN + pt_len,
		NULL, pt ? pt : nonce0, pt_len, ad, sizeof ad, NULL, nonce0,
		mk);
	sodium_memzero(mk, sizeof mk);
	*out_len = need;
	return 0;
}

/* Authenticate and decrypt the body of msg with mk. */
static int open_body(const lc_ratchet *s, const uint8_t *mk,
		     const uint8_t *msg, size_t len, uint8_t *pt)
{
	uint8_t ad[AD_LEN];
	size_t ct_len = len - LC_RATCHET_HEADER_LEN - LC_AEAD_TAG_LEN;

	memcpy(ad, s->ad, LC_X3DH_AD_LEN);
	memcpy(ad + LC_X3DH_AD_LEN, msg, LC_RATCHET_HEADER_LEN);
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		    pt, NULL, msg + LC_RATCHET_HEADER_LEN, ct_len,
		    msg + len - LC_AEAD_TAG_LEN, ad, sizeof ad, nonce0,
		    mk) != 0)
		return LC_ERR_DECRYPT;
	return 0;
}

/* Store the message keys of chain dh from *nr up to until (tentatively). */
static int skip_keys(lc_ratchet *s, uint8_t *ck, uint64_t *nr,
		     uint64_t until, const uint8_t *dh)
{
	uint8_t mk[32];
	int rv = 0;

	while (*nr < until) {
		lc_kdf_ck(ck, mk, ck);
		rv = lc_skipped_add(&s->mem, &s->sk, dh, (uint32_t)*nr, mk);
		if (rv != 0)
			break;
		(*nr)++;
	}
	sodium_memzero(mk, sizeof mk);
	return rv;
}

/* A message of the current receiving chain. */
static int chain_step(lc_ratchet *s, const uint8_t *msg, size_t len,
		      uint32_t n, uint8_t *pt)
{
	size_t mark = s->sk.n;
	uint8_t ck[32], mk[32];
	uint64_t nr = s->nr;
	int rv;

	memcpy(ck, s->ckr, 32);
	rv = skip_keys(s, ck, &nr, n, msg + 1);
	if (rv == 0) {
		lc_kdf_ck(ck, mk, ck);
		rv = open_body(s, mk, msg, len, pt);
	}
	if (rv == 0) {
		memcpy(s->ckr, ck, 32);
		s->nr = (uint64_t)n + 1;
		s->pending = 0;
		lc_skipped_evict(&s->sk, s->max_stored);
	} else {
		lc_skipped_truncate(&s->sk, mark);
	}
	sodium_memzero(ck, sizeof ck);
	sodium_memzero(mk, sizeof mk);
	return rv;
}

/* Commit the receiving half of a DH ratchet step: the peer's new key dh,
 * the new root rk and receiving chain ckr. The sending half is due. */
static void commit_dh(lc_ratchet *s, const uint8_t *dh, const uint8_t *rk,
		      const uint8_t *ckr, uint32_t n)
{
	if (s->has_dhr) {
		memmove(s->prev_dhr[1], s->prev_dhr[0],
			(LC_PREV_DHR - 1) * sizeof s->prev_dhr[0]);
		memcpy(s->prev_dhr[0], s->dhr, 32);
		if (s->n_prev < LC_PREV_DHR)
			s->n_prev++;
	}
	memcpy(s->dhr, dh, 32);
	s->has_dhr = 1;
	memcpy(s->ckr, ckr, 32);
	s->has_ckr = 1;
	s->nr = (uint64_t)n + 1;
	s->pn = s->ns > UINT32_MAX ? UINT32_MAX : (uint32_t)s->ns;
	s->ns = 0;
	memcpy(s->rk, rk, 32);
	sodium_memzero(s->dhs_sk, sizeof s->dhs_sk);
	sodium_memzero(s->dhs_pk, sizeof s->dhs_pk);
	sodium_memzero(s->cks, sizeof s->cks);
	s->has_cks = 0;
	s->send_due = 1;
	s->pending = 0;
}

/* The receiving half of a DH ratchet step against the peer's new key dh:
 * rk, ck = KDF_RK(RK, DH(DHs, dh)). A sending half still due comes first,
 * tentatively (only its result is used; an honest peer cannot have a new
 * key before our reply, so this is the rare case). */
static int recv_half(lc_ratchet *s, const uint8_t *dh, uint8_t *rk,
		     uint8_t *ck)
{
	uint8_t sk[32], pk[32], root[32], cks[32], out[32];
	int rv;

	if (s->send_due) {
		send_half(s, s->rk, sk, pk, root, cks);
	} else {
		memcpy(sk, s->dhs_sk, 32);
		memcpy(root, s->rk, 32);
	}
	rv = lc_x25519(out, sk, dh);
	if (rv == 0)
		lc_kdf_rk(root, out, rk, ck);
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(root, sizeof root);
	sodium_memzero(cks, sizeof cks);
	sodium_memzero(out, sizeof out);
	return rv;
}

/* A message under a new ratchet key of the peer. */
static int dh_step(lc_ratchet *s, const uint8_t *msg, size_t len,
		   uint32_t pn, uint32_t n, uint8_t *pt)
{
	size_t mark = s->sk.n;
	uint8_t ck_old[32], rk[32], ck[32], mk[32];
	uint64_t nr = s->nr, n0 = 0;
	int rv;

	if ((s->has_ckr && pn > s->nr && pn - s->nr > s->max_skip) ||
	    n > s->max_skip)
		return LC_ERR_TOO_MANY_SKIPPED;
	if ((rv = recv_half(s, msg + 1, rk, ck)) != 0)
		return rv;
	memcpy(ck_old, s->ckr, 32);
	if (s->has_ckr)
		rv = skip_keys(s, ck_old, &nr, pn, s->dhr);
	if (rv == 0)
		rv = skip_keys(s, ck, &n0, n, msg + 1);
	if (rv == 0) {
		lc_kdf_ck(ck, mk, ck);
		rv = open_body(s, mk, msg, len, pt);
	}
	if (rv == 0) {
		commit_dh(s, msg + 1, rk, ck, n);
		lc_skipped_evict(&s->sk, s->max_stored);
	} else {
		lc_skipped_truncate(&s->sk, mark);
	}
	sodium_memzero(ck_old, sizeof ck_old);
	sodium_memzero(rk, sizeof rk);
	sodium_memzero(ck, sizeof ck);
	sodium_memzero(mk, sizeof mk);
	return rv;
}

static int is_previous_key(const lc_ratchet *s, const uint8_t *dh)
{
	for (unsigned i = 0; i < s->n_prev; i++)
		if (memcmp(s->prev_dhr[i], dh, 32) == 0)
			return 1;
	return 0;
}

int lc_ratchet_decrypt_inner(lc_ratchet *s, const uint8_t *msg, size_t len,
			     uint8_t *pt, size_t pt_cap, size_t *pt_len)
{
	const uint8_t *dh = msg + 1;
	uint32_t pn, n;
	size_t body;
	int i, rv;

	rv = lc_msg_check(msg, len, LC_MSG_RATCHET);
	if (rv == LC_ERR_MALFORMED)
		return len == 0 ? LC_ERR_DECRYPT : LC_ERR_UNSUPPORTED;
	if (rv != 0)
		return rv;
	if (len < LC_RATCHET_OVERHEAD)
		return LC_ERR_DECRYPT;
	body = len - LC_RATCHET_OVERHEAD;
	if (pt_cap < body)
		return LC_ERR_BUFFER_TOO_SMALL;
	pn = lc_get32(msg + 33);
	n = lc_get32(msg + 37);

	i = s->sk.n > 0 ? lc_skipped_find(&s->sk, dh, n) : -1;
	if (i >= 0) {
		rv = open_body(s, s->sk.e[i].mk, msg, len, pt);
		if (rv == 0)
			lc_skipped_remove(&s->sk, (size_t)i);
	} else if (s->has_dhr && memcmp(dh, s->dhr, 32) == 0) {
		if (!s->has_ckr)
			return LC_ERR_DECRYPT; /* our own prekey's chain */
		if (n < s->nr)
			return LC_ERR_DUPLICATE_MESSAGE;
		if (n - s->nr > s->max_skip)
			return LC_ERR_TOO_MANY_SKIPPED;
		rv = chain_step(s, msg, len, n, pt);
	} else if (is_previous_key(s, dh)) {
		/* Every key of an old chain up to its end was used or stored
		 * as skipped: what is not in the store was read already. */
		return LC_ERR_DUPLICATE_MESSAGE;
	} else {
		rv = dh_step(s, msg, len, pn, n, pt);
	}
	if (rv == 0)
		*pt_len = body;
	return rv;
}

int lc_ratchet_decrypt(lc_ratchet *s, const uint8_t *msg, size_t len,
		       uint8_t *pt, size_t pt_cap, size_t *pt_len)
{
	int kind;

	if (s == NULL || pt_len == NULL || (msg == NULL && len > 0) ||
	    (pt == NULL && pt_cap > 0))
		return LC_ERR_INVALID_ARG;
	if (len == 0)
		return LC_ERR_DECRYPT;
	kind = lc_crypto_message_type(msg, len);
	if (kind == LC_MSG_PREKEY) {
		/* A later prekey message of the session this one answered. */
		if (len < LC_PREKEY_HEADER_LEN)
			return LC_ERR_DECRYPT;
		if (s->role != LC_ROLE_RESPONDER ||
		    memcmp(msg, s->x3dh, LC_PREKEY_HEADER_LEN) != 0)
			return LC_ERR_NO_SESSION;
		msg += LC_PREKEY_HEADER_LEN;
		len -= LC_PREKEY_HEADER_LEN;
	} else if (kind != LC_MSG_RATCHET) {
		return LC_ERR_UNSUPPORTED;
	}
	return lc_ratchet_decrypt_inner(s, msg, len, pt, pt_cap, pt_len);
}
