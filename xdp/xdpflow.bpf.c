// SPDX-License-Identifier: GPL-2.0
/* The xdpflow XDP program: classify every frame once, count it per interface and per flow. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <xdp/xdp_helpers.h>
#include "xdpflow_abi.h"
#include "xdpflow_parse.h"

/*
 * Priority 5 runs before xdp-filter (10) and libxdp's default (50), so the
 * counter sees frames that a filter later in the chain drops.  Only XDP_PASS
 * continues the chain, and XDP_PASS is all this program ever returns.
 */
#define XDPFLOW_RUN_PRIO 5

/* Epoch-0 tables; user space swaps fresh ones into the outer slots to drain. */
struct stats_table {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPFLOW_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, struct xdpflow_iface_stats);
} stats_epoch0 SEC(".maps");

struct flows_table {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDPFLOW_DEFAULT_MAX_FLOWS);
	__type(key, struct xdpflow_flow_key);
	__type(value, struct xdpflow_flow_counters);
} flows_epoch0 SEC(".maps");

struct flowcache_table {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPFLOW_FLOWCACHE_SETS);
	__type(key, __u32);
	__type(value, struct xdpflow_flowcache_set);
} fcache_epoch0 SEC(".maps");

struct refused_table {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDPFLOW_REFUSED_ENTRIES);
	__type(key, struct xdpflow_refused_key);
	__type(value, struct xdpflow_counter);
} refused_epoch0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct stats_table);
} xdpflow_stats SEC(".maps") = { .values = { &stats_epoch0 } };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct flows_table);
} xdpflow_flows SEC(".maps") = { .values = { &flows_epoch0 } };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct flowcache_table);
} xdpflow_fcache SEC(".maps") = { .values = { &fcache_epoch0 } };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct refused_table);
} xdpflow_refused SEC(".maps") = { .values = { &refused_epoch0 } };

/* Generation words of the cache entries: not swapped by drains (see xdpflow_abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpflow_flowcache_gens);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpflow_fgen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpflow_clock_anchor);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpflow_clock SEC(".maps");

/* Never looked up: its max_entries is the layout version (see xdpflow_abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPFLOW_LAYOUT_VERSION);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xdpflow_layout SEC(".maps");

struct {
	__uint(priority, XDPFLOW_RUN_PRIO);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdpflow);

/* The flow key seen as the six words the parser built (and the hash reads). */
union flow_words {
	__u64 w[6];
	struct xdpflow_flow_key key;
};

_Static_assert(sizeof(struct xdpflow_flow_key) == 48, "the key is six 64-bit words");
_Static_assert(sizeof(struct xdpflow_flowcache_entry) == 96, "cache entries are 96 bytes");
_Static_assert(sizeof(struct xdpflow_flowcache_set) == 24 + 4 * 96, "sets are 408 bytes");

/* What one frame adds to a flow, or what an evicted cache entry holds. */
struct flow_delta {
	__u64 packets;
	__u64 bytes;
	__u64 ip_bytes;
	__u64 first_seen;
	__u64 last_seen;
	__u32 tcp_flags;
};

static __always_inline __u64 frame_bytes(struct xdp_md *ctx)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_xdp_get_buff_len))
		return bpf_xdp_get_buff_len(ctx);
	return ctx->data_end - ctx->data;
}

/*
 * This CPU's counters for ifindex, claiming a free slot on first sight.
 * Per-CPU counters need no atomics: an XDP program runs with bottom halves
 * off on one CPU, so nothing else on that CPU touches them meanwhile.
 */
static __always_inline struct xdpflow_iface_stats *iface_stats(__u32 ifindex)
{
	struct xdpflow_iface_stats *s;
	__u32 zero = 0, slot, i;
	void *table;

	table = bpf_map_lookup_elem(&xdpflow_stats, &zero);
	if (!table)
		return NULL;
	for (i = 0; i < XDPFLOW_IFSLOTS; i++) {
		slot = (ifindex + i) % XDPFLOW_IFSLOTS;
		s = bpf_map_lookup_elem(table, &slot);
		if (!s)
			return NULL;
		if (s->ifindex == ifindex)
			return s;
		if (s->ifindex == 0) {
			s->ifindex = ifindex;
			return s;
		}
	}
	slot = XDPFLOW_IFSLOT_OTHER;
	s = bpf_map_lookup_elem(table, &slot);
	if (s)
		s->ifindex = XDPFLOW_IFINDEX_OTHER;
	return s;
}

static __always_inline void touch_clock(__u64 now)
{
	struct xdpflow_clock_anchor *a;
	__u32 zero = 0;

	a = bpf_map_lookup_elem(&xdpflow_clock, &zero);
	if (!a || a->last_jiffies == now)
		return;
	a->last_ktime_ns = bpf_ktime_get_ns();
	a->last_jiffies = now;
	if (!a->first_jiffies) {
		a->first_jiffies = now;
		a->first_ktime_ns = a->last_ktime_ns;
	}
}

