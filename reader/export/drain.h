/* SPDX-License-Identifier: GPL-2.0 */
/* --drain: swap fresh tables into the outer maps and hand back the old ones, whose counts are final. */
#ifndef XDPFLOW_DRAIN_H
#define XDPFLOW_DRAIN_H

#include <stddef.h>
#include "xdpflow.h"

/*
 * Exactly-once drains (docs/DESIGN.md, "Exactly-once drains").
 *
 * The program finds its four tables through the outer maps' slot 0 on
 * every frame.  A drain creates four empty tables shaped like the current
 * ones, then puts them in, one outer map after the other, in the order
 * flow cache, flow table, refused frames, stats; the kernel returns from
 * each outer-map update only after an RCU grace period, so no program
 * still holds the table it replaced.  A frame's counts live in exactly one
 * table at any time (a flow-cache entry; or the flow table, counted there
 * straight or moved there from a cache entry; or the refused frames and
 * the stats' unrecorded; or, non-IP and malformed, the stats); a move out
 * of a cache entry writes only the flow table, so the cache is swapped
 * first, and the stats last: once the fourth update returned, nothing
 * writes any old table again, and the old tables together hold every
 * count made since the previous drain, once.
 *
 * Before the first swap the tables about to leave service are pinned in a
 * pending record (pending_create, pin/xdpflow.h) in *rec: from then on
 * they outlive this process, until their report is delivered and the
 * record forgotten (pending_forget); info.swapped follows the swaps.
 *
 * The fresh tables are all created before the first swap, so running out
 * of memory leaves everything as it was.  Should an update still fail
 * half-way, the tables not swapped keep counting for the next drain and
 * their unused fresh copies (empty) stand in for them in *old: every count
 * is still reported exactly once.  *swapped says how many were swapped.
 *
 * pm must be opened writable; the caller holds pin_lock() on its folder.
 * Returns 0 (all four swapped), or -errno with *old and *rec usable when
 * *swapped > 0, or closed (and no record) when *swapped == 0.
 */
int drain_swap(const struct pin_maps *pm, struct snapshot_tables *old, struct pending *rec,
	       int *swapped);

/*
 * A drain's start: open the pins writable and take DIR/pending's lock (one
 * drain at a time delivers and drains).  On error a one-line explanation
 * in msg, nothing open.  pin_unlock(*lock) and pin_close(pm) at the end.
 */
int drain_open(const char *dir, struct pin_maps *pm, int *lock, char *msg, size_t msglen);

/* Under the pin folder's lock, drain_swap; one line in msg on error. */
int drain_take(const struct pin_maps *pm, struct snapshot_tables *old, struct pending *rec,
	       int *swapped, char *msg, size_t msglen);

/*
 * Everything a drain does before reporting (drain_open, drain_take,
 * unlocking).  On error a one-line explanation
 * is in msg.  Returns like drain_swap (and -errno of pin_open/pin_lock
 * with nothing swapped).  *pm is left open on success (the clock map and
 * CPU count are needed to report); close it with pin_close().
 */
int drain_tables(const char *dir, struct pin_maps *pm, struct snapshot_tables *old,
		 struct pending *rec, int *swapped, char *msg, size_t msglen);

#endif /* XDPFLOW_DRAIN_H */
