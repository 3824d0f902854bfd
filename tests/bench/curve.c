// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: the cost curve from 1 to 1,000,000 flows (issue 17).  Each design runs behind
 * wrap.bpf.o, one BPF_PROG_TEST_RUN with a large `repeat` per sample, so no syscall is in the
 * figure; the wrapper's own cost (wrapper + tail call into a bare XDP_PASS) is subtracted.
 * Designs are interleaved within each round, medians of the rounds are reported, and a
 * one-frame-per-run pass cross-checks the method.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdpflow.h"
#include "flow_id.h"
#include "memlock.h"

#define MAX_DESIGNS 16
#define MAX_ROUNDS 51
/* Rounds per profile: 11, or CURVE_ROUNDS (odd, at most MAX_ROUNDS) for a finer comparison. */
static int rounds = 11;
#define SEQ_LEN (1u << 22) /* packets of a Zipf or trace sequence */
#define REPEAT 250000u
#define FRAME_LEN 64

enum profile_kind { ROUND_ROBIN, ZIPF, TRACE };

struct profile {
	const char *name;
	enum profile_kind kind;
	__u32 flows; /* round robin: flows; Zipf: flows ranked; trace: 0 */
};

static const struct profile profiles[] = {
	{ "1", ROUND_ROBIN, 1 },
	{ "256", ROUND_ROBIN, 256 },
	{ "1,000", ROUND_ROBIN, 1000 },
	{ "4,000", ROUND_ROBIN, 4000 },
	{ "10,000", ROUND_ROBIN, 10000 },
	{ "50,000", ROUND_ROBIN, 50000 },
	{ "250,000", ROUND_ROBIN, 250000 },
	{ "1,000,000", ROUND_ROBIN, 1000000 },
	{ "Zipf", ZIPF, 100000 },
	{ "trace", TRACE, 0 },
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

/* Zipf: popularity of rank r proportional to 1 / r^ZIPF_S over the profile's flows. */
#define ZIPF_S 1.0
/*
 * Trace: TRACE_ACTIVE flows are active at a time; each sends its packets in trains of a
 * geometric length (mean TRACE_TRAIN), an active flow picked at random per train; a flow's
 * size in packets is bounded Pareto (shape TRACE_ALPHA on [1, TRACE_MAX]); a finished flow is
 * replaced by a new one.
 */
#define TRACE_ACTIVE 2000
#define TRACE_TRAIN 8.0
#define TRACE_ALPHA 0.9
#define TRACE_MAX 1e6

enum design_kind { D_BARE, D_BLOG, D_DIRECT, D_XDPFLOW, D_PROTO };

struct design {
	const char *name;
	enum design_kind kind;
	char path[256];
	struct bpf_object *obj;
	int fd;
	char pin_dir[96];
	double ns[NPROFILES]; /* median ns per packet, wrapper included */
	__u64 percpu_bytes, flow_bytes;
	__u32 capacity;
};

struct driver {
	struct bpf_object *obj;
	int prog, target, profile, sequence;
};

static int silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "curve: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* 64-byte Ethernet/IPv4/UDP frame to 10.0.0.2, 12345 -> 53; the wrapper sets the source. */
static void udp4_frame(unsigned char *f, __u32 flow)
{
	__u32 src = flow_source(flow);

	memset(f, 0, FRAME_LEN);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 50;
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, &src, 4);
	f[30] = 10, f[33] = 2;
	f[34] = 0x30, f[35] = 0x39, f[37] = 53;
	f[39] = 30;
}

static __u32 test_run(int fd, unsigned char *frame, __u32 repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = FRAME_LEN,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &opts))
		die("test run", errno);
	if (opts.retval != XDP_PASS) {
		fprintf(stderr, "curve: test run returned %u, not XDP_PASS (tail call failed?)\n",
			opts.retval);
		exit(1);
	}
	return opts.duration;
}

static __u32 next_pow2(__u32 n)
{
	__u32 p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* Flow-table capacity: the product's default, or the power of two that holds the profile. */
static __u32 capacity_for(__u32 flows)
{
	__u32 cap = next_pow2(flows);

	return cap > XDPFLOW_DEFAULT_MAX_FLOWS ? cap : XDPFLOW_DEFAULT_MAX_FLOWS;
}

static struct bpf_map *find_map(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m) {
		fprintf(stderr, "curve: %s has no map %s\n", bpf_object__name(obj), name);
		exit(1);
	}
	return m;
}