/* Add d to flow k's entry in the shared flow table, inserting it if new; -1 if refused. */
static __always_inline int table_add(const struct xdpflow_flow_key *k, const struct flow_delta *d)
{
	struct xdpflow_flow_counters *v, init;
	__u32 zero = 0;
	void *table;

	table = bpf_map_lookup_elem(&xdpflow_flows, &zero);
	if (!table)
		return -1;
	v = bpf_map_lookup_elem(table, k);
	if (!v) {
		init.packets = d->packets;
		init.bytes = d->bytes;
		init.ip_bytes = d->ip_bytes;
		init.first_seen = d->first_seen;
		init.last_seen = d->last_seen;
		init.tcp_flags = d->tcp_flags;
		init.pad = 0;
		if (!bpf_map_update_elem(table, k, &init, BPF_NOEXIST))
			return 0;
		/* Another CPU inserted it first, or the table is full. */
		v = bpf_map_lookup_elem(table, k);
		if (!v)
			return -1;
	}
	__sync_fetch_and_add(&v->packets, d->packets);
	__sync_fetch_and_add(&v->bytes, d->bytes);
	__sync_fetch_and_add(&v->ip_bytes, d->ip_bytes);
	if ((v->tcp_flags | d->tcp_flags) != v->tcp_flags)
		__sync_fetch_and_or(&v->tcp_flags, d->tcp_flags);
	/* Racy but harmless: both only ever move towards the truth. */
	if (d->first_seen < v->first_seen)
		v->first_seen = d->first_seen;
	if (d->last_seen > v->last_seen)
		v->last_seen = d->last_seen;
	return 0;
}

/* Count a frame the full flow table refused: per interface, and by protocol. */
static __always_inline void count_refused(const struct xdpflow_flow_key *k, const struct flow_delta *d)
{
	struct xdpflow_refused_key rk = { .ifindex = k->ifindex, .family = k->family,
					  .proto = k->proto };
	struct xdpflow_iface_stats *s = iface_stats(k->ifindex);
	struct xdpflow_counter *c, init = {};
	__u32 zero = 0;
	void *table;

	if (s) {
		s->unrecorded.packets += d->packets;
		s->unrecorded.bytes += d->bytes;
	}
	table = bpf_map_lookup_elem(&xdpflow_refused, &zero);
	if (!table)
		return;
	c = bpf_map_lookup_elem(table, &rk);
	if (!c) {
		if (bpf_map_update_elem(table, &rk, &init, BPF_NOEXIST)) {
			rk.ifindex = XDPFLOW_IFINDEX_OTHER;
			bpf_map_update_elem(table, &rk, &init, BPF_NOEXIST);
		}
		c = bpf_map_lookup_elem(table, &rk);
		if (!c)
			return;
	}
	__sync_fetch_and_add(&c->packets, d->packets);
	__sync_fetch_and_add(&c->bytes, d->bytes);
}

static __always_inline int same_key(const struct xdpflow_flow_key *a, const __u64 *y)
{
	const __u64 *x = (const __u64 *)a;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		 (x[4] ^ y[4]) | (x[5] ^ y[5]));
}

#define compiler_barrier() asm volatile("" ::: "memory")

/*
 * Make entry way of set (set index idx) hold flow k, starting with this frame:
 * first move the flow it holds, if any, into the flow table.  The entry's
 * generation word goes odd before anything changes and even (two more) after,
 * by fetch-and-add, a full barrier on every architecture (lock xadd on x86;
 * the value is used, so arm64 gets the ordered ldaddal): a reader that sees
 * the same even word before and after it copies the entry got one flow's
 * counts.  If the table refuses the old flow, the entry keeps it, its word
 * goes back to where it was (nothing moved), and the frame is counted as
 * refused.  Returns 0 when the entry took the flow.
 */
static __always_inline int rekey(struct xdpflow_flowcache_set *set, __u32 idx, __u32 way,
				 __u32 tag, const union flow_words *k, const struct flow_delta *d)
{
	struct xdpflow_flowcache_entry *e = &set->e[way];
	struct xdpflow_flowcache_gens *gens;
	struct flow_delta old;
	__u32 zero = 0, gen, *gw;

	gens = bpf_map_lookup_elem(&xdpflow_fgen, &zero);
	if (!gens)
		return -1;
	gw = &gens->gen[(idx * XDPFLOW_FLOWCACHE_WAYS + way) & (XDPFLOW_FLOWCACHE_ENTRIES - 1)];
	gen = __sync_fetch_and_add(gw, 1);
	/* Odd: a run this one preempted is re-keying it (preemptible kernels); leave it. */
	if (gen & 1)
		goto undo;
	if (e->counters.packets) {
		old.packets = e->counters.packets;
		old.bytes = e->counters.bytes;
		old.ip_bytes = e->counters.ip_bytes;
		old.first_seen = e->counters.first_seen;
		old.last_seen = e->counters.last_seen;
		old.tcp_flags = e->counters.tcp_flags;
		if (table_add(&e->key, &old))
			goto undo;
	}
	e->key = k->key;
	e->counters.packets = d->packets;
	e->counters.bytes = d->bytes;
	e->counters.ip_bytes = d->ip_bytes;
	e->counters.first_seen = d->first_seen;
	e->counters.last_seen = d->last_seen;
	e->counters.tcp_flags = d->tcp_flags;
	e->counters.pad = 0;
	compiler_barrier();
	gen = __sync_fetch_and_add(gw, 1);
	asm volatile("" ::"r"(gen));
	set->tag[way] = tag;
	return 0;
undo:
	gen = __sync_fetch_and_add(gw, -1);
	asm volatile("" ::"r"(gen));
	return -1;
}

