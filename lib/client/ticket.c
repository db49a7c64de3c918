/* Media tickets: ask the server (MediaUploadRequest) before an upload,
 * so a file over its limit fails before any byte is sent. */
#include <string.h>

#include "client_int.h"

int lc_client_upload_ticket(lc_client *c, uint64_t size,
			   lc_client_ticket_cb cb, void *user_data,
			   uint64_t now)
{
	Libchat__MediaUploadRequest r = LIBCHAT__MEDIA_UPLOAD_REQUEST__INIT;
	lc_envelope e = LIBCHAT__ENVELOPE__INIT;
	lc_cl_pending *p = NULL;
	int rc;

	if (c == NULL || cb == NULL || size == 0 ||
	    size > lc_media_ciphertext_size(LC_MEDIA_SIZE_MAX))
		return LC_ERR_INVALID_ARG;
	if (c->state != LC_CLIENT_READY)
		return LC_ERR_NOT_LOGGED_IN;
	r.size = size;
	e.body_case = LIBCHAT__ENVELOPE__BODY_MEDIA_UPLOAD;
	e.media_upload = &r;
	rc = lc_cl_emit(c, &e, LC_CL_REQ_TICKET, now, &p);
	if (rc == 0) {
		p->tcb = cb;
		p->tud = user_data;
	}
	return rc;
}

void lc_client_upload_ticket_cancel(lc_client *c, const void *user_data)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < LC_CLIENT_MAX_PENDING; i++)
		if (c->pend[i].rid && c->pend[i].kind == LC_CL_REQ_TICKET &&
		    c->pend[i].tud == user_data)
			c->pend[i].tcb = NULL;
}

/* The server's ticket, checked: a path to POST to, a limit. */
static int take_ticket(const Libchat__Ack *a, lc_client_media_ticket *t)
{
	const Libchat__MediaTicket *m;
	size_t n;

	if (a == NULL || a->result_case != LIBCHAT__ACK__RESULT_MEDIA)
		return LC_ERR_MALFORMED;
	m = a->media;
	n = m->upload_path ? strlen(m->upload_path) : 0;
	if (n == 0 || n >= sizeof t->upload_path || m->upload_path[0] != '/' ||
	    m->max_size == 0)
		return LC_ERR_MALFORMED;
	for (size_t i = 0; i < n; i++)
		if (m->upload_path[i] <= ' ' || m->upload_path[i] > '~')
			return LC_ERR_MALFORMED;
	memcpy(t->upload_path, m->upload_path, n + 1);
	t->max_size = m->max_size;
	t->expires_ms = m->expires_ms;
	return 0;
}

void lc_cl_ticket_answer(lc_client *c, const lc_cl_pending *p, int code,
			 const Libchat__Ack *a)
{
	lc_client_media_ticket t;

	(void)c;
	if (p->tcb == NULL)
		return; /* cancelled */
	memset(&t, 0, sizeof t);
	if (code == 0)
		code = take_ticket(a, &t);
	p->tcb(code, code ? NULL : &t, p->tud);
}
