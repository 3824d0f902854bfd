// SPDX-License-Identifier: GPL-2.0
/*
 * Prototype flow caches for issue 17, built several times with other -D settings (see
 * PROTO_VARIANTS in the Makefile) and measured on the curve by curve.c.  Each keeps xdpflow's
 * contract: every frame counted once, tables reached through one-slot arrays of maps so that
 * drains stay exact, the 48-byte flow key of issue 14.4 (VLAN IDs), and, with PC_GEN, cache
 * entries a reader on another CPU can copy without ever seeing two flows mixed.
 *
 *   PC_SETS, PC_WAYS  per-CPU cache of PC_SETS sets of PC_WAYS entries (PC_SETS a power of 2)
 *   PC_BYPASS         0: a miss evicts a victim and installs its flow (today's scheme);
 *                     1: a miss in a full set counts the frame straight into the shared table;
 *                        the flow is admitted (a victim evicted) only when it misses twice in a
 *                        row in that set (a one-tag doorkeeper per set)
 *   PC_DERIVED        0: evictions add to the per-CPU per-interface protocol counters
 *                        (today's stats slot, 8256 bytes); with PC_BYPASS every bypassed frame
 *                        does too;
 *                     1: protocol counts are derived from the flows (as sources are); IP frames
 *                        touch the stats only when the full flow table refuses a flow, and then
 *                        a small shared table keeps the refused frames per protocol
 *   PC_GEN            a generation word per entry, made odd before a re-key and even after:
 *                     1: with fetch-and-add (a full barrier on every architecture);
 *                     2: with plain stores between compiler barriers (enough where stores are
 *                        not reordered with stores: x86-64; a loader would pick 1 elsewhere)
 *                     3: as 2, but the words live in a per-CPU array of their own (one element
 *                        of PC_SETS x PC_WAYS words), which a reader copies cheaply to tell which
 *                        entries were re-keyed while it read
 *                     4: as 3, with fetch-and-add (ordered on every architecture)
 *   PC_ADAPT          1: when fewer than 1 frame in 16 hit the cache over a window of 1024, the
 *                        next 15 windows skip the cache and go straight to the table (then
 *                        one window probes again): a CPU whose flows do not fit pays the
 *                        direct design's cost, not the probe's on top
 *   PC_APART          0: each set is one per-CPU array element (its header, then its ways);
 *                     1: the headers (tags, doorkeeper, hand) are a small program-private
 *                        per-CPU array of their own, the entries another, one element each, so
 *                        a miss touches only the header's line and a hit one entry
 *   PC_OUTER          1: the cache is behind a one-slot array of maps (drains swap it);
 *                     0: the cache is a plain global per-CPU array of two banks of PC_SETS sets,
 *                        the bank picked by an epoch word in a plain array (a drain would flip
 *                        it, wait for a grace period, then read and zero the old bank)
 *   PC_LEN            0: frame bytes by bpf_xdp_get_buff_len (a helper call, every buffer of a
 *                        multi-buffer frame); 1: data_end - data (the first buffer only)
 *   PC_TIME           1: first/last seen in jiffies, clock anchors on a new jiffy;
 *                     0: no times at all (a bound on what times cost)
 *   PC_FLOOR          1: classify the frame, hash the key and count nothing (the parser's
 *                        floor)
 *   PC_WORDS          1: the product's parser, xdp/xdpflow_parse.h (the key built in 64-bit words)
 *   PC_MMAP           1: the cache is a plain (mmapable, page-aligned) array of CPUs x
 *                        PC_SETS sets, each CPU indexing its own range by
 *                        bpf_get_smp_processor_id(); a set's header is padded to 64 bytes so
 *                        that sets of 448 bytes start on a cache line (a per-CPU array keeps
 *                        each element in an allocation of its own, 8-byte aligned, and reaches
 *                        it through a pointer array)
 */
#include "xdpflow_abi.h"

