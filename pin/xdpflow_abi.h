/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The map ABI shared by the XDP program, pin/, the loader and the reader. */
#ifndef XDPFLOW_ABI_H
#define XDPFLOW_ABI_H

/*
 * Bump on any change to a struct, a map's type, key or value below.  The
 * pinned map XDPFLOW_MAP_LAYOUT is an array whose max_entries *is* this
 * number: it is fixed when the maps are first created, needs no writer (the
 * plain xdp-loader path has none), and libbpf refuses to reuse a pin whose
 * max_entries differ, so an old pin folder can never be silently mixed with
 * a new program.
 */
#define XDPFLOW_LAYOUT_VERSION 2

/* Pin (and kernel) names of the maps; at most 15 characters each. */
#define XDPFLOW_MAP_LAYOUT "xdpflow_layout"
#define XDPFLOW_MAP_STATS "xdpflow_stats"
#define XDPFLOW_MAP_FLOWS "xdpflow_flows"
#define XDPFLOW_MAP_FLOWCACHE "xdpflow_fcache"
#define XDPFLOW_MAP_CLOCK "xdpflow_clock"

/* Default capacity of the flow table (IPv4 and IPv6 flows together). */
#define XDPFLOW_DEFAULT_MAX_FLOWS 262144

/*
 * Each CPU keeps a direct-mapped cache of XDPFLOW_FLOWCACHE_SLOTS flows and
 * adds an IP frame there without atomics; only when another flow takes the
 * slot is the old entry moved into the shared flow table (and its counts
 * into the interface's proto[]).  A flow's counts are therefore its table
 * entry plus its cache entries on every CPU: readers must merge both.  An
 * entry with counters.packets == 0 is empty.
 */
#define XDPFLOW_FLOWCACHE_SLOTS 256

/*
 * Per-interface counters live in a per-CPU array of XDPFLOW_IFSLOTS slots.
 * A CPU claims a free slot for an ifindex on first sight (probing from
 * ifindex % XDPFLOW_IFSLOTS); slots are per CPU, so each CPU's copy names its
 * own owner in .ifindex.  If every slot of a CPU is taken, the frame is
 * counted in slot XDPFLOW_IFSLOT_OTHER, whose ifindex is XDPFLOW_IFINDEX_OTHER.
 */
#define XDPFLOW_IFSLOTS 16
#define XDPFLOW_IFSLOT_OTHER XDPFLOW_IFSLOTS
#define XDPFLOW_IFINDEX_OTHER 0xffffffffu
#define XDPFLOW_STATS_ENTRIES (XDPFLOW_IFSLOTS + 1)

/* Index of the address family in xdpflow_iface_stats.proto. */
#define XDPFLOW_FAMILY_IPV4 0
#define XDPFLOW_FAMILY_IPV6 1

#ifndef __u64
#include <linux/types.h>
#endif

struct xdpflow_counter {
	__u64 packets;
	__u64 bytes; /* whole frames as XDP saw them */
};

/*
 * Value of the per-CPU stats array: the counters of one interface.
 *
 * To keep the common path to one map update, an IP frame is counted only in
 * its per-CPU flow cache entry (see XDPFLOW_FLOWCACHE_SLOTS).  When that
 * entry is evicted, its packets and bytes are added to proto[] here (and the
 * flow to the flow table).  So for an interface:
 *   protocol counts = proto[] + its flow-cache entries of that family and
 *                     protocol, on every CPU
 *   totals          = non_ip + malformed + all protocol counts
 * Every frame is in exactly one of these counters at any time.
 */
struct xdpflow_iface_stats {
	__u32 ifindex; /* 0: slot unused on this CPU */
	__u32 pad;
	struct xdpflow_counter non_ip;
	struct xdpflow_counter malformed;
	/* evicted IP frames (also in proto[]) whose flow the full table refused */
	struct xdpflow_counter unrecorded;
	struct xdpflow_counter proto[2][256]; /* [family index][IP protocol] */
	/*
	 * Flow records the full table refused: evicted cache entries whose
	 * packets went to .unrecorded (a flow refused again counts again).
	 * Added in layout version 2.
	 */
	__u64 unrecorded_flows;
};

/*
 * One key for both families: an IPv4 address fills the first 4 bytes of its
 * 16 and the rest stay zero.  Addresses and ports in network byte order, as
 * on the wire; for ICMP and ICMPv6 sport is 0 and dport is type << 8 | code.
 */
struct xdpflow_flow_key {
	__u8 src[16];
	__u8 dst[16];
	__u32 ifindex;
	__u16 sport;
	__u16 dport;
	__u8 family; /* 4 or 6 */
	__u8 proto;
	__u16 pad;
};

struct xdpflow_flow_counters {
	__u64 packets;
	__u64 bytes; /* frame bytes */
	__u64 ip_bytes; /* IPv4 total length; IPv6 payload length + 40 */
	__u64 first_seen; /* jiffies (bpf_jiffies64) */
	__u64 last_seen; /* jiffies */
	__u32 tcp_flags; /* OR of the TCP flags byte of every segment */
	__u32 pad;
};

struct xdpflow_flowcache_entry {
	struct xdpflow_flow_key key;
	__u32 pad;
	struct xdpflow_flow_counters counters;
};

/*
 * Per-CPU pairs of (jiffies, CLOCK_MONOTONIC ns) taken by the program, so
 * user space can turn flow times into wall-clock times without knowing HZ:
 * "first" is set once, "last" whenever a flow time moves to a new jiffy.
 */
struct xdpflow_clock_anchor {
	__u64 first_jiffies;
	__u64 first_ktime_ns;
	__u64 last_jiffies;
	__u64 last_ktime_ns;
};

#endif /* XDPFLOW_ABI_H */
