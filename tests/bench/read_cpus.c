// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: what a live read costs per CPU (issue 17: the reader's time against the CPU
 * count).  Every CPU's flow cache is filled (2,048 flows each, run on that CPU), then reads
 * through pin/ (snapshot_take, snapshot_walk_flows) are timed with full caches and with empty
 * ones, and the per-CPU parts of a read (one copy of the generation words, one copy of the
 * cache) on their own.  The difference per CPU is what each more CPU adds to every read; the
 * table walk's share is the same whatever the CPU count, bar one copy of the words per batch
 * of 8,192 flows.  Prints the measured figures and the model for 2 to 256 CPUs.
 *
 * Usage: read_cpus [TABLE_FLOWS]   (as root; default 200000 flows in the flow table)
 */
#include <time.h>
#include "testlib.h"
#include "xdpflow.h"

#define READS 40
#define PORT_BASE 1000

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static __u32 set_of(const struct tl_frame *f, __u16 sport)
{
	struct xdpflow_flow_key k;
	__u64 w[6];

	tl_frame_key(f, &k, 1, IPPROTO_UDP, sport, 53);
	memcpy(w, &k, sizeof(w));
	return xdpflow_flow_set(xdpflow_flow_hash(w));
}

static void udp_frame(struct tl_frame *f, __u32 src, __u16 sport)
{
	tl_frame_init(f);
	tl_put_eth(f, TL_ETH_IPV4);
	tl_put_ipv4(f, &(struct tl_ipv4){ .proto = IPPROTO_UDP, .src = src });
	tl_put_udp(f, sport, 53);
	tl_put_bytes(f, 18, 0);
	tl_frame_finish(f);
}

/* Four flows into every set of this CPU's cache (each admitted into an empty entry). */
static int fill_cache(struct tl_xdp *x, int cpu)
{
	static __u8 ways[XDPFLOW_FLOWCACHE_SETS];
	struct tl_frame f;
	__u32 verdict, left = XDPFLOW_FLOWCACHE_ENTRIES, src = 0x0b000000u + ((__u32)cpu << 16), set;
	__u16 port;
	int err = 0;

	on_cpu(cpu);
	memset(ways, 0, sizeof(ways));
	for (; left && !err; src++)
		for (port = PORT_BASE; left && port < PORT_BASE + 64 && !err; port++) {
			udp_frame(&f, src, port);
			set = set_of(&f, port);
			if (ways[set] == XDPFLOW_FLOWCACHE_WAYS)
				continue;
			ways[set]++;
			left--;
			err = tl_xdp_run(x, f.data, f.len, 0, &verdict);
		}
	return err;
}

/* Table flows through CPU 0, bypassing its full cache: one frame each, all sets full. */
static int fill_table(struct tl_xdp *x, __u32 n)
{
	struct tl_frame f;
	__u32 verdict, i;
	int err = 0;

	on_cpu(0);
	for (i = 0; i < n && !err; i++) {
		udp_frame(&f, 0x0c000000u + i, 7);
		err = tl_xdp_run(x, f.data, f.len, 0, &verdict);
	}
	return err;
}

/* Median seconds of READS live reads (snapshot and one walk), and the last walk's counts. */
static double time_reads(struct tl_xdp *x, struct walk_counts *wc)
{
	double t[READS], a, tmp;
	struct snapshot_tables tables;
	struct snapshot s;
	int i, j;

	for (i = 0; i < READS; i++) {
		a = now_s();
		if (snapshot_take(&x->pm, true, &tables, &s))
			return -1;
		snapshot_walk_flows(&tables, &s, NULL, NULL, wc);
		snapshot_release(&tables, &s);
		t[i] = now_s() - a;
	}
	for (i = 0; i < READS; i++)
		for (j = i + 1; j < READS; j++)
			if (t[j] < t[i])
				tmp = t[i], t[i] = t[j], t[j] = tmp;
	return t[READS / 2];
}

