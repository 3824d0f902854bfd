// SPDX-License-Identifier: GPL-2.0
/* pin/: pending drains: the tables a drain took out of service, pinned under DIR/pending/ID until delivered. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "internal.h"

/* The drain-ID counter, an array map of one __u64, beside the records. */
#define PENDING_COUNTER "last_id"
#define PENDING_INFO "info"

/* The tables a drain takes out of service, in the order it swaps them (docs/DESIGN.md). */
const enum pin_map_id pending_tables[PENDING_TABLES] = { PIN_FLOWCACHE, PIN_FLOWS, PIN_REFUSED,
							  PIN_STATS };

int *snapshot_tables_slot(struct snapshot_tables *t, enum pin_map_id outer)
{
	switch (outer) {
	case PIN_STATS:
		return &t->stats_fd;
	case PIN_FLOWS:
		return &t->flows_fd;
	case PIN_FLOWCACHE:
		return &t->fcache_fd;
	case PIN_REFUSED:
		return &t->refused_fd;
	default:
		return NULL;
	}
}

static int path_of(char *buf, size_t size, const char *dir, const char *a, const char *b)
{
	int n = b ? snprintf(buf, size, "%s/" PENDING_FOLDER "/%s/%s", dir, a, b) :
		a ? snprintf(buf, size, "%s/" PENDING_FOLDER "/%s", dir, a) :
		    snprintf(buf, size, "%s/" PENDING_FOLDER, dir);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int record_path(char *buf, size_t size, const char *dir, __u64 id, const char *name)
{
	char idstr[24];

	snprintf(idstr, sizeof(idstr), "%llu", (unsigned long long)id);
	return path_of(buf, size, dir, idstr, name);
}

int pending_lock(const char *dir, bool create)
{
	char path[PATH_MAX];

	if (path_of(path, sizeof(path), dir, NULL, NULL))
		return -ENAMETOOLONG;
	if (create && mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return pin_lock(path);
}

static int cmp_id(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

int pending_list(const char *dir, __u64 **ids, size_t *n)
{
	char path[PATH_MAX], *end;
	struct dirent *de;
	size_t cap = 0;
	__u64 *v = NULL, *nv, id;
	DIR *d;

	*ids = NULL;
	*n = 0;
	if (path_of(path, sizeof(path), dir, NULL, NULL))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		errno = 0;
		id = strtoull(de->d_name, &end, 10);
		if (errno || *end)
			continue;
		nv = array_room(v, *n, &cap, sizeof(*v), 4);
		if (!nv) {
			free(v);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		v[(*n)++] = id;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), cmp_id);
	*ids = v;
	return 0;
}

/* An array map of one value, pinned at path (created if missing); fd or -errno. */
static int pinned_value_map(const char *path, const char *name, __u32 value_size, bool create)
{
	int fd = bpf_obj_get(path);

	if (fd >= 0 || !create || errno != ENOENT)
		return fd >= 0 ? fd : -errno;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, 4, value_size, 1, NULL);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* The next drain ID: above the last one, and at least the time in microseconds (unique across purges). */
static int next_id(const char *dir, __u64 *id)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	__u64 last = 0, now = (__u64)clock_now_ns(CLOCK_REALTIME) / 1000;
	int fd, err = 0;

	if (path_of(path, sizeof(path), dir, PENDING_COUNTER, NULL))
		return -ENAMETOOLONG;
	fd = pinned_value_map(path, "xdpflow_drainid", sizeof(last), true);
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, &last))
		err = -errno;
	*id = last + 1 > now ? last + 1 : now;
	if (!err && bpf_map_update_elem(fd, &zero, id, BPF_ANY))
		err = -errno;
	close(fd);
	return err;
}

int pending_save(const struct pending *p)
{
	__u32 zero = 0;

	return bpf_map_update_elem(p->info_fd, &zero, &p->info, BPF_ANY) ? -errno : 0;
}

void pending_close(struct pending *p)
{
	if (p->info_fd >= 0)
		close(p->info_fd);
	p->info_fd = -1;
}

int pending_create(const char *dir, const struct snapshot_tables *out_of_service,
		   struct pending *p)
{
	char path[PATH_MAX];
	struct snapshot_tables t = *out_of_service;
	int i, fd, err;

	memset(p, 0, sizeof(*p));
	p->info_fd = -1;
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	err = next_id(dir, &p->info.id);
	if (err)
		return err;
	p->info.wall_ns = clock_now_ns(CLOCK_REALTIME);
	err = record_path(path, sizeof(path), dir, p->info.id, NULL);
	if (!err && mkdir(path, 0700))
		err = -errno;
	if (!err)
		err = record_path(path, sizeof(path), dir, p->info.id, PENDING_INFO);
	if (err)
		return err;
	/* The record first, then its tables: a record missing a table never took it out. */
	p->info_fd = pinned_value_map(path, "xdpflow_pending", sizeof(p->info), true);
	if (p->info_fd < 0)
		return p->info_fd;
	err = pending_save(p);
	for (i = 0; i < PENDING_TABLES && !err; i++) {
		fd = *snapshot_tables_slot(&t, pending_tables[i]);
		err = record_path(path, sizeof(path), dir, p->info.id,
				  pin_map_name(pending_tables[i]));
		if (!err && bpf_obj_pin(fd, path))
			err = -errno;
	}
	if (err)
		pending_close(p);
	return err;
}

