/* SPDX-License-Identifier: GPL-2.0 */
/* Names for numbers: interface names (cached) and IP protocol names from the system's protocol database. */
#ifndef XDPFLOW_NAMES_H
#define XDPFLOW_NAMES_H

#include <linux/types.h>

/*
 * Name of an interface: "other" for the shared slot of interfaces beyond
 * the first 16, NULL when no interface has that index any more.  Cached
 * per process (one lookup per interface, not per flow).
 */
const char *ifname_of(__u32 ifindex);

/* Forget cached interface names (each --watch round looks again). */
void ifname_cache_reset(void);

/* Name of an IP protocol from /etc/protocols ("tcp", "ipv6-icmp"), or NULL. */
const char *proto_name(__u8 proto);

#endif /* XDPFLOW_NAMES_H */