/* Median seconds of one copy of every CPU's generation words, and of every CPU's cache. */
static void time_copies(struct tl_xdp *x, double *gens_s, double *cache_s)
{
	size_t words = sizeof(struct xdpflow_flowcache_gens) * x->pm.ncpus;
	struct flow_cache fc;
	double g[READS], c[READS], a, tmp;
	void *buf = malloc(words);
	int fd = pin_open_current(&x->pm, PIN_FLOWCACHE), i, j;
	__u32 zero = 0;

	for (i = 0; i < READS; i++) {
		a = now_s();
		bpf_map_lookup_elem(x->pm.fd[PIN_FLOWCACHE_GEN], &zero, buf);
		g[i] = now_s() - a;
		a = now_s();
		snapshot_read_flowcache(fd, -1, x->pm.ncpus, &fc);
		c[i] = now_s() - a;
		flow_cache_free(&fc);
	}
	for (i = 0; i < READS; i++)
		for (j = i + 1; j < READS; j++) {
			if (g[j] < g[i])
				tmp = g[i], g[i] = g[j], g[j] = tmp;
			if (c[j] < c[i])
				tmp = c[i], c[i] = c[j], c[j] = tmp;
		}
	*gens_s = g[READS / 2];
	*cache_s = c[READS / 2];
	close(fd);
	free(buf);
}

int main(int argc, char **argv)
{
	__u32 flows = argc > 1 ? (__u32)atoi(argv[1]) : 200000;
	static const int model[] = { 2, 8, 32, 64, 128, 256 };
	double empty, full, gens, cache, per_cpu, batches;

	struct walk_counts wc;
	struct tl_xdp x;
	int cpu, ncpus, i;

	tl_init(argv[0]);
	if (tl_xdp_open(&x, 262144)) {
		fprintf(stderr, "read_cpus: %s\n", tl_errmsg());
		return 1;
	}
	ncpus = x.pm.ncpus;
	/* Caches empty: the table alone (its flows bypass CPU 0's cache once it is full). */
	if (fill_cache(&x, 0) || fill_table(&x, flows)) {
		fprintf(stderr, "read_cpus: test run: %s\n", strerror(errno));
		return 1;
	}
	/* Empty the caches again, keep the table: cache copies then cost only their size. */
	{
		int fd = pin_open_current(&x.pm, PIN_FLOWCACHE);
		struct xdpflow_flowcache_set *zero = calloc(ncpus, sizeof(*zero));
		__u32 k;

		for (k = 0; k < XDPFLOW_FLOWCACHE_SETS; k++)
			bpf_map_update_elem(fd, &k, zero, BPF_ANY);
		free(zero);
		close(fd);
	}
	empty = time_reads(&x, &wc);
	for (cpu = 0; cpu < ncpus; cpu++)
		if (fill_cache(&x, cpu)) {
			fprintf(stderr, "read_cpus: cannot fill CPU %d's cache\n", cpu);
			return 1;
		}
	full = time_reads(&x, &wc);
	time_copies(&x, &gens, &cache);
	/*
	 * Per CPU, a read with full caches copies its cache once (and merges 2,048 entries) and
	 * its generation words 3 times around that copy, once after each table batch and once
	 * before the flows only in the caches.
	 */
	batches = (wc.table_entries + 8191) / 8192;
	per_cpu = cache / ncpus + gens / ncpus * (3 + batches + 1);
	printf("%d CPUs, %llu flows in the table, %llu only in the caches; median of %d reads\n",
	       ncpus, (unsigned long long)wc.table_entries, (unsigned long long)wc.cache_only, READS);
	printf("measured: a read with the caches empty %.2f ms, every CPU's cache full (2,048 flows "
	       "each) %.2f ms\n", empty * 1e3, full * 1e3);
	printf("measured per CPU: a copy of its generation words %.1f us, of its full cache with the "
	       "merge %.3f ms; with %.0f table batches a read pays %.3f ms per CPU\n",
	       gens * 1e6 / ncpus, cache * 1e3 / ncpus, batches, per_cpu * 1e3);
	printf("\nmodel: read(n CPUs, full caches) = %.2f ms + n x %.3f ms\n\n",
	       (full - ncpus * per_cpu) * 1e3, per_cpu * 1e3);
	printf("| CPUs | read, every cache full (ms, modelled) |\n| --- | --- |\n");
	for (i = 0; i < (int)(sizeof(model) / sizeof(model[0])); i++)
		printf("| %d | %.1f |\n", model[i], (full + (model[i] - ncpus) * per_cpu) * 1e3);
	tl_xdp_close(&x);
	return 0;
}