/* The flow key with the outer and inner VLAN IDs of issue 14.4: 48 bytes. */
struct pc_flow_key {
	__u8 src[16];
	__u8 dst[16];
	__u32 ifindex;
	__u16 sport;
	__u16 dport;
	__u8 family;
	__u8 proto;
	__u16 vlan_outer; /* 0: untagged */
	__u16 vlan_inner;
	__u16 pad;
};

#ifndef PC_WORDS
#define PC_WORDS 0
#endif
#if PC_WORDS
#include "xdpflow_parse.h"
#include <bpf/bpf_core_read.h>

static __always_inline __attribute__((unused)) __u64 frame_bytes(struct xdp_md *ctx)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_xdp_get_buff_len))
		return bpf_xdp_get_buff_len(ctx);
	return ctx->data_end - ctx->data;
}
#else
#define BENCH_KEY struct pc_flow_key
#define BENCH_KEY_VLAN
#include "bench_parse.h"
#endif

#ifndef PC_SETS
#define PC_SETS 512
#endif
#ifndef PC_WAYS
#define PC_WAYS 4
#endif
#ifndef PC_BYPASS
#define PC_BYPASS 1
#endif
#ifndef PC_DERIVED
#define PC_DERIVED 1
#endif
#ifndef PC_GEN
#define PC_GEN 1
#endif
#ifndef PC_MMAP
#define PC_MMAP 0
#endif
#ifndef PC_APART
#define PC_APART 0
#endif
#ifndef PC_ADAPT
#define PC_ADAPT 0
#endif
#ifndef PC_OUTER
#define PC_OUTER 1
#endif
#ifndef PC_LEN
#define PC_LEN 0
#endif
#ifndef PC_TIME
#define PC_TIME 1
#endif
#ifndef PC_FLOOR
#define PC_FLOOR 0
#endif
#define PC_WINDOW 1024

_Static_assert((PC_SETS & (PC_SETS - 1)) == 0, "PC_SETS is a power of 2");
_Static_assert(PC_WAYS == 1 || PC_WAYS == 2 || PC_WAYS == 4, "PC_WAYS is 1, 2 or 4");
_Static_assert(sizeof(struct pc_flow_key) == 48, "the key of issue 14.4 is 48 bytes");

/*
 * A cache entry: 96 bytes.  Empty when packets == 0.  gen is odd while the writer re-keys the
 * entry; a reader accepts a copy only when the generation it read before the copy and the one
 * it read after are equal and even (see docs/PERFORMANCE.md, "torn reads").
 */
struct pc_entry {
	struct pc_flow_key key;
	__u32 gen;
	__u32 tcp_flags;
	__u64 packets;
	__u64 bytes;
	__u64 ip_bytes;
	__u64 first_seen;
	__u64 last_seen;
};

/*
 * A set's header, which the writer alone uses (tags of the ways, the doorkeeper, the
 * second-chance hand and reference bits).  Readers look only at the entries.
 */
struct pc_hdr {
	__u32 tag[PC_WAYS]; /* hash of the way's key | 1; 0: empty */
	__u32 door; /* tag of the last flow that missed in a full set */
	__u8 hand;
	__u8 refs; /* bit w: way w hit since the hand last passed */
	__u16 pad;
};

#if PC_APART
#define PC_CACHE_ENTRIES (PC_SETS * PC_WAYS)
#define PC_CACHE_VALUE struct pc_entry
#else
struct pc_set {
	struct pc_hdr h;
#if PC_MMAP
	__u8 hdr_pad[64 - sizeof(struct pc_hdr)];
#endif
	struct pc_entry e[PC_WAYS];
};
#define PC_CACHE_ENTRIES PC_SETS
#define PC_CACHE_VALUE struct pc_set
#endif

struct pc_iface_stats {
	__u32 ifindex;
	__u32 pad;
	struct xdpflow_counter non_ip;
	struct xdpflow_counter malformed;
	struct xdpflow_counter unrecorded;
	__u64 unrecorded_flows;
};

