// SPDX-License-Identifier: GPL-2.0
/* Unit tests of pin/'s jiffies to wall-clock conversion and its UTC timestamps. */
#include "testlib.h"
#include "xdpflow.h"

#define NS 1000000000ll
/* 2026-11-26T16:39:00.123Z */
#define REAL_NOW (1795711140123ll * 1000000)

static void test_hz250_newest_anchor(void)
{
	/* CPU 0 spans 250 jiffies in 1 s (HZ 250); CPU 1 has the newest pair. */
	struct xdpflow_clock_anchor a[2] = {
		{ .first_jiffies = 1000, .first_ktime_ns = 1 * NS, .last_jiffies = 1250,
		  .last_ktime_ns = 2 * NS },
		{ .first_jiffies = 1290, .first_ktime_ns = 2160000000, .last_jiffies = 1300,
		  .last_ktime_ns = 2200000000 },
	};
	struct flow_clock clk;
	struct tl_check c;

	tl_begin(&c, "clock_hz250_newest_anchor");
	flow_clock_from_anchors(a, 2, 3 * NS, REAL_NOW, &clk);
	tl_expect(&c, clk.valid, "not valid");
	tl_expect_u64(&c, "hz", clk.hz, 250);
	tl_expect_u64(&c, "anchor jiffies", clk.anchor_jiffies, 1300);
	/* The newest anchor was taken 0.8 s before "now". */
	tl_expect_u64(&c, "wall(J)", flow_clock_wall_ns(&clk, 1300), REAL_NOW - 800000000);
	tl_expect_u64(&c, "wall(J-50)", flow_clock_wall_ns(&clk, 1250),
		      REAL_NOW - 800000000 - 200000000);
	tl_expect_u64(&c, "wall(J-1)", flow_clock_wall_ns(&clk, 1299), REAL_NOW - 804000000);
	/* Racing the anchor: a time one jiffy after it. */
	tl_expect_u64(&c, "wall(J+1)", flow_clock_wall_ns(&clk, 1301), REAL_NOW - 796000000);
	tl_end(&c, NULL);
}

static void test_snap(const char *name, __u64 jiffies, __u64 ns, unsigned int want_hz)
{
	struct xdpflow_clock_anchor a = { .first_jiffies = 5000, .first_ktime_ns = 10 * NS,
					  .last_jiffies = 5000 + jiffies,
					  .last_ktime_ns = 10 * NS + ns };
	struct flow_clock clk;
	struct tl_check c;

	tl_begin(&c, name);
	flow_clock_from_anchors(&a, 1, 10 * NS + ns, REAL_NOW, &clk);
	tl_expect_u64(&c, "hz", clk.hz, want_hz);
	tl_expect_u64(&c, "wall(J)", flow_clock_wall_ns(&clk, a.last_jiffies), REAL_NOW);
	if (want_hz)
		tl_expect_u64(&c, "wall(J - HZ)", flow_clock_wall_ns(&clk, a.last_jiffies - want_hz),
			      REAL_NOW - NS);
	else
		/* No common HZ near: the measured jiffy length is used as is. */
		tl_expect_u64(&c, "wall(first)", flow_clock_wall_ns(&clk, a.first_jiffies),
			      REAL_NOW - ns);
	tl_end(&c, "%llu jiffies in %llu ns", (unsigned long long)jiffies, (unsigned long long)ns);
}

static void test_hz300_exact(void)
{
	struct xdpflow_clock_anchor a = { .first_jiffies = 100, .first_ktime_ns = NS,
					  .last_jiffies = 400, .last_ktime_ns = 2 * NS };
	struct flow_clock clk;
	struct tl_check c;

	tl_begin(&c, "clock_hz300_integer_steps");
	flow_clock_from_anchors(&a, 1, 2 * NS, REAL_NOW, &clk);
	tl_expect_u64(&c, "hz", clk.hz, 300);
	/* 3 jiffies at HZ 300 are exactly 10 ms; one is 3,333,333 ns. */
	tl_expect_u64(&c, "wall(J-3)", flow_clock_wall_ns(&clk, 397), REAL_NOW - 10000000);
	tl_expect_u64(&c, "wall(J-1)", flow_clock_wall_ns(&clk, 399), REAL_NOW - 3333333);
	/* A large gap does not overflow: 2^40 jiffies back. */
	a.last_jiffies = 1ull << 41;
	a.first_jiffies = a.last_jiffies - 300;
	flow_clock_from_anchors(&a, 1, 2 * NS, REAL_NOW, &clk);
	tl_expect_u64(&c, "wall(J - 2^40)", flow_clock_wall_ns(&clk, 1ull << 40),
		      REAL_NOW - (long long)((1ull << 40) / 300 * NS + (1ull << 40) % 300 * NS / 300));
	tl_end(&c, NULL);
}

static void test_no_span_and_empty(void)
{
	struct xdpflow_clock_anchor a[3] = {
		{ 0 },
		{ .first_jiffies = 7000, .first_ktime_ns = 5 * NS, .last_jiffies = 7000,
		  .last_ktime_ns = 5 * NS },
		{ 0 },
	};
	struct flow_clock clk;
	struct tl_check c;

	tl_begin(&c, "clock_without_span_uses_hz250");
	flow_clock_from_anchors(a, 3, 6 * NS, REAL_NOW, &clk);
	tl_expect(&c, clk.valid, "not valid");
	tl_expect_u64(&c, "hz", clk.hz, FLOW_CLOCK_DEFAULT_HZ);
	tl_expect_u64(&c, "wall(J-250)", flow_clock_wall_ns(&clk, 6750), REAL_NOW - 2 * NS);
	tl_end(&c, NULL);

	tl_begin(&c, "clock_without_anchors_is_invalid");
	flow_clock_from_anchors(a, 1, 6 * NS, REAL_NOW, &clk);
	tl_expect(&c, !clk.valid, "valid without anchors");
	tl_end(&c, NULL);
}

static void test_utc(void)
{
	static const struct {
		long long ns;
		const char *want;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000Z" },
		{ 999999, "1970-01-01T00:00:00.000Z" },
		{ 1999999, "1970-01-01T00:00:00.001Z" },
		{ REAL_NOW, "2026-11-26T16:39:00.123Z" },
		{ REAL_NOW + 999999, "2026-11-26T16:39:00.123Z" },
		{ 4102444799999ll * 1000000, "2099-12-31T23:59:59.999Z" },
		{ 951782400000ll * 1000000, "2000-02-29T00:00:00.000Z" },
	};
	struct tl_check c;
	char buf[32];
	size_t i, len;

	tl_begin(&c, "clock_utc_iso8601_ms");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = format_utc_ms(cases[i].ns, buf);
		tl_expect(&c, !strcmp(buf, cases[i].want) && len == 24, "%lld ns: '%s', expected '%s'",
			  cases[i].ns, buf, cases[i].want);
	}
	tl_end(&c, NULL);
}

int main(int argc, char **argv)
{
	(void)argc;
	tl_init(argv[0]);
	test_hz250_newest_anchor();
	test_snap("clock_snaps_hz1000", 1000, 1030000000, 1000); /* 971 Hz measured */
	test_snap("clock_snaps_hz100", 100, 1040000000, 100); /* 96 Hz */
	test_snap("clock_snaps_hz250", 2500, 9600000000, 250); /* 260 Hz */
	test_snap("clock_unusual_hz_measured", 1234, NS, 0); /* 1234 Hz: none within 5% */
	test_hz300_exact();
	test_no_span_and_empty();
	test_utc();
	return tl_summary();
}
