// SPDX-License-Identifier: GPL-2.0
/* Unit test: the per-CPU flow cache's rules (docs/DESIGN.md), frame by frame on one CPU. */
#include "testlib.h"

/*
 * Every test sends UDP frames of flows that share one cache set on CPU 0 and
 * then looks at that set, its generation words and the flow table.  Which
 * flows share a set is worked out here from the ABI's flow hash over keys
 * built by testlib (tl_frame_key), not asked of the program; the expected
 * counts are the frames this test sent.
 */

#define LO_IFINDEX 1 /* BPF_PROG_TEST_RUN's default ingress interface */
#define PAYLOAD 18 /* 60-byte frames: 42 + 18 */
#define FRAME_LEN 60
#define WAYS XDPFLOW_FLOWCACHE_WAYS
#define NFLOWS 16 /* flows of one set a test may use */
#define SMALL_TABLE 8

static struct tl_xdp xdp, small;
static struct tl_frame frame;
static int cpu; /* the CPU every frame runs on */
static __u32 target_set; /* the set every flow of the tests maps to */
static __u16 ports[NFLOWS]; /* UDP source ports of flows in target_set */

static struct tl_frame *flow_frame(int i)
{
	tl_frame_init(&frame);
	tl_put_eth(&frame, TL_ETH_IPV4);
	tl_put_ipv4(&frame, &(struct tl_ipv4){ .proto = IPPROTO_UDP });
	tl_put_udp(&frame, ports[i], 53);
	tl_put_bytes(&frame, PAYLOAD, 0x55);
	tl_frame_finish(&frame);
	return &frame;
}

static void flow_key(int i, struct xdpflow_flow_key *k)
{
	tl_frame_key(flow_frame(i), k, LO_IFINDEX, IPPROTO_UDP, ports[i], 53);
}

static __u32 key_set(const struct xdpflow_flow_key *k)
{
	__u64 w[6];

	memcpy(w, k, sizeof(w));
	return xdpflow_flow_set(xdpflow_flow_hash(w));
}

/* NFLOWS source ports whose flows land in one set (the set of port 1000's flow). */
static void pick_ports(void)
{
	struct xdpflow_flow_key k;
	int n = 0;
	__u32 p;

	_Static_assert(sizeof(k) == 48, "the hash reads six words");
	for (p = 1000; n < NFLOWS && p < 65536; p++) {
		ports[n] = (__u16)p;
		flow_key(n, &k);
		if (!n)
			target_set = key_set(&k);
		if (key_set(&k) == target_set)
			n++;
	}
}

static int send_flow(struct tl_xdp *x, int i, int times)
{
	__u32 verdict;
	int err = 0;

	while (times-- && !err) {
		flow_frame(i);
		err = tl_xdp_run(x, frame.data, frame.len, 0, &verdict);
		if (!err && verdict != XDP_PASS)
			err = -EPROTO;
	}
	return err;
}

/* This CPU's copy of the target set and of its generation words. */
static int read_set(struct tl_xdp *x, struct xdpflow_flowcache_set *set, __u32 gen[WAYS])
{
	size_t stride = tl_percpu_stride(sizeof(*set)), gstride;
	int fd = tl_current_table(x->fcache_fd), err = 0, w;
	struct xdpflow_flowcache_gens *g;
	__u8 *vals, *gvals;
	__u32 zero = 0;

	if (fd < 0)
		return fd;
	gstride = tl_percpu_stride(sizeof(*g));
	vals = malloc(stride * x->ncpus);
	gvals = malloc(gstride * x->ncpus);
	if (!vals || !gvals)
		err = -ENOMEM;
	else if (bpf_map_lookup_elem(fd, &target_set, vals) ||
		 bpf_map_lookup_elem(x->fgen_fd, &zero, gvals))
		err = tl_seterr(-errno, "reading the cache: %s", strerror(errno));
	if (!err) {
		memcpy(set, vals + stride * cpu, sizeof(*set));
		g = (void *)(gvals + gstride * cpu);
		for (w = 0; w < WAYS; w++)
			gen[w] = g->gen[target_set * WAYS + w];
	}
	free(vals);
	free(gvals);
	close(fd);
	return err;
}

