// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the reader decoding and merging raw map records (per-CPU stats, refused frames, flow caches, flow table). */
// links: pin/read.c pin/array.c pin/keyhash.c pin/clock.c pin/kconfig.c
#include "fakemaps.h"
#include "xdpflow.h"

/*
 * The maps hold whatever the input says (fakemaps.h), including values
 * the XDP program never writes: huge counters, empty cache entries with
 * fields set, keys of unknown families, a slot owner of "other", batch
 * lookups that fail half-way, and, in a live read, entries whose
 * generation word is odd (caught while being re-keyed).  Checked against
 * sums computed here:
 *   - snapshot_read: one row per ifindex that owns a slot on some CPU or
 *     has refused frames, sorted; each counter the (wrapping) sum of its
 *     slots' copies on every CPU, protocol counts the refused frames;
 *   - snapshot_walk_flows: every table entry with packets once, in table
 *     order, merged with every usable cache entry of its key (packets,
 *     bytes, ip_bytes add, TCP flags OR, first_seen min and last_seen max
 *     while nothing wrapped), then each cache-only flow once; a usable
 *     entry has packets and, in a live read, an even word; a callback's
 *     non-zero answer ends the walk with it; repeatable; counts exact;
 *   - after the first complete walk, and only then, every interface's
 *     protocol counts hold its flows as well, once;
 *   - a failing lookup: its errno comes back, nothing leaks (LeakSanitizer).
 */

struct ref_iface {
	__u32 ifindex;
	struct xdpflow_counter non_ip, malformed, unrecorded, proto[2][256];
};

static struct ref_iface ref[XDPFLOW_STATS_ENTRIES * FAKE_MAX_CPUS + FAKE_MAX_REFUSED + FAKE_MAX_FLOWS +
			    XDPFLOW_FLOWCACHE_ENTRIES * FAKE_MAX_CPUS];
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
	int slot, cpu;
	size_t i;

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
		}
	}
	for (i = 0; i < fake.nrefused; i++) {
		const struct xdpflow_refused_key *k = &fake.refused_keys[i];

		ref_add(&ref_get(k->ifindex)->proto[k->family == 6][k->proto], &fake.refused[i]);
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

static struct ref_flow rflows[FAKE_MAX_FLOWS + XDPFLOW_FLOWCACHE_ENTRIES * FAKE_MAX_CPUS];
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

/* An entry a read uses: it holds packets, and in a live read was not being re-keyed. */
static bool usable(__u32 set, int way, int cpu)
{
	return fake.cache[set][cpu].e[way].counters.packets &&
	       !(fake.live && (fake.gens[cpu].gen[set * 4 + way] & 1));
}

static void ref_flows(void)
{
	__u32 set;
	int way, cpu;
	size_t i;

	nrflows = 0;
	for (i = 0; i < fake.nflows; i++) {
		memset(&rflows[nrflows], 0, sizeof(rflows[0]));
		rflows[nrflows].key = fake.keys[i];
		rflows[nrflows++].c = fake.values[i];
	}
	ntable_flows = nrflows;
	for (set = 0; set < XDPFLOW_FLOWCACHE_SETS; set++)
		for (cpu = 0; cpu < fake.ncpus; cpu++)
			for (way = 0; way < 4; way++) {
				const struct xdpflow_flowcache_entry *e = &fake.cache[set][cpu].e[way];
				struct ref_flow *r;

				if (!usable(set, way, cpu))
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

/* What a complete walk adds to the interfaces: every flow handed over (one with packets). */
static void ref_add_flows(void)
{
	size_t i;

	for (i = 0; i < nrflows; i++) {
		const struct ref_flow *r = &rflows[i];
		struct xdpflow_counter c = { r->c.packets, r->c.bytes };

		if (r->c.packets)
			ref_add(&ref_get(r->key.ifindex)->proto[r->key.family == 6][r->key.proto], &c);
	}
}

struct walk {
	size_t calls, stop_at, table_pos;
	int stop_value;
};

static int on_flow(const struct flow_record *f, void *ctx)
{
	struct walk *w = ctx;
	struct ref_flow *r;
	size_t i = w->calls++;

	fz_assert(i < nrflows, "%zu flows walked, %zu exist", i + 1, nrflows);
	fz_assert(f->c.packets, "flow %zu: handed over without packets", i);
	/* Table entries first, in the table's order (those without packets skipped); then the rest. */
	while (w->table_pos < ntable_flows && !rflows[w->table_pos].c.packets)
		w->table_pos++;
	if (w->table_pos < ntable_flows) {
		r = &rflows[w->table_pos++];
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

static size_t flows_with_packets(void)
{
	size_t i, n = 0;

	for (i = 0; i < nrflows; i++)
		n += rflows[i].c.packets != 0;
	return n;
}

static void check_walk(const struct snapshot_tables *t, struct snapshot *s, size_t stop_at)
{
	struct walk w = { 0, stop_at, 0, 7 };
	struct walk_counts wc;
	bool walked = s->walked;
	size_t i, n = flows_with_packets();
	int ret;

	for (i = 0; i < nrflows; i++)
		rflows[i].seen = false;
	fake.calls = 0;
	ret = snapshot_walk_flows(t, s, on_flow, &w, &wc);
	if (fake.fail_call && ret < 0) {
		fz_assert(ret == -fake.fail_errno, "walk failed with %d, lookup with %d", ret,
			  -fake.fail_errno);
		fz_assert(s->walked == walked, "%s", "a failed walk changed the protocol counts");
		return;
	}
	if (stop_at && stop_at <= n) {
		fz_assert(ret == 7 && w.calls == stop_at, "stop at %zu: returned %d after %zu",
			  stop_at, ret, w.calls);
		fz_assert(s->walked == walked, "%s", "a walk cut short completed the protocol counts");
		return;
	}
	fz_assert(ret == 0, "walk returned %d", ret);
	fz_assert(w.calls == n, "%zu flows walked, %zu with packets exist", w.calls, n);
	fz_assert(wc.table_entries == fake.nflows, "table_entries %llu, table has %zu",
		  (unsigned long long)wc.table_entries, fake.nflows);
	fz_assert(wc.flows == n, "%llu flows counted, %zu handed over", (unsigned long long)wc.flows,
		  n);
	fz_assert(s->walked, "%s", "a complete walk left the protocol counts incomplete");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct snapshot_tables t = { FAKE_STATS_FD, FAKE_FLOWS_FD, FAKE_CACHE_FD, FAKE_REFUSED_FD,
				     -1, -1 };
	struct snapshot s;
	size_t stop_at;
	int ret;

	/* The made-up words never change: no CPU to wait for. */
	snapshot_stall_wait_ns = 0;
	stop_at = fz_u8(&in) % 8;
	fake_fill(&in);
	if (fake.live)
		t.fgen_fd = FAKE_GEN_FD;
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
	check_walk(&t, &s, stop_at ? (stop_at - 1) * 3 + 1 : 0);
	if (!s.walked)
		check_ifaces(&s); /* cut short or failed: as before the walk */
	check_walk(&t, &s, 0); /* again, whole: the cache's merged marks are reset */
	if (s.walked) {
		ref_add_flows();
		check_ifaces(&s);
		check_walk(&t, &s, 0); /* a third walk adds nothing more */
		check_ifaces(&s);
	}
	snapshot_free(&s);
	return 0;
}
