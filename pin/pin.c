// SPDX-License-Identifier: GPL-2.0
/* pin/: pin paths, map names, the layout check, opening pinned maps and swapping tables for drains. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pin.h"

/* What each pinned map must look like; for outer maps, the table inside. */
struct map_shape {
	const char *name;
	enum bpf_map_type type;
	__u32 key_size;
	__u32 value_size;
	enum bpf_map_type inner_type;
	__u32 inner_key_size;
	__u32 inner_value_size;
	const char *epoch0; /* the object's initial table for the outer map's slot */
	bool sized; /* by max_flows */
};

static const struct map_shape shapes[PIN_MAP_COUNT] = {
	[PIN_LAYOUT] = { XDPFLOW_MAP_LAYOUT, BPF_MAP_TYPE_ARRAY, 4, 4 },
	[PIN_STATS] = { XDPFLOW_MAP_STATS, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4,
			BPF_MAP_TYPE_PERCPU_ARRAY, 4, sizeof(struct xdpflow_iface_stats),
			"stats_epoch0" },
	[PIN_FLOWS] = { XDPFLOW_MAP_FLOWS, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4,
			BPF_MAP_TYPE_HASH, sizeof(struct xdpflow_flow_key),
			sizeof(struct xdpflow_flow_counters), "flows_epoch0", true },
	[PIN_FLOWCACHE] = { XDPFLOW_MAP_FLOWCACHE, BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4,
			    BPF_MAP_TYPE_PERCPU_ARRAY, 4,
			    sizeof(struct xdpflow_flowcache_entry), "fcache_epoch0" },
	[PIN_CLOCK] = { XDPFLOW_MAP_CLOCK, BPF_MAP_TYPE_PERCPU_ARRAY, 4,
			sizeof(struct xdpflow_clock_anchor) },
};

const char *pin_map_name(enum pin_map_id id)
{
	return id < PIN_MAP_COUNT ? shapes[id].name : NULL;
}

