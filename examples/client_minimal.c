/* The smallest complete client: register (or log in) an account kept in
 * a store directory, find a contact by phone number, send one end-to-end
 * encrypted message and exit when the server has stored it.
 *
 *   client-minimal HOST PORT STORE_DIR MY_PHONE PASSWORD TO_PHONE TEXT
 *
 * doc/client.md walks through the calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>

#include <libchat/client_event.h>
#include <libchat/receipts.h>

struct app {
	struct event_base *base;
	lc_client *c;
	lc_client_event *ev;
	const char *phone, *password, *to, *text;
	int tried_login;
	int exit_code;
};

static uint64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static void on_state(int state, int reason, void *ud)
{
	struct app *a = ud;

	if (state == LC_CLIENT_CONNECTED && lc_client_user_id(a->c)[0] == 0)
		(void)lc_client_register(a->c, a->phone, NULL, "minimal",
					 a->password, now_ms());
	else if (state == LC_CLIENT_READY)
		(void)lc_client_lookup(a->c, a->to, NULL, now_ms());
	else if (state == LC_CLIENT_DISCONNECTED && reason)
		fprintf(stderr, "connection lost: %d\n", reason);
}

static void on_done(int op, int code, const uint8_t *id, void *ud)
{
	struct app *a = ud;

	(void)id;
	if (op == LC_CLIENT_OP_REGISTER && code == LC_ERR_ACCOUNT_EXISTS &&
	    !a->tried_login) {
		a->tried_login = 1; /* a known account on a new store */
		(void)lc_client_login(a->c, a->phone, NULL, a->password,
				      now_ms());
	} else if (code) {
		fprintf(stderr, "operation %d failed: %d\n", op, code);
		event_base_loopbreak(a->base);
	}
}

static void on_user(const char *user_id, const char *name, void *ud)
{
	struct app *a = ud;

	printf("sending to %s (%s)\n", user_id, name);
	if (lc_client_send_text(a->c, user_id, a->text, strlen(a->text), NULL,
				now_ms()) != 0)
		event_base_loopbreak(a->base);
}

static void on_receipt(const uint8_t *id, const char *user_id,
		       uint32_t device, int state, int aggregate, void *ud)
{
	struct app *a = ud;

	(void)id;
	printf("%s/%u: %s\n", user_id, device,
	       state == LC_RECEIPT_SENT ? "sent" :
	       state == LC_RECEIPT_DELIVERED ? "delivered" : "read");
	if (aggregate >= LC_RECEIPT_SENT && aggregate != LC_RECEIPT_FAILED) {
		a->exit_code = 0;
		event_base_loopbreak(a->base);
	}
}

int main(int argc, char **argv)
{
	struct app a = {0};
	lc_client_config cfg = {0};
	lc_client_callbacks cb = {0};
	lc_client_event_config ec = {0};

	if (argc != 8) {
		fprintf(stderr, "usage: %s HOST PORT STORE_DIR MY_PHONE PASSWORD "
			"TO_PHONE TEXT\n", argv[0]);
		return 2;
	}
	a.phone = argv[4];
	a.password = argv[5];
	a.to = argv[6];
	a.text = argv[7];
	a.exit_code = 1;
	cfg.version = LC_CLIENT_CONFIG_VERSION;
	cfg.store_dir = argv[3];
	cb.version = LC_CLIENT_CONFIG_VERSION;
	cb.state = on_state;
	cb.done = on_done;
	cb.user = on_user;
	cb.receipt = on_receipt;
	a.base = event_base_new();
	if (a.base == NULL || lc_client_new(&a.c, &cfg, &cb, &a) != 0)
		return 1;
	ec.version = LC_CLIENT_EVENT_CONFIG_VERSION;
	ec.host = argv[1];
	ec.port = (uint16_t)atoi(argv[2]);
	if (lc_client_event_new(&a.ev, a.base, a.c, &ec) != 0 ||
	    lc_client_event_start(a.ev) != 0)
		return 1;
	event_base_dispatch(a.base);
	lc_client_event_free(a.ev);
	lc_client_free(a.c);
	event_base_free(a.base);
	return a.exit_code;
}
