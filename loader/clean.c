// SPDX-License-Identifier: GPL-2.0
/* loader/: clean: remove what killed loaders and deleted interfaces leave behind, never counts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>
#include "loader.h"

/* What clean leaves in the pin folder, and why. */
static void report_clean_pins(const char *dir, const struct pinset *ps)
{
	if (ps->foreign)
		printf("%d of xdpflow's pin names in %s hold something that is not a map: kept "
		       "(not ours: remove it by hand)\n", ps->foreign, dir);
	else if (ps->layout && ps->layout != XDPFLOW_LAYOUT_VERSION)
		printf("the pins at %s have map layout version %u, not %u: kept (detach --purge "
		       "removes them)\n", dir, ps->layout, XDPFLOW_LAYOUT_VERSION);
	else if (pinset_complete(ps))
		printf("the pins at %s are complete and kept (detach --purge removes them)\n", dir);
	else if (!ps->present && !rmdir(dir))
		printf("removed the empty pin folder %s\n", dir);
}

/* Pending drain reports are counts: clean keeps them, and says so. */
static void report_clean_pending(const char *dir)
{
	__u64 *ids;
	size_t n;

	if (!pending_list(dir, &ids, &n) && n)
		printf("%zu drain report%s pending in %s/" PENDING_FOLDER ": kept (the next "
		       "xdpflow-reader --drain delivers %s)\n", n, n == 1 ? "" : "s", dir,
		       n == 1 ? "it" : "them");
	free(ids);
}

int cmd_clean(const struct loader_opts *o, char **names, int n)
{
	struct iface ifcs[n > 0 ? n : 1];
	struct pinset ps;
	unsigned long idx;
	int i, err, lock;
	char *end;

	for (i = 0; i < n; i++) {
		if (!iface_resolve(names[i], &ifcs[i]))
			continue;
		/* The ifindex of a deleted interface: libxdp may still hold its dispatcher. */
		errno = 0;
		idx = strtoul(names[i], &end, 10);
		if (!errno && !*end && idx && idx <= INT_MAX) {
			ifcs[i].ifindex = idx;
			snprintf(ifcs[i].name, sizeof(ifcs[i].name), "#%lu", idx);
			continue;
		}
		say_error("no interface named '%s' here: see xdpflow-loader list", names[i]);
		return -ENODEV;
	}
	err = require_capabilities("clean", true);
	if (err)
		return err;
	err = ensure_bpffs(o->pin_dir);
	if (err)
		return err;
	/* libxdp's own leftovers: dispatcher links pinned for programs no longer attached. */
	for (i = 0; i < (n ? n : 1); i++) {
		err = libxdp_clean_references(n ? (int)ifcs[i].ifindex : 0);
		if (err)
			say_warning("libxdp could not clean its references%s%s: %s", n ? " for " : "",
				    n ? ifcs[i].name : "", strerror(-err));
	}
	printf("cleaned libxdp's stale dispatcher references for %s\n",
	       n ? "the interfaces given" : "every interface");
	lock = lock_pin_dir(o->pin_dir, false, NULL);
	if (lock == -ENOENT) {
		printf("no pin folder at %s: nothing else to clean\n", o->pin_dir);
		return 0;
	}
	if (lock < 0) {
		say_error("cannot lock the pin folder %s: %s", o->pin_dir, lock_error(lock));
		return lock;
	}
	err = pinset_read(o->pin_dir, &ps);
	if (!err && !pinset_complete(&ps))
		err = pinset_drop_incomplete(o->pin_dir, &ps);
	if (err == -EEXIST) {
		printf("the %d of %d xdpflow pins at %s are in use or hold counts: kept (put the "
		       "missing pin back, or detach --purge discards them)\n", ps.present,
		       PIN_MAP_COUNT, o->pin_dir);
		err = 0;
	} else if (!err) {
		report_clean_pins(o->pin_dir, &ps);
	}
	report_clean_pending(o->pin_dir);
	pin_unlock(lock);
	return err;
}
