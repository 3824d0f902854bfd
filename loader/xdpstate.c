// SPDX-License-Identifier: GPL-2.0
/* loader/: which XDP programs an interface runs, which one is xdpflow, and removing only that. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "loader.h"

#define SNAP_BITS (8 * sizeof(unsigned long))
#define SNAP_MAX_FD (int)(sizeof(((struct fd_snapshot *)0)->open) * 8)

void fd_snapshot(struct fd_snapshot *snap)
{
	struct dirent *d;
	DIR *dir;
	int fd;

	memset(snap, 0, sizeof(*snap));
	dir = opendir("/proc/self/fd");
	if (!dir) {
		/* Without /proc nothing can be told apart: treat every fd as old. */
		memset(snap, 0xff, sizeof(*snap));
		return;
	}
	while ((d = readdir(dir))) {
		fd = atoi(d->d_name);
		/* The listing's own fd is about to be closed: not an open one. */
		if (d->d_name[0] != '.' && fd < SNAP_MAX_FD && fd != dirfd(dir))
			snap->open[fd / SNAP_BITS] |= 1ul << (fd % SNAP_BITS);
	}
	closedir(dir);
}

static bool is_bpf_prog_or_link(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:bpf-prog") || !strcmp(target, "anon_inode:bpf_link");
}

void fd_close_leaked_bpf(const struct fd_snapshot *snap)
{
	struct fd_snapshot now;
	int fd;

	fd_snapshot(&now);
	for (fd = 0; fd < SNAP_MAX_FD; fd++) {
		unsigned long bit = 1ul << (fd % SNAP_BITS);

		if ((now.open[fd / SNAP_BITS] & bit) && !(snap->open[fd / SNAP_BITS] & bit) &&
		    is_bpf_prog_or_link(fd))
			close(fd);
	}
}

const char *mode_name(enum xdp_attach_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "skb";
	case XDP_MODE_HW:
		return "hw";
	default:
		return "unknown";
	}
}

static bool is_xdpflow(const struct xdp_program *prog)
{
	const char *name = xdp_program__name(prog);

	return name && !strcmp(name, XDPFLOW_PROG_NAME);
}

static void note_program(struct xdp_state *st, struct xdp_program *prog, int position,
			 const struct pinset *ps)
{
	if (st->xdpflow || !is_xdpflow(prog))
		return;
	st->xdpflow = prog;
	st->position = position;
	st->owner = prog_uses_pinset(xdp_program__id(prog), ps) ? OWNER_OURS : OWNER_OTHER_PINS;
}

int xdp_state_read(int ifindex, const struct pinset *ps, struct xdp_state *st)
{
	struct xdp_multiprog *mp;
	struct xdp_program *prog;
	long err;

	memset(st, 0, sizeof(*st));
	fd_snapshot(&st->fds);
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT || !mp) {
		fd_close_leaked_bpf(&st->fds);
		return 0;
	}
	if (err) {
		fd_close_leaked_bpf(&st->fds);
		return err;
	}
	st->mp = mp;
	st->legacy = xdp_multiprog__is_legacy(mp);
	st->mode = xdp_multiprog__attach_mode(mp);
	if (st->legacy) {
		st->count = 1;
		note_program(st, xdp_multiprog__main_prog(mp), 1, ps);
		return 0;
	}
	for (prog = xdp_multiprog__next_prog(NULL, mp); prog;
	     prog = xdp_multiprog__next_prog(prog, mp))
		note_program(st, prog, ++st->count, ps);
	return 0;
}

void xdp_state_free(struct xdp_state *st)
{
	if (!st->mp)
		return;
	xdp_multiprog__close(st->mp);
	fd_close_leaked_bpf(&st->fds);
	memset(st, 0, sizeof(*st));
}

static int detach_prog(int ifindex, struct xdp_state *st)
{
	/*
	 * Without a dispatcher ours is the only program: detaching the
	 * "multiprog" replaces exactly that program (netlink's REPLACE flag
	 * names it), so a program attached meanwhile is never removed.
	 */
	if (st->legacy)
		return xdp_multiprog__detach(st->mp);
	/*
	 * Name the dispatcher's mode: with XDP_MODE_UNSPEC libxdp installs the
	 * rebuilt dispatcher in the driver's default mode, and on an interface
	 * whose dispatcher runs in skb mode the kernel then refuses the
	 * replace ("Active program does not match expected").
	 */
	return xdp_program__detach(st->xdpflow, ifindex, st->mode, 0);
}

int xdp_state_detach_ours(int ifindex, struct xdp_state *st)
{
	int err;

	if (!st->xdpflow)
		return -ENOENT;
	err = detach_prog(ifindex, st);
	/* What skb mode turned off there (GRO, a veth peer's GSO) comes back. */
	if (!err)
		offload_restore((unsigned int)ifindex);
	return err;
}

bool xdp_prog_whereabouts(__u32 prog_id, char *buf, size_t size)
{
	struct iface *all;
	struct xdp_state st;
	struct pinset none = {};
	bool found = false;
	size_t n, i;

	snprintf(buf, size, "in another network namespace or not attached");
	if (iface_list(&all, &n))
		return false;
	for (i = 0; i < n && !found; i++) {
		if (xdp_state_read(all[i].ifindex, &none, &st))
			continue;
		if (st.xdpflow && xdp_program__id(st.xdpflow) == prog_id) {
			snprintf(buf, size, "on %s", all[i].name);
			found = true;
		}
		xdp_state_free(&st);
	}
	free(all);
	return found;
}

int ifaces_running_ours(const struct pinset *ps, struct iface **out, int *count)
{
	struct iface *all;
	struct xdp_state st;
	size_t n, i;
	int err, k = 0;

	err = iface_list(&all, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (xdp_state_read(all[i].ifindex, ps, &st))
			continue;
		if (st.owner == OWNER_OURS)
			all[k++] = all[i];
		xdp_state_free(&st);
	}
	*out = all;
	*count = k;
	return 0;
}
