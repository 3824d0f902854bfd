// SPDX-License-Identifier: GPL-2.0
/* Unit tests of pin/'s jiffies to wall-clock conversion and its UTC timestamps. */
#include "testlib.h"
#include "xdpflow.h"

#define NS 1000000000ll
/* 2026-11-26T16:39:00.123Z */
#define REAL_NOW (1795711140123ll * 1000000)

/*
 * A kernel simulated here, independently of pin/clock.c: jiffies count
 * TICK_NSEC (1e9 / HZ rounded, as the kernel's) of CLOCK_MONOTONIC from a
 * boot offset, and may be read up to `lag` ns late (an update not yet
 * done).  Frames come on CPUs; each records the jiffy it read as its flow
 * time and, as the program does, takes its CPU's anchor (jiffy, ktime a
 * little later) when that jiffy is new to the CPU.
 */
struct sim {
	unsigned int hz;
	int64_t tick, base, lag;
	uint64_t j0, rng;
	struct xdpflow_clock_anchor a[4];
};

static uint64_t sim_rand(struct sim *s, uint64_t n)
{
	s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
	return n ? (s->rng >> 17) % n : 0;
}

static void sim_start(struct sim *s, unsigned int hz, int64_t lag, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->hz = hz;
	s->tick = (NS + hz / 2) / hz;
	s->lag = lag;
	s->rng = seed;
	s->base = 3 * NS + (int64_t)sim_rand(s, (uint64_t)s->tick);
	s->j0 = 4294667296ull + sim_rand(s, 1000000); /* INITIAL_JIFFIES and boot time */
}

/* A frame at CLOCK_MONOTONIC k on a CPU: its flow time. */
static uint64_t sim_frame(struct sim *s, int cpu, int64_t k)
{
	int64_t seen = k - (int64_t)sim_rand(s, (uint64_t)s->lag + 1);
	uint64_t j = s->j0 + (uint64_t)((seen > s->base ? seen - s->base : 0) / s->tick);
	struct xdpflow_clock_anchor *a = &s->a[cpu];

	if (a->last_jiffies != j) {
		a->last_jiffies = j;
		a->last_ktime_ns = (uint64_t)k + 200;
		if (!a->first_jiffies) {
			a->first_jiffies = j;
			a->first_ktime_ns = a->last_ktime_ns;
		}
	}
	return j;
}

#define SIM_FRAMES 400
#define REAL_OFFSET (REAL_NOW - 90000 * NS)

struct sim_frames {
	int n;
	int64_t k[SIM_FRAMES];
	uint64_t j[SIM_FRAMES];
};

/*
 * Every frame's flow time, converted after all came (read 1 s after the
 * last), within one tick plus the lag of its arrival; max error out.
 */
static void sim_check(struct tl_check *c, struct sim *s, const struct sim_frames *f, int ncpus,
		      unsigned int kernel_hz, int64_t *max_err)
{
	int64_t mono = f->k[f->n - 1] + NS, err;
	struct flow_clock clk;
	int i;

	tl_expect(c, !flow_clock_from_anchors(s->a, ncpus, kernel_hz, mono, mono + REAL_OFFSET, &clk),
		  "out of memory");
	for (i = 0; i < f->n; i++) {
		err = flow_clock_wall_ns(&clk, f->j[i]) - (f->k[i] + REAL_OFFSET);
		err = err < 0 ? -err : err;
		*max_err = err > *max_err ? err : *max_err;
		tl_expect(c, err < s->tick + s->lag, "HZ %u (given %u): frame %d %lld ns off", s->hz,
			  kernel_hz, i, (long long)err);
	}
}

static const unsigned int sim_hz[] = { 100, 250, 300, 1000, 1200, 24 };

/*
 * The case of issue 14: a flow on CPU 0 for 8 ms, then one frame on CPU 1
 * a long idle time later (120 s, an hour, a day), at every HZ, with and
 * without the kernel's HZ known.
 */
static void test_short_span_then_idle(void)
{
	static const int64_t gaps[] = { 120 * NS, 3600 * NS, 86400 * NS };
	int64_t max_err = 0, k;
	struct sim_frames f;
	struct tl_check c;
	struct sim s;
	size_t h, g, known;

	tl_begin(&c, "clock_8ms_on_cpu0_then_cpu1_after_idle_within_a_tick");
	for (h = 0; h < sizeof(sim_hz) / sizeof(sim_hz[0]); h++)
		for (g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++)
			for (known = 0; known < 2; known++) {
				sim_start(&s, sim_hz[h], 0, h * 7 + g);
				f.n = 0;
				for (k = 10 * NS; k <= 10 * NS + 8000000; k += 1000000, f.n++) {
					f.k[f.n] = k;
					f.j[f.n] = sim_frame(&s, 0, k);
				}
				f.k[f.n] = 10 * NS + 8000000 + gaps[g];
				f.j[f.n] = sim_frame(&s, 1, f.k[f.n]);
				f.n++;
				sim_check(&c, &s, &f, 2, known ? s.hz : 0, &max_err);
			}
	tl_end(&c, "worst %.3f ms", max_err / 1e6);
}

/*
 * Random traffic: bursts on random CPUs after idle times from 0 to an
 * hour, frames up to 1 ms apart in a burst, jiffies read up to 1 ms late.
 */
