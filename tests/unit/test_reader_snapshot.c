// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the read layer (pin/read.c) on real maps filled from user
 * space: per-CPU sums, the flow-cache merge, cache-only flows, batches,
 * protocol counts derived from the flows and the refused frames, a torn
 * cache entry left out of a live read.
 */
#include "testlib.h"
#include "xdpflow.h"

#define TABLE_FLOWS 20000 /* more than two batches of the reader */
#define CAPACITY 50000

struct maps {
	int stats, flows, fcache, refused, fgen, clock;
	int ncpus;
};

static void close_maps(struct maps *m)
{
	close(m->stats);
	close(m->flows);
	close(m->fcache);
	close(m->refused);
	close(m->fgen);
	close(m->clock);
}

static int create_maps(struct maps *m)
{
	m->ncpus = libbpf_num_possible_cpus();
	m->stats = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "t_stats", 4,
				  sizeof(struct xdpflow_iface_stats), XDPFLOW_STATS_ENTRIES, NULL);
	m->flows = bpf_map_create(BPF_MAP_TYPE_HASH, "t_flows", sizeof(struct xdpflow_flow_key),
				  sizeof(struct xdpflow_flow_counters), CAPACITY, NULL);
	m->fcache = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "t_fcache", 4,
				   sizeof(struct xdpflow_flowcache_set), XDPFLOW_FLOWCACHE_SETS,
				   NULL);
	m->refused = bpf_map_create(BPF_MAP_TYPE_HASH, "t_refused", sizeof(struct xdpflow_refused_key),
				    sizeof(struct xdpflow_counter), 64, NULL);
	m->fgen = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "t_fgen", 4,
				 sizeof(struct xdpflow_flowcache_gens), 1, NULL);
	m->clock = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "t_clock", 4,
				  sizeof(struct xdpflow_clock_anchor), 1, NULL);
	return m->stats < 0 || m->flows < 0 || m->fcache < 0 || m->refused < 0 || m->fgen < 0 ||
			       m->clock < 0 ?
		       -errno :
		       0;
}

static struct xdpflow_flow_key flow_key(__u32 i, __u32 ifindex)
{
	struct xdpflow_flow_key k;
	__u32 src = htonl(0x0a000000 | i);

	memset(&k, 0, sizeof(k));
	memcpy(k.src, &src, 4);
	k.dst[0] = 192, k.dst[3] = 1;
	k.ifindex = ifindex;
	k.family = 4;
	k.proto = i % 3 ? 17 : 6;
	k.sport = htons(1000 + i % 60000);
	k.dport = htons(53);
	return k;
}

static struct xdpflow_flow_counters counters(__u64 packets, __u64 first, __u64 last, __u32 flags)
{
	struct xdpflow_flow_counters c = { .packets = packets, .bytes = packets * 100,
					   .ip_bytes = packets * 86, .first_seen = first,
					   .last_seen = last, .tcp_flags = flags };
	return c;
}

/* One entry on each CPU of cpus (bitmask) in way way of set set. */
static int put_entry(const struct maps *m, __u32 set, int way, __u64 cpus,
		     const struct xdpflow_flow_key *k, const struct xdpflow_flow_counters *c,
		     struct xdpflow_flowcache_set *sets)
{
	int cpu;

	if (bpf_map_lookup_elem(m->fcache, &set, sets))
		return -errno;
	for (cpu = 0; cpu < m->ncpus; cpu++) {
		if (!(cpus & (1ull << cpu)))
			continue;
		sets[cpu].e[way].key = *k;
		sets[cpu].e[way].counters = *c;
	}
	return bpf_map_update_elem(m->fcache, &set, sets, BPF_ANY) ? -errno : 0;
}

static int put_refused(const struct maps *m, __u32 ifindex, __u8 family, __u8 proto,
		       struct xdpflow_counter c)
{
	struct xdpflow_refused_key k = { .ifindex = ifindex, .family = family, .proto = proto };

