/* SPDX-License-Identifier: GPL-2.0 */
/* The reader's read layer: sum per-CPU counters and merge the flow cache into the flow table, from given table fds. */
#ifndef XDPFLOW_SNAPSHOT_H
#define XDPFLOW_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "clock.h"
#include "keyhash.h"
#include "pin.h"

/*
 * The three tables one read (or one drain) works on.  Normally the ones
 * currently in the outer maps' slot 0 (snapshot_tables_open_current); a
 * drain passes the tables it just swapped out, whose contents are final.
 */
struct snapshot_tables {
	int stats_fd;
	int flows_fd;
	int fcache_fd;
};

int snapshot_tables_open_current(const struct pin_maps *pm, struct snapshot_tables *t);
void snapshot_tables_close(struct snapshot_tables *t);

/* Counters of one interface, summed over every CPU and slot. */
struct iface_counts {
	__u32 ifindex; /* XDPFLOW_IFINDEX_OTHER for the "other interfaces" slot */
	__u32 pad;
	struct xdpflow_counter non_ip;
	struct xdpflow_counter malformed;
	struct xdpflow_counter unrecorded; /* also in proto[] */
	__u64 unrecorded_flows; /* flow records the full table refused */
	/* The stats' proto[] plus the live flow-cache entries: complete. */
	struct xdpflow_counter proto[2][256];
};

struct iface_set {
	struct iface_counts *v; /* sorted by ifindex once read */
	size_t n, cap;
};

/* One flow: its table entry and its cache entries on every CPU, merged. */
struct flow_record {
	struct xdpflow_flow_key key;
	__u32 pad;
	struct xdpflow_flow_counters c;
};

/* The flow caches of every CPU, merged by key; at most 256 x CPUs entries. */
struct flow_cache {
	struct keyhash h; /* struct xdpflow_flow_key -> struct cached_flow */
};

struct cached_flow {
	struct xdpflow_flow_counters c;
	bool merged; /* matched a table entry during the current walk */
};

/* Everything but the flows themselves, which are streamed. */
struct snapshot {
	int ncpus;
	struct iface_set ifaces;
	struct flow_cache cache;
	struct flow_clock clock;
	__u32 flow_capacity;
};

/* Add b into a the way a flow-cache entry merges into its table entry. */
void flow_counters_merge(struct xdpflow_flow_counters *a, const struct xdpflow_flow_counters *b);

/*
 * Read the flow cache, the stats and the clock anchors (clock_fd < 0:
 * none) and form complete per-interface counts.  -errno on failure.
 */
int snapshot_read(const struct snapshot_tables *t, int clock_fd, int ncpus, struct snapshot *s);
void snapshot_free(struct snapshot *s);

/* The interface's counts, or NULL. */
const struct iface_counts *snapshot_iface(const struct snapshot *s, __u32 ifindex);

/*
 * Stream every flow of the table once, merged with its cache entries,
 * then the flows found only in the caches.  fn returning non-zero stops
 * the walk with that value.  *table_entries (may be NULL) gets the number
 * of table entries read.  May be called more than once per snapshot.
 */
typedef int (*flow_fn)(const struct flow_record *flow, void *ctx);
int snapshot_walk_flows(int flows_fd, struct flow_cache *cache, flow_fn fn, void *ctx,
			__u64 *table_entries);

/* Number of entries in the flow table (one batch pass, nothing kept). */
int snapshot_count_flows(int flows_fd, __u64 *entries);

/* Building blocks, exposed for drains and tests. */
int snapshot_read_stats(int stats_fd, int ncpus, struct iface_set *out);
int snapshot_read_flowcache(int fcache_fd, int ncpus, struct flow_cache *out);
int snapshot_add_cache_to_ifaces(const struct flow_cache *cache, struct iface_set *ifaces);
int snapshot_read_clock(int clock_fd, int ncpus, struct flow_clock *clk);
struct iface_counts *iface_set_get(struct iface_set *s, __u32 ifindex);
void iface_set_free(struct iface_set *s);

#endif /* XDPFLOW_SNAPSHOT_H */
