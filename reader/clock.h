/* SPDX-License-Identifier: GPL-2.0 */
/* Turning the program's jiffies timestamps into wall-clock time, from its per-CPU clock anchors. */
#ifndef XDPFLOW_CLOCK_H
#define XDPFLOW_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xdpflow_abi.h"

/* Used when no CPU has anchors that span two jiffies (the rate of this machine's kernel). */
#define FLOW_CLOCK_DEFAULT_HZ 250

struct flow_clock {
	bool valid; /* some CPU recorded an anchor (one that fits int64 nanoseconds) */
	uint64_t anchor_jiffies; /* J: the newest anchor's jiffies */
	int64_t anchor_wall_ns; /* J as wall-clock time (ns since the epoch) */
	/* Length of a jiffy: ns_num / ns_den ns (1e9 / HZ once snapped to a known HZ). */
	uint64_t ns_num;
	uint64_t ns_den;
	unsigned int hz; /* the HZ snapped to, 0 if none was close */
};

/*
 * From the per-CPU anchors (n of them) and a reading of CLOCK_MONOTONIC and
 * CLOCK_REALTIME taken together: J and K from the anchor with the largest
 * last_jiffies; the jiffy length from the anchor with the longest span,
 * snapped to HZ 100, 250, 300 or 1000 when within 5%, HZ 250 without a span.
 */
void flow_clock_from_anchors(const struct xdpflow_clock_anchor *a, int n, int64_t mono_now_ns,
			     int64_t real_now_ns, struct flow_clock *clk);

/* wall_ns(j) = realtime_now - (monotonic_now - K) - (J - j) * ns_per_jiffy */
int64_t flow_clock_wall_ns(const struct flow_clock *clk, uint64_t jiffies);

/*
 * "2026-11-26T16:39:00.123Z" (UTC, milliseconds truncated) into buf of at
 * least 25 bytes; returns the length.
 */
size_t format_utc_ms(int64_t wall_ns, char *buf);

#endif /* XDPFLOW_CLOCK_H */
