/* Write the seed corpora of the crypto harnesses (run by hand when a
 * format changes: build/fuzz/gen-crypto-seeds fuzz/corpus). Seeds are
 * genuine messages and states of the deterministic fixtures, so the
 * fuzzers start from inputs that pass every check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_fixture.h"

static const char *root;

static void put(const char *dir, const char *name, uint8_t first,
		const uint8_t *b, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s/%s", root, dir, name);
	f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	if (first != 0xff)
		fputc(first, f);
	fwrite(b, 1, n, f);
	fclose(f);
}

static void bundles(void)
{
	lc_identity *id;
	lc_prekeys *pk;
	lc_prekey_bundle b;
	uint8_t out[512];
	size_t n;

	fx_die(lc_identity_new(&id, NULL, NULL));
	fx_die(lc_prekeys_new(&pk, id, NULL, NULL));
	fx_die(lc_prekeys_generate(pk, 1));
	fx_die(lc_prekeys_bundle(pk, id, 0, &b));
	strcpy(b.user_id, "alice");
	b.device_id = 3;
	fx_die(lc_prekey_bundle_serialize(&b, out, sizeof out, &n));
	put("prekey_bundle", "with-one-time", 0xff, out, n);
	fx_die(lc_prekeys_bundle(pk, id, LC_BUNDLE_NO_ONE_TIME, &b));
	memset(b.user_id, 'u', LC_BUNDLE_USER_ID_MAX);
	fx_die(lc_prekey_bundle_serialize(&b, out, sizeof out, &n));
	put("prekey_bundle", "no-one-time-long-id", 0xff, out, n);
	lc_prekeys_free(pk);
	lc_identity_free(id);
}

static void ratchet(void)
{
	static const unsigned picks[][2] = {
		{ 0, 0 }, { 0, 3 }, { 0, 6 }, { 0, 11 }, { 4, 2 },
		{ 6, 6 }, { 6, 9 }, { 8, 7 }, { 12, 11 },
	};
	static struct fx_ratchet fx;
	static struct fx_pair fp;
	char name[64];

	fx_ratchet_build(&fx);
	fx_pair_build(&fp);
	for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++) {
		const struct fx_msg *m = &fx.m[picks[i][1]];

		snprintf(name, sizeof name, "after-%u-msg-%u", picks[i][0],
			 picks[i][1]);
		put("ratchet_decrypt", name, (uint8_t)picks[i][0], m->b, m->n);
	}
	put("crypto_state", "session", 0, fx.snap, fx.snap_len);
	/* Alice has read Bob's reply: her sending half is due (version 2). */
	put("crypto_state", "session-send-due", 0, fp.snap[0], fp.snap_len[0]);
}

static void group(void)
{
	static struct fx_group fx;
	uint8_t out[4096];
	lc_sender_key *k;
	size_t n;
	char name[64];

	fx_group_build(&fx);
	for (unsigned i = 0; i < FX_MSGS; i += 3) {
		snprintf(name, sizeof name, "after-%u-msg-%u", i / 2, i);
		put("sender_key_decrypt", name, (uint8_t)(i / 2), fx.m[i].b,
		    fx.m[i].n);
	}
	fx_die(lc_sender_key_from_distribution(&k, fx.dist, fx.dist_len,
					       NULL));
	fx_die(lc_sender_key_decrypt(k, fx.m[3].b, fx.m[3].n, out, sizeof out,
				     &n));
	fx_die(lc_sender_key_serialize(k, out, sizeof out, &n));
	put("crypto_state", "sender-key", 1, out, n);
	lc_sender_key_free(k);
}

static void prekeys(void)
{
	lc_identity *id;
	lc_prekeys *pk;
	static uint8_t out[4096];
	size_t n;

	fx_die(lc_identity_new(&id, NULL, NULL));
	fx_die(lc_prekeys_new(&pk, id, NULL, NULL));
	fx_die(lc_prekeys_generate(pk, 3));
	fx_die(lc_prekeys_rotate_signed(pk, id));
	fx_die(lc_prekeys_serialize(pk, out, sizeof out, &n));
	put("crypto_state", "prekeys", 2, out, n);
	lc_prekeys_free(pk);
	lc_identity_free(id);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-ROOT\n", argv[0]);
		return 2;
	}
	root = argv[1];
	bundles();
	ratchet();
	group();
	prekeys();
	return 0;
}
