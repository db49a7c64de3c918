/* Internal helpers of the receipt state machine. */
#ifndef LC_RECEIPTS_INTERNAL_H
#define LC_RECEIPTS_INTERNAL_H

#include <stdint.h>

/* 1 when event is a known lc_receipt_event. */
int lc_receipt_event_is_valid(int event);

/* The receipt after event; receipt and event must be valid. */
uint8_t lc_receipt_next(uint8_t receipt, int event);

#endif
