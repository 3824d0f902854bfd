// SPDX-License-Identifier: GPL-2.0
/* pin/: flow times: the program's jiffies turned into wall-clock time, from its per-CPU clock anchors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "xdpflow.h"

#define NSEC_PER_SEC 1000000000ull

/* The HZ a kernel can be configured with (Kconfig's choices across architectures). */
static const unsigned int known_hz[] = { 24, 32, 48, 64, 100, 128, 250, 256, 300, 512, 1000, 1024, 1200 };

uint64_t flow_clock_tick_ns(unsigned int hz)
{
	/* The kernel's TICK_NSEC: jiffies advance by one every TICK_NSEC of CLOCK_MONOTONIC. */
	return (NSEC_PER_SEC + hz / 2) / hz;
}

/* a * b / c without overflow, saturating at UINT64_MAX (c > 0). */
static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 r = (unsigned __int128)a * b / c;

	return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
#else
	long double r = (long double)a * b / c;

	return r >= (long double)UINT64_MAX ? UINT64_MAX : (uint64_t)r;
#endif
}

static int cmp_point(const void *x, const void *y)
{
	const struct flow_clock_point *a = x, *b = y;

	if (a->jiffies != b->jiffies)
		return a->jiffies < b->jiffies ? -1 : 1;
	return (a->wall_ns > b->wall_ns) - (a->wall_ns < b->wall_ns);
}

/*
 * The wall-clock time of one anchor: CLOCK_MONOTONIC K moved to
 * CLOCK_REALTIME by the two clocks read together now.  false when it does
 * not fit int64 nanoseconds (only garbage in the map can do that).
 */
static bool anchor_wall(uint64_t ktime, int64_t mono_now, int64_t real_now, int64_t *wall)
{
	int64_t since;

	return !__builtin_sub_overflow(mono_now, (int64_t)ktime, &since) &&
	       !__builtin_sub_overflow(real_now, since, wall);
}

/*
 * Sorted by jiffies, one point a jiffy (the earliest time), and each
 * time no later than any later point's: a time taken in jiffy J is
 * never before J began, so every point's time bounds the start of its
 * jiffy from above, and the smaller bound is the better one.  Returns
 * the number of points left.
 */
static size_t tighten(struct flow_clock_point *p, size_t m)
{
	size_t i, n = 0;

	qsort(p, m, sizeof(*p), cmp_point);
	for (i = 0; i < m; i++)
		if (!n || p[i].jiffies != p[n - 1].jiffies)
			p[n++] = p[i];
	for (i = n - 1; i-- > 0;)
		if (p[i].wall_ns > p[i + 1].wall_ns)
			p[i].wall_ns = p[i + 1].wall_ns;
	return n;
}

/* The jiffy length for times outside the points: the kernel's, else measured (snapped). */
static void set_tick(struct flow_clock *clk, unsigned int kernel_hz)
{
	const struct flow_clock_point *a = &clk->p[0], *b = &clk->p[clk->n - 1];
	uint64_t jspan = b->jiffies - a->jiffies, wspan = (uint64_t)b->wall_ns - (uint64_t)a->wall_ns;
	double measured, tol, best_off = 0;
	size_t i;

	clk->hz = 0;
	if (kernel_hz) {
		clk->hz = kernel_hz;
	} else if (jspan && wspan) {
		/*
		 * Each end is off by less than a tick, so the measured length is
		 * within 2 / jspan of the true one: snap to the nearest HZ there.
		 */
		measured = (double)wspan / (double)jspan;
		tol = 2.0 / (double)jspan + 0.001;
		for (i = 0; i < sizeof(known_hz) / sizeof(known_hz[0]); i++) {
			double off = measured / (double)flow_clock_tick_ns(known_hz[i]) - 1;

			off = off < 0 ? -off : off;
			if (off <= tol && (!clk->hz || off < best_off)) {
				clk->hz = known_hz[i];
				best_off = off;
			}
		}
		if (!clk->hz) {
			/* An HZ no Kconfig offers: trust the measured length. */
			clk->tick_num = wspan;
			clk->tick_den = jspan;
			return;
		}
	} else {
		clk->hz = FLOW_CLOCK_FALLBACK_HZ;
	}
	clk->tick_num = flow_clock_tick_ns(clk->hz);
	clk->tick_den = 1;
}

