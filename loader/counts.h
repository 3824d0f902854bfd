/* SPDX-License-Identifier: GPL-2.0 */
/* loader/: reading the pinned counters: per interface and protocol, per source, table fill. */
#ifndef XDPFLOW_LOADER_COUNTS_H
#define XDPFLOW_LOADER_COUNTS_H

#include <stddef.h>
#include "pin.h"

/* One interface's counters, summed over every CPU, flow-cache entries included. */
struct iface_counts {
	__u32 ifindex;
	struct xdpflow_counter non_ip;
	struct xdpflow_counter malformed;
	struct xdpflow_counter unrecorded;
	__u64 unrecorded_flows; /* flow records the full table refused */
	struct xdpflow_counter proto[2][256]; /* [XDPFLOW_FAMILY_*][IP protocol] */
};

/* Traffic from one source address on one interface (table and cache entries). */
struct source_counts {
	__u32 ifindex;
	__u8 family; /* 4 or 6 */
	__u8 addr[16];
	__u64 packets;
	__u64 bytes;
};

/* Every interface seen in the stats or the flow cache, sorted by ifindex. */
int counts_read_ifaces(const struct pin_maps *pm, struct iface_counts **out, size_t *count);
/* non-IP + malformed + every protocol. */
struct xdpflow_counter counts_total(const struct iface_counts *c);
/* Entries in the current flow table. */
int counts_flow_entries(const struct pin_maps *pm, __u64 *used);
/* Sources of ifindex (0: every interface), sorted by bytes, largest first. */
int counts_read_sources(const struct pin_maps *pm, __u32 ifindex, struct source_counts **out,
			size_t *count);
/* "TCP", "UDP", ... or NULL for a protocol without a short name. */
const char *counts_proto_name(int family_index, int proto);

#endif /* XDPFLOW_LOADER_COUNTS_H */
