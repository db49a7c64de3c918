/* Write the seed corpus of fuzz_server_envelope: realistic requests that
 * address the harness's real users (its ids follow from a fixed seed),
 * one filled Envelope per body, and a stream of all of them. Each seed is
 * a sequence of 2-byte big-endian lengths and Envelopes.
 *   build/tests/unit/gen-server-seeds fuzz/corpus/server_envelope */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fuzz/fuzz_server_setup.h"
#include "pbfill.h"

static uint8_t all[1 << 20];
static size_t all_len;

static int write_seed(const char *dir, const char *name, const lc_envelope *e)
{
	uint8_t buf[2 + LC_ENVELOPE_MAX];
	char path[4096];
	int n = lc_envelope_pack(e, buf + 2, sizeof buf - 2);
	FILE *f;

	if (n < 0)
		return -1;
	buf[0] = (uint8_t)(n >> 8);
	buf[1] = (uint8_t)n;
	if (all_len + (size_t)n + 2 <= sizeof all) {
		memcpy(all + all_len, buf, (size_t)n + 2);
		all_len += (size_t)n + 2;
	}
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, (size_t)n + 2, f) != (size_t)n + 2) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

static int realistic(const char *dir, const struct fz *f)
{
	static uint8_t mid[16] = { 1, 2, 3 }, key[32] = { 9 };
	Libchat__Address to = LIBCHAT__ADDRESS__INIT;
	Libchat__Ciphertext ct = LIBCHAT__CIPHERTEXT__INIT, *cp = &ct;
	Libchat__Send s = LIBCHAT__SEND__INIT;
	Libchat__GroupCreate gc = LIBCHAT__GROUP_CREATE__INIT;
	Libchat__PrekeyFetch pf = LIBCHAT__PREKEY_FETCH__INIT;
	Libchat__PresenceSubscribe ps = LIBCHAT__PRESENCE_SUBSCRIBE__INIT;
	Libchat__Receipt r = LIBCHAT__RECEIPT__INIT;
	Libchat__KeysUpload ku = LIBCHAT__KEYS_UPLOAD__INIT;
	ProtobufCBinaryData ids[1] = { { 16, mid } };
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	char *uid_b = (char *)f->who_b.uid;
	int rc = 0;

	to.user_id = uid_b;
	to.device_id = f->who_b.dev;
	ct.to = &to;
	ct.type = LIBCHAT__CIPHER_TYPE__CIPHER_RATCHET;
	ct.body.data = key;
	ct.body.len = sizeof key;
	s.message_id.data = mid;
	s.message_id.len = 16;
	s.copies = &cp;
	s.n_copies = 1;
	e.request_id = 7;
	e.body_case = LIBCHAT__ENVELOPE__BODY_SEND;
	e.send = &s;
	rc |= write_seed(dir, "send-to-b", &e);
	gc.name = "g";
	gc.member_user_ids = &uid_b;
	gc.n_member_user_ids = 1;
	e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_CREATE;
	e.group_create = &gc;
	rc |= write_seed(dir, "group-create", &e);
	pf.user_id = uid_b;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PREKEY_FETCH;
	e.prekey_fetch = &pf;
	rc |= write_seed(dir, "prekey-fetch-b", &e);
	ps.user_ids = &uid_b;
	ps.n_user_ids = 1;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PRESENCE_SUBSCRIBE;
	e.presence_subscribe = &ps;
	rc |= write_seed(dir, "presence-b", &e);
	r.type = LIBCHAT__RECEIPT_TYPE__RECEIPT_READ;
	r.peer = &to;
	r.message_ids = ids;
	r.n_message_ids = 1;
	e.body_case = LIBCHAT__ENVELOPE__BODY_RECEIPT;
	e.receipt = &r;
	rc |= write_seed(dir, "read-receipt-b", &e);
	ku.identity_key.data = key;
	ku.identity_key.len = 32;
	e.body_case = LIBCHAT__ENVELOPE__BODY_KEYS_UPLOAD;
	e.keys_upload = &ku;
	rc |= write_seed(dir, "keys-upload", &e);
	return rc;
}

int main(int argc, char **argv)
{
	const ProtobufCMessageDescriptor *d = &libchat__envelope__descriptor;
	char tmp[] = "/tmp/lc-seeds-XXXXXX", cmd[96], path[4096];
	struct fz f;
	FILE *out;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	if (mkdtemp(tmp) == NULL)
		return 1;
	fz_setup(&f, tmp);
	rc = realistic(argv[1], &f);
	for (unsigned i = 0; i < d->n_fields; i++) {
		struct lc_test_arena a = { .n = 0 };
		lc_envelope e;
		char name[64];

		if (d->fields[i].id == 1)
			continue;
		libchat__envelope__init(&e);
		e.request_id = d->fields[i].id;
		if (lc_pb_fill_field(&a, &e.base, d->fields[i].id, i) == 0) {
			snprintf(name, sizeof name, "body-%s", d->fields[i].name);
			rc |= write_seed(argv[1], name, &e);
		}
		lc_test_arena_free(&a);
	}
	snprintf(path, sizeof path, "%s/stream-all", argv[1]);
	out = fopen(path, "wb");
	if (out == NULL || fwrite(all, 1, all_len, out) != all_len)
		rc = 1;
	if (out)
		fclose(out);
	lc_server_conn_close(f.a, f.now);
	lc_server_conn_close(f.b, f.now);
	lc_server_free(f.s);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	return (system(cmd) != 0 || rc) ? 1 : 0;
}
