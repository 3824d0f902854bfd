// SPDX-License-Identifier: GPL-2.0
/* loader/: in skb mode, the kernel's merging of frames into one turned off while xdpflow runs there, and restored after. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/net_namespace.h>
#include <sched.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "loader.h"

/*
 * What the loader changed, per network namespace and interface, so that
 * detach (a later process) puts back exactly that: "gro 1" when GRO was
 * on, "peer_gso_max_segs N" when a veth peer's limit was N.
 */
#define OFFLOAD_DIR "/run/xdpflow"
#define OFFLOAD_STATE_DIR OFFLOAD_DIR "/offload"

struct offload_state {
	bool gro; /* GRO was on, the loader turned it off */
	__u32 peer_segs; /* the veth peer's gso_max_segs before, 0: not changed */
};

/* ---- ethtool (ioctl) ---- */

static int ethtool(const char *ifname, void *cmd)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		err = -errno;
	close(fd);
	return err;
}

/* GRO on (1), off (0), or -errno (a device without the setting: -EOPNOTSUPP). */
static int gro_get(const char *ifname)
{
	struct ethtool_value v = { .cmd = ETHTOOL_GGRO };
	int err = ethtool(ifname, &v);

	return err ? err : !!v.data;
}

static int gro_set(const char *ifname, bool on)
{
	struct ethtool_value v = { .cmd = ETHTOOL_SGRO, .data = on };

	return ethtool(ifname, &v);
}

static bool is_veth(const char *ifname)
{
	struct ethtool_drvinfo d = { .cmd = ETHTOOL_GDRVINFO };

	return !ethtool(ifname, &d) && !strcmp(d.driver, "veth");
}

/* ---- rtnetlink: a veth's peer, its namespace and its gso_max_segs ---- */

struct nl_req {
	struct nlmsghdr nh;
	union {
		struct ifinfomsg ifi;
		struct rtgenmsg gen;
	};
	char attrs[64];
};

static void nl_put_u32(struct nl_req *r, size_t hdr, unsigned short type, __u32 v)
{
	size_t off = NLMSG_ALIGN(r->nh.nlmsg_len) - NLMSG_SPACE(hdr);
	struct rtattr a = { .rta_len = RTA_LENGTH(sizeof(v)), .rta_type = type };
	char *at = (char *)&r->ifi + NLMSG_ALIGN(hdr) + off;

	memcpy(at, &a, sizeof(a));
	memcpy(at + RTA_LENGTH(0), &v, sizeof(v));
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a.rta_len);
}

struct link_info {
	__u32 link; /* IFLA_LINK: a veth's peer, 0 if none */
	int link_nsid; /* IFLA_LINK_NETNSID, -1: the peer is in this namespace */
	__u32 gso_max_segs;
	int nsid; /* RTM_NEWNSID's NETNSA_NSID */
};

/* The attributes of one answer (after its header of hdr bytes) into info. */
static void nl_parse(struct nlmsghdr *nh, size_t hdr, struct link_info *info)
{
	struct rtattr *a = (struct rtattr *)((char *)NLMSG_DATA(nh) + NLMSG_ALIGN(hdr));
	int alen = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(NLMSG_ALIGN(hdr));

	for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (RTA_PAYLOAD(a) < 4)
			continue;
		if (nh->nlmsg_type == RTM_NEWNSID && a->rta_type == NETNSA_NSID)
			memcpy(&info->nsid, RTA_DATA(a), 4);
		else if (nh->nlmsg_type != RTM_NEWLINK)
			continue;
		else if (a->rta_type == IFLA_LINK)
			memcpy(&info->link, RTA_DATA(a), 4);
		else if (a->rta_type == IFLA_LINK_NETNSID)
			memcpy(&info->link_nsid, RTA_DATA(a), 4);
		else if (a->rta_type == IFLA_GSO_MAX_SEGS)
			memcpy(&info->gso_max_segs, RTA_DATA(a), 4);
	}
}

/*
 * Send one request on fd (a NETLINK_ROUTE socket of the namespace it is
 * for) and wait for its acknowledgement; answers are parsed into info.
 * 0 or -errno.
 */
