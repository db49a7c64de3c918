/* One device's receipt: state transitions under a single event. */
#include <libchat/receipts.h>

#include "receipt_internal.h"

int lc_receipt_is_valid(uint8_t receipt)
{
	if ((receipt & ~(LC_RECEIPT_STATE_MASK | LC_RECEIPT_LEFT)) != 0)
		return 0;
	return (receipt & LC_RECEIPT_STATE_MASK) <= LC_RECEIPT_FAILED;
}

int lc_receipt_event_is_valid(int event)
{
	return event >= LC_RECEIPT_EV_SENT && event <= LC_RECEIPT_EV_LEFT;
}

/* The state an acknowledgement event proves the device reached. The
 * progress states are numbered in their order, so a higher value is
 * further along. */
static unsigned progress_target(int event)
{
	switch (event) {
	case LC_RECEIPT_EV_SENT:
		return LC_RECEIPT_SENT;
	case LC_RECEIPT_EV_DELIVERED:
		return LC_RECEIPT_DELIVERED;
	default:
		return LC_RECEIPT_READ;
	}
}

uint8_t lc_receipt_next(uint8_t receipt, int event)
{
	unsigned s = receipt & LC_RECEIPT_STATE_MASK;
	unsigned t;

	if (receipt & LC_RECEIPT_LEFT)
		return receipt;
	switch (event) {
	case LC_RECEIPT_EV_LEFT:
		return (uint8_t)(receipt | LC_RECEIPT_LEFT);
	case LC_RECEIPT_EV_FAILED:
		return s == LC_RECEIPT_PENDING ? LC_RECEIPT_FAILED : receipt;
	case LC_RECEIPT_EV_RETRY:
		return s == LC_RECEIPT_FAILED ? LC_RECEIPT_PENDING : receipt;
	default:
		/* An acknowledgement: moves forward only, and overrides a
		 * failure (the message got through after all). */
		t = progress_target(event);
		if (s == LC_RECEIPT_FAILED || s < t)
			return (uint8_t)t;
		return receipt;
	}
}

int lc_receipt_apply(uint8_t *receipt, int event)
{
	uint8_t n;

	if (receipt == NULL || !lc_receipt_is_valid(*receipt) ||
	    !lc_receipt_event_is_valid(event))
		return LC_ERR_INVALID_ARG;
	n = lc_receipt_next(*receipt, event);
	if (n == *receipt)
		return 0;
	*receipt = n;
	return 1;
}
