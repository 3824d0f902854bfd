// SPDX-License-Identifier: GPL-2.0
/* pin/: where xdpflow's maps are pinned: the bpf filesystem walked (bounded) for xdpflow's pin names. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "internal.h"

/*
 * The walk stops at these bounds, so a bpffs holding a great many pins
 * (or a deep tree) costs a bounded time; what it found so far is kept.
 */
#define WALK_MAX_DEPTH 8
#define WALK_MAX_ENTRIES 20000

struct walk {
	struct pin_folders *out;
	dev_t dev; /* the bpf filesystem's: mounts below it are not walked */
	unsigned int entries;
};

int pin_prog_map_ids(__u32 prog_id, __u32 *ids, __u32 max, __u32 *type)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd, err = 0;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = max;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (type)
		*type = info.type;
	return info.nr_map_ids < max ? (int)info.nr_map_ids : (int)max;
}

/* The pin names a program uses (the layout pin is never looked up by the program). */
static bool used_pin_name(const char *name)
{
	int id;

	for (id = 0; id < PIN_MAP_COUNT; id++)
		if (id != PIN_LAYOUT && !strcmp(name, pin_map_name(id)))
			return true;
	return false;
}

static int add_found(struct pin_folders *f, __u32 map_id, const char *dir)
{
	struct pin_found *v;

	v = array_room(f->v, f->n, &f->cap, sizeof(*v), 16);
	if (!v)
		return -ENOMEM;
	f->v = v;
	f->v[f->n].dir = strdup(dir);
	if (!f->v[f->n].dir)
		return -ENOMEM;
	f->v[f->n++].map_id = map_id;
	return 0;
}

/* path has one of xdpflow's used pin names: note its map's id and folder (path's first dirlen bytes). */
static int note_pin(struct walk *w, char *path, size_t dirlen)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	struct bpf_map_info info;
	int fd, err;

	fd = bpf_obj_get_opts(path, &opts);
	if (fd < 0)
		return 0; /* not ours to explain: the folder's own checks do */
	err = pin_fd_is_map(fd) ? map_info(fd, &info) : -EINVAL;
	close(fd);
	if (err)
		return 0;
	path[dirlen] = '\0';
	err = add_found(w->out, info.id, path);
	path[dirlen] = '/';
	return err;
}

static int walk_dir(struct walk *w, char *path, size_t len, int depth)
{
	struct dirent *d;
	struct stat st;
	size_t n;
	DIR *dir;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0; /* unreadable or gone: nothing found there */
	if (fstat(fd, &st) || st.st_dev != w->dev || !(dir = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while (!err && (d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (++w->entries > WALK_MAX_ENTRIES) {
			w->out->truncated = true;
			break;
		}
		n = strlen(d->d_name);
		if (len + 1 + n >= PATH_MAX)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, d->d_name, n + 1);
		if (d->d_type == DT_DIR && depth < WALK_MAX_DEPTH) {
			err = walk_dir(w, path, len + 1 + n, depth + 1);
		} else if (d->d_type == DT_DIR) {
			w->out->truncated = true;
		} else if (d->d_type == DT_REG && used_pin_name(d->d_name)) {
			err = note_pin(w, path, len);
		}
		path[len] = '\0';
	}
	closedir(dir);
	return err;
}

static int by_dir(const void *a, const void *b)
{
	const struct pin_found *x = a, *y = b;
	int cmp = strcmp(x->dir, y->dir);

	return cmp ? cmp : x->map_id < y->map_id ? -1 : x->map_id > y->map_id;
}

int pin_folders_find(struct pin_folders *f)
{
	struct walk w = { .out = f };
	char path[PATH_MAX] = XDPFLOW_BPFFS;
	struct stat st;
	int err;

	memset(f, 0, sizeof(*f));
	if (!is_bpffs(XDPFLOW_BPFFS) || stat(XDPFLOW_BPFFS, &st))
		return 0;
	w.dev = st.st_dev;
	err = walk_dir(&w, path, strlen(path), 1);
	if (err)
		pin_folders_free(f);
	else if (f->n)
		qsort(f->v, f->n, sizeof(*f->v), by_dir);
	return err;
}

void pin_folders_free(struct pin_folders *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].dir);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

const char *pin_folders_of_prog(const struct pin_folders *f, __u32 prog_id)
{
	__u32 ids[64];
	size_t i;
	int n, j;

	n = pin_prog_map_ids(prog_id, ids, 64, NULL);
	for (j = 0; j < n; j++)
		for (i = 0; i < f->n; i++)
			if (f->v[i].map_id == ids[j])
				return f->v[i].dir;
	return NULL;
}

/* Do a and b name the same folder (whatever slashes or links they are written with)? */
static bool same_dir(const char *a, const char *b)
{
	struct stat x, y;

	return !stat(a, &x) && !stat(b, &y) && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

size_t pin_folders_list(const struct pin_folders *f, const char *except, size_t max, char *buf,
			size_t size)
{
	size_t i, count = 0, len = 0;

	if (size)
		buf[0] = '\0';
	for (i = 0; i < f->n; i++) {
		if (except && same_dir(f->v[i].dir, except))
			continue;
		/* Sorted: a folder's pins are next to each other. */
		if (i && !strcmp(f->v[i - 1].dir, f->v[i].dir))
			continue;
		if (count < max && len < size)
			len += snprintf(buf + len, size - len, "%s%s", count ? ", " : "",
					f->v[i].dir);
		count++;
	}
	if (count > max && len < size)
		snprintf(buf + len, size - len, " and %zu more", count - max);
	return count;
}
