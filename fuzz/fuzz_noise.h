/* Shared by fuzz_noise_server.c and fuzz_noise_client.c: drive one side
 * of an lc_noise_conn (the target) with fuzzer-chosen operations, its
 * peer being a genuine connection. Everything is deterministic: keys and
 * ephemeral keys come from a generator reset for every input.
 *
 * Input: byte 0 picks the mode (bit 0: the peer first completes a genuine
 * handshake; bit 1: IK instead of XX; bits 2-7: read split size). Then
 * operations, each an opcode byte and arguments:
 *   0 len data..   raw bytes to the target
 *   1 hi lo        the peer sends a payload of (hi lo) % 65520 bytes,
 *                  delivered intact
 *   2 hi lo x      the peer's next payload, one byte XORed with x at
 *                  offset (hi lo) before delivery
 *   3              the last delivered bytes again (a replay)
 *   4 n            drop the peer's next n frames' worth of output
 *   5              the target sends a payload to the peer
 * Invariants (abort() when broken): every error is fatal and sticky;
 * intact payloads arrive intact; no output after an error. */
#ifndef LC_FUZZ_NOISE_H
#define LC_FUZZ_NOISE_H

#include <stdlib.h>
#include <string.h>

#include <libchat/frame.h>
#include <libchat/noise.h>

#include "fuzz.h"

static void fz_fill(void *buf, size_t len, void *ud)
{
	uint64_t *s = ud;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		*s ^= *s >> 12;
		*s ^= *s << 25;
		*s ^= *s >> 27;
		p[i] = (uint8_t)((*s * 0x2545f4914f6cdd1dull) >> 56);
	}
}

typedef struct fz {
	lc_noise_conn *target, *peer;
	size_t split;
	uint8_t *last;           /* last bytes delivered to the target */
	size_t last_len;
	int dead;
	int tampered;            /* raw, replayed, altered or dropped bytes */
	int expect_payload;      /* an intact payload is in flight */
	uint8_t want[LC_ENVELOPE_MAX];
	size_t want_len;
} fz;

static int fz_error_known(int rv)
{
	switch (rv) {
	case LC_ERR_BAD_PROLOGUE: case LC_ERR_VERSION: case LC_ERR_MALFORMED:
	case LC_ERR_NOISE_BAD_LENGTH: case LC_ERR_NOISE_DECRYPT:
	case LC_ERR_NOISE_REPLAY: case LC_ERR_NOISE_NONCE_EXHAUSTED:
	case LC_ERR_NOISE_KEY_MISMATCH: case LC_ERR_NOISE_BAD_KEY:
	case LC_ERR_NOMEM:
		return 1;
	default:
		return 0;
	}
}

/* Feed bytes to the target in split-sized reads. */
static void fz_feed(fz *f, const uint8_t *in, size_t len)
{
	size_t pos = 0;

	free(f->last);
	f->last = malloc(len ? len : 1);
	if (f->last == NULL)
		abort();
	if (len)
		memcpy(f->last, in, len);
	f->last_len = len;
	while (pos < len && !f->dead) {
		size_t end = pos + f->split > len ? len : pos + f->split;
		while (pos < end) {
			size_t used;
			const uint8_t *p;
			size_t plen;
			int rv = lc_noise_conn_recv(f->target, in + pos,
						    end - pos, &used, &p, &plen);
			if (rv < 0) {
				if (!fz_error_known(rv) || !lc_err_is_fatal(rv) ||
				    lc_noise_conn_error(f->target) != rv ||
				    lc_noise_conn_want_read(f->target) ||
				    lc_noise_conn_want_write(f->target) ||
				    lc_noise_conn_recv(f->target, in, len, &used,
						       &p, &plen) != rv)
					abort();
				f->dead = 1;
				return;
			}
			if (used > end - pos || plen > LC_ENVELOPE_MAX)
				abort();
			pos += used;
			if (rv == 1 && f->expect_payload) {
				if (plen != f->want_len ||
				    memcmp(p, f->want, plen) != 0)
					abort();
				f->expect_payload = 0;
			}
		}
	}
}

/* Everything the peer has queued, to the target, optionally altered. */
static void fz_deliver(fz *f, size_t flip_at, uint8_t flip)
{
	const uint8_t *data;
	size_t n = lc_noise_conn_output(f->peer, &data);
	uint8_t *copy;

	if (n == 0)
		return;
	copy = malloc(n);
	if (copy == NULL)
		abort();
	memcpy(copy, data, n);
	(void)lc_noise_conn_output_consume(f->peer, n);
	if (flip)
		copy[flip_at % n] ^= flip;
	fz_feed(f, copy, n);
	free(copy);
}

