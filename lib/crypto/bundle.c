/* Prekey bundles as the wire schema's PrekeyBundle message, so a bundle
 * has one format whether it travels in an Envelope or alone. */
#include <string.h>

#include <libchat/error.h>

#include "bundle.h"
#include "envelope.h"
#include "internal.h"

/* protobuf-c reports a failed allocation and bad input alike; the bridge
 * remembers a failure so parse can tell NOMEM from MALFORMED. */
struct pb_bridge {
	lc_allocator a;
	int failed;
};

static void *pb_alloc(void *ud, size_t n)
{
	struct pb_bridge *b = ud;
	void *p = lc_malloc(&b->a, n);

	if (p == NULL)
		b->failed = 1;
	return p;
}

static void pb_free(void *ud, void *p)
{
	struct pb_bridge *b = ud;
	lc_free(&b->a, p);
}

static int key_ok(const ProtobufCBinaryData *d, size_t want)
{
	return d->len == want && d->data != NULL;
}

int lc_prekey_bundle_from_pb(const Libchat__PrekeyBundle *m,
			     lc_prekey_bundle *out)
{
	lc_prekey_bundle b;
	const char *uid = "";
	size_t uid_len;

	memset(&b, 0, sizeof b);
	if (m->signed_prekey == NULL || m->identity_key.len == 0)
		return LC_ERR_MALFORMED;
	if (m->device != NULL) {
		uid = m->device->user_id ? m->device->user_id : "";
		b.device_id = m->device->device_id;
	}
	uid_len = strlen(uid);
	if (uid_len > LC_BUNDLE_USER_ID_MAX ||
	    !lc_utf8_valid((const uint8_t *)uid, uid_len))
		return LC_ERR_MALFORMED;
	if (m->signed_prekey->signature.len != LC_SIGNATURE_LEN)
		return LC_ERR_MALFORMED;
	if (!key_ok(&m->identity_key, LC_IDENTITY_KEY_LEN) ||
	    !key_ok(&m->signed_prekey->public_key, LC_PUBLIC_KEY_LEN))
		return LC_ERR_BAD_KEY;
	if (m->one_time_prekey != NULL &&
	    !key_ok(&m->one_time_prekey->public_key, LC_PUBLIC_KEY_LEN))
		return LC_ERR_BAD_KEY;
	memcpy(b.user_id, uid, uid_len);
	memcpy(b.identity_key, m->identity_key.data, LC_IDENTITY_KEY_LEN);
	b.signed_prekey_id = m->signed_prekey->id;
	memcpy(b.signed_prekey, m->signed_prekey->public_key.data,
	       LC_PUBLIC_KEY_LEN);
	memcpy(b.signed_prekey_signature, m->signed_prekey->signature.data,
	       LC_SIGNATURE_LEN);
	if (m->one_time_prekey != NULL) {
		b.has_one_time_prekey = 1;
		b.one_time_prekey_id = m->one_time_prekey->id;
		memcpy(b.one_time_prekey, m->one_time_prekey->public_key.data,
		       LC_PUBLIC_KEY_LEN);
	}
	*out = b;
	return 0;
}

int lc_prekey_bundle_parse(lc_prekey_bundle *out, const uint8_t *buf,
			   size_t len, const lc_allocator *mem)
{
	struct pb_bridge br = { { 0 }, 0 };
	ProtobufCAllocator pa = { pb_alloc, pb_free, &br };
	Libchat__PrekeyBundle *m;
	int rv;

	if (out == NULL || (buf == NULL && len > 0))
		return LC_ERR_INVALID_ARG;
	if ((rv = lc_alloc_init(&br.a, mem)) != 0)
		return rv;
	m = libchat__prekey_bundle__unpack(&pa, len, buf);
	if (m == NULL)
		return br.failed ? LC_ERR_NOMEM : LC_ERR_MALFORMED;
	rv = lc_prekey_bundle_from_pb(m, out);
	libchat__prekey_bundle__free_unpacked(m, &pa);
	return rv;
}

/* Build the message over the bundle's own bytes (nothing allocated). */
struct pb_view {
	Libchat__PrekeyBundle m;
	Libchat__Address addr;
	Libchat__SignedPrekey spk;
	Libchat__OneTimePrekey otp;
};

static int view(const lc_prekey_bundle *b, struct pb_view *v)
{
	size_t uid_len = strnlen(b->user_id, sizeof b->user_id);

	if (uid_len > LC_BUNDLE_USER_ID_MAX ||
	    !lc_utf8_valid((const uint8_t *)b->user_id, uid_len))
		return LC_ERR_INVALID_ARG;
	libchat__prekey_bundle__init(&v->m);
	libchat__address__init(&v->addr);
	libchat__signed_prekey__init(&v->spk);
	libchat__one_time_prekey__init(&v->otp);
	v->addr.user_id = (char *)b->user_id;
	v->addr.device_id = b->device_id;
	v->m.device = &v->addr;
	v->m.identity_key.data = (uint8_t *)b->identity_key;
	v->m.identity_key.len = LC_IDENTITY_KEY_LEN;
	v->spk.id = b->signed_prekey_id;
	v->spk.public_key.data = (uint8_t *)b->signed_prekey;
	v->spk.public_key.len = LC_PUBLIC_KEY_LEN;
	v->spk.signature.data = (uint8_t *)b->signed_prekey_signature;
	v->spk.signature.len = LC_SIGNATURE_LEN;
	v->m.signed_prekey = &v->spk;
	if (b->has_one_time_prekey) {
		v->otp.id = b->one_time_prekey_id;
		v->otp.public_key.data = (uint8_t *)b->one_time_prekey;
		v->otp.public_key.len = LC_PUBLIC_KEY_LEN;
		v->m.one_time_prekey = &v->otp;
	}
	return 0;
}

size_t lc_prekey_bundle_serialized_size(const lc_prekey_bundle *b)
{
	struct pb_view v;

	if (b == NULL || view(b, &v) != 0)
		return 0;
	return libchat__prekey_bundle__get_packed_size(&v.m);
}

int lc_prekey_bundle_serialize(const lc_prekey_bundle *b, uint8_t *out,
			       size_t cap, size_t *out_len)
{
	struct pb_view v;
	size_t need;
	int rv;

	if (b == NULL || out == NULL || out_len == NULL)
		return LC_ERR_INVALID_ARG;
	if ((rv = view(b, &v)) != 0)
		return rv;
	need = libchat__prekey_bundle__get_packed_size(&v.m);
	if (cap < need)
		return LC_ERR_BUFFER_TOO_SMALL;
	*out_len = libchat__prekey_bundle__pack(&v.m, out);
	return 0;
}
