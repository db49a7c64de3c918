#include <stddef.h>

#include <libchat/error.h>

struct err_entry {
	int code;
	unsigned char fatal;
	const char *text;
};

static const struct err_entry errors[] = {
	{ LC_OK, 0, "success" },
	{ LC_ERR_NOMEM, 1, "out of memory" },
	{ LC_ERR_INVALID_ARG, 0, "invalid argument" },
	{ LC_ERR_INVALID_STATE, 0, "operation not allowed in this state" },
	{ LC_ERR_BUFFER_TOO_SMALL, 0, "buffer too small" },
	{ LC_ERR_CALLBACK_FAILURE, 1, "a callback failed" },
	{ LC_ERR_NOT_FOUND, 0, "not found" },
	{ LC_ERR_EXISTS, 0, "already exists" },
	{ LC_ERR_INTERNAL, 1, "internal error" },
	{ LC_ERR_INIT, 1, "libsodium initialisation failed" },
	{ LC_ERR_IO, 0, "I/O error" },
	{ LC_ERR_UNAVAILABLE, 0, "temporarily unavailable" },

	{ LC_ERR_FRAME_TOO_LARGE, 1, "frame larger than the limit" },
	{ LC_ERR_MALFORMED, 1, "malformed input" },
	{ LC_ERR_VERSION, 1, "unsupported protocol version" },
	{ LC_ERR_BAD_PROLOGUE, 1, "stream does not start with the libchat prologue" },
	{ LC_ERR_TRUNCATED, 0, "input ended inside a frame" },
	{ LC_ERR_UNSUPPORTED, 0, "unsupported message" },

	{ LC_ERR_NOISE_BAD_LENGTH, 1, "Noise message of the wrong length" },
	{ LC_ERR_NOISE_DECRYPT, 1, "Noise message failed authentication" },
	{ LC_ERR_NOISE_NONCE_EXHAUSTED, 1, "Noise nonce limit reached" },
	{ LC_ERR_NOISE_STATE, 0, "Noise call out of order" },
	{ LC_ERR_NOISE_PATTERN, 0, "unsupported Noise protocol" },
	{ LC_ERR_NOISE_KEY_MISMATCH, 1, "server key differs from the pinned key" },
	{ LC_ERR_NOISE_BAD_KEY, 1, "invalid Noise public key" },
	{ LC_ERR_NOISE_REPLAY, 1, "Noise message replayed or reordered" },

	{ LC_ERR_BAD_SIGNATURE, 0, "bad signature" },
	{ LC_ERR_UNKNOWN_PREKEY, 0, "unknown prekey" },
	{ LC_ERR_PREKEY_REUSED, 0, "one-time prekey already used" },
	{ LC_ERR_DECRYPT, 0, "decryption failed" },
	{ LC_ERR_DUPLICATE_MESSAGE, 0, "duplicate message" },
	{ LC_ERR_TOO_MANY_SKIPPED, 0, "too many skipped messages" },
	{ LC_ERR_BAD_KEY, 0, "invalid public key" },
	{ LC_ERR_SESSION_VERSION, 0, "unknown session format version" },
	{ LC_ERR_BAD_PADDING, 0, "bad padding" },
	{ LC_ERR_UNTRUSTED_IDENTITY, 0, "identity key changed" },
	{ LC_ERR_NO_SESSION, 0, "no session" },

	{ LC_ERR_STORE_VERSION, 0, "store written by a newer version" },
	{ LC_ERR_STORE_KEY, 0, "wrong or missing store key" },
	{ LC_ERR_STORE_CORRUPT, 0, "corrupt store record" },
	{ LC_ERR_STORE_FULL, 0, "store full" },
	{ LC_ERR_STORE_BUSY, 0, "store busy" },

	{ LC_ERR_NOT_CONNECTED, 0, "not connected" },
	{ LC_ERR_NOT_LOGGED_IN, 0, "not logged in" },
	{ LC_ERR_IDENTITY_CHANGED, 0, "contact identity changed; message held" },
	{ LC_ERR_MEDIA_DIGEST, 0, "media digest mismatch" },
	{ LC_ERR_CLOSED, 1, "closed" },
	{ LC_ERR_MEDIA_KEY, 0, "wrong media key" },
	{ LC_ERR_MEDIA_CHUNK, 0, "media chunk damaged or out of order" },
	{ LC_ERR_MEDIA_TRUNCATED, 0, "media truncated" },

	{ LC_ERR_AUTH_REQUIRED, 0, "authentication required" },
	{ LC_ERR_AUTH_FAILED, 0, "authentication failed" },
	{ LC_ERR_FORBIDDEN, 0, "forbidden" },
	{ LC_ERR_RATE_LIMITED, 0, "rate limited" },
	{ LC_ERR_ACCOUNT_EXISTS, 0, "account exists" },
	{ LC_ERR_NO_SUCH_USER, 0, "no such user" },
	{ LC_ERR_NO_SUCH_GROUP, 0, "no such group" },
	{ LC_ERR_NOT_MEMBER, 0, "not a group member" },
	{ LC_ERR_NOT_ADMIN, 0, "not a group admin" },
	{ LC_ERR_TOKEN_EXPIRED, 0, "token expired or revoked" },
	{ LC_ERR_INVALID_PHONE, 0, "invalid phone number" },
	{ LC_ERR_INVALID_EMAIL, 0, "invalid email address" },
	{ LC_ERR_WEAK_PASSWORD, 0, "password too weak" },
	{ LC_ERR_THROTTLED, 0, "too many attempts" },
	{ LC_ERR_MEDIA_TOO_LARGE, 0, "media too large" },
	{ LC_ERR_TIMEOUT, 0, "timed out" },
	{ LC_ERR_NO_SUCH_DEVICE, 0, "no such device" },
	{ LC_ERR_STALE_DEVICES, 0, "recipient devices changed" },
};

static const struct err_entry *find(int code)
{
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
		if (errors[i].code == code)
			return &errors[i];
	return NULL;
}

const char *lc_strerror(int code)
{
	const struct err_entry *e = find(code);
	return e ? e->text : "unknown error";
}

int lc_err_is_fatal(int code)
{
	const struct err_entry *e = find(code);
	return e ? e->fatal : 0;
}
