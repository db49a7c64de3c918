/* X3DH (Signal's specification, revision 1) with Ed25519 identity keys used
 * in their X25519 form: SK = HKDF(salt = 32 zero bytes, IKM = 32 0xFF bytes
 * || DH1 || DH2 || DH3 [|| DH4], info = "libchat X3DH v1"), AD = IK_A ||
 * IK_B. The initial message travels in front of the first ratchet
 * messages (doc/protocol.md). */
#include <string.h>

#include <sodium.h>

#include <libchat/error.h>

#include "hkdf.h"
#include "ratchet.h"

#define KM_MAX (32 * 5)

static const uint8_t x3dh_info[] = "libchat X3DH v1";

/* The material accumulated for the KDF: F, then each DH output. */
struct km {
	uint8_t b[KM_MAX];
	size_t n;
};

static int km_dh(struct km *k, const uint8_t *sk, const uint8_t *pk)
{
	int rv = lc_x25519(k->b + k->n, sk, pk);

	k->n += 32;
	return rv;
}

static void km_finish(struct km *k, uint8_t *sk_out)
{
	(void)lc_hkdf_sha256(sk_out, 32, NULL, 0, k->b, k->n, x3dh_info,
			     sizeof x3dh_info - 1);
	sodium_memzero(k, sizeof *k);
}

static void km_init(struct km *k)
{
	memset(k->b, 0xff, 32);
	k->n = 32;
}

/* The initial message: kind, IK_A, EK_A, SPK id, flags, OPK id. */
static void write_header(uint8_t *h, const uint8_t *ik, const uint8_t *ek,
			 const lc_prekey_bundle *b)
{
	h[0] = LC_MSG_BYTE(LC_MSG_PREKEY);
	memcpy(h + 1, ik, 32);
	memcpy(h + 33, ek, 32);
	lc_put32(h + 65, b->signed_prekey_id);
	h[69] = b->has_one_time_prekey ? 1 : 0;
	lc_put32(h + 70, b->has_one_time_prekey ? b->one_time_prekey_id : 0);
}

static int initiator_keys(lc_ratchet *s, const lc_identity *me,
			  const lc_prekey_bundle *b, const uint8_t *ik_b_x)
{
	uint8_t ek_sk[32], ek_pk[32], sk[32], dh[32];
	struct km k;
	int rv;

	lc_x25519_keypair(&s->rng, ek_sk, ek_pk);
	km_init(&k);
	if ((rv = km_dh(&k, me->x_sk, b->signed_prekey)) == 0 &&
	    (rv = km_dh(&k, ek_sk, ik_b_x)) == 0 &&
	    (rv = km_dh(&k, ek_sk, b->signed_prekey)) == 0 &&
	    b->has_one_time_prekey)
		rv = km_dh(&k, ek_sk, b->one_time_prekey);
	km_finish(&k, sk);
	if (rv == 0) {
		write_header(s->x3dh, me->ed_pk, ek_pk, b);
		/* RatchetInitAlice: DHs fresh, DHr = SPK_B. */
		lc_x25519_keypair(&s->rng, s->dhs_sk, s->dhs_pk);
		memcpy(s->dhr, b->signed_prekey, 32);
		rv = lc_x25519(dh, s->dhs_sk, s->dhr);
		lc_kdf_rk(sk, dh, s->rk, s->cks);
	}
	sodium_memzero(ek_sk, sizeof ek_sk);
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(dh, sizeof dh);
	return rv;
}

int lc_x3dh_initiate(lc_ratchet **out, const lc_identity *me,
		     const lc_prekey_bundle *b, const lc_allocator *mem,
		     const lc_rng *rng)
{
	uint8_t ik_b_x[32];
	lc_ratchet *s;
	int rv;

	if (out == NULL || me == NULL || b == NULL)
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((rv = lc_crypto_init()) != 0)
		return rv;
	if (crypto_sign_verify_detached(b->signed_prekey_signature,
					b->signed_prekey, 32,
					b->identity_key) != 0)
		return LC_ERR_BAD_SIGNATURE;
	if (crypto_sign_ed25519_pk_to_curve25519(ik_b_x, b->identity_key))
		return LC_ERR_BAD_KEY;
	if ((rv = lc_ratchet_alloc(&s, mem, rng)) != 0)
		return rv;
	s->role = LC_ROLE_INITIATOR;
	memcpy(s->ad, me->ed_pk, 32);
	memcpy(s->ad + 32, b->identity_key, 32);
	if ((rv = initiator_keys(s, me, b, ik_b_x)) != 0) {
		lc_ratchet_free(s);
		return rv;
	}
	s->has_dhr = 1;
	s->has_cks = 1;
	s->pending = 1;
	*out = s;
	return 0;
}