int flow_clock_from_anchors(const struct xdpflow_clock_anchor *a, int n, unsigned int kernel_hz,
			    int64_t mono_now_ns, int64_t real_now_ns, struct flow_clock *clk)
{
	struct flow_clock_point *p;
	size_t m = 0, i;
	int c;

	memset(clk, 0, sizeof(*clk));
	p = calloc(n > 0 ? 2 * (size_t)n : 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (c = 0; c < n; c++) {
		if (a[c].first_jiffies &&
		    anchor_wall(a[c].first_ktime_ns, mono_now_ns, real_now_ns, &p[m].wall_ns))
			p[m++].jiffies = a[c].first_jiffies;
		if (a[c].last_jiffies &&
		    anchor_wall(a[c].last_ktime_ns, mono_now_ns, real_now_ns, &p[m].wall_ns))
			p[m++].jiffies = a[c].last_jiffies;
	}
	if (m) {
		m = tighten(p, m);
		/* Too many CPUs: keep both ends and points evenly between. */
		clk->n = m <= FLOW_CLOCK_POINTS ? m : FLOW_CLOCK_POINTS;
		for (i = 0; i < clk->n; i++)
			clk->p[i] = p[m <= FLOW_CLOCK_POINTS ? i : i * (m - 1) / (FLOW_CLOCK_POINTS - 1)];
		clk->valid = true;
		set_tick(clk, kernel_hz);
	}
	free(p);
	return 0;
}

/* From point q, delta jiffies later (ahead) or earlier, at the tick length. */
static int64_t extrapolate(const struct flow_clock *clk, const struct flow_clock_point *q,
			   uint64_t delta, bool ahead)
{
	uint64_t back = mul_div(delta, clk->tick_num, clk->tick_den);
	int64_t wall;

	/* Beyond int64 (only from garbage in the maps): saturate, never wrap. */
	if (back > (uint64_t)INT64_MAX)
		return ahead ? INT64_MAX : INT64_MIN;
	if (ahead ? __builtin_add_overflow(q->wall_ns, (int64_t)back, &wall) :
		    __builtin_sub_overflow(q->wall_ns, (int64_t)back, &wall))
		return ahead ? INT64_MAX : INT64_MIN;
	return wall;
}

int64_t flow_clock_wall_ns(const struct flow_clock *clk, uint64_t jiffies)
{
	const struct flow_clock_point *p = clk->p;
	size_t lo = 0, hi = clk->n - 1, mid;
	uint64_t off;

	if (!clk->n)
		return INT64_MIN;
	if (jiffies <= p[0].jiffies)
		return extrapolate(clk, &p[0], p[0].jiffies - jiffies, false);
	if (jiffies >= p[hi].jiffies)
		return extrapolate(clk, &p[hi], jiffies - p[hi].jiffies, true);
	/* p[lo].jiffies < jiffies < p[hi].jiffies */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (p[mid].jiffies <= jiffies)
			lo = mid;
		else
			hi = mid;
	}
	/*
	 * Between two points the time is interpolated: both bound the start
	 * of their jiffy from above by less than a tick, and so does any
	 * point on the line between them, whatever HZ is.
	 */
	off = mul_div(jiffies - p[lo].jiffies, (uint64_t)p[hi].wall_ns - (uint64_t)p[lo].wall_ns,
		      p[hi].jiffies - p[lo].jiffies);
	return (int64_t)((uint64_t)p[lo].wall_ns + off);
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

void clock_pair_ns(int64_t *mono, int64_t *real)
{
	int64_t m0, r, m1, best = INT64_MAX;
	int i;

	/*
	 * CLOCK_REALTIME read between two CLOCK_MONOTONIC readings is paired
	 * with their midpoint: off by at most half the gap between them.  Of a
	 * few tries the narrowest gap wins, so a preemption (or, in a VM, a slow
	 * clock read) in one of them does not move every flow time of a read.
	 */
	for (i = 0; i < 5; i++) {
		m0 = clock_now_ns(CLOCK_MONOTONIC);
		r = clock_now_ns(CLOCK_REALTIME);
		m1 = clock_now_ns(CLOCK_MONOTONIC);
		if (m1 - m0 < best) {
			best = m1 - m0;
			*mono = m0 + (m1 - m0) / 2;
			*real = r;
		}
	}
}