/* Per-CPU bytes of every per-CPU map of the object, and the flow table's memory per entry. */
static void account_memory(struct design *d, const char *flow_map)
{
	struct bpf_map *m;

	d->percpu_bytes = 0;
	bpf_object__for_each_map(m, d->obj) {
		if (bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY ||
		    bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_HASH)
			d->percpu_bytes += (__u64)((bpf_map__value_size(m) + 7) & ~7u) *
					   bpf_map__max_entries(m);
		/* A plain array of every CPU's sets (PC_MMAP): its share per CPU. */
		if (bpf_map__type(m) == BPF_MAP_TYPE_ARRAY && !strcmp(bpf_map__name(m), "fcache_epoch0"))
			d->percpu_bytes += (__u64)((bpf_map__value_size(m) + 7) & ~7u) *
					   bpf_map__max_entries(m) / libbpf_num_possible_cpus();
	}
	d->flow_bytes = 0;
	if (flow_map) {
		long long mem = map_memlock(bpf_map__fd(find_map(d->obj, flow_map)));

		if (mem > 0)
			d->flow_bytes = mem / bpf_map__max_entries(find_map(d->obj, flow_map));
	}
}

static void load_design(struct design *d, __u32 capacity, int serial)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct bpf_program *prog;
	const char *flow_map = NULL;
	struct bpf_map *m;
	char msg[256];
	int err;

	d->obj = bpf_object__open_file(d->path, &opts);
	if (!d->obj)
		die(d->path, errno);
	prog = bpf_object__next_program(d->obj, NULL);
	/* The wrapper's prog array takes only programs of its kind: XDP with frags. */
	bpf_program__set_flags(prog, bpf_program__flags(prog) | BPF_F_XDP_HAS_FRAGS);
	d->capacity = capacity;
	switch (d->kind) {
	case D_BARE:
		break;
	case D_BLOG:
		if (capacity > 65536 && bpf_map__set_max_entries(find_map(d->obj, "src_count"), capacity))
			die("blog src_count", errno);
		break;
	case D_DIRECT:
		flow_map = "direct_flows";
		if (bpf_map__set_max_entries(find_map(d->obj, flow_map), capacity))
			die("direct_flows", errno);
		break;
	case D_XDPFLOW:
		/* As the product loads it: maps pinned by name, tables behind the outer maps. */
		flow_map = "flows_epoch0";
		snprintf(d->pin_dir, sizeof(d->pin_dir), XDPFLOW_BPFFS "/xdpflow-curve-%d-%d",
			 getpid(), serial);
		err = pin_prepare_object(d->obj, d->pin_dir, capacity, msg, sizeof(msg));
		if (err) {
			fprintf(stderr, "curve: %s\n", msg);
			exit(1);
		}
		break;
	case D_PROTO:
		/* A prototype cache (flows_epoch0) or a variant of the direct design. */
		flow_map = bpf_object__find_map_by_name(d->obj, "flows_epoch0") ? "flows_epoch0" :
										 "direct_flows";
		if (bpf_map__set_max_entries(find_map(d->obj, flow_map), capacity))
			die(flow_map, errno);
		/* A cache that is a plain array holds every CPU's sets (PC_MMAP). */
		m = bpf_object__find_map_by_name(d->obj, "fcache_epoch0");
		if (m && bpf_map__type(m) == BPF_MAP_TYPE_ARRAY) {
			__u32 all = bpf_map__max_entries(m) * libbpf_num_possible_cpus();
			LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = bpf_map__map_flags(m));
			int tmpl;

			/* libbpf 1.1 cannot resize the inner template: give it one of the size. */
			tmpl = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fcache_tmpl", 4,
					      bpf_map__value_size(m), all, &mo);
			if (tmpl < 0 || bpf_map__set_max_entries(m, all) ||
			    bpf_map__set_inner_map_fd(find_map(d->obj, "pc_fcache"), tmpl))
				die("fcache_epoch0", errno);
		}
		break;
	}
	if (bpf_object__load(d->obj))
		die(d->path, errno);
	d->fd = bpf_program__fd(prog);
	account_memory(d, flow_map);
}

static void unload_design(struct design *d)
{
	bpf_object__close(d->obj);
	d->obj = NULL;
	if (d->pin_dir[0]) {
		pin_remove_all(d->pin_dir);
		d->pin_dir[0] = 0;
	}
}

