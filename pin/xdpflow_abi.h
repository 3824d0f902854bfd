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
#define XDPFLOW_LAYOUT_VERSION 3

/* Pin (and kernel) names of the maps; at most 15 characters each. */
#define XDPFLOW_MAP_LAYOUT "xdpflow_layout"
#define XDPFLOW_MAP_STATS "xdpflow_stats"
#define XDPFLOW_MAP_FLOWS "xdpflow_flows"
#define XDPFLOW_MAP_FLOWCACHE "xdpflow_fcache"
#define XDPFLOW_MAP_REFUSED "xdpflow_refused"
#define XDPFLOW_MAP_FLOWCACHE_GEN "xdpflow_fgen"
#define XDPFLOW_MAP_CLOCK "xdpflow_clock"

/* Default capacity of the flow table (IPv4 and IPv6 flows together). */
#define XDPFLOW_DEFAULT_MAX_FLOWS 262144

/*
 * Each CPU keeps a flow cache of XDPFLOW_FLOWCACHE_SETS sets of
 * XDPFLOW_FLOWCACHE_WAYS entries (struct xdpflow_flowcache_set) and adds an
 * IP frame of a cached flow there without atomics.  A frame whose flow is
 * not cached goes straight to the shared flow table, unless its set has an
 * empty entry or the same flow missed there just before (the doorkeeper):
 * then the flow is admitted, and the entry it takes (picked by second
 * chance) is first moved into the flow table.  A flow's counts are therefore
 * its table entry plus its cache entries on every CPU: readers merge both.
 * An entry with counters.packets == 0 is empty.
 *
 * A flow's set is the top XDPFLOW_FLOWCACHE_SET_BITS bits of
 * xdpflow_flow_hash() (the same set on every CPU): xdpflow_flow_set().
 */
#define XDPFLOW_FLOWCACHE_SET_BITS 9
#define XDPFLOW_FLOWCACHE_SETS (1u << XDPFLOW_FLOWCACHE_SET_BITS)
#define XDPFLOW_FLOWCACHE_WAYS 4
#define XDPFLOW_FLOWCACHE_ENTRIES (XDPFLOW_FLOWCACHE_SETS * XDPFLOW_FLOWCACHE_WAYS)

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

/* Entries of the table of refused frames (struct xdpflow_refused_key). */
#define XDPFLOW_REFUSED_ENTRIES 8192

#ifndef __u64
#include <linux/types.h>
#endif

struct xdpflow_counter {
	__u64 packets;
	__u64 bytes; /* whole frames as XDP saw them */
};

/*
 * Value of the per-CPU stats array: the counters of one interface that are
 * not flows.  IP frames are counted only as flows (cache entries and the
 * flow table): protocol counts and totals are derived from the flows, so for
 * an interface
 *   protocol counts = its flows of that family and protocol (table and every
 *                     CPU's cache) + its refused frames of that protocol
 *                     (XDPFLOW_MAP_REFUSED)
 *   totals          = non_ip + malformed + its flows + unrecorded
 * Every frame is counted exactly once in flows, unrecorded, non_ip or
 * malformed (and an unrecorded one once more, by protocol, in the refused
 * table).
 */
struct xdpflow_iface_stats {
	__u32 ifindex; /* 0: slot unused on this CPU */
	__u32 pad;
	struct xdpflow_counter non_ip;
	struct xdpflow_counter malformed;
	/*
	 * IP frames whose flow the full flow table refused (so they are in no
	 * flow): a frame of a flow that is neither cached nor in the table
	 * when the table is full.  A flow in a CPU's cache stays there while
	 * the table cannot take it, so refusals never lose a cached flow.
	 */
	struct xdpflow_counter unrecorded;
};

