// SPDX-License-Identifier: GPL-2.0
/* pin/: the tables behind the outer maps: the current ones, fresh ones for a drain, whether any holds counts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "internal.h"

static int current_id(const struct pin_maps *pm, enum pin_map_id outer, __u32 *id)
{
	__u32 zero = 0;

	if (outer >= PIN_MAP_COUNT || !pin_shapes[outer].inner_type || pm->fd[outer] < 0)
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

int pin_table_like(int fd)
{
	struct bpf_map_info info;
	int fresh, btf = -1, err = map_info(fd, &info);

	if (err)
		return err;
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = info.map_flags);
	/*
	 * The same BTF as the table it stands in for: Linux before 6.2 compares
	 * the timer field offset of the outer map's template with the table's,
	 * and a table without BTF has another "none" value there (-EINVAL
	 * against -ENOENT), so the outer map refuses it with EINVAL.
	 */
	if (info.btf_id) {
		btf = bpf_btf_get_fd_by_id(info.btf_id);
		if (btf < 0)
			return -errno;
		opts.btf_fd = btf;
		opts.btf_key_type_id = info.btf_key_type_id;
		opts.btf_value_type_id = info.btf_value_type_id;
	}
	fresh = bpf_map_create(info.type, info.name, info.key_size, info.value_size,
			       info.max_entries, &opts);
	err = fresh < 0 ? -errno : fresh;
	if (btf >= 0)
		close(btf);
	return err;
}

int pin_fresh_table(const struct pin_maps *pm, enum pin_map_id outer, int *cur)
{
	int fresh;

	*cur = -1;
	if (!pm->writable)
		return -EPERM;
	*cur = pin_open_current(pm, outer);
	if (*cur < 0) {
		fresh = *cur;
		*cur = -1;
		return fresh;
	}
	fresh = pin_table_like(*cur);
	if (fresh >= 0)
		return fresh;
	close(*cur);
	*cur = -1;
	return fresh;
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
	static const enum pin_map_id tables[] = { PIN_STATS, PIN_FLOWS, PIN_FLOWCACHE, PIN_REFUSED };
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

int snapshot_tables_open_current(const struct pin_maps *pm, struct snapshot_tables *t)
{
	int err = 0;

	/*
	 * Shared with other reads, exclusive of drains: no drain swaps the
	 * tables while this read uses their generation words.  A read that
	 * cannot take it (a folder it may not open) goes on without: only a
	 * drain at the same moment could then confuse it.
	 */
	t->lock_fd = pin_lock_shared(pm->dir);
	if (t->lock_fd < 0)
		t->lock_fd = -1;
	t->stats_fd = pin_open_current(pm, PIN_STATS);
	t->flows_fd = pin_open_current(pm, PIN_FLOWS);
	t->fcache_fd = pin_open_current(pm, PIN_FLOWCACHE);
	t->refused_fd = pin_open_current(pm, PIN_REFUSED);
	t->fgen_fd = pm->fd[PIN_FLOWCACHE_GEN];
	if (t->stats_fd < 0)
		err = t->stats_fd;
	else if (t->flows_fd < 0)
		err = t->flows_fd;
	else if (t->fcache_fd < 0)
		err = t->fcache_fd;
	else if (t->refused_fd < 0)
		err = t->refused_fd;
	if (err < 0) {
		snapshot_tables_close(t);
		return err;
	}
	return 0;
}

void snapshot_tables_none(struct snapshot_tables *t)
{
	t->stats_fd = t->flows_fd = t->fcache_fd = t->refused_fd = -1;
	t->fgen_fd = t->lock_fd = -1;
}

void snapshot_tables_close(struct snapshot_tables *t)
{
	int *fds[] = { &t->stats_fd, &t->flows_fd, &t->fcache_fd, &t->refused_fd };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	/* fgen_fd belongs to the pin_maps it came from. */
	t->fgen_fd = -1;
	if (t->lock_fd >= 0)
		pin_unlock(t->lock_fd);
	t->lock_fd = -1;
}

static int table_id(int fd, __u32 *id)
{
	struct bpf_map_info info;
	int err = map_info(fd, &info);

	*id = err ? 0 : info.id;
	return err;
}

int snapshot_tables_ids(const struct snapshot_tables *t, struct snapshot_table_ids *ids)
{
	return table_id(t->stats_fd, &ids->stats) ?: table_id(t->flows_fd, &ids->flows) ?:
		       table_id(t->fcache_fd, &ids->fcache);
}

int snapshot_take(const struct pin_maps *pm, bool with_clock, struct snapshot_tables *t,
		  struct snapshot *s)
{
	int err;

	err = snapshot_tables_open_current(pm, t);
	if (err)
		return err;
	err = snapshot_read(t, with_clock ? pm->fd[PIN_CLOCK] : -1, pm->ncpus, s);
	if (err)
		snapshot_tables_close(t);
	return err;
}

void snapshot_release(struct snapshot_tables *t, struct snapshot *s)
{
	snapshot_free(s);
	snapshot_tables_close(t);
}
