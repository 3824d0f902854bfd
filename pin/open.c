// SPDX-License-Identifier: GPL-2.0
/* pin/: opening a pin folder's maps and checking them against this build's layout (pin_open). */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "internal.h"

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

void layout_message(const char *dir, __u32 found, char *msg, size_t msglen)
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

/* No pins at dir: attach first, or name a folder where xdpflow's maps are pinned, if any. */
static void missing_message(const char *dir, const char *path, char *msg, size_t msglen)
{
	struct pin_folders pf;
	char found[PATH_MAX + 64];
	size_t n = 0, len;

	len = snprintf(msg, msglen, "no xdpflow maps at %s (%s missing) — attach first: "
		       "xdpflow-loader attach IFACE", dir, path);
	if (!pin_folders_find(&pf)) {
		n = pin_folders_list(&pf, dir, 2, found, sizeof(found));
		pin_folders_free(&pf);
	}
	if (n && len < msglen)
		snprintf(msg + len, msglen - len, "; or name with --pin-path (or $%s) a folder "
			 "where xdpflow's maps are pinned: %s%s", XDPFLOW_PIN_PATH_ENV, found,
			 n > 2 ? " (xdpflow-loader list names them all)" : "");
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
		missing_message(dir, path, msg, msglen);
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
	const struct map_shape *s = &pin_shapes[id];
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
		if (err == -ENOENT && !is_bpffs(XDPFLOW_BPFFS) && pin_mount_ns_private())
			snprintf(msg, msglen, "no bpf filesystem at %s in this mount namespace, "
				 PIN_PRIVATE_NS_HINT, XDPFLOW_BPFFS);
		else if (err == -ENOENT && !is_bpffs(XDPFLOW_BPFFS))
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