int pin_map_path(const char *dir, enum pin_map_id id, char *buf, size_t size)
{
	int n;

	if (id >= PIN_MAP_COUNT)
		return -EINVAL;
	n = snprintf(buf, size, "%s/%s", dir, shapes[id].name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
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
	if (mount("bpf", XDPFLOW_BPFFS, "bpf", 0, "mode=0700"))
		return -errno;
	if (mounted)
		*mounted = true;
	return 0;
}

static int map_info(int fd, struct bpf_map_info *info)
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

/*
 * What sits at a pin name that bpf_obj_get() could not open as an object
 * (a directory, a dangling symbolic link); NULL if nothing is there or it
 * looks like a pin (then the error itself explains).
 */
static const char *foreign_entry(const char *path)
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
static int names_present(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	int id, n = 0;

	for (id = 0; id < PIN_MAP_COUNT; id++)
		if (!pin_map_path(dir, id, path, sizeof(path)) && !lstat(path, &st))
			n++;
	return n;
}

int pin_probe_layout(const char *dir, __u32 *version)
{
	struct bpf_map_info info;
	char path[PATH_MAX];
	int fd, err;

	*version = 0;
	err = pin_map_path(dir, PIN_LAYOUT, path, sizeof(path));
	if (err)
		return err;
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	fd = bpf_obj_get_opts(path, &opts);
	if (fd < 0) {
		err = -errno;
		/* Something else at the name: not a layout of ours either. */
		if (foreign_entry(path))
			*version = PIN_LAYOUT_FOREIGN;
		return err == -ENOENT || foreign_entry(path) ? 0 : err;
	}
	if (!pin_fd_is_map(fd)) {
		close(fd);
		*version = PIN_LAYOUT_FOREIGN;
		return 0;
	}
	err = map_info(fd, &info);
	close(fd);
	if (err)
		return err;
	*version = info.type == BPF_MAP_TYPE_ARRAY ? info.max_entries : PIN_LAYOUT_FOREIGN;
	return 0;
}

static void layout_message(const char *dir, __u32 found, char *msg, size_t msglen)
{
	if (found == PIN_LAYOUT_FOREIGN)
		snprintf(msg, msglen,
			 "%s/%s is not an xdpflow layout map (something else holds the name): "
			 "remove it, or pick another --pin-path",
			 dir, XDPFLOW_MAP_LAYOUT);
	else
		snprintf(msg, msglen,
			 "%s/%s has map layout version %u, this xdpflow uses version %u: "
			 "run 'xdpflow-loader detach --purge --pin-path %s' on every interface, then attach again "
			 "(this discards the old counters)",
			 dir, XDPFLOW_MAP_LAYOUT, found, XDPFLOW_LAYOUT_VERSION, dir);
}

/*
 * Pins to be reused must be xdpflow's maps: libbpf would otherwise fail the
 * load with a bare EINVAL (or EPERM) that names no pin.  pin_open() checks
 * every pin and explains; the flow table's capacity comes with it.
 */
static int check_reused_pins(const char *dir, __u32 *capacity, char *msg, size_t msglen)
{
	struct pin_maps pm;
	int err;

	err = pin_open(dir, false, &pm, msg, msglen);
	if (err)
		return err;
	*capacity = pm.max_flows;
	pin_close(&pm);
	return 0;
}

int pin_prepare_object(struct bpf_object *obj, const char *dir, __u32 max_flows,
		       char *msg, size_t msglen)
{
	struct bpf_map *map, *initial;
	char path[PATH_MAX];
	__u32 found, capacity = 0;
	int id, err;

	map = bpf_object__find_map_by_name(obj, XDPFLOW_MAP_LAYOUT);
	if (!map || bpf_map__max_entries(map) != XDPFLOW_LAYOUT_VERSION) {
		snprintf(msg, msglen, "%s is not an xdpflow object of map layout version %u: "
			 "rebuild it with 'make' or use the one installed with these tools",
			 bpf_object__name(obj), XDPFLOW_LAYOUT_VERSION);
		return -EPROTO;
	}
	err = pin_probe_layout(dir, &found);
	if (err) {
		snprintf(msg, msglen, "cannot inspect pin folder %s: %s", dir, strerror(-err));
		return err;
	}
	if (found && found != XDPFLOW_LAYOUT_VERSION) {
		layout_message(dir, found, msg, msglen);
		return -EPROTO;
	}
	if (found) {
		err = check_reused_pins(dir, &capacity, msg, msglen);
		if (err)
			return err;
	}
	if (found && max_flows && capacity != max_flows) {
		snprintf(msg, msglen, "the flow table pinned at %s holds %u flows, not %u: "
			 "to resize, run 'xdpflow-loader detach --purge' then attach with --max-flows %u",
			 dir, capacity, max_flows, max_flows);
		return -EEXIST;
	}
	for (id = 0; id < PIN_MAP_COUNT; id++) {
		map = bpf_object__find_map_by_name(obj, shapes[id].name);
		if (!map || pin_map_path(dir, id, path, sizeof(path)))
			goto bad_object;
		err = bpf_map__set_pin_path(map, path);
		if (err)
			goto bad_object;
		if (!shapes[id].epoch0)
			continue;
		initial = bpf_object__find_map_by_name(obj, shapes[id].epoch0);
		if (!initial)
			goto bad_object;
		/* Reused pins keep their tables: do not allocate unused copies. */
		if (found && bpf_map__set_autocreate(initial, false))
			goto bad_object;
		/*
		 * Only the table needs the size: kernels since 5.10 accept
		 * hash tables of any max_entries in the slot, and libbpf
		 * 1.1 crashes resizing the outer map's inner template.
		 */
		if (shapes[id].sized && max_flows && bpf_map__set_max_entries(initial, max_flows))
			goto bad_object;
	}
	return 0;
bad_object:
	snprintf(msg, msglen, "%s does not have the maps of xdpflow layout version %u: rebuild it",
		 bpf_object__name(obj), XDPFLOW_LAYOUT_VERSION);
	return -EPROTO;
}

/* EACCES: the file modes keep this user out; say which ones and who may read. */
static void access_message(const char *dir, const char *path, char *msg, size_t msglen)
{
	const char *what = path;
	char group[32];
	struct group *gr;
	struct stat st;

	if (stat(path, &st)) {
		what = dir;
		if (stat(dir, &st)) {
			snprintf(msg, msglen, "no permission to reach %s: a folder above it is not "
				 "searchable by this user (systemd mounts %s with mode 0700): run as root, "
				 "or let the pins' group search it (chmod o+x)", dir, XDPFLOW_BPFFS);
			return;
		}
	}
	gr = getgrgid(st.st_gid);
	if (gr)
		snprintf(group, sizeof(group), "%s", gr->gr_name);
	else
		snprintf(group, sizeof(group), "%u", (unsigned int)st.st_gid);
	snprintf(msg, msglen, "no permission to read %s (mode %04o, group %s): run as root, or as "
		 "a member of group %s with CAP_BPF and CAP_SYS_ADMIN (xdpflow-loader attach --group "
		 "chooses the group)", what, st.st_mode & 07777, group, group);
}

static int open_error(const char *dir, const char *path, int err, char *msg, size_t msglen)
{
	const char *what = foreign_entry(path);
	int present;

	if (what) {
		snprintf(msg, msglen, "%s is %s, not an xdpflow map: something else uses xdpflow's "
			 "pin names there: remove it, or pick another --pin-path", path, what);
		return -EPROTO;
	}
	present = err == -ENOENT ? names_present(dir) : 0;
	if (err == -ENOENT && present)
		snprintf(msg, msglen, "%s is missing: %s holds %d of the %d xdpflow pins (an "
			 "interrupted attach or purge, or a pin removed by hand): put it back, or discard "
			 "the rest with 'xdpflow-loader detach --purge --pin-path %s' and attach again",
			 path, dir, present, PIN_MAP_COUNT, dir);
	else if (err == -ENOENT)
		snprintf(msg, msglen, "no xdpflow maps at %s (%s missing) — attach first: "
			 "xdpflow-loader attach IFACE", dir, path);
	else if (err == -EACCES)
		access_message(dir, path, msg, msglen);
	else if (err == -EPERM)
		snprintf(msg, msglen, "no permission to use the maps pinned at %s: that needs CAP_BPF "
			 "and CAP_SYS_ADMIN: run as root, or with those capabilities as a member of the "
			 "pins' group (see xdpflow-loader --group)", dir);
	else
		snprintf(msg, msglen, "cannot open %s: %s", path, strerror(-err));
	return err;
}

static int check_shape(struct pin_maps *pm, enum pin_map_id id, const char *path,
		       char *msg, size_t msglen)
{
	const struct map_shape *s = &shapes[id];
	struct bpf_map_info info;
	int inner, err;

	err = map_info(pm->fd[id], &info);
	if (err)
		return open_error(pm->dir, path, err, msg, msglen);
	if (info.type != s->type || info.key_size != s->key_size ||
	    info.value_size != s->value_size)
		goto mismatch;
	if (!s->inner_type)
		return 0;
	inner = pin_open_current(pm, id);
	if (inner == -ENOENT) {
		/* An outer map with an empty slot: not one the XDP program can use. */
		snprintf(msg, msglen, "%s holds no table (its slot 0 is empty), so it is not a map "
			 "xdpflow created: run 'xdpflow-loader detach --purge --pin-path %s' then attach "
			 "again", path, pm->dir);
		return -EPROTO;
	}
	if (inner < 0)
		return open_error(pm->dir, path, inner, msg, msglen);
	err = map_info(inner, &info);
	close(inner);
	if (err)
		return open_error(pm->dir, path, err, msg, msglen);
	if (info.type != s->inner_type || info.key_size != s->inner_key_size ||
	    info.value_size != s->inner_value_size)
		goto mismatch;
	if (id == PIN_FLOWS)
		pm->max_flows = info.max_entries;
	return 0;
mismatch:
	snprintf(msg, msglen, "%s is not the map xdpflow layout version %u expects "
		 "(type %u, key %u, value %u bytes): run 'xdpflow-loader detach --purge "
		 "--pin-path %s' then attach again", path, XDPFLOW_LAYOUT_VERSION, info.type,
		 info.key_size, info.value_size, pm->dir);
	return -EPROTO;
}

int pin_open(const char *dir, bool writable, struct pin_maps *pm, char *msg, size_t msglen)
{
	char path[PATH_MAX];
	struct stat st;
	__u32 version;
	int id, err;

	memset(pm, 0, sizeof(*pm));
	for (id = 0; id < PIN_MAP_COUNT; id++)
		pm->fd[id] = -1;
	pm->writable = writable;
	if (snprintf(pm->dir, sizeof(pm->dir), "%s", dir) >= (int)sizeof(pm->dir)) {
		snprintf(msg, msglen, "pin path too long: %s", dir);
		return -ENAMETOOLONG;
	}
	if (stat(dir, &st)) {
		err = -errno;
		if (err == -ENOENT && !is_bpffs(XDPFLOW_BPFFS))
			snprintf(msg, msglen, "no bpf filesystem at %s, so no xdpflow maps at %s: "
				 "mount it (mount -t bpf bpf %s) and attach: xdpflow-loader attach IFACE",
				 XDPFLOW_BPFFS, dir, XDPFLOW_BPFFS);
		else
			open_error(dir, dir, err, msg, msglen);
		return err == -ENOENT && !is_bpffs(XDPFLOW_BPFFS) ? -ENODEV : err;
	}
	pm->ncpus = libbpf_num_possible_cpus();
	if (pm->ncpus < 1) {
		snprintf(msg, msglen, "cannot count possible CPUs: %s", strerror(-pm->ncpus));
		return pm->ncpus;
	}
	for (id = 0; id < PIN_MAP_COUNT; id++) {
		LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = writable ? 0 : BPF_F_RDONLY);

		pin_map_path(dir, id, path, sizeof(path));
		pm->fd[id] = bpf_obj_get_opts(path, &opts);
		if (pm->fd[id] < 0) {
			err = open_error(dir, path, -errno, msg, msglen);
			goto fail;
		}
		if (!pin_fd_is_map(pm->fd[id])) {
			snprintf(msg, msglen, "%s is a pinned BPF program or link, not an xdpflow map: "
				 "something else uses xdpflow's pin names there: remove it, or pick "
				 "another --pin-path", path);
			err = -EPROTO;
			goto fail;
		}
		if (id == PIN_LAYOUT) {
			err = pin_probe_layout(dir, &version);
			if (!err && version != XDPFLOW_LAYOUT_VERSION) {
				layout_message(dir, version, msg, msglen);
				err = -EPROTO;
			}
			if (err)
				goto fail;
			continue;
		}
		err = check_shape(pm, id, path, msg, msglen);
		if (err)
			goto fail;
	}
	return 0;
fail:
	pin_close(pm);
	return err;
}

