// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: jiffies to wall-clock conversion from per-CPU clock anchors, and the UTC formatter. */
// links: pin/clock.c
#include <time.h>
#include "xdpflow.h"
#include "fuzz.h"

/*
 * Anchors are map values (xdpflow_clock), so any 64-bit values may come
 * in.  Checked against xdpflow.h (flow times) and computations made here:
 *   - valid exactly when some CPU has a first or last jiffy (whose wall
 *     time fits int64 nanoseconds); the points run from the oldest such
 *     jiffy to the newest, and the newest jiffy is placed at the earliest
 *     time an anchor was taken in it;
 *   - no anchor's jiffy is placed later than the anchor's own time
 *     (realtime - (monotonic - K)), as each anchor bounds the start of its
 *     jiffy from above;
 *   - with the kernel's HZ given, a jiffy is its TICK_NSEC; otherwise HZ
 *     is 0 (measured) or one a kernel can have; never a zero denominator;
 *   - wall_ns never decreases with the jiffies (saturating at the ends of
 *     int64), and past the newest anchor HZ jiffies are HZ ticks;
 *   - format_utc_ms: always 24 characters of "YYYY-MM-DDTHH:MM:SS.mmmZ",
 *     and from 1970 on the civil date computed here (days-from-civil).
 * Signed overflow anywhere is a failure (UndefinedBehaviorSanitizer).
 */

#define NS 1000000000ll

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static void check_format(int64_t ns)
{
	char buf[32], want[32];
	size_t len, i;

	memset(buf, 0x55, sizeof(buf));
	len = format_utc_ms(ns, buf);
	fz_assert(len == 24 && strlen(buf) == 24, "format_utc_ms(%lld): %zu bytes", (long long)ns,
		  len);
	for (i = 0; i < 24; i++) {
		static const char pat[] = "dddd-dd-ddTdd:dd:dd.dddZ";

		fz_assert(pat[i] == 'd' ? (buf[i] >= '0' && buf[i] <= '9') : buf[i] == pat[i],
			  "format_utc_ms(%lld) = \"%s\"", (long long)ns, buf);
	}
	/* From 1970 on (int64 nanoseconds end in 2262): the exact date. */
	if (ns >= 0) {
		int64_t ms = ns / 1000000, days = ms / 86400000, y;
		int64_t in_day = ms % 86400000;
		unsigned m, d;

		civil_from_days(days, &y, &m, &d);
		snprintf(want, sizeof(want), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
			 (long long)y, m, d, (long long)(in_day / 3600000),
			 (long long)(in_day / 60000 % 60), (long long)(in_day / 1000 % 60),
			 (long long)(in_day % 1000));
		fz_assert(!strcmp(buf, want), "format_utc_ms(%lld) = %s, expected %s",
			  (long long)ns, buf, want);
	}
}

