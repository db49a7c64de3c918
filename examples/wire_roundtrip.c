/* wire-roundtrip: the libchat wire layer on its own. Encodes a short
 * exchange of Envelopes into one framed byte stream, decodes it again in
 * reads of odd sizes, and prints each message as it comes out. */
#include <stdio.h>
#include <string.h>

#include <libchat/frame.h>

#include "envelope.h"

static size_t put(uint8_t *stream, size_t pos, size_t cap, lc_envelope *env)
{
	uint8_t buf[LC_ENVELOPE_MAX];
	int n = lc_envelope_pack(env, buf, sizeof buf);
	int w;

	if (n < 0) {
		fprintf(stderr, "pack: %s\n", lc_strerror(n));
		return pos;
	}
	w = lc_frame_encode(stream + pos, cap - pos, buf, (size_t)n);
	if (w < 0) {
		fprintf(stderr, "frame: %s\n", lc_strerror(w));
		return pos;
	}
	printf("  encoded %-14s %3d bytes (request %llu)\n",
	       protobuf_c_message_descriptor_get_field(
		       &libchat__envelope__descriptor, env->body_case)->name,
	       w, (unsigned long long)env->request_id);
	return pos + (size_t)w;
}

static void show(const uint8_t *f, size_t n)
{
	lc_envelope *env;
	int rv = lc_envelope_unpack(f, n, NULL, &env);

	if (rv < 0 && env == NULL) {
		printf("  decode error: %s\n", lc_strerror(rv));
		return;
	}
	switch (env->body_case) {
	case LIBCHAT__ENVELOPE__BODY_REGISTER:
		printf("  <- register %s as \"%s\"\n", env->register_->phone,
		       env->register_->display_name);
		break;
	case LIBCHAT__ENVELOPE__BODY_SEND:
		printf("  <- send %zu-byte ciphertext to %s/%u\n",
		       env->send->copies[0]->body.len,
		       env->send->copies[0]->to->user_id,
		       env->send->copies[0]->to->device_id);
		break;
	case LIBCHAT__ENVELOPE__BODY_ACK:
		printf("  <- ack of request %llu at %llu\n",
		       (unsigned long long)env->request_id,
		       (unsigned long long)env->ack->server_time_ms);
		break;
	case LIBCHAT__ENVELOPE__BODY_ERROR:
		printf("  <- error %d: %s\n", env->error->code,
		       lc_strerror(-(int)env->error->code));
		break;
	default:
		printf("  <- body %d\n", env->body_case);
	}
	lc_envelope_free(env, NULL);
}

int main(void)
{
	static uint8_t stream[4096];
	size_t len = LC_FRAME_PROLOGUE_LEN, pos = 0;
	uint8_t mid[16], body[80];
	lc_frame_decoder *dec;

	printf("libchat %s, protocol version %d\n", lc_version(),
	       LC_PROTOCOL_VERSION);
	lc_frame_prologue(stream);

	Libchat__Register reg = LIBCHAT__REGISTER__INIT;
	reg.identifier_case = LIBCHAT__REGISTER__IDENTIFIER_PHONE;
	reg.phone = (char *)"+15550001";
	reg.display_name = (char *)"Alice";
	reg.password = (char *)"correct horse";
	lc_envelope e1 = LIBCHAT__ENVELOPE__INIT;
	e1.request_id = 1;
	e1.body_case = LIBCHAT__ENVELOPE__BODY_REGISTER;
	e1.register_ = &reg;
	len = put(stream, len, sizeof stream, &e1);

	memset(mid, 0x42, sizeof mid);
	memset(body, 0xee, sizeof body);
	Libchat__Address to = LIBCHAT__ADDRESS__INIT;
	to.user_id = (char *)"bob";
	to.device_id = 1;
	Libchat__Ciphertext ct = LIBCHAT__CIPHERTEXT__INIT, *cts[] = { &ct };
	ct.to = &to;
	ct.type = LIBCHAT__CIPHER_TYPE__CIPHER_RATCHET;
	ct.body.data = body;
	ct.body.len = sizeof body;
	Libchat__Send send = LIBCHAT__SEND__INIT;
	send.message_id.data = mid;
	send.message_id.len = sizeof mid;
	send.n_copies = 1;
	send.copies = cts;
	lc_envelope e2 = LIBCHAT__ENVELOPE__INIT;
	e2.request_id = 2;
	e2.body_case = LIBCHAT__ENVELOPE__BODY_SEND;
	e2.send = &send;
	len = put(stream, len, sizeof stream, &e2);

	Libchat__Ack ack = LIBCHAT__ACK__INIT;
	ack.server_time_ms = 1790000000000ull;
	lc_envelope e3 = LIBCHAT__ENVELOPE__INIT;
	e3.request_id = 2;
	e3.body_case = LIBCHAT__ENVELOPE__BODY_ACK;
	e3.ack = &ack;
	len = put(stream, len, sizeof stream, &e3);

	Libchat__Error err = LIBCHAT__ERROR__INIT;
	err.code = LIBCHAT__ERROR_CODE__ERROR_RATE_LIMITED;
	err.message = (char *)"slow down";
	lc_envelope e4 = LIBCHAT__ENVELOPE__INIT;
	e4.request_id = 3;
	e4.body_case = LIBCHAT__ENVELOPE__BODY_ERROR;
	e4.error = &err;
	len = put(stream, len, sizeof stream, &e4);

	printf("stream: %zu bytes; decoding in reads of 1, 2, 3, ... bytes\n", len);
	if (lc_frame_decoder_new(&dec, LC_FRAME_EXPECT_PROLOGUE, NULL) != 0)
		return 1;
	for (size_t chunk = 1; pos < len; chunk++) {
		size_t end = pos + chunk > len ? len : pos + chunk;

		while (pos < end) {
			size_t used, flen;
			const uint8_t *f;
			int rv = lc_frame_decode(dec, stream + pos, end - pos,
						 &used, &f, &flen);
			if (rv < 0) {
				fprintf(stderr, "decode: %s\n", lc_strerror(rv));
				lc_frame_decoder_free(dec);
				return 1;
			}
			pos += used;
			if (rv == 1)
				show(f, flen);
		}
	}
	if (lc_frame_decoder_finish(dec) != 0) {
		lc_frame_decoder_free(dec);
		return 1;
	}
	lc_frame_decoder_free(dec);
	printf("round trip complete\n");
	return 0;
}