/* Layout version 2's stats slot (8256 bytes): protocol counts per CPU, for !PC_DERIVED. */
struct pc_iface_stats_v2 {
	__u32 ifindex;
	__u32 pad;
	struct xdpflow_counter non_ip;
	struct xdpflow_counter malformed;
	struct xdpflow_counter unrecorded;
	struct xdpflow_counter proto[2][256];
	__u64 unrecorded_flows;
};

#if PC_DERIVED
#define PC_STATS struct pc_iface_stats
#else
#define PC_STATS struct pc_iface_stats_v2
#endif

/* Frames of flows the full table refused, per interface and protocol (PC_DERIVED only). */
struct pc_refused_key {
	__u32 ifindex;
	__u8 family;
	__u8 proto;
	__u16 pad;
};

struct stats_table {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPFLOW_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, PC_STATS);
} stats_epoch0 SEC(".maps");

struct flows_table {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDPFLOW_DEFAULT_MAX_FLOWS);
	__type(key, struct pc_flow_key);
	__type(value, struct xdpflow_flow_counters);
} flows_epoch0 SEC(".maps");

#if PC_OUTER
struct fcache_table {
#if PC_MMAP
	/* max_entries: PC_CACHE_ENTRIES times the possible CPUs, set by the loader */
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
#else
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
#endif
	__uint(max_entries, PC_CACHE_ENTRIES);
	__type(key, __u32);
	__type(value, PC_CACHE_VALUE);
} fcache_epoch0 SEC(".maps");
#endif

#if PC_APART
/*
 * Not behind an outer map: only this program reads it.  After a drain put a fresh cache in
 * place, tags may name flows whose entries are now empty; a tag is therefore only a hint (a hit
 * compares the key) and an entry is evicted only if it holds packets.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PC_SETS);
	__type(key, __u32);
	__type(value, struct pc_hdr);
} pc_headers SEC(".maps");
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct stats_table);
} pc_stats SEC(".maps") = { .values = { &stats_epoch0 } };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct flows_table);
} pc_flows SEC(".maps") = { .values = { &flows_epoch0 } };

#if PC_OUTER
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct fcache_table);
} pc_fcache SEC(".maps") = { .values = { &fcache_epoch0 } };
#else
/* Two banks; the program counts in bank pc_bank[0] & 1. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * PC_CACHE_ENTRIES);
	__type(key, __u32);
	__type(value, PC_CACHE_VALUE);
} pc_banks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} pc_bank SEC(".maps");
#endif

#if PC_DERIVED
struct refused_table {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct pc_refused_key);
	__type(value, struct xdpflow_counter);
} refused_epoch0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct refused_table);
} pc_refused SEC(".maps") = { .values = { &refused_epoch0 } };
#endif

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpflow_clock_anchor);
} pc_clock SEC(".maps");

#if PC_GEN >= 3
struct pc_gen_words {
	__u32 g[PC_SETS * PC_WAYS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_gen_words);
} pc_gens SEC(".maps");
#endif

/* PC_ADAPT: this CPU's hit rate over the current window, and windows left to skip. */
struct pc_mode {
	__u32 frames;
	__u32 hits;
	__u32 skip;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pc_mode);
} pc_modes SEC(".maps");

/* What one frame, or one evicted entry, adds to a flow. */
struct pc_delta {
	__u64 packets;
	__u64 bytes;
	__u64 ip_bytes;
	__u64 first_seen;
	__u64 last_seen;
	__u32 tcp_flags;
};

static __always_inline void touch_clock(__u64 now)
{
	struct xdpflow_clock_anchor *a;
	__u32 zero = 0;

	a = bpf_map_lookup_elem(&pc_clock, &zero);
	if (!a || a->last_jiffies == now)
		return;
	a->last_ktime_ns = bpf_ktime_get_ns();
	a->last_jiffies = now;
	if (!a->first_jiffies) {
		a->first_jiffies = now;
		a->first_ktime_ns = a->last_ktime_ns;
	}
}

