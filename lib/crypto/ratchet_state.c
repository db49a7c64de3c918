/* Sessions to and from a versioned byte string (doc/protocol.md,
 * "Session serialisation"). The encoding is canonical: a parsed session
 * serialises back to the same bytes, and anything else is refused. */
#include <string.h>

#include <sodium.h>

#include <libchat/error.h>

#include "ratchet.h"

/* Version 2 is version 1 for a session whose sending half of the last
 * DH ratchet step is due (F_SEND_DUE, required): DHs and CKs are left
 * out. Other sessions are still written as version 1, so their bytes are
 * unchanged and older readers keep reading them. */
#define SESSION_VERSION 1
#define SESSION_VERSION_SEND_DUE 2

#define F_RESPONDER 0x01
#define F_PENDING 0x02
#define F_CKR 0x04
#define F_SEND_DUE 0x08
#define F_ALL (F_RESPONDER | F_PENDING | F_CKR)

#define SKIPPED_LEN (32 + 4 + 32)

/* The X3DH message is kept while it can still be needed: by an initiator
 * until answered, by a responder to recognise later prekey messages. */
static int keeps_x3dh(const lc_ratchet *s)
{
	return s->pending || s->role == LC_ROLE_RESPONDER;
}

size_t lc_ratchet_serialized_size(const lc_ratchet *s)
{
	return 2 + LC_X3DH_AD_LEN +
	       (keeps_x3dh(s) ? LC_PREKEY_HEADER_LEN : 0) +
	       32 * 2 + (s->send_due ? 0 : 32 * 3) + (s->has_ckr ? 32 : 0) +
	       8 + 8 + 4 + 1 +
	       32 * (size_t)s->n_prev + 4 + SKIPPED_LEN * s->sk.n;
}

static uint8_t *put(uint8_t *p, const void *v, size_t n)
{
	memcpy(p, v, n);
	return p + n;
}

int lc_ratchet_serialize(const lc_ratchet *s, uint8_t *out, size_t cap,
			 size_t *out_len)
{
	size_t need;
	uint8_t *p = out;

	if (s == NULL || out == NULL || out_len == NULL)
		return LC_ERR_INVALID_ARG;
	need = lc_ratchet_serialized_size(s);
	if (cap < need)
		return LC_ERR_BUFFER_TOO_SMALL;
	*p++ = s->send_due ? SESSION_VERSION_SEND_DUE : SESSION_VERSION;
	*p++ = (uint8_t)((s->role == LC_ROLE_RESPONDER ? F_RESPONDER : 0) |
			 (s->pending ? F_PENDING : 0) |
			 (s->has_ckr ? F_CKR : 0) |
			 (s->send_due ? F_SEND_DUE : 0));
	p = put(p, s->ad, sizeof s->ad);
	if (keeps_x3dh(s))
		p = put(p, s->x3dh, sizeof s->x3dh);
	p = put(p, s->rk, 32);
	if (!s->send_due) {
		p = put(p, s->dhs_sk, 32);
		p = put(p, s->dhs_pk, 32);
	}
	p = put(p, s->dhr, 32);
	if (!s->send_due)
		p = put(p, s->cks, 32);
	if (s->has_ckr)
		p = put(p, s->ckr, 32);
	lc_put64(p, s->ns);
	lc_put64(p + 8, s->nr);
	lc_put32(p + 16, s->pn);
	p += 20;
	*p++ = s->n_prev;
	for (unsigned i = 0; i < s->n_prev; i++)
		p = put(p, s->prev_dhr[i], 32);
	lc_put32(p, (uint32_t)s->sk.n);
	p += 4;
	for (size_t i = 0; i < s->sk.n; i++) {
		p = put(p, s->sk.e[i].dh, 32);
		lc_put32(p, s->sk.e[i].n);
		p = put(p + 4, s->sk.e[i].mk, 32);
	}
	*out_len = need;
	return 0;
}

