/* Test tooling: a minimal blocking client of chatd speaking the real
 * protocol (lc_noise_conn over TCP, one Envelope per transport message),
 * and helpers to start and stop chatd processes. Not the reference
 * client: no end-to-end encryption, message bodies are opaque bytes. */
#ifndef LC_TCLIENT_H
#define LC_TCLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libchat/noise.h>

#include "envelope.h"

#define TC_INBOX 4096

typedef struct tclient {
	int fd;
	lc_noise_conn *nc;
	uint8_t sk[32];
	char uid[65];
	uint32_t dev;
	uint8_t token[32];
	uint64_t next_rid;
	lc_envelope *inbox[TC_INBOX]; /* received, not yet taken */
	size_t n;
	int closed; /* the server closed or the channel failed */
	uint64_t retry_after; /* of the last Error answer to an operation */
} tclient;

/* When nonzero, SO_RCVBUF and SO_SNDBUF of the next connections. */
extern int tc_sockbuf;
/* When set, the source address of the next connections ("127.0.0.2":
 * every 127/8 address is the loopback on Linux). */
extern const char *tc_source;

/* Connect and finish the handshake (XX, or IK with server_pub). NULL on
 * failure. A fresh device key unless sk is given. */
tclient *tc_connect(int port, const uint8_t *server_pub, const uint8_t *sk);
void tc_free(tclient *t);

/* Send env with a fresh request id (returned); 0 on a write error. */
uint64_t tc_send(tclient *t, lc_envelope *env);
/* Queue env without writing (a fresh request id, or 0), then write what
 * the socket takes now: the bytes still pending, or -1. */
uint64_t tc_queue(tclient *t, lc_envelope *env);
long tc_write_some(tclient *t);
/* Send raw bytes on the socket (attacks). */
int tc_send_raw(tclient *t, const void *p, size_t n);
/* Encrypt and send raw payload bytes as one transport message. */
int tc_send_payload(tclient *t, const uint8_t *p, size_t n);

/* The first received Envelope matching (body case, request id; 0: any),
 * waiting up to ms; NULL on timeout or close. The caller frees it. */
lc_envelope *tc_wait(tclient *t, int body, uint64_t rid, int ms);
/* The answer (Ack or Error) to rid. */
lc_envelope *tc_answer(tclient *t, uint64_t rid, int ms);
/* Read for up to ms, then report whether the server closed. */
int tc_wait_closed(tclient *t, int ms);
/* Ack a server push. */
int tc_ack(tclient *t, const lc_envelope *push);

/* Operations: 0, or the negative LC_ERR_* of an Error answer, or -1. */
int tc_register(tclient *t, const char *phone, const char *password);
int tc_login_token(tclient *t, const char *uid, uint32_t dev,
		   const uint8_t token[32]);
int tc_login_password(tclient *t, const char *phone, const char *password);
int tc_keys_upload(tclient *t);
/* Queue a direct message to (uid, dev) without waiting: the request id. */
uint64_t tc_send_msg(tclient *t, const uint8_t mid[16], const char *uid,
		     uint32_t dev, const char *body);
/* Send and wait for its Ack (0) or Error. */
int tc_message(tclient *t, const uint8_t mid[16], const char *uid,
	       uint32_t dev, const char *body);
/* The error code of an answer: 0 for an Ack, -code for an Error. */
int tc_code(const lc_envelope *answer);

/* ---- chatd processes */
typedef struct tchatd {
	pid_t pid;
	int port, http_port;
	char dir[256], log[300];
} tchatd;

/* Start chatd on 127.0.0.1 with ephemeral ports and fast test settings,
 * plus extra "--key value" arguments (NULL-terminated). dir: a data
 * directory ("" for a fresh temporary one). 0 or -1. */
int tchatd_start(tchatd *d, const char *dir, const char *const *extra);
/* SIGTERM and wait: the exit status (0 expected), -1 on timeout. */
int tchatd_stop(tchatd *d);
/* SIGKILL and reap. */
void tchatd_kill(tchatd *d);
/* Remove the data directory. */
void tchatd_cleanup(tchatd *d);
/* One HTTP/1.0 request on 127.0.0.1:port; the status (or -1), body
 * copied into body (NUL-terminated, truncated). */
int thttp(int port, const char *method, const char *path,
	  const char *headers, const void *req_body, size_t req_len,
	  char *body, size_t cap);
/* The same with a binary body: up to cap bytes copied, their count in
 * *body_len. */
int thttp_bin(int port, const char *method, const char *path,
	      const char *headers, const void *req_body, size_t req_len,
	      void *body, size_t cap, size_t *body_len);

#endif