static void load_driver(struct driver *drv, const char *dir)
{
	char path[256];
	struct bpf_program *prog;

	snprintf(path, sizeof(path), "%s/bench/wrap.bpf.o", dir);
	drv->obj = bpf_object__open_file(path, NULL);
	if (!drv->obj)
		die(path, errno);
	if (bpf_map__set_max_entries(find_map(drv->obj, "sequence"), SEQ_LEN))
		die("sequence", errno);
	if (bpf_object__load(drv->obj))
		die(path, errno);
	prog = bpf_object__next_program(drv->obj, NULL);
	drv->prog = bpf_program__fd(prog);
	drv->target = bpf_map__fd(find_map(drv->obj, "target"));
	drv->profile = bpf_map__fd(find_map(drv->obj, "profile"));
	drv->sequence = bpf_map__fd(find_map(drv->obj, "sequence"));
}

static void set_target(struct driver *drv, int prog_fd)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(drv->target, &zero, &prog_fd, BPF_ANY))
		die("tail-call slot", errno);
}

static void set_profile(struct driver *drv, __u32 flows, __u32 seq_len)
{
	__u32 zero = 0, one = 1;

	if (bpf_map_update_elem(drv->profile, &zero, &flows, BPF_ANY) ||
	    bpf_map_update_elem(drv->profile, &one, &seq_len, BPF_ANY))
		die("profile", errno);
}

/* A deterministic generator, so every run measures the same sequences. */
static __u64 rng_state = 0x9e3779b97f4a7c15ull;

static __u64 rng(void)
{
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double uniform(void)
{
	return (rng() >> 11) * (1.0 / 9007199254740992.0);
}

/* Zipf over n flows: i.i.d. ranks by inverse CDF, ranks mapped to flow ids by a shuffle. */
static __u32 zipf_sequence(__u32 *seq, __u32 n)
{
	double *cdf = malloc(n * sizeof(*cdf)), sum = 0;
	__u32 *perm = malloc(n * sizeof(*perm)), i, j, t;

	if (!cdf || !perm)
		die("memory", ENOMEM);
	for (i = 0; i < n; i++)
		cdf[i] = sum += 1.0 / pow(i + 1, ZIPF_S);
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = rng() % (i + 1);
		t = perm[i], perm[i] = perm[j], perm[j] = t;
	}
	for (i = 0; i < SEQ_LEN; i++) {
		double u = uniform() * sum;
		__u32 lo = 0, hi = n - 1;

		while (lo < hi) {
			__u32 mid = (lo + hi) / 2;

			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		seq[i] = perm[lo];
	}
	free(cdf);
	free(perm);
	return n;
}

static __u64 pareto_size(void)
{
	/* Bounded Pareto on [1, TRACE_MAX] by inverse CDF. */
	double u = uniform(), ha = pow(TRACE_MAX, TRACE_ALPHA);
	double x = pow(-(u * ha - u - ha) / ha, -1.0 / TRACE_ALPHA);

	return x < 1 ? 1 : (__u64)x;
}

/* The synthetic trace; returns the number of distinct flows and prints its make-up. */
static __u32 trace_sequence(__u32 *seq)
{
	static __u64 left[TRACE_ACTIVE];
	static __u32 id[TRACE_ACTIVE];
	__u32 next_id = 0, i = 0, a, trains = 0;

	for (a = 0; a < TRACE_ACTIVE; a++) {
		id[a] = next_id++;
		left[a] = pareto_size();
	}
	while (i < SEQ_LEN) {
		__u64 train = 1;

		a = rng() % TRACE_ACTIVE;
		while (uniform() > 1.0 / TRACE_TRAIN)
			train++;
		if (train > left[a])
			train = left[a];
		left[a] -= train;
		trains++;
		while (train-- && i < SEQ_LEN)
			seq[i++] = id[a];
		if (!left[a]) {
			id[a] = next_id++;
			left[a] = pareto_size();
		}
	}
	printf("trace: %u packets, %u distinct flows, %u trains (mean %.1f packets)\n",
	       SEQ_LEN, next_id, trains, (double)SEQ_LEN / trains);
	return next_id;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Interleaved rounds of every design on one profile; medians into d[i].ns[p]. */
static void measure_profile(struct driver *drv, struct design *d, int n, int p, __u32 repeat,
			    __u32 warm)
{
	static __u32 samples[MAX_DESIGNS][MAX_ROUNDS];
	unsigned char frame[FRAME_LEN];
	int r, i, k;

	udp4_frame(frame, 0);
	for (i = 0; i < n; i++) {
		set_target(drv, d[i].fd);
		test_run(drv->prog, frame, warm);
	}
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < n; k++) {
			i = (k + r) % n; /* a different design first in each round */
			set_target(drv, d[i].fd);
			samples[i][r] = test_run(drv->prog, frame, repeat);
		}
	}
	for (i = 0; i < n; i++) {
		qsort(samples[i], rounds, sizeof(__u32), cmp_u32);
		d[i].ns[p] = samples[i][rounds / 2];
	}
}