void pin_close(struct pin_maps *pm)
{
	int id;

	for (id = 0; id < PIN_MAP_COUNT; id++) {
		if (pm->fd[id] >= 0)
			close(pm->fd[id]);
		pm->fd[id] = -1;
	}
}

static int current_id(const struct pin_maps *pm, enum pin_map_id outer, __u32 *id)
{
	__u32 zero = 0;

	if (outer >= PIN_MAP_COUNT || !shapes[outer].inner_type || pm->fd[outer] < 0)
		return -EINVAL;
	if (bpf_map_lookup_elem(pm->fd[outer], &zero, id))
		return -errno;
	return 0;
}

int pin_open_current(const struct pin_maps *pm, enum pin_map_id outer)
{
	LIBBPF_OPTS(bpf_get_fd_by_id_opts, opts, .open_flags = pm->writable ? 0 : BPF_F_RDONLY);
	__u32 id;
	int err, fd;

	err = current_id(pm, outer, &id);
	if (err)
		return err;
	fd = bpf_map_get_fd_by_id_opts(id, &opts);
	return fd < 0 ? -errno : fd;
}

int pin_fresh_table(const struct pin_maps *pm, enum pin_map_id outer, int *cur)
{
	struct bpf_map_info info;
	int fresh, err;

	*cur = -1;
	if (!pm->writable)
		return -EPERM;
	*cur = pin_open_current(pm, outer);
	if (*cur < 0) {
		err = *cur;
		*cur = -1;
		return err;
	}
	err = map_info(*cur, &info);
	if (!err) {
		LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = info.map_flags);
		fresh = bpf_map_create(info.type, info.name, info.key_size, info.value_size,
				       info.max_entries, &opts);
		if (fresh >= 0)
			return fresh;
		err = -errno;
	}
	close(*cur);
	*cur = -1;
	return err;
}

