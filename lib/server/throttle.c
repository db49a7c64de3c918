/* Login throttling: after login_free_failures failed password attempts on
 * an identifier, each further attempt must wait login_backoff_ms, doubled
 * per failure up to login_backoff_max_ms. Kept in the store, so a restart
 * does not reset it; a successful login clears it. */
#include <string.h>

#include "records.h"
#include "server_int.h"

static int get(lc_server *s, const char *ident, uint32_t *fails,
	       uint64_t *until)
{
	lc_slice v;
	lc_rb r;
	int rc = s->be.ops->get(s->be.h, LC_T_THROTTLE,
				lc_sl(ident, strlen(ident)), &v);

	*fails = 0;
	*until = 0;
	if (rc)
		return rc == LC_ERR_NOT_FOUND ? 0 : rc;
	rb_init(&r, v.p, v.n);
	*fails = rb_u32(&r);
	*until = rb_u64(&r);
	return r.err ? LC_ERR_STORE_CORRUPT : 0;
}

int lc_throttle_check(lc_server *s, const char *ident, uint64_t now)
{
	uint32_t fails;
	uint64_t until;
	int rc = get(s, ident, &fails, &until);

	if (rc)
		return rc;
	if (now < until) {
		s->retry_after = until - now;
		return LC_ERR_THROTTLED;
	}
	return 0;
}

int lc_throttle_fail(lc_server *s, const char *ident, uint64_t now)
{
	uint8_t buf[12];
	uint32_t fails;
	uint64_t until, delay = 0;
	lc_wb w;
	int rc = get(s, ident, &fails, &until);

	if (rc)
		return rc;
	if (fails < UINT32_MAX)
		fails++;
	if (fails >= s->cfg.login_free_failures) {
		uint32_t shift = fails - s->cfg.login_free_failures;
		delay = s->cfg.login_backoff_ms << (shift > 20 ? 20 : shift);
		if (delay > s->cfg.login_backoff_max_ms)
			delay = s->cfg.login_backoff_max_ms;
	}
	wb_init(&w, buf, sizeof buf);
	wb_u32(&w, fails);
	wb_u64(&w, now + delay);
	return s->be.ops->put(s->be.h, LC_T_THROTTLE,
			      lc_sl(ident, strlen(ident)), lc_sl(buf, w.n), 0);
}

int lc_throttle_clear(lc_server *s, const char *ident)
{
	int rc = s->be.ops->del(s->be.h, LC_T_THROTTLE,
				lc_sl(ident, strlen(ident)));

	return rc == LC_ERR_NOT_FOUND ? 0 : rc;
}
