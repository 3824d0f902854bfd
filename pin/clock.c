// SPDX-License-Identifier: GPL-2.0
/* pin/: flow times: the program's jiffies turned into wall-clock time, from its per-CPU clock anchors. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "xdpflow.h"

#define NSEC_PER_SEC 1000000000ull

static const unsigned int known_hz[] = { 100, 250, 300, 1000 };

/* The nearest common HZ when the measured rate is within 5% of it, else 0. */
static unsigned int snap_hz(uint64_t ktime_span, uint64_t jiffies_span)
{
	double hz = (double)jiffies_span * NSEC_PER_SEC / (double)ktime_span;
	unsigned int best = 0;
	double best_off = 0.05;
	size_t i;

	for (i = 0; i < sizeof(known_hz) / sizeof(known_hz[0]); i++) {
		double off = hz / known_hz[i] - 1;

		if (off < 0)
			off = -off;
		if (off <= best_off) {
			best_off = off;
			best = known_hz[i];
		}
	}
	return best;
}

void flow_clock_from_anchors(const struct xdpflow_clock_anchor *a, int n, int64_t mono_now_ns,
			     int64_t real_now_ns, struct flow_clock *clk)
{
	const struct xdpflow_clock_anchor *newest = NULL, *longest = NULL;
	int64_t since;
	int i;

	memset(clk, 0, sizeof(*clk));
	for (i = 0; i < n; i++) {
		if (!a[i].last_jiffies)
			continue;
		if (!newest || a[i].last_jiffies > newest->last_jiffies)
			newest = &a[i];
		if (a[i].last_jiffies > a[i].first_jiffies &&
		    a[i].last_ktime_ns > a[i].first_ktime_ns &&
		    (!longest || a[i].last_jiffies - a[i].first_jiffies >
				 longest->last_jiffies - longest->first_jiffies))
			longest = &a[i];
	}
	/*
	 * Anchors are map values: one that places the anchor outside the
	 * int64 nanoseconds (only garbage can) leaves the clock invalid.
	 */
	if (!newest ||
	    __builtin_sub_overflow(mono_now_ns, (int64_t)newest->last_ktime_ns, &since) ||
	    __builtin_sub_overflow(real_now_ns, since, &clk->anchor_wall_ns))
		return;
	clk->valid = true;
	clk->anchor_jiffies = newest->last_jiffies;
	clk->hz = FLOW_CLOCK_DEFAULT_HZ;
	if (longest) {
		uint64_t kspan = longest->last_ktime_ns - longest->first_ktime_ns;
		uint64_t jspan = longest->last_jiffies - longest->first_jiffies;

		clk->hz = snap_hz(kspan, jspan);
		if (!clk->hz) {
			/* An unusual HZ: trust the measured length. */
			clk->ns_num = kspan;
			clk->ns_den = jspan;
			return;
		}
	}
	clk->ns_num = NSEC_PER_SEC;
	clk->ns_den = clk->hz;
}

int64_t flow_clock_wall_ns(const struct flow_clock *clk, uint64_t jiffies)
{
	uint64_t delta, back;
	long double measured;
	bool ahead = jiffies > clk->anchor_jiffies;
	int64_t wall;

	/* A time after the anchor is possible only by a race; handle it symmetrically. */
	delta = ahead ? jiffies - clk->anchor_jiffies : clk->anchor_jiffies - jiffies;
	/*
	 * Times beyond the int64 range (only from garbage in the maps)
	 * saturate rather than wrap: wall_ns never goes backwards.
	 */
	if (clk->ns_num == NSEC_PER_SEC && clk->ns_den <= NSEC_PER_SEC) {
		/* Exact integer arithmetic for a snapped HZ. */
		back = delta / clk->ns_den > (uint64_t)INT64_MAX / NSEC_PER_SEC ?
			       (uint64_t)INT64_MAX :
			       delta / clk->ns_den * NSEC_PER_SEC +
				       delta % clk->ns_den * NSEC_PER_SEC / clk->ns_den;
	} else {
		measured = (long double)delta * clk->ns_num / clk->ns_den;
		back = measured >= (long double)INT64_MAX ? (uint64_t)INT64_MAX : (uint64_t)measured;
	}
	if (back > (uint64_t)INT64_MAX)
		back = INT64_MAX;
	if (ahead ? __builtin_add_overflow(clk->anchor_wall_ns, (int64_t)back, &wall) :
		    __builtin_sub_overflow(clk->anchor_wall_ns, (int64_t)back, &wall))
		return ahead ? INT64_MAX : INT64_MIN;
	return wall;
}

size_t format_utc_ms(int64_t wall_ns, char *buf)
{
	/* Rounded down, also before 1970 (and without negating INT64_MIN). */
	int64_t ms = wall_ns / 1000000 - (wall_ns % 1000000 < 0);
	time_t sec = (time_t)(ms / 1000 - (ms % 1000 < 0));
	struct tm tm;
	size_t len;

	if (!gmtime_r(&sec, &tm)) {
		memcpy(buf, "1970-01-01T00:00:00.000Z", 25);
		return 24;
	}
	/* Years past 9999 do not fit the fixed width: never expected, never overflowing. */
	len = strftime(buf, 20, "%Y-%m-%dT%H:%M:%S", &tm);
	if (len != 19) {
		memcpy(buf, "9999-12-31T23:59:59.999Z", 25);
		return 24;
	}
	snprintf(buf + len, 6, ".%03dZ", (int)(ms - (int64_t)sec * 1000));
	return 24;
}

int64_t clock_now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}