/* The way of the set holding flow i, or -1. */
static int way_of(const struct xdpflow_flowcache_set *set, int i)
{
	struct xdpflow_flow_key k;
	int w;

	flow_key(i, &k);
	for (w = 0; w < WAYS; w++)
		if (set->e[w].counters.packets && !memcmp(&set->e[w].key, &k, sizeof(k)))
			return w;
	return -1;
}

/* Packets of flow i in the flow table (0: no entry). */
static __u64 table_packets(struct tl_xdp *x, int i)
{
	struct xdpflow_flow_counters v;
	struct xdpflow_flow_key k;
	int fd = tl_current_table(x->flows_fd);
	__u64 n = 0;

	flow_key(i, &k);
	if (fd >= 0 && !bpf_map_lookup_elem(fd, &k, &v)) {
		n = v.packets;
		if (v.bytes != n * FRAME_LEN)
			n = ~0ull; /* bytes of another flow: never expected */
	}
	if (fd >= 0)
		close(fd);
	return n;
}

static __u64 cached_packets(const struct xdpflow_flowcache_set *set, int i)
{
	int w = way_of(set, i);

	return w < 0 ? 0 : set->e[w].counters.packets;
}

/* Start from empty maps; the generation words are zeroed too. */
static bool fresh(struct tl_check *c, struct tl_xdp *x)
{
	return tl_expect(c, !tl_xdp_reset(x), "%s", tl_errmsg());
}

/* Four flows fill the set's four entries at their first frame: nothing reaches the table. */
static void test_empty_entries_take_flows_at_once(void)
{
	struct xdpflow_flowcache_set set;
	__u32 gen[WAYS];
	struct tl_check c;
	int i;

	tl_begin(&c, "empty_entries_take_flows_at_once");
	if (!fresh(&c, &xdp)) {
		tl_end(&c, NULL);
		return;
	}
	for (i = 0; i < WAYS; i++)
		tl_expect(&c, !send_flow(&xdp, i, 3), "sending flow %d", i);
	if (tl_expect(&c, !read_set(&xdp, &set, gen), "%s", tl_errmsg())) {
		for (i = 0; i < WAYS; i++) {
			tl_expect_u64(&c, "cached packets", cached_packets(&set, i), 3);
			tl_expect_u64(&c, "table packets", table_packets(&xdp, i), 0);
		}
		for (i = 0; i < WAYS; i++)
			tl_expect_u64(&c, "generation word after one re-key", gen[i], 2);
	}
	tl_end(&c, "set %u, %d flows x 3 frames, all cached", target_set, WAYS);
}

/*
 * A fifth flow's first frame in the full set goes straight to the table; the cached flows
 * keep their entries and their generation words (no re-key happened).
 */
static void test_first_miss_bypasses(void)
{
	struct xdpflow_flowcache_set set;
	__u32 gen[WAYS];
	struct tl_check c;
	int i;

	tl_begin(&c, "first_miss_bypasses");
	if (!fresh(&c, &xdp)) {
		tl_end(&c, NULL);
		return;
	}
	for (i = 0; i < WAYS; i++)
		tl_expect(&c, !send_flow(&xdp, i, 1), "sending flow %d", i);
	tl_expect(&c, !send_flow(&xdp, WAYS, 1), "sending flow %d", WAYS);
	if (tl_expect(&c, !read_set(&xdp, &set, gen), "%s", tl_errmsg())) {
		tl_expect_u64(&c, "new flow in the table", table_packets(&xdp, WAYS), 1);
		tl_expect(&c, way_of(&set, WAYS) < 0, "the new flow took an entry");
		for (i = 0; i < WAYS; i++) {
			tl_expect_u64(&c, "cached flow kept", cached_packets(&set, i), 1);
			tl_expect_u64(&c, "generation word", gen[i], 2);
		}
		tl_expect(&c, set.door != 0, "the doorkeeper did not note the miss");
	}
	tl_end(&c, NULL);
}

/*
 * Misses of two flows in turn never admit either (each resets the doorkeeper); two misses in
 * a row of one flow admit it: the entry the hand picks is moved to the table with exact
 * counts, its generation word goes up by 2, and the new flow starts there with its frame.
 */