	return bpf_map_update_elem(m->refused, &k, &c, BPF_ANY) ? -errno : 0;
}

/*
 * Table: flows 0..TABLE_FLOWS-1 on ifindex 2 with i+1 packets.  Cache:
 * flow 5 on every CPU (merges into its table entry), flow 1,000,000
 * (cache only) on CPU 0 and the last CPU, and flow 2,000,000 (cache
 * only) on ifindex 3.  Refused frames: UDP on ifindex 2, ICMPv6 on
 * ifindex 3.  Stats: ifindex 2 on every CPU in slot 2, ifindex 3 in slot
 * 3 of CPU 0 only, "other" on the last CPU, slot 5 unused.  (The cache
 * sets and ways are arbitrary: the reader merges by key.)
 */
static int fill(const struct maps *m)
{
	struct xdpflow_iface_stats *stats = calloc(m->ncpus, sizeof(*stats));
	struct xdpflow_flowcache_set *sets = calloc(m->ncpus, sizeof(*sets));
	struct xdpflow_clock_anchor *anchors = calloc(m->ncpus, sizeof(*anchors));
	struct xdpflow_flow_key k;
	struct xdpflow_flow_counters c;
	int cpu, err = -ENOMEM, last = m->ncpus - 1;
	__u32 i, slot;

	if (!stats || !sets || !anchors)
		goto out;
	err = 0;
	for (i = 0; i < TABLE_FLOWS; i++) {
		k = flow_key(i, 2);
		c = counters(i + 1, 1000 + i, 2000 + i, k.proto == 6 ? 0x02 : 0);
		if (bpf_map_update_elem(m->flows, &k, &c, BPF_NOEXIST))
			goto fail;
	}
	k = flow_key(5, 2);
	for (cpu = 0; !err && cpu < m->ncpus; cpu++) {
		c = counters(10, 900 + cpu, 3000 + cpu, 0x10);
		err = put_entry(m, 7, 1, 1ull << cpu, &k, &c, sets);
	}
	k = flow_key(1000000, 2);
	c = counters(last ? 3 : 7, 500, 600, 0);
	err = err ? err : put_entry(m, 8, 0, 1, &k, &c, sets);
	c = counters(4, 400, 700, 0);
	if (last && !err)
		err = put_entry(m, 8, 3, 1ull << last, &k, &c, sets);
	k = flow_key(2000000, 3);
	c = counters(2, 50, 60, 0x12);
	err = err ? err : put_entry(m, 200, 2, 1, &k, &c, sets);
	err = err ? err : put_refused(m, 2, 4, 17, (struct xdpflow_counter){ 5, 500 });
	err = err ? err : put_refused(m, 3, 6, 58, (struct xdpflow_counter){ 5, 500 });
	if (err)
		goto out;
	slot = 2;
	for (cpu = 0; cpu < m->ncpus; cpu++) {
		stats[cpu].ifindex = 2;
		stats[cpu].non_ip = (struct xdpflow_counter){ 1, 60 };
		stats[cpu].unrecorded = (struct xdpflow_counter){ 1, 100 };
	}
	if (bpf_map_update_elem(m->stats, &slot, stats, BPF_ANY))
		goto fail;
	memset(stats, 0, m->ncpus * sizeof(*stats));
	slot = 3;
	stats[0].ifindex = 3;
	stats[0].malformed = (struct xdpflow_counter){ 2, 30 };
	if (bpf_map_update_elem(m->stats, &slot, stats, BPF_ANY))
		goto fail;
	memset(stats, 0, m->ncpus * sizeof(*stats));
	slot = XDPFLOW_IFSLOT_OTHER;
	stats[last].ifindex = XDPFLOW_IFINDEX_OTHER;
	stats[last].non_ip = (struct xdpflow_counter){ 9, 900 };
	/* A stale count in a slot no CPU claimed is not anyone's. */
	if (bpf_map_update_elem(m->stats, &slot, stats, BPF_ANY))
		goto fail;
	memset(stats, 0, m->ncpus * sizeof(*stats));
	slot = 5;
	stats[0].non_ip = (struct xdpflow_counter){ 77, 7700 };
	if (bpf_map_update_elem(m->stats, &slot, stats, BPF_ANY))
		goto fail;
	anchors[0] = (struct xdpflow_clock_anchor){ 1000, 4000000000ull, 1250, 5000000000ull };
	slot = 0;
	if (bpf_map_update_elem(m->clock, &slot, anchors, BPF_ANY))
		goto fail;
	err = 0;
	goto out;
fail:
	err = -errno;
out:
	free(stats);
	free(sets);
	free(anchors);
	return err;
}

