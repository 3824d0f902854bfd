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
};

int rate_memory_init(struct rate_memory *rm);
void rate_memory_free(struct rate_memory *rm);

/* A round is one read: its time, then every row's counts (rate_track), then the swap. */
void rate_round_begin(struct rate_memory *rm);
/* What was read this round becomes the reference of the next. */
void rate_round_end(struct rate_memory *rm);

/* Rate of one row (tag: which view; id: up to 44 bytes naming the row). */
void rate_track(struct rate_memory *rm, __u8 tag, const void *id, size_t len, __u64 packets,
		__u64 bytes, struct rate *out);

#endif /* XDPFLOW_RATES_H */
