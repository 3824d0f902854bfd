// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the reader decoding and merging raw map records (per-CPU stats, flow caches, flow table). */
// links: pin/read.c pin/keyhash.c pin/clock.c pin/kconfig.c
#include "fakemaps.h"
#include "xdpflow.h"

/*
 * The maps hold whatever the input says (fakemaps.h), including values
 * the XDP program never writes: huge counters, empty cache entries with
 * fields set, keys of unknown families, a slot owner of "other", batch
 * lookups that fail half-way.  Checked against sums computed here:
 *   - snapshot_read: one row per ifindex that owns a slot on some CPU or
 *     has a live cache entry, sorted; each counter the (wrapping) sum of
 *     its slots' copies on every CPU, protocol counts plus the cache;
 *   - snapshot_walk_flows: every table entry once, in table order, merged
 *     with every live cache entry of its key (packets, bytes, ip_bytes
 *     add, TCP flags OR, first_seen min and last_seen max while nothing
 *     wrapped), then each cache-only flow once; a callback's non-zero
 *     answer ends the walk with it; repeatable; table_entries exact;
 *   - a failing lookup: its errno comes back, nothing leaks (LeakSanitizer).
 */

struct ref_iface {
	__u32 ifindex;
	struct xdpflow_counter non_ip, malformed, unrecorded, proto[2][256];
};

static struct ref_iface ref[XDPFLOW_STATS_ENTRIES * FAKE_MAX_CPUS + XDPFLOW_FLOWCACHE_SLOTS * FAKE_MAX_CPUS];
static size_t nref;

static struct ref_iface *ref_get(__u32 ifindex)
{
	size_t i;

	for (i = 0; i < nref; i++)
		if (ref[i].ifindex == ifindex)
			return &ref[i];
	memset(&ref[nref], 0, sizeof(ref[0]));
	ref[nref].ifindex = ifindex;
	return &ref[nref++];
}

static void ref_add(struct xdpflow_counter *a, const struct xdpflow_counter *b)
{
	a->packets += b->packets;
	a->bytes += b->bytes;
}

static void ref_ifaces(void)
{
	int slot, cpu, f, p;

	nref = 0;
	for (slot = 0; slot < XDPFLOW_STATS_ENTRIES; slot++) {
		for (cpu = 0; cpu < fake.ncpus; cpu++) {
			const struct xdpflow_iface_stats *s = &fake.stats[slot][cpu];
			struct ref_iface *r;

			if (!s->ifindex) /* unused on that CPU */
				continue;
			r = ref_get(s->ifindex);
			ref_add(&r->non_ip, &s->non_ip);
			ref_add(&r->malformed, &s->malformed);
			ref_add(&r->unrecorded, &s->unrecorded);
			for (f = 0; f < 2; f++)
				for (p = 0; p < 256; p++)
					ref_add(&r->proto[f][p], &s->proto[f][p]);
		}
	}
	for (slot = 0; slot < XDPFLOW_FLOWCACHE_SLOTS; slot++) {
		for (cpu = 0; cpu < fake.ncpus; cpu++) {
			const struct xdpflow_flowcache_entry *e = &fake.cache[slot][cpu];
			struct xdpflow_counter c = { e->counters.packets, e->counters.bytes };

			if (!e->counters.packets) /* empty */
				continue;
			ref_add(&ref_get(e->key.ifindex)->proto[e->key.family == 6][e->key.proto], &c);
		}
	}
}

static bool same(const struct xdpflow_counter *a, const struct xdpflow_counter *b)
{
	return a->packets == b->packets && a->bytes == b->bytes;
}

