/* Writes the seed corpus of fuzz/corpus/client_envelope: one file per
 * server message the client handles (run by hand when the schema grows:
 * build/fuzz/gen-client-seeds fuzz/corpus/client_envelope). */
#include <stdio.h>
#include <string.h>

#include "envelope.h"

static void put(const char *dir, const char *name, const lc_envelope *e)
{
	uint8_t buf[4096];
	char path[512];
	int n = lc_envelope_pack(e, buf, sizeof buf);
	FILE *f;

	if (n < 0)
		return;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	fputc(n >> 8, f);
	fputc(n & 0xff, f);
	fwrite(buf, 1, (size_t)n, f);
	fclose(f);
}

int main(int argc, char **argv)
{
	static uint8_t mid[16] = {1, 2, 3}, gid[16] = {0x00, 0x11, 0x22},
		       key[64] = {9}, body[200] = {0x11};
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	Libchat__Address from = LIBCHAT__ADDRESS__INIT;
	const char *dir = argc > 1 ? argv[1] : ".";

	from.user_id = "peer";
	from.device_id = 1;
	{
		Libchat__Deliver d = LIBCHAT__DELIVER__INIT;
		d.message_id.data = mid;
		d.message_id.len = 16;
		d.from = &from;
		d.type = LIBCHAT__CIPHER_TYPE__CIPHER_PREKEY;
		d.body.data = body;
		d.body.len = sizeof body;
		d.server_time_ms = 1700000000000ull;
		e.request_id = 100;
		e.body_case = LIBCHAT__ENVELOPE__BODY_DELIVER;
		e.deliver = &d;
		put(dir, "deliver_prekey", &e);
		body[0] = 0x12;
		d.type = LIBCHAT__CIPHER_TYPE__CIPHER_RATCHET;
		put(dir, "deliver_ratchet", &e);
		body[0] = 0x13;
		d.group_id.data = gid;
		d.group_id.len = 16;
		d.type = LIBCHAT__CIPHER_TYPE__CIPHER_SENDER_KEY;
		put(dir, "deliver_group", &e);
	}
	{
		Libchat__Receipt r = LIBCHAT__RECEIPT__INIT;
		ProtobufCBinaryData ids[1] = {{16, mid}};
		r.type = LIBCHAT__RECEIPT_TYPE__RECEIPT_DELIVERED;
		r.peer = &from;
		r.message_ids = ids;
		r.n_message_ids = 1;
		e.request_id = 101;
		e.body_case = LIBCHAT__ENVELOPE__BODY_RECEIPT;
		e.receipt = &r;
		put(dir, "receipt", &e);
	}
	{
		Libchat__GroupMember m = LIBCHAT__GROUP_MEMBER__INIT, *mp[1] = {&m};
		Libchat__GroupInfo gi = LIBCHAT__GROUP_INFO__INIT;
		Libchat__GroupEvent ge = LIBCHAT__GROUP_EVENT__INIT;
		Libchat__Ack a = LIBCHAT__ACK__INIT;
		m.user_id = "me";
		gi.group_id.data = gid;
		gi.group_id.len = 16;
		gi.name = "g";
		gi.members = mp;
		gi.n_members = 1;
		gi.version = 2;
		ge.change = LIBCHAT__GROUP_CHANGE__GROUP_REMOVED;
		ge.group = &gi;
		e.request_id = 102;
		e.body_case = LIBCHAT__ENVELOPE__BODY_GROUP_EVENT;
		e.group_event = &ge;
		put(dir, "group_event", &e);
		a.result_case = LIBCHAT__ACK__RESULT_GROUP;
		a.group = &gi;
		e.request_id = 10 /* LC_CL_REQ_GROUP */;
		e.body_case = LIBCHAT__ENVELOPE__BODY_ACK;
		e.ack = &a;
		put(dir, "ack_group", &e);
	}
	{
		Libchat__SignedPrekey sp = LIBCHAT__SIGNED_PREKEY__INIT;
		Libchat__PrekeyBundle b = LIBCHAT__PREKEY_BUNDLE__INIT, *bp[1] = {&b};
		Libchat__PrekeyBundles bs = LIBCHAT__PREKEY_BUNDLES__INIT;
		Libchat__Ack a = LIBCHAT__ACK__INIT;
		sp.id = 1;
		sp.public_key.data = key;
		sp.public_key.len = 32;
		sp.signature.data = key;
		sp.signature.len = 64;
		b.device = &from;
		b.identity_key.data = key;
		b.identity_key.len = 32;
		b.signed_prekey = &sp;
		bs.bundles = bp;
		bs.n_bundles = 1;
		a.result_case = LIBCHAT__ACK__RESULT_BUNDLES;
		a.bundles = &bs;
		e.request_id = 7; /* LC_CL_REQ_FETCH */
		e.body_case = LIBCHAT__ENVELOPE__BODY_ACK;
		e.ack = &a;
		put(dir, "ack_bundles", &e);
	}
	{
		Libchat__Error er = LIBCHAT__ERROR__INIT;
		er.code = 1719;
		e.request_id = 8; /* LC_CL_REQ_SEND */
		e.body_case = LIBCHAT__ENVELOPE__BODY_ERROR;
		e.error = &er;
		put(dir, "error_stale", &e);
	}
	{
		/* to a group Send: a missing device and a gone one */
		Libchat__Error er = LIBCHAT__ERROR__INIT;
		Libchat__Address ms = LIBCHAT__ADDRESS__INIT;
		Libchat__Address ex = LIBCHAT__ADDRESS__INIT;
		Libchat__Address *mp[1] = { &ms }, *xp[1] = { &ex };
		ms.user_id = "peer";
		ms.device_id = 2;
		ex.user_id = "gone";
		ex.device_id = 1;
		er.code = 1719;
		er.missing_devices = mp;
		er.n_missing_devices = 1;
		er.extra_devices = xp;
		er.n_extra_devices = 1;
		e.request_id = 8; /* LC_CL_REQ_SEND, a group message */
		e.body_case = LIBCHAT__ENVELOPE__BODY_ERROR;
		e.error = &er;
		put(dir, "error_stale_group", &e);
	}
	{
		Libchat__PresenceUpdate pu = LIBCHAT__PRESENCE_UPDATE__INIT;
		Libchat__PrekeysLow pl = LIBCHAT__PREKEYS_LOW__INIT;
		pu.user_id = "peer";
		pu.online = 1;
		e.request_id = 0;
		e.body_case = LIBCHAT__ENVELOPE__BODY_PRESENCE_UPDATE;
		e.presence_update = &pu;
		put(dir, "presence", &e);
		pl.remaining = 3;
		e.request_id = 103;
		e.body_case = LIBCHAT__ENVELOPE__BODY_PREKEYS_LOW;
		e.prekeys_low = &pl;
		put(dir, "prekeys_low", &e);
	}
	{
		Libchat__MediaTicket t = LIBCHAT__MEDIA_TICKET__INIT;
		Libchat__Ack a = LIBCHAT__ACK__INIT;
		Libchat__Error er = LIBCHAT__ERROR__INIT;
		t.upload_path = "/v1/media/upload";
		t.max_size = 1000;
		t.expires_ms = 1700000300000ull;
		a.result_case = LIBCHAT__ACK__RESULT_MEDIA;
		a.media = &t;
		e.request_id = 15; /* LC_CL_REQ_TICKET */
		e.body_case = LIBCHAT__ENVELOPE__BODY_ACK;
		e.ack = &a;
		put(dir, "ack_ticket", &e);
		er.code = 1715; /* MEDIA_TOO_LARGE */
		e.body_case = LIBCHAT__ENVELOPE__BODY_ERROR;
		e.error = &er;
		put(dir, "error_ticket", &e);
	}
	return 0;
}
