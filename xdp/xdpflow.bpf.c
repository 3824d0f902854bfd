// SPDX-License-Identifier: GPL-2.0
/* The xdpflow XDP program: classify every frame once, count it per interface, protocol and flow. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <xdp/xdp_helpers.h>
#include "xdpflow_abi.h"

/*
 * Priority 5 runs before xdp-filter (10) and libxdp's default (50), so the
 * counter sees frames that a filter later in the chain drops.  Only XDP_PASS
 * continues the chain, and XDP_PASS is all this program ever returns.
 */
#define XDPFLOW_RUN_PRIO 5

#define VLAN_MAX_DEPTH 2
#define IPV6_EXT_MAX_DEPTH 8

enum frame_class { CLASS_NON_IP, CLASS_MALFORMED, CLASS_IP };

struct frame_info {
	struct xdpflow_flow_key key; /* ifindex filled in by the caller */
	enum frame_class class;
	__u32 ip_bytes;
	__u32 tcp_flags;
};

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
	__uint(max_entries, XDPFLOW_FLOWCACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct xdpflow_flowcache_entry);
} fcache_epoch0 SEC(".maps");

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

/*
 * Per-CPU counters need no atomics: an XDP program runs with bottom halves
 * off on one CPU, so nothing else on that CPU touches them meanwhile.
 */
static __always_inline void count(struct xdpflow_counter *c, __u64 bytes)
{
	c->packets++;
	c->bytes += bytes;
}

static __always_inline __u64 frame_bytes(struct xdp_md *ctx)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_xdp_get_buff_len))
		return bpf_xdp_get_buff_len(ctx);
	return ctx->data_end - ctx->data;
}

static __always_inline int is_ipv6_ext(__u8 nexthdr)
{
	return nexthdr == 0 || nexthdr == 43 || nexthdr == 44 ||
	       nexthdr == 60 || nexthdr == 51 || nexthdr == 135;
}

/* Ports (or ICMP type/code) and TCP flags of the L4 header at l4, if present. */
static __always_inline void parse_l4(struct frame_info *fi, void *l4, void *end)
{
	switch (fi->key.proto) {
	case IPPROTO_TCP:
		if (l4 + 14 <= end)
			fi->tcp_flags = *(__u8 *)(l4 + 13);
		/* fall through */
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (l4 + 4 <= end) {
			fi->key.sport = *(__u16 *)l4;
			fi->key.dport = *(__u16 *)(l4 + 2);
		}
		break;
	case IPPROTO_ICMP:
	case 58: /* IPPROTO_ICMPV6 */
		if (l4 + 2 <= end)
			fi->key.dport = *(__u16 *)l4;
		break;
	}
}

/*
 * IP-layer bytes (IPFIX octets): the length the IP header claims, unless the
 * frame contradicts it.  held is what the frame holds from the IP header on
 * (every buffer of a multi-buffer frame).  A claim longer than that, or one
 * below the header's own length (0 is what segmentation offload and IPv6
 * jumbograms write), counts held instead: a sender cannot make a flow's
 * octets exceed its bytes on the wire, and Ethernet padding (held > claim)
 * is still left out.
 */
static __always_inline __u32 ip_bytes_held(__u32 claimed, __u32 header_len, __u64 held)
{
	if (claimed < header_len || claimed > held)
		return held;
	return claimed;
}

static __always_inline void parse_ipv4(struct frame_info *fi, void *ip, void *end, __u64 held)
{
	__u8 *b = ip;
	__u32 hlen;

	if (ip + 20 > end || (b[0] >> 4) != 4 || (b[0] & 0xf) < 5)
		return; /* CLASS_MALFORMED */
	hlen = (b[0] & 0xf) * 4;
	if (ip + hlen > end)
		return;
	fi->class = CLASS_IP;
	fi->key.family = 4;
	fi->key.proto = b[9];
	fi->ip_bytes = ip_bytes_held(bpf_ntohs(*(__u16 *)(b + 2)), hlen, held);
	__builtin_memcpy(fi->key.src, b + 12, 4);
	__builtin_memcpy(fi->key.dst, b + 16, 4);
	/* A non-first fragment carries no L4 header. */
	if (bpf_ntohs(*(__u16 *)(b + 6)) & 0x1fff)
		return;
	parse_l4(fi, ip + hlen, end);
}