struct seen {
	__u64 flows, packets, bytes;
	bool flow5_ok, cached_only_ok, other_iface_ok;
	unsigned int flow5_count, cached_count;
	int ncpus;
};

static int on_flow(const struct flow_record *f, void *ctx)
{
	struct xdpflow_flow_key k5 = flow_key(5, 2), kc = flow_key(1000000, 2);
	struct xdpflow_flow_key ko = flow_key(2000000, 3);
	struct seen *s = ctx;
	__u64 n = s->ncpus;

	s->flows++;
	s->packets += f->c.packets;
	s->bytes += f->c.bytes;
	if (!memcmp(&f->key, &k5, sizeof(k5))) {
		/* Table: 6 packets, first 1005, last 2005, SYN; cache: 10 per CPU, ACK. */
		s->flow5_count++;
		s->flow5_ok = f->c.packets == 6 + 10 * n && f->c.bytes == (6 + 10 * n) * 100 &&
			      f->c.ip_bytes == (6 + 10 * n) * 86 && f->c.first_seen == 900 &&
			      f->c.last_seen == 3000 + n - 1 && f->c.tcp_flags == 0x10;
	} else if (!memcmp(&f->key, &kc, sizeof(kc))) {
		s->cached_count++;
		s->cached_only_ok = f->c.packets == 7 && f->c.first_seen == 400 &&
				    f->c.last_seen == 700;
	} else if (!memcmp(&f->key, &ko, sizeof(ko))) {
		s->other_iface_ok = f->c.packets == 2 && f->c.tcp_flags == 0x12;
	}
	return 0;
}

/* UDP packets of the table's flows on ifindex 2, worked out from fill()'s rule. */
static __u64 table_udp_packets(void)
{
	__u64 sum = 0;
	__u32 i;

	for (i = 0; i < TABLE_FLOWS; i++)
		if (i % 3)
			sum += i + 1;
	return sum;
}