int lc_prekey_message_identity(const uint8_t *msg, size_t len,
			       uint8_t *identity_key)
{
	int rv;

	if (identity_key == NULL || (msg == NULL && len > 0))
		return LC_ERR_INVALID_ARG;
	if ((rv = lc_msg_check(msg, len, LC_MSG_PREKEY)) != 0)
		return rv;
	if (len < LC_PREKEY_OVERHEAD)
		return LC_ERR_MALFORMED;
	memcpy(identity_key, msg + 1, 32);
	return 0;
}

static int responder_keys(lc_ratchet *s, const lc_identity *me,
			  const struct lc_spk *spk, const struct lc_otpk *otp,
			  const uint8_t *msg)
{
	uint8_t ik_a_x[32];
	struct km k;
	int rv;

	if (crypto_sign_ed25519_pk_to_curve25519(ik_a_x, msg + 1) != 0)
		return LC_ERR_BAD_KEY;
	km_init(&k);
	if ((rv = km_dh(&k, spk->sk, ik_a_x)) == 0 &&
	    (rv = km_dh(&k, me->x_sk, msg + 33)) == 0 &&
	    (rv = km_dh(&k, spk->sk, msg + 33)) == 0 && otp != NULL)
		rv = km_dh(&k, otp->sk, msg + 33);
	/* RatchetInitBob: DHs = the signed prekey, RK = SK. */
	km_finish(&k, s->rk);
	memcpy(s->dhs_sk, spk->sk, 32);
	memcpy(s->dhs_pk, spk->pk, 32);
	return rv;
}

int lc_x3dh_respond(lc_ratchet **out, const lc_identity *me, lc_prekeys *pk,
		    const uint8_t *msg, size_t len, uint8_t *pt,
		    size_t pt_cap, size_t *pt_len, const lc_allocator *mem,
		    const lc_rng *rng)
{
	const struct lc_spk *spk;
	int otp = -1;
	lc_ratchet *s;
	int rv;

	if (out == NULL || me == NULL || pk == NULL || pt_len == NULL ||
	    (msg == NULL && len > 0) || (pt == NULL && pt_cap > 0))
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if ((rv = lc_msg_check(msg, len, LC_MSG_PREKEY)) != 0)
		return rv;
	if (len < LC_PREKEY_OVERHEAD || msg[69] > 1 ||
	    (msg[69] == 0 && lc_get32(msg + 70) != 0))
		return LC_ERR_MALFORMED;
	if ((spk = lc_prekeys_find_signed(pk, lc_get32(msg + 65))) == NULL)
		return LC_ERR_UNKNOWN_PREKEY;
	if (msg[69] == 1 &&
	    (otp = lc_prekeys_find_one_time(pk, lc_get32(msg + 70))) < 0)
		return otp;
	if ((rv = lc_ratchet_alloc(&s, mem, rng)) != 0)
		return rv;
	s->role = LC_ROLE_RESPONDER;
	memcpy(s->ad, msg + 1, 32);
	memcpy(s->ad + 32, me->ed_pk, 32);
	memcpy(s->x3dh, msg, LC_PREKEY_HEADER_LEN);
	rv = responder_keys(s, me, spk, otp >= 0 ? &pk->otp[otp] : NULL, msg);
	if (rv == 0)
		rv = lc_ratchet_decrypt_inner(s, msg + LC_PREKEY_HEADER_LEN,
					      len - LC_PREKEY_HEADER_LEN, pt,
					      pt_cap, pt_len);
	if (rv != 0) {
		lc_ratchet_free(s);
		return rv;
	}
	if (otp >= 0)
		lc_prekeys_remove(pk, (size_t)otp);
	*out = s;
	return 0;
}