/* The flags byte: F_SEND_DUE is set exactly in version 2. */
static int parse_flags(lc_ratchet *s, lc_rd *r, uint8_t version)
{
	uint8_t flags = lc_rd_u8(r);
	uint8_t due = version == SESSION_VERSION_SEND_DUE ? F_SEND_DUE : 0;

	if ((flags & ~(F_ALL | F_SEND_DUE)) || (flags & F_SEND_DUE) != due)
		return LC_ERR_MALFORMED;
	s->role = (flags & F_RESPONDER) ? LC_ROLE_RESPONDER : LC_ROLE_INITIATOR;
	s->pending = (flags & F_PENDING) ? 1 : 0;
	s->has_ckr = (flags & F_CKR) ? 1 : 0;
	s->send_due = due ? 1 : 0;
	s->has_dhr = 1;
	s->has_cks = !s->send_due;
	/* A responder never sends prekey messages; a pending initiator has
	 * received nothing; a sending half is due only after receiving. */
	if (s->pending && (s->role == LC_ROLE_RESPONDER || s->has_ckr))
		return LC_ERR_MALFORMED;
	if (s->send_due && (s->pending || !s->has_ckr))
		return LC_ERR_MALFORMED;
	return 0;
}

static int parse_fixed(lc_ratchet *s, lc_rd *r, uint8_t version)
{
	int rv;

	if ((rv = parse_flags(s, r, version)) != 0)
		return rv;
	lc_rd_bytes(r, s->ad, sizeof s->ad);
	if (keeps_x3dh(s)) {
		lc_rd_bytes(r, s->x3dh, sizeof s->x3dh);
		if (s->x3dh[0] != LC_MSG_BYTE(LC_MSG_PREKEY) || s->x3dh[69] > 1)
			return LC_ERR_MALFORMED;
	}
	lc_rd_bytes(r, s->rk, 32);
	if (!s->send_due) {
		lc_rd_bytes(r, s->dhs_sk, 32);
		lc_rd_bytes(r, s->dhs_pk, 32);
	}
	lc_rd_bytes(r, s->dhr, 32);
	if (!s->send_due)
		lc_rd_bytes(r, s->cks, 32);
	if (s->has_ckr)
		lc_rd_bytes(r, s->ckr, 32);
	s->ns = lc_rd_u64(r);
	s->nr = lc_rd_u64(r);
	s->pn = lc_rd_u32(r);
	s->n_prev = lc_rd_u8(r);
	if (r->bad || s->ns > LC_CHAIN_SPENT || s->nr > LC_CHAIN_SPENT ||
	    (!s->has_ckr && s->nr != 0) || (s->send_due && s->ns != 0) ||
	    s->n_prev > LC_PREV_DHR)
		return LC_ERR_MALFORMED;
	for (unsigned i = 0; i < s->n_prev; i++)
		lc_rd_bytes(r, s->prev_dhr[i], 32);
	return r->bad ? LC_ERR_MALFORMED : 0;
}

static int parse_skipped(lc_ratchet *s, lc_rd *r)
{
	uint32_t n = lc_rd_u32(r);
	int rv;

	if (r->bad || n > LC_MAX_STORED_LIMIT ||
	    r->left != (size_t)n * SKIPPED_LEN)
		return LC_ERR_MALFORMED;
	if (n > 0 && (rv = lc_secure_grow(&s->mem, (void **)&s->sk.e,
					  &s->sk.cap, n, sizeof *s->sk.e)))
		return rv;
	for (uint32_t i = 0; i < n; i++) {
		struct lc_skipped *e = &s->sk.e[i];

		lc_rd_bytes(r, e->dh, 32);
		e->n = lc_rd_u32(r);
		lc_rd_bytes(r, e->mk, 32);
	}
	s->sk.n = n;
	if (n > s->max_stored)
		s->max_stored = n > LC_MAX_STORED_LIMIT ? LC_MAX_STORED_LIMIT : n;
	return 0;
}

int lc_ratchet_parse(lc_ratchet **out, const uint8_t *buf, size_t len,
		     const lc_allocator *mem, const lc_rng *rng)
{
	lc_rd r = { buf, len, 0 };
	lc_ratchet *s;
	int rv;

	if (out == NULL || (buf == NULL && len > 0))
		return LC_ERR_INVALID_ARG;
	*out = NULL;
	if (len < 1)
		return LC_ERR_MALFORMED;
	if (buf[0] != SESSION_VERSION && buf[0] != SESSION_VERSION_SEND_DUE)
		return LC_ERR_SESSION_VERSION;
	r.p++;
	r.left--;
	if ((rv = lc_ratchet_alloc(&s, mem, rng)) != 0)
		return rv;
	if ((rv = parse_fixed(s, &r, buf[0])) != 0 || (rv = parse_skipped(s, &r)) != 0) {
		lc_ratchet_free(s);
		return rv;
	}
	*out = s;
	return 0;
}