static void test_read(const struct maps *m)
{
	/* Final tables (a drain's): no generation words, no lock. */
	struct snapshot_tables t = { m->stats, m->flows, m->fcache, m->refused, -1, -1 };
	const struct iface_counts *i2, *i3, *other;
	struct seen seen = { .ncpus = m->ncpus };
	__u64 n = m->ncpus, want_packets = 0;
	struct walk_counts wc;
	struct snapshot s;
	struct tl_check c;
	int err, pass;

	tl_begin(&c, "snapshot_per_cpu_sums_and_refused");
	err = snapshot_read(&t, m->clock, m->ncpus, &s);
	tl_expect(&c, !err, "snapshot_read: %s", strerror(-err));
	if (err) {
		tl_end(&c, NULL);
		return;
	}
	i2 = snapshot_iface(&s, 2);
	i3 = snapshot_iface(&s, 3);
	other = snapshot_iface(&s, XDPFLOW_IFINDEX_OTHER);
	tl_expect(&c, i2 && i3 && other, "interfaces 2, 3 and other expected");
	tl_expect_u64(&c, "interfaces", s.ifaces.n, 3);
	tl_expect_u64(&c, "capacity", s.flow_capacity, CAPACITY);
	if (i2 && i3 && other) {
		tl_expect_u64(&c, "if2 non_ip", i2->non_ip.packets, n);
		tl_expect_u64(&c, "if2 unrecorded", i2->unrecorded.bytes, 100 * n);
		/* Before a walk the protocol counts hold the refused frames only. */
		tl_expect_u64(&c, "if2 udp before a walk", i2->proto[0][17].packets, 5);
		tl_expect_u64(&c, "if3 malformed", i3->malformed.packets, 2);
		tl_expect_u64(&c, "if3 icmpv6", i3->proto[1][58].packets, 5);
		tl_expect_u64(&c, "other non_ip", other->non_ip.packets, 9);
	}
	tl_expect(&c, !s.walked, "walked before any walk");
	/* CPU 0's two anchors, one second apart, are the clock's points. */
	tl_expect(&c, s.clock.valid && s.clock.n == 2 && s.clock.p[0].jiffies == 1000 &&
			      s.clock.p[1].jiffies == 1250 &&
			      s.clock.p[1].wall_ns - s.clock.p[0].wall_ns == 1000000000,
		  "clock: valid %d, %u points, newest J %llu", s.clock.valid, s.clock.n,
		  (unsigned long long)s.clock.p[s.clock.n ? s.clock.n - 1 : 0].jiffies);
	tl_end(&c, "%d CPUs", m->ncpus);

	/* Walk twice: the second walk must not lose the merged flag's reset, nor add again. */
	for (pass = 0; pass < 2; pass++) {
		tl_begin(&c, pass ? "snapshot_walk_again" : "snapshot_walk_merges_cache");
		memset(&seen, 0, sizeof(seen));
		seen.ncpus = m->ncpus;
		err = snapshot_walk_flows(&t, &s, on_flow, &seen, &wc);
		tl_expect(&c, !err, "walk: %s", strerror(-err));
		tl_expect_u64(&c, "table entries", wc.table_entries, TABLE_FLOWS);
		tl_expect_u64(&c, "flows handed over", wc.flows, TABLE_FLOWS + 2);
		tl_expect_u64(&c, "cache-only flows", wc.cache_only, 2);
		tl_expect_u64(&c, "flows", seen.flows, TABLE_FLOWS + 2);
		tl_expect_u64(&c, "flow 5 seen", seen.flow5_count, 1);
		tl_expect(&c, seen.flow5_ok, "flow 5 not merged right");
		tl_expect_u64(&c, "cache-only flow seen", seen.cached_count, 1);
		tl_expect(&c, seen.cached_only_ok, "cache-only flow not merged across CPUs");
		tl_expect(&c, seen.other_iface_ok, "cache-only flow of ifindex 3");
		want_packets = (__u64)TABLE_FLOWS * (TABLE_FLOWS + 1) / 2 + 10 * n + 7 + 2;
		tl_expect_u64(&c, "packets", seen.packets, want_packets);
		i2 = snapshot_iface(&s, 2);
		i3 = snapshot_iface(&s, 3);
		if (tl_expect(&c, i2 && i3, "interfaces 2 and 3 expected")) {
			/* Table UDP flows, flow 5 (UDP) on every CPU, flow 1,000,000, refused. */
			tl_expect_u64(&c, "if2 udp packets", i2->proto[0][17].packets,
				      table_udp_packets() + 10 * n + 7 + 5);
			/* Flow 2,000,000 is UDP (2,000,000 % 3 != 0), only in CPU 0's cache. */
			tl_expect_u64(&c, "if3 udp from the cache", i3->proto[0][17].packets, 2);
			tl_expect_u64(&c, "if3 icmpv6", i3->proto[1][58].packets, 5);
		}
		tl_end(&c, NULL);
	}
	snapshot_free(&s);
}