/* This CPU's stats slot for ifindex, claiming a free one on first sight (as xdpflow does). */
static __always_inline PC_STATS *iface_stats(__u32 ifindex)
{
	__u32 zero = 0, slot, i;
	PC_STATS *s;
	void *table;

	table = bpf_map_lookup_elem(&pc_stats, &zero);
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

/* Frames the full flow table refused: per interface, and per protocol where derived. */
static __always_inline void count_refused(const struct pc_flow_key *k, const struct pc_delta *d)
{
	PC_STATS *s = iface_stats(k->ifindex);

	if (s) {
		s->unrecorded.packets += d->packets;
		s->unrecorded.bytes += d->bytes;
		s->unrecorded_flows++;
	}
#if PC_DERIVED
	{
		struct pc_refused_key rk = { .ifindex = k->ifindex, .family = k->family,
					     .proto = k->proto };
		struct xdpflow_counter *c, init = {};
		__u32 zero = 0;
		void *table = bpf_map_lookup_elem(&pc_refused, &zero);

		if (!table)
			return;
		c = bpf_map_lookup_elem(table, &rk);
		if (!c) {
			bpf_map_update_elem(table, &rk, &init, BPF_NOEXIST);
			c = bpf_map_lookup_elem(table, &rk);
			if (!c)
				return;
		}
		__sync_fetch_and_add(&c->packets, d->packets);
		__sync_fetch_and_add(&c->bytes, d->bytes);
	}
#endif
}

/* Add d to the flow's entry of the shared table, inserting it if new; -1 if refused. */
static __always_inline int table_add(const struct pc_flow_key *k, const struct pc_delta *d)
{
	struct xdpflow_flow_counters *v, init;
	__u32 zero = 0;
	void *table;

	table = bpf_map_lookup_elem(&pc_flows, &zero);
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
		v = bpf_map_lookup_elem(table, k);
		if (!v)
			return -1;
	}
	__sync_fetch_and_add(&v->packets, d->packets);
	__sync_fetch_and_add(&v->bytes, d->bytes);
	__sync_fetch_and_add(&v->ip_bytes, d->ip_bytes);
	if ((v->tcp_flags | d->tcp_flags) != v->tcp_flags)
		__sync_fetch_and_or(&v->tcp_flags, d->tcp_flags);
	if (d->first_seen < v->first_seen)
		v->first_seen = d->first_seen;
	if (d->last_seen > v->last_seen)
		v->last_seen = d->last_seen;
	return 0;
}

/* Account d of flow k outside the cache: the shared table, and the protocol counters. */
static __always_inline void account(const struct pc_flow_key *k, const struct pc_delta *d)
{
#if !PC_DERIVED
	PC_STATS *s = iface_stats(k->ifindex);
	struct xdpflow_counter *c;

	if (s) {
		c = &s->proto[k->family == 6][k->proto];
		c->packets += d->packets;
		c->bytes += d->bytes;
	}
#endif
	if (table_add(k, d))
		count_refused(k, d);
}

static __always_inline void evict(struct pc_entry *e)
{
	struct pc_delta d = {
		.packets = e->packets, .bytes = e->bytes, .ip_bytes = e->ip_bytes,
		.first_seen = e->first_seen, .last_seen = e->last_seen, .tcp_flags = e->tcp_flags,
	};

	account(&e->key, &d);
}

/* Hash of the key for the set index (top bits) and the tag: the product's (xdpflow_abi.h). */
static __always_inline __u32 key_hash(const struct pc_flow_key *k)
{
	return xdpflow_flow_hash((const __u64 *)k);
}

static __always_inline int same_key(const struct pc_flow_key *a, const struct pc_flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		 (x[4] ^ y[4]) | (x[5] ^ y[5]));
}

/*
 * Re-key entry way of set to flow k, with this frame: account the old flow (if evict), then
 * write the new one.  The generation goes odd before the first byte changes and even after
 * the last: fetch-and-add is a full barrier in BPF on x86 (lock xadd) and arm64 (ldaddal), so
 * a reader that sees the same even generation before and after its copy saw no re-key in
 * between.  An odd value on entry means a re-key of this entry on this CPU is under way
 * already (only possible where a preemptible kernel lets two XDP runs share a CPU): then the
 * entry is left alone and the frame goes to the table.
 */