static void check_ifaces(const struct snapshot *s)
{
	size_t i;
	int f, p;

	fz_assert(s->ifaces.n == nref, "%zu interfaces read, %zu expected", s->ifaces.n, nref);
	for (i = 0; i < s->ifaces.n; i++) {
		const struct iface_counts *ic = &s->ifaces.v[i];
		const struct ref_iface *r = ref_get(ic->ifindex);

		fz_assert(nref == s->ifaces.n, "unexpected interface %u", ic->ifindex);
		fz_assert(!i || s->ifaces.v[i - 1].ifindex < ic->ifindex, "interfaces not sorted at %zu",
			  i);
		fz_assert(snapshot_iface(s, ic->ifindex) == ic, "snapshot_iface(%u)", ic->ifindex);
		fz_assert(same(&ic->non_ip, &r->non_ip) && same(&ic->malformed, &r->malformed) &&
				  same(&ic->unrecorded, &r->unrecorded),
			  "interface %u: class counters", ic->ifindex);
		for (f = 0; f < 2; f++)
			for (p = 0; p < 256; p++)
				fz_assert(same(&ic->proto[f][p], &r->proto[f][p]),
					  "interface %u: IPv%d/%d", ic->ifindex, f ? 6 : 4, p);
	}
}

/* ---- Flows ---- */

struct ref_flow {
	struct xdpflow_flow_key key;
	struct xdpflow_flow_counters c;
	bool wrapped; /* a sum overflowed: times are not compared */
	bool seen;
};

static struct ref_flow rflows[FAKE_MAX_FLOWS + XDPFLOW_FLOWCACHE_SLOTS * FAKE_MAX_CPUS];
static size_t nrflows, ntable_flows;

static bool add_wraps(__u64 a, __u64 b)
{
	return a + b < a;
}

/* Add a live entry e to r, the way the documentation says counts combine. */
static void ref_merge(struct ref_flow *r, const struct xdpflow_flow_counters *e, bool first)
{
	if (!e->packets)
		return;
	r->wrapped |= add_wraps(r->c.packets, e->packets);
	if (first || !r->c.packets) {
		r->c.first_seen = e->first_seen;
		r->c.last_seen = e->last_seen;
	} else {
		if (e->first_seen < r->c.first_seen)
			r->c.first_seen = e->first_seen;
		if (e->last_seen > r->c.last_seen)
			r->c.last_seen = e->last_seen;
	}
	r->c.packets += e->packets;
	r->c.bytes += e->bytes;
	r->c.ip_bytes += e->ip_bytes;
	r->c.tcp_flags |= e->tcp_flags;
}

static struct ref_flow *ref_find(const struct xdpflow_flow_key *k)
{
	size_t i;

	for (i = 0; i < nrflows; i++)
		if (!memcmp(&rflows[i].key, k, sizeof(*k)))
			return &rflows[i];
	return NULL;
}

static void ref_flows(void)
{
	int slot, cpu;
	size_t i;

	nrflows = 0;
	for (i = 0; i < fake.nflows; i++) {
		memset(&rflows[nrflows], 0, sizeof(rflows[0]));
		rflows[nrflows].key = fake.keys[i];
		rflows[nrflows++].c = fake.values[i];
	}
	ntable_flows = nrflows;
	for (slot = 0; slot < XDPFLOW_FLOWCACHE_SLOTS; slot++) {
		for (cpu = 0; cpu < fake.ncpus; cpu++) {
			const struct xdpflow_flowcache_entry *e = &fake.cache[slot][cpu];
			struct ref_flow *r;

			if (!e->counters.packets)
				continue;
			r = ref_find(&e->key);
			if (!r) {
				r = &rflows[nrflows++];
				memset(r, 0, sizeof(*r));
				r->key = e->key;
				ref_merge(r, &e->counters, true);
			} else {
				ref_merge(r, &e->counters, false);
			}
		}
	}
}

struct walk {
	size_t calls, stop_at;
	int stop_value;
};