static void test_random_traffic(void)
{
	static const int64_t gaps[] = { 0, 3000000, 50000000, NS, 120 * NS, 3600 * NS };
	int64_t max_err = 0, k;
	struct sim_frames f;
	struct tl_check c;
	struct sim s;
	size_t h;
	int round, cpu, burst;

	tl_begin(&c, "clock_random_bursts_any_cpu_any_hz_within_a_tick");
	for (h = 0; h < sizeof(sim_hz) / sizeof(sim_hz[0]); h++)
		for (round = 0; round < 100; round++) {
			sim_start(&s, sim_hz[h], 1000000, 1000 + round * 13 + h);
			k = 5 * NS;
			for (f.n = 0; f.n < SIM_FRAMES;) {
				k += gaps[sim_rand(&s, 6)] + (int64_t)sim_rand(&s, 10000000);
				cpu = (int)sim_rand(&s, 4);
				for (burst = 1 + (int)sim_rand(&s, 30); burst-- && f.n < SIM_FRAMES; f.n++) {
					k += (int64_t)sim_rand(&s, 1000000);
					f.k[f.n] = k;
					f.j[f.n] = sim_frame(&s, cpu, k);
				}
			}
			sim_check(&c, &s, &f, 4, round & 1 ? s.hz : 0, &max_err);
		}
	tl_end(&c, "worst %.3f ms over %zu kernels x 100 runs of %d frames", max_err / 1e6,
	       sizeof(sim_hz) / sizeof(sim_hz[0]), SIM_FRAMES);
}

/* Past the newest anchor (a frame counted during a read): the kernel's tick, else the anchors'. */
static void test_after_newest(void)
{
	struct xdpflow_clock_anchor a = { .first_jiffies = 100, .first_ktime_ns = NS,
					  .last_jiffies = 400, .last_ktime_ns = 2 * NS };
	struct flow_clock clk;
	struct tl_check c;

	tl_begin(&c, "clock_after_newest_kernel_tick");
	flow_clock_from_anchors(&a, 1, 1000, 2 * NS, REAL_NOW, &clk);
	tl_expect_u64(&c, "hz", clk.hz, 1000);
	tl_expect_u64(&c, "wall(J+3)", flow_clock_wall_ns(&clk, 403), REAL_NOW + 3000000);
	/* Without the kernel's HZ: 300 jiffies in 1 s snap to HZ 300, TICK_NSEC 3,333,333. */
	flow_clock_from_anchors(&a, 1, 0, 2 * NS, REAL_NOW, &clk);
	tl_expect_u64(&c, "snapped hz", clk.hz, 300);
	tl_expect_u64(&c, "wall(J+3) at 300", flow_clock_wall_ns(&clk, 403), REAL_NOW + 9999999);
	tl_expect_u64(&c, "wall(J-150), interpolated", flow_clock_wall_ns(&clk, 250),
		      REAL_NOW - 500000000);
	/* A gap past int64 nanoseconds saturates: 2^42 jiffies past the anchor. */
	tl_expect_u64(&c, "wall(J + 2^42)", flow_clock_wall_ns(&clk, 400 + (1ull << 42)),
		      (unsigned long long)INT64_MAX);
	/* 1234 jiffies in 1 s: no HZ a kernel has, the measured length is used. */
	a.last_jiffies = a.first_jiffies + 1234;
	flow_clock_from_anchors(&a, 1, 0, 2 * NS, REAL_NOW, &clk);
	tl_expect_u64(&c, "unusual hz", clk.hz, 0);
	tl_expect_u64(&c, "wall(J+1234)", flow_clock_wall_ns(&clk, a.last_jiffies + 1234),
		      REAL_NOW + NS);
	tl_end(&c, NULL);
}

static void test_one_jiffy_and_empty(void)
{
	struct xdpflow_clock_anchor a[3] = {
		{ 0 },
		{ .first_jiffies = 7000, .first_ktime_ns = 5 * NS, .last_jiffies = 7000,
		  .last_ktime_ns = 5 * NS },
		{ .first_jiffies = 7000, .first_ktime_ns = 5 * NS + 1000, .last_jiffies = 7000,
		  .last_ktime_ns = 5 * NS + 1000 },
	};
	struct flow_clock clk;
	struct tl_check c;

	tl_begin(&c, "clock_one_jiffy_earliest_anchor");
	flow_clock_from_anchors(a, 3, 100, 6 * NS, REAL_NOW, &clk);
	tl_expect(&c, clk.valid, "not valid");
	tl_expect_u64(&c, "points", clk.n, 1);
	tl_expect_u64(&c, "wall(J)", flow_clock_wall_ns(&clk, 7000), REAL_NOW - NS);
	tl_expect_u64(&c, "wall(J+100) at the kernel's HZ 100", flow_clock_wall_ns(&clk, 7100),
		      REAL_NOW);
	tl_end(&c, NULL);

	tl_begin(&c, "clock_without_anchors_is_invalid");
	flow_clock_from_anchors(a, 1, 0, 6 * NS, REAL_NOW, &clk);
	tl_expect(&c, !clk.valid, "valid without anchors");
	tl_end(&c, NULL);
}

static void test_tick_nsec(void)
{
	struct tl_check c;

	tl_begin(&c, "clock_tick_nsec_as_the_kernel");
	tl_expect_u64(&c, "HZ 100", flow_clock_tick_ns(100), 10000000);
	tl_expect_u64(&c, "HZ 250", flow_clock_tick_ns(250), 4000000);
	tl_expect_u64(&c, "HZ 300", flow_clock_tick_ns(300), 3333333);
	tl_expect_u64(&c, "HZ 1000", flow_clock_tick_ns(1000), 1000000);
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
	test_short_span_then_idle();
	test_random_traffic();
	test_after_newest();
	test_one_jiffy_and_empty();
	test_tick_nsec();
	test_utc();
	return tl_summary();
}