/* The method: one test run per frame, flows round robin, one pass after a warm one. */
static double per_frame_ns(int fd, __u32 flows)
{
	unsigned char frame[FRAME_LEN];
	double total = 0;
	__u32 i, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < flows || i < 20000; i++) {
			udp4_frame(frame, i % flows);
			if (pass)
				total += test_run(fd, frame, 1);
			else
				test_run(fd, frame, 1);
		}
	}
	return total / (flows > 20000 ? flows : 20000);
}

/*
 * One CPU, and SCHED_FIFO on it: the timed loop of a test run can be preempted, and the time
 * another job then runs would count as the program's.  The kernel's RT throttling (95% by
 * default) still leaves that CPU's other work a share.  Returns whether FIFO was granted.
 */
static int pin_cpu(void)
{
	struct sched_param sp = { .sched_priority = 10 };
	int cpu = sched_getcpu();
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	return sched_setscheduler(0, SCHED_FIFO, &sp) == 0;
}

static const char *stem(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int main(int argc, char **argv)
{
	static struct design d[MAX_DESIGNS];
	static const struct {
		const char *name, *file;
		enum design_kind kind;
	} base[] = {
		{ "bare", "bench/bare.bpf.o", D_BARE },
		{ "blog", "bench/blog.bpf.o", D_BLOG },
		{ "direct", "bench/direct.bpf.o", D_DIRECT },
		{ "xdpflow", "xdpflow.bpf.o", D_XDPFLOW },
	};
	const char *dir = argc > 1 ? argv[1] : "build";
	const char *dat = argc > 2 ? argv[2] : NULL;
	struct driver drv;
	__u32 *seq = malloc(SEQ_LEN * sizeof(*seq)), p, flows;
	int n = 0, i, serial = 0, xcheck[] = { 1, 1000, 10000, 50000 };
	unsigned char frame[FRAME_LEN];
	time_t start = time(NULL);
	FILE *out = NULL;
	int fifo;
	/* CURVE_ONLY="1 Zipf": only the profiles named (for trying a change quickly). */
	const char *only = getenv("CURVE_ONLY");

	if (!seq)
		die("memory", ENOMEM);
	if (getenv("CURVE_ROUNDS")) {
		rounds = atoi(getenv("CURVE_ROUNDS")) | 1;
		if (rounds > MAX_ROUNDS)
			rounds = MAX_ROUNDS;
	}
	libbpf_set_print(silent);
	fifo = pin_cpu();
	for (i = 0; i < 4; i++) {
		d[n].name = base[i].name;
		d[n].kind = base[i].kind;
		snprintf(d[n].path, sizeof(d[n].path), "%s/%s", dir, base[i].file);
		n++;
	}
	for (i = 3; i < argc && n < MAX_DESIGNS; i++, n++) {
		d[n].kind = D_PROTO;
		snprintf(d[n].path, sizeof(d[n].path), "%s", argv[i]);
		d[n].name = stem(d[n].path);
	}
	load_driver(&drv, dir);

	printf("Per-packet cost (ns) on the curve: BPF_PROG_TEST_RUN of wrap.bpf.o (repeat %u)\n"
	       "tail-calling each design; median of %d interleaved rounds; CPU %d%s.\n\n",
	       REPEAT, rounds, sched_getcpu(), fifo ? ", SCHED_FIFO" : " (SCHED_FIFO refused)");
	for (p = 0; p < NPROFILES; p++) {
		const struct profile *pr = &profiles[p];
		__u32 seq_len = 0, warm;

		if (only && !strstr(only, pr->name))
			continue;

		if (pr->kind == ROUND_ROBIN) {
			flows = pr->flows;
			warm = 2 * flows > 200000 ? 2 * flows : 200000;
		} else {
			flows = pr->kind == ZIPF ? zipf_sequence(seq, pr->flows) : trace_sequence(seq);
			seq_len = SEQ_LEN;
			warm = SEQ_LEN; /* every flow of the sequence in the tables */
			for (i = 0; i < (int)SEQ_LEN; i += 65536) {
				__u32 keys[65536], count = 65536, k;

				for (k = 0; k < count; k++)
					keys[k] = i + k;
				if (bpf_map_update_batch(drv.sequence, keys, seq + i, &count, NULL))
					die("sequence", errno);
			}
		}
		set_profile(&drv, pr->kind == ROUND_ROBIN ? flows : 0, seq_len);
		for (i = 0; i < n; i++)
			load_design(&d[i], capacity_for(flows), serial++);
		measure_profile(&drv, d, n, p, REPEAT, warm);
		printf("%-10s capacity %7u:", pr->name, capacity_for(flows));
		for (i = 0; i < n; i++)
			printf(" %s %.0f", d[i].name, d[i].ns[p]);
		printf("\n");
		fflush(stdout);
		for (i = 0; i < n; i++)
			unload_design(&d[i]);
	}

	printf("\n| flows | blog | direct | xdpflow |");
	for (i = 4; i < n; i++)
		printf(" %s |", d[i].name);
	printf(" xdpflow / blog | xdpflow / direct |\n| ---");
	for (i = 1; i < n + 2; i++)
		printf(" | ---");
	printf(" |\n");
	for (p = 0; p < NPROFILES; p++) {
		double bare = d[0].ns[p];

		printf("| %s |", profiles[p].name);
		for (i = 1; i < n; i++)
			printf(" %.0f |", d[i].ns[p] - bare);
		printf(" %.0f%% | %.0f%% |\n", 100 * (d[3].ns[p] - bare) / (d[1].ns[p] - bare),
		       100 * (d[3].ns[p] - bare) / (d[2].ns[p] - bare));
	}
	printf("\nns per packet above bare (wrapper + tail call into XDP_PASS: ");
	for (p = 0; p < NPROFILES; p++)
		printf("%s%.0f", p ? ", " : "", d[0].ns[p]);
	printf(" ns).\n\nRatios of overhead above bare, each design against blog and direct:\n\n"
	       "| design | per-CPU memory (KiB) | flow table bytes/flow |");
	for (p = 0; p < NPROFILES; p++)
		printf(" %s |", profiles[p].name);
	printf("\n| ---");
	for (p = 0; p < NPROFILES + 2; p++)
		printf(" | ---");
	printf(" |\n");
	for (i = 2; i < n; i++) {
		printf("| %s | %.0f | %llu |", d[i].name, d[i].percpu_bytes / 1024.0,
		       (unsigned long long)d[i].flow_bytes);
		for (p = 0; p < NPROFILES; p++) {
			double bare = d[0].ns[p], o = d[i].ns[p] - bare;

			printf(" %.0f%% / %.2f |", 100 * o / (d[1].ns[p] - bare),
			       o / (d[2].ns[p] - bare));
		}
		printf("\n");
	}

	if (dat) {
		out = fopen(dat, "w");
		if (!out)
			die(dat, errno);
		fprintf(out, "# profile flows");
		for (i = 1; i < n; i++)
			fprintf(out, " %s", d[i].name);
		fprintf(out, "\n");
		for (p = 0; p < NPROFILES; p++) {
			fprintf(out, "\"%s\" %u", profiles[p].name, profiles[p].flows);
			for (i = 1; i < n; i++)
				fprintf(out, " %.1f", d[i].ns[p] - d[0].ns[p]);
			fprintf(out, "\n");
		}
		fclose(out);
	}

	/* Cross-check: one frame per test run (the syscall in every figure), bare subtracted. */
	printf("\nCross-check, one frame per BPF_PROG_TEST_RUN (repeat 1), round robin, bare "
	       "subtracted (ns/packet):\n\n| flows | blog | direct | xdpflow | %s |\n"
	       "| --- | --- | --- | --- | --- |\n", n > 4 ? d[n - 1].name : "-");
	udp4_frame(frame, 0);
	for (p = 0; p < sizeof(xcheck) / sizeof(xcheck[0]); p++) {
		int show[] = { 1, 2, 3, n - 1 };
		double bare;

		for (i = 0; i < n; i++)
			load_design(&d[i], XDPFLOW_DEFAULT_MAX_FLOWS, serial++);
		bare = per_frame_ns(d[0].fd, xcheck[p]);
		printf("| %d |", xcheck[p]);
		for (i = 0; i < 4; i++) {
			if (show[i] < 1 || (i == 3 && n <= 4))
				printf(" - |");
			else
				printf(" %.0f |", per_frame_ns(d[show[i]].fd, xcheck[p]) - bare);
		}
		printf("\n");
		fflush(stdout);
		for (i = 0; i < n; i++)
			unload_design(&d[i]);
	}
	printf("\ncurve: %lds\n", (long)(time(NULL) - start));
	bpf_object__close(drv.obj);
	free(seq);
	return 0;
}