static void test_second_miss_in_a_row_admits(void)
{
	struct xdpflow_flowcache_set set;
	__u32 before[WAYS], gen[WAYS];
	struct tl_check c;
	int i, w, evicted = -1;

	tl_begin(&c, "second_miss_in_a_row_admits");
	if (!fresh(&c, &xdp)) {
		tl_end(&c, NULL);
		return;
	}
	for (i = 0; i < WAYS; i++)
		tl_expect(&c, !send_flow(&xdp, i, 5), "sending flow %d", i);
	for (i = 0; i < 3; i++) {
		tl_expect(&c, !send_flow(&xdp, WAYS, 1), "sending flow %d", WAYS);
		tl_expect(&c, !send_flow(&xdp, WAYS + 1, 1), "sending flow %d", WAYS + 1);
	}
	if (!tl_expect(&c, !read_set(&xdp, &set, before), "%s", tl_errmsg())) {
		tl_end(&c, NULL);
		return;
	}
	tl_expect(&c, way_of(&set, WAYS) < 0 && way_of(&set, WAYS + 1) < 0,
		  "alternating misses admitted a flow");
	tl_expect_u64(&c, "alternating flow A in the table", table_packets(&xdp, WAYS), 3);
	tl_expect_u64(&c, "alternating flow B in the table", table_packets(&xdp, WAYS + 1), 3);
	/* B missed last; B again is its second miss in a row. */
	tl_expect(&c, !send_flow(&xdp, WAYS + 1, 1), "sending flow %d", WAYS + 1);
	if (tl_expect(&c, !read_set(&xdp, &set, gen), "%s", tl_errmsg())) {
		w = way_of(&set, WAYS + 1);
		if (tl_expect(&c, w >= 0, "the second miss in a row did not admit the flow")) {
			tl_expect_u64(&c, "admitted flow's entry", set.e[w].counters.packets, 1);
			tl_expect_u64(&c, "its generation word", gen[w], before[w] + 2);
		}
		for (i = 0; i < WAYS; i++)
			if (way_of(&set, i) < 0)
				evicted = i;
		if (tl_expect(&c, evicted >= 0, "no flow left the set"))
			tl_expect_u64(&c, "evicted flow's packets in the table",
				      table_packets(&xdp, evicted), 5);
		tl_expect_u64(&c, "admitted flow's earlier frames stay in the table",
			      table_packets(&xdp, WAYS + 1), 3);
	}
	tl_end(&c, "flow %d evicted", evicted);
}

/*
 * Second chance: the entry picked for a newly admitted flow is the first one from the hand
 * that was not hit since the hand last passed it.  Flows 1-3 were hit again after taking
 * their entries and flow 0 was not, so admitting a new flow evicts flow 0.
 */
static void test_second_chance_spares_hit_entries(void)
{
	struct xdpflow_flowcache_set set;
	__u32 gen[WAYS];
	struct tl_check c;
	int i;

	tl_begin(&c, "second_chance_spares_hit_entries");
	if (!fresh(&c, &xdp)) {
		tl_end(&c, NULL);
		return;
	}
	/* Flows 0-3 take ways 0-3 at their first frame, then only 1-3 are hit again. */
	for (i = 0; i < WAYS; i++)
		tl_expect(&c, !send_flow(&xdp, i, 1), "sending flow %d", i);
	for (i = 1; i < WAYS; i++)
		tl_expect(&c, !send_flow(&xdp, i, 1), "hitting flow %d", i);
	tl_expect(&c, !send_flow(&xdp, WAYS, 2), "admitting flow %d", WAYS);
	if (tl_expect(&c, !read_set(&xdp, &set, gen), "%s", tl_errmsg())) {
		tl_expect(&c, way_of(&set, 0) < 0, "flow 0 (not hit) was not the one evicted");
		for (i = 1; i < WAYS; i++)
			tl_expect(&c, way_of(&set, i) >= 0, "flow %d (hit) was evicted", i);
		tl_expect_u64(&c, "flow 0 in the table", table_packets(&xdp, 0), 1);
	}
	tl_end(&c, NULL);
}

/*
 * A full table refuses the evicted flow: the flow stays cached (nothing lost), its generation
 * word ends where it was, and the admitting frame is counted as refused.
 */
