/* A message's receipts, one per recipient device, and their aggregate. */
#include <libchat/receipts.h>

#include "receipt_internal.h"

int lc_receipt_aggregate(const uint8_t *receipts, size_t n)
{
	unsigned least = LC_RECEIPT_READ;
	int failed = 0;

	if (receipts == NULL && n > 0)
		return LC_ERR_INVALID_ARG;
	for (size_t i = 0; i < n; i++) {
		uint8_t r = receipts[i];
		unsigned s = r & LC_RECEIPT_STATE_MASK;

		if (!lc_receipt_is_valid(r))
			return LC_ERR_INVALID_ARG;
		if (r & LC_RECEIPT_LEFT)
			continue;
		if (s == LC_RECEIPT_FAILED)
			failed = 1;
		else if (s < least)
			least = s;
	}
	return failed ? LC_RECEIPT_FAILED : (int)least;
}

int lc_receipt_group_apply(uint8_t *receipts, size_t n, size_t index,
			   int event)
{
	int before, after, result = 0;
	size_t lo = index, hi = index + 1;

	if (!lc_receipt_event_is_valid(event))
		return LC_ERR_INVALID_ARG;
	if (index == LC_RECEIPT_ALL) {
		lo = 0;
		hi = n;
	} else if (index >= n) {
		return LC_ERR_INVALID_ARG;
	}
	before = lc_receipt_aggregate(receipts, n); /* validates every byte */
	if (before < 0)
		return before;
	for (size_t i = lo; i < hi; i++) {
		uint8_t next = lc_receipt_next(receipts[i], event);

		if (next != receipts[i]) {
			receipts[i] = next;
			result |= LC_RECEIPT_CHANGED;
		}
	}
	if (result == 0)
		return 0;
	after = lc_receipt_aggregate(receipts, n);
	if (after != before)
		result |= LC_RECEIPT_AGGREGATE_CHANGED;
	return result;
}
