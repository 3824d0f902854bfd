// SPDX-License-Identifier: GPL-2.0
/* pin/: pin names and paths, the bpf filesystem, the folder's lock, modes and unpinning. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "internal.h"

const struct map_shape pin_shapes[PIN_MAP_COUNT] = {
	[PIN_LAYOUT] = { XDPFLOW_MAP_LAYOUT, BPF_MAP_TYPE_ARRAY, 4, 4 },
	[PIN_STATS] = { XDPFLOW_MAP_STATS, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4,
			BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct xdpflow_iface_stats),
			"stats_epoch0" },
	[PIN_FLOWS] = { XDPFLOW_MAP_FLOWS, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4,
			BPF_MAP_TYPE_HASH, sizeof(struct xdpflow_flow_key),
			sizeof(struct xdpflow_flow_counters), "flows_epoch0", true },
	[PIN_FLOWCACHE] = { XDPFLOW_MAP_FLOWCACHE, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4,
			    BPF_MAP_TYPE_PERCPU_ARRAY, 4,
			    sizeof(struct xdpflow_flowcache_set), "fcache_epoch0" },
	[PIN_REFUSED] = { XDPFLOW_MAP_REFUSED, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4,
			  BPF_MAP_TYPE_HASH, sizeof(struct xdpflow_refused_key),
			  sizeof(struct xdpflow_counter), "refused_epoch0" },
	[PIN_FLOWCACHE_GEN] = { XDPFLOW_MAP_FLOWCACHE_GEN, BPF_MAP_TYPE_PERCPU_ARRAY, 4,
				sizeof(struct xdpflow_flowcache_gens) },
	[PIN_CLOCK] = { XDPFLOW_MAP_CLOCK, BPF_MAP_TYPE_PERCPU_ARRAY, 4,
			sizeof(struct xdpflow_clock_anchor) },
};

const char *pin_map_name(enum pin_map_id id)
{
	return id < PIN_MAP_COUNT ? pin_shapes[id].name : NULL;
}

int pin_map_path(const char *dir, enum pin_map_id id, char *buf, size_t size)
{
	int n;

	if (id >= PIN_MAP_COUNT)
		return -EINVAL;
	n = snprintf(buf, size, "%s/%s", dir, pin_shapes[id].name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/* Is /proc/PID/ns/mnt another mount namespace than ours?  -errno if it cannot be looked at. */
static int other_mount_ns(const struct stat *self, pid_t pid)
{
	char path[48];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	if (stat(path, &st))
		return -errno;
	return st.st_dev != self->st_dev || st.st_ino != self->st_ino;
}

bool pin_mount_ns_private(void)
{
	struct stat self;
	int other;

	if (stat("/proc/self/ns/mnt", &self))
		return false;
	other = other_mount_ns(&self, 1);
	/*
	 * Where PID 1's is hidden (a sandbox's init), the parent's tells: 'ip
	 * netns exec' makes the namespace in the process it then turns into us.
	 */
	if (other < 0)
		other = other_mount_ns(&self, getppid());
	return other > 0;
}

int pin_bpffs_ensure(const char *dir, bool mount_it, bool *mounted)
{
	if (mounted)
		*mounted = false;
	/* A pin folder that already exists tells directly. */
	if (is_bpffs(dir) || is_bpffs(XDPFLOW_BPFFS))
		return 0;
	if (!mount_it)
		return -ENODEV;
	if (pin_mount_ns_private())
		return -EXDEV;
	if (mount("bpf", XDPFLOW_BPFFS, "bpf", 0, "mode=0700"))
		return -errno;
	if (mounted)
		*mounted = true;
	return 0;
}

int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

bool pin_fd_is_map(int fd)
{
	char link[64], target[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return true; /* no /proc: trust the name */
	target[n] = '\0';
	return !strcmp(target, "anon_inode:bpf-map");
}

const char *foreign_entry(const char *path)
{
	struct stat st;

	if (lstat(path, &st) || S_ISREG(st.st_mode))
		return NULL;
	if (S_ISDIR(st.st_mode))
		return "a directory";
	if (S_ISLNK(st.st_mode))
		return "a symbolic link to nothing usable";
	return "not a pin";
}

/* How many of the pin names exist in dir, whatever they hold. */

static int lock_folder(const char *dir, int how)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, how)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int pin_lock(const char *dir)
{
	return lock_folder(dir, LOCK_EX);
}

int pin_lock_shared(const char *dir)
{
	return lock_folder(dir, LOCK_SH);
}

void pin_unlock(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd);
}

/* Only maps are ours to unpin: a program, link or folder at our name stays. */

static bool pinned_map_at(const char *path)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	bool map;
	int fd;

	if (foreign_entry(path))
		return false;
	fd = bpf_obj_get_opts(path, &opts);
	if (fd < 0)
		return true; /* let unlink() tell */
	map = pin_fd_is_map(fd);
	close(fd);
	return map;
}

int pin_unpin_maps(const char *dir)
{
	char path[PATH_MAX];
	int id, err = 0;

	for (id = 0; id < PIN_MAP_COUNT; id++) {
		if (pin_map_path(dir, id, path, sizeof(path)))
			return -ENAMETOOLONG;
		if (!pinned_map_at(path))
			continue;
		if (unlink(path) && errno != ENOENT && !err)
			err = -errno;
	}
	return err;
}

int pin_remove_all(const char *dir)
{
	int err = pin_unpin_maps(dir);

	/* Drains' bookkeeping goes too, but never a pending report (rmdir then fails). */
	if (!err)
		pending_remove_empty(dir);
	if (!err && rmdir(dir) && errno != ENOENT && errno != ENOTEMPTY)
		err = -errno;
	return err;
}

int pin_set_access(const char *dir, gid_t gid)
{
	bool group = gid != (gid_t)-1;
	char path[PATH_MAX];
	int id;

	for (id = 0; id < PIN_MAP_COUNT; id++) {
		if (pin_map_path(dir, id, path, sizeof(path)))
			return -ENAMETOOLONG;
		if (chmod(path, group ? 0640 : 0600))
			return -errno;
		if (group && chown(path, (uid_t)-1, gid))
			return -errno;
	}
	if (chmod(dir, group ? 0750 : 0700))
		return -errno;
	if (group && chown(dir, (uid_t)-1, gid))
		return -errno;
	return 0;
}
