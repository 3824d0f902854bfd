// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: jiffies to wall-clock conversion from per-CPU clock anchors, and the UTC formatter. */
// links: pin/clock.c
#include <time.h>
#include "xdpflow.h"
#include "fuzz.h"

/*
 * Anchors are map values (xdpflow_clock), so any 64-bit values may come
 * in.  Checked against xdpflow.h (flow times) and computations made here:
 *   - valid exactly when some CPU has last_jiffies (and the anchor's wall
 *     time fits int64 nanoseconds); the anchor is the
 *     largest last_jiffies; HZ one of 0 (measured), 100, 250, 300, 1000;
 *     a jiffy of 1e9/HZ ns when snapped, never a zero denominator;
 *   - anchor_wall_ns = realtime - (monotonic - K);
 *   - wall_ns(J) is the anchor's time; wall_ns never decreases with the
 *     jiffies (saturating at the ends of int64);
 *     with a snapped HZ, HZ jiffies are exactly one second;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xdpflow_clock_anchor a[16];
	struct fz_in in = { data, size };
	int n = fz_u8(&in) % 17, i, newest = -1;
	int64_t mono = (int64_t)fz_u64_edgy(&in), real = (int64_t)fz_u64_edgy(&in), want_wall;
	struct flow_clock clk;
	uint64_t j[6];
	bool fits;

	for (i = 0; i < n; i++) {
		a[i].first_jiffies = fz_u64_edgy(&in);
		a[i].first_ktime_ns = fz_u64_edgy(&in);
		a[i].last_jiffies = fz_u64_edgy(&in);
		a[i].last_ktime_ns = fz_u64_edgy(&in);
		if (a[i].last_jiffies && (newest < 0 || a[i].last_jiffies > a[newest].last_jiffies))
			newest = i;
	}
	flow_clock_from_anchors(a, n, mono, real, &clk);
	/* The anchor's wall time, unless it lies outside int64 nanoseconds. */
	fits = newest >= 0 &&
	       !__builtin_sub_overflow(mono, (int64_t)a[newest].last_ktime_ns, &want_wall) &&
	       !__builtin_sub_overflow(real, want_wall, &want_wall);
	fz_assert(clk.valid == fits, "valid %d, anchors %s", clk.valid,
		  newest < 0 ? "none" : fits ? "fit" : "out of range");
	check_format((int64_t)fz_u64_edgy(&in));
	if (!clk.valid)
		return 0;
	fz_assert(clk.anchor_jiffies == a[newest].last_jiffies, "anchor %llu, newest %llu",
		  (unsigned long long)clk.anchor_jiffies,
		  (unsigned long long)a[newest].last_jiffies);
	fz_assert(clk.hz == 0 || clk.hz == 100 || clk.hz == 250 || clk.hz == 300 || clk.hz == 1000,
		  "HZ %u", clk.hz);
	fz_assert(clk.ns_den > 0, "%s", "zero jiffy denominator");
	fz_assert(!clk.hz || (clk.ns_num == (uint64_t)NS && clk.ns_den == clk.hz),
		  "HZ %u with a jiffy of %llu/%llu ns", clk.hz, (unsigned long long)clk.ns_num,
		  (unsigned long long)clk.ns_den);
	fz_assert(clk.anchor_wall_ns == want_wall, "anchor wall %lld, expected %lld",
		  (long long)clk.anchor_wall_ns, (long long)want_wall);
	fz_assert(flow_clock_wall_ns(&clk, clk.anchor_jiffies) == clk.anchor_wall_ns, "%s",
		  "the anchor's own time moved");

	/* Monotonic over a few jiffies near the anchor and two anywhere. */
	j[4] = fz_u64_edgy(&in);
	j[5] = fz_u64(&in);
	for (i = 0; i < 4; i++) {
		int16_t off = (int16_t)fz_u16(&in);
		uint64_t J = clk.anchor_jiffies;

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
	if (clk.hz && clk.anchor_jiffies >= clk.hz && clk.anchor_wall_ns > INT64_MIN + NS)
		fz_assert(flow_clock_wall_ns(&clk, clk.anchor_jiffies - clk.hz) ==
				  clk.anchor_wall_ns - NS,
			  "%u jiffies are not one second", clk.hz);
	return 0;
}
