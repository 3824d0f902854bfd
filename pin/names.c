// SPDX-License-Identifier: GPL-2.0
/* pin/: names for numbers: interface names (cached), IP protocol names from the system's protocol database, VLANs. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xdpflow.h"

/* Interfaces are few; a direct-mapped cache by ifindex is plenty. */
#define IFNAME_CACHE 256

struct ifname_entry {
	__u32 ifindex; /* 0: empty */
	bool gone;
	char name[IF_NAMESIZE];
};

static struct ifname_entry ifname_cache[IFNAME_CACHE];

const char *ifname_of(__u32 ifindex)
{
	struct ifname_entry *e = &ifname_cache[ifindex % IFNAME_CACHE];

	if (ifindex == XDPFLOW_IFINDEX_OTHER)
		return "other";
	if (!ifindex)
		return NULL;
	if (e->ifindex != ifindex) {
		e->ifindex = ifindex;
		e->gone = !if_indextoname(ifindex, e->name);
	}
	return e->gone ? NULL : e->name;
}

void ifname_cache_reset(void)
{
	memset(ifname_cache, 0, sizeof(ifname_cache));
}

static char *proto_names[256];
static bool proto_names_loaded;

/* One pass over the database rather than a search per protocol. */
static void load_proto_names(void)
{
	struct protoent *pe;

	proto_names_loaded = true;
	setprotoent(1);
	while ((pe = getprotoent())) {
		if (pe->p_proto < 0 || pe->p_proto > 255 || proto_names[pe->p_proto])
			continue;
		proto_names[pe->p_proto] = strdup(pe->p_name);
	}
	endprotoent();
}

const char *proto_name(__u8 proto)
{
	if (!proto_names_loaded)
		load_proto_names();
	return proto_names[proto];
}

const char *vlan_str(__u16 outer, __u16 inner, char *buf)
{
	if (!outer && !inner)
		return "-";
	if (inner)
		snprintf(buf, VLAN_STR_LEN, "%u.%u", ntohs(outer), ntohs(inner));
	else
		snprintf(buf, VLAN_STR_LEN, "%u", ntohs(outer));
	return buf;
}