/* An anchor's wall-clock time, computed here; false when it lies outside int64 ns. */
static bool wall_of(uint64_t ktime, int64_t mono, int64_t real, int64_t *wall)
{
	return !__builtin_sub_overflow(mono, (int64_t)ktime, wall) &&
	       !__builtin_sub_overflow(real, *wall, wall);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xdpflow_clock_anchor a[16];
	struct fz_in in = { data, size };
	int n = fz_u8(&in) % 17, i, m = 0;
	unsigned int khz = fz_u8(&in) & 1 ? 0 : 1 + fz_u16(&in) % 100000;
	int64_t mono = (int64_t)fz_u64_edgy(&in), real = (int64_t)fz_u64_edgy(&in);
	uint64_t pj[32], lo = UINT64_MAX, hi = 0, j[6], J;
	int64_t pw[32], newest_wall = INT64_MAX;
	struct flow_clock clk;

	for (i = 0; i < n; i++) {
		a[i].first_jiffies = fz_u64_edgy(&in);
		a[i].first_ktime_ns = fz_u64_edgy(&in);
		a[i].last_jiffies = fz_u64_edgy(&in);
		a[i].last_ktime_ns = fz_u64_edgy(&in);
		if (a[i].first_jiffies && wall_of(a[i].first_ktime_ns, mono, real, &pw[m]))
			pj[m++] = a[i].first_jiffies;
		if (a[i].last_jiffies && wall_of(a[i].last_ktime_ns, mono, real, &pw[m]))
			pj[m++] = a[i].last_jiffies;
	}
	for (i = 0; i < m; i++) {
		lo = pj[i] < lo ? pj[i] : lo;
		hi = pj[i] > hi ? pj[i] : hi;
	}
	for (i = 0; i < m; i++)
		if (pj[i] == hi && pw[i] < newest_wall)
			newest_wall = pw[i];
	fz_assert(!flow_clock_from_anchors(a, n, khz, mono, real, &clk), "%s", "out of memory");
	fz_assert(clk.valid == (m > 0), "valid %d with %d anchors in range", clk.valid, m);
	check_format((int64_t)fz_u64_edgy(&in));
	if (!clk.valid)
		return 0;
	fz_assert(clk.n >= 1 && clk.n <= (unsigned)m && clk.p[0].jiffies == lo &&
			  clk.p[clk.n - 1].jiffies == hi,
		  "%u points from %llu to %llu, anchors from %llu to %llu", clk.n,
		  (unsigned long long)clk.p[0].jiffies, (unsigned long long)clk.p[clk.n - 1].jiffies,
		  (unsigned long long)lo, (unsigned long long)hi);
	/* No anchor's jiffy is placed after the anchor's own time; the newest at its earliest. */
	for (i = 0; i < m; i++)
		fz_assert(flow_clock_wall_ns(&clk, pj[i]) <= pw[i], "wall(%llu) = %lld after %lld",
			  (unsigned long long)pj[i], (long long)flow_clock_wall_ns(&clk, pj[i]),
			  (long long)pw[i]);
	fz_assert(flow_clock_wall_ns(&clk, hi) == newest_wall, "newest jiffy at %lld, not %lld",
		  (long long)flow_clock_wall_ns(&clk, hi), (long long)newest_wall);
	fz_assert(clk.tick_den > 0, "%s", "zero jiffy denominator");
	if (khz)
		fz_assert(clk.hz == khz && clk.tick_num == (NS + khz / 2) / khz && clk.tick_den == 1,
			  "kernel HZ %u, clock HZ %u, a jiffy of %llu/%llu ns", khz, clk.hz,
			  (unsigned long long)clk.tick_num, (unsigned long long)clk.tick_den);
	if (clk.hz)
		fz_assert(clk.tick_num == flow_clock_tick_ns(clk.hz) && clk.tick_den == 1,
			  "HZ %u with a jiffy of %llu/%llu ns", clk.hz,
			  (unsigned long long)clk.tick_num, (unsigned long long)clk.tick_den);

	/* Monotonic over a few jiffies near the anchor and two anywhere. */
	j[4] = fz_u64_edgy(&in);
	j[5] = fz_u64(&in);
	for (i = 0; i < 4; i++) {
		int16_t off = (int16_t)fz_u16(&in);
		J = hi;

		/* Within 32768 jiffies of the anchor, without wrapping around 0 or 2^64. */
		if (off < 0)
			j[i] = J >= (uint64_t)-(int64_t)off ? J - (uint64_t)-(int64_t)off : 0;
		else
			j[i] = J <= UINT64_MAX - (uint64_t)off ? J + (uint64_t)off : UINT64_MAX;
	}
	for (i = 0; i < 6; i++) {
		int k;

		for (k = 0; k < 6; k++) {
			int64_t wi, wk;

			if (j[i] > j[k])
				continue;
			wi = flow_clock_wall_ns(&clk, j[i]);
			wk = flow_clock_wall_ns(&clk, j[k]);
			fz_assert(wi <= wk, "wall(%llu) = %lld > wall(%llu) = %lld",
				  (unsigned long long)j[i], (long long)wi, (unsigned long long)j[k],
				  (long long)wk);
		}
	}
	/* Past the newest anchor, HZ jiffies are HZ kernel ticks. */
	if (clk.hz && hi <= UINT64_MAX - clk.hz && newest_wall < INT64_MAX - 2 * NS)
		fz_assert(flow_clock_wall_ns(&clk, hi + clk.hz) ==
				  newest_wall + (int64_t)(clk.hz * clk.tick_num),
			  "%u jiffies are not %u ticks", clk.hz, clk.hz);
	return 0;
}