static __always_inline void parse_ipv6(struct frame_info *fi, void *ip, void *end, __u64 held)
{
	__u8 *b = ip;
	void *hdr = ip + 40;
	__u8 nexthdr;
	int i;

	if (ip + 40 > end || (b[0] >> 4) != 6)
		return; /* CLASS_MALFORMED */
	fi->class = CLASS_IP;
	fi->key.family = 6;
	/* Payload length 0 claims less than the 41 bytes of a header with any payload. */
	fi->ip_bytes = ip_bytes_held(bpf_ntohs(*(__u16 *)(b + 4)) + 40, 41, held);
	__builtin_memcpy(fi->key.src, b + 8, 16);
	__builtin_memcpy(fi->key.dst, b + 24, 16);
	nexthdr = b[6];

	/*
	 * Walk extension headers; where the chain is deeper than we walk or
	 * cut off by the end of the frame, the protocol is the next-header
	 * value we stopped at and there are no ports.
	 */
	for (i = 0; i < IPV6_EXT_MAX_DEPTH; i++) {
		__u8 *ext = hdr;
		__u32 len;

		if (!is_ipv6_ext(nexthdr))
			break;
		if (hdr + 8 > end) {
			fi->key.proto = nexthdr;
			return;
		}
		if (nexthdr == 44) {
			/* Non-first fragment: upper protocol known, no L4 header. */
			if (bpf_ntohs(*(__u16 *)(ext + 2)) & 0xfff8) {
				fi->key.proto = ext[0];
				return;
			}
			len = 8;
		} else if (nexthdr == 51) {
			len = (ext[1] + 2) * 4;
		} else {
			len = (ext[1] + 1) * 8;
		}
		nexthdr = ext[0];
		hdr += len;
	}
	fi->key.proto = nexthdr;
	if (!is_ipv6_ext(nexthdr))
		parse_l4(fi, hdr, end);
}

/* Class and flow key of the frame at data (linear part up to end, len bytes in all). */
static __always_inline void classify(struct frame_info *fi, void *data, void *end, __u64 len)
{
	struct ethhdr *eth = data;
	void *hdr = data + sizeof(*eth);
	__u16 proto;
	int i;

	fi->class = CLASS_NON_IP;
	if (hdr > end)
		return;
	proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if (hdr + 4 > end)
			return;
		proto = *(__u16 *)(hdr + 2);
		hdr += 4;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		fi->class = CLASS_MALFORMED;
		parse_ipv4(fi, hdr, end, len - (hdr - data));
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		fi->class = CLASS_MALFORMED;
		parse_ipv6(fi, hdr, end, len - (hdr - data));
	}
}

