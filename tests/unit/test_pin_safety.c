// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of pin/'s safety guarantees on real pinned maps: descriptors
 * opened read-only (the reader's path) refuse every write, and
 * pin_holds_counts() tells empty maps (safe to drop) from maps with counts.
 */
#include "testlib.h"
#include "xdpflow.h"

/* A UDP frame for the program to count. */
static void count_one_frame(struct tl_xdp *x)
{
	struct tl_frame f;
	__u32 verdict;

	tl_frame_init(&f);
	tl_put_eth(&f, TL_ETH_IPV4);
	tl_put_ipv4(&f, &(struct tl_ipv4){ .proto = IPPROTO_UDP });
	tl_put_udp(&f, 1000, 53);
	tl_frame_finish(&f);
	tl_xdp_run(x, f.data, f.len, 0, &verdict);
}

/*
 * Try to write element 0 of the map behind fd (for an outer map, with
 * value_fd as the table); 0 if the kernel took it, else -errno.
 */
static int try_update(int fd, int value_fd, int ncpus)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info), zero = 0;
	unsigned char key[64] = {}, *value;
	size_t size;
	int err;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	size = info.type == BPF_MAP_TYPE_PERCPU_ARRAY ? ((info.value_size + 7) & ~7u) * ncpus :
							 info.value_size;
	value = calloc(1, size);
	if (!value)
		return -ENOMEM;
	if (info.type == BPF_MAP_TYPE_ARRAY_OF_MAPS)
		memcpy(value, &value_fd, sizeof(value_fd));
	err = bpf_map_update_elem(fd, info.key_size == 4 ? (void *)&zero : key, value, BPF_ANY);
	free(value);
	return err ? -errno : 0;
}

static int try_delete(int fd)
{
	unsigned char key[64] = {};

	return bpf_map_delete_elem(fd, key) ? -errno : 0;
}

/* Every pin and every table, read-only (the reader) or writable (the control). */
static void test_writes(const char *dir, bool writable, int ncpus)
{
	static const enum pin_map_id outers[] = { PIN_STATS, PIN_FLOWS, PIN_FLOWCACHE, PIN_REFUSED };
	struct snapshot_tables t = { -1, -1, -1, -1, -1, -1 };
	struct pin_maps pm;
	struct tl_check c;
	char msg[512];
	int id, inner, err, want;
	size_t i;

	tl_begin(&c, writable ? "writable descriptors (control): every write is taken" :
				"read-only descriptors (pin_open, pin_open_current, the reader's "
				"snapshot_tables_open_current): every write fails with EPERM");
	err = pin_open(dir, writable, &pm, msg, sizeof(msg));
	if (!tl_expect(&c, !err, "pin_open: %s", msg)) {
		tl_end(&c, NULL);
		return;
	}
	want = writable ? 0 : -EPERM;
	for (id = 0; id < PIN_MAP_COUNT; id++) {
		/* An outer map's slot gets the table it already holds: no change if taken. */
		inner = id == PIN_STATS || id == PIN_FLOWS || id == PIN_FLOWCACHE ||
					id == PIN_REFUSED ? pin_open_current(&pm, id) : -1;
		err = try_update(pm.fd[id], inner, pm.ncpus);
		tl_expect(&c, err == want, "update %s: %s", pin_map_name(id), strerror(-err));
		if (inner >= 0)
			close(inner);
	}
	for (i = 0; i < sizeof(outers) / sizeof(outers[0]); i++) {
		inner = pin_open_current(&pm, outers[i]);
		if (!tl_expect(&c, inner >= 0, "pin_open_current %s: %s", pin_map_name(outers[i]),
			       strerror(-inner)))
			continue;
		err = try_update(inner, -1, ncpus);
		tl_expect(&c, err == want, "update the table of %s: %s", pin_map_name(outers[i]),
			  strerror(-err));
		close(inner);
	}
	if (!writable) {
		err = snapshot_tables_open_current(&pm, &t);
		if (tl_expect(&c, !err, "snapshot_tables_open_current: %s", strerror(-err))) {
			err = try_update(t.stats_fd, -1, ncpus);
			tl_expect(&c, err == -EPERM, "reader's stats table: update %s", strerror(-err));
			err = try_update(t.fcache_fd, -1, ncpus);
			tl_expect(&c, err == -EPERM, "reader's flow cache: update %s", strerror(-err));
			err = try_update(t.flows_fd, -1, ncpus);
			tl_expect(&c, err == -EPERM, "reader's flow table: update %s", strerror(-err));
			err = try_delete(t.flows_fd);
			tl_expect(&c, err == -EPERM, "reader's flow table: delete %s", strerror(-err));
			err = try_update(t.refused_fd, -1, ncpus);
			tl_expect(&c, err == -EPERM, "reader's refused frames: update %s", strerror(-err));
			snapshot_tables_close(&t);
		}
		int cur;

		err = pin_fresh_table(&pm, PIN_FLOWS, &cur);
		tl_expect(&c, err == -EPERM, "a drain step on read-only maps: %s",
			  err < 0 ? strerror(-err) : "allowed");
		if (err >= 0) {
			close(err);
			close(cur);
		}
	}
	pin_close(&pm);
	tl_end(&c, "%d pins and 4 tables", PIN_MAP_COUNT);
}

static void test_holds_counts(void)
{
	struct tl_xdp x;
	struct tl_check c;
	char path[PATH_MAX];
	int before, after, partial, err;

	tl_begin(&c, "pin_holds_counts: 0 for fresh maps, 1 once a frame is counted, also "
		     "for an incomplete set");
	err = tl_xdp_open(&x, 0);
	if (!tl_expect(&c, !err, "load: %s", tl_errmsg())) {
		tl_end(&c, NULL);
		return;
	}
	before = pin_holds_counts(x.pin_dir);
	count_one_frame(&x);
	after = pin_holds_counts(x.pin_dir);
	/* What a killed purge leaves: the layout pin (removed first) gone. */
	pin_map_path(x.pin_dir, PIN_LAYOUT, path, sizeof(path));
	unlink(path);
	partial = pin_holds_counts(x.pin_dir);
	tl_expect(&c, before == 0, "fresh maps: %d", before);
	tl_expect(&c, after == 1, "after one frame: %d", after);
	tl_expect(&c, partial == 1, "without the layout pin: %d", partial);
	tl_xdp_close(&x);
	tl_end(&c, NULL);
}

int main(int argc, char **argv)
{
	struct tl_xdp x;
	int err;

	(void)argc;
	tl_init(argv[0]);
	if (geteuid()) {
		tl_skip("pin_safety", "needs root to load the XDP program and pin its maps");
		return tl_summary();
	}
	err = tl_xdp_open(&x, 0);
	if (err) {
		tl_fail("pin_safety", "cannot load the XDP program: %s", tl_errmsg());
		return tl_summary();
	}
	count_one_frame(&x);
	test_writes(x.pin_dir, false, x.ncpus);
	test_writes(x.pin_dir, true, x.ncpus);
	tl_xdp_close(&x);
	test_holds_counts();
	return tl_summary();
}