static void test_full_table_keeps_cached_flow(void)
{
	struct xdpflow_counter refused[2][256];
	struct xdpflow_flowcache_set set;
	struct xdpflow_iface_stats s;
	__u32 before[WAYS], gen[WAYS];
	struct tl_check c;
	int i, w;

	tl_begin(&c, "full_table_keeps_cached_flow");
	if (!fresh(&c, &small)) {
		tl_end(&c, NULL);
		return;
	}
	for (i = 0; i < WAYS; i++)
		tl_expect(&c, !send_flow(&small, i, 2), "sending flow %d", i);
	/* Fill the table: more flows of the full set, one miss each (never admitted). */
	for (i = WAYS; i < WAYS + SMALL_TABLE; i++)
		tl_expect(&c, !send_flow(&small, i, 1), "sending flow %d", i);
	for (i = WAYS; i < WAYS + SMALL_TABLE; i++)
		tl_expect_u64(&c, "bypassed flow in the table", table_packets(&small, i), 1);
	if (!tl_expect(&c, !read_set(&small, &set, before), "%s", tl_errmsg())) {
		tl_end(&c, NULL);
		return;
	}
	/* A new flow, twice: refused on its first miss, then admitted, which the table refuses. */
	tl_expect(&c, !send_flow(&small, NFLOWS - 1, 2), "sending flow %d", NFLOWS - 1);
	if (tl_expect(&c, !read_set(&small, &set, gen) && !tl_read_stats(&small, LO_IFINDEX, &s),
		      "%s", tl_errmsg())) {
		for (i = 0; i < WAYS; i++) {
			tl_expect_u64(&c, "cached flow kept", cached_packets(&set, i), 2);
			w = way_of(&set, i);
			if (w >= 0)
				tl_expect_u64(&c, "generation word unchanged", gen[w], before[w]);
		}
		tl_expect(&c, way_of(&set, NFLOWS - 1) < 0, "the refused flow took an entry");
		tl_expect_u64(&c, "refused flow not in the table",
			      table_packets(&small, NFLOWS - 1), 0);
		tl_expect_u64(&c, "unrecorded packets", s.unrecorded.packets, 2);
		memset(refused, 0, sizeof(refused));
		tl_expect(&c, !tl_read_refused(&small, LO_IFINDEX, refused), "%s", tl_errmsg());
		tl_expect_u64(&c, "refused UDP packets", refused[0][IPPROTO_UDP].packets, 2);
	}
	tl_end(&c, NULL);
}

/* Hits never touch the generation words; only a re-key does. */
static void test_hits_leave_generation_words(void)
{
	struct xdpflow_flowcache_set set;
	__u32 before[WAYS], gen[WAYS];
	struct tl_check c;
	int w;

	tl_begin(&c, "hits_leave_generation_words");
	if (!fresh(&c, &xdp) || !tl_expect(&c, !send_flow(&xdp, 0, 1), "sending flow 0") ||
	    !tl_expect(&c, !read_set(&xdp, &set, before), "%s", tl_errmsg())) {
		tl_end(&c, NULL);
		return;
	}
	tl_expect(&c, !send_flow(&xdp, 0, 1000), "sending flow 0");
	if (tl_expect(&c, !read_set(&xdp, &set, gen), "%s", tl_errmsg())) {
		for (w = 0; w < WAYS; w++)
			tl_expect_u64(&c, "generation word", gen[w], before[w]);
		tl_expect_u64(&c, "cached packets", cached_packets(&set, 0), 1001);
	}
	tl_end(&c, "1000 hits");
}

int main(int argc, char **argv)
{
	cpu_set_t one;

	(void)argc;
	tl_init(argv[0]);
	/* Every frame on one CPU, so they all meet the same cache. */
	cpu = sched_getcpu();
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (cpu < 0 || sched_setaffinity(0, sizeof(one), &one)) {
		tl_fail("pin_to_one_cpu", "%s", strerror(errno));
		return tl_summary();
	}
	pick_ports();
	if (tl_xdp_open(&xdp, 0) || tl_xdp_open(&small, SMALL_TABLE)) {
		tl_fail("load_xdpflow", "%s", tl_errmsg());
		return tl_summary();
	}
	test_empty_entries_take_flows_at_once();
	test_first_miss_bypasses();
	test_second_miss_in_a_row_admits();
	test_second_chance_spares_hit_entries();
	test_full_table_keeps_cached_flow();
	test_hits_leave_generation_words();
	tl_xdp_close(&small);
	tl_xdp_close(&xdp);
	return tl_summary();
}
