/* A small deterministic server for fuzz_server_envelope and its seed
 * generator: two registered users, A (whose connection is fuzzed) and B,
 * with user ids that follow from a fixed random seed, so seeds can
 * address real users and devices. */
#ifndef LC_FUZZ_SERVER_SETUP_H
#define LC_FUZZ_SERVER_SETUP_H

#include <stdlib.h>
#include <string.h>

#include <libchat/server.h>

#include "envelope.h"
#include "server_int.h"

#define FZ_PHONE_A "+15550000001"
#define FZ_PHONE_B "+15550000002"
#define FZ_PASSWORD "fuzz password"

struct fz {
	lc_server *s;
	lc_server_conn *a, *b;
	lc_addr who_a, who_b;
	uint64_t rng, now;
};

static void fz_fill(void *buf, size_t len, void *ud)
{
	uint64_t *st = ud;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		*st ^= *st << 13;
		*st ^= *st >> 7;
		*st ^= *st << 17;
		p[i] = (uint8_t)*st;
	}
}

/* Drain conn's output; every Envelope the server writes must parse. */
static void fz_drain(lc_server_conn *c)
{
	const uint8_t *p;
	size_t n;

	while (lc_srv_conn_pop(c, &p, &n)) {
		lc_envelope *e = NULL;
		if (lc_envelope_unpack(p, n, NULL, &e) != 0)
			abort();
		lc_envelope_free(e, NULL);
	}
}

static void fz_flush(struct fz *f)
{
	int rc = lc_server_flush(f->s, f->now);

	if (rc != 0 && rc != LC_ERR_STORE_FULL)
		abort();
	fz_drain(f->a);
	fz_drain(f->b);
}

static void fz_feed(struct fz *f, lc_server_conn *c, const lc_envelope *e)
{
	uint8_t buf[LC_ENVELOPE_MAX];
	int n = lc_envelope_pack(e, buf, sizeof buf);

	if (n <= 0)
		abort();
	(void)lc_srv_conn_payload(c, buf, (size_t)n, f->now);
}

/* Authenticate c as the owner of phone: register it, or log in. */
static void fz_auth(struct fz *f, lc_server_conn *c, const char *phone,
		    lc_addr *who)
{
	Libchat__Register r = LIBCHAT__REGISTER__INIT;
	Libchat__PasswordCredential p = LIBCHAT__PASSWORD_CREDENTIAL__INIT;
	Libchat__Login l = LIBCHAT__LOGIN__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	r.identifier_case = LIBCHAT__REGISTER__IDENTIFIER_PHONE;
	r.phone = (char *)phone;
	r.display_name = "fuzz";
	r.password = FZ_PASSWORD;
	e.request_id = 1;
	e.body_case = LIBCHAT__ENVELOPE__BODY_REGISTER;
	e.register_ = &r;
	fz_feed(f, c, &e);
	if (!lc_srv_conn_authed(c, who)) {
		p.identifier_case = LIBCHAT__PASSWORD_CREDENTIAL__IDENTIFIER_PHONE;
		p.phone = (char *)phone;
		p.password = FZ_PASSWORD;
		l.credential_case = LIBCHAT__LOGIN__CREDENTIAL_PASSWORD;
		l.password = &p;
		e.body_case = LIBCHAT__ENVELOPE__BODY_LOGIN;
		e.login = &l;
		fz_feed(f, c, &e);
	}
	if (!lc_srv_conn_authed(c, who))
		abort();
	fz_flush(f);
}

static lc_server_conn *fz_conn(struct fz *f, uint8_t key_byte)
{
	uint8_t key[32];
	lc_server_conn *c;

	memset(key, key_byte, sizeof key);
	/* from an address, so the per-address limits run too */
	if (lc_server_conn_open_peer(f->s, &c, key, 4, NULL, f->now) != 0)
		abort();
	lc_srv_conn_set_device_key(c, key);
	return c;
}

/* dir must exist and be empty. */
static void fz_setup(struct fz *f, const char *dir)
{
	lc_server_config cfg;
	lc_rng rng;

	memset(f, 0, sizeof *f);
	memset(&cfg, 0, sizeof cfg);
	f->rng = 0x9e3779b97f4a7c15ull;
	f->now = 1700000000000ull;
	rng.fill = fz_fill;
	rng.user_data = &f->rng;
	cfg.version = LC_SERVER_CONFIG_VERSION;
	cfg.data_dir = dir;
	cfg.map_size = 256u << 20;
	cfg.rng = &rng;
	cfg.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MIN;
	cfg.pwhash_memlimit = crypto_pwhash_MEMLIMIT_MIN;
	cfg.rate_per_minute = 1000000;
	cfg.register_per_hour = 1000000;   /* re-authentication never waits */
	cfg.login_failures_per_hour = 1000000;
	if (lc_server_new(&f->s, &cfg, NULL, NULL) != 0)
		abort();
	f->a = fz_conn(f, 0xaa);
	f->b = fz_conn(f, 0xbb);
	fz_auth(f, f->a, FZ_PHONE_A, &f->who_a);
	fz_auth(f, f->b, FZ_PHONE_B, &f->who_b);
}

#endif