int pending_open(const char *dir, __u64 id, struct pending *p, struct snapshot_tables *t)
{
	LIBBPF_OPTS(bpf_obj_get_opts, ro, .file_flags = BPF_F_RDONLY);
	char path[PATH_MAX];
	__u32 zero = 0;
	int i, *slot, err;

	memset(p, 0, sizeof(*p));
	p->info_fd = -1;
	snapshot_tables_none(t);
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	p->info.id = id;
	err = record_path(path, sizeof(path), dir, id, PENDING_INFO);
	if (err)
		return err;
	p->info_fd = pinned_value_map(path, NULL, 0, false);
	/* No info: killed while creating the record, before any table left service. */
	if (p->info_fd >= 0 && bpf_map_lookup_elem(p->info_fd, &zero, &p->info))
		err = -errno;
	p->info.id = id;
	for (i = 0; i < PENDING_TABLES && !err; i++) {
		err = record_path(path, sizeof(path), dir, id, pin_map_name(pending_tables[i]));
		slot = snapshot_tables_slot(t, pending_tables[i]);
		if (!err && (*slot = bpf_obj_get_opts(path, &ro)) < 0)
			err = errno == ENOENT ? 0 : -errno;
	}
	if (err) {
		snapshot_tables_close(t);
		pending_close(p);
	}
	return err;
}

static int map_id(int fd, __u32 *id)
{
	struct bpf_map_info info;
	int err = map_info(fd, &info);

	*id = info.id;
	return err;
}

/*
 * The record's table i becomes fresh (empty): its pin is removed first, then
 * fresh pinned, so a crash in between leaves the record without that table,
 * which the next settle treats as never pinned.
 */
static int repin(struct pending *p, int i, int fresh)
{
	char path[PATH_MAX];
	int err = record_path(path, sizeof(path), p->dir, p->info.id, pin_map_name(pending_tables[i]));

	if (!err && unlink(path) && errno != ENOENT)
		err = -errno;
	if (!err && bpf_obj_pin(fresh, path))
		err = -errno;
	return err;
}

int pending_settle(const struct pin_maps *pm, struct pending *p, struct snapshot_tables *t)
{
	__u32 zero = 0, cur, mine;
	int i, *slot, fresh, cur_fd, err = 0;

	if (p->info.swapped == PENDING_TABLES)
		return 0;
	for (i = 0; i < PENDING_TABLES && !err; i++) {
		slot = snapshot_tables_slot(t, pending_tables[i]);
		/* Never pinned: the drain stopped before taking that table out of service. */
		if (*slot < 0) {
			fresh = pin_fresh_table(pm, pending_tables[i], &cur_fd);
			if (fresh < 0) {
				err = fresh;
				break;
			}
			close(cur_fd);
			*slot = fresh;
			err = repin(p, i, fresh);
			continue;
		}
		err = map_id(*slot, &mine);
		if (!err && bpf_map_lookup_elem(pm->fd[pending_tables[i]], &zero, &cur))
			err = -errno;
		if (err || cur != mine)
			continue;
		/*
		 * Still in service: it counts on for the next drain; an empty one
		 * reports here, in the record too (its report may be delivered
		 * again after a crash, and must be the same).
		 */
		fresh = pin_table_like(*slot);
		if (fresh < 0) {
			err = fresh;
			break;
		}
		close(*slot);
		*slot = fresh;
		err = repin(p, i, fresh);
	}
	/*
	 * The tables that did leave service left in an update that returned only after
	 * an RCU grace period, unless the drain was killed inside it: one more update
	 * of an outer map (the same table again) waits for another.
	 */
	if (!err) {
		i = pin_open_current(pm, PIN_STATS);
		err = i < 0 ? i : pin_install_table(pm, PIN_STATS, i);
		if (i >= 0)
			close(i);
	}
	if (!err) {
		p->info.swapped = PENDING_TABLES;
		if (p->info_fd >= 0)
			err = pending_save(p);
	}
	return err;
}

int pending_forget(const char *dir, __u64 id)
{
	char path[PATH_MAX];
	int i, err = 0;

	for (i = 0; i <= PENDING_TABLES; i++) {
		err = record_path(path, sizeof(path), dir, id,
				  i < PENDING_TABLES ? pin_map_name(pending_tables[i]) : PENDING_INFO);
		if (err)
			return err;
		if (unlink(path) && errno != ENOENT)
			return -errno;
	}
	err = record_path(path, sizeof(path), dir, id, NULL);
	if (!err && rmdir(path) && errno != ENOENT)
		err = -errno;
	return err;
}

int pending_remove_empty(const char *dir)
{
	char path[PATH_MAX];
	size_t n;
	__u64 *ids;
	int err = pending_list(dir, &ids, &n);

	free(ids);
	if (err || n)
		return err ? err : -ENOTEMPTY;
	if (path_of(path, sizeof(path), dir, PENDING_COUNTER, NULL))
		return -ENAMETOOLONG;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	path_of(path, sizeof(path), dir, NULL, NULL);
	if (rmdir(path) && errno != ENOENT)
		return -errno;
	return 0;
}
