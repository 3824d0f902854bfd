// SPDX-License-Identifier: GPL-2.0
/* loader/: a folder's xdpflow pins (as map ids): which programs use them, its lock, an incomplete set dropped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "loader.h"

/*
 * Deliberately layout-agnostic (unlike pin_open()): detach --purge must
 * recognise the maps of an older layout version to remove them.
 */
int pinset_read(const char *dir, struct pinset *ps)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	struct bpf_map_info info;
	char path[PATH_MAX];
	struct stat st;
	__u32 len;
	int id, fd, err;

	memset(ps, 0, sizeof(*ps));
	for (id = 0; id < PIN_MAP_COUNT; id++) {
		err = pin_map_path(dir, id, path, sizeof(path));
		if (err)
			return err;
		fd = bpf_obj_get_opts(path, &opts);
		if (fd < 0) {
			err = -errno;
			/* A folder or a dangling link at our name: something, but not ours. */
			if (!lstat(path, &st) && !S_ISREG(st.st_mode)) {
				ps->present++;
				ps->foreign++;
				if (id == PIN_LAYOUT)
					ps->layout = PIN_LAYOUT_FOREIGN;
				continue;
			}
			if (err == -ENOENT || err == -ENOTDIR)
				continue;
			return err;
		}
		ps->present++;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!pin_fd_is_map(fd)) {
			ps->foreign++;
			if (id == PIN_LAYOUT)
				ps->layout = PIN_LAYOUT_FOREIGN;
		} else if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
			ps->map_id[id] = info.id;
			if (id == PIN_LAYOUT)
				ps->layout = info.type == BPF_MAP_TYPE_ARRAY ? info.max_entries
									     : PIN_LAYOUT_FOREIGN;
		}
		close(fd);
	}
	return 0;
}

static bool ids_intersect(const __u32 *ids, __u32 n, const struct pinset *ps)
{
	__u32 i;
	int j;

	for (i = 0; i < n; i++)
		for (j = 0; j < PIN_MAP_COUNT; j++)
			if (ps->map_id[j] && ids[i] == ps->map_id[j])
				return true;
	return false;
}

/* Does program prog_id use any of ps's maps?  Its type in *type. */
static bool uses_pinset(__u32 prog_id, const struct pinset *ps, __u32 *type)
{
	__u32 ids[64];
	int n;

	n = pin_prog_map_ids(prog_id, ids, 64, type);
	return n > 0 && ids_intersect(ids, n, ps);
}

bool prog_uses_pinset(__u32 prog_id, const struct pinset *ps)
{
	return ps->present && uses_pinset(prog_id, ps, NULL);
}

__u32 pinset_user(const struct pinset *ps, const __u32 *except, int n_except)
{
	__u32 id = 0, type;
	int i;

	if (!ps->present)
		return 0;
	/*
	 * Every loaded program, not just those on this namespace's
	 * interfaces: an xdpflow in another namespace may share the pins.
	 */
	while (!bpf_prog_get_next_id(id, &id)) {
		for (i = 0; i < n_except && except[i] != id; i++)
			;
		if (i == n_except && uses_pinset(id, ps, &type) &&
		    (type == BPF_PROG_TYPE_XDP || type == BPF_PROG_TYPE_EXT))
			return id;
	}
	return 0;
}

const char *prog_pins_where(const struct pin_folders *pf, __u32 prog_id, char *buf, size_t size)
{
	const char *dir = pin_folders_of_prog(pf, prog_id);

	if (dir)
		snprintf(buf, size, "at %s", dir);
	else if (pf->truncated)
		snprintf(buf, size, "nowhere found in the part of %s searched (too many pins to "
			 "search it all)", XDPFLOW_BPFFS);
	else
		snprintf(buf, size, "nowhere under %s (removed, or in another mount namespace)",
			 XDPFLOW_BPFFS);
	return buf;
}

int lock_pin_dir(const char *dir, bool create, bool *created)
{
	struct stat locked, now;
	int fd, tries;

	if (created)
		*created = false;
	/*
	 * A purge removes the folder while we may wait for its lock: if the
	 * path names another folder once we hold it, start over.
	 */
	for (tries = 0; tries < 10; tries++) {
		if (create) {
			if (!mkdir(dir, 0700)) {
				if (created)
					*created = true;
			} else if (errno != EEXIST) {
				return -errno;
			}
		}
		fd = pin_lock(dir);
		if (fd == -ENOENT && create)
			continue;
		if (fd < 0)
			return fd;
		if (!fstat(fd, &locked) && !stat(dir, &now) && locked.st_dev == now.st_dev &&
		    locked.st_ino == now.st_ino)
			return fd;
		pin_unlock(fd);
		if (!create)
			return -ENOENT;
	}
	return -EAGAIN;
}

const char *lock_error(int err)
{
	return err == -EAGAIN ? "it keeps being removed and re-created" : strerror(-err);
}

__u32 pinset_wait_unused(const struct pinset *ps)
{
	unsigned int waited = 0;
	__u32 user;

	while ((user = pinset_user(ps, NULL, 0)) && waited < PROG_RELEASE_WAIT_MS) {
		sleep_ms(50);
		waited += 50;
	}
	return user;
}

int pinset_drop_incomplete(const char *dir, struct pinset *ps)
{
	int err;

	/* Pins of another layout version, or things not maps, are not ours to remove. */
	if (!ps->present || pinset_complete(ps) || ps->foreign ||
	    (ps->layout && ps->layout != XDPFLOW_LAYOUT_VERSION))
		return 0;
	/*
	 * In use: a pin removed by hand while counting, whose maps a program
	 * still holds (the program of a loader killed a moment ago is freed
	 * after a grace period: wait for that).
	 */
	if (pinset_wait_unused(ps))
		return -EEXIST;
	err = pin_holds_counts(dir);
	if (err > 0)
		return -EEXIST;
	if (!err)
		err = pin_unpin_maps(dir);
	if (err) {
		say_error("cannot remove the incomplete pins in %s: %s", dir, strerror(-err));
		return err;
	}
	say_note("removed %d leftover pins of an interrupted attach from %s (they held no counts)",
		 ps->present, dir);
	return pinset_read(dir, ps);
}