/*
 * A live read (generation words given) leaves out an entry whose word stays
 * odd (the program re-keying it, held up for longer than the read waits,
 * here 10 ms) and uses the others.
 */
static void test_live_torn_entry(const struct maps *m)
{
	struct snapshot_tables t = { m->stats, m->flows, m->fcache, m->refused, m->fgen, -1 };
	struct xdpflow_flowcache_gens *gens = calloc(m->ncpus, sizeof(*gens));
	struct seen seen = { .ncpus = m->ncpus };
	struct walk_counts wc;
	struct snapshot s;
	struct tl_check c;
	__u32 zero = 0;
	int err;

	tl_begin(&c, "live_read_leaves_out_a_torn_entry");
	if (!tl_expect(&c, gens, "out of memory")) {
		tl_end(&c, NULL);
		return;
	}
	/* Flow 2,000,000's entry: set 200, way 2, CPU 0. */
	gens[0].gen[200 * XDPFLOW_FLOWCACHE_WAYS + 2] = 7;
	err = bpf_map_update_elem(m->fgen, &zero, gens, BPF_ANY) ? -errno : 0;
	snapshot_stall_wait_ns = 10000000;
	if (!err)
		err = snapshot_read(&t, -1, m->ncpus, &s);
	if (tl_expect(&c, !err, "%s", strerror(-err))) {
		err = snapshot_walk_flows(&t, &s, on_flow, &seen, &wc);
		tl_expect(&c, !err, "walk: %s", strerror(-err));
		tl_expect(&c, !seen.other_iface_ok, "the torn entry's flow was reported");
		tl_expect_u64(&c, "entries left out", s.cache.torn_left, 1);
		tl_expect(&c, seen.flow5_ok && seen.cached_only_ok, "the whole entries were not used");
		snapshot_free(&s);
	}
	snapshot_stall_wait_ns = 1000000000;
	memset(gens, 0, m->ncpus * sizeof(*gens));
	bpf_map_update_elem(m->fgen, &zero, gens, BPF_ANY);
	free(gens);
	tl_end(&c, NULL);
}

static void test_merge(void)
{
	struct xdpflow_flow_counters a = {}, b = counters(3, 50, 80, 0x02);
	struct xdpflow_flow_counters d = counters(2, 40, 70, 0x10), e = {};
	struct tl_check c;

	tl_begin(&c, "flow_counters_merge");
	flow_counters_merge(&a, &b); /* into an empty one: taken as is */
	tl_expect(&c, !memcmp(&a, &b, sizeof(a)), "merge into empty");
	flow_counters_merge(&a, &d);
	tl_expect(&c, a.packets == 5 && a.bytes == 500 && a.ip_bytes == 430 && a.first_seen == 40 &&
			      a.last_seen == 80 && a.tcp_flags == 0x12,
		  "sum/min/max/or: %llu %llu %llu %llu %llu %u", (unsigned long long)a.packets,
		  (unsigned long long)a.bytes, (unsigned long long)a.ip_bytes,
		  (unsigned long long)a.first_seen, (unsigned long long)a.last_seen, a.tcp_flags);
	b = a;
	flow_counters_merge(&a, &e); /* an empty entry changes nothing */
	tl_expect(&c, !memcmp(&a, &b, sizeof(a)), "merge of an empty entry");
	tl_end(&c, NULL);
}

int main(int argc, char **argv)
{
	struct maps m;
	int err;

	(void)argc;
	tl_init(argv[0]);
	test_merge();
	if (geteuid()) {
		tl_skip("snapshot_maps", "needs root to create BPF maps");
		return tl_summary();
	}
	err = create_maps(&m);
	if (!err)
		err = fill(&m);
	if (err) {
		tl_fail("snapshot_maps", "cannot create and fill the test maps: %s", strerror(-err));
		return tl_summary();
	}
	test_read(&m);
	test_live_torn_entry(&m);
	close_maps(&m);
	return tl_summary();
}