/* The target's output to the peer; the peer must accept all of it. */
static void fz_answer(fz *f)
{
	const uint8_t *data;
	size_t n;

	while (!f->dead && (n = lc_noise_conn_output(f->target, &data)) > 0) {
		size_t pos = 0;
		while (pos < n) {
			size_t used;
			const uint8_t *p;
			size_t plen;
			int rv = lc_noise_conn_recv(f->peer, data + pos, n - pos,
						    &used, &p, &plen);
			if (rv < 0)
				return; /* the peer may reject what the fuzzer made */
			pos += used;
		}
		(void)lc_noise_conn_output_consume(f->target, n);
	}
}

static void fz_peer_send(fz *f, size_t len, size_t flip_at, uint8_t flip)
{
	static uint8_t buf[LC_ENVELOPE_MAX];

	if (!lc_noise_conn_is_established(f->peer))
		return;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 31 + len);
	if (lc_noise_conn_send(f->peer, buf, len) != 0)
		return;
	if (flip)
		f->tampered = 1;
	if (!f->tampered && lc_noise_conn_is_established(f->target)) {
		memcpy(f->want, buf, len);
		f->want_len = len;
		f->expect_payload = 1;
	}
	fz_deliver(f, flip_at, flip);
	if (!f->dead && f->expect_payload)
		abort(); /* an intact payload must arrive */
	f->expect_payload = 0;
}

static void fz_ops(fz *f, const uint8_t *d, size_t n)
{
	size_t pos = 0;

	while (pos < n && !f->dead) {
		uint8_t op = d[pos++] % 6;
		size_t len;

		if (op == 0 || op == 3 || op == 4)
			f->tampered = 1;
		switch (op) {
		case 0:
			if (pos >= n)
				return;
			len = d[pos++];
			if (len > n - pos)
				len = n - pos;
			fz_feed(f, d + pos, len);
			pos += len;
			fz_answer(f);
			break;
		case 1:
		case 2:
			if (n - pos < (op == 1 ? 2u : 3u))
				return;
			len = ((size_t)d[pos] << 8 | d[pos + 1]) % 65520;
			fz_peer_send(f, len, len, op == 2 ? (d[pos + 2] | 1) : 0);
			pos += op == 1 ? 2 : 3;
			break;
		case 3:
			if (f->last != NULL) {
				uint8_t *again = f->last;
				f->last = NULL;
				fz_feed(f, again, f->last_len);
				free(again);
			}
			break;
		case 4:
			if (pos < n) {
				const uint8_t *data;
				size_t k = lc_noise_conn_output(f->peer, &data);
				(void)lc_noise_conn_output_consume(f->peer, k);
				pos++;
			}
			break;
		default: {
			static const uint8_t msg[] = "payload";
			if (lc_noise_conn_is_established(f->target) &&
			    lc_noise_conn_send(f->target, msg, sizeof msg) != 0)
				f->dead = 1;
			fz_answer(f);
			break;
		}
		}
	}
}

static int fz_run(const uint8_t *data, size_t size, int target_server)
{
	uint64_t seed_t = 0x1234567, seed_p = 0x7654321, seed_k = 99;
	lc_rng rt = { fz_fill, &seed_t }, rp = { fz_fill, &seed_p };
	uint8_t ks[32], kc[32], kspub[32];
	fz f;
	unsigned ctl;
	int ik;

	if (size < 1)
		return 0;
	memset(&f, 0, sizeof f);
	ctl = data[0];
	ik = (ctl & 2) != 0;
	f.split = 1 + (ctl >> 2) * 7;
	fz_fill(ks, sizeof ks, &seed_k);
	fz_fill(kc, sizeof kc, &seed_k);
	crypto_scalarmult_base(kspub, ks);
	if (target_server) {
		if (lc_noise_conn_server_new(&f.target, ks, NULL, &rt) != 0 ||
		    lc_noise_conn_client_new(&f.peer, kc, ik ? kspub : NULL, 0,
					     NULL, &rp) != 0)
			abort();
	} else {
		if (lc_noise_conn_client_new(&f.target, kc, ik ? kspub : NULL,
					     0, NULL, &rt) != 0 ||
		    lc_noise_conn_server_new(&f.peer, ks, NULL, &rp) != 0)
			abort();
	}
	if (ctl & 1) {
		/* A genuine handshake first: both ends must complete it. */
		for (int i = 0; i < 3; i++) {
			fz_deliver(&f, 0, 0);
			fz_answer(&f);
		}
		if (f.dead || !lc_noise_conn_is_established(f.target))
			abort();
	} else if (!target_server) {
		/* The client's prologue and message 1 go nowhere. */
		const uint8_t *d;
		(void)lc_noise_conn_output_consume(f.target,
			lc_noise_conn_output(f.target, &d));
	}
	fz_ops(&f, data + 1, size - 1);
	(void)lc_noise_conn_finish(f.target);
	free(f.last);
	lc_noise_conn_free(f.target);
	lc_noise_conn_free(f.peer);
	return 0;
}

#endif