static int nl_talk(int fd, struct nl_req *req, size_t hdr, struct link_info *info)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static char buf[32768] __attribute__((aligned(4)));
	struct nlmsghdr *nh;
	int len;
	ssize_t n;

	memset(info, 0, sizeof(*info));
	info->link_nsid = -1;
	info->nsid = -1;
	req->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (sendto(fd, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		len = (int)n;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
			nl_parse(nh, hdr, info);
		}
	}
}

static int nl_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	return fd < 0 ? -errno : fd;
}

/* RTM_GETLINK or RTM_SETLINK of ifindex on fd's namespace. */
static int link_talk(int fd, __u16 type, __u32 ifindex, __u32 gso_max_segs, struct link_info *info)
{
	struct nl_req r = {};

	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.ifi));
	r.nh.nlmsg_type = type;
	r.ifi.ifi_family = AF_UNSPEC;
	r.ifi.ifi_index = (int)ifindex;
	if (gso_max_segs)
		nl_put_u32(&r, sizeof(r.ifi), IFLA_GSO_MAX_SEGS, gso_max_segs);
	return nl_talk(fd, &r, sizeof(r.ifi), info);
}

/* The id this namespace gives the namespace of nsfd, or -1. */
static int nsid_of(int nl, int nsfd)
{
	struct link_info info;
	struct nl_req r = {};

	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.gen));
	r.nh.nlmsg_type = RTM_GETNSID;
	r.gen.rtgen_family = AF_UNSPEC;
	nl_put_u32(&r, sizeof(r.gen), NETNSA_FD, (__u32)nsfd);
	return nl_talk(nl, &r, sizeof(r.gen), &info) ? -1 : info.nsid;
}

/*
 * A NETLINK_ROUTE socket in the namespace this one calls nsid: the kernel
 * has no call from an id to a namespace, so the named ones (ip netns) and
 * every process's are tried.  -errno if none matches.
 */
static int nl_socket_in(int nl, int nsid)
{
	static const char *const dirs[] = { "/run/netns", "/proc" };
	char path[300];
	int self, nsfd, fd = -ENOENT;
	struct dirent *d;
	size_t i;
	DIR *dir;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	for (i = 0; i < 2 && fd == -ENOENT; i++) {
		dir = opendir(dirs[i]);
		while (dir && fd == -ENOENT && (d = readdir(dir))) {
			if (d->d_name[0] == '.' || (i && (d->d_name[0] < '0' || d->d_name[0] > '9')))
				continue;
			snprintf(path, sizeof(path), i ? "/proc/%s/ns/net" : "/run/netns/%s", d->d_name);
			nsfd = open(path, O_RDONLY | O_CLOEXEC);
			if (nsfd < 0)
				continue;
			if (nsid_of(nl, nsfd) == nsid) {
				/* A socket belongs to the namespace it was made in. */
				fd = setns(nsfd, CLONE_NEWNET) ? -errno : nl_socket();
				if (setns(self, CLONE_NEWNET)) {
					if (fd >= 0)
						close(fd);
					fd = -errno;
				}
			}
			close(nsfd);
		}
		if (dir)
			closedir(dir);
	}
	close(self);
	return fd;
}

struct veth_peer {
	int nl; /* a NETLINK_ROUTE socket in the peer's namespace */
	__u32 ifindex; /* there */
	__u32 gso_max_segs;
};

/* A veth's peer, or -errno (-ENODEV: ifc is no veth). */
static int veth_peer_open(const struct iface *ifc, struct veth_peer *p)
{
	struct link_info info;
	int nl, err;

	if (!is_veth(ifc->name))
		return -ENODEV;
	nl = nl_socket();
	if (nl < 0)
		return nl;
	err = link_talk(nl, RTM_GETLINK, ifc->ifindex, 0, &info);
	if (!err && !info.link)
		err = -ENODEV;
	if (!err && info.link_nsid >= 0) {
		p->nl = nl_socket_in(nl, info.link_nsid);
		close(nl);
		nl = p->nl;
		err = nl < 0 ? nl : 0;
	}
	p->nl = nl;
	p->ifindex = info.link;
	if (!err)
		err = link_talk(p->nl, RTM_GETLINK, p->ifindex, 0, &info);
	p->gso_max_segs = info.gso_max_segs;
	if (err && nl >= 0)
		close(nl);
	return err;
}