/* This CPU's counters for ifindex, claiming a free slot on first sight. */
static __always_inline struct xdpflow_iface_stats *iface_stats(void *table, __u32 ifindex)
{
	struct xdpflow_iface_stats *s;
	__u32 slot, i;

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

/* Move a flow-cache entry evicted from this CPU into the shared flow table. */
static __always_inline int flush_flow(struct xdpflow_flowcache_entry *e)
{
	struct xdpflow_flow_counters *v, *c = &e->counters;
	__u32 zero = 0;
	void *table;

	table = bpf_map_lookup_elem(&xdpflow_flows, &zero);
	if (!table)
		return -1;
	v = bpf_map_lookup_elem(table, &e->key);
	if (!v) {
		if (!bpf_map_update_elem(table, &e->key, c, BPF_NOEXIST))
			return 0;
		/* Another CPU inserted it first, or the table is full. */
		v = bpf_map_lookup_elem(table, &e->key);
		if (!v)
			return -1;
	}
	__sync_fetch_and_add(&v->packets, c->packets);
	__sync_fetch_and_add(&v->bytes, c->bytes);
	__sync_fetch_and_add(&v->ip_bytes, c->ip_bytes);
	if ((v->tcp_flags | c->tcp_flags) != v->tcp_flags)
		__sync_fetch_and_or(&v->tcp_flags, c->tcp_flags);
	/* Racy but harmless: both only ever move towards the truth. */
	if (c->first_seen < v->first_seen)
		v->first_seen = c->first_seen;
	if (c->last_seen > v->last_seen)
		v->last_seen = c->last_seen;
	return 0;
}

/* Account an evicted entry: protocol counts, then the flow table. */
static __always_inline void evict_flow(struct xdpflow_flowcache_entry *e)
{
	struct xdpflow_counter *c;
	struct xdpflow_iface_stats *s;
	__u32 zero = 0;
	void *table;

	table = bpf_map_lookup_elem(&xdpflow_stats, &zero);
	if (!table)
		return;
	s = iface_stats(table, e->key.ifindex);
	if (!s)
		return;
	c = &s->proto[e->key.family == 6][e->key.proto];
	c->packets += e->counters.packets;
	c->bytes += e->counters.bytes;
	if (flush_flow(e)) {
		s->unrecorded.packets += e->counters.packets;
		s->unrecorded.bytes += e->counters.bytes;
		s->unrecorded_flows++;
	}
}

/* Cheap mix of the key words; it only picks a cache slot. */
static __always_inline __u32 flow_slot(const struct xdpflow_flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 h = 0;
	int i;

#pragma unroll
	for (i = 0; i < (int)(sizeof(*k) / 4); i++)
		h ^= w[i];
	h *= 0x9e3779b1u;
	return h >> 24; /* XDPFLOW_FLOWCACHE_SLOTS == 256 */
}

static __always_inline int same_key(const struct xdpflow_flow_key *a,
				    const struct xdpflow_flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;
	__u64 diff = *(const __u32 *)&x[5] ^ *(const __u32 *)&y[5];
	int i;

	_Static_assert(sizeof(*a) == 44, "same_key compares 5 u64 and 1 u32");
#pragma unroll
	for (i = 0; i < 5; i++)
		diff |= x[i] ^ y[i];
	return !diff;
}

/*
 * Add the frame to this CPU's cache entry for its flow; when the slot held
 * another flow, account that one first (evict_flow).
 */
static __always_inline void count_flow(struct frame_info *fi, __u64 bytes)
{
	struct xdpflow_flow_key *key = &fi->key;
	struct xdpflow_flowcache_entry *e;
	__u64 now = bpf_jiffies64();
	__u32 zero = 0, slot;
	void *cache;

	cache = bpf_map_lookup_elem(&xdpflow_fcache, &zero);
	if (!cache)
		return;
	slot = flow_slot(key);
	e = bpf_map_lookup_elem(cache, &slot);
	if (!e)
		return;
	if (!e->counters.packets || !same_key(&e->key, key)) {
		if (e->counters.packets)
			evict_flow(e);
		__builtin_memset(e, 0, sizeof(*e));
		e->key = *key;
		e->counters.first_seen = now;
	}
	e->counters.packets++;
	e->counters.bytes += bytes;
	e->counters.ip_bytes += fi->ip_bytes;
	e->counters.tcp_flags |= fi->tcp_flags;
	if (e->counters.last_seen != now) {
		e->counters.last_seen = now;
		touch_clock(now);
	}
}

SEC("xdp.frags")
int xdpflow(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct xdpflow_iface_stats *s;
	struct frame_info fi = {};
	__u64 bytes = frame_bytes(ctx);
	__u32 ifindex = ctx->ingress_ifindex;
	__u32 zero = 0;
	void *table;

	classify(&fi, data, end, bytes);
	if (fi.class == CLASS_IP) {
		fi.key.ifindex = ifindex;
		count_flow(&fi, bytes);
		return XDP_PASS;
	}
	table = bpf_map_lookup_elem(&xdpflow_stats, &zero);
	if (!table)
		return XDP_PASS;
	s = iface_stats(table, ifindex);
	if (!s)
		return XDP_PASS;
	if (fi.class == CLASS_NON_IP)
		count(&s->non_ip, bytes);
	else
		count(&s->malformed, bytes);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
