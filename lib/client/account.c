/* Accounts: register, password login, logout, profile. */
#include <string.h>

#include <sodium.h>

#include "client_int.h"

static int ready_for_login(const lc_client *c, const char *phone,
			   const char *email, const char *password)
{
	if ((phone == NULL) == (email == NULL) || password == NULL)
		return LC_ERR_INVALID_ARG;
	if (c->state < LC_CLIENT_CONNECTED)
		return LC_ERR_NOT_CONNECTED;
	if (c->state != LC_CLIENT_CONNECTED)
		return LC_ERR_INVALID_STATE;
	return 0;
}

int lc_client_register(lc_client *c, const char *phone, const char *email,
		       const char *name, const char *password, uint64_t now)
{
	Libchat__Register r = LIBCHAT__REGISTER__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	int rc;

	if (c == NULL)
		return LC_ERR_INVALID_ARG;
	if ((rc = ready_for_login(c, phone, email, password)))
		return rc;
	if (c->has_account)
		return LC_ERR_INVALID_STATE;
	if (phone) {
		r.identifier_case = LIBCHAT__REGISTER__IDENTIFIER_PHONE;
		r.phone = (char *)phone;
	} else {
		r.identifier_case = LIBCHAT__REGISTER__IDENTIFIER_EMAIL;
		r.email = (char *)email;
	}
	r.display_name = (char *)(name ? name : "");
	r.password = (char *)password;
	e.body_case = LIBCHAT__ENVELOPE__BODY_REGISTER;
	e.register_ = &r;
	if ((rc = lc_cl_emit(c, &e, LC_CL_REQ_REGISTER, now, NULL)) == 0)
		lc_cl_set_state(c, LC_CLIENT_LOGGING_IN, 0);
	return rc;
}

int lc_client_login(lc_client *c, const char *phone, const char *email,
		    const char *password, uint64_t now)
{
	Libchat__PasswordCredential p = LIBCHAT__PASSWORD_CREDENTIAL__INIT;
	Libchat__Login l = LIBCHAT__LOGIN__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	int rc;

	if (c == NULL)
		return LC_ERR_INVALID_ARG;
	if ((rc = ready_for_login(c, phone, email, password)))
		return rc;
	if (phone) {
		p.identifier_case = LIBCHAT__PASSWORD_CREDENTIAL__IDENTIFIER_PHONE;
		p.phone = (char *)phone;
	} else {
		p.identifier_case = LIBCHAT__PASSWORD_CREDENTIAL__IDENTIFIER_EMAIL;
		p.email = (char *)email;
	}
	p.password = (char *)password;
	l.credential_case = LIBCHAT__LOGIN__CREDENTIAL_PASSWORD;
	l.password = &p;
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGIN;
	e.login = &l;
	if ((rc = lc_cl_emit(c, &e, LC_CL_REQ_LOGIN_PW, now, NULL)) == 0)
		lc_cl_set_state(c, LC_CLIENT_LOGGING_IN, 0);
	return rc;
}

/* Ack{login}: keep the account, publish keys when needed, resume. */
void lc_cl_on_login(lc_client *c, const Libchat__Ack *a, int kind,
		    uint64_t now)
{
	const Libchat__LoginResult *l = a->login;
	int op = kind == LC_CL_REQ_REGISTER ? LC_CLIENT_OP_REGISTER :
		 LC_CLIENT_OP_LOGIN;
	int rc = 0;

	if (kind != LC_CL_REQ_LOGIN_TOKEN) {
		if (a->result_case != LIBCHAT__ACK__RESULT_LOGIN ||
		    !lc_cl_valid_uid(l->user_id) || l->device_id == 0 ||
		    l->token.len != 32)
			rc = LC_ERR_MALFORMED;
		if (rc == 0) {
			if (strcmp(c->uid, l->user_id) != 0 ||
			    c->dev != l->device_id)
				c->keys_done = 0;
			strcpy(c->uid, l->user_id);
			c->dev = l->device_id;
			memcpy(c->sec->token, l->token.data, 32);
			rc = lc_cl_account_save(c);
		}
	}
	if (rc == 0 && !c->keys_done) {
		/* READY once the keys are published: a peer can then write */
		if ((rc = lc_cl_keys_upload(c, 1, now)) == 0) {
			c->login_op = op;
			return;
		}
	}
	if (rc) {
		lc_cl_set_state(c, LC_CLIENT_CONNECTED, 0);
		lc_cl_done(c, op, rc, NULL);
		return;
	}
	lc_cl_set_state(c, LC_CLIENT_READY, 0);
	lc_cl_done(c, op, 0, NULL);
	lc_cl_outbox_pump(c, now);
	lc_cl_on_ready(c, now);
}

int lc_client_logout(lc_client *c, int all_devices, uint64_t now)
{
	Libchat__Logout lo = LIBCHAT__LOGOUT__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	if (c == NULL)
		return LC_ERR_INVALID_ARG;
	if (c->state != LC_CLIENT_READY)
		return LC_ERR_NOT_LOGGED_IN;
	lo.all_devices = all_devices != 0;
	e.body_case = LIBCHAT__ENVELOPE__BODY_LOGOUT;
	e.logout = &lo;
	return lc_cl_emit(c, &e, LC_CL_REQ_LOGOUT, now, NULL);
}

int lc_client_update_profile(lc_client *c, const char *name, uint64_t now)
{
	Libchat__ProfileUpdate p = LIBCHAT__PROFILE_UPDATE__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;

	if (c == NULL || name == NULL || name[0] == 0)
		return LC_ERR_INVALID_ARG;
	if (c->state != LC_CLIENT_READY)
		return LC_ERR_NOT_LOGGED_IN;
	p.display_name = (char *)name;
	e.body_case = LIBCHAT__ENVELOPE__BODY_PROFILE_UPDATE;
	e.profile_update = &p;
	return lc_cl_emit(c, &e, LC_CL_REQ_PROFILE, now, NULL);
}