/* ---- the record of what was changed ---- */

static int state_path(unsigned int ifindex, char *buf, size_t size)
{
	struct stat st;

	/* Interfaces are numbered per network namespace. */
	if (stat("/proc/self/ns/net", &st))
		return -errno;
	snprintf(buf, size, OFFLOAD_STATE_DIR "/%llu-%u", (unsigned long long)st.st_ino, ifindex);
	return 0;
}

static int state_write(const char *path, const struct offload_state *s)
{
	FILE *f;
	int fd;

	if ((mkdir(OFFLOAD_DIR, 0700) && errno != EEXIST) ||
	    (mkdir(OFFLOAD_STATE_DIR, 0700) && errno != EEXIST))
		return -errno;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	fprintf(f, "gro %d\npeer_gso_max_segs %u\n", s->gro, s->peer_segs);
	return fclose(f) ? -EIO : 0;
}

static bool state_read(const char *path, struct offload_state *s)
{
	FILE *f = fopen(path, "re");
	int gro = 0;
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "gro %d peer_gso_max_segs %u", &gro, &s->peer_segs) == 2;
	s->gro = gro;
	fclose(f);
	return ok;
}

/* ---- split and restore ---- */

static void undo(const struct iface *ifc, const struct offload_state *s, bool say)
{
	struct link_info info;
	struct veth_peer p;

	if (s->gro && !gro_set(ifc->name, true) && say)
		printf("GRO turned on again on %s\n", ifc->name);
	if (s->peer_segs && !veth_peer_open(ifc, &p)) {
		if (!link_talk(p.nl, RTM_SETLINK, p.ifindex, s->peer_segs, &info) && say)
			printf("the GSO limit of %s's veth peer is %u segments again\n", ifc->name,
			       s->peer_segs);
		close(p.nl);
	}
}

int offload_split(const struct iface *ifc)
{
	struct offload_state s = {};
	struct veth_peer p = { .nl = -1 };
	struct link_info info;
	char path[128], buf[160];
	int err;

	err = state_path(ifc->ifindex, path, sizeof(path));
	if (err)
		goto fail;
	if (!access(path, F_OK))
		return 0; /* split by an earlier attach; detach restores it */
	s.gro = gro_get(ifc->name) == 1;
	err = veth_peer_open(ifc, &p);
	if (err && err != -ENODEV)
		goto fail;
	s.peer_segs = !err && p.gso_max_segs > 1 ? p.gso_max_segs : 0;
	err = 0;
	if (!s.gro && !s.peer_segs)
		goto out;
	/* The record first: a loader killed midway leaves what detach needs. */
	err = state_write(path, &s);
	if (!err && s.gro)
		err = gro_set(ifc->name, false);
	if (!err && s.peer_segs)
		err = link_talk(p.nl, RTM_SETLINK, p.ifindex, 1, &info);
	if (err) {
		undo(ifc, &s, false);
		unlink(path);
		goto fail;
	}
	printf("skb mode on %s counts frames after the kernel merges them: %s%s%s until xdpflow is "
	       "detached, so each frame is counted once\n", ifc->name,
	       s.gro ? "GRO turned off there" : "", s.gro && s.peer_segs ? " and " : "",
	       s.peer_segs ? "its veth peer's GSO limited to one segment" : "");
out:
	if (p.nl >= 0)
		close(p.nl);
	return 0;
fail:
	if (p.nl >= 0)
		close(p.nl);
	say_error("cannot stop the kernel merging frames on %s for skb mode (GRO, a veth peer's "
		  "GSO): %s; attach in native mode, or turn GRO off yourself",
		  ifc->name, explain_errno(err, buf, sizeof(buf)));
	return err;
}

void offload_restore(unsigned int ifindex)
{
	struct offload_state s = {};
	struct iface ifc = { .ifindex = ifindex };
	char path[128];

	if (state_path(ifindex, path, sizeof(path)) || !state_read(path, &s))
		return;
	if (if_indextoname(ifindex, ifc.name))
		undo(&ifc, &s, true);
	unlink(path);
}
