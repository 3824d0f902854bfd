/* SPDX-License-Identifier: GPL-2.0 */
/* xdpflow-reader: --watch: per-second rates of every row between the last two reads. */
#ifndef XDPFLOW_RATES_H
#define XDPFLOW_RATES_H

#include <stdbool.h>
#include <stdint.h>
#include "format/format.h"
#include "xdpflow.h"

/*
 * --watch: every row's counts at the previous read, to compute per-second
 * rates.  Lives only in this process; with flows it holds one entry per
 * flow read (about 130 bytes each, twice).
 */
struct rate_memory {
	struct keyhash prev, cur;
	int64_t prev_ns, cur_ns; /* CLOCK_MONOTONIC of the reads */
	bool have_prev;
	/* The tables read last time: other ones now mean a drain swapped them since. */
	struct snapshot_table_ids ids;
	bool have_ids;
	/*
	 * This round's counts are not a continuation of the previous ones (a
	 * drain swapped fresh tables in since): no rates this round, and
	 * the next one's are measured from this.
	 */
	bool reset;
};

int rate_memory_init(struct rate_memory *rm);
void rate_memory_free(struct rate_memory *rm);

/*
 * A round is one read: its time (now_ns, CLOCK_MONOTONIC, taken with the
 * wall-clock time the read prints: clock_pair_ns) and tables (ids NULL:
 * unknown), then
 * every row's counts (rate_track), then the swap.  Tables other than last
 * round's mark a reset (rm->reset).  Counters going down would not: a
 * live read may count a cache entry evicted while it runs twice
 * (pin/xdpflow.h, snapshot_read), so the next read can be a little lower
 * without any reset, and a drain followed by more traffic than before
 * leaves them higher.
 */
void rate_round_begin(struct rate_memory *rm, const struct snapshot_table_ids *ids, int64_t now_ns);
/* What was read this round becomes the reference of the next. */
void rate_round_end(struct rate_memory *rm);

/* Rate of one row (tag: which view; id: up to 44 bytes naming the row). */
void rate_track(struct rate_memory *rm, __u8 tag, const void *id, size_t len, __u64 packets,
		__u64 bytes, struct rate *out);

#endif /* XDPFLOW_RATES_H */
