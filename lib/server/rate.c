/* The per-user message rate: a token bucket of rate_per_minute messages
 * refilled continuously, counted in 1/60000 of a message so that one
 * millisecond refills exactly rate_per_minute units. */
#include "server_int.h"

#define UNIT 60000u /* one message */

int lc_rate_take(lc_server *s, struct lc_ustate *u, uint64_t now,
		 uint64_t *retry_after)
{
	uint64_t rate = s->cfg.rate_per_minute, cap = rate * UNIT;

	if (now > u->refilled_at) {
		uint64_t add = (now - u->refilled_at) * rate;
		u->tokens = (add >= cap - u->tokens) ? cap : u->tokens + add;
	}
	u->refilled_at = now > u->refilled_at ? now : u->refilled_at;
	if (u->tokens >= UNIT) {
		u->tokens -= UNIT;
		return 0;
	}
	*retry_after = (UNIT - u->tokens + rate - 1) / rate;
	return LC_ERR_RATE_LIMITED;
}