/* Second chance: the first entry from the hand not hit since the hand last passed it. */
static __always_inline __u32 victim(struct xdpflow_flowcache_set *set)
{
	__u32 w = set->hand % XDPFLOW_FLOWCACHE_WAYS;
	int i;

#pragma unroll
	for (i = 0; i < XDPFLOW_FLOWCACHE_WAYS - 1; i++) {
		if (!(set->refs & (1u << w)))
			break;
		set->refs &= ~(1u << w);
		w = (w + 1) % XDPFLOW_FLOWCACHE_WAYS;
	}
	set->hand = (w + 1) % XDPFLOW_FLOWCACHE_WAYS;
	set->refs &= ~(1u << w);
	return w;
}

/* A frame of a flow this CPU does not cache: the flow table, or refused. */
static __always_inline void count_uncached(const union flow_words *k, const struct flow_delta *d)
{
	if (table_add(&k->key, d))
		count_refused(&k->key, d);
}

/*
 * Count an IP frame: into this CPU's cache entry of its flow (the common
 * case: a lookup, a key compare and plain adds), or, when the flow is not
 * cached, straight into the flow table, unless the set has room or the flow
 * missed there just before: then it takes an entry (rekey).  Bypassing on a
 * first miss keeps a CPU with more flows than entries from moving an entry
 * into the table on every frame (docs/DESIGN.md, measured).
 */
static __always_inline void count_flow(const union flow_words *k, __u32 ip_bytes,
				       __u32 tcp_flags, __u64 bytes)
{
	struct flow_delta d = {
		.packets = 1, .bytes = bytes, .ip_bytes = ip_bytes, .tcp_flags = tcp_flags,
	};
	__u64 now = bpf_jiffies64();
	struct xdpflow_flowcache_entry *e;
	struct xdpflow_flowcache_set *set;
	__u32 zero = 0, hash, tag, idx, w;
	void *cache;

	d.first_seen = d.last_seen = now;
	cache = bpf_map_lookup_elem(&xdpflow_fcache, &zero);
	if (!cache)
		return;
	hash = xdpflow_flow_hash(k->w);
	tag = hash | 1;
	idx = xdpflow_flow_set(hash);
	set = bpf_map_lookup_elem(cache, &idx);
	if (!set)
		return;
#pragma unroll
	for (w = 0; w < XDPFLOW_FLOWCACHE_WAYS; w++) {
		if (set->tag[w] != tag)
			continue;
		/* A tag is set only on an entry that holds a flow (rekey). */
		e = &set->e[w];
		if (!same_key(&e->key, k->w))
			continue;
		e->counters.packets++;
		e->counters.bytes += bytes;
		e->counters.ip_bytes += ip_bytes;
		e->counters.tcp_flags |= tcp_flags;
		if (!(set->refs & (1u << w)))
			set->refs |= 1u << w;
		if (e->counters.last_seen != now) {
			e->counters.last_seen = now;
			touch_clock(now);
		}
		return;
	}
	touch_clock(now);
	/* An empty entry takes the flow at once. */
#pragma unroll
	for (w = 0; w < XDPFLOW_FLOWCACHE_WAYS; w++) {
		if (!set->tag[w]) {
			if (rekey(set, idx, w, tag, k, &d))
				count_uncached(k, &d);
			return;
		}
	}
	if (set->door != tag) {
		set->door = tag;
		count_uncached(k, &d);
		return;
	}
	set->door = 0;
	if (rekey(set, idx, victim(set), tag, k, &d))
		count_uncached(k, &d);
}

SEC("xdp.frags")
int xdpflow(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 bytes = frame_bytes(ctx);
	struct xdpflow_iface_stats *s;
	union flow_words k;
	struct frame_words fw;
	int class;

	class = classify_words(&fw, data, end, bytes);
	if (class == CLASS_IP) {
		k.w[0] = fw.w[0];
		k.w[1] = fw.w[1];
		k.w[2] = fw.w[2];
		k.w[3] = fw.w[3];
		k.w[4] = fw.w[4] | ctx->ingress_ifindex;
		k.w[5] = fw.w[5];
		count_flow(&k, fw.ip_bytes, fw.tcp_flags, bytes);
		return XDP_PASS;
	}
	s = iface_stats(ctx->ingress_ifindex);
	if (!s)
		return XDP_PASS;
	if (class == CLASS_NON_IP) {
		s->non_ip.packets++;
		s->non_ip.bytes += bytes;
	} else {
		s->malformed.packets++;
		s->malformed.bytes += bytes;
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