int pin_install_table(const struct pin_maps *pm, enum pin_map_id outer, int table)
{
	__u32 zero = 0;

	return bpf_map_update_elem(pm->fd[outer], &zero, &table, BPF_ANY) ? -errno : 0;
}

/* Does the table in slot 0 of the outer map pinned at path hold anything? 1, 0 or -errno. */
static int table_holds_counts(const char *path, int ncpus)
{
	LIBBPF_OPTS(bpf_obj_get_opts, get_opts, .file_flags = BPF_F_RDONLY);
	LIBBPF_OPTS(bpf_get_fd_by_id_opts, id_opts, .open_flags = BPF_F_RDONLY);
	struct bpf_map_info info;
	__u32 zero = 0, id;
	size_t stride, size, i;
	char *key = NULL, *next, *value = NULL;
	int outer, inner, err, found = 0;

	outer = bpf_obj_get_opts(path, &get_opts);
	if (outer < 0)
		return errno == ENOENT || foreign_entry(path) ? 0 : -errno;
	/* Not an outer map of ours: nothing of ours in it (pin_open() says what it is). */
	if (!pin_fd_is_map(outer) || map_info(outer, &info) ||
	    info.type != BPF_MAP_TYPE_ARRAY_OF_MAPS) {
		close(outer);
		return 0;
	}
	err = bpf_map_lookup_elem(outer, &zero, &id) ? -errno : 0;
	close(outer);
	if (err)
		return err == -ENOENT ? 0 : err;
	inner = bpf_map_get_fd_by_id_opts(id, &id_opts);
	if (inner < 0)
		return -errno;
	err = map_info(inner, &info);
	if (err)
		goto out;
	stride = (info.value_size + 7) & ~7u;
	size = info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH ?
		       stride * ncpus : info.value_size;
	key = calloc(2, info.key_size);
	value = malloc(size);
	if (!key || !value) {
		err = -ENOMEM;
		goto out;
	}
	next = key + info.key_size;
	/* Hash entries exist only once counted; array slots count when non-zero. */
	for (err = bpf_map_get_next_key(inner, NULL, next); !err && !found;
	     err = bpf_map_get_next_key(inner, key, next)) {
		memcpy(key, next, info.key_size);
		if (info.type == BPF_MAP_TYPE_HASH || info.type == BPF_MAP_TYPE_PERCPU_HASH) {
			found = 1;
			break;
		}
		if (bpf_map_lookup_elem(inner, key, value))
			continue;
		for (i = 0; i < size && !value[i]; i++)
			;
		found = i < size;
	}
	err = found || errno == ENOENT ? 0 : -errno;
out:
	free(key);
	free(value);
	close(inner);
	return err ? err : found;
}

int pin_holds_counts(const char *dir)
{
	static const enum pin_map_id tables[] = { PIN_STATS, PIN_FLOWS, PIN_FLOWCACHE };
	char path[PATH_MAX];
	int ncpus = libbpf_num_possible_cpus();
	size_t i;
	int ret;

	if (ncpus < 1)
		return ncpus;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (pin_map_path(dir, tables[i], path, sizeof(path)))
			return -ENAMETOOLONG;
		ret = table_holds_counts(path, ncpus);
		if (ret)
			return ret;
	}
	return 0;
}

int pin_lock(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
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
