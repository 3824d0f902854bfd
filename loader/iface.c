// SPDX-License-Identifier: GPL-2.0
/* loader/: the interfaces of the current network namespace, by name or index, and their state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "loader.h"

static int by_ifindex(const void *a, const void *b)
{
	const struct iface *x = a, *y = b;

	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

/*
 * if_nameindex() asks the kernel over netlink, so it lists the namespace we
 * run in; /sys/class/net would show the namespace sysfs was mounted in.
 */
int iface_list(struct iface **out, size_t *count)
{
	struct if_nameindex *all, *p;
	struct iface *list;
	size_t n = 0;

	all = if_nameindex();
	if (!all)
		return -errno;
	for (p = all; p->if_index; p++)
		n++;
	list = calloc(n ? n : 1, sizeof(*list));
	if (!list) {
		if_freenameindex(all);
		return -ENOMEM;
	}
	for (n = 0, p = all; p->if_index; p++, n++) {
		list[n].ifindex = p->if_index;
		snprintf(list[n].name, sizeof(list[n].name), "%s", p->if_name);
	}
	if_freenameindex(all);
	qsort(list, n, sizeof(*list), by_ifindex);
	*out = list;
	*count = n;
	return 0;
}

int iface_resolve(const char *arg, struct iface *ifc)
{
	unsigned long idx;
	char *end;

	if (!arg || !*arg || strlen(arg) >= IF_NAMESIZE)
		return -ENODEV;
	ifc->ifindex = if_nametoindex(arg);
	if (ifc->ifindex) {
		snprintf(ifc->name, sizeof(ifc->name), "%s", arg);
		return 0;
	}
	/* Accept an index too, as the interactive prompt offers one. */
	errno = 0;
	idx = strtoul(arg, &end, 10);
	if (errno || *end || !idx || idx > 0x7fffffff || !if_indextoname(idx, ifc->name))
		return -ENODEV;
	ifc->ifindex = idx;
	return 0;
}

int iface_resolve_all(char **names, int n, struct iface *ifcs, const char *hint)
{
	int i, j, k = 0;

	for (i = 0; i < n; i++) {
		if (iface_resolve(names[i], &ifcs[k])) {
			say_error("no interface named '%s' here (see %s list%s%s): nothing changed",
				  names[i], LOADER_NAME, hint ? "; " : "", hint ? hint : "");
			return -ENODEV;
		}
		for (j = 0; j < k && ifcs[j].ifindex != ifcs[k].ifindex; j++)
			;
		if (j == k)
			k++;
	}
	return k;
}

const char *iface_state(const char *name)
{
	struct ifreq ifr = {};
	int fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return "?";
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	close(fd);
	if (err)
		return "?";
	if (!(ifr.ifr_flags & IFF_UP))
		return "down";
	return ifr.ifr_flags & IFF_RUNNING ? "up" : "no-carrier";
}

const char *iface_name(unsigned int ifindex, char *buf, size_t size)
{
	const char *name = ifname_of(ifindex);

	if (ifindex == XDPFLOW_IFINDEX_OTHER)
		snprintf(buf, size, "(other interfaces)");
	else if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "ifindex %u (gone)", ifindex);
	return buf;
}