/*
 * One key for both families: an IPv4 address fills the first 4 bytes of its
 * 16 and the rest stay zero.  Addresses, ports and VLAN IDs in network byte
 * order, as on the wire; for ICMP and ICMPv6 sport is 0 and dport is
 * type << 8 | code.  vlan_outer is the VLAN ID (the low 12 bits of the TCI)
 * of the first 802.1Q/802.1ad tag, vlan_inner of the second; 0: no tag.
 */
struct xdpflow_flow_key {
	__u8 src[16];
	__u8 dst[16];
	__u32 ifindex;
	__u16 sport;
	__u16 dport;
	__u8 family; /* 4 or 6 */
	__u8 proto;
	__u16 vlan_outer;
	__u16 vlan_inner;
	__u16 pad;
};

struct xdpflow_flow_counters {
	__u64 packets;
	__u64 bytes; /* frame bytes */
	__u64 ip_bytes; /* IP-layer bytes the frame holds (docs/DESIGN.md) */
	__u64 first_seen; /* jiffies (bpf_jiffies64) */
	__u64 last_seen; /* jiffies */
	__u32 tcp_flags; /* OR of the TCP flags byte of every segment */
	__u32 pad;
};

struct xdpflow_flowcache_entry {
	struct xdpflow_flow_key key;
	struct xdpflow_flow_counters counters;
};

/*
 * Value of the per-CPU flow cache: one set.  The header is the program's
 * own bookkeeping (readers need only the entries): tag[w] is the flow hash
 * (| 1) of entry w, 0 when empty; door the tag of the last flow that missed
 * in the full set; hand and refs the second-chance clock.
 */
struct xdpflow_flowcache_set {
	__u32 tag[XDPFLOW_FLOWCACHE_WAYS];
	__u32 door;
	__u8 hand;
	__u8 refs; /* bit w: entry w hit since the hand last passed */
	__u16 pad;
	struct xdpflow_flowcache_entry e[XDPFLOW_FLOWCACHE_WAYS];
};

/*
 * Value of XDPFLOW_MAP_FLOWCACHE_GEN (per CPU, one element): a generation
 * word per cache entry, gen[set * XDPFLOW_FLOWCACHE_WAYS + way].  The
 * program makes it odd before it changes which flow the entry holds (and
 * moves the old flow into the flow table) and even again after, two more
 * than before; counting into an entry leaves it alone.  A reader that sees
 * the same even word before and after copying an entry got one flow's
 * counts, and one that sees it changed knows the entry's flow went to the
 * table meanwhile (docs/DESIGN.md, "Live reads").  Not behind an outer map:
 * a drain does not reset it.
 */
struct xdpflow_flowcache_gens {
	__u32 gen[XDPFLOW_FLOWCACHE_ENTRIES];
};

/*
 * Key of XDPFLOW_MAP_REFUSED, a shared hash: frames (packets, bytes) whose
 * flow the full flow table refused, by interface and protocol, so protocol
 * counts stay complete.  If the table of refused frames is full too, the
 * frames are counted under ifindex XDPFLOW_IFINDEX_OTHER.
 */
struct xdpflow_refused_key {
	__u32 ifindex;
	__u8 family; /* 4 or 6 */
	__u8 proto;
	__u16 pad;
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

/*
 * The flow hash that picks a flow's cache set (and its tag), on the key's
 * six 64-bit words; readers use it to find a flow's set.  Source and
 * destination go through different multipliers, so a flow and its reply do
 * not share a tag.
 */
static inline __u32 xdpflow_flow_hash(const __u64 *w)
{
	__u64 h = (w[0] ^ w[1]) * 0x9e3779b97f4a7c15ull;

	h ^= (w[2] ^ w[3]) * 0xc2b2ae3d27d4eb4full;
	h ^= w[4] ^ w[5];
	h *= 0x165667b19e3779f9ull;
	return (__u32)(h >> 32);
}

static inline __u32 xdpflow_flow_set(__u32 hash)
{
	return hash >> (32 - XDPFLOW_FLOWCACHE_SET_BITS);
}

#endif /* XDPFLOW_ABI_H */