#define compiler_barrier() asm volatile("" ::: "memory")

static __always_inline void rekey(struct pc_hdr *h, struct pc_entry *e, __u32 idx, __u32 way,
				  __u32 tag, int evict_old, const struct pc_flow_key *k,
				  const struct pc_delta *d)
{
#if PC_GEN >= 3
	__u32 zero = 0, gen, *gw;
	struct pc_gen_words *gens = bpf_map_lookup_elem(&pc_gens, &zero);

	if (!gens) {
		account(k, d);
		return;
	}
	gw = &gens->g[(idx * PC_WAYS + way) & (PC_SETS * PC_WAYS - 1)];
#if PC_GEN == 4
	gen = __sync_fetch_and_add(gw, 1);
	if (gen & 1) {
		__sync_fetch_and_add(gw, -1);
		account(k, d);
		return;
	}
#else
	gen = *gw;
	if (gen & 1) {
		account(k, d);
		return;
	}
	*gw = gen + 1;
	compiler_barrier();
#endif
#elif PC_GEN == 1
	if (__sync_fetch_and_add(&e->gen, 1) & 1) {
		__sync_fetch_and_add(&e->gen, -1);
		account(k, d);
		return;
	}
#elif PC_GEN == 2
	__u32 gen = e->gen;

	if (gen & 1) {
		account(k, d);
		return;
	}
	e->gen = gen + 1;
	compiler_barrier();
#endif
	if (evict_old && e->packets)
		evict(e);
	e->key = *k;
	e->tcp_flags = d->tcp_flags;
	e->packets = d->packets;
	e->bytes = d->bytes;
	e->ip_bytes = d->ip_bytes;
	e->first_seen = d->first_seen;
	e->last_seen = d->last_seen;
#if PC_GEN == 1
	__sync_fetch_and_add(&e->gen, 1);
#elif PC_GEN == 2
	compiler_barrier();
	e->gen = gen + 2;
#elif PC_GEN == 3
	compiler_barrier();
	*gw = gen + 2;
#elif PC_GEN == 4
	/* The value is used, so the fetching form (a full barrier on arm64 as well) is emitted. */
	gen = __sync_fetch_and_add(gw, 1);
	asm volatile("" ::"r"(gen));
#endif
	h->tag[way] = tag;
}

/* Second chance: the first way from the hand not hit since the hand last passed it. */
static __always_inline __u32 victim(struct pc_hdr *h)
{
	__u32 w = h->hand % PC_WAYS;
	int i;

#pragma unroll
	for (i = 0; i < PC_WAYS - 1; i++) {
		if (!(h->refs & (1u << w)))
			break;
		h->refs &= ~(1u << w);
		w = (w + 1) % PC_WAYS;
	}
	h->hand = (w + 1) % PC_WAYS;
	h->refs &= ~(1u << w);
	return w;
}

/* Entry way of set idx. */
static __always_inline struct pc_entry *entry_of(void *cache, void *set, __u32 idx, __u32 way)
{
#if PC_APART
	__u32 i = idx * PC_WAYS + way;

	return bpf_map_lookup_elem(cache, &i);
#else
	return &((struct pc_set *)set)->e[way];
#endif
}

