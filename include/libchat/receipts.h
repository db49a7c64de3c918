/**
 * @file receipts.h
 * @brief The delivery-receipt state machine.
 *
 * Each recipient device of a message has one receipt: a single byte holding
 * its state (::lc_receipt_state) and the ::LC_RECEIPT_LEFT flag. The byte is
 * what the store persists; its values never change meaning.
 *
 * A device's receipt moves along
 * @code
 *   PENDING -> SENT -> DELIVERED -> READ
 *      |  ^
 *      v  | retry
 *    FAILED
 * @endcode
 * under events (::lc_receipt_event) that may arrive late, twice or out of
 * order. The machine is:
 * - monotonic: SENT, DELIVERED and READ only move a receipt forward; a late
 *   DELIVERED after READ changes nothing;
 * - idempotent: an event applied twice changes nothing the second time;
 * - out-of-order safe: READ before DELIVERED implies delivered (and sent);
 * - failure-aware: FAILED means the server did not accept the message and
 *   applies only to a PENDING receipt (once the server or a device has
 *   acknowledged the message, a failure report is stale and ignored); RETRY
 *   puts a FAILED receipt back to PENDING; any later acknowledgement
 *   (SENT, DELIVERED, READ) overrides FAILED.
 * - membership-aware: LEFT marks a device whose member left the group (or
 *   which was unlinked). Its receipt keeps the state it had and ignores every
 *   later event; it no longer counts in the aggregate.
 *
 * A message to several devices (a group, or a user with linked devices) keeps
 * an array of receipts, one per device, owned by the caller. Its aggregate
 * (lc_receipt_aggregate()) is what the message's ticks show: computed over the
 * devices that have not left, it is FAILED when any failed, else the least
 * advanced state: DELIVERED when every device has the message, READ when every
 * device has read it. When no device counts any more (every one left), the
 * condition "every current device has read it" holds vacuously and the
 * aggregate is READ.
 *
 * Everything here is pure: no allocation, no I/O, no clock, no global state.
 * Each function returns whether anything changed, so the caller emits an
 * event to the application only on a change.
 *
 * @note Thread rules: every function is reentrant; a receipt array is used by
 *       one thread at a time.
 */
#ifndef LIBCHAT_RECEIPTS_H
#define LIBCHAT_RECEIPTS_H

#include <libchat/common.h>
#include <libchat/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief A receipt's state: the low bits of the receipt byte
 *        (::LC_RECEIPT_STATE_MASK). The values are persisted; they are
 *        stable and never reused.
 */
typedef enum lc_receipt_state {
	LC_RECEIPT_PENDING = 0,   /**< written locally, not yet accepted by the server */
	LC_RECEIPT_SENT = 1,      /**< the server stored it (one tick) */
	LC_RECEIPT_DELIVERED = 2, /**< the device has it (two ticks) */
	LC_RECEIPT_READ = 3,      /**< the device's user read it */
	LC_RECEIPT_FAILED = 4     /**< the server did not accept it; may be retried */
} lc_receipt_state;

/** The bits of a receipt byte that hold its ::lc_receipt_state. */
#define LC_RECEIPT_STATE_MASK 0x07u
/** Receipt flag: the device left; it keeps its state and no longer counts. */
#define LC_RECEIPT_LEFT 0x80u

/** @brief What can happen to a receipt. The values are stable. */
typedef enum lc_receipt_event {
	LC_RECEIPT_EV_SENT = 1,      /**< the server acknowledged the message */
	LC_RECEIPT_EV_DELIVERED = 2, /**< the device acknowledged delivery */
	LC_RECEIPT_EV_READ = 3,      /**< the device reported it read */
	LC_RECEIPT_EV_FAILED = 4,    /**< sending failed (refused, gave up) */
	LC_RECEIPT_EV_RETRY = 5,     /**< the user or the client retries */
	LC_RECEIPT_EV_LEFT = 6       /**< the device's member left the group */
} lc_receipt_event;

/** lc_receipt_group_apply() result bit: a receipt changed. */
#define LC_RECEIPT_CHANGED 0x1
/** lc_receipt_group_apply() result bit: the aggregate changed. */
#define LC_RECEIPT_AGGREGATE_CHANGED 0x2
/** lc_receipt_group_apply() index: apply the event to every receipt. */
#define LC_RECEIPT_ALL ((size_t)-1)

/**
 * @brief Tell whether a byte is a valid receipt (for example one read from
 *        disk).
 * @param[in] receipt the byte.
 * @return 1 when its state is a known ::lc_receipt_state and it has no bits
 *         other than ::LC_RECEIPT_STATE_MASK and ::LC_RECEIPT_LEFT, else 0.
 */
LC_API int lc_receipt_is_valid(uint8_t receipt);

/**
 * @brief Apply an event to one receipt.
 * @param[in,out] receipt the receipt byte; updated in place. Owned by the
 *                caller.
 * @param[in] event an ::lc_receipt_event.
 * @return 1 when the receipt changed, 0 when the event changed nothing
 *         (a duplicate, late or stale event, or a device that left), or
 *   - ::LC_ERR_INVALID_ARG: @p receipt is NULL, @p *receipt is not valid
 *     (lc_receipt_is_valid()) or @p event is unknown; @p *receipt is left
 *     unchanged.
 */
LC_API LC_WARN_UNUSED int lc_receipt_apply(uint8_t *receipt, int event);

/**
 * @brief The aggregate state of a message sent to several devices.
 * @param[in] receipts @p n receipts, one per device; may be NULL when @p n
 *            is 0. Owned by the caller; only read.
 * @param[in] n the number of receipts.
 * @return an ::lc_receipt_state (>= 0): over the receipts without
 *         ::LC_RECEIPT_LEFT, ::LC_RECEIPT_FAILED when any failed, else the
 *         least advanced state; ::LC_RECEIPT_READ when none counts (every
 *         device left, or @p n is 0). Or
 *   - ::LC_ERR_INVALID_ARG: @p receipts is NULL with @p n > 0, or a receipt
 *     is not valid.
 * @note Runs in O(@p n) time.
 */
LC_API LC_WARN_UNUSED int lc_receipt_aggregate(const uint8_t *receipts,
					       size_t n);

/**
 * @brief Apply an event to one receipt of a message, or to all of them, and
 *        tell what changed.
 *
 * Message-wide events (the server's SENT acknowledgement, a send failure, a
 * retry) are applied to every receipt with @p index ::LC_RECEIPT_ALL; a
 * device's DELIVERED, READ or LEFT to its own receipt.
 *
 * @param[in,out] receipts @p n receipts; updated in place. Owned by the
 *                caller.
 * @param[in] n the number of receipts.
 * @param[in] index the receipt to update (0 .. @p n - 1), or
 *            ::LC_RECEIPT_ALL.
 * @param[in] event an ::lc_receipt_event.
 * @return a combination of ::LC_RECEIPT_CHANGED and
 *         ::LC_RECEIPT_AGGREGATE_CHANGED (0 when nothing changed), or
 *   - ::LC_ERR_INVALID_ARG: @p receipts is NULL with @p n > 0, @p index is
 *     out of range, @p event is unknown, or a receipt is not valid. Nothing
 *     is changed then.
 * @note Runs in O(@p n) time.
 */
LC_API LC_WARN_UNUSED int lc_receipt_group_apply(uint8_t *receipts, size_t n,
						 size_t index, int event);

#ifdef __cplusplus
}
#endif

#endif /* LIBCHAT_RECEIPTS_H */