static int on_flow(const struct flow_record *f, void *ctx)
{
	struct walk *w = ctx;
	struct ref_flow *r;
	size_t i = w->calls++;

	fz_assert(!f->pad, "%s", "record padding not zeroed");
	fz_assert(i < nrflows, "%zu flows walked, %zu exist", i + 1, nrflows);
	/* Table entries first, in the table's order; then the cache-only flows. */
	if (i < ntable_flows) {
		r = &rflows[i];
		fz_assert(!memcmp(&f->key, &r->key, sizeof(f->key)), "flow %zu: not the table's key",
			  i);
	} else {
		r = ref_find(&f->key);
		fz_assert(r && r - rflows >= (long)ntable_flows, "flow %zu: not a cache-only key", i);
	}
	fz_assert(!r->seen, "flow %zu walked twice", i);
	r->seen = true;
	fz_assert(f->c.packets == r->c.packets && f->c.bytes == r->c.bytes &&
			  f->c.ip_bytes == r->c.ip_bytes && f->c.tcp_flags == r->c.tcp_flags,
		  "flow %zu: %llu packets, %llu bytes, %llu ip_bytes, flags %x; expected %llu, %llu, "
		  "%llu, %x",
		  i, (unsigned long long)f->c.packets, (unsigned long long)f->c.bytes,
		  (unsigned long long)f->c.ip_bytes, f->c.tcp_flags,
		  (unsigned long long)r->c.packets, (unsigned long long)r->c.bytes,
		  (unsigned long long)r->c.ip_bytes, r->c.tcp_flags);
	if (!r->wrapped && r->c.packets)
		fz_assert(f->c.first_seen == r->c.first_seen && f->c.last_seen == r->c.last_seen,
			  "flow %zu: seen %llu..%llu, expected %llu..%llu", i,
			  (unsigned long long)f->c.first_seen, (unsigned long long)f->c.last_seen,
			  (unsigned long long)r->c.first_seen, (unsigned long long)r->c.last_seen);
	return w->calls == w->stop_at ? w->stop_value : 0;
}

static void check_walk(struct snapshot *s, size_t stop_at)
{
	struct walk w = { 0, stop_at, 7 };
	__u64 entries = 12345;
	size_t i;
	int ret;

	for (i = 0; i < nrflows; i++)
		rflows[i].seen = false;
	fake.calls = 0;
	ret = snapshot_walk_flows(FAKE_FLOWS_FD, &s->cache, on_flow, &w, &entries);
	if (fake.fail_call && ret < 0) {
		fz_assert(ret == -fake.fail_errno, "walk failed with %d, lookup with %d", ret,
			  -fake.fail_errno);
		return;
	}
	if (stop_at && stop_at <= nrflows) {
		fz_assert(ret == 7 && w.calls == stop_at, "stop at %zu: returned %d after %zu",
			  stop_at, ret, w.calls);
		return;
	}
	fz_assert(ret == 0, "walk returned %d", ret);
	fz_assert(w.calls == nrflows, "%zu flows walked, %zu exist", w.calls, nrflows);
	fz_assert(entries == fake.nflows, "table_entries %llu, table has %zu",
		  (unsigned long long)entries, fake.nflows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct snapshot_tables t = { FAKE_STATS_FD, FAKE_FLOWS_FD, FAKE_CACHE_FD };
	struct snapshot s;
	size_t stop_at;
	__u64 entries;
	int ret;

	stop_at = fz_u8(&in) % 8;
	fake_fill(&in);
	ret = snapshot_read(&t, FAKE_CLOCK_FD, fake.ncpus, &s);
	if (ret) {
		/* Only an injected failure may fail a read, and with its errno. */
		fz_assert(fake.fail_call && ret == -fake.fail_errno, "read failed: %d", ret);
		return 0;
	}
	ref_ifaces();
	check_ifaces(&s);
	fz_assert(s.flow_capacity == fake.flow_capacity, "capacity %u, map %u", s.flow_capacity,
		  fake.flow_capacity);
	fz_assert(s.ncpus == fake.ncpus, "ncpus %d", s.ncpus);
	ref_flows();
	check_walk(&s, stop_at ? (stop_at - 1) * 3 + 1 : 0);
	check_walk(&s, 0); /* again, whole: the cache's merged marks are reset */
	ret = snapshot_count_flows(FAKE_FLOWS_FD, &entries);
	fz_assert(ret == 0 || (fake.fail_call && ret == -fake.fail_errno), "count returned %d", ret);
	fz_assert(ret || entries == fake.nflows, "counted %llu, table has %zu",
		  (unsigned long long)entries, fake.nflows);
	snapshot_free(&s);
	return 0;
}