static __always_inline void count_flow(const struct pc_flow_key *k, __u32 ip_bytes,
				       __u32 tcp_flags, __u64 bytes)
{
	struct pc_delta d = {
		.packets = 1, .bytes = bytes, .ip_bytes = ip_bytes, .tcp_flags = tcp_flags,
	};
#if PC_TIME
	__u64 now = bpf_jiffies64();
#else
	__u64 now = 0;
#endif
	__u32 zero = 0, hash, tag, idx, w;
	struct pc_entry *e;
	struct pc_hdr *h;
	void *cache, *set;

	d.first_seen = d.last_seen = now;
#if PC_ADAPT
	struct pc_mode *m = bpf_map_lookup_elem(&pc_modes, &zero);

	if (!m)
		return;
	if (++m->frames >= PC_WINDOW) {
		m->skip = m->skip ? m->skip - 1 : (m->hits < PC_WINDOW / 16 ? 15 : 0);
		m->frames = m->hits = 0;
	}
	if (m->skip) {
		touch_clock(now);
		account(k, &d);
		return;
	}
#endif
#if PC_OUTER
	cache = bpf_map_lookup_elem(&pc_fcache, &zero);
#else
	__u32 *bank = bpf_map_lookup_elem(&pc_bank, &zero);

	cache = &pc_banks;
	if (!bank)
		return;
#endif
	if (!cache)
		return;
	hash = key_hash(k);
	tag = hash | 1;
	idx = hash >> 23 & (PC_SETS - 1);
#if !PC_OUTER
	idx += (*bank & 1) * PC_CACHE_ENTRIES;
#endif
#if PC_MMAP
	idx += bpf_get_smp_processor_id() * PC_CACHE_ENTRIES;
#endif
#if PC_APART
	set = NULL;
	h = bpf_map_lookup_elem(&pc_headers, &idx);
#else
	set = bpf_map_lookup_elem(cache, &idx);
	h = set;
#endif
	if (!h)
		return;
#pragma unroll
	for (w = 0; w < PC_WAYS; w++) {
		if (h->tag[w] != tag)
			continue;
		e = entry_of(cache, set, idx, w);
		if (!e || !same_key(&e->key, k))
			continue;
		e->packets++;
		e->bytes += bytes;
		e->ip_bytes += ip_bytes;
		e->tcp_flags |= tcp_flags;
		if (PC_WAYS > 1)
			h->refs |= 1u << w;
#if PC_ADAPT
		m->hits++;
#endif
		if (PC_TIME && e->last_seen != now) {
			e->last_seen = now;
			touch_clock(now);
		}
		return;
	}
	if (PC_TIME)
		touch_clock(now);
	/* A miss: an empty way takes the flow at once. */
#pragma unroll
	for (w = 0; w < PC_WAYS; w++) {
		if (!h->tag[w]) {
			e = entry_of(cache, set, idx, w);
			if (e)
				rekey(h, e, idx, w, tag, 1, k, &d);
			return;
		}
	}
#if PC_BYPASS
	if (h->door != tag) {
		h->door = tag;
		account(k, &d);
		return;
	}
	h->door = 0;
#endif
	w = PC_WAYS > 1 ? victim(h) : 0;
	e = entry_of(cache, set, idx, w);
	if (e)
		rekey(h, e, idx, w, tag, 1, k, &d);
	else
		account(k, &d);
}

SEC("xdp.frags")
int proto(struct xdp_md *ctx)
{
#if PC_LEN
	__u64 bytes = ctx->data_end - ctx->data;
#else
	__u64 bytes = frame_bytes(ctx);
#endif
	PC_STATS *s;
#if PC_WORDS
	struct frame_words fw;
	int class = classify_words(&fw, (void *)(long)ctx->data, (void *)(long)ctx->data_end,
				   bytes);

	if (class == CLASS_IP) {
		fw.w[4] |= ctx->ingress_ifindex;
		if (PC_FLOOR)
			return key_hash((void *)fw.w) == 1 ? XDP_DROP : XDP_PASS;
		count_flow((void *)fw.w, fw.ip_bytes, fw.tcp_flags, bytes);
		return XDP_PASS;
	}
#else
	struct frame_info fi = {};
	int class;

	classify(&fi, (void *)(long)ctx->data, (void *)(long)ctx->data_end);
	class = fi.class;
	if (class == CLASS_IP) {
		fi.key.ifindex = ctx->ingress_ifindex;
		if (PC_FLOOR)
			return key_hash(&fi.key) == 1 ? XDP_DROP : XDP_PASS;
		count_flow(&fi.key, fi.ip_bytes, fi.tcp_flags, bytes);
		return XDP_PASS;
	}
#endif
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
